package dev.toploc;

import java.util.Objects;

/**
 * A sequence's final-norm hidden states: {@code rows x hidden} values, row-major, one row per position.
 * Held either as fp32 values or as bit patterns of a narrower {@link Dtype} (bf16, fp16, fp8), exactly
 * as the engine produced them. The arrays are not copied: the caller must not change them while a commit
 * or a check reads them.
 */
public final class HiddenStates {
    private final float[] floats;
    private final short[] patterns;
    private final Dtype dtype;
    private final int rows;
    private final int hidden;

    private HiddenStates(float[] floats, short[] patterns, Dtype dtype, int rows, int hidden) {
        if (rows < 1 || hidden < 1) {
            throw new IllegalArgumentException("states need at least one row and one column (got " + rows + " x " + hidden + ")");
        }
        long needed = (long) rows * hidden;
        int have = floats != null ? floats.length : patterns.length;
        if (needed > have) {
            throw new IllegalArgumentException(rows + " x " + hidden + " = " + needed + " values, but the array holds " + have);
        }
        this.floats = floats;
        this.patterns = patterns;
        this.dtype = dtype;
        this.rows = rows;
        this.hidden = hidden;
    }

    /** fp32 states. */
    public static HiddenStates ofFloats(float[] values, int rows, int hidden) {
        return new HiddenStates(Objects.requireNonNull(values, "values"), null, Dtype.FP32, rows, hidden);
    }

    /** States as bit patterns of {@code dtype} (bf16, fp16, or fp8 in the low 8 bits). */
    public static HiddenStates ofPatterns(short[] patterns, Dtype dtype, int rows, int hidden) {
        Objects.requireNonNull(patterns, "patterns");
        if (!dtype.fitsV1Field()) {
            throw new IllegalArgumentException(dtype.wireName() + " states are held as floats: use ofFloats");
        }
        return new HiddenStates(null, patterns, dtype, rows, hidden);
    }

    public int rows() {
        return rows;
    }

    public int hidden() {
        return hidden;
    }

    /** The dtype the values are held in (fp32 for {@link #ofFloats}). */
    public Dtype dtype() {
        return dtype;
    }

    /** The backing fp32 array, or null when held as patterns. */
    float[] floatsUnsafe() {
        return floats;
    }

    /** The backing pattern array, or null when held as floats. */
    short[] patternsUnsafe() {
        return patterns;
    }

    /** One value widened to fp32 (exact). */
    public float get(int row, int column) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(column, hidden);
        int i = row * hidden + column;
        return floats != null ? floats[i] : dtype.toFloat(patterns[i] & 0xFFFF);
    }
}
