package dev.toploc.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.toploc.runtime.ComputeMode;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Vector kernels of the runtime against their scalar twins: bit-identical, for every weight format. */
class KernelTwinsTest {

    static Weight weight(Random r, Weight.Kind kind, int rows, int cols) {
        int n = rows * cols;
        ByteBuffer b = ByteBuffer.allocate(n * (kind == Weight.Kind.F32 ? 4 : 2)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float v = (float) (r.nextGaussian() * 0.05);
            if (i % 97 == 0) {
                v = (float) (r.nextGaussian() * 1e-6);     // fp16 subnormals
            }
            switch (kind) {
                case BF16 -> b.putShort(dev.toploc.Dtype.floatToBf16(v));
                case F16 -> b.putShort(Float.floatToFloat16(v));
                case F32 -> b.putFloat(v);
            }
        }
        return new Weight(MemorySegment.ofArray(b.array()), kind, rows, cols);
    }

    @Property(tries = 60, seed = "20261128")
    void matmul_vectorEqualsScalar(@ForAll @IntRange(min = 1, max = 11) int tokens, @ForAll @IntRange(min = 1, max = 75) int rows,
                                   @ForAll @IntRange(min = 1, max = 200) int cols, @ForAll @IntRange(min = 0, max = 2) int kindIndex,
                                   @ForAll boolean bias, @ForAll long seed) {
        Random r = new Random(seed);
        Weight w = weight(r, Weight.Kind.values()[kindIndex], rows, cols);
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] b = null;
        if (bias) {
            b = new float[rows];
            for (int i = 0; i < rows; i++) {
                b[i] = (float) r.nextGaussian();
            }
        }
        float[] v = new float[tokens * rows];
        float[] s = new float[tokens * rows];
        Matmul.matmulVector(x, tokens, w, b, v, dev.toploc.Compute.defaults());
        Matmul.matmulScalar(x, tokens, w, b, s, dev.toploc.Compute.defaults());
        assertArrayEquals(s, v);
    }

    /** Several K chunks, token tiles and row groups (small blocking), with row, token and K tails: the same bits as the scalar twin. */
    @Property(tries = 30, seed = "20261201")
    void matmul_blockedEqualsScalar(@ForAll @IntRange(min = 1, max = 40) int tokens, @ForAll @IntRange(min = 1, max = 30) int rows,
                                    @ForAll @IntRange(min = 1, max = 300) int cols, @ForAll @IntRange(min = 0, max = 2) int kindIndex,
                                    @ForAll @IntRange(min = 1, max = 4) int groupQuads, @ForAll @IntRange(min = 1, max = 5) int kcLanes,
                                    @ForAll @IntRange(min = 1, max = 4) int tileQuads, @ForAll boolean bias, @ForAll long seed) {
        Random r = new Random(seed);
        Weight w = weight(r, Weight.Kind.values()[kindIndex], rows, cols);
        float[] x = gauss(r, tokens * cols, ComputeMode.FP32);
        float[] b = bias ? gauss(r, rows, ComputeMode.FP32) : null;
        float[] v = new float[tokens * rows];
        float[] s = new float[tokens * rows];
        Matmul.matmulVector(x, tokens, w, b, v, dev.toploc.Compute.defaults(), 4 * groupQuads, Matmul.LANES * kcLanes, 4 * tileQuads);
        Matmul.matmulScalar(x, tokens, w, b, s, dev.toploc.Compute.defaults());
        assertArrayEquals(s, v);
    }

    /** Real widths with the default blocking: K = 14336 + 5 (Llama-3-8B's MLP, several K chunks and a tail), more tokens than a tile. */
    @org.junit.jupiter.api.Test
    void matmul_wideK_vectorEqualsScalar() {
        Random r = new Random(8);
        int tokens = Matmul.TILE + 2;
        int rows = 6;
        int cols = 14336 + 5;
        Weight w = weight(r, Weight.Kind.BF16, rows, cols);
        float[] x = gauss(r, tokens * cols, ComputeMode.FP32);
        float[] v = new float[tokens * rows];
        float[] s = new float[tokens * rows];
        Matmul.matmulVector(x, tokens, w, null, v, dev.toploc.Compute.defaults());
        Matmul.matmulScalar(x, tokens, w, null, s, dev.toploc.Compute.defaults().withThreads(1));
        assertArrayEquals(s, v);
        // negative control: another order (one sequential fma chain) gives other bits here, so equality means the order held
        int differ = 0;
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < rows; o++) {
                float acc = 0f;
                for (int i = 0; i < cols; i++) {
                    acc = Math.fma(w.get((long) o * cols + i), x[t * cols + i], acc);
                }
                differ += acc != v[t * rows + o] ? 1 : 0;
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(differ > tokens * rows / 2, differ + " of " + tokens * rows + " differ from a sequential sum");
    }

    @Property(tries = 40, seed = "20261128")
    void weightWidening_isExact(@ForAll @IntRange(min = 0, max = 2) int kindIndex, @ForAll long seed) {
        Random r = new Random(seed);
        Weight w = weight(r, Weight.Kind.values()[kindIndex], 3, 64);
        float[] scalar = new float[192];
        for (int i = 0; i < 192; i++) {
            scalar[i] = w.get(i);
        }
        float[] vector = new float[192];
        for (int i = 0; i + Matmul.LANES <= 192; i += Matmul.LANES) {
            w.load(i).intoArray(vector, i);
        }
        assertArrayEquals(scalar, vector);
    }

    @Property(tries = 40, seed = "20261128")
    void attention_vectorEqualsScalar(@ForAll @IntRange(min = 1, max = 80) int tokens, @ForAll @IntRange(min = 0, max = 90) int start,
                                      @ForAll @IntRange(min = 0, max = 2) int modeIndex, @ForAll @IntRange(min = 0, max = 7) int window,
                                      @ForAll @IntRange(min = 0, max = 3) int dIndex, @ForAll @IntRange(min = 0, max = 2) int scoring,
                                      @ForAll boolean oddGroup, @ForAll long seed) {
        Random r = new Random(seed);
        int heads = oddGroup ? 6 : 4;     // groups of 3 query heads per key/value head run one head at a time, groups of 2 in pairs
        int kvHeads = 2;
        // 24 and 80: not a multiple of four vectors (the tails); 64 and 136: the four-chain blocks, with keys past 64 for the scores'
        int d = new int[] {24, 64, 80, 136}[dIndex];
        window = window == 7 ? 70 : window;
        ComputeMode mode = ComputeMode.values()[modeIndex];
        KvCache cache = new KvCache(1, kvHeads, d, start + tokens);
        float[] k = gauss(r, (start + tokens) * kvHeads * d, mode);
        float[] v = gauss(r, (start + tokens) * kvHeads * d, mode);
        cache.layer(0).store(k, v, 0, start + tokens);
        float[] q = gauss(r, tokens * heads * d, mode);
        float[] a = new float[tokens * heads * d];
        float[] b = new float[tokens * heads * d];
        // scoring: 0 divides by sqrt(d), 1 multiplies by Gemma's query scale, 2 adds Gemma 2's soft cap (scalar softmax on both paths)
        float scale = scoring == 0 ? 0f : 0.125f;
        float softcap = scoring == 2 ? 50f : 0f;
        Attention.attend(q, cache.layer(0), start, tokens, heads, kvHeads, d, window, mode, a, true, scale, softcap, dev.toploc.Compute.defaults());
        Attention.attend(q, cache.layer(0), start, tokens, heads, kvHeads, d, window, mode, b, false, scale, softcap, dev.toploc.Compute.defaults());
        assertArrayEquals(b, a);
    }

    private static float[] gauss(Random r, int n, ComputeMode mode) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = mode.round((float) r.nextGaussian());
        }
        return f;
    }
}
