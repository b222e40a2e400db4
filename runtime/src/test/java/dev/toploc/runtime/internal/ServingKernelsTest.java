package dev.toploc.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Compute;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The serving kernels against independent arithmetic: TF32 by double scaling and rint, sums by double-precision error bounds. */
class ServingKernelsTest {
    /** The oracle: v rounded to 10 mantissa bits by scaling to an integer in double and {@link Math#rint} (ties to even). */
    static float tf32Oracle(float v) {
        if (!Float.isFinite(v) || v == 0) {
            return v;
        }
        double ulp = Math.scalb(1.0, Math.max(Math.getExponent(v), Float.MIN_EXPONENT) - 10);
        return (float) (Math.rint(v / ulp) * ulp);
    }

    @Test
    void tf32_roundsToNearestEven_likeAnIndependentRounding() {
        assertEquals(1f, ServingKernels.tf32(1f + 0x1p-11f));                    // a tie: to the even neighbour 1
        assertEquals(1f + 0x1p-9f, ServingKernels.tf32(1f + 3 * 0x1p-11f));    // a tie: up to even
        assertEquals(1f + 0x1p-10f, ServingKernels.tf32(1f + 0x1p-10f + 0x1p-12f));
        assertEquals(Float.POSITIVE_INFINITY, ServingKernels.tf32(Float.MAX_VALUE));
        assertTrue(Float.isNaN(ServingKernels.tf32(Float.NaN)));
        Random r = new Random(3);
        for (int i = 0; i < 200_000; i++) {
            float v = Float.intBitsToFloat(r.nextInt());
            if (Float.isFinite(v) && Math.abs(v) < 0x1p127f) {
                assertEquals(tf32Oracle(v), ServingKernels.tf32(v), "tf32 of " + v);
            }
        }
    }

    @Test
    void pairwiseAndSequentialSums_takeTheirStatedOrders() {
        float[] p = {1e8f, 1f, -1e8f, 1f};
        assertEquals(1f, ServingKernels.sequentialSum(p.clone(), 4));   // ((1e8 + 1) - 1e8) + 1: the first 1 is lost
        assertEquals(0f, ServingKernels.pairwiseSum(p.clone(), 4));     // (1e8 + 1) + (-1e8 + 1): both lost
        assertEquals(15f, ServingKernels.pairwiseSum(new float[] {1, 2, 3, 4, 5}, 5));
    }

    @Test
    void splitK_differsFromTheDefaultKernel_andStaysWithinTheFp32ErrorBound() {
        int in = 1000;
        int out = 96;
        int tokens = 3;
        Random r = new Random(9);
        float[] w = new float[out * in];
        float[] x = new float[tokens * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        Weight wt = Weight.ofFloats(w, out, in);
        float[] def = new float[tokens * out];
        Matmul.matmul(x, tokens, wt, null, def, Compute.defaults());
        for (int splits : new int[] {1, 2, 4, 8}) {       // 1: TF32 alone, in the default kernel's order
            for (boolean pairwise : splits == 1 ? new boolean[] {false} : new boolean[] {false, true}) {
                for (boolean tf32 : splits == 1 ? new boolean[] {true} : new boolean[] {false, true}) {
                    float[] y = new float[tokens * out];
                    if (splits == 1) {
                        ServingKernels.tf32Matmul(x, tokens, wt, null, y, Compute.defaults());
                    } else {
                        ServingKernels.matmul(x, tokens, wt, null, y, splits, pairwise, tf32, Compute.defaults());
                    }
                    assertFalse(Arrays.equals(def, y), "split-K " + splits + " pairwise " + pairwise + " is the default kernel");
                    for (int t = 0; t < tokens; t++) {
                        for (int o = 0; o < out; o++) {
                            double exact = 0;
                            double abs = 0;
                            for (int i = 0; i < in; i++) {
                                double a = w[o * in + i];
                                double b = x[t * in + i];
                                exact += a * b;
                                abs += Math.abs(a * b);
                            }
                            // fp32 summation: |error| <= (in + 1) u sum|w x|; TF32 inputs add 2 * 2^-11 relative per product
                            double bound = (in + 1) * 0x1p-24 * abs + (tf32 ? 2.5 * 0x1p-11 * abs : 0);
                            assertTrue(Math.abs(y[t * out + o] - exact) <= bound, "split-K " + splits + ": error " + Math.abs(y[t * out + o] - exact)
                                    + " > " + bound);
                        }
                    }
                }
            }
        }
    }

    @Test
    void splitK_isTheStatedOrder_bitForBit_alsoForSlicesOfUnequalLength() {
        int in = 1003;      // not a multiple of 2, 4 or 8
        int out = 70;
        Random r = new Random(5);
        float[] w = new float[out * in];
        float[] x = new float[2 * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] bias = new float[out];
        java.util.Arrays.fill(bias, 0.25f);
        for (int splits : new int[] {2, 3, 8}) {
            for (boolean pairwise : new boolean[] {false, true}) {
                float[] y = new float[2 * out];
                ServingKernels.matmul(x, 2, Weight.ofFloats(w, out, in), bias, y, splits, pairwise, false, Compute.defaults());
                for (int t = 0; t < 2; t++) {
                    for (int o = 0; o < out; o++) {
                        float[] p = new float[splits];
                        for (int s = 0; s < splits; s++) {      // slice s: [s*in/S, (s+1)*in/S), fma in increasing index
                            for (int i = s * in / splits; i < (s + 1) * in / splits; i++) {
                                p[s] = Math.fma(w[o * in + i], x[t * in + i], p[s]);
                            }
                        }
                        float sum;
                        if (pairwise) {
                            sum = splits == 2 ? p[0] + p[1] : splits == 3 ? (p[0] + p[1]) + p[2]
                                    : ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
                        } else {
                            sum = p[0];
                            for (int s = 1; s < splits; s++) {
                                sum += p[s];
                            }
                        }
                        assertEquals(sum + 0.25f, y[t * out + o], "split " + splits + " pairwise " + pairwise + " t " + t + " o " + o);
                    }
                }
            }
        }
    }

    @Test
    void sumOfSquares_isWithinTheFp32Bound_andNotTheSequentialOrder() {
        Random r = new Random(4);
        int d = 4096;
        boolean differs = false;
        for (int n = 0; n < 20; n++) {
            float[] x = new float[d];
            double exact = 0;
            float seq = 0f;
            for (int i = 0; i < d; i++) {
                x[i] = (float) r.nextGaussian();
                exact += (double) x[i] * x[i];
                seq = Math.fma(x[i], x[i], seq);
            }
            float tree = ServingKernels.sumOfSquares(x, 0, d);
            assertTrue(Math.abs(tree - exact) <= d * 0x1p-24 * exact);
            differs |= tree != seq;
        }
        assertTrue(differs, "the block reduction summed in the sequential order every time");
    }
}
