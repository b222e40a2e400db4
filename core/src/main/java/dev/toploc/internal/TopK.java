package dev.toploc.internal;

import dev.toploc.TopKAccelerator;
import dev.toploc.TopKAccelerator.Result;
import java.util.Arrays;

/**
 * Exact top-k by magnitude over a flat chunk of patterns, with the TOPLOC tie rule: larger magnitude
 * first, and among equal magnitudes the lower flat index wins. The result is a set, returned as indices
 * (relative to the chunk start) in ascending order, so it is fully determined by the input.
 *
 * <p>Algorithm, O(n) and two streaming passes:
 * <ol>
 *   <li>Split the chunk into B &ge; k disjoint blocks and take each block's maximum magnitude. The k-th
 *       largest block maximum {@code t} is a safe threshold: k distinct blocks hold a value &ge; t, so
 *       every member of the top-k has magnitude &ge; t.</li>
 *   <li>Collect every element with magnitude &ge; t as a candidate key
 *       {@code magnitude << 31 | (2^31-1 - index)} (unique; larger key = better), then select the k
 *       largest keys (quickselect with a sort fallback).</li>
 * </ol>
 * With B about 8k blocks the candidates number about k on real activations. The vector path forms its
 * blocks from lanes (lane j of a stretch of consecutive vectors) and the scalar twin from contiguous
 * runs; their thresholds may differ, their results cannot (the selection is exact), and tests assert it.
 * The vector path lives in {@link TopKVector}, so this class loads without the incubator module.
 *
 * <p>Non-finite values: a NaN/Inf has the largest magnitudes of its format, so it is always a candidate;
 * when the largest candidate is non-finite the kernel reports the first non-finite index instead.
 */
public final class TopK {
    private TopK() {
    }

    /** Blocks per k: more blocks, fewer candidates but a longer pass 1 tail of small selections. */
    static final int BLOCKS_PER_K = 8;

    // -------------------------------------------------------------------------------------- 16-bit

    /**
     * Top-k of {@code a[off, off+len)} read as patterns whose magnitude is {@code a[i] & magMask}, on
     * {@code acc} ({@code null}: the CPU kernels). Requires {@code 1 <= k <= len}; a magnitude
     * {@code >= nonFinite} is reported, not selected.
     */
    public static Result select16(TopKAccelerator acc, short[] a, int off, int len, int k, int magMask, int nonFinite) {
        if (acc != null) {
            checkArgs(a.length, off, len, k);
            return acc.select16(a, off, len, k, magMask, nonFinite);
        }
        return select16Cpu(a, off, len, k, magMask, nonFinite);
    }

    /** Top-k on the CPU: the vector kernel when enabled, else its scalar twin. */
    public static Result select16Cpu(short[] a, int off, int len, int k, int magMask, int nonFinite) {
        return Simd.ENABLED ? TopKVector.select16(a, off, len, k, magMask, nonFinite) : select16Scalar(a, off, len, k, magMask, nonFinite);
    }

    /** Scalar twin of {@link TopKVector#select16}: contiguous blocks, the same exact selection. */
    public static Result select16Scalar(short[] a, int off, int len, int k, int magMask, int nonFinite) {
        checkArgs(a.length, off, len, k);
        int blocks = BLOCKS_PER_K * k;
        int perBlock = len / blocks;
        int threshold = 0;
        if (perBlock > 0) {
            int[] maxima = new int[blocks];
            for (int b = 0; b < blocks; b++) {
                int m = 0;
                for (int i = off + b * perBlock, end = i + perBlock; i < end; i++) {
                    m = Math.max(m, a[i] & magMask);
                }
                maxima[b] = m;
            }
            threshold = kthLargest(maxima, k);
        }
        Candidates cands = new Candidates(Math.max(4 * k, 64));
        for (int i = 0; i < len; i++) {
            int mag = a[off + i] & magMask;
            if (mag >= threshold) {
                cands.add(mag, i);
            }
        }
        return finish16(a, off, len, k, magMask, nonFinite, cands);
    }

    static Result finish16(short[] a, int off, int len, int k, int magMask, int nonFinite, Candidates c) {
        if (c.maxMagnitude >= nonFinite) {
            for (int i = 0; i < len; i++) {
                if ((a[off + i] & magMask) >= nonFinite) {
                    return new Result(null, i);
                }
            }
        }
        return new Result(c.topIndices(k), -1);
    }

    // -------------------------------------------------------------------------------------- 32-bit

    /**
     * Top-k of fp32 values {@code a[off, off+len)} by magnitude {@code bits & 0x7FFFFFFF}; a NaN or Inf
     * is reported. Requires {@code 1 <= k <= len}.
     */
    public static Result select32(float[] a, int off, int len, int k) {
        return Simd.ENABLED ? TopKVector.select32(a, off, len, k) : select32Scalar(a, off, len, k);
    }

    static final int MAG32 = 0x7FFFFFFF;
    static final int NONFINITE32 = 0x7F800000;

    static int mag32(float f) {
        return Float.floatToRawIntBits(f) & MAG32;
    }

    /** Scalar twin of {@link TopKVector#select32}. */
    public static Result select32Scalar(float[] a, int off, int len, int k) {
        checkArgs(a.length, off, len, k);
        int blocks = BLOCKS_PER_K * k;
        int perBlock = len / blocks;
        int threshold = 0;
        if (perBlock > 0) {
            int[] maxima = new int[blocks];
            for (int b = 0; b < blocks; b++) {
                int m = 0;
                for (int i = off + b * perBlock, end = i + perBlock; i < end; i++) {
                    m = Math.max(m, mag32(a[i]));
                }
                maxima[b] = m;
            }
            threshold = kthLargest(maxima, k);
        }
        Candidates cands = new Candidates(Math.max(4 * k, 64));
        for (int i = 0; i < len; i++) {
            int mag = mag32(a[off + i]);
            if (mag >= threshold) {
                cands.add(mag, i);
            }
        }
        return finish32(a, off, len, k, cands);
    }

    static Result finish32(float[] a, int off, int len, int k, Candidates c) {
        if (c.maxMagnitude >= NONFINITE32) {
            for (int i = 0; i < len; i++) {
                if (mag32(a[off + i]) >= NONFINITE32) {
                    return new Result(null, i);
                }
            }
        }
        return new Result(c.topIndices(k), -1);
    }

    // -------------------------------------------------------------------------------------- shared

    static void checkArgs(int arrayLength, int off, int len, int k) {
        if (k < 1 || k > len) {
            throw new IllegalArgumentException("k = " + k + " must be in 1.." + len + " (the chunk length)");
        }
        java.util.Objects.checkFromIndexSize(off, len, arrayLength);
    }

    static int[] widen(short[] s) {
        int[] r = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            r[i] = s[i];          // masked magnitudes are non-negative
        }
        return r;
    }

    /** The k-th largest of {@code v} (1-based k <= v.length); {@code v} is reordered. */
    static int kthLargest(int[] v, int k) {
        long[] keys = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            keys[i] = v[i];
        }
        selectLargest(keys, keys.length, k);
        long min = Long.MAX_VALUE;
        for (int i = 0; i < k; i++) {
            min = Math.min(min, keys[i]);
        }
        return (int) min;
    }

    /**
     * Rearranges {@code a[0, n)} so that its k largest values occupy {@code a[0, k)} (in no order).
     * Quickselect with a median-of-three pivot; past 2*log2(n)+8 rounds it sorts instead, so adversarial
     * inputs cost O(n log n) at worst.
     */
    static void selectLargest(long[] a, int n, int k) {
        int lo = 0;
        int hi = n - 1;
        int budget = 2 * (32 - Integer.numberOfLeadingZeros(n)) + 8;
        while (lo < hi) {
            if (budget-- == 0) {
                Arrays.sort(a, lo, hi + 1);
                // descending within [lo, hi] so the largest come first
                for (int i = lo, j = hi; i < j; i++, j--) {
                    long tmp = a[i];
                    a[i] = a[j];
                    a[j] = tmp;
                }
                return;
            }
            int mid = (lo + hi) >>> 1;
            long pivot = medianOf3(a[lo], a[mid], a[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {               // partition: larger to the left
                while (a[i] > pivot) {
                    i++;
                }
                while (a[j] < pivot) {
                    j--;
                }
                if (i <= j) {
                    long tmp = a[i];
                    a[i] = a[j];
                    a[j] = tmp;
                    i++;
                    j--;
                }
            }
            // [lo, j] >= pivot, [i, hi] <= pivot, anything between equals pivot
            if (k - 1 <= j) {
                hi = j;
            } else if (k - 1 >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    private static long medianOf3(long a, long b, long c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    /** Growable list of candidate keys {@code magnitude << 31 | (2^31-1 - index)}. */
    static final class Candidates {
        long[] keys;
        int size;
        int maxMagnitude = -1;

        Candidates(int capacity) {
            keys = new long[capacity];
        }

        void add(int magnitude, int index) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, keys.length * 2);
            }
            keys[size++] = ((long) magnitude << 31) | (Integer.MAX_VALUE - index);
            if (magnitude > maxMagnitude) {
                maxMagnitude = magnitude;
            }
        }

        int[] topIndices(int k) {
            if (size < k) {
                throw new IllegalStateException("bug: " + size + " candidates for k = " + k);
            }
            selectLargest(keys, size, k);
            int[] idx = new int[k];
            for (int i = 0; i < k; i++) {
                idx[i] = Integer.MAX_VALUE - (int) (keys[i] & Integer.MAX_VALUE);
            }
            Arrays.sort(idx);
            return idx;
        }
    }
}
