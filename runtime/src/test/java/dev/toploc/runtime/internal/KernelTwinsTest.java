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
    void attention_vectorEqualsScalar(@ForAll @IntRange(min = 1, max = 40) int tokens, @ForAll @IntRange(min = 0, max = 9) int start,
                                      @ForAll @IntRange(min = 0, max = 2) int modeIndex, @ForAll @IntRange(min = 0, max = 7) int window,
                                      @ForAll long seed) {
        Random r = new Random(seed);
        int heads = 4;
        int kvHeads = 2;
        int d = 24;           // not a multiple of the lane count: exercises the tails
        ComputeMode mode = ComputeMode.values()[modeIndex];
        KvCache cache = new KvCache(1, kvHeads, d, start + tokens);
        float[] k = gauss(r, (start + tokens) * kvHeads * d, mode);
        float[] v = gauss(r, (start + tokens) * kvHeads * d, mode);
        cache.layer(0).store(k, v, 0, start + tokens);
        float[] q = gauss(r, tokens * heads * d, mode);
        float[] a = new float[tokens * heads * d];
        float[] b = new float[tokens * heads * d];
        Attention.attend(q, cache.layer(0), start, tokens, heads, kvHeads, d, window, mode, a, true, dev.toploc.Compute.defaults());
        Attention.attend(q, cache.layer(0), start, tokens, heads, kvHeads, d, window, mode, b, false, dev.toploc.Compute.defaults());
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
