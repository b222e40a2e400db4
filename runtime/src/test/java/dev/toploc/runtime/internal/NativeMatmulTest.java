package dev.toploc.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.toploc.Compute;
import dev.toploc.Dtype;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The native CPU matmul (libtoploc_cpu.so) against its scalar twins, the exact sum and the Java kernel. Tests of a
 * kernel skip, naming why, where the library or the CPU feature is absent; the fallbacks are tested everywhere.
 */
class NativeMatmulTest {
    private static final Compute ONE = Compute.defaults().withThreads(1);
    private static final Compute THREE = Compute.defaults().withThreads(3);

    static void assumeKernel(NativeMatmul.Kernel k) {
        assumeTrue(NativeMatmul.available(k), () -> k + " unavailable: " + NativeMatmul.probe().detail());
    }

    /** Random bf16 weights (N(0, 0.05), some tiny and some large) in native memory, as a mapped model's. */
    static Weight nativeWeight(Random r, int rows, int cols) {
        MemorySegment seg = Arena.ofAuto().allocate((long) rows * cols * 2, 2);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) (r.nextGaussian() * 0.05);
            if (i % 101 == 0) {
                v *= 1e-3f;
            } else if (i % 103 == 0) {
                v *= 40f;
            }
            seg.setAtIndex(Weight.SHORT_LE, i, Dtype.floatToBf16(v));
        }
        return new Weight(seg, Weight.Kind.BF16, rows, cols);
    }

    /** fp32 activations of a normed hidden row: N(0, 1), a few outliers; bf16-rounded when {@code bf16}. */
    static float[] activations(Random r, int n, boolean bf16) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            float v = (float) r.nextGaussian();
            if (i % 89 == 0) {
                v *= 30f;
            }
            x[i] = bf16 ? Dtype.bf16ToFloat(Dtype.floatToBf16(v)) : v;
        }
        return x;
    }

    static float[] bias(Random r, int n) {
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            b[i] = (float) r.nextGaussian() * 0.1f;
        }
        return b;
    }

    private static float[] run(NativeMatmul.Kernel k, float[] x, int tokens, Weight w, float[] bias, Compute c) {
        float[] y = new float[tokens * w.rows];
        assertTrue(NativeMatmul.matmul(k, x, tokens, w, bias, y, c));
        return y;
    }

    @ParameterizedTest(name = "tokens={0} out={1} in={2} bf16={3}")
    @CsvSource({"1,3,2048,false", "5,70,2048,false", "7,66,5632,false", "17,9,71,false", "33,37,130,true", "4,64,2048,true", "6,5,1,false"})
    void avx512_bitIdenticalToItsTwin_anyThreads(int tokens, int out, int in, boolean bf16) {
        assumeKernel(NativeMatmul.Kernel.AVX512_BF16);
        Random r = new Random(tokens * 131L + out * 7L + in);
        Weight w = nativeWeight(r, out, in);
        float[] x = activations(r, tokens * in, bf16);
        float[] b = tokens % 2 == 1 ? bias(r, out) : null;
        float[] twin = new float[tokens * out];
        assertTrue(NativeMatmul.avx512Twin(x, tokens, w, b, twin));
        assertArrayEquals(twin, run(NativeMatmul.Kernel.AVX512_BF16, x, tokens, w, b, ONE));
        assertArrayEquals(twin, run(NativeMatmul.Kernel.AVX512_BF16, x, tokens, w, b, THREE));
    }

    /** Edge values: zeros of both signs, bf16 and fp32 subnormals, tiny products (flushed), large magnitudes. */
    @Test
    void avx512_bitIdenticalToItsTwin_onEdgeValues() {
        assumeKernel(NativeMatmul.Kernel.AVX512_BF16);
        Random r = new Random(7);
        int tokens = 9, out = 20, in = 96;
        float[] edges = {0f, -0f, Float.MIN_VALUE, -Float.MIN_NORMAL, Float.MIN_NORMAL * 3.1f, 1e-39f, 1e-30f, -1e-20f, 3e38f, -2e38f,
            1f + 0x1p-23f, 1f + 0x1p-9f, -(1f + 0x1p-17f), 65504f, 1e10f};
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 3 == 0 ? edges[r.nextInt(edges.length)] : (float) r.nextGaussian();
        }
        MemorySegment seg = Arena.ofAuto().allocate((long) out * in * 2, 2);
        short[] wEdges = {0, (short) 0x8000, 1, (short) 0x8001, 0x0080, 0x00FF, 0x3F80, (short) 0xBF80, 0x0A00, 0x7F00, 0x0101};
        for (int i = 0; i < out * in; i++) {
            short v = i % 2 == 0 ? wEdges[r.nextInt(wEdges.length)] : Dtype.floatToBf16((float) r.nextGaussian() * 1e-19f);
            seg.setAtIndex(Weight.SHORT_LE, i, v);
        }
        Weight w = new Weight(seg, Weight.Kind.BF16, out, in);
        float[] twin = new float[tokens * out];
        assertTrue(NativeMatmul.avx512Twin(x, tokens, w, null, twin));
        float[] y = run(NativeMatmul.Kernel.AVX512_BF16, x, tokens, w, null, THREE);
        for (int i = 0; i < y.length; i++) {
            // raw bits, but NaN as NaN (the hardware's default NaN has the sign bit set, Java's not)
            assertEquals(Float.isNaN(twin[i]) ? 0x7fc00000 : Float.floatToRawIntBits(twin[i]),
                    Float.isNaN(y[i]) ? 0x7fc00000 : Float.floatToRawIntBits(y[i]), "output " + i + ": twin " + twin[i] + ", kernel " + y[i]);
        }
    }

    /** Negative control: the twin with the other element order in a pair (2i first) differs from the kernel, so the order is observed. */
    @Test
    void avx512_pairOrderIsObservable() {
        assumeKernel(NativeMatmul.Kernel.AVX512_BF16);
        Random r = new Random(11);
        int tokens = 4, out = 16, in = 2048;
        Weight w = nativeWeight(r, out, in);
        float[] x = activations(r, tokens * in, false);
        float[] y = run(NativeMatmul.Kernel.AVX512_BF16, x, tokens, w, null, ONE);
        float[][] parts = NativeMatmul.split(x, tokens * in);
        float[] swapped = new float[tokens * out];
        for (int t = 0; t < tokens; t++) {
            for (int n = 0; n < out; n++) {
                float[] lane = new float[16];
                for (int c = 0; c < in; c += 32) {
                    for (float[] p : parts) {
                        for (int i = 0; i < 16; i++) {
                            for (int k = c + 2 * i; k <= c + 2 * i + 1; k++) {
                                lane[i] = Math.fma(p[t * in + k], w.get((long) n * in + k), lane[i]);
                            }
                        }
                    }
                }
                float s = 0f;
                for (float l : lane) {
                    s += l;
                }
                swapped[t * out + n] = s;
            }
        }
        assertFalse(java.util.Arrays.equals(y, swapped), "the pair order made no difference on 64 outputs of width 2048");
    }

    @ParameterizedTest(name = "tokens={0} out={1} in={2} bf16={3}")
    @CsvSource({"1,3,2048,false", "40,70,2048,false", "33,66,5632,false", "17,9,71,false", "64,100,2048,true", "6,5,1,false"})
    void amx_deterministicAcrossThreads_withinTheBound(int tokens, int out, int in, boolean bf16) {
        assumeKernel(NativeMatmul.Kernel.AMX_BF16);
        Random r = new Random(tokens * 31L + out * 3L + in);
        Weight w = nativeWeight(r, out, in);
        float[] x = activations(r, tokens * in, bf16);
        float[] b = bias(r, out);
        float[] y1 = run(NativeMatmul.Kernel.AMX_BF16, x, tokens, w, b, ONE);
        assertArrayEquals(y1, run(NativeMatmul.Kernel.AMX_BF16, x, tokens, w, b, THREE));
        assertArrayEquals(y1, run(NativeMatmul.Kernel.AMX_BF16, x, tokens, w, b, ONE));
        int parts = NativeMatmul.split(x, tokens * in).length;
        assertWithinBound(y1, x, tokens, w, b, parts * in + 1);   // any order of the parts' products: the bound for a chain of all of them
    }

    /** The SDM's TDPBF16PS order as a scalar twin: recorded here as what this CPU does (the docs say which it is). */
    @Test
    void amx_againstTheSdmOrder() {
        assumeKernel(NativeMatmul.Kernel.AMX_BF16);
        Random r = new Random(5);
        int tokens = 20, out = 40, in = 2048;
        Weight w = nativeWeight(r, out, in);
        float[] x = activations(r, tokens * in, false);
        float[] twin = new float[tokens * out];
        assertTrue(NativeMatmul.amxTwin(x, tokens, w, null, twin));
        float[] y = run(NativeMatmul.Kernel.AMX_BF16, x, tokens, w, null, THREE);
        int same = 0;
        for (int i = 0; i < y.length; i++) {
            same += Float.floatToRawIntBits(y[i]) == Float.floatToRawIntBits(twin[i]) ? 1 : 0;
        }
        System.out.println("AMX vs the SDM-order twin: " + same + " of " + y.length + " outputs bit-identical; max error / sum|wx|: amx "
                + maxRelError(y, x, tokens, w) + ", twin " + maxRelError(twin, x, tokens, w));
        assertWithinBound(twin, x, tokens, w, null, 3 * in + 1);
    }

    @ParameterizedTest(name = "tokens={0} out={1} in={2}")
    @CsvSource({"8,70,2048", "5,33,5632", "3,20,14336"})
    void avx512_withinTheBound_andCloseToTheJavaKernel(int tokens, int out, int in) {
        assumeKernel(NativeMatmul.Kernel.AVX512_BF16);
        Random r = new Random(in + out);
        Weight w = nativeWeight(r, out, in);
        float[] x = activations(r, tokens * in, false);
        float[] y = run(NativeMatmul.Kernel.AVX512_BF16, x, tokens, w, null, THREE);
        int parts = NativeMatmul.split(x, tokens * in).length;
        assertWithinBound(y, x, tokens, w, null, parts * 2 * ((in + 31) / 32) + 16);
        float[] jv = new float[tokens * out];
        Matmul.matmulVector(x, tokens, w, null, jv, ONE);
        assertWithinBound(jv, x, tokens, w, null, in / Matmul.LANES + Matmul.LANES + in % Matmul.LANES);
        assertFalse(java.util.Arrays.equals(y, jv), "control: the two orders are different on this data");
        System.out.println("K = " + in + ": max error / sum|wx|: avx512 " + maxRelError(y, x, tokens, w) + ", java " + maxRelError(jv, x, tokens, w));
    }

    /**
     * |y - exact| <= gamma(n) * 1.01 * sum |w x| + n * 2^-126 (+ one rounding for the bias), the standard bound for a
     * chain of n fp32 additions of exact products (parts add up to at most (1 + 2^-8)^2 |x|), plus 2^-126 per
     * addition and per element (parts * |w| + |x|) for the denormals the instructions flush (DAZ/FTZ). The bound
     * must also mean something: below 2^-8 of sum |w x| + |bias| (the Java kernel's error on this data is far below it).
     */
    static void assertWithinBound(float[] y, float[] x, int tokens, Weight w, float[] bias, int n) {
        double u = 0x1p-24;
        double gamma = n * u / (1 - n * u);
        int out = w.rows, in = w.cols;
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double exact = 0, abs = 0, flushable = 0;
                for (int k = 0; k < in; k++) {
                    double wk = w.get((long) o * in + k);
                    double p = wk * x[t * in + k];
                    exact += p;
                    abs += Math.abs(p);
                    flushable += 3 * Math.abs(wk) + Math.abs(x[t * in + k]);
                }
                double b = bias == null ? 0 : bias[o];
                double bound = gamma * 1.01 * abs + (n + flushable) * 0x1p-126 + (bias == null ? 0 : u * (Math.abs(exact + b) + gamma * abs));
                double err = Math.abs(y[t * out + o] - (exact + b));
                assertTrue(err <= bound, "output (" + t + ", " + o + "): error " + err + " > bound " + bound);
                assertTrue(bound < 0x1p-8 * (abs + Math.abs(b)), "a vacuous bound " + bound + " for sum |w x| = " + abs);
            }
        }
    }

    static double maxRelError(float[] y, float[] x, int tokens, Weight w) {
        double m = 0;
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < w.rows; o++) {
                double exact = 0, abs = 0;
                for (int k = 0; k < w.cols; k++) {
                    double p = (double) w.get((long) o * w.cols + k) * x[t * w.cols + k];
                    exact += p;
                    abs += Math.abs(p);
                }
                m = Math.max(m, Math.abs(y[t * w.rows + o] - exact) / abs);
            }
        }
        return m;
    }

    /** Every finite fp32 whose parts stay normal (or zero) is hi + mid + lo exactly; subnormal parts are where it can fail. */
    @Test
    void split_isExactOutsideTheSubnormalRange() {
        Random r = new Random(3);
        int n = 200_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = Float.intBitsToFloat(r.nextInt() & 0x7FFFFFFF | (i % 2) << 31);
            if (!Float.isFinite(x[i]) || Math.abs(x[i]) >= 0x1.ffp127f) {
                x[i] = 1.5f;
            }
        }
        float[][] p = NativeMatmul.split(x, n);
        assertEquals(3, p.length);
        int subnormalCases = 0;
        for (int i = 0; i < n; i++) {
            boolean exact = (double) p[0][i] + p[1][i] + p[2][i] == x[i];
            if (Math.abs(x[i]) >= 0x1p-110f) {
                assertTrue(exact, "x is not hi + mid + lo");
            }
            // every part is a bf16 value
            for (float[] q : p) {
                assertEquals(q[i], Dtype.bf16ToFloat(Dtype.floatToBf16(q[i])));
            }
            if (Math.abs(x[i]) < 0x1p-110f) {
                subnormalCases++;
            }
        }
        assertTrue(subnormalCases > 0, "the sample has tiny values");
        assertEquals(1, NativeMatmul.split(new float[] {1f, -0f, 0x1p-133f, 3.5f}, 4).length);
        assertEquals(null, NativeMatmul.split(new float[] {1f, Float.NaN}, 2));
        assertEquals(null, NativeMatmul.split(new float[] {Float.MAX_VALUE}, 1));     // rounds to Inf in bf16
        assertEquals(2, NativeMatmul.split(new float[] {0x1.fe8p127f}, 1).length);
        assertEquals(null, NativeMatmul.split(new float[] {0x1.ffp127f}, 1));        // the tie rounds up, to Inf
    }

    /** The AMX tiles packed by AVX-512 code equal the scalar packing, element for element, tails and edge values included. */
    @ParameterizedTest(name = "tokens={0} in={1}")
    @CsvSource({"1,1", "16,32", "17,33", "37,2048", "5,71", "40,130"})
    void amxPacking_vectorEqualsScalar(int tokens, int in) throws Throwable {
        assumeKernel(NativeMatmul.Kernel.AMX_BF16);
        Random r = new Random(tokens * 7L + in);
        float[] edges = {0f, -0f, Float.MIN_VALUE, -Float.MIN_NORMAL, 1e-39f, 0x1p-133f, 3e38f, 0x1.fe8p127f, 1f + 0x1p-23f, -(1f + 0x1p-17f)};
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 5 == 0 ? edges[r.nextInt(edges.length)] : (float) r.nextGaussian();
        }
        assertArrayEquals(NativeMatmul.pack(x, tokens, in, 2), NativeMatmul.pack(x, tokens, in, 1));
        float[] bf = activations(r, tokens * in, true);
        short[] p = NativeMatmul.pack(bf, tokens, in, 1);
        assertArrayEquals(NativeMatmul.pack(bf, tokens, in, 2), p);
        assertEquals(1, p[p.length - 1], "bf16-exact activations need one part");
        x[x.length - 1] = Float.NaN;
        assertEquals(-1, NativeMatmul.pack(x, tokens, in, 1)[p.length - 1]);
        assertEquals(-1, NativeMatmul.pack(x, tokens, in, 2)[p.length - 1]);
    }

    @Test
    void fallbacks_runTheJavaKernel() {
        Random r = new Random(1);
        Weight w = nativeWeight(r, 8, 64);
        float[] x = activations(r, 2 * 64, false);
        float[] java = new float[16];
        Matmul.matmulVector(x, 2, w, null, java, ONE);
        float[] y = new float[16];
        Matmul.matmul(x, 2, w, null, y, ONE.withCpuBackend(Compute.CpuBackend.JAVA));
        assertArrayEquals(java, y, "backend java");
        // heap fp32 weights, whatever the backend
        Weight f32 = Weight.ofFloats(new float[8 * 64], 8, 64);
        assertFalse(NativeMatmul.matmul(x, 2, f32, null, y, ONE.withCpuBackend(Compute.CpuBackend.AUTO)));
        if (NativeMatmul.probe().kernel().isPresent()) {
            float[] bad = x.clone();
            bad[70] = Float.POSITIVE_INFINITY;
            assertFalse(NativeMatmul.matmul(bad, 2, w, null, y, ONE.withCpuBackend(Compute.CpuBackend.NATIVE)), "non-finite activation");
            float[] auto = new float[16];
            Matmul.matmul(x, 2, w, null, auto, ONE);
            assertNotEquals(0f, auto[0]);
            assertTrue(NativeMatmul.describe(ONE).startsWith("native: "), NativeMatmul.describe(ONE));
        } else {
            assertThrows(IllegalStateException.class, () -> Matmul.matmul(x, 2, w, null, new float[16], ONE.withCpuBackend(Compute.CpuBackend.NATIVE)));
            Matmul.matmul(x, 2, w, null, y, ONE);
            assertArrayEquals(java, y, "auto without a library: the Java kernel");
            assertTrue(NativeMatmul.describe(ONE).startsWith("java: "), NativeMatmul.describe(ONE));
        }
        assertTrue(NativeMatmul.describe(ONE.withCpuBackend(Compute.CpuBackend.JAVA)).startsWith("java: "));
    }
}
