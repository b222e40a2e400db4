package dev.toploc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Thresholds a chunk's {@link ChunkStats} must stay within; a sequence is accepted iff every chunk is.
 * A chunk passes iff {@code expMismatches <= maxExpMismatches}, {@code mantErrMean <= maxMantErrMean},
 * {@code mantErrMedian <= maxMantErrMedian} and, when {@code maxSignMismatches >= 0},
 * {@code signMismatches <= maxSignMismatches}. The sequence as a whole must also keep the average of its
 * chunks' mantissa means within {@code maxAvgMantErrMean}: a small, steady shift in every chunk (4-bit
 * weights, say) stays inside the per-chunk bounds that honest outliers need, but not inside this one.
 *
 * <p>The {@linkplain #defaults defaults} are the reference's (from 8B-class models). They are far too
 * loose for small models; use a policy calibrated for the model (see {@code docs/calibration.md}).
 *
 * <p>Every comparison fails closed: a statistic that is NaN (or compares false for any other reason)
 * is a violation, never a pass ({@code !(x <= bound)}).
 *
 * @param maxExpMismatches  at least 0
 * @param maxMantErrMean    finite, at least 0: an infinite bound would pass a chunk none of whose exponents
 *                          matched (its mean is +Infinity)
 * @param maxMantErrMedian  finite, at least 0
 * @param maxSignMismatches negative: signs are reported but not checked
 * @param maxAvgMantErrMean bound on the average over chunks of {@code mantErrMean}, finite and at least 0;
 *                          +Infinity: unchecked (the only non-finite value allowed)
 * @param source            where the thresholds come from, shown in every report
 */
public record AcceptancePolicy(int maxExpMismatches, double maxMantErrMean, double maxMantErrMedian,
                               int maxSignMismatches, double maxAvgMantErrMean, String source) {

    /** A policy with per-chunk bounds only. */
    public AcceptancePolicy(int maxExpMismatches, double maxMantErrMean, double maxMantErrMedian, int maxSignMismatches, String source) {
        this(maxExpMismatches, maxMantErrMean, maxMantErrMedian, maxSignMismatches, Double.POSITIVE_INFINITY, source);
    }

    public AcceptancePolicy {
        if (maxExpMismatches < 0) {
            throw new IllegalArgumentException("max exponent mismatches = " + maxExpMismatches + " (expected >= 0)");
        }
        if (!finiteNonNegative(maxMantErrMean) || !finiteNonNegative(maxMantErrMedian)) {
            throw new IllegalArgumentException("mantissa thresholds must be finite and >= 0 (mean " + maxMantErrMean
                    + ", median " + maxMantErrMedian + ")");
        }
        if (!finiteNonNegative(maxAvgMantErrMean) && maxAvgMantErrMean != Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("average mantissa threshold " + maxAvgMantErrMean
                    + " (expected a finite value >= 0, or +Infinity for unchecked)");
        }
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("a policy must say where its thresholds come from");
        }
    }

    /**
     * The reference's thresholds, for bf16 at k = 128: at most 38 exponent mismatches, mantissa mean
     * &le; 10 and median &le; 8 (from {@code vllm_validate_poly.py}: 90 of 128 exponents must intersect).
     * For other k the mismatch bound scales with k; for other dtypes the mantissa bounds scale with the
     * mantissa width ({@code x 2^(mantissaBits - 7)}). Only the bf16/k=128 values come from experiments.
     */
    public static AcceptancePolicy defaults(CommitSpec spec) {
        int k = spec.topK();
        double scale = Math.scalb(1.0, spec.dtype().mantissaBits() - 7);
        int exp = (int) Math.round(38.0 * k / 128);
        boolean reference = spec.dtype() == Dtype.BF16 && k == 128;
        return new AcceptancePolicy(exp, 10 * scale, 8 * scale, -1,
                reference ? "reference TOPLOC defaults (8B-class models, not calibrated for this model)"
                        : "reference TOPLOC defaults scaled to " + spec.dtype().wireName() + ", k = " + k + " (not calibrated)");
    }

    /** The checks {@code stats} violates, each as {@code "exp_mismatches 57 > 38"}; empty when the chunk passes. */
    public List<String> violations(ChunkStats stats) {
        List<String> v = new ArrayList<>(4);
        if (!(stats.expMismatches() <= maxExpMismatches)) {
            v.add("exp_mismatches " + stats.expMismatches() + " > " + maxExpMismatches);
        }
        if (!(stats.mantErrMean() <= maxMantErrMean)) {
            v.add("mant_err_mean " + fmt(stats.mantErrMean()) + " > " + fmt(maxMantErrMean));
        }
        if (!(stats.mantErrMedian() <= maxMantErrMedian)) {
            v.add("mant_err_median " + fmt(stats.mantErrMedian()) + " > " + fmt(maxMantErrMedian));
        }
        if (maxSignMismatches >= 0 && !(stats.signMismatches() <= maxSignMismatches)) {
            v.add("sign_mismatches " + stats.signMismatches() + " > " + maxSignMismatches);
        }
        return v;
    }

    /** The sequence-level checks {@code chunks} violate (empty when the sequence passes them). */
    public List<String> sequenceViolations(List<ChunkStats> chunks) {
        if (maxAvgMantErrMean == Double.POSITIVE_INFINITY || chunks.isEmpty()) {
            return List.of();
        }
        double avg = chunks.stream().mapToDouble(ChunkStats::mantErrMean).average().orElse(Double.NaN);
        return avg <= maxAvgMantErrMean ? List.of() : List.of("average mant_err_mean " + fmt(avg) + " > " + fmt(maxAvgMantErrMean));
    }

    private static boolean finiteNonNegative(double d) {
        return d >= 0 && d < Double.POSITIVE_INFINITY;      // false for NaN
    }

    static String fmt(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return String.valueOf(d);
        }
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.format(Locale.ROOT, "%.3f", d);
    }
}
