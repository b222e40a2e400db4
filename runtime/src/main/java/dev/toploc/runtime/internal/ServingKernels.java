package dev.toploc.runtime.internal;

import dev.toploc.Compute;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.ServingNumerics;

/**
 * Scalar kernels that round as GPU serving stacks do ({@link ServingNumerics}); the provider's forward pass
 * calls them in place of the eager kernels when its numerics ask for it. They emulate the order of
 * operations and the rounding points of those kernels, not their exact bits (a GPU's thread layout is not
 * reproduced). Every operation rounds to nearest even; the orders are stated per method. Results do not
 * depend on the thread count: threads split independent outputs only.
 */
public final class ServingKernels {
    private ServingKernels() {
    }

    /** Rounds {@code v} to TF32: 10 explicit mantissa bits, round to nearest even (NaN and infinities unchanged). */
    public static float tf32(float v) {
        int b = Float.floatToRawIntBits(v);
        if ((b & 0x7F800000) == 0x7F800000) {
            return v;
        }
        int lsb = (b >> 13) & 1;
        b += 0xFFF + lsb;           // may carry into the exponent (and up to infinity), as rounding does
        return Float.intBitsToFloat(b & 0xFFFFE000);
    }

    /**
     * {@code y (T x w.rows) = x * w^T + bias} as a split-K GEMM: the reduction index {@code [0, in)} is cut into
     * {@code splitK} contiguous slices {@code [s*in/S, (s+1)*in/S)}; each slice is {@code fma}-accumulated in
     * fp32 from 0 in increasing index; the partials are added in slice order (0 + 1, then + 2, ...) or, with
     * {@code pairwise}, by a tree of adjacent pairs (an odd last partial carried to the next level); then the
     * bias is added. With {@code tf32} every activation and weight is rounded to TF32 first. {@code splitK == 1}
     * (TF32 alone) is one slice: a sequential fma over {@code i}.
     */
    public static void matmul(float[] x, int tokens, Weight w, float[] bias, float[] y, int splitK, boolean pairwise, boolean tf32, Compute compute) {
        int in = w.cols;
        int out = w.rows;
        float[] xs = x;
        if (tf32) {
            xs = new float[tokens * in];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = tf32(x[i]);
            }
        }
        float[] xr = xs;
        int[] bounds = new int[splitK + 1];
        for (int s = 0; s <= splitK; s++) {
            bounds[s] = (int) ((long) s * in / splitK);
        }
        int shortest = in / splitK;     // every slice holds at least this many
        int groups = (out + 63) / 64;
        compute.forEach(groups, g -> {
            float[] row = new float[in];
            float[] partial = new float[splitK];
            for (int o = g * 64, oEnd = Math.min(out, o + 64); o < oEnd; o++) {
                w.row(o, row, 0);
                if (tf32) {
                    for (int i = 0; i < in; i++) {
                        row[i] = tf32(row[i]);
                    }
                }
                for (int t = 0; t < tokens; t++) {
                    int off = t * in;
                    // the slices side by side (independent chains, for speed), each still in increasing index
                    java.util.Arrays.fill(partial, 0f);
                    for (int j = 0; j < shortest; j++) {
                        for (int s = 0; s < splitK; s++) {
                            int i = bounds[s] + j;
                            partial[s] = Math.fma(row[i], xr[off + i], partial[s]);
                        }
                    }
                    for (int s = 0; s < splitK; s++) {
                        for (int i = bounds[s] + shortest, e = bounds[s + 1]; i < e; i++) {
                            partial[s] = Math.fma(row[i], xr[off + i], partial[s]);
                        }
                    }
                    float sum = pairwise ? pairwiseSum(partial, splitK) : sequentialSum(partial, splitK);
                    y[t * out + o] = bias == null ? sum : sum + bias[o];
                }
            }
        });
    }

    /**
     * {@code y = x * w^T + bias} on TF32 inputs in the default kernel's order ({@link Matmul}): the activations and,
     * unless they are exact in TF32 already (bf16 and fp16 are), the weights rounded to TF32 into copies first.
     */
    public static void tf32Matmul(float[] x, int tokens, Weight w, float[] bias, float[] y, Compute compute) {
        float[] xs = new float[tokens * w.cols];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = tf32(x[i]);
        }
        Weight ws = w;
        if (w.kind() == Weight.Kind.F32) {
            float[] r = new float[Math.toIntExact((long) w.rows * w.cols)];
            for (int i = 0; i < r.length; i++) {
                r[i] = tf32(w.get(i));
            }
            ws = Weight.ofFloats(r, w.rows, w.cols);
        }
        Matmul.matmul(xs, tokens, ws, bias, y, compute);
    }

    static float sequentialSum(float[] p, int n) {
        float s = p[0];
        for (int i = 1; i < n; i++) {
            s += p[i];
        }
        return s;
    }

    /** Adjacent pairs added level by level ({@code (p0+p1) + (p2+p3)}, ...); an odd last element is carried up unchanged. Overwrites {@code p}. */
    static float pairwiseSum(float[] p, int n) {
        while (n > 1) {
            int m = 0;
            for (int i = 0; i + 1 < n; i += 2) {
                p[m++] = p[i] + p[i + 1];
            }
            if ((n & 1) == 1) {
                p[m++] = p[n - 1];
            }
            n = m;
        }
        return p[0];
    }

    /**
     * An RMSNorm's sum of squares as a block of {@code B = min(d, NORM_THREADS)} threads computes it: thread
     * {@code j} {@code fma}-accumulates the squares of elements {@code j, j+B, j+2B, ...} in increasing index,
     * then the B partials are added by {@link #pairwiseSum} (the tree a block reduction takes).
     */
    public static float sumOfSquares(float[] x, int off, int d) {
        int b = Math.min(d, ServingNumerics.NORM_THREADS);
        float[] p = new float[b];
        for (int j = 0; j < b; j++) {
            float acc = 0f;
            for (int i = j; i < d; i += b) {
                acc = Math.fma(x[off + i], x[off + i], acc);
            }
            p[j] = acc;
        }
        return pairwiseSum(p, b);
    }

    /**
     * Flash-style causal attention with grouped key/value heads over the KV cache. For query position
     * {@code pos} the visible keys {@code [lo, pos]} are taken in two ranges, the cached positions
     * {@code [lo, start)} and this pass's own {@code [max(lo, start), pos]}, each in blocks of {@code block}
     * keys from the range's start. A score is {@code fma}-accumulated over the head dimension in increasing
     * order, then scaled in fp32 (divided by {@code sqrt(d)}, or times {@code scale > 0}; Gemma's softcap
     * {@code cap * tanh(score / cap)} in fp32), never rounded to the compute dtype. Per block: the block's max
     * {@code mb}, {@code m' = max(m, mb)}, the running sum and the accumulator scaled by {@code exp(m - m')}
     * (skipped while nothing is accumulated); then per key in increasing order {@code p = exp(s - m')} in fp32
     * is added to the running sum, rounded to {@code pRounding}, and {@code fma}-accumulated times the value into
     * the fp32 output accumulator. At the end each output is divided by the running sum and rounded to the
     * compute dtype. Heads run in parallel.
     */
    public static void flashAttend(float[] q, KvCache.Layer cache, int start, int tokens, int heads, int kvHeads, int headDim, int window,
                                   ComputeMode mode, float[] out, int block, ComputeMode pRounding, float scale, float softcap, Compute compute) {
        int group = heads / kvHeads;
        float sqrtD = (float) Math.sqrt(headDim);
        compute.forEach(heads, h -> {
            int g = h / group;
            float[] s = new float[block];
            float[] acc = new float[headDim];
            for (int t = 0; t < tokens; t++) {
                int pos = start + t;
                int lo = window > 0 ? Math.max(0, pos - window + 1) : 0;
                int qOff = (t * heads + h) * headDim;
                java.util.Arrays.fill(acc, 0f);
                float m = Float.NEGATIVE_INFINITY;
                float l = 0f;
                int[][] ranges = {{lo, Math.min(start, pos + 1)}, {Math.max(lo, start), pos + 1}};
                for (int[] r : ranges) {
                    for (int b0 = r[0]; b0 < r[1]; b0 += block) {
                        int b1 = Math.min(r[1], b0 + block);
                        float mb = Float.NEGATIVE_INFINITY;
                        for (int k = b0; k < b1; k++) {
                            float dot = 0f;
                            for (int i = 0; i < headDim; i++) {
                                dot = Math.fma(q[qOff + i], cache.keyT(g, i, k), dot);
                            }
                            float v = scale > 0 ? dot * scale : dot / sqrtD;
                            if (softcap > 0) {
                                v = (float) Math.tanh(v / softcap) * softcap;
                            }
                            s[k - b0] = v;
                            mb = Math.max(mb, v);
                        }
                        float mNew = Math.max(m, mb);
                        if (m != Float.NEGATIVE_INFINITY) {
                            float alpha = (float) Math.exp(m - mNew);
                            l *= alpha;
                            for (int i = 0; i < headDim; i++) {
                                acc[i] *= alpha;
                            }
                        }
                        m = mNew;
                        for (int k = b0; k < b1; k++) {
                            float p = (float) Math.exp(s[k - b0] - m);
                            l += p;
                            float pr = pRounding.round(p);
                            for (int i = 0; i < headDim; i++) {
                                acc[i] = Math.fma(pr, cache.value(g, k, i), acc[i]);
                            }
                        }
                    }
                }
                int oOff = (t * heads + h) * headDim;
                for (int i = 0; i < headDim; i++) {
                    out[oOff + i] = mode.round(acc[i] / l);
                }
            }
        });
    }
}
