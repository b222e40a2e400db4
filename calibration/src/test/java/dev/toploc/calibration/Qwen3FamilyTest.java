package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.runtime.ComputeMode;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The calibration on an architecture other than Llama/Qwen2: the standard plan's Qwen3 table, on a tiny scale. */
class Qwen3FamilyTest {
    @Test
    void theQwen3Table_isAddedAfterTheStandardOnes() {
        Plan p = Plan.standard(CalibrationTest.A, CalibrationTest.B, true).with(Plan.qwen3(2, 48));
        assertEquals(List.of("tiny-fortunes-llama", "random Qwen2.5-0.5B widths, 2 layers", Plan.QWEN3), p.families().stream().map(Family::name).toList());
        Family f = p.families().get(2);
        assertTrue(f.model() instanceof Family.ModelSource.Random r && r.shape().modelType().equals("qwen3") && r.shape().headDim() == 128
                && r.shape().heads() * r.shape().headDim() != r.shape().hidden());
    }

    @Test
    @Tag("slow")        // ~15 s on 2 cores
    void aTinyQwen3Run_acceptsTheHonestProvider_andRejectsTheOtherModel() throws Exception {
        Family full = Plan.qwen3(2, 6);
        Family f = new Family(full.name(), full.model(), full.other(), 2, 6, full.scenarios().stream()
                .filter(s -> List.of("provider bf16", "another model (substitution)").contains(s.name())).toList());
        CalibrationResult r = Calibration.run(new Plan(List.of(f), List.of(ComputeMode.FP32), Claims.SPEC, ThresholdRule.STANDARD),
                new Calibration.Progress() { });
        Thresholds t = r.thresholds().get(Plan.QWEN3);
        List<Measurement> honest = r.measurements().stream().filter(Measurement::honest).toList();
        List<Measurement> other = r.measurements().stream().filter(m -> !m.honest()).toList();
        assertEquals(2, honest.size());
        assertEquals(2, other.size());
        honest.forEach(m -> assertTrue(t.accepts(m), "honest: " + t.violations(m)));
        other.forEach(m -> assertFalse(t.accepts(m), "substitution accepted: " + m));
    }
}
