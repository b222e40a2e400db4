package dev.toploc;

import java.util.List;

/**
 * Per-chunk results of a check, for display. The verdict is {@link Verifier#verify}'s exception or its
 * absence; {@link #accepted()} says the same thing for code that only reports.
 */
public record VerificationReport(List<ChunkResult> chunks, List<String> sequenceViolations, AcceptancePolicy policy) {

    /**
     * One chunk's measurement and verdict.
     *
     * @param stats       what the policy judged: the tie-tolerant statistics under a tolerant {@link TieRule},
     *                    else the strict ones
     * @param violations  the policy checks it failed (empty: passed)
     * @param strictStats the reference-compatible statistics (the verifier's own tie choice); the same as
     *                    {@code stats} under a strict rule
     */
    public record ChunkResult(ChunkPlan.Chunk chunk, ChunkStats stats, List<String> violations, ChunkStats strictStats) {
        public ChunkResult {
            violations = List.copyOf(violations);
            if (strictStats == null) {
                strictStats = stats;
            }
        }

        /** A strict measurement: {@code strictStats} is {@code stats}. */
        public ChunkResult(ChunkPlan.Chunk chunk, ChunkStats stats, List<String> violations) {
            this(chunk, stats, violations, stats);
        }

        public boolean passed() {
            return violations.isEmpty();
        }

        /** {@code chunk 2 (decode rows 56..87)} or {@code chunk 0 (prefill rows 0..24)}. */
        public String label() {
            return chunk.label();
        }
    }

    public VerificationReport {
        chunks = List.copyOf(chunks);
        sequenceViolations = List.copyOf(sequenceViolations);
    }

    /** Every chunk passed and so did the sequence-level checks. */
    public boolean accepted() {
        return sequenceViolations.isEmpty() && chunks.stream().allMatch(ChunkResult::passed);
    }

    /** Why the report rejects, first failure first: the first failing chunk and the sequence checks. */
    public String rejection() {
        java.util.List<String> parts = new java.util.ArrayList<>();
        List<ChunkResult> failed = failures();
        if (!failed.isEmpty()) {
            parts.add(failed.get(0).label() + ": " + String.join(", ", failed.get(0).violations())
                    + (failed.size() > 1 ? " (and " + (failed.size() - 1) + " more of " + chunks.size() + " chunks)" : ""));
        }
        if (!sequenceViolations.isEmpty()) {
            parts.add("sequence: " + String.join(", ", sequenceViolations));
        }
        return String.join("; ", parts);
    }

    public List<ChunkResult> failures() {
        return chunks.stream().filter(c -> !c.passed()).toList();
    }
}
