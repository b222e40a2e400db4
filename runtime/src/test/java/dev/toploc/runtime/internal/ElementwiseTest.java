package dev.toploc.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Compute;
import dev.toploc.Dtype;
import dev.toploc.runtime.ComputeMode;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@link Elementwise}'s and {@link Rope}'s vector and parallel paths against their scalar twins: the same bits, special values included. */
class ElementwiseTest {
    static final ComputeMode[] MODES = ComputeMode.values();

    /** Values that exercise every rounding case: normal, bf16 ties (odd and even), subnormal, overflow to infinity, infinities, NaNs of both signs and payloads. */
    static float[] values(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = switch (r.nextInt(12)) {
                case 0 -> Float.intBitsToFloat((r.nextInt() & 0xFFFF0000) | 0x8000);            // an exact bf16 tie
                case 1 -> Float.intBitsToFloat(r.nextInt());                                     // any pattern (NaNs with payloads too)
                case 2 -> Float.intBitsToFloat(0x7F7F8000 | (r.nextBoolean() ? 0x80000000 : 0)); // rounds to infinity
                case 3 -> Float.MIN_VALUE * r.nextInt(1 << 16);                                  // subnormal
                case 4 -> r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                case 5 -> Float.intBitsToFloat(0x7FC00001 | (r.nextBoolean() ? 0x80000000 : 0));
                case 6 -> r.nextBoolean() ? 0f : -0f;
                default -> (float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 20));
            };
        }
        return a;
    }

    /**
     * Bits with every NaN as the canonical one: Java leaves a NaN result's sign and payload of arithmetic unspecified
     * (x86 keeps the first operand's, and the JIT may swap a commutative operation's operands), so the arithmetic
     * twins are compared as {@link Float#floatToIntBits} does; rounding alone is compared on raw bits.
     */
    static int[] canonical(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToIntBits(a[i]);
        }
        return b;
    }

    static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    @Property(tries = 60, seed = "20261201")
    void round_vectorAndParallel_equalScalar(@ForAll @IntRange(min = 0, max = 70_000) int n, @ForAll @IntRange(min = 0, max = 2) int m,
                                             @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll long seed) {
        float[] a = values(new Random(seed), n);
        float[] s = a.clone();
        float[] v = a.clone();
        float[] p = a.clone();
        Elementwise.roundRangeScalar(s, 0, n, MODES[m]);
        Elementwise.roundRange(v, 0, n, MODES[m]);
        Elementwise.round(p, 0, n, MODES[m], Compute.defaults().withThreads(threads));
        assertArrayEquals(bits(s), bits(v));
        assertArrayEquals(bits(s), bits(p));
    }

    @Property(tries = 60, seed = "20261201")
    void addInPlace_equalsScalar(@ForAll @IntRange(min = 0, max = 40_000) int n, @ForAll @IntRange(min = 0, max = 2) int m,
                                 @ForAll boolean bf16Residual, @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = values(r, n);
        float[] y = values(r, n);
        float[] s = x.clone();
        Elementwise.addScalar(s, y, 0, n, MODES[m], bf16Residual);
        Elementwise.addInPlace(x, y, MODES[m], bf16Residual, Compute.defaults().withThreads(threads));
        assertArrayEquals(canonical(s), canonical(x));
    }

    @Property(tries = 60, seed = "20261201")
    void scaleRow_equalsScalar(@ForAll @IntRange(min = 1, max = 300) int d, @ForAll @IntRange(min = 0, max = 2) int m,
                               @ForAll boolean unitOffset, @ForAll boolean inPlace, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = values(r, 2 * d);
        float[] w = values(r, d);
        float scale = (float) Math.abs(r.nextGaussian() * 3);
        float[] s = new float[2 * d];
        Elementwise.scaleRowScalar(x, d, 0, d, scale, w, unitOffset, MODES[m], s);
        float[] v = inPlace ? x : new float[2 * d];
        float[] expected = s.clone();
        if (inPlace) {
            System.arraycopy(x, 0, expected, 0, d);     // the first row is not touched
        }
        Elementwise.scaleRow(x, d, d, scale, w, unitOffset, MODES[m], v);
        for (int i = d; i < 2 * d; i++) {
            assertTrue(Float.floatToIntBits(expected[i]) == Float.floatToIntBits(v[i]), "element " + (i - d));
        }
    }

    @Property(tries = 30, seed = "20261201")
    void swiglu_parallelEqualsScalar(@ForAll @IntRange(min = 0, max = 50_000) int n, @ForAll @IntRange(min = 0, max = 2) int m,
                                     @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll long seed) {
        Random r = new Random(seed);
        float[] g = values(r, n);
        float[] u = values(r, n);
        float[] s = g.clone();
        Elementwise.swigluRangeScalar(s, u, 0, n, MODES[m]);
        Elementwise.swiglu(g, u, n, MODES[m], Compute.defaults().withThreads(threads));
        assertArrayEquals(canonical(s), canonical(g));
    }

    @Property(tries = 40, seed = "20261201")
    void rope_vectorAndParallel_equalScalar(@ForAll @IntRange(min = 1, max = 40) int tokens, @ForAll @IntRange(min = 1, max = 5) int heads,
                                            @ForAll @IntRange(min = 0, max = 3) int halfIndex, @ForAll @IntRange(min = 0, max = 2) int m,
                                            @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll long seed) {
        Random r = new Random(seed);
        int half = new int[] {4, 32, 40, 64}[halfIndex];
        float[] x = values(r, tokens * heads * 2 * half);
        float[] cos = values(r, tokens * half);
        float[] sin = values(r, tokens * half);
        float[] s = x.clone();
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                Rope.rotateScalar(s, (t * heads + h) * 2 * half, cos, sin, t * half, 0, half, MODES[m]);
            }
        }
        Rope.apply(x, tokens, heads, half, cos, sin, MODES[m], Compute.defaults().withThreads(threads));
        assertArrayEquals(canonical(s), canonical(x));
    }

    /** The vector bf16 rounding is the library's one ({@link Dtype#floatToBf16}), and the data tells it from truncation. */
    @Test
    void bf16_isRoundToNearestEven_andTheDataCatchesTruncation() {
        float[] a = values(new Random(7), 50_000);
        float[] v = a.clone();
        Elementwise.roundRange(v, 0, v.length, ComputeMode.BF16);
        int truncationDiffers = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.floatToRawIntBits(v[i]) == Dtype.floatToBf16(a[i]) << 16, "element " + i);
            boolean nan = Float.isNaN(a[i]);
            truncationDiffers += !nan && Float.floatToRawIntBits(v[i]) != (Float.floatToRawIntBits(a[i]) & 0xFFFF0000) ? 1 : 0;
        }
        assertTrue(truncationDiffers > 10_000, truncationDiffers + " elements where truncation differs");
    }
}
