package dev.toploc.calibration;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkStats;
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
    /**
     * The rule the shipped policy was derived by: honest worst x 1.5; floors 2 mismatches, mean 0.5, median 1, average 0.5,
     * gap 0.1. The gap's floor is about one and a half bf16 steps of a logit of magnitude 8 to 16 (2^-4 = 0.0625): a token
     * replay recomputed in another precision than the provider's can differ by that much on an honest token, and a
     * family calibrated from one or two prompts may not have seen it (at 0.05 the Llama-3-8B-width family rejected an
     * honest fp32 provider's run at 0.0597).
     */
    public static final ThresholdRule STANDARD = new ThresholdRule(1.5, 2, 0.5, 1, 0.5, 0.1);

    public ThresholdRule {
        if (!(factor >= 1) || !Double.isFinite(factor) || minMismatches < 0 || !(minMantMean >= 0) || !(minMantMedian >= 0) || !(minAvgMantMean >= 0)
                || !(minLogitMargin >= 0)) {
            throw new IllegalArgumentException("a threshold rule needs a finite factor >= 1 and floors >= 0");
        }
    }

    /**
     * A kind of chunk gets bounds of its own only when the calibration runs hold at least this many honest
     * chunks of it; fewer say too little about its worst case, and the pooled bounds judge it.
     */
    public static final int MIN_CHUNKS_PER_KIND = 30;

    /**
     * ... and only when those chunks come from at least this many calibration prompts: chunks of one prompt are
     * alike, so their worst case says little about another prompt's (measured: bounds of their own from one
     * prompt's chunks rejected an honest run of another prompt on the Llama-3-8B-width family).
     */
    public static final int MIN_PROMPTS_PER_KIND = 3;

    /**
     * The thresholds for {@code honest} runs (each must be honest and without format error: the worst over
     * them is what the verifier must admit). {@code source} becomes the policy's source. The four per-chunk
     * bounds come from every chunk (pooled); each {@linkplain AcceptancePolicy.ChunkKind kind of chunk} with at
     * least {@link #MIN_CHUNKS_PER_KIND} honest chunks from at least {@link #MIN_PROMPTS_PER_KIND} prompts whose
     * own worst case gives other bounds gets those bounds of its own (where the data shows the kinds differ).
     */
    public Thresholds derive(Collection<Measurement> honest, String source) {
        if (honest.isEmpty()) {
            throw new IllegalArgumentException("no honest runs to derive thresholds from");
        }
        double gap = 0;
        double avg = 0;
        java.util.List<ChunkStats> all = new java.util.ArrayList<>();
        java.util.Map<AcceptancePolicy.ChunkKind, java.util.List<ChunkStats>> byKind = new java.util.EnumMap<>(AcceptancePolicy.ChunkKind.class);
        java.util.Map<AcceptancePolicy.ChunkKind, java.util.Set<Integer>> prompts = new java.util.EnumMap<>(AcceptancePolicy.ChunkKind.class);
        for (Measurement m : honest) {
            if (!m.honest() || m.formatError() != null) {
                throw new IllegalArgumentException("thresholds come from honest, checkable runs only; got " + m.scenario());
            }
            avg = Math.max(avg, m.avgMean());
            gap = Math.max(gap, m.worstGap());
            all.addAll(m.chunks());
            for (AcceptancePolicy.ChunkKind k : AcceptancePolicy.ChunkKind.values()) {
                byKind.computeIfAbsent(k, x -> new java.util.ArrayList<>()).addAll(m.chunksOf(k));
                if (!m.chunksOf(k).isEmpty()) {
                    prompts.computeIfAbsent(k, x -> new java.util.HashSet<>()).add(m.prompt());
                }
            }
        }
        AcceptancePolicy.ChunkBounds pooled = bounds(all);
        java.util.Map<AcceptancePolicy.ChunkKind, AcceptancePolicy.ChunkBounds> own = new java.util.EnumMap<>(AcceptancePolicy.ChunkKind.class);
        for (var e : byKind.entrySet()) {
            boolean enough = e.getValue().size() >= MIN_CHUNKS_PER_KIND && prompts.getOrDefault(e.getKey(), java.util.Set.of()).size() >= MIN_PROMPTS_PER_KIND;
            if (enough && !bounds(e.getValue()).equals(pooled)) {
                own.put(e.getKey(), bounds(e.getValue()));
            }
        }
        AcceptancePolicy p = new AcceptancePolicy(pooled.maxExpMismatches(), pooled.maxMantErrMean(), pooled.maxMantErrMedian(),
                pooled.maxSignMismatches(), Math.max(minAvgMantMean, factor * avg), source, own);
        return new Thresholds(p, Math.max(minLogitMargin, factor * gap));
    }

    /** The rule applied to the worst of {@code chunks} (none: the floors). */
    AcceptancePolicy.ChunkBounds bounds(Collection<ChunkStats> chunks) {
        double exp = 0;
        double mean = 0;
        double median = 0;
        double sign = 0;
        for (ChunkStats c : chunks) {
            exp = Math.max(exp, c.expMismatches());
            mean = Math.max(mean, c.mantErrMean());        // NaN cannot occur (ChunkStats refuses it); +Infinity stays
            median = Math.max(median, c.mantErrMedian());
            sign = Math.max(sign, c.signMismatches());
        }
        return new AcceptancePolicy.ChunkBounds((int) Math.max(minMismatches, Math.ceil(factor * exp)), Math.max(minMantMean, factor * mean),
                Math.max(minMantMedian, Math.ceil(factor * median)), (int) Math.max(minMismatches, Math.ceil(factor * sign)));
    }

    /** The rule in words, for reports: {@code honest worst x 1.5}. */
    public String shortName() {
        return "honest worst x " + Fmt.plain(factor);
    }
}
