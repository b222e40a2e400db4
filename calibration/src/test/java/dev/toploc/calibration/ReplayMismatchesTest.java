package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.ChunkStats;
import dev.toploc.runtime.ComputeMode;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An attack run that passes with every token the replay's choice is said to be so (its claim is the honest one's): counted from the measurements. */
class ReplayMismatchesTest {
    static String findings(int attackMismatches) {
        Scenario h = new Scenario("honest row", true, false, Scenario.generates(Scenario.Weights.CLAIMED, ComputeMode.BF16), "");
        Scenario a = new Scenario("attack row", false, false, new Scenario.Provider.SamplesOtherwise(1.0, 1.0), "");
        Family f = new Family("fam", new Family.ModelSource.Folder(Path.of("m")), new Family.ModelSource.Folder(Path.of("o")), 2, 8, List.of(h, a));
        Plan plan = new Plan(List.of(f), List.of(ComputeMode.FP32), Claims.SPEC, ThresholdRule.STANDARD);
        List<ChunkStats> c = List.of(new ChunkStats(128, 1, 1, 0.5, 1));
        List<Measurement> ms = List.of(new Measurement("fam", "honest row", true, ComputeMode.FP32, 0, c, 0.01, null, 1),
                new Measurement("fam", "honest row", true, ComputeMode.FP32, 1, c, 0.01, null, 1),
                new Measurement("fam", "attack row", false, ComputeMode.FP32, 1, c, 0.02, null, attackMismatches));
        Thresholds t = plan.rule().derive(List.of(ms.get(0)), "calibrated on fam");
        return CalibrationReport.markdown(new CalibrationResult(plan, ms, Map.of("fam", t), LocalDate.of(2030, 1, 2), 1), CalibrationReportTest.MACHINE, "c");
    }

    @Test
    void aPassingAttackWithTheReplaysTokens_isNamed_andOneWithOtherTokens_isNot() {
        String same = findings(0);
        assertTrue(same.contains("attack row passes 1 of 1") && same.contains("1 of the passing runs carry exactly the tokens the replay chooses."), same);
        String other = findings(3);
        assertTrue(other.contains("attack row passes 1 of 1"), other);
        assertFalse(other.contains("carry exactly the tokens"), other);
    }
}
