package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkPlan;
import dev.toploc.ChunkStats;
import dev.toploc.VerificationReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A version-2 policy's bounds per kind of chunk appear in the reports; a version-1 policy's reports are as before. */
class PolicyKindsReportTest {
    static VerificationReport report(AcceptancePolicy p) {
        ChunkPlan.Chunk c = new ChunkPlan.Chunk(0, 0, 20, true);
        ChunkStats s = new ChunkStats(128, 3, 0, 0.5, 1);
        return new VerificationReport(List.of(new VerificationReport.ChunkResult(c, s, p.violations(AcceptancePolicy.ChunkKind.PREFILL, s))), List.of(), p);
    }

    static String table(VerificationReport r) {
        StringWriter w = new StringWriter();
        Report.table(new PrintWriter(w, true), r);
        return w.toString();
    }

    @Test
    void perKindBounds_areShown_andAbsentWithoutThem() {
        AcceptancePolicy flat = new AcceptancePolicy(20, 5.9, 3, 8, 2.25, "test");
        AcceptancePolicy kinds = flat.withKinds(Map.of(AcceptancePolicy.ChunkKind.PREFILL, new AcceptancePolicy.ChunkBounds(2, 1.5, 2, 5)));
        String t = table(report(kinds));
        assertTrue(t.contains("; prefill chunks: exp_mismatches <= 2, mant_err_mean <= 1.500, mant_err_median <= 2.000, sign_mismatches <= 5 (test)"), t);
        assertTrue(t.contains("FAIL (exp_mismatches 3 > 2)"), t);
        assertEquals(2, Report.policy(kinds).path("chunkKinds").path("prefill").path("maxExpMismatches").asInt());
        String f = table(report(flat));
        assertFalse(f.contains("chunks:") || f.contains("FAIL"), f);
        assertFalse(Report.policy(flat).has("chunkKinds"));
    }
}
