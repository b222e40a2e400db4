package dev.toploc;

import dev.toploc.internal.TopK;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Where the library computes: how many threads run independent per-chunk (and per-row, per-head) tasks,
 * which device selects 16-bit top-k ({@code null}: the CPU kernels), and which CPU kernels the runtime's
 * matrix products use ({@link CpuBackend}). An immutable value passed
 * explicitly to commit building ({@link Commits}), verification ({@link Verifier}), the hook
 * ({@link CommitHook}) and the runtime's model, so verifications with different settings can run
 * concurrently in one JVM; there is no process-wide switch.
 *
 * <p>Results never depend on the context: each task writes only its own result and every reduction runs
 * in a fixed order inside one task, so any thread count gives bit-identical commits, reports and hidden
 * states; a top-k accelerator must return exactly the CPU kernels' selection.
 *
 * <p>A context with more than one thread owns a fork-join pool of that many threads, started on first
 * use; idle threads exit after 30 s, so an unused context holds no thread. Contexts are cheap to keep and
 * share; create one per configuration, not per call.
 *
 * <pre>{@code
 * Compute cpu = Compute.defaults();                         // CPU top-k, all processors
 * Compute one = Compute.defaults().withThreads(1);          // everything on the calling thread
 * Compute gpu = Compute.defaults().withTopK(cudaBackend);   // 16-bit top-k on a device
 * Compute jvm = Compute.defaults().withCpuBackend(Compute.CpuBackend.JAVA);   // no native matmul
 * List<Commit> commits = Commits.commitAll(states, plan, spec, gpu);
 * }</pre>
 */
public final class Compute {
    private static final Compute DEFAULTS = new Compute(Runtime.getRuntime().availableProcessors(), null, CpuBackend.AUTO);

    /**
     * Which kernels the runtime's CPU matrix products use (the runtime's {@code Matmul} reads it; core itself
     * has none). Each backend has its own fixed reduction order, so results are deterministic per backend but
     * may differ between backends in the last bits, like two BLAS builds.
     */
    public enum CpuBackend {
        /**
         * The native library where it is present and applies (bf16 weights, a CPU with AVX-512 BF16; without AMX
         * only for bf16-exact activations, where it is faster), else Java.
         */
        AUTO,
        /** The Java Vector API kernels everywhere. */
        JAVA,
        /** The native library where it applies (bf16 weights); without a usable library, matrix products fail naming why. */
        NATIVE;

        /** {@code auto}, {@code java} or {@code native} (any case). */
        public static CpuBackend fromName(String name) {
            for (CpuBackend b : values()) {
                if (b.name().equalsIgnoreCase(name.trim())) {
                    return b;
                }
            }
            throw new IllegalArgumentException("unknown CPU backend '" + name + "' (expected auto, java or native)");
        }
    }

    private final int threads;
    private final TopKAccelerator topK;
    private final CpuBackend cpuBackend;
    private volatile ForkJoinPool pool;

    private Compute(int threads, TopKAccelerator topK, CpuBackend cpuBackend) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads = " + threads + " (expected >= 1)");
        }
        this.threads = threads;
        this.topK = topK;
        this.cpuBackend = java.util.Objects.requireNonNull(cpuBackend, "cpuBackend");
    }

    /** The default context: CPU top-k, as many threads as available processors. */
    public static Compute defaults() {
        return DEFAULTS;
    }

    /** This context with {@code n} threads (1: everything on the calling thread). */
    public Compute withThreads(int n) {
        return new Compute(n, topK, cpuBackend);
    }

    /** This context with 16-bit top-k on {@code accelerator} ({@code null}: the CPU kernels). */
    public Compute withTopK(TopKAccelerator accelerator) {
        return new Compute(threads, accelerator, cpuBackend);
    }

    /** This context with the runtime's matrix products on {@code backend} (default {@link CpuBackend#AUTO}). */
    public Compute withCpuBackend(CpuBackend backend) {
        return new Compute(threads, topK, backend);
    }

    /** The CPU matrix-product backend the runtime uses. */
    public CpuBackend cpuBackend() {
        return cpuBackend;
    }

    public int threads() {
        return threads;
    }

    /** The top-k accelerator, when one is set. */
    public Optional<TopKAccelerator> topK() {
        return Optional.ofNullable(topK);
    }

    /**
     * 16-bit top-k of {@code a[off, off+len)} (see {@link TopK#select16Cpu}) on this context's accelerator,
     * or on the CPU kernels when there is none.
     */
    public TopKAccelerator.Result select16(short[] a, int off, int len, int k, int magMask, int nonFinite) {
        return TopK.select16(topK, a, off, len, k, magMask, nonFinite);
    }

    /**
     * One line for logs: which path the vector kernels of this JVM take (the Vector API and its width, or
     * scalar and why). The choice is made once per JVM ({@code --add-modules jdk.incubator.vector},
     * {@code -Dtoploc.scalar=true}); it never changes a result, only the speed.
     */
    public static String vectorPath() {
        return dev.toploc.internal.Simd.describe();
    }

    /**
     * Runs {@code body} for {@code 0..n-1}, each index once, on up to {@link #threads()} threads. The body
     * must write only what belongs to its index; then the result does not depend on the thread count.
     */
    public void forEach(int n, IntConsumer body) {
        if (threads == 1 || n < 2) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        ForkJoinPool p = pool();
        if (Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == p) {
            IntStream.range(0, n).parallel().forEach(body);
        } else {
            p.submit(() -> IntStream.range(0, n).parallel().forEach(body)).join();
        }
    }

    /** A task that may fail with a checked exception. */
    @FunctionalInterface
    public interface Task<T, E extends Exception> {
        T run(int i) throws E;
    }

    /**
     * Runs {@code task} for {@code 0..n-1} on up to {@link #threads()} threads and returns the results in
     * index order, in {@code out}. If tasks fail, the failure of the lowest index is rethrown (the same one
     * whatever the schedule).
     */
    @SuppressWarnings("unchecked")
    public <T, E extends Exception> T[] map(int n, T[] out, Task<T, E> task) throws E {
        if (threads == 1 || n < 2) {
            for (int i = 0; i < n; i++) {
                out[i] = task.run(i);
            }
            return out;
        }
        AtomicReferenceArray<Exception> failures = new AtomicReferenceArray<>(n);
        forEach(n, i -> {
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

    private ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (this) {
                p = pool;
                if (p == null) {
                    p = new ForkJoinPool(threads, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, false,
                            0, threads, 1, x -> true, 30, TimeUnit.SECONDS);
                    pool = p;
                }
            }
        }
        return p;
    }

    @Override
    public String toString() {
        return "Compute[threads=" + threads + ", topK=" + (topK == null ? "cpu" : topK.name()) + ", cpuBackend="
                + cpuBackend.name().toLowerCase(java.util.Locale.ROOT) + "]";
    }
}
