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
 * per 16 FMAs). Blocking, which never changes that order: threads split the output rows in groups of
 * {@link #GROUP}; inside a group, tokens go in tiles of {@link #TILE} and K in chunks of {@link #KC}, the
 * 16 lane partials of each 4 x 4 block carried from one chunk to the next in memory (a lane still sees its
 * inputs in increasing i, only paused at chunk edges). So at any width the working set is the 2048-wide
 * model's: a group's chunk of weights (64 x 2048 bf16, 256 KiB) stays in L2 while the tile's tokens pass,
 * a token quad's chunk (4 x 2048 fp32, 32 KiB) in L1 while the group's rows pass; without chunks, at
 * K = 14336 (Llama-3-8B's MLP) a group's rows (1.8 MB) and a token quad (229 KiB) fell out of both.
 * {@link #matmulScalar} is its scalar twin, bit-identical by construction and by test.
 */
public final class Matmul {
    private Matmul() {
    }

    public static final int LANES = Weight.FS.length();

    /** Output rows per group: a group's chunk of weights (rows x {@link #KC}) stays in L2 while a token tile passes. */
    static final int GROUP = 64;
    /** Inputs per K chunk (a multiple of any lane count): a token quad's chunk (4 x KC fp32) stays in L1 while the group's rows pass. */
    static final int KC = 2048;
    /** Tokens per tile: its lane partials (TILE x GROUP x LANES fp32, 256 KiB at 16 lanes) and activations' chunk stay in L2. */
    static final int TILE = 64;

    /** The kernel {@link #matmul} runs in this JVM, in words (for logs and benchmarks). */
    public static String backend() {
        return Simd.ENABLED ? "java-vector (" + LANES + " fp32 lanes; K chunks of " + KC + ", tiles of " + GROUP + " rows x " + TILE + " tokens)"
                : "java-scalar (" + Simd.describe() + ")";
    }

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

    /** Vector kernel; see the class comment for its order of operations and its blocking. */
    public static void matmulVector(float[] x, int tokens, Weight w, float[] bias, float[] y, Compute compute) {
        matmulVector(x, tokens, w, bias, y, compute, GROUP, KC, TILE);
    }

    /**
     * The vector kernel with explicit blocking: {@code groupRows} output rows per group, K chunks of
     * {@code kc} inputs, token tiles of {@code tileTokens} (the last two multiples of {@link #LANES} and 4).
     * Any blocking gives the same bits; the parameters only move the speed (benchmarks sweep them).
     */
    static void matmulVector(float[] x, int tokens, Weight w, float[] bias, float[] y, Compute compute,
                             int groupRows, int kc, int tileTokens) {
        if (kc % LANES != 0 || kc < LANES || tileTokens % 4 != 0 || tileTokens < 4 || groupRows % 4 != 0 || groupRows < 4) {
            throw new IllegalArgumentException("blocking " + groupRows + " x " + kc + " x " + tileTokens);
        }
        int out = w.rows;
        int groups = (out + groupRows - 1) / groupRows;
        // tasks take consecutive groups (a few per thread, for balance), so their buffers are allocated once per task
        int tasks = Math.min(groups, 4 * compute.threads());
        compute.forEach(tasks, task -> {
            Scratch sc = new Scratch(groupRows, kc, tileTokens, tokens);
            for (int g = (int) ((long) groups * task / tasks), gEnd = (int) ((long) groups * (task + 1) / tasks); g < gEnd; g++) {
                group(x, tokens, w, bias, y, g * groupRows, Math.min(out, g * groupRows + groupRows), sc);
            }
        });
    }

    /** A task's buffers: a token tile's lane partials for the group's rows (none when fewer than 4 tokens: decoding). */
    private record Scratch(int kc, int tileTokens, float[] acc, float[] lanes) {
        Scratch(int groupRows, int kc, int tileTokens, int tokens) {
            this(kc, tileTokens, new float[Math.min(tileTokens, tokens / 4 * 4) * groupRows * LANES], new float[LANES]);
        }
    }

    /**
     * Outputs {@code [oStart, oEnd)} for every token. Token quads in tiles: for each tile, K in chunks, each
     * 4 x 4 block's 16 lane-partial vectors carried in {@code acc} from chunk to chunk, so each lane still
     * accumulates its inputs in increasing i; then each output's lanes are added in order and the tail is
     * fma'd. Rows past the last quad and tokens past the last quad go through {@link #dot} (full K, the same order).
     */
    private static void group(float[] x, int tokens, Weight w, float[] bias, float[] y, int oStart, int oEnd, Scratch sc) {
        int in = w.cols;
        int out = w.rows;
        int bound = Weight.FS.loopBound(in);
        int n = oEnd - oStart;
        int nq = n / 4 * 4;
        int tq = tokens / 4 * 4;
        float[] acc = sc.acc;
        if (nq > 0) {
            for (int t0 = 0; t0 < tq; t0 += sc.tileTokens) {
                int tEnd = Math.min(tq, t0 + sc.tileTokens);
                java.util.Arrays.fill(acc, 0, (tEnd - t0) * n * LANES, 0f);
                for (int k0 = 0; k0 < bound; k0 += sc.kc) {
                    int len = Math.min(sc.kc, bound - k0);
                    for (int t = t0; t < tEnd; t += 4) {
                        for (int r = 0; r < nq; r += 4) {
                            block4x4(x, in, t, k0, len, w, oStart + r, acc, ((t - t0) * n + r) * LANES, n * LANES);
                        }
                    }
                }
                for (int t = t0; t < tEnd; t++) {
                    int xr = t * in;
                    for (int r = 0; r < nq; r++) {
                        long wr = (long) (oStart + r) * in;
                        FloatVector a = FloatVector.fromArray(Weight.FS, acc, ((t - t0) * n + r) * LANES);
                        y[t * out + oStart + r] = finish(a, sc.lanes, x, xr, w, wr, bound, in);
                    }
                }
            }
        }
        for (int t = 0; t < tokens; t++) {
            for (int o = t < tq ? oStart + nq : oStart; o < oEnd; o++) {
                y[t * out + o] = dot(x, t, w, o, sc.lanes);
            }
        }
        if (bias != null) {
            for (int t = 0; t < tokens; t++) {
                for (int o = oStart; o < oEnd; o++) {
                    y[t * out + o] += bias[o];
                }
            }
        }
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

    /**
     * Tokens {@code t..t+3} x panel rows {@code r..r+3} over one K chunk ({@code len} inputs from {@code k0}):
     * the 16 lane-partial vectors are read from {@code acc} (zeros before the first chunk) and go back there.
     * In {@code acc}, token {@code t+a}'s row {@code r+b} is at {@code base + a * tokenStride + b * LANES}.
     */
    private static void block4x4(float[] x, int in, int t, int k0, int len, Weight w, int o, float[] acc, int base, int tokenStride) {
        var fs = Weight.FS;
        long w0 = (long) o * in + k0;
        long w1 = w0 + in;
        long w2 = w1 + in;
        long w3 = w2 + in;
        int x0 = t * in + k0;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        int c0 = base;
        int c1 = c0 + tokenStride;
        int c2 = c1 + tokenStride;
        int c3 = c2 + tokenStride;
        FloatVector a00 = FloatVector.fromArray(fs, acc, c0);
        FloatVector a01 = FloatVector.fromArray(fs, acc, c0 + LANES);
        FloatVector a02 = FloatVector.fromArray(fs, acc, c0 + 2 * LANES);
        FloatVector a03 = FloatVector.fromArray(fs, acc, c0 + 3 * LANES);
        FloatVector a10 = FloatVector.fromArray(fs, acc, c1);
        FloatVector a11 = FloatVector.fromArray(fs, acc, c1 + LANES);
        FloatVector a12 = FloatVector.fromArray(fs, acc, c1 + 2 * LANES);
        FloatVector a13 = FloatVector.fromArray(fs, acc, c1 + 3 * LANES);
        FloatVector a20 = FloatVector.fromArray(fs, acc, c2);
        FloatVector a21 = FloatVector.fromArray(fs, acc, c2 + LANES);
        FloatVector a22 = FloatVector.fromArray(fs, acc, c2 + 2 * LANES);
        FloatVector a23 = FloatVector.fromArray(fs, acc, c2 + 3 * LANES);
        FloatVector a30 = FloatVector.fromArray(fs, acc, c3);
        FloatVector a31 = FloatVector.fromArray(fs, acc, c3 + LANES);
        FloatVector a32 = FloatVector.fromArray(fs, acc, c3 + 2 * LANES);
        FloatVector a33 = FloatVector.fromArray(fs, acc, c3 + 3 * LANES);
        for (int i = 0; i < len; i += LANES) {
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
        a00.intoArray(acc, c0);
        a01.intoArray(acc, c0 + LANES);
        a02.intoArray(acc, c0 + 2 * LANES);
        a03.intoArray(acc, c0 + 3 * LANES);
        a10.intoArray(acc, c1);
        a11.intoArray(acc, c1 + LANES);
        a12.intoArray(acc, c1 + 2 * LANES);
        a13.intoArray(acc, c1 + 3 * LANES);
        a20.intoArray(acc, c2);
        a21.intoArray(acc, c2 + LANES);
        a22.intoArray(acc, c2 + 2 * LANES);
        a23.intoArray(acc, c2 + 3 * LANES);
        a30.intoArray(acc, c3);
        a31.intoArray(acc, c3 + LANES);
        a32.intoArray(acc, c3 + 2 * LANES);
        a33.intoArray(acc, c3 + 3 * LANES);
    }
}
