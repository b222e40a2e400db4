package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.ChunkStats;
import dev.toploc.runtime.ComputeMode;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report says what was measured and the plan's parameters, nothing fixed. */
class CalibrationReportTest {
    static final Machine MACHINE = new Machine("Test CPU 9000", "AVX2", 3, 5L << 30, "TestOS 1 x", "Test JDK 99");

    static Measurement m(String scenario, boolean honest, int prompt, int exp, double mean) {
        return new Measurement("fam", scenario, honest, ComputeMode.FP32, prompt, List.of(new ChunkStats(128, exp, 1, mean, 1)), 0.01, null);
    }

    static String report(ThresholdRule rule, int attackExp) {
        Scenario h = new Scenario("honest row", true, false, Scenario.generates(Scenario.Weights.CLAIMED, ComputeMode.BF16), "");
        Scenario a = new Scenario("attack row", false, false, Scenario.generates(Scenario.Weights.INT8_PER_ROW, ComputeMode.BF16), "A physics note.");
        Family f = new Family("fam", new Family.ModelSource.Folder(Path.of("m")), new Family.ModelSource.Folder(Path.of("o")), 2, 8, List.of(h, a));
        Plan plan = new Plan(List.of(f), List.of(ComputeMode.FP32), Claims.SPEC, rule);
        List<Measurement> ms = List.of(m("honest row", true, 0, 4, 0.7), m("honest row", true, 1, 3, 0.6),
                m("attack row", false, 0, attackExp, 0.65), m("attack row", false, 1, attackExp, 0.65));
        Thresholds t = rule.derive(List.of(ms.get(0)), "calibrated on fam");
        return CalibrationReport.markdown(new CalibrationResult(plan, ms, Map.of("fam", t), LocalDate.of(2030, 1, 2), 1.2), MACHINE, "cmd --x");
    }

    @Test
    void everyNumber_comesFromTheRunOrThePlan() {
        String md = report(ThresholdRule.STANDARD, 2);
        assertTrue(md.contains("Written by `cmd --x` on 2030-01-02 (1.2 min) on Test CPU 9000 (AVX2), 3 processors available to the JVM, 5 GiB"), md);
        assertTrue(md.contains("Test JDK 99"), md);
        assertTrue(md.contains("*honest worst × 1.5* (floors: 2 exponent"), md);
        assertTrue(md.contains("| honest row | pass | 100% · exp 3 · mean 0.600 · med 1 · sign 1 · avg 0.60 · gap 0.01 |"), md);
        // the attack hides (2 <= 6 mismatches): listed with its own numbers and the scenario's note
        assertTrue(md.contains("**fam**: attack row passes 1 of 1 evaluation runs (all modes). Its passing runs reach at most exp 2, mean 0.650"), md);
        assertTrue(md.contains("A physics note."), md);
        assertFalse(md.contains("EPYC") || md.contains("Temurin"), "nothing about another machine");

        String caught = report(new ThresholdRule(2, 3, 0.5, 1, 0.5, 0.05), 40);
        assertTrue(caught.contains("*honest worst × 2* (floors: 3 exponent"), caught);
        assertTrue(caught.contains("None: every honest cell passes 100% and every attack cell 0%."), caught);
        assertTrue(caught.contains("| fam | 1 | 0 | 1 | 0 | 0 | 0 |"), caught);
        // the rule of three from the honest evaluation runs, and the tie-tolerant statistic beside the strict one
        assertTrue(caught.contains("| fam | 1 | 0 | 3/1: none (too few runs to bound it) |"), caught);
        assertTrue(caught.contains("| fam | strict (the policy's) | 8 | 1 of 1 | 0 of 1 |"), caught);
        assertTrue(caught.contains("| fam | tolerant | 8 | 1 of 1 | 0 of 1 |"), caught);
        assertTrue(caught.contains("does not separate better on any family"), caught);
    }

    @Test
    void theRuleOfThree_isStatedOnlyWhenNothingWasRejected() {
        assertEquals("3/300 = 1.00%", CalibrationReport.ruleOfThree(300, 0));
        assertTrue(CalibrationReport.ruleOfThree(300, 2).startsWith("observed 2/300 = 0.67%"));
    }
}
