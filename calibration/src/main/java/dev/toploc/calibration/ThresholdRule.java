package dev.toploc.calibration;

import dev.toploc.AcceptancePolicy;
import java.util.Collection;

/**
 * The rule that turns honest measurements into thresholds: the honest worst case times {@code factor}, with
 * floors. Integer bounds and the median are rounded up; the per-chunk mantissa mean, the sequence average
 * and the logit margin are not rounded.
 *
 * @param factor         the margin over the honest worst case
 * @param minMismatches  floor of the exponent and sign mismatch bounds
 * @param minMantMean    floor of the per-chunk mantissa-error mean bound
 * @param minMantMedian  floor of the per-chunk mantissa-error median bound
 * @param minAvgMantMean floor of the sequence-average bound
 * @param minLogitMargin floor of the token replay's logit margin
 */
public record ThresholdRule(double factor, int minMismatches, double minMantMean, double minMantMedian, double minAvgMantMean,
                            double minLogitMargin) {
    /** The rule the shipped policy was derived by: honest worst x 1.5; floors 2 mismatches, mean 0.5, median 1, average 0.5, gap 0.05. */
    public static final ThresholdRule STANDARD = new ThresholdRule(1.5, 2, 0.5, 1, 0.5, 0.05);

    public ThresholdRule {
        if (!(factor >= 1) || !Double.isFinite(factor) || minMismatches < 0 || !(minMantMean >= 0) || !(minMantMedian >= 0) || !(minAvgMantMean >= 0)
                || !(minLogitMargin >= 0)) {
            throw new IllegalArgumentException("a threshold rule needs a finite factor >= 1 and floors >= 0");
        }
    }

    /**
     * The thresholds for {@code honest} runs (each must be honest and without format error: the worst over
     * them is what the verifier must admit). {@code source} becomes the policy's source.
     */
    public Thresholds derive(Collection<Measurement> honest, String source) {
        if (honest.isEmpty()) {
            throw new IllegalArgumentException("no honest runs to derive thresholds from");
        }
        double exp = 0;
        double mean = 0;
        double median = 0;
        double sign = 0;
        double gap = 0;
        double avg = 0;
        for (Measurement m : honest) {
            if (!m.honest() || m.formatError() != null) {
                throw new IllegalArgumentException("thresholds come from honest, checkable runs only; got " + m.scenario());
            }
            avg = Math.max(avg, m.avgMean());
            exp = Math.max(exp, m.worstExp());
            mean = Math.max(mean, m.worstMean());
            median = Math.max(median, m.worstMedian());
            sign = Math.max(sign, m.worstSign());
            gap = Math.max(gap, m.worstGap());
        }
        AcceptancePolicy p = new AcceptancePolicy((int) Math.max(minMismatches, Math.ceil(factor * exp)), Math.max(minMantMean, factor * mean),
                Math.max(minMantMedian, Math.ceil(factor * median)), (int) Math.max(minMismatches, Math.ceil(factor * sign)),
                Math.max(minAvgMantMean, factor * avg), source);
        return new Thresholds(p, Math.max(minLogitMargin, factor * gap));
    }

    /** The rule in words, for reports: {@code honest worst x 1.5}. */
    public String shortName() {
        return "honest worst x " + Fmt.plain(factor);
    }
}
