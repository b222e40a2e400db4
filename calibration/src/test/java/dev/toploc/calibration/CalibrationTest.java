package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.policy.PolicyFile;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelIdentity;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A small run on the embedded models, end to end, and the decision it makes checked against the verifier's own. */
class CalibrationTest {
    static final Path A = TestVectors.model("tiny-fortunes-llama");
    static final Path B = TestVectors.model("tiny-fortunes-llama-b");

    static final List<String> GPU = List.of("GPU: flash attention (key blocks of 64, P in bf16), provider bf16",
            "GPU: flash attention (key blocks of 128, P in fp16), provider fp16", "GPU: split-K 2, provider bf16", "GPU: split-K 4, provider bf16",
            "GPU: split-K 8 (pairwise), provider bf16", "GPU: fused residual+RMSNorm (bf16 residual), provider bf16", "GPU: TF32 matmul inputs, provider fp32",
            "GPU: flash attention (key blocks of 64, P in bf16), prefill in chunks of 16, provider bf16, long prompt (>= 256 tokens), 16-token completion",
            "GPU: flash attention (key blocks of 64, P in bf16), split-K 4 (pairwise), fused residual+RMSNorm (bf16 residual), prefill in chunks of 16, "
                    + "provider bf16");

    static List<String> concat(List<String> a, List<String> b, List<String> c) {
        List<String> l = new java.util.ArrayList<>(a);
        l.addAll(b);
        l.addAll(c);
        return l;
    }

    @Test
    void theStandardPlan_keepsTheTablesRows_inOrder() {
        List<String> full = Scenario.standard(true).stream().map(Scenario::name).toList();
        List<String> tokenAttacks = List.of("speculative decoding, draft states committed",
                "speculative decoding coupled to the seed, draft states committed", "samples at temperature 1.0, claims 0.8",
                "samples within top-p 0.9, claims plain sampling", "draft picks the tokens, claimed-model prefill commits");
        List<String> weightAttacks = List.of("another model (substitution)", "8-bit weights (per row)", "4-bit weights (group 32)",
                "weights x (1 + 1% noise)", "one prompt token changed");
        assertEquals(concat(List.of("provider bf16", "provider fp32", "provider bf16, greedy", "provider fp16", "provider bf16 on 1 thread (verifier on 2)",
                "provider bf16 on the Java kernels (verifier: native CPU backend where present)",
                "provider bf16, verifier streams layers", "long prompt (>= 256 tokens), 16-token completion", "short prompt, 200-token completion",
                "decode-steps positions"), GPU, concat(weightAttacks, tokenAttacks, List.of("system prompt prefix added", "system prompt prefix removed",
                "commits from another completion (replay)", "commits shifted by one position", "random commits", "all-zero commits",
                "fp16 provider claimed as bf16", "bf16 provider claimed as fp16"))), full);
        assertEquals(concat(List.of("provider bf16", "provider fp32", "provider bf16, greedy"), GPU, concat(weightAttacks, tokenAttacks, List.of())),
                Scenario.standard(false).stream().map(Scenario::name).toList());
        Plan quick = Plan.standard(A, B, true);
        assertEquals(List.of("tiny-fortunes-llama", "random Qwen2.5-0.5B widths, 2 layers"), quick.families().stream().map(Family::name).toList());
        assertEquals(List.of("tiny-fortunes-llama", "random Qwen2.5-0.5B widths, 2 layers", "random Llama-3-8B widths, 2 layers",
                Plan.QWEN3), Plan.standard(A, B, false).families().stream().map(Family::name).toList());
        assertEquals(12, Plan.standard(A, B, false).families().get(0).prompts());
    }

    @Test
    void aSmallRun_decidesAsTheVerifierDoes_andWritesItsPolicyFile() throws Exception {
        List<Scenario> rows = Scenario.standard(true).stream()
                .filter(s -> List.of("provider bf16", GPU.get(8), "another model (substitution)", "random commits", "all-zero commits",
                        "one prompt token changed").contains(s.name())).toList();
        Family f = new Family("tiny", new Family.ModelSource.Folder(A), new Family.ModelSource.Folder(B), 2, 16, rows);
        Plan plan = new Plan(List.of(f), List.of(ComputeMode.FP32, ComputeMode.BF16), Claims.SPEC, ThresholdRule.STANDARD);
        List<String> events = new java.util.ArrayList<>();
        CalibrationResult r = Calibration.run(plan, new Calibration.Progress() {
            @Override
            public void scenarioStarted(Family family, Scenario scenario, int index, int count) {
                events.add("start " + index + "/" + count + " " + scenario.name());
            }

            @Override
            public void runDone(Family family, Scenario scenario, int run, int runs, double seconds) {
                assertTrue(seconds >= 0);
                events.add("run " + run + "/" + runs);
            }

            @Override
            public void scenarioDone(Family family, Scenario scenario, double seconds) {
                events.add("done " + scenario.name());
            }
        });
        Thresholds t = r.thresholds().get("tiny");
        assertEquals(rows.size() * 2 * 2, r.measurements().size());
        List<String> expected = new java.util.ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            expected.addAll(List.of("start " + (i + 1) + "/" + rows.size() + " " + rows.get(i).name(), "run 1/2", "run 2/2", "done " + rows.get(i).name()));
        }
        assertEquals(expected, events, "progress per scenario and per run, in order");

        // The same claims again, each decided by the verifier itself under the derived policy.
        Map<Scenario.Weights, Model> models = new EnumMap<>(Scenario.Weights.class);
        models.put(Scenario.Weights.CLAIMED, Model.load(A));
        models.put(Scenario.Weights.OTHER_MODEL, Model.load(B));
        int accepted = 0;
        int rejected = 0;
        int k = 0;
        try {
            for (Scenario s : rows) {
                for (int i = 0; i < 2; i++) {
                    Submission c = Calibration.submit(s.provider(), models, i, 16);
                    for (ComputeMode mode : plan.verifierModes()) {
                        Measurement m = Calibration.measure(f, s, c, models.get(Scenario.Weights.CLAIMED), mode, i);
                        assertEquals(r.measurements().get(k++), m, "the run is deterministic");
                        boolean verifier = c.formatError() == null && accepted(c, models.get(Scenario.Weights.CLAIMED), mode, t);
                        assertEquals(verifier, t.accepts(m), s.name() + " prompt " + i + " " + mode + ": " + t.violations(m));
                        if (verifier) {
                            accepted++;
                        } else {
                            rejected++;
                        }
                    }
                }
            }
        } finally {
            models.values().forEach(Model::close);
        }
        assertTrue(accepted >= 2 && rejected >= 12, "both verdicts occur (the calibration split always passes): " + accepted + " accepted, " + rejected + " rejected");

        String md = CalibrationReport.markdown(r, Machine.current(), "test");
        assertTrue(md.contains("| provider bf16 | pass | "), md);
        assertTrue(md.contains("| another model (substitution) | fail | 0% · "), md);
        JsonNode j = new ObjectMapper().readTree(CalibrationReport.json(r));
        assertEquals(t.policy().maxExpMismatches(), j.path("policies").path("tiny").path("maxExpMismatches").asInt());
        assertEquals(r.measurements().size(), j.path("samples").size());

        PolicyFile pf = r.policyFile("tiny");
        ModelIdentity id;
        try (Model m = Model.load(A)) {
            id = m.identity();
        }
        pf.requireModel(id.configDigest(), id.weightsDigest());
        assertEquals(t.policy(), pf.policy());
        assertArrayEquals(pf.toJson(), PolicyFile.parse(pf.toJson(), "round trip").toJson());
    }

    /** The verifier entry point's own verdict on {@code c} (its commits and tokens; the attacks claim the right model). */
    static boolean accepted(Submission c, dev.toploc.runtime.Model model, ComputeMode mode, Thresholds t) throws Exception {
        InferenceVerifier v = InferenceVerifier.builder().mode(mode).policy(t.policy())
                .sampling(new InferenceVerifier.SamplingCheck(true, t.logitMargin(), 0)).build();
        try {
            return v.verify(model, dev.toploc.attest.Claim.of(c.attestation()).withoutModel()).accepted();
        } catch (dev.toploc.runtime.ClaimRejectedException rejected) {
            return false;
        }
    }
}
