package dev.toploc;

import java.util.ArrayList;
import java.util.List;

/**
 * Which rows of a sequence's hidden states form each commit's chunk. A chunk's values are its rows
 * concatenated row-major into one flat vector; flat index {@code r * hidden + c} for row {@code r} of the
 * chunk and column {@code c}.
 *
 * @param chunks the chunks in commit order (the prefill chunk first when present)
 * @param rows   how many rows of states the plan reads (rows {@code 0 .. rows-1})
 */
public record ChunkPlan(List<Chunk> chunks, int rows) {

    /**
     * One chunk: rows {@code [firstRow, firstRow + rowCount)} of the states.
     *
     * @param index    position in the commit list
     * @param prefill  whether this is the whole-prompt chunk
     */
    public record Chunk(int index, int firstRow, int rowCount, boolean prefill) {
        public int endRow() {
            return firstRow + rowCount;
        }

        /** {@code chunk 2 (decode rows 56..87)} or {@code chunk 0 (prefill rows 0..24)}: how errors and reports name it. */
        public String label() {
            return "chunk " + index + " (" + (prefill ? "prefill" : "decode") + " rows " + firstRow + ".." + (endRow() - 1) + ")";
        }
    }

    /**
     * The chunk layout of a generated sequence before its length is known: what a hook needs while rows
     * arrive one position at a time. {@link #plan} gives the whole plan once the completion length is known;
     * {@link ChunkPlan#forSequence} is {@code new Layout(...).plan(n)}.
     *
     * @param promptTokens   P, at least 1
     * @param convention     which positions the decode chunks cover
     * @param prefillChunk   whether the whole prompt is one extra leading chunk
     * @param chunkSize      B, at least 1
     */
    public record Layout(int promptTokens, PositionConvention convention, boolean prefillChunk, int chunkSize) {
        public Layout {
            if (promptTokens < 1) {
                throw new IllegalArgumentException("prompt has " + promptTokens + " tokens (expected at least 1)");
            }
            if (chunkSize < 1) {
                throw new IllegalArgumentException("chunk size = " + chunkSize + " (expected >= 1)");
            }
            java.util.Objects.requireNonNull(convention, "convention");
        }

        /**
         * The row (position) of the first decode chunk's first state: {@code P-1} for
         * {@link PositionConvention#PRODUCED} (the state that chose completion token 0), {@code P} for
         * {@link PositionConvention#DECODE_STEPS}.
         */
        public int firstDecodeRow() {
            return convention == PositionConvention.PRODUCED ? promptTokens - 1 : promptTokens;
        }

        /** Decode rows a completion of {@code completionTokens} tokens has: N for PRODUCED, N-1 for DECODE_STEPS. */
        public int decodeRows(int completionTokens) {
            return convention == PositionConvention.PRODUCED ? completionTokens : completionTokens - 1;
        }

        /** The prefill chunk (index 0, rows {@code 0..P-1}); only when {@link #prefillChunk()}. */
        public Chunk prefill() {
            if (!prefillChunk) {
                throw new IllegalStateException("this layout has no prefill chunk");
            }
            return new Chunk(0, 0, promptTokens, true);
        }

        /** Decode chunk {@code j} (0-based among decode chunks) holding {@code rowCount} rows, at most {@link #chunkSize()}. */
        public Chunk decode(int j, int rowCount) {
            if (j < 0 || rowCount < 1 || rowCount > chunkSize) {
                throw new IllegalArgumentException("decode chunk " + j + " of " + rowCount + " rows (expected j >= 0 and 1.." + chunkSize + " rows)");
            }
            return new Chunk(j + (prefillChunk ? 1 : 0), firstDecodeRow() + j * chunkSize, rowCount, false);
        }

        /** The plan once the completion is known to have {@code completionTokens} tokens (at least 1). */
        public ChunkPlan plan(int completionTokens) {
            if (completionTokens < 1) {
                throw new IllegalArgumentException("completion has " + completionTokens + " tokens (expected at least 1)");
            }
            return build(prefillChunk ? promptTokens : 0, firstDecodeRow(), decodeRows(completionTokens), chunkSize);
        }
    }

    public ChunkPlan {
        chunks = List.copyOf(chunks);
        if (chunks.isEmpty()) {
            throw new IllegalArgumentException("a chunk plan needs at least one chunk");
        }
    }

    public int size() {
        return chunks.size();
    }

    public Chunk chunk(int i) {
        return chunks.get(i);
    }

    /**
     * The plan for a generated sequence whose states are indexed by position (prompt positions
     * {@code 0..P-1}, then the completion).
     *
     * @param promptTokens     P, at least 1
     * @param completionTokens N, at least 1
     * @param convention       which positions the decode chunks cover
     * @param includePrefill   whether the whole prompt is one extra leading chunk
     * @param chunkSize        B
     */
    public static ChunkPlan forSequence(int promptTokens, int completionTokens, PositionConvention convention,
                                        boolean includePrefill, int chunkSize) {
        return new Layout(promptTokens, convention, includePrefill, chunkSize).plan(completionTokens);
    }

    /**
     * The plan for a dump in the reference's layout: {@code prefillRows} rows of the prompt (0: none, the
     * reference's {@code skip_prefill}), then {@code decodeRows} rows, one per decode step.
     */
    public static ChunkPlan forRows(int prefillRows, int decodeRows, int chunkSize) {
        if (prefillRows < 0 || decodeRows < 0) {
            throw new IllegalArgumentException("row counts must be >= 0 (prefill " + prefillRows + ", decode " + decodeRows + ")");
        }
        return build(prefillRows, prefillRows, decodeRows, chunkSize);
    }

    /** Builds the chunks; decode chunk j starts at {@code firstDecodeRow + j * chunkSize} as {@link Layout#decode} says. */
    private static ChunkPlan build(int prefillRows, int firstDecodeRow, int decodeRows, int chunkSize) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunk size = " + chunkSize + " (expected >= 1)");
        }
        List<Chunk> chunks = new ArrayList<>();
        if (prefillRows > 0) {
            chunks.add(new Chunk(0, 0, prefillRows, true));
        }
        if ((long) firstDecodeRow + decodeRows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("rows " + firstDecodeRow + " + " + decodeRows + " exceed the int range");
        }
        for (long r = 0; r < decodeRows; r += chunkSize) {      // long: r + chunkSize must not wrap past decodeRows
            chunks.add(new Chunk(chunks.size(), firstDecodeRow + (int) r, (int) Math.min(chunkSize, decodeRows - r), false));
        }
        if (chunks.isEmpty()) {
            throw new IllegalArgumentException("nothing to commit: no prefill chunk and no decode rows");
        }
        int rows = Math.max(prefillRows, firstDecodeRow + decodeRows);
        return new ChunkPlan(chunks, rows);
    }
}
