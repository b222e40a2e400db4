package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Verdicts and every bad input of the verifier, on synthetic lognormal-ish states. */
class VerifierTest {

    static final int HIDDEN = 256;

    static float[] states(long seed, int rows) {
        return statesOf(seed, rows, HIDDEN);
    }

    static float[] statesOf(long seed, int rows, int hidden) {
        Random r = new Random(seed);
        float[] f = new float[rows * hidden];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (Math.exp(r.nextGaussian()) * (r.nextBoolean() ? 1 : -1));
        }
        return f;
    }

    static final CommitSpec SPEC = CommitSpec.DEFAULT;
    static final ChunkPlan PLAN = ChunkPlan.forSequence(20, 70, PositionConvention.PRODUCED, true, 32);

    @Test
    void plan_coversPromptThenProducedPositions() {
        assertEquals(4, PLAN.size());
        assertEquals(new ChunkPlan.Chunk(0, 0, 20, true), PLAN.chunk(0));
        assertEquals(new ChunkPlan.Chunk(1, 19, 32, false), PLAN.chunk(1));
        assertEquals(new ChunkPlan.Chunk(3, 83, 6, false), PLAN.chunk(3));
        assertEquals(89, PLAN.rows());
        ChunkPlan steps = ChunkPlan.forSequence(20, 70, PositionConvention.DECODE_STEPS, false, 32);
        assertEquals(new ChunkPlan.Chunk(0, 20, 32, false), steps.chunk(0));
        assertEquals(new ChunkPlan.Chunk(2, 84, 5, false), steps.chunk(2));
    }

    @Test
    void honestRerunInAnotherPrecision_isAccepted() throws Exception {
        float[] f = states(1, 90);
        List<Commit> commits = Commits.commitAll(HiddenStates.ofFloats(f, 90, HIDDEN), PLAN, SPEC);
        float[] rerun = f.clone();
        for (int i = 0; i < rerun.length; i++) {
            rerun[i] *= 1.001f;   // a small relative error, as another kernel would make
        }
        VerificationReport r = Verifier.verify(HiddenStates.ofFloats(rerun, 90, HIDDEN), PLAN, SPEC, commits, AcceptancePolicy.defaults(SPEC));
        assertTrue(r.accepted());
    }

    @Test
    void otherStates_areRejectedNamingChunkAndCheck() throws Exception {
        List<Commit> commits = Commits.commitAll(HiddenStates.ofFloats(states(1, 90), 90, HIDDEN), PLAN, SPEC);
        VerificationException e = assertThrows(VerificationException.class, () -> Verifier.verify(
                HiddenStates.ofFloats(states(2, 90), 90, HIDDEN), PLAN, SPEC, commits, AcceptancePolicy.defaults(SPEC)));
        assertTrue(e.getMessage().startsWith("rejected: chunk 0 (prefill rows 0..19): exp_mismatches "), e.getMessage());
        assertTrue(e.getMessage().contains("(and 3 more of 4 chunks)"), e.getMessage());
        assertEquals(4, e.report().failures().size());
    }

    @Test
    void boundsOfTheirOwn_judgeOnlyTheirKindOfChunk() throws Exception {
        float[] f = states(1, 90);
        List<Commit> commits = Commits.commitAll(HiddenStates.ofFloats(f, 90, HIDDEN), PLAN, SPEC);
        float[] rerun = f.clone();
        for (int i = 0; i < rerun.length; i++) {
            rerun[i] *= 1.01f;      // every chunk gets mantissa errors
        }
        HiddenStates mine = HiddenStates.ofFloats(rerun, 90, HIDDEN);
        AcceptancePolicy loose = AcceptancePolicy.defaults(SPEC);
        AcceptancePolicy.ChunkBounds none = new AcceptancePolicy.ChunkBounds(0, 0, 0, 0);
        assertTrue(Verifier.check(mine, PLAN, SPEC, commits, loose).accepted(), "the negative control: the loose bounds pass every chunk");
        for (var kind : AcceptancePolicy.ChunkKind.values()) {
            AcceptancePolicy p = loose.withKinds(java.util.Map.of(kind, none));
            List<Integer> failed = Verifier.check(mine, PLAN, SPEC, commits, p).failures().stream().map(c -> c.chunk().index()).toList();
            assertEquals(switch (kind) {
                case PREFILL -> List.of(0);
                case DECODE -> List.of(1, 2);
                case SHORT_DECODE -> List.of(3);
            }, failed, kind.toString());
        }
    }

    @Property(tries = 20, seed = "20261128")
    void anyCommitReplacedByAnotherChunks_isRejected(@ForAll @IntRange(min = 0, max = 3) int victim,
                                                     @ForAll @IntRange(min = 1, max = 3) int shift) throws Exception {
        HiddenStates s = HiddenStates.ofFloats(states(3, 90), 90, HIDDEN);
        List<Commit> commits = new ArrayList<>(Commits.commitAll(s, PLAN, SPEC));
        commits.set(victim, commits.get((victim + shift) % 4));
        VerificationException e = assertThrows(VerificationException.class,
                () -> Verifier.verify(s, PLAN, SPEC, commits, AcceptancePolicy.defaults(SPEC)));
        assertEquals(List.of(victim), e.report().failures().stream().map(c -> c.chunk().index()).toList());
    }

    @Test
    void commitCountMismatch_isATypedError() throws Exception {
        HiddenStates s = HiddenStates.ofFloats(states(1, 90), 90, HIDDEN);
        List<Commit> commits = Commits.commitAll(s, PLAN, SPEC).subList(0, 3);
        CommitFormatException e = assertThrows(CommitFormatException.class,
                () -> Verifier.verify(s, PLAN, SPEC, commits, AcceptancePolicy.defaults(SPEC)));
        assertEquals("commit count 3 does not match the chunk plan's 4 chunks (1 prefill + 3 decode chunks of up to 32 positions)", e.getMessage());
    }

    @Test
    void commitOfAnotherK_isATypedError() throws Exception {
        HiddenStates s = HiddenStates.ofFloats(states(1, 90), 90, HIDDEN);
        List<Commit> commits = Commits.commitAll(s, PLAN, new CommitSpec(Dtype.BF16, 64, 32));
        CommitFormatException e = assertThrows(CommitFormatException.class,
                () -> Verifier.verify(s, PLAN, SPEC, commits, AcceptancePolicy.defaults(SPEC)));
        assertEquals("commit 0: has k = 64 coefficients, expected k = 128", e.getMessage());
    }

    @Test
    void nanAndInf_areTypedErrorsNamingTheValue() {
        float[] f = states(1, 90);
        f[40 * HIDDEN + 7] = Float.NaN;     // row 40: the 22nd row of chunk 1 (rows 19..50)
        InvalidStatesException e = assertThrows(InvalidStatesException.class,
                () -> Commits.commitAll(HiddenStates.ofFloats(f, 90, HIDDEN), PLAN, SPEC));
        assertEquals("chunk 1 (decode rows 19..50): NaN at row 21 of the chunk, column 7 (bf16 pattern 0x7FC0); hidden states must be finite",
                e.getMessage());
        float[] g = states(1, 90);
        g[3] = Float.NEGATIVE_INFINITY;
        e = assertThrows(InvalidStatesException.class, () -> Commits.commitAll(HiddenStates.ofFloats(g, 90, HIDDEN), PLAN, SPEC));
        assertTrue(e.getMessage().startsWith("chunk 0 (prefill rows 0..19): Inf at row 0 of the chunk, column 3 (bf16 pattern 0xFF80)"), e.getMessage());
    }

    @Test
    void kLargerThanTheChunk_andEmptyInput_areTypedErrors() {
        InvalidStatesException e = assertThrows(InvalidStatesException.class,
                () -> Commits.commitFloats(new float[100], 0, 100, Dtype.BF16, 128));
        assertEquals("chunk has 100 values, fewer than k = 128", e.getMessage());
        e = assertThrows(InvalidStatesException.class, () -> Commits.commitFloats(new float[0], 0, 0, Dtype.BF16, 128));
        assertEquals("chunk: empty (no values to commit to)", e.getMessage());
        HiddenStates narrow = HiddenStates.ofFloats(states(1, 90), 90 * 2, HIDDEN / 2);
        e = assertThrows(InvalidStatesException.class, () -> Commits.commitAll(narrow, ChunkPlan.forRows(0, 181, 32), SPEC));
        assertEquals("states have 180 rows but the chunk plan reads 181 (expected one row per position)", e.getMessage());
        IllegalArgumentException iae = assertThrows(IllegalArgumentException.class, () -> HiddenStates.ofFloats(new float[0], 0, 256));
        assertTrue(iae.getMessage().contains("at least one row"));
    }

    @Test
    void tailChunkSmallerThanK_isATypedError() {
        // hidden 64, chunk of 1 row = 64 values < k = 128
        ChunkPlan plan = ChunkPlan.forRows(0, 33, 32);
        InvalidStatesException e = assertThrows(InvalidStatesException.class,
                () -> Commits.commitAll(HiddenStates.ofFloats(new float[33 * 64], 33, 64), plan, SPEC));
        assertEquals("chunk 1 has 64 values (1 x 64), fewer than k = 128", e.getMessage());
    }

    @Test
    void fp32WideEncoding_roundTripsAndChecksExactly() throws Exception {
        CommitSpec wide = new CommitSpec(Dtype.FP32, 128, 32);
        HiddenStates s = HiddenStates.ofFloats(states(5, 90), 90, HIDDEN);
        List<Commit> commits = Commits.commitAll(s, PLAN, wide);
        for (Commit c : commits) {
            assertEquals(CommitEncoding.W32, c.encoding());
            assertEquals(4 + 4 * 128, c.toBytes().length);
            assertEquals(c, Commit.fromBase64(c.toBase64(), CommitEncoding.W32, 128));
        }
        VerificationReport r = Verifier.verify(s, PLAN, wide, commits, AcceptancePolicy.defaults(wide));
        for (VerificationReport.ChunkResult c : r.chunks()) {
            assertEquals(new ChunkStats(128, 0, 0, 0.0, 0.0), c.stats());
        }
        // the same states one bf16 ulp away: fp32 mantissas differ by ~2^16 ulps, a mismatch a bf16 check cannot see
        float[] f = states(5, 90);
        for (int i = 0; i < f.length; i++) {
            f[i] = Math.nextUp(f[i]);
        }
        VerificationReport shifted = Verifier.check(HiddenStates.ofFloats(f, 90, HIDDEN), PLAN, wide, commits, AcceptancePolicy.defaults(wide));
        assertEquals(1.0, shifted.chunks().get(1).stats().mantErrMean());
    }

    @Test
    void everyDtype_selfChecksWithZeroError() throws Exception {
        for (Dtype d : Dtype.values()) {
            CommitSpec spec = new CommitSpec(d, 64, 32);
            HiddenStates s = HiddenStates.ofFloats(states(9, 90), 90, HIDDEN);
            List<Commit> commits = Commits.commitAll(s, PLAN, spec);
            VerificationReport r = Verifier.verify(s, PLAN, spec, commits, AcceptancePolicy.defaults(spec));
            for (VerificationReport.ChunkResult c : r.chunks()) {
                assertEquals(new ChunkStats(64, 0, 0, 0.0, 0.0), c.stats(), d + " " + c.label());
            }
        }
    }
}
