package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
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
