package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The margins section: the closest attack run's largest ratio to a bound, or how many runs pass. */
class CalibrationMarginsTest {
    @Test
    void aCaughtAttack_statesItsMargin_andAHiddenOne_howManyPass() {
        // honest exp 4 under factor 2 (floor 3): bound 8; the attack's 40 exponent mismatches are 5 times it
        String caught = CalibrationReportTest.report(new ThresholdRule(2, 3, 0.5, 1, 0.5, 0.05), 40);
        assertTrue(caught.contains("## How far each attack is from passing"), caught);
        assertTrue(caught.contains("| attack row | × 5.00 (exp) |"), caught);
        String hidden = CalibrationReportTest.report(ThresholdRule.STANDARD, 2);
        assertTrue(hidden.contains("| attack row | **passes 1 of 1** |"), hidden);
    }

    @Test
    void aRunsMargin_isItsLargestRatio_andAFormatErrorIsInfinite() {
        Thresholds t = new Thresholds(new dev.toploc.AcceptancePolicy(10, 1, 2, 4, 0.5, "t"), 0.1);
        Measurement m = new Measurement("f", "s", false, dev.toploc.runtime.ComputeMode.FP32, 1,
                java.util.List.of(new dev.toploc.ChunkStats(128, 5, 3, 0.4, 1)), 0.35, null);
        // exp 5/10, mean 0.4/1, median 1/2, sign 3/4, avg 0.4/0.5, gap 0.35/0.1: the gap, 3.5 times its bound
        assertEquals(3.5, CalibrationMargins.of(m, t).ratio(), 1e-9);
        assertEquals("gap", CalibrationMargins.of(m, t).stat());
        Measurement bad = new Measurement("f", "s", false, dev.toploc.runtime.ComputeMode.FP32, 1, java.util.List.of(), 0, "no commits");
        assertEquals(Double.POSITIVE_INFINITY, CalibrationMargins.of(bad, t).ratio());
    }
}
