package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toploc.internal.TopK;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every golden vector made by the reference TOPLOC implementation: tie-free cases reproduce its commits
 * byte for byte; every case reproduces its self-check and perturbed-check statistics exactly.
 */
class ReferenceVectorsTest {

    record Case(String name, Path json, JsonNode node, Dtype dtype, ChunkPlan plan, CommitSpec spec, int hidden) {
        @Override
        public String toString() {
            return name;
        }

        HiddenStates states(String file, String sha) {
            byte[] b = Golden.bytes(json.resolveSibling(file), sha);
            int rows = plan.rows();
            return HiddenStates.ofPatterns(Golden.shortsLE(b), dtype, rows, hidden);
        }

        List<Commit> referenceCommits() throws CommitFormatException {
            return Golden.commits(Golden.strings(node.get("proofs_base64")), spec.encoding(), spec.topK());
        }
    }

    static Stream<Case> cases() {
        return Golden.referenceCases().map(p -> {
            JsonNode n = Golden.json(p);
            Dtype dtype = Dtype.fromWireName(n.get("dtype").asText());
            int k = n.get("topk").asInt();
            int b = n.get("decode_batching_size").asInt();
            int prefill = n.get("skip_prefill").asBoolean() ? 0 : n.get("prefill_rows").asInt();
            ChunkPlan plan = ChunkPlan.forRows(prefill, n.get("decode_rows").asInt(), b);
            return new Case(n.get("name").asText(), p, n, dtype, plan, new CommitSpec(dtype, k, b), n.get("hidden").asInt());
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void tieFreeCommits_matchReferenceByteForByte(Case c) throws Exception {
        Assumptions.assumeTrue(c.node().get("topk_set_unique").asBoolean(),
                "ties at the k-th magnitude: torch chose among them arbitrarily");
        HiddenStates states = c.states(c.node().get("activations_file").asText(), c.node().get("activations_sha256").asText());
        List<Commit> ours = Commits.commitAll(states, c.plan(), c.spec());
        List<String> expected = Golden.strings(c.node().get("proofs_base64"));
        List<String> got = new ArrayList<>();
        ours.forEach(x -> got.add(x.toBase64()));
        assertEquals(expected, got);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void selfCheck_matchesExpectedStats(Case c) throws Exception {
        HiddenStates states = c.states(c.node().get("activations_file").asText(), c.node().get("activations_sha256").asText());
        assertStats(Golden.stats(c.node().get("expected_self_check"), c.spec().topK()),
                Verifier.check(states, c.plan(), c.spec(), c.referenceCommits(), AcceptancePolicy.defaults(c.spec())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void perturbedCheck_matchesExpectedStats(Case c) throws Exception {
        JsonNode pert = c.node().get("perturbed");
        Assumptions.assumeTrue(pert != null, "no perturbed activations in this case");
        HiddenStates states = c.states(pert.get("activations_file").asText(), pert.get("activations_sha256").asText());
        assertStats(Golden.stats(pert.get("expected_results"), c.spec().topK()),
                Verifier.check(states, c.plan(), c.spec(), c.referenceCommits(), AcceptancePolicy.defaults(c.spec())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void commitsFromASelectionMadeElsewhere_equalTheWholeChunkCommits(Case c) throws Exception {
        Assumptions.assumeTrue(c.dtype().fitsV1Field(), "fp32 chunks are committed from the whole chunk only");
        HiddenStates states = c.states(c.node().get("activations_file").asText(), c.node().get("activations_sha256").asText());
        List<Commit> whole = Commits.commitAll(states, c.plan(), c.spec());
        short[] p = states.patternsUnsafe();
        for (ChunkPlan.Chunk ch : c.plan().chunks()) {
            int off = ch.firstRow() * c.hidden();
            int len = ch.rowCount() * c.hidden();
            int[] idx = TopK.select16Cpu(p, off, len, c.spec().topK(), c.dtype().magnitudeMask(), c.dtype().nonFiniteMagnitude()).indices();
            short[] gathered = new short[idx.length];
            for (int i = 0; i < idx.length; i++) {
                gathered[i] = p[off + idx[i]];
            }
            assertEquals(whole.get(ch.index()), Commits.commitSelection(idx, gathered, c.dtype()), "chunk " + ch.index());
        }
    }

    @Test
    void selectionsThatCannotBeATopK_areRefused() {
        short one = (short) 0x3F80;
        assertThrows(IllegalArgumentException.class, () -> Commits.commitSelection(new int[] {3, 2}, new short[] {one, one}, Dtype.BF16));
        assertThrows(IllegalArgumentException.class, () -> Commits.commitSelection(new int[] {2, 2}, new short[] {one, one}, Dtype.BF16));
        assertThrows(IllegalArgumentException.class, () -> Commits.commitSelection(new int[] {-1}, new short[] {one}, Dtype.BF16));
        assertThrows(IllegalArgumentException.class, () -> Commits.commitSelection(new int[] {1, 2}, new short[] {one}, Dtype.BF16));
        assertThrows(IllegalArgumentException.class, () -> Commits.commitSelection(new int[0], new short[0], Dtype.BF16));
        assertThrows(IllegalArgumentException.class, () -> Commits.commitSelection(new int[] {1}, new short[] {one}, Dtype.FP32));
        InvalidStatesException nan = assertThrows(InvalidStatesException.class,
                () -> Commits.commitSelection(new int[] {1, 9}, new short[] {one, (short) 0x7FC0}, Dtype.BF16));
        assertTrue(nan.getMessage().contains("NaN at flat index 9"), nan.getMessage());
    }

    static void assertStats(List<ChunkStats> expected, VerificationReport report) {
        assertEquals(expected.size(), report.chunks().size(), "chunk count");
        for (int i = 0; i < expected.size(); i++) {
            ChunkStats e = expected.get(i);
            ChunkStats g = report.chunks().get(i).stats();
            String where = "chunk " + i;
            assertEquals(e.expMismatches(), g.expMismatches(), where + " exp_mismatches");
            assertEquals(e.signMismatches(), g.signMismatches(), where + " sign_mismatches");
            assertEquals(e.mantErrMean(), g.mantErrMean(), 1e-9, where + " mant_err_mean");
            assertEquals(e.mantErrMedian(), g.mantErrMedian(), 1e-9, where + " mant_err_median");
        }
    }
}
