package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkStats;
import dev.toploc.policy.Policies;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThresholdRuleTest {
    static Measurement run(boolean honest, int prompt, double gap, ChunkStats... chunks) {
        return new Measurement("f", honest ? "honest" : "attack", honest, ComputeMode.FP32, prompt, List.of(chunks), gap, null);
    }

    static ChunkStats chunk(int exp, int sign, double mean, double median) {
        return new ChunkStats(128, exp, sign, mean, median);
    }

    @Test
    void derive_isTheHonestWorstTimesTheFactor_roundedUpWhereIntegral() {
        List<Measurement> honest = List.of(
                run(true, 0, 0.2, chunk(3, 1, 0.6, 1), chunk(7, 2, 1.9, 1)),       // avg mean 1.25
                run(true, 2, 0.4, chunk(13, 5, 3.97, 2), chunk(1, 0, 0.1, 0)));   // avg mean 2.035
        Thresholds t = ThresholdRule.STANDARD.derive(honest, "test");
        AcceptancePolicy p = t.policy();
        assertEquals(20, p.maxExpMismatches());                 // ceil(1.5 * 13) = 20
        assertEquals(1.5 * 3.97, p.maxMantErrMean());           // not rounded
        assertEquals(3, p.maxMantErrMedian());                  // ceil(1.5 * 2)
        assertEquals(8, p.maxSignMismatches());                 // ceil(7.5)
        assertEquals(1.5 * ((3.97 + 0.1) / 2), p.maxAvgMantErrMean(), 1e-15);
        assertEquals(1.5 * 0.4, t.logitMargin(), 1e-15);
        assertEquals("test", p.source());
    }

    @Test
    void derive_givesAKindBoundsOfItsOwn_onlyWhereItsDataDiffers_andWithEnoughChunks() {
        // 30 runs of a prefill chunk (noisy) and two full decode chunks (quiet), one run with a short last chunk
        List<Measurement> honest = new java.util.ArrayList<>();
        var kinds = List.of(AcceptancePolicy.ChunkKind.PREFILL, AcceptancePolicy.ChunkKind.DECODE, AcceptancePolicy.ChunkKind.DECODE);
        for (int i = 0; i < 15; i++) {
            List<ChunkStats> c = List.of(chunk(12, 4, 2.0, 2), chunk(4, 1, 0.8, 1), chunk(3, 1, 0.7, 1));
            honest.add(new Measurement("f", "honest", true, ComputeMode.FP32, 2 * (i % 3), c, 0, null, kinds, c));
        }
        List<ChunkStats> c = List.of(chunk(10, 2, 1.0, 1), chunk(2, 0, 0.5, 1), chunk(9, 3, 1.9, 2));
        honest.add(new Measurement("f", "honest", true, ComputeMode.FP32, 0, c, 0, null,
                List.of(AcceptancePolicy.ChunkKind.PREFILL, AcceptancePolicy.ChunkKind.DECODE, AcceptancePolicy.ChunkKind.SHORT_DECODE), c));
        AcceptancePolicy p = ThresholdRule.STANDARD.derive(honest, "kinds").policy();
        assertEquals(18, p.maxExpMismatches(), "pooled: ceil(1.5 * 12)");
        assertEquals(java.util.Set.of(AcceptancePolicy.ChunkKind.DECODE), p.byKind().keySet(), "the prefill's own bounds are the pooled ones; "
                + "one short chunk is too few");
        assertEquals(new AcceptancePolicy.ChunkBounds(6, 1.5 * 0.8, 2, 2), p.bounds(AcceptancePolicy.ChunkKind.DECODE));
        assertEquals(18, p.bounds(AcceptancePolicy.ChunkKind.SHORT_DECODE).maxExpMismatches());
        Thresholds t = new Thresholds(p, 1);
        List<ChunkStats> attack = List.of(chunk(12, 0, 1, 1), chunk(7, 0, 1, 1), chunk(7, 0, 1, 1));
        assertFalse(t.accepts(new Measurement("f", "attack", false, ComputeMode.FP32, 1, attack, 0, null, kinds, attack)), "7 > 6 in a decode chunk");
        assertTrue(new Thresholds(p.withKinds(java.util.Map.of()), 1).accepts(new Measurement("f", "attack", false, ComputeMode.FP32, 1, attack, 0, null,
                kinds, attack)), "the negative control: the pooled bounds alone pass it");
        // the same chunks from two prompts only: too few to bound a kind of its own
        List<Measurement> twoPrompts = honest.stream().map(m -> new Measurement(m.family(), m.scenario(), true, m.mode(), m.prompt() % 4, m.chunks(),
                m.worstGap(), null, m.kinds(), m.tolerant())).toList();
        assertTrue(ThresholdRule.STANDARD.derive(twoPrompts, "few").policy().byKind().isEmpty());
    }

    @Test
    void derive_keepsTheFloors_whenHonestRunsAreExact() {
        Thresholds t = ThresholdRule.STANDARD.derive(List.of(run(true, 0, 0, chunk(0, 0, 0, 0))), "exact");
        assertEquals(new AcceptancePolicy(2, 0.5, 1, 2, 0.5, "exact"), t.policy());
        assertEquals(0.1, t.logitMargin());
        Thresholds doubled = new ThresholdRule(2, 3, 0, 0, 0, 0).derive(List.of(run(true, 0, 0.25, chunk(4, 1, 1, 1))), "x");
        assertEquals(8, doubled.policy().maxExpMismatches());
        assertEquals(3, doubled.policy().maxSignMismatches());
        assertEquals(0.5, doubled.logitMargin());
    }

    @Test
    void derive_refusesAttacksAndNothing() {
        assertThrows(IllegalArgumentException.class, () -> ThresholdRule.STANDARD.derive(List.of(run(false, 0, 0, chunk(1, 1, 1, 1))), "x"));
        assertThrows(IllegalArgumentException.class, () -> ThresholdRule.STANDARD.derive(List.of(), "x"));
        assertThrows(IllegalArgumentException.class, () -> new ThresholdRule(Double.NaN, 2, 0, 0, 0, 0));
    }

    @Test
    void accepts_isThePolicysOwnChecks_plusTheMargin() {
        Thresholds t = new Thresholds(new AcceptancePolicy(10, 2, 2, 5, 1.0, "t"), 0.5);
        assertTrue(t.accepts(run(true, 1, 0.5, chunk(10, 5, 2, 2), chunk(0, 0, 0, 0))));        // on every bound, average 1.0
        assertFalse(t.accepts(run(true, 1, 0.51, chunk(0, 0, 0, 0))), "token gap over the margin");
        assertFalse(t.accepts(run(true, 1, 0, chunk(11, 0, 0, 0))), "exponent mismatches");
        assertFalse(t.accepts(run(true, 1, 0, chunk(0, 6, 0, 0))), "sign mismatches");
        assertThrows(IllegalArgumentException.class, () -> chunk(0, 0, Double.NaN, 0), "NaN statistics fail closed: they cannot be built");
        assertFalse(t.accepts(run(true, 1, Double.NaN, chunk(0, 0, 0, 0))), "a NaN gap fails closed");
        assertFalse(t.accepts(run(true, 1, 0, chunk(0, 0, 1.6, 0), chunk(0, 0, 1.6, 0))), "the sequence average (each chunk within 2)");
        assertFalse(t.accepts(new Measurement("f", "zero", false, ComputeMode.FP32, 1, List.of(), 0, "bad commit")), "a format error");
        List<String> v = t.violations(run(true, 1, 0, chunk(11, 0, 0, 0)));
        assertEquals(List.of("chunk 0: exp_mismatches 11 > 10"), v);
    }

    @Test
    void theReferenceMargin_isTheVerifiersDefault() {
        assertEquals(InferenceVerifier.SamplingCheck.DEFAULT.logitMargin(), Policies.REFERENCE_LOGIT_MARGIN);
    }
}
