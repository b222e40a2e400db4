package dev.toploc.runtime;

import dev.toploc.Dtype;

/**
 * The precision a forward pass runs in.
 *
 * <ul>
 *   <li>{@link #FP32}: weights widened to fp32 (exact for bf16/fp16 weights), all math in fp32: the
 *       LayerCast idea, the most accurate recomputation.</li>
 *   <li>{@link #BF16}, {@link #FP16}: weights in that dtype, and every operation's result rounded to it
 *       (round to nearest even) as GPU or CPU inference in that dtype does; matmuls and attention
 *       accumulate in fp32, RMSNorm and softmax compute in fp32, as {@code transformers}' eager Llama.</li>
 * </ul>
 */
public enum ComputeMode {
    FP32("fp32", Dtype.FP32),
    BF16("bf16", Dtype.BF16),
    FP16("fp16", Dtype.FP16);

    private final String wireName;
    private final Dtype dtype;

    ComputeMode(String wireName, Dtype dtype) {
        this.wireName = wireName;
        this.dtype = dtype;
    }

    public String wireName() {
        return wireName;
    }

    /** The dtype activations are held in. */
    public Dtype dtype() {
        return dtype;
    }

    public static ComputeMode fromWireName(String name) {
        for (ComputeMode m : values()) {
            if (m.wireName.equalsIgnoreCase(name.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown compute mode '" + name + "' (expected fp32, bf16 or fp16)");
    }

    /** Rounds {@code v} to this mode's dtype (RNE), returned as the exact fp32 value. */
    public float round(float v) {
        return switch (this) {
            case FP32 -> v;
            case BF16 -> Dtype.bf16ToFloat(Dtype.floatToBf16(v));
            case FP16 -> Float.float16ToFloat(Float.floatToFloat16(v));
        };
    }

    /** A copy of {@code a} rounded to this mode's dtype ({@code a} itself for fp32; null stays null). */
    public float[] rounded(float[] a) {
        if (a == null || this == FP32) {
            return a;
        }
        float[] r = a.clone();
        round(r, 0, r.length);
        return r;
    }

    /** Rounds {@code a[off, off+len)} in place. */
    public void round(float[] a, int off, int len) {
        if (this == FP32) {
            return;
        }
        dev.toploc.runtime.internal.Elementwise.roundRange(a, off, off + len, this);
    }
}
