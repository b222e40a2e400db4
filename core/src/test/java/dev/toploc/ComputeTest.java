package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.internal.TopK;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The compute context: its own threads, its own top-k device, and results that depend on neither. */
class ComputeTest {
    static final int HIDDEN = 256;

    /** The scalar twin as a top-k device: a real kernel other than the default vector path, counting its calls. */
    static final class ScalarTwin implements TopKAccelerator {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public TopKAccelerator.Result select16(short[] a, int off, int len, int k, int magMask, int nonFinite) {
            calls.incrementAndGet();
            return TopK.select16Scalar(a, off, len, k, magMask, nonFinite);
        }

        @Override
        public String name() {
            return "scalar twin";
        }
    }

    @Test
    void threadCountBelowOne_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> Compute.defaults().withThreads(0));
        assertEquals(Runtime.getRuntime().availableProcessors(), Compute.defaults().threads());
        assertTrue(Compute.defaults().topK().isEmpty());
    }

    @Test
    void forEach_runsEachIndexOnce_onAtMostItsThreads_notTheCommonPool() {
        Compute three = Compute.defaults().withThreads(3);
        int n = 2000;
        AtomicIntegerArray seen = new AtomicIntegerArray(n);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        three.forEach(n, i -> {
            seen.incrementAndGet(i);
            threads.add(Thread.currentThread());
            busy();
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen.get(i), "index " + i);
        }
        assertTrue(threads.size() <= 3, threads.size() + " threads");
        for (Thread t : threads) {
            assertTrue(t instanceof ForkJoinWorkerThread w && w.getPool() != ForkJoinPool.commonPool(), t.getName());
        }
        Set<Thread> one = ConcurrentHashMap.newKeySet();
        Compute.defaults().withThreads(1).forEach(100, i -> one.add(Thread.currentThread()));
        assertEquals(Set.of(Thread.currentThread()), one);
    }

    private static void busy() {
        double x = 0;
        for (int i = 0; i < 2000; i++) {
            x += Math.sqrt(i);
        }
        if (x < 0) {
            throw new AssertionError();
        }
    }

    @Test
    void map_rethrowsTheLowestFailingIndex_whateverTheSchedule() {
        for (int threads : new int[] {1, 2, 4}) {
            Compute c = Compute.defaults().withThreads(threads);
            InvalidStatesException e = assertThrows(InvalidStatesException.class, () -> c.map(50, new Integer[50], i -> {
                if (i % 7 == 3) {
                    throw new InvalidStatesException("task " + i);
                }
                return i;
            }));
            assertEquals("task 3", e.getMessage());
        }
    }

    @Test
    void contexts_changeWhereTopKRuns_notTheCommits() throws Exception {
        HiddenStates s = HiddenStates.ofFloats(VerifierTest.statesOf(11, 90, HIDDEN), 90, HIDDEN);
        ChunkPlan plan = ChunkPlan.forSequence(20, 70, PositionConvention.PRODUCED, true, 32);
        CommitSpec spec = CommitSpec.DEFAULT;
        ScalarTwin twin = new ScalarTwin();
        List<Commit> cpu = Commits.commitAll(s, plan, spec, Compute.defaults().withThreads(1));
        assertEquals(0, twin.calls.get());
        List<Commit> dev = Commits.commitAll(s, plan, spec, Compute.defaults().withThreads(3).withTopK(twin));
        assertEquals(cpu, dev);
        assertEquals(plan.size(), twin.calls.get(), "every chunk's top-k ran on the context's device");
        assertSame(twin, Compute.defaults().withTopK(twin).topK().orElseThrow());

        // negative control: a device that selects otherwise changes the commits, so the route is the context's
        TopKAccelerator wrong = new TopKAccelerator() {
            @Override
            public TopKAccelerator.Result select16(short[] a, int off, int len, int k, int magMask, int nonFinite) {
                TopKAccelerator.Result r = TopK.select16Scalar(a, off, len, k, magMask, nonFinite);
                int[] idx = r.indices().clone();
                idx[0] = idx[0] == 0 ? (idx[1] == 1 ? len - 1 : 1) : 0;   // still distinct, no longer the top-k
                java.util.Arrays.sort(idx);
                return new TopKAccelerator.Result(idx, -1);
            }

            @Override
            public String name() {
                return "wrong";
            }
        };
        assertNotEquals(cpu, Commits.commitAll(s, plan, spec, Compute.defaults().withTopK(wrong)));
    }

    @Test
    void concurrentCommitsAndVerifications_withDifferentContexts_giveWhatEachGivesAlone() throws Exception {
        ChunkPlan plan = ChunkPlan.forSequence(20, 70, PositionConvention.PRODUCED, true, 32);
        CommitSpec spec = CommitSpec.DEFAULT;
        AcceptancePolicy policy = AcceptancePolicy.defaults(spec);
        HiddenStates mine = HiddenStates.ofFloats(VerifierTest.statesOf(5, 90, HIDDEN), 90, HIDDEN);
        float[] noisy = VerifierTest.statesOf(5, 90, HIDDEN);
        for (int i = 0; i < noisy.length; i += 3) {
            noisy[i] *= 1.01f;
        }
        HiddenStates theirs = HiddenStates.ofFloats(noisy, 90, HIDDEN);
        List<Commit> claimed = Commits.commitAll(theirs, plan, spec);
        ScalarTwin twin = new ScalarTwin();
        Compute[] contexts = {Compute.defaults().withThreads(1), Compute.defaults().withThreads(3).withTopK(twin),
                Compute.defaults().withThreads(2)};
        List<List<Commit>> aloneCommits = new ArrayList<>();
        List<VerificationReport> aloneReports = new ArrayList<>();
        for (Compute c : contexts) {
            aloneCommits.add(Commits.commitAll(mine, plan, spec, c));
            aloneReports.add(Verifier.check(mine, plan, spec, claimed, policy, TieRule.STRICT, c));
        }
        assertEquals(aloneCommits.get(0), aloneCommits.get(1));
        assertEquals(aloneReports.get(0), aloneReports.get(2));
        ExecutorService pool = Executors.newFixedThreadPool(contexts.length * 2);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Object>> commitRuns = new ArrayList<>();
            List<Future<Object>> reportRuns = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (Compute c : contexts) {
                    commitRuns.add(pool.submit(() -> {
                        start.await();
                        return Commits.commitAll(mine, plan, spec, c);
                    }));
                    reportRuns.add(pool.submit(() -> {
                        start.await();
                        return Verifier.check(mine, plan, spec, claimed, policy, TieRule.STRICT, c);
                    }));
                }
            }
            start.countDown();
            for (int i = 0; i < commitRuns.size(); i++) {
                assertEquals(aloneCommits.get(i % contexts.length), commitRuns.get(i).get(), "commits, run " + i);
                assertEquals(aloneReports.get(i % contexts.length), reportRuns.get(i).get(), "report, run " + i);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(twin.calls.get() > 0);
    }

    @Test
    void hooksOnDifferentContexts_concurrently_giveTheWholeStateCommits() throws Exception {
        int p = 17;
        int n = 75;
        float[] s = VerifierTest.statesOf(23, p + n, CommitHookTest.HIDDEN);
        List<Commit> want = Commits.commitAll(HiddenStates.ofFloats(s, p + n, CommitHookTest.HIDDEN),
                ChunkPlan.forSequence(p, n, PositionConvention.PRODUCED, true, 32), CommitSpec.DEFAULT);
        ScalarTwin twin = new ScalarTwin();
        ExecutorService engines = Executors.newFixedThreadPool(4);
        try (CommitHook cpu = CommitHook.create(CommitSpec.DEFAULT, CommitHookTest.HIDDEN, Compute.defaults().withThreads(1), 4);
             CommitHook dev = CommitHook.create(CommitSpec.DEFAULT, CommitHookTest.HIDDEN, Compute.defaults().withThreads(3).withTopK(twin), 4)) {
            List<Future<List<Commit>>> got = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                CommitHook h = i % 2 == 0 ? cpu : dev;
                int mode = i % 3;
                got.add(engines.submit(() -> CommitHookTest.viaHook(h, s, p, n, PositionConvention.PRODUCED, true, mode)));
            }
            for (int i = 0; i < got.size(); i++) {
                assertEquals(want, got.get(i).get(), "sequence " + i);
            }
        } finally {
            engines.shutdown();
        }
        assertTrue(twin.calls.get() >= 4 * 4, twin.calls.get() + " top-k calls on the device context");
    }
}
