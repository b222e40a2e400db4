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
 * @param byKind            per-chunk bounds of their own for some {@linkplain ChunkKind kinds of chunk} (the prefill
 *                          chunk, a short last decode chunk); a kind without an entry is judged by the four bounds
 *                          above. Empty: every chunk by those
 */
public record AcceptancePolicy(int maxExpMismatches, double maxMantErrMean, double maxMantErrMedian,
                               int maxSignMismatches, double maxAvgMantErrMean, String source, java.util.Map<ChunkKind, ChunkBounds> byKind) {

    /** A policy with per-chunk bounds only. */
    public AcceptancePolicy(int maxExpMismatches, double maxMantErrMean, double maxMantErrMedian, int maxSignMismatches, String source) {
        this(maxExpMismatches, maxMantErrMean, maxMantErrMedian, maxSignMismatches, Double.POSITIVE_INFINITY, source);
    }

    /** A policy whose bounds hold for every kind of chunk. */
    public AcceptancePolicy(int maxExpMismatches, double maxMantErrMean, double maxMantErrMedian, int maxSignMismatches, double maxAvgMantErrMean,
                            String source) {
        this(maxExpMismatches, maxMantErrMean, maxMantErrMedian, maxSignMismatches, maxAvgMantErrMean, source, java.util.Map.of());
    }

    /** Which bounds judge a chunk: honest noise differs between the whole-prompt chunk, full decode chunks and a short last one. */
    public enum ChunkKind {
        /** The whole-prompt chunk. */
        PREFILL("prefill"),
        /** A decode chunk of the spec's full chunk size. */
        DECODE("decode"),
        /** A decode chunk of fewer rows than the chunk size (the last one). */
        SHORT_DECODE("shortDecode");

        private final String wireName;

        ChunkKind(String wireName) {
            this.wireName = wireName;
        }

        /** The name in policy files: {@code prefill}, {@code decode}, {@code shortDecode}. */
        public String wireName() {
            return wireName;
        }

        /** The kind of {@code chunk} in a plan of decode chunks of {@code chunkSize} rows. */
        public static ChunkKind of(ChunkPlan.Chunk chunk, int chunkSize) {
            return chunk.prefill() ? PREFILL : chunk.rowCount() < chunkSize ? SHORT_DECODE : DECODE;
        }
    }

    /**
     * The per-chunk bounds of one kind of chunk, with the same rules as the policy's own four.
     *
     * @param maxSignMismatches negative: signs not checked
     */
    public record ChunkBounds(int maxExpMismatches, double maxMantErrMean, double maxMantErrMedian, int maxSignMismatches) {
        public ChunkBounds {
            if (maxExpMismatches < 0) {
                throw new IllegalArgumentException("max exponent mismatches = " + maxExpMismatches + " (expected >= 0)");
            }
            if (!finiteNonNegative(maxMantErrMean) || !finiteNonNegative(maxMantErrMedian)) {
                throw new IllegalArgumentException("mantissa thresholds must be finite and >= 0 (mean " + maxMantErrMean
                        + ", median " + maxMantErrMedian + ")");
            }
        }
    }

    /** The four per-chunk bounds that judge chunks of {@code kind}: its own entry, else the policy's. */
    public ChunkBounds bounds(ChunkKind kind) {
        ChunkBounds b = byKind.get(kind);
        return b != null ? b : own();
    }

    private ChunkBounds own() {
        return new ChunkBounds(maxExpMismatches, maxMantErrMean, maxMantErrMedian, maxSignMismatches);
    }

    /** This policy with {@code kinds} as its per-kind bounds (replacing any it had). */
    public AcceptancePolicy withKinds(java.util.Map<ChunkKind, ChunkBounds> kinds) {
        return new AcceptancePolicy(maxExpMismatches, maxMantErrMean, maxMantErrMedian, maxSignMismatches, maxAvgMantErrMean, source, kinds);
    }

    /** This policy with another source (the same bounds). */
    public AcceptancePolicy withSource(String newSource) {
        return new AcceptancePolicy(maxExpMismatches, maxMantErrMean, maxMantErrMedian, maxSignMismatches, maxAvgMantErrMean, newSource, byKind);
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
        java.util.EnumMap<ChunkKind, ChunkBounds> k = new java.util.EnumMap<>(ChunkKind.class);
        k.putAll(java.util.Objects.requireNonNull(byKind, "byKind"));    // null keys or values: NullPointerException
        byKind = java.util.Collections.unmodifiableMap(k);
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

    /**
     * The checks {@code stats} violates under the policy's own four bounds (a chunk of a kind without an entry),
     * each as {@code "exp_mismatches 57 > 38"}; empty when the chunk passes.
     */
    public List<String> violations(ChunkStats stats) {
        return violations(own(), stats);
    }

    /** The checks a chunk of {@code kind} with {@code stats} violates, judged by {@link #bounds(ChunkKind)}. */
    public List<String> violations(ChunkKind kind, ChunkStats stats) {
        return violations(bounds(java.util.Objects.requireNonNull(kind, "kind")), stats);
    }

    private static List<String> violations(ChunkBounds b, ChunkStats stats) {
        List<String> v = new ArrayList<>(4);
        if (!(stats.expMismatches() <= b.maxExpMismatches())) {
            v.add("exp_mismatches " + stats.expMismatches() + " > " + b.maxExpMismatches());
        }
        if (!(stats.mantErrMean() <= b.maxMantErrMean())) {
            v.add("mant_err_mean " + fmt(stats.mantErrMean()) + " > " + fmt(b.maxMantErrMean()));
        }
        if (!(stats.mantErrMedian() <= b.maxMantErrMedian())) {
            v.add("mant_err_median " + fmt(stats.mantErrMedian()) + " > " + fmt(b.maxMantErrMedian()));
        }
        if (b.maxSignMismatches() >= 0 && !(stats.signMismatches() <= b.maxSignMismatches())) {
            v.add("sign_mismatches " + stats.signMismatches() + " > " + b.maxSignMismatches());
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
