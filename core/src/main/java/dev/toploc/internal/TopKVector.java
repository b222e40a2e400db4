package dev.toploc.internal;

import dev.toploc.TopKAccelerator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The vector path of {@link TopK} (see there for the algorithm). Lanes form the blocks: lane j of a
 * stretch of consecutive vectors is one block. Only loaded when {@link Simd#ENABLED}.
 */
public final class TopKVector {
    private TopKVector() {
    }

    /** Vector path of {@link TopK#select16}. */
    public static TopKAccelerator.Result select16(short[] a, int off, int len, int k, int magMask, int nonFinite) {
        TopK.checkArgs(a.length, off, len, k);
        var species = Simd.Species.SHORTS;
        int lanes = species.length();
        int vectors = len / lanes;
        int stretches = Math.max(1, Math.ceilDiv(TopK.BLOCKS_PER_K * k, lanes));
        int perStretch = vectors / stretches;
        short mask = (short) magMask;
        int threshold = 0;
        if (perStretch > 0) {
            short[] maxima = new short[stretches * lanes];
            for (int s = 0; s < stretches; s++) {
                int base = off + s * perStretch * lanes;
                ShortVector m = ShortVector.zero(species);
                for (int r = 0; r < perStretch; r++) {
                    m = m.max(ShortVector.fromArray(species, a, base + r * lanes).and(mask));
                }
                m.intoArray(maxima, s * lanes);
            }
            threshold = TopK.kthLargest(TopK.widen(maxima), k);
        }
        TopK.Candidates cands = new TopK.Candidates(Math.max(4 * k, 64));
        ShortVector t = ShortVector.broadcast(species, (short) threshold);
        int i = 0;
        for (int bound = vectors * lanes; i < bound; i += lanes) {
            ShortVector v = ShortVector.fromArray(species, a, off + i).and(mask);
            VectorMask<Short> hit = v.compare(VectorOperators.GE, t);
            if (hit.anyTrue()) {
                long bits = hit.toLong();
                while (bits != 0) {
                    int idx = i + Long.numberOfTrailingZeros(bits);
                    cands.add(a[off + idx] & magMask, idx);
                    bits &= bits - 1;
                }
            }
        }
        for (; i < len; i++) {
            int mag = a[off + i] & magMask;
            if (mag >= threshold) {
                cands.add(mag, i);
            }
        }
        return TopK.finish16(a, off, len, k, magMask, nonFinite, cands);
    }

    /** Vector path of {@link TopK#select32}. */
    public static TopKAccelerator.Result select32(float[] a, int off, int len, int k) {
        TopK.checkArgs(a.length, off, len, k);
        var species = Simd.Species.INTS;
        var fspecies = FloatVector.SPECIES_PREFERRED;
        int lanes = species.length();
        int vectors = len / lanes;
        int stretches = Math.max(1, Math.ceilDiv(TopK.BLOCKS_PER_K * k, lanes));
        int perStretch = vectors / stretches;
        int threshold = 0;
        if (perStretch > 0) {
            int[] maxima = new int[stretches * lanes];
            for (int s = 0; s < stretches; s++) {
                int base = off + s * perStretch * lanes;
                IntVector m = IntVector.zero(species);
                for (int r = 0; r < perStretch; r++) {
                    IntVector v = FloatVector.fromArray(fspecies, a, base + r * lanes)
                            .reinterpretAsInts().and(TopK.MAG32);
                    m = m.max(v);
                }
                m.intoArray(maxima, s * lanes);
            }
            threshold = TopK.kthLargest(maxima, k);
        }
        TopK.Candidates cands = new TopK.Candidates(Math.max(4 * k, 64));
        IntVector t = IntVector.broadcast(species, threshold);
        int i = 0;
        for (int bound = vectors * lanes; i < bound; i += lanes) {
            IntVector v = FloatVector.fromArray(fspecies, a, off + i).reinterpretAsInts().and(TopK.MAG32);
            VectorMask<Integer> hit = v.compare(VectorOperators.GE, t);
            if (hit.anyTrue()) {
                long bits = hit.toLong();
                while (bits != 0) {
                    int idx = i + Long.numberOfTrailingZeros(bits);
                    cands.add(TopK.mag32(a[off + idx]), idx);
                    bits &= bits - 1;
                }
            }
        }
        for (; i < len; i++) {
            int mag = TopK.mag32(a[off + i]);
            if (mag >= threshold) {
                cands.add(mag, i);
            }
        }
        return TopK.finish32(a, off, len, k, cands);
    }
}
