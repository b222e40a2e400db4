package dev.toploc.calibration;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkStats;
import dev.toploc.runtime.ComputeMode;
import java.util.List;

/**
 * What the verifier saw for one claim in one compute mode: every chunk's statistics and the largest
 * token-replay logit gap, or the format error that stopped it. Pass or fail is decided afterwards, by
 * {@link Thresholds#accepts}.
 *
 * @param family      the model family (table) it belongs to
 * @param scenario    the scenario's name
 * @param honest      whether the scenario must pass
 * @param mode        the verifier's compute mode
 * @param prompt      the prompt index (even: calibration split, odd: evaluation split)
 * @param chunks      every chunk's statistics, in order (empty with a format error)
 * @param worstGap    the largest token-replay logit gap (0 with a format error)
 * @param formatError why the claim could not be checked at all; null when it was
 * @param kinds       each chunk's kind (prefill, full or short decode), in order
 * @param tolerant    each chunk's statistics under the tie-tolerant rule ({@link Calibration#TIES}), in order: what a
 *                    policy of tie-tolerant statistics would judge
 * @param replayMismatches completion tokens that are not the replay's choice (logit gap above 0; 0 with a format error)
 */
public record Measurement(String family, String scenario, boolean honest, ComputeMode mode, int prompt, List<ChunkStats> chunks, double worstGap,
                          String formatError, List<AcceptancePolicy.ChunkKind> kinds, List<ChunkStats> tolerant, int replayMismatches) {
    public Measurement {
        chunks = List.copyOf(chunks);
        kinds = List.copyOf(kinds);
        tolerant = List.copyOf(tolerant);
        if (kinds.size() != chunks.size() || tolerant.size() != chunks.size()) {
            throw new IllegalArgumentException("a kind and a tolerant measurement per chunk: " + chunks.size() + " chunks, " + kinds.size() + " kinds, "
                    + tolerant.size() + " tolerant");
        }
        if (replayMismatches < 0) {
            throw new IllegalArgumentException("replay mismatches " + replayMismatches + " < 0");
        }
    }

    /** A measurement whose chunks are all full decode chunks, measured alike strictly and tie-tolerantly. */
    public Measurement(String family, String scenario, boolean honest, ComputeMode mode, int prompt, List<ChunkStats> chunks, double worstGap,
                       String formatError, int replayMismatches) {
        this(family, scenario, honest, mode, prompt, chunks, worstGap, formatError,
                java.util.Collections.nCopies(chunks.size(), AcceptancePolicy.ChunkKind.DECODE), chunks, replayMismatches);
    }

    /** A measurement whose tokens are all the replay's choice. */
    public Measurement(String family, String scenario, boolean honest, ComputeMode mode, int prompt, List<ChunkStats> chunks, double worstGap,
                       String formatError, List<AcceptancePolicy.ChunkKind> kinds, List<ChunkStats> tolerant) {
        this(family, scenario, honest, mode, prompt, chunks, worstGap, formatError, kinds, tolerant, 0);
    }

    /** As the 9-argument constructor, with every token the replay's choice. */
    public Measurement(String family, String scenario, boolean honest, ComputeMode mode, int prompt, List<ChunkStats> chunks, double worstGap,
                       String formatError) {
        this(family, scenario, honest, mode, prompt, chunks, worstGap, formatError, 0);
    }

    /** The same run judged by its tie-tolerant statistics (as its {@link #chunks()}). */
    public Measurement tieTolerant() {
        return new Measurement(family, scenario, honest, mode, prompt, tolerant, worstGap, formatError, kinds, tolerant, replayMismatches);
    }

    /** The chunks of {@code kind}, in order. */
    public List<ChunkStats> chunksOf(AcceptancePolicy.ChunkKind kind) {
        List<ChunkStats> out = new java.util.ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            if (kinds.get(i) == kind) {
                out.add(chunks.get(i));
            }
        }
        return out;
    }

    /** Whether this run is in the calibration split (even prompts), from which thresholds are derived. */
    public boolean calibrationSplit() {
        return prompt % 2 == 0;
    }

    /** The most exponent mismatches of any chunk (0 when none). */
    public int worstExp() {
        return chunks.stream().mapToInt(ChunkStats::expMismatches).max().orElse(0);
    }

    /** The largest chunk mantissa-error mean (NaN propagates). */
    public double worstMean() {
        return chunks.stream().mapToDouble(ChunkStats::mantErrMean).max().orElse(0);
    }

    public double worstMedian() {
        return chunks.stream().mapToDouble(ChunkStats::mantErrMedian).max().orElse(0);
    }

    public int worstSign() {
        return chunks.stream().mapToInt(ChunkStats::signMismatches).max().orElse(0);
    }

    /** The sequence's average of chunk mantissa-error means (what the sequence bound checks). */
    public double avgMean() {
        return chunks.stream().mapToDouble(ChunkStats::mantErrMean).average().orElse(0);
    }
}
