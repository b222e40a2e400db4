package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.vectors.RandnWorkload;
import dev.toploc.vectors.TestVectors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tie tolerance against torch's own tie choice (docs/commit-format.md, "Ties at the k-th magnitude"):
 * {@code test-vectors/torch-ties/randn-1000x5120-bf16.json} holds the indices torch 1.13's CPU top-k chose
 * in each chunk of the reference's workload (1000 x 5120 bf16 randn, k = 128, B = 32, no prefill;
 * {@code scripts/torch-ties.py}), for states rebuilt here from the seed ({@link RandnWorkload}). The commits
 * are built from torch's selection, as the reference's {@code build_proofs} would commit them.
 */
class TorchTiesTest {

    static final int K = 128;
    static final int B = 32;

    static JsonNode doc;
    static short[] states;
    /** Per chunk: torch's indices, ascending. */
    static List<int[]> torch;
    static ChunkPlan plan;

    @BeforeAll
    static void load() throws Exception {
        doc = new ObjectMapper().readTree(TestVectors.root().resolve("torch-ties/randn-1000x5120-bf16.json").toFile());
        JsonNode s = doc.get("states");
        assertEquals(RandnWorkload.SEED, s.get("seed").asLong(), "the selection was made for the committed seed");
        assertEquals(RandnWorkload.ROWS, s.get("rows").asInt());
        assertEquals(RandnWorkload.HIDDEN, s.get("hidden").asInt());
        assertEquals(K, doc.get("topk").asInt());
        assertEquals(B, doc.get("decode_batching_size").asInt());
        assertTrue(doc.get("skip_prefill").asBoolean());
        states = RandnWorkload.bf16();
        assertEquals(s.get("sha256").asText(), RandnWorkload.sha256(states), "the rebuilt states are the bytes torch read");
        plan = ChunkPlan.forRows(0, RandnWorkload.ROWS, B);
        torch = new ArrayList<>();
        for (JsonNode c : doc.get("chunks")) {
            int[] idx = new int[c.get("indices").size()];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = c.get("indices").get(i).asInt();
            }
            Arrays.sort(idx);
            torch.add(idx);
        }
        assertEquals(plan.size(), torch.size(), "the script's chunks are the plan's: rows [32c, 32c + 32), no prefill");
    }

    static int off(ChunkPlan.Chunk c) {
        return c.firstRow() * RandnWorkload.HIDDEN;
    }

    static int len(ChunkPlan.Chunk c) {
        return c.rowCount() * RandnWorkload.HIDDEN;
    }

    static short[] at(int off, int[] idx) {
        short[] out = new short[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = states[off + idx[i]];
        }
        return out;
    }

    static int kth(int off, int[] idx) {
        int kth = Integer.MAX_VALUE;
        for (int i : idx) {
            kth = Math.min(kth, states[off + i] & 0x7FFF);
        }
        return kth;
    }

    static List<Commit> torchCommits() throws InvalidStatesException {
        List<Commit> out = new ArrayList<>();
        for (ChunkPlan.Chunk c : plan.chunks()) {
            int[] idx = torch.get(c.index());
            out.add(Commits.commitSelection(idx, at(off(c), idx), Dtype.BF16));
        }
        return out;
    }

    /** The file itself: every chunk's selection is a top-k of that chunk (a valid tie choice), and matches the script's rows. */
    @Test
    void torchsSelection_isATopKOfEachChunk() {
        for (ChunkPlan.Chunk c : plan.chunks()) {
            JsonNode j = doc.get("chunks").get(c.index());
            assertEquals(c.firstRow(), j.get("rows").get(0).asInt());
            assertEquals(c.endRow(), j.get("rows").get(1).asInt());
            int[] idx = torch.get(c.index());
            assertEquals(K, idx.length);
            assertTrue(idx[0] >= 0 && idx[K - 1] < len(c), "indices within the chunk");
            for (int i = 1; i < K; i++) {
                assertTrue(idx[i] > idx[i - 1], "distinct indices");
            }
            int kth = kth(off(c), idx);
            assertEquals(j.get("kth_magnitude").asInt(), kth);
            int above = 0;
            int tied = 0;
            for (int i = 0; i < len(c); i++) {
                int m = states[off(c) + i] & 0x7FFF;
                above += m > kth ? 1 : 0;
                tied += m == kth ? 1 : 0;
            }
            int chosenAbove = 0;
            for (int i : idx) {
                chosenAbove += (states[off(c) + i] & 0x7FFF) > kth ? 1 : 0;
            }
            assertEquals(above, chosenAbove, c.label() + ": every value above the k-th magnitude is chosen");
            assertEquals(j.get("above_kth").asInt(), above);
            assertEquals(j.get("tied_at_kth").asInt(), tied);
        }
    }

    /**
     * Torch's proofs against the same states: strictly (ties to the lower index) many chunks show mismatches
     * — the negative control that the workload is tied — tolerantly none does, through the verifier itself.
     */
    @Test
    void torchsCommits_haveNoMismatch_tolerantly_butDoStrictly() throws Exception {
        List<Commit> commits = torchCommits();
        HiddenStates hs = HiddenStates.ofPatterns(states, Dtype.BF16, RandnWorkload.ROWS, RandnWorkload.HIDDEN);
        VerificationReport tolerant = Verifier.check(hs, plan, CommitSpec.DEFAULT, commits, AcceptancePolicy.defaults(CommitSpec.DEFAULT), TieRule.TOLERANT);
        VerificationReport strict = Verifier.check(hs, plan, CommitSpec.DEFAULT, commits, AcceptancePolicy.defaults(CommitSpec.DEFAULT));
        int strictChunks = 0;
        int worst = 0;
        int total = 0;
        int differing = 0;
        for (int i = 0; i < plan.size(); i++) {
            VerificationReport.ChunkResult t = tolerant.chunks().get(i);
            ChunkStats s = strict.chunks().get(i).stats();
            assertEquals(new ChunkStats(K, 0, 0, 0, 0), t.stats(), t.label() + ": torch's commit, tolerantly");
            assertEquals(s, t.strictStats(), t.label() + ": the strict statistics are kept beside the tolerant ones");
            // a strict mismatch can only sit at an index the lower-index rule picks and torch did not (the
            // script's independent count); the others are committed points
            int diff = doc.get("chunks").get(i).get("lowest_index_rule_differs").asInt();
            assertTrue(s.expMismatches() <= diff, t.label() + ": " + s + " vs " + diff + " differing indices");
            strictChunks += s.expMismatches() > 0 ? 1 : 0;
            worst = Math.max(worst, s.expMismatches());
            total += s.expMismatches();
            differing += diff;
        }
        System.out.println("torch " + doc.get("torch").asText() + " ties on 1000x5120 randn bf16: strictly " + strictChunks + " of "
                + plan.size() + " chunks have exponent mismatches (worst " + worst + ", " + total + " in all, over " + differing
                + " indices where the lower-index rule differs from torch); tolerantly 0 in every chunk");
        assertTrue(tolerant.accepted(), tolerant.rejection());
        // negative control: torch's choice is not ours in most chunks, and the strict measurement shows it
        assertTrue(strictChunks >= 16, strictChunks + " chunks differ strictly");
        assertTrue(worst >= 3, "worst strict chunk " + worst);
        assertTrue(total >= 0.9 * differing, total + " strict mismatches over " + differing + " differing indices");
        // a policy tight enough for the honest strict noise of these states rejects torch's honest proofs strictly
        AcceptancePolicy tight = new AcceptancePolicy(worst - 1, 10, 8, -1, "test: one below the worst strict tie noise");
        assertFalse(Verifier.check(hs, plan, CommitSpec.DEFAULT, commits, tight).accepted(), "strictly a false rejection");
        assertTrue(Verifier.check(hs, plan, CommitSpec.DEFAULT, commits, tight, TieRule.TOLERANT).accepted(), "tolerantly accepted");
    }

    /** Torch's tied picks committed with wrong values (an exponent bit flipped): the tolerance forgives none of them. */
    @Test
    void wrongValuesAtTheTiedPicks_areCaughtTolerantly() throws Exception {
        int mismatches = 0;
        int slots = 0;
        for (ChunkPlan.Chunk c : plan.chunks()) {
            int[] idx = torch.get(c.index());
            short[] values = at(off(c), idx);
            int kth = kth(off(c), idx);
            int tiedPicks = 0;
            for (int i = 0; i < values.length; i++) {
                if ((values[i] & 0x7FFF) == kth) {
                    values[i] = (short) (values[i] ^ 0x0100);   // lowest exponent bit
                    tiedPicks++;
                }
            }
            Commits.Measured m = Commits.checkPatterns(states, off(c), len(c), Dtype.BF16, Commits.commitSelection(idx, values, Dtype.BF16), TieRule.TOLERANT);
            assertEquals(tiedPicks, m.tiedSlots(), c.label() + ": the slots are torch's tied picks");
            assertTrue(m.tolerant().expMismatches() <= m.strict().expMismatches(), m.toString());
            mismatches += m.tolerant().expMismatches();
            slots += tiedPicks;
        }
        System.out.println("torch's tied picks forged (exponent bit flipped): " + mismatches + " tolerant exponent mismatches over "
                + slots + " forged picks");
        // every forged slot stays a mismatch but for chance: a polynomial value off the committed points that
        // happens to carry the verifier's exponent (about 1 in 2^8; the strict measurement has the same chance)
        assertTrue(mismatches >= 0.9 * slots, mismatches + " tolerant mismatches over " + slots + " forged tied picks");
    }

    /** One value strictly above the tie changed: exactly that position is a mismatch tolerantly, in every chunk. */
    @Test
    void oneNonTiedValueChanged_isCaughtTolerantly() throws Exception {
        AcceptancePolicy exact = new AcceptancePolicy(0, 0, 0, 0, "test: exact");
        for (ChunkPlan.Chunk c : plan.chunks()) {
            int[] idx = torch.get(c.index());
            int kth = kth(off(c), idx);
            int top = 0;
            for (int i = 1; i < K; i++) {
                if ((states[off(c) + idx[i]] & 0x7FFF) > (states[off(c) + idx[top]] & 0x7FFF)) {
                    top = i;
                }
            }
            assertTrue((states[off(c) + idx[top]] & 0x7FFF) > kth);
            short[] exp = at(off(c), idx);
            exp[top] = (short) (exp[top] ^ 0x0080);   // its exponent's lowest bit
            Commits.Measured e = Commits.checkPatterns(states, off(c), len(c), Dtype.BF16, Commits.commitSelection(idx, exp, Dtype.BF16), TieRule.TOLERANT);
            assertEquals(1, e.tolerant().expMismatches(), c.label() + ": " + e);
            assertFalse(exact.violations(e.tolerant()).isEmpty());
            short[] mant = at(off(c), idx);
            mant[top] = (short) (mant[top] ^ 0x0001);   // its mantissa's lowest bit
            Commits.Measured m = Commits.checkPatterns(states, off(c), len(c), Dtype.BF16, Commits.commitSelection(idx, mant, Dtype.BF16), TieRule.TOLERANT);
            assertEquals(0, m.tolerant().expMismatches(), c.label() + ": " + m);
            assertTrue(m.tolerant().mantErrMean() > 0, c.label() + ": the changed mantissa shows: " + m);
            assertFalse(exact.violations(m.tolerant()).isEmpty());
        }
    }

    /** Commits of other states (the same workload, another seed) are rejected tolerantly as strictly. */
    @Test
    void otherStates_areRejectedTolerantly() throws Exception {
        short[] other = RandnWorkload.bf16(RandnWorkload.SEED + 1, RandnWorkload.ROWS, RandnWorkload.HIDDEN);
        HiddenStates mine = HiddenStates.ofPatterns(states, Dtype.BF16, RandnWorkload.ROWS, RandnWorkload.HIDDEN);
        List<Commit> alien = Commits.commitAll(HiddenStates.ofPatterns(other, Dtype.BF16, RandnWorkload.ROWS, RandnWorkload.HIDDEN), plan, CommitSpec.DEFAULT);
        VerificationReport r = Verifier.check(mine, plan, CommitSpec.DEFAULT, alien, AcceptancePolicy.defaults(CommitSpec.DEFAULT), TieRule.TOLERANT);
        for (VerificationReport.ChunkResult ch : r.chunks()) {
            assertFalse(ch.passed(), ch.label() + ": " + ch.stats());
        }
    }
}
