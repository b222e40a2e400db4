package dev.toploc.rollouts;

import dev.toploc.ChunkStats;
import dev.toploc.PositionConvention;
import dev.toploc.VerificationReport;

/**
 * A sample's verdict, its worst chunk statistics and why.
 *
 * @param index            the sample's row in the file
 * @param verdict          accept, reject or bad input
 * @param checked          false when nothing was committed and nothing checked (a completion of at most one
 *                         token with empty proofs, as prime-rl stored them); the verdict is then accept
 * @param positions        the convention whose commits passed (accept), or the one closest to passing
 *                         (reject); null when no prefill was run
 * @param layout           the layout the proofs were found in, null if they could not be read
 * @param promptTokens     P
 * @param completionTokens N
 * @param commits          commits read
 * @param failedChunks     chunks outside the policy under {@code positions}
 * @param worst            per-field maxima over the chunks under {@code positions} (what the policy judged: tie-tolerant
 *                         statistics under a tolerant rule), null without a check
 * @param worstStrict      the same maxima of the reference-compatible (strict) statistics, null without a check
 * @param seed             as stored, or null
 * @param temperature      as stored, or null
 * @param reason           why (rejection or bad input), or a note on an accept; never null
 * @param report           the per-chunk report under {@code positions}, for display (not serialised); null without a check
 * @param prefillNanos     time spent in the prefill (0 without one)
 * @param checkNanos       time spent checking commits, all conventions tried (0 without a check)
 */
public record SampleResult(int index, Verdict verdict, boolean checked, PositionConvention positions, String layout, int promptTokens,
                           int completionTokens, int commits, int failedChunks, ChunkStats worst, ChunkStats worstStrict, Long seed, Double temperature,
                           String reason, VerificationReport report, long prefillNanos, long checkNanos) {

    /** Rejected before anything was recomputed (a null proof): nothing checked against the model. */
    static SampleResult rejected(Sample s, String reason) {
        return new SampleResult(s.index(), Verdict.REJECT, false, null, null, s.prompt().length, s.completion().length, 0, 0,
                null, null, s.seed(), s.temperature(), reason, null, 0, 0);
    }

    static SampleResult badInput(Sample s, String layout, int commits, String reason) {
        return new SampleResult(s.index(), Verdict.BAD_INPUT, false, null, layout, s.prompt().length, s.completion().length, commits, 0,
                null, null, s.seed(), s.temperature(), reason, null, 0, 0);
    }

    /** Per-field maxima of a report's chunk statistics (mismatch counts, mantissa mean and median). */
    public static ChunkStats worst(VerificationReport r) {
        return worst(r.chunks().stream().map(VerificationReport.ChunkResult::stats).toList());
    }

    /** As {@link #worst(VerificationReport)} over the strict statistics. */
    public static ChunkStats worstStrict(VerificationReport r) {
        return worst(r.chunks().stream().map(VerificationReport.ChunkResult::strictStats).toList());
    }

    private static ChunkStats worst(java.util.List<ChunkStats> all) {
        int k = 0;
        int exp = 0;
        int sign = 0;
        double mean = 0;
        double median = 0;
        for (ChunkStats s : all) {
            k = Math.max(k, s.k());
            exp = Math.max(exp, s.expMismatches());
            sign = Math.max(sign, s.signMismatches());
            mean = Math.max(mean, s.mantErrMean());
            median = Math.max(median, s.mantErrMedian());
        }
        return new ChunkStats(k, exp, sign, mean, median);
    }
}
