package dev.toploc.internal;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.IntStream;

/**
 * Runs independent per-chunk tasks on the common fork-join pool. Each task writes only its own result,
 * so the results do not depend on the thread count or the schedule. Threads: {@code -Dtoploc.threads=N}
 * (default: all processors); 1 runs everything on the calling thread.
 */
public final class Parallel {
    private Parallel() {
    }

    private static volatile int threads = Math.max(1, Integer.getInteger("toploc.threads",
            Runtime.getRuntime().availableProcessors()));

    public static int threads() {
        return threads;
    }

    /** For benchmarks and tests: 1 = sequential, more = the common pool. */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads = " + n + " (expected >= 1)");
        }
        threads = n;
    }

    /**
     * Runs {@code body} for {@code 0..n-1}, each index once, on up to {@link #threads()} threads. The body
     * must write only what belongs to its index.
     */
    public static void forEach(int n, java.util.function.IntConsumer body) {
        if (threads == 1 || n < 2) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
        } else {
            IntStream.range(0, n).parallel().forEach(body);
        }
    }

    /** A task that may fail with a checked exception. */
    @FunctionalInterface
    public interface Task<T, E extends Exception> {
        T run(int i) throws E;
    }

    /**
     * Runs {@code task} for {@code 0..n-1} and returns the results in index order. If tasks fail, the
     * failure of the lowest index is rethrown (the same one whatever the schedule).
     */
    @SuppressWarnings("unchecked")
    public static <T, E extends Exception> T[] map(int n, T[] out, Task<T, E> task) throws E {
        if (threads == 1 || n < 2) {
            for (int i = 0; i < n; i++) {
                out[i] = task.run(i);
            }
            return out;
        }
        AtomicReferenceArray<Exception> failures = new AtomicReferenceArray<>(n);
        IntStream.range(0, n).parallel().forEach(i -> {
            try {
                out[i] = task.run(i);
            } catch (Exception e) {
                failures.set(i, e);
            }
        });
        for (int i = 0; i < n; i++) {
            Exception e = failures.get(i);
            if (e instanceof RuntimeException re) {
                throw re;
            }
            if (e != null) {
                throw (E) e;
            }
        }
        return out;
    }
}
