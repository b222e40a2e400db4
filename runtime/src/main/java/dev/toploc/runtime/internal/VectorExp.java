package dev.toploc.runtime.internal;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code (float) Math.exp(x)} for fp32 {@code x}, eight lanes at a time, with exactly {@link Math#exp}'s results.
 * Softmax and SwiGLU call it 20 million times per 2048-wide prefill, where the scalar call was a fifth of the
 * time.
 *
 * <p><b>Why the results are {@code (float) Math.exp(x)}'s, bit for bit.</b> For {@code |x| <= 87} (the results are
 * normal floats) each lane computes {@code e^x} in double: {@code n = rint(x / ln 2)} (the 1.5 x 2^52 trick),
 * {@code r = x - n ln2_hi - n ln2_lo} (two FMAs; {@code ln2_hi} has 32 trailing zero bits, so {@code n ln2_hi} is
 * exact), the degree-13 Taylor polynomial of {@code e^r} by Horner with FMAs ({@code |r| <= 0.347}: truncation
 * below 2^-57 relative), times {@code 2^n}. Its error is a few double ulps; {@link Math#exp}'s is at most one. Both
 * round to the same float unless a rounding boundary of the float (the midpoint between two floats: the 29
 * dropped bits equal to 2^28) lies between them, so a lane whose dropped bits are within {@link #MARGIN} double ulps
 * of a midpoint, a lane with {@code |x| > 87}, and NaN are recomputed by {@code (float) Math.exp(x)} itself. That
 * happens for about one lane in 2^17. {@code VectorExpTest} checks every float in [-87, 87] against
 * {@code Math.exp} on the complete suite, random lanes with special values on the quick one.
 */
final class VectorExp {
    private VectorExp() {
    }

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Double> D8 = DoubleVector.SPECIES_512;

    /** Whether the vector form runs: 512-bit vectors (eight doubles) in hardware; elsewhere callers use {@link Math#exp}. */
    static final boolean ENABLED = dev.toploc.internal.Simd.ENABLED && DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    /** Lanes per call of {@link #exp8}. */
    static final int LANES = 8;

    /** Double ulps a lane's dropped bits must keep from a float midpoint to be taken as computed (errors are a few ulps). */
    static final long MARGIN = 1 << 12;
    static final double RANGE = 87;

    private static final double INV_LN2 = 0x1.71547652b82fep0;
    private static final double LN2_HI = 0x1.62e42fefa3800p-1;   // 32 trailing zero bits: n * LN2_HI is exact for |n| < 2^20
    private static final double LN2_LO = 0x1.ef35793c76730p-45;
    private static final double SHIFT = 0x1.8p52;
    private static final double[] C = new double[14];

    static {
        double f = 1;
        for (int k = 0; k < C.length; k++) {
            f = k == 0 ? 1 : f * k;
            C[k] = 1 / f;     // 1/k!, each the double nearest to it (k! is exact in double up to 13!)
        }
    }

    /** Writes {@code (float) Math.exp(x[xOff + j] - sub)} to {@code out[oOff + j]} for {@code j < 8}; {@code x - sub} as fp32. */
    static void exp8(float[] x, int xOff, float sub, float[] out, int oOff) {
        FloatVector xf = FloatVector.fromArray(F8, x, xOff).sub(sub);
        exp8(xf, out, oOff);
    }

    /** Writes {@code (float) Math.exp(-x[xOff + j])} to {@code out[oOff + j]} for {@code j < 8}. */
    static void expNeg8(float[] x, int xOff, float[] out, int oOff) {
        exp8(FloatVector.fromArray(F8, x, xOff).neg(), out, oOff);
    }

    private static void exp8(FloatVector xf, float[] out, int oOff) {
        DoubleVector x = (DoubleVector) xf.convertShape(VectorOperators.F2D, D8, 0);
        DoubleVector t = x.fma(INV_LN2, SHIFT);
        DoubleVector n = t.sub(SHIFT);
        DoubleVector r = n.neg().fma(DoubleVector.broadcast(D8, LN2_HI), x);
        r = n.neg().fma(DoubleVector.broadcast(D8, LN2_LO), r);
        DoubleVector p = DoubleVector.broadcast(D8, C[13]);
        for (int k = 12; k >= 0; k--) {
            p = p.fma(r, DoubleVector.broadcast(D8, C[k]));
        }
        LongVector scaleBits = t.reinterpretAsLongs().sub(Double.doubleToRawLongBits(SHIFT)).add(1023).lanewise(VectorOperators.LSHL, 52);
        DoubleVector e = p.mul(scaleBits.reinterpretAsDoubles());
        LongVector dropped = e.reinterpretAsLongs().and((1L << 29) - 1).sub(1L << 28).abs();
        VectorMask<Long> redo = dropped.compare(VectorOperators.LT, MARGIN)
                .or(x.abs().compare(VectorOperators.LE, RANGE).not().cast(LongVector.SPECIES_512));
        ((FloatVector) e.convertShape(VectorOperators.D2F, F8, 0)).intoArray(out, oOff);
        if (redo.anyTrue()) {
            for (int j = 0; j < LANES; j++) {
                if (redo.laneIsSet(j)) {
                    out[oOff + j] = (float) Math.exp(xf.lane(j));
                }
            }
        }
    }
}
