package dev.toploc;

import java.util.List;

/**
 * Per-chunk results of a check, for display. The verdict is {@link Verifier#verify}'s exception or its
 * absence; {@link #accepted()} says the same thing for code that only reports.
 */
public record VerificationReport(List<ChunkResult> chunks, AcceptancePolicy policy) {

    /**
     * One chunk's measurement and verdict.
     *
     * @param violations the policy checks it failed (empty: passed)
     */
    public record ChunkResult(ChunkPlan.Chunk chunk, ChunkStats stats, List<String> violations) {
        public ChunkResult {
            violations = List.copyOf(violations);
        }

        public boolean passed() {
            return violations.isEmpty();
        }

        /** {@code chunk 2 (decode rows 56..87)} or {@code chunk 0 (prefill rows 0..24)}. */
        public String label() {
            return "chunk " + chunk.index() + " (" + (chunk.prefill() ? "prefill" : "decode") + " rows "
                    + chunk.firstRow() + ".." + (chunk.endRow() - 1) + ")";
        }
    }

    public VerificationReport {
        chunks = List.copyOf(chunks);
    }

    public boolean accepted() {
        return chunks.stream().allMatch(ChunkResult::passed);
    }

    public List<ChunkResult> failures() {
        return chunks.stream().filter(c -> !c.passed()).toList();
    }
}
