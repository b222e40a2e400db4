package dev.toploc.runtime.internal;

import dev.toploc.Compute;
import dev.toploc.internal.Simd;
import dev.toploc.runtime.ComputeMode;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The forward pass's element-wise steps over whole activation arrays: rounding to the compute dtype, the
 * residual add, SwiGLU. Each element's result depends on that element alone, so splitting an array into
 * blocks across threads and running the vector path change nothing: every result is bit-identical to
 * {@link ComputeMode#round(float)} applied element by element as written in the scalar twins below
 * ({@code ElementwiseTest} checks all three against them, special values included).
 *
 * <p>Rounding: bf16 by the integer round-to-nearest-even of {@link dev.toploc.Dtype#floatToBf16} (NaN to the
 * quiet NaN of its sign) on 16 lanes at once; fp16 by {@link Float#floatToFloat16} (scalar, an intrinsic).
 */
public final class Elementwise {
    private Elementwise() {
    }

    /** Elements per parallel block: 64 KiB of fp32, large enough that a block's scheduling cost is noise. */
    static final int BLOCK = 1 << 14;

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

    /** Rounds {@code a[off, off + len)} to {@code mode}'s dtype in place, blocks in parallel. */
    public static void round(float[] a, int off, int len, ComputeMode mode, Compute compute) {
        if (mode == ComputeMode.FP32 || len <= 0) {
            return;
        }
        compute.forEach((len + BLOCK - 1) / BLOCK, b -> {
            int from = off + b * BLOCK;
            roundRange(a, from, Math.min(off + len, from + BLOCK), mode);
        });
    }

    /** Rounds {@code a[from, to)} in place on this thread (the vector path for bf16 when it runs). */
    public static void roundRange(float[] a, int from, int to, ComputeMode mode) {
        if (mode == ComputeMode.FP32) {
            return;
        }
        int i = from;
        if (mode == ComputeMode.BF16 && Simd.ENABLED) {
            for (int lanes = FS.length(); i + lanes <= to; i += lanes) {
                bf16(FloatVector.fromArray(FS, a, i)).intoArray(a, i);
            }
        }
        for (; i < to; i++) {
            a[i] = mode.round(a[i]);
        }
    }

    /** The scalar twin of {@link #roundRange}. */
    static void roundRangeScalar(float[] a, int from, int to, ComputeMode mode) {
        for (int i = from; i < to; i++) {
            a[i] = mode.round(a[i]);
        }
    }

    /** bf16 RNE of each lane, as an fp32 value: {@code (b + 0x7FFF + (b >>> 16 & 1)) & 0xFFFF0000}, NaN to {@code sign | 0x7FC00000}. */
    static FloatVector bf16(FloatVector v) {
        IntVector b = v.reinterpretAsInts();
        VectorMask<Integer> nan = b.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
        IntVector r = b.add(b.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).and(0xFFFF0000);
        return r.blend(b.and(0x80000000).or(0x7FC00000), nan).reinterpretAsFloats();
    }

    /** {@code v} rounded to {@code mode} on every lane: bf16 or fp32 (fp16 has no lane form here; its callers stay scalar). */
    static FloatVector round(FloatVector v, ComputeMode mode) {
        return switch (mode) {
            case FP32 -> v;
            case BF16 -> bf16(v);
            case FP16 -> throw new IllegalArgumentException("fp16 rounding has no vector form: use the scalar path");
        };
    }

    /**
     * {@code x[i] = round(x[i] + y[i])}, or with {@code bf16Residual} (a fused residual + norm kernel that keeps
     * the residual in bf16) {@code round(bf16(x[i] + y[i]))}; blocks in parallel.
     */
    public static void addInPlace(float[] x, float[] y, ComputeMode mode, boolean bf16Residual, Compute compute) {
        compute.forEach((x.length + BLOCK - 1) / BLOCK, b -> {
            int from = b * BLOCK, to = Math.min(x.length, from + BLOCK);
            int i = from;
            if (Simd.ENABLED && (mode == ComputeMode.BF16 || mode == ComputeMode.FP32)) {
                for (int lanes = FS.length(); i + lanes <= to; i += lanes) {
                    FloatVector s = FloatVector.fromArray(FS, x, i).add(FloatVector.fromArray(FS, y, i));
                    round(bf16Residual ? bf16(s) : s, mode).intoArray(x, i);
                }
            }
            addScalar(x, y, i, to, mode, bf16Residual);
        });
    }

    /** The scalar twin of {@link #addInPlace} on {@code [from, to)}. */
    static void addScalar(float[] x, float[] y, int from, int to, ComputeMode mode, boolean bf16Residual) {
        for (int i = from; i < to; i++) {
            x[i] = bf16Residual ? mode.round(ComputeMode.BF16.round(x[i] + y[i])) : mode.round(x[i] + y[i]);
        }
    }

    /**
     * One RMSNorm row after its scale {@code r}: {@code out[off + i] = round(w[i] * round(x[off + i] * r))}, or with
     * {@code unitOffset} (Gemma) {@code round((x[off + i] * r) * (1 + w[i]))}; in place allowed.
     */
    public static void scaleRow(float[] x, int off, int d, float r, float[] w, boolean unitOffset, ComputeMode mode, float[] out) {
        int i = 0;
        if (Simd.ENABLED && (mode == ComputeMode.BF16 || mode == ComputeMode.FP32)) {
            FloatVector rv = FloatVector.broadcast(FS, r);
            for (int lanes = FS.length(); i + lanes <= d; i += lanes) {
                FloatVector xr = FloatVector.fromArray(FS, x, off + i).mul(rv);
                FloatVector wv = FloatVector.fromArray(FS, w, i);
                FloatVector y = unitOffset ? round(xr.mul(wv.add(1f)), mode) : round(wv.mul(round(xr, mode)), mode);
                y.intoArray(out, off + i);
            }
        }
        scaleRowScalar(x, off, i, d, r, w, unitOffset, mode, out);
    }

    /** The scalar twin of {@link #scaleRow} on elements {@code [from, d)} of the row. */
    static void scaleRowScalar(float[] x, int off, int from, int d, float r, float[] w, boolean unitOffset, ComputeMode mode, float[] out) {
        for (int i = from; i < d; i++) {
            out[off + i] = unitOffset ? mode.round((x[off + i] * r) * (1f + w[i])) : mode.round(w[i] * mode.round(x[off + i] * r));
        }
    }

    /**
     * SwiGLU in place over {@code gate[0, n)}: {@code round(round(g / (1 + exp(-g))) * up)}, {@code exp} the fp32 of
     * {@link Math#exp} of the fp32 {@code -g}; blocks in parallel.
     */
    public static void swiglu(float[] gate, float[] up, int n, ComputeMode mode, Compute compute) {
        compute.forEach((n + BLOCK - 1) / BLOCK, b -> {
            int from = b * BLOCK;
            swigluRange(gate, up, from, Math.min(n, from + BLOCK), mode);
        });
    }

    /**
     * SwiGLU on {@code [from, to)} on this thread, on 16 lanes for fp32 and bf16: {@code exp} by {@link VectorExp}
     * (exactly {@link Math#exp}'s results) where it runs, else by {@link Math#exp}.
     */
    static void swigluRange(float[] gate, float[] up, int from, int to, ComputeMode mode) {
        int i = from;
        if (Simd.ENABLED && mode != ComputeMode.FP16) {
            int lanes = FS.length();
            float[] e = new float[lanes];
            for (; i + lanes <= to; i += lanes) {
                if (VectorExp.ENABLED && lanes % VectorExp.LANES == 0) {
                    for (int j = 0; j < lanes; j += VectorExp.LANES) {
                        VectorExp.expNeg8(gate, i + j, e, j);
                    }
                } else {
                    for (int j = 0; j < lanes; j++) {
                        e[j] = (float) Math.exp(-gate[i + j]);
                    }
                }
                FloatVector g = FloatVector.fromArray(FS, gate, i);
                FloatVector silu = round(g.div(FloatVector.fromArray(FS, e, 0).add(1f)), mode);
                round(silu.mul(FloatVector.fromArray(FS, up, i)), mode).intoArray(gate, i);
            }
        }
        swigluRangeScalar(gate, up, i, to, mode);
    }

    /** The scalar twin of {@link #swigluRange}. */
    static void swigluRangeScalar(float[] gate, float[] up, int from, int to, ComputeMode mode) {
        for (int i = from; i < to; i++) {
            float g = gate[i];
            gate[i] = mode.round(mode.round(g / (1f + (float) Math.exp(-g))) * up[i]);
        }
    }
}
