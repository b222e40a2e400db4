package dev.toploc.internal;

import dev.toploc.TopKAccelerator;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The vector and scalar top-k kernels against a sort-everything oracle, ties included. */
class TopKTest {

    /** Oracle: sort all indices by (magnitude desc, index asc), keep k, sort ascending. */
    static int[] naive(int[] mags, int k) {
        Integer[] order = IntStream.range(0, mags.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> -mags[i]).thenComparingInt(i -> i));
        int[] top = new int[k];
        for (int i = 0; i < k; i++) {
            top[i] = order[i];
        }
        Arrays.sort(top);
        return top;
    }

    /** Random bf16-like patterns; {@code distinct} small means heavy ties. */
    static short[] patterns(Random r, int n, int distinct) {
        short[] a = new short[n];
        for (int i = 0; i < n; i++) {
            int mag = distinct > 0 ? 0x3F00 + r.nextInt(distinct) : r.nextInt(0x7F80);
            a[i] = (short) (mag | (r.nextBoolean() ? 0x8000 : 0));
        }
        return a;
    }

    @Property(tries = 150, seed = "20261128")
    void select16_vectorScalarAndOracleAgree(@ForAll @IntRange(min = 1, max = 20000) int n,
                                             @ForAll @IntRange(min = 1, max = 300) int kWanted,
                                             @ForAll @IntRange(min = 0, max = 40) int distinct, @ForAll long seed) {
        Random r = new Random(seed);
        int k = Math.min(kWanted, n);
        int off = r.nextInt(5);
        short[] a = patterns(r, n + off + 3, distinct);
        int[] mags = new int[n];
        for (int i = 0; i < n; i++) {
            mags[i] = a[off + i] & 0x7FFF;
        }
        int[] want = naive(mags, k);
        TopKAccelerator.Result v = TopKVector.select16(a, off, n, k, 0x7FFF, 0x7F80);
        TopKAccelerator.Result s = TopK.select16Scalar(a, off, n, k, 0x7FFF, 0x7F80);
        assertArrayEquals(want, v.indices());
        assertArrayEquals(want, s.indices());
    }

    @Property(tries = 80, seed = "20261128")
    void select32_vectorScalarAndOracleAgree(@ForAll @IntRange(min = 1, max = 20000) int n,
                                             @ForAll @IntRange(min = 1, max = 300) int kWanted,
                                             @ForAll boolean ties, @ForAll long seed) {
        Random r = new Random(seed);
        int k = Math.min(kWanted, n);
        float[] a = new float[n];
        int[] mags = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = ties ? (r.nextInt(7) - 3) * 0.5f : (float) r.nextGaussian();
            mags[i] = Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF;
        }
        int[] want = naive(mags, k);
        assertArrayEquals(want, TopKVector.select32(a, 0, n, k).indices());
        assertArrayEquals(want, TopK.select32Scalar(a, 0, n, k).indices());
    }

    @Test
    void nonFinite_isReportedAtItsFirstIndex_byBothPaths() {
        short[] a = patterns(new Random(1), 5000, 0);
        a[4321] = (short) 0xFFC0;   // -NaN
        a[4000] = (short) 0x7F80;   // +Inf, earlier
        assertEquals(4000, TopKVector.select16(a, 0, a.length, 128, 0x7FFF, 0x7F80).firstNonFinite());
        assertEquals(4000, TopK.select16Scalar(a, 0, a.length, 128, 0x7FFF, 0x7F80).firstNonFinite());
        float[] f = new float[3000];
        f[2999] = Float.NEGATIVE_INFINITY;
        assertEquals(2999, TopKVector.select32(f, 0, f.length, 16).firstNonFinite());
        assertEquals(2999, TopK.select32Scalar(f, 0, f.length, 16).firstNonFinite());
    }

    @Test
    void allEqual_lowestIndicesWin() {
        short[] a = new short[163840];
        Arrays.fill(a, (short) 0x3F80);
        int[] want = IntStream.range(0, 128).toArray();
        assertArrayEquals(want, TopKVector.select16(a, 0, a.length, 128, 0x7FFF, 0x7F80).indices());
        assertArrayEquals(want, TopK.select16Scalar(a, 0, a.length, 128, 0x7FFF, 0x7F80).indices());
    }

    @Test
    void selectLargest_survivesAdversarialOrders() {
        for (long[] a : new long[][] {
                LongStream_range(100000), reversed(LongStream_range(100000)), new long[50000]}) {
            long[] copy = a.clone();
            TopK.selectLargest(copy, copy.length, 77);
            long[] top = Arrays.copyOf(copy, 77);
            Arrays.sort(top);
            long[] sorted = a.clone();
            Arrays.sort(sorted);
            assertArrayEquals(Arrays.copyOfRange(sorted, sorted.length - 77, sorted.length), top);
        }
    }

    private static long[] LongStream_range(int n) {
        return java.util.stream.LongStream.range(0, n).toArray();
    }

    private static long[] reversed(long[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }
}
