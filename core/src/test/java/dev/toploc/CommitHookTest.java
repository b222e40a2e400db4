package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The provider hook: same commits as building from whole states, under concurrency and faults. */
class CommitHookTest {
    static final int HIDDEN = 160;

    static float[] states(long seed, int rows) {
        return VerifierTest.statesOf(seed, rows, HIDDEN);
    }

    static List<Commit> viaHook(CommitHook hook, float[] s, int p, int n, PositionConvention conv, boolean prefill, int mode)
            throws TopLocException {
        CommitHook.Sequence seq = hook.open(p, conv, prefill);
        int rows = p + n - 1;
        if (mode == 0) {
            seq.addRows(s, p);
            for (int r = p; r < rows; r++) {
                seq.add(java.util.Arrays.copyOfRange(s, r * HIDDEN, (r + 1) * HIDDEN));
            }
        } else {
            try (Arena a = Arena.ofConfined()) {
                for (int r = 0; r < rows; r++) {
                    if (mode == 1) {
                        short[] row = new short[HIDDEN];
                        for (int i = 0; i < HIDDEN; i++) {
                            row[i] = Dtype.floatToBf16(s[r * HIDDEN + i]);
                        }
                        seq.add(row, Dtype.BF16);
                    } else {
                        MemorySegment m = a.allocate(HIDDEN * 4L);
                        MemorySegment.copy(s, r * HIDDEN, m, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, HIDDEN);
                        seq.add(m, Dtype.FP32);
                    }
                }
            }
        }
        return seq.finish();
    }

    @Property(tries = 30, seed = "20261128")
    void hookCommits_equalWholeStateCommits(@ForAll @IntRange(min = 1, max = 40) int p, @ForAll @IntRange(min = 1, max = 100) int n,
                                            @ForAll boolean produced, @ForAll boolean prefill, @ForAll @IntRange(min = 0, max = 2) int mode,
                                            @ForAll long seed) throws Exception {
        PositionConvention conv = produced ? PositionConvention.PRODUCED : PositionConvention.DECODE_STEPS;
        if (!produced && n == 1 && !prefill) {
            return;   // nothing to commit: tested separately
        }
        float[] s = states(seed, p + n);
        ChunkPlan plan = ChunkPlan.forSequence(p, n, conv, prefill, 32);
        List<Commit> want = Commits.commitAll(HiddenStates.ofFloats(s, p + n, HIDDEN), plan, CommitSpec.DEFAULT);
        try (CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, HIDDEN, 2, 4)) {
            assertEquals(want, viaHook(hook, s, p, n, conv, prefill, mode));
        }
    }

    @Test
    void sixtyFourConcurrentSequences_matchSequentialBuilds() throws Exception {
        int sequences = 64;
        List<float[]> states = new ArrayList<>();
        List<List<Commit>> want = new ArrayList<>();
        Random r = new Random(64);
        int[] ps = new int[sequences];
        int[] ns = new int[sequences];
        for (int i = 0; i < sequences; i++) {
            ps[i] = 1 + r.nextInt(30);
            ns[i] = 1 + r.nextInt(150);
            float[] s = states(1000 + i, ps[i] + ns[i]);
            states.add(s);
            want.add(Commits.commitAll(HiddenStates.ofFloats(s, ps[i] + ns[i], HIDDEN),
                    ChunkPlan.forSequence(ps[i], ns[i], PositionConvention.PRODUCED, true, 32), CommitSpec.DEFAULT));
        }
        ExecutorService engines = Executors.newFixedThreadPool(8);
        try (CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, HIDDEN, 2, 8)) {
            List<Future<List<Commit>>> got = new ArrayList<>();
            for (int i = 0; i < sequences; i++) {
                int k = i;
                got.add(engines.submit(() -> viaHook(hook, states.get(k), ps[k], ns[k], PositionConvention.PRODUCED, true, k % 3)));
            }
            for (int i = 0; i < sequences; i++) {
                assertEquals(want.get(i), got.get(i).get(), "sequence " + i);
            }
        } finally {
            engines.shutdown();
        }
    }

    @Test
    void nanInOneSequence_failsOnlyItsFinish_namingTheChunk() throws Exception {
        try (CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, HIDDEN, 2, 4)) {
            float[] good = states(1, 80);
            float[] bad = states(2, 80);
            bad[50 * HIDDEN + 3] = Float.NaN;
            CommitHook.Sequence a = hook.open(10, PositionConvention.PRODUCED, false);
            CommitHook.Sequence b = hook.open(10, PositionConvention.PRODUCED, false);
            a.addRows(bad, 79);
            b.addRows(good, 79);
            InvalidStatesException e = assertThrows(InvalidStatesException.class, a::finish);
            assertEquals("chunk 1 (decode rows 41..72): NaN at row 9 of the chunk, column 3 (bf16 pattern 0x7FC0); hidden states must be finite",
                    e.getMessage());
            assertEquals(3, b.finish().size());
        }
    }

    @Test
    void closedHook_andFinishedSequence_refuseWork() throws Exception {
        CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, HIDDEN, 1, 2);
        CommitHook.Sequence s = hook.open(2, PositionConvention.PRODUCED, false);
        s.addRows(states(3, 3), 3);
        assertEquals(1, s.finish().size());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.add(new float[HIDDEN]));
        assertTrue(e.getMessage().contains("finished"));
        hook.close();
        e = assertThrows(IllegalStateException.class, () -> hook.open(2, PositionConvention.PRODUCED, false));
        assertTrue(e.getMessage().contains("closed"));
    }

    @Test
    void cancel_releasesItsPendingChunks() throws Exception {
        try (CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, HIDDEN, 1, 2)) {
            for (int i = 0; i < 20; i++) {
                CommitHook.Sequence s = hook.open(4, PositionConvention.PRODUCED, true);
                s.addRows(states(i, 100), 100);
                s.cancel();
            }
            CommitHook.Sequence s = hook.open(4, PositionConvention.PRODUCED, true);
            s.addRows(states(99, 40), 40);
            assertEquals(3, s.finish().size());   // permits were all returned: no deadlock
        }
    }

    @Test
    void noDecodeRows_isATypedError() throws Exception {
        try (CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, HIDDEN, 1, 2)) {
            CommitHook.Sequence s = hook.open(3, PositionConvention.DECODE_STEPS, false);
            s.addRows(states(1, 3), 3);
            InvalidStatesException e = assertThrows(InvalidStatesException.class, s::finish);
            assertEquals("no chunk to commit: no decode positions were added", e.getMessage());
        }
    }
}
