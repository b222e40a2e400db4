package dev.toploc.runtime.internal;

import dev.toploc.Compute;
import dev.toploc.internal.Simd;
import jdk.incubator.vector.FloatVector;

/**
 * {@code y[t][o] = sum_i x[t][i] * w[o][i]} for activations {@code x} (T x in, fp32, row-major) and a
 * weight matrix {@code w} (out x in, the HuggingFace layout), with fp32 accumulation.
 *
 * <p><b>Reduction order</b> (fixed, so results do not depend on threads or blocking): for each output,
 * L partial sums, L = the vector lane count ({@link #LANES}, 16 with AVX-512), partial j accumulating
 * {@code i = j, j+L, j+2L, ...} below {@code loopBound(in)} with fused multiply-adds in increasing i; then
 * the partials are added in lane order 0..L-1; then the tail {@code i >= loopBound(in)} is fused-multiply-
 * added in increasing i. Every operation rounds to nearest even (fp32). Results are identical for any
 * thread count on one machine; across machines with another vector width L they may differ in the last
 * bits, like any two BLAS builds.
 *
 * <p>The vector kernel computes 4 outputs x 4 tokens per pass over {@code i} (16 accumulators, 8 loads
 * per 16 FMAs); threads split the output rows in groups whose weights stay in L2 while all tokens pass.
 * {@link #matmulScalar} is its scalar twin, bit-identical by construction and by test.
 */
public final class Matmul {
    private Matmul() {
    }

    public static final int LANES = Weight.FS.length();

    /** Output rows per task: a group's weights (64 rows) stay cache-resident while every token passes. */
    private static final int GROUP = 64;

    /** {@code y (T x w.rows) = x (T x w.cols) * w^T}, plus {@code bias} (length w.rows, or null), on {@code compute}'s threads. */
    public static void matmul(float[] x, int tokens, Weight w, float[] bias, float[] y, Compute compute) {
        if (NativeMatmul.matmul(x, tokens, w, bias, y, compute)) {
            return;   // bf16 weights on the native library's kernels, in their own order, when compute's CpuBackend selects it
        }
        if (Simd.ENABLED) {
            matmulVector(x, tokens, w, bias, y, compute);
        } else {
            matmulScalar(x, tokens, w, bias, y, compute);
        }
    }

    /** Scalar twin of {@link #matmulVector}: the same reduction order, one output at a time. */
    public static void matmulScalar(float[] x, int tokens, Weight w, float[] bias, float[] y, Compute compute) {
        int in = w.cols;
        int out = w.rows;
        int bound = Weight.FS.loopBound(in);
        int groups = (out + GROUP - 1) / GROUP;
        compute.forEach(groups, g -> {
            float[] partial = new float[LANES];
            for (int o = g * GROUP, oEnd = Math.min(out, o + GROUP); o < oEnd; o++) {
                long wr = (long) o * in;
                for (int t = 0; t < tokens; t++) {
                    int xr = t * in;
                    java.util.Arrays.fill(partial, 0f);
                    for (int i = 0; i < bound; i += LANES) {
                        for (int j = 0; j < LANES; j++) {
                            partial[j] = Math.fma(w.get(wr + i + j), x[xr + i + j], partial[j]);
                        }
                    }
                    float s = 0f;
                    for (int j = 0; j < LANES; j++) {
                        s += partial[j];
                    }
                    for (int i = bound; i < in; i++) {
                        s = Math.fma(w.get(wr + i), x[xr + i], s);
                    }
                    y[t * out + o] = bias == null ? s : s + bias[o];
                }
            }
        });
    }

    /** Vector kernel; see the class comment for its order of operations. */
    public static void matmulVector(float[] x, int tokens, Weight w, float[] bias, float[] y, Compute compute) {
        int out = w.rows;
        int groups = (out + GROUP - 1) / GROUP;
        compute.forEach(groups, g -> {
            float[] lanes = new float[LANES];
            int oStart = g * GROUP;
            int oEnd = Math.min(out, oStart + GROUP);
            int oQuadEnd = oStart + (oEnd - oStart) / 4 * 4;
            int tQuadEnd = tokens / 4 * 4;
            for (int t = 0; t < tQuadEnd; t += 4) {
                for (int o = oStart; o < oQuadEnd; o += 4) {
                    block4x4(x, t, w, o, y, out, lanes);
                }
                for (int o = oQuadEnd; o < oEnd; o++) {
                    for (int tt = t; tt < t + 4; tt++) {
                        y[tt * out + o] = dot(x, tt, w, o, lanes);
                    }
                }
            }
            for (int t = tQuadEnd; t < tokens; t++) {
                for (int o = oStart; o < oEnd; o++) {
                    y[t * out + o] = dot(x, t, w, o, lanes);
                }
            }
            if (bias != null) {
                for (int t = 0; t < tokens; t++) {
                    for (int o = oStart; o < oEnd; o++) {
                        y[t * out + o] += bias[o];
                    }
                }
            }
        });
    }

    /** One output by the vector order (used for edges). */
    private static float dot(float[] x, int t, Weight w, int o, float[] lanes) {
        int in = w.cols;
        int bound = Weight.FS.loopBound(in);
        long wr = (long) o * in;
        int xr = t * in;
        FloatVector acc = FloatVector.zero(Weight.FS);
        for (int i = 0; i < bound; i += LANES) {
            acc = w.load(wr + i).fma(FloatVector.fromArray(Weight.FS, x, xr + i), acc);
        }
        return finish(acc, lanes, x, xr, w, wr, bound, in);
    }

    private static float finish(FloatVector acc, float[] lanes, float[] x, int xr, Weight w, long wr, int bound, int in) {
        acc.intoArray(lanes, 0);
        float s = 0f;
        for (int j = 0; j < LANES; j++) {
            s += lanes[j];
        }
        for (int i = bound; i < in; i++) {
            s = Math.fma(w.get(wr + i), x[xr + i], s);
        }
        return s;
    }

    private static void block4x4(float[] x, int t, Weight w, int o, float[] y, int out, float[] lanes) {
        var fs = Weight.FS;
        int in = w.cols;
        int bound = fs.loopBound(in);
        long w0 = (long) o * in;
        long w1 = w0 + in;
        long w2 = w1 + in;
        long w3 = w2 + in;
        int x0 = t * in;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        FloatVector a00 = FloatVector.zero(fs), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0; i < bound; i += LANES) {
            FloatVector v0 = w.load(w0 + i);
            FloatVector v1 = w.load(w1 + i);
            FloatVector v2 = w.load(w2 + i);
            FloatVector v3 = w.load(w3 + i);
            FloatVector u = FloatVector.fromArray(fs, x, x0 + i);
            a00 = v0.fma(u, a00);
            a01 = v1.fma(u, a01);
            a02 = v2.fma(u, a02);
            a03 = v3.fma(u, a03);
            u = FloatVector.fromArray(fs, x, x1 + i);
            a10 = v0.fma(u, a10);
            a11 = v1.fma(u, a11);
            a12 = v2.fma(u, a12);
            a13 = v3.fma(u, a13);
            u = FloatVector.fromArray(fs, x, x2 + i);
            a20 = v0.fma(u, a20);
            a21 = v1.fma(u, a21);
            a22 = v2.fma(u, a22);
            a23 = v3.fma(u, a23);
            u = FloatVector.fromArray(fs, x, x3 + i);
            a30 = v0.fma(u, a30);
            a31 = v1.fma(u, a31);
            a32 = v2.fma(u, a32);
            a33 = v3.fma(u, a33);
        }
        int y0 = t * out + o;
        y[y0] = finish(a00, lanes, x, x0, w, w0, bound, in);
        y[y0 + 1] = finish(a01, lanes, x, x0, w, w1, bound, in);
        y[y0 + 2] = finish(a02, lanes, x, x0, w, w2, bound, in);
        y[y0 + 3] = finish(a03, lanes, x, x0, w, w3, bound, in);
        y0 += out;
        y[y0] = finish(a10, lanes, x, x1, w, w0, bound, in);
        y[y0 + 1] = finish(a11, lanes, x, x1, w, w1, bound, in);
        y[y0 + 2] = finish(a12, lanes, x, x1, w, w2, bound, in);
        y[y0 + 3] = finish(a13, lanes, x, x1, w, w3, bound, in);
        y0 += out;
        y[y0] = finish(a20, lanes, x, x2, w, w0, bound, in);
        y[y0 + 1] = finish(a21, lanes, x, x2, w, w1, bound, in);
        y[y0 + 2] = finish(a22, lanes, x, x2, w, w2, bound, in);
        y[y0 + 3] = finish(a23, lanes, x, x2, w, w3, bound, in);
        y0 += out;
        y[y0] = finish(a30, lanes, x, x3, w, w0, bound, in);
        y[y0 + 1] = finish(a31, lanes, x, x3, w, w1, bound, in);
        y[y0 + 2] = finish(a32, lanes, x, x3, w, w2, bound, in);
        y[y0 + 3] = finish(a33, lanes, x, x3, w, w3, bound, in);
    }
}
