package dev.toploc.runtime.internal;

import dev.toploc.Compute;
import dev.toploc.internal.Simd;
import dev.toploc.runtime.ComputeMode;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal multi-head attention with grouped key/value heads over a KV cache, as {@code transformers}'
 * eager attention: {@code softmax(q k^T / sqrt(d) + mask)} computed in fp32 and rounded to the compute
 * dtype, then {@code p v}.
 *
 * <p><b>Order of operations</b> (fixed; the vector and scalar paths are bit-identical): a score is
 * {@code fma}-accumulated over the head dimension in increasing order from 0, rounded to the compute
 * dtype, divided by {@code sqrt(d)} and rounded again (the reference computes matmul, then the division,
 * in the compute dtype); the softmax takes the exact maximum, {@code exp(score - max)} in fp32 (via
 * {@link Math#exp} on the fp32 difference), their sum in increasing key order, and a division, then
 * rounds; each output element {@code fma}-accumulates {@code p[s] * v[s]} in increasing key order from 0
 * and is rounded. Vectors run across keys (scores) and across the head dimension (outputs), never
 * across a sum, so the order above holds in each lane. Heads run in parallel; each writes its own slice.
 */
public final class Attention {
    private Attention() {
    }

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

    /**
     * @param q       queries, tokens x heads x headDim
     * @param cache   keys/values of this layer with the new tokens already stored
     * @param start   position of the first new token
     * @param tokens  number of new tokens
     * @param window  sliding window (0: none): key s is visible from position p iff p - s < window
     * @param out     tokens x heads x headDim
     */
    public static void attend(float[] q, KvCache.Layer cache, int start, int tokens, int heads, int kvHeads, int headDim,
                              int window, ComputeMode mode, float[] out, boolean vector, Compute compute) {
        attend(q, cache, start, tokens, heads, kvHeads, headDim, window, mode, out, vector, 0f, 0f, compute);
    }

    /**
     * As above with Gemma's scores: {@code scale > 0} multiplies the rounded score by {@code scale} (rounded)
     * instead of dividing by {@code sqrt(d)}; {@code softcap > 0} then maps it to {@code cap * tanh(score / cap)},
     * the division, the tanh (fp32 of the double {@link Math#tanh}) and the product each rounded.
     */
    public static void attend(float[] q, KvCache.Layer cache, int start, int tokens, int heads, int kvHeads, int headDim,
                              int window, ComputeMode mode, float[] out, boolean vector, float scale, float softcap, Compute compute) {
        int group = heads / kvHeads;
        float sqrtD = (float) Math.sqrt(headDim);
        if (vector && group % 2 == 0) {
            // two query heads of one key/value head at a time: each key and value vector loaded once for both
            compute.forEach(heads / 2, hp -> {
                int h0 = 2 * hp;
                int g = h0 / group;
                float[] s0 = new float[start + tokens];
                float[] s1 = new float[start + tokens];
                for (int t = 0; t < tokens; t++) {
                    int pos = start + t;
                    int lo = window > 0 ? Math.max(0, pos - window + 1) : 0;
                    int off0 = (t * heads + h0) * headDim;
                    int off1 = off0 + headDim;
                    scoresVector2(q, off0, off1, cache, g, headDim, lo, pos, s0, s1);
                    if (softcap == 0 && mode != ComputeMode.FP16) {
                        softmaxVector(s0, lo, pos, scale, sqrtD, mode);
                        softmaxVector(s1, lo, pos, scale, sqrtD, mode);
                    } else {
                        softmaxScalar(s0, lo, pos, scale, softcap, sqrtD, mode);
                        softmaxScalar(s1, lo, pos, scale, softcap, sqrtD, mode);
                    }
                    weightedSumVector2(s0, s1, cache, g, headDim, lo, pos, out, off0, off1);
                    mode.round(out, off0, 2 * headDim);
                }
            });
            return;
        }
        compute.forEach(heads, h -> {
            int g = h / group;
            float[] scores = new float[start + tokens];
            for (int t = 0; t < tokens; t++) {
                int pos = start + t;
                int lo = window > 0 ? Math.max(0, pos - window + 1) : 0;
                int qOff = (t * heads + h) * headDim;
                if (vector) {
                    scoresVector(q, qOff, cache, g, headDim, lo, pos, scores);
                } else {
                    scoresScalar(q, qOff, cache, g, headDim, lo, pos, scores);
                }
                if (vector && softcap == 0 && mode != ComputeMode.FP16) {
                    softmaxVector(scores, lo, pos, scale, sqrtD, mode);
                } else {
                    softmaxScalar(scores, lo, pos, scale, softcap, sqrtD, mode);
                }
                int oOff = (t * heads + h) * headDim;
                if (vector) {
                    weightedSumVector(scores, cache, g, headDim, lo, pos, out, oOff);
                } else {
                    weightedSumScalar(scores, cache, g, headDim, lo, pos, out, oOff);
                }
                mode.round(out, oOff, headDim);
            }
        });
    }

    /** Scales, soft-caps and normalizes {@code scores[lo, pos]} in place, in the order the class comment states. */
    static void softmaxScalar(float[] scores, int lo, int pos, float scale, float softcap, float sqrtD, ComputeMode mode) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = lo; s <= pos; s++) {
            float v = scale > 0 ? mode.round(mode.round(scores[s]) * scale) : mode.round(mode.round(scores[s]) / sqrtD);
            if (softcap > 0) {
                v = mode.round(mode.round((float) Math.tanh(mode.round(v / softcap))) * softcap);
            }
            scores[s] = v;
            max = Math.max(max, v);
        }
        float sum = 0f;
        for (int s = lo; s <= pos; s++) {
            float e = (float) Math.exp(scores[s] - max);
            scores[s] = e;
            sum += e;
        }
        for (int s = lo; s <= pos; s++) {
            scores[s] = mode.round(scores[s] / sum);
        }
    }

    /**
     * {@link #softmaxScalar} without a soft cap, fp32 or bf16: the scaling, the maximum (exact, so its order is free),
     * {@code exp} ({@link VectorExp}: {@link Math#exp}'s results) and the final division on lanes; the sum stays
     * scalar, in increasing key order.
     */
    static void softmaxVector(float[] scores, int lo, int pos, float scale, float sqrtD, ComputeMode mode) {
        int lanes = FS.length();
        int s = lo;
        FloatVector maxV = FloatVector.broadcast(FS, Float.NEGATIVE_INFINITY);
        for (; s + lanes <= pos + 1; s += lanes) {
            FloatVector x = Elementwise.round(FloatVector.fromArray(FS, scores, s), mode);
            FloatVector v = Elementwise.round(scale > 0 ? x.mul(scale) : x.div(sqrtD), mode);
            v.intoArray(scores, s);
            maxV = maxV.max(v);
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; s <= pos; s++) {
            float v = scale > 0 ? mode.round(mode.round(scores[s]) * scale) : mode.round(mode.round(scores[s]) / sqrtD);
            scores[s] = v;
            max = Math.max(max, v);
        }
        s = lo;
        if (VectorExp.ENABLED) {
            for (; s + VectorExp.LANES <= pos + 1; s += VectorExp.LANES) {
                VectorExp.exp8(scores, s, max, scores, s);
            }
        }
        for (; s <= pos; s++) {
            scores[s] = (float) Math.exp(scores[s] - max);
        }
        float sum = 0f;
        for (s = lo; s <= pos; s++) {
            sum += scores[s];
        }
        s = lo;
        for (; s + lanes <= pos + 1; s += lanes) {
            Elementwise.round(FloatVector.fromArray(FS, scores, s).div(sum), mode).intoArray(scores, s);
        }
        for (; s <= pos; s++) {
            scores[s] = mode.round(scores[s] / sum);
        }
    }

    private static void scoresScalar(float[] q, int qOff, KvCache.Layer c, int g, int d, int lo, int pos, float[] scores) {
        for (int s = lo; s <= pos; s++) {
            float acc = 0f;
            for (int i = 0; i < d; i++) {
                acc = Math.fma(q[qOff + i], c.keyT(g, i, s), acc);
            }
            scores[s] = acc;
        }
    }

    /**
     * Four key blocks at a time (four independent FMA chains, so the loop runs at the FMA unit's throughput rather
     * than its latency), then single blocks, then a scalar tail; each score still accumulates over i in increasing order.
     */
    private static void scoresVector(float[] q, int qOff, KvCache.Layer c, int g, int d, int lo, int pos, float[] scores) {
        int lanes = FS.length();
        int s = lo;
        float[] kT = c.keysT();
        for (; s + 4 * lanes <= pos + 1; s += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < d; i++) {
                FloatVector qi = FloatVector.broadcast(FS, q[qOff + i]);
                int k = c.keyTIndex(g, i, s);
                a0 = qi.fma(FloatVector.fromArray(FS, kT, k), a0);
                a1 = qi.fma(FloatVector.fromArray(FS, kT, k + lanes), a1);
                a2 = qi.fma(FloatVector.fromArray(FS, kT, k + 2 * lanes), a2);
                a3 = qi.fma(FloatVector.fromArray(FS, kT, k + 3 * lanes), a3);
            }
            a0.intoArray(scores, s);
            a1.intoArray(scores, s + lanes);
            a2.intoArray(scores, s + 2 * lanes);
            a3.intoArray(scores, s + 3 * lanes);
        }
        for (; s + lanes <= pos + 1; s += lanes) {
            FloatVector acc = FloatVector.zero(FS);
            for (int i = 0; i < d; i++) {
                acc = FloatVector.broadcast(FS, q[qOff + i]).fma(FloatVector.fromArray(FS, kT, c.keyTIndex(g, i, s)), acc);
            }
            acc.intoArray(scores, s);
        }
        for (; s <= pos; s++) {
            float acc = 0f;
            for (int i = 0; i < d; i++) {
                acc = Math.fma(q[qOff + i], c.keyT(g, i, s), acc);
            }
            scores[s] = acc;
        }
    }

    /**
     * {@link #scoresVector} for two query heads at {@code q0}, {@code q1} against the same keys: two chains per key
     * block, four blocks at a time; each score's order over i is the single head's.
     */
    private static void scoresVector2(float[] q, int q0, int q1, KvCache.Layer c, int g, int d, int lo, int pos, float[] s0, float[] s1) {
        int lanes = FS.length();
        int s = lo;
        float[] kT = c.keysT();
        for (; s + 4 * lanes <= pos + 1; s += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int i = 0; i < d; i++) {
                FloatVector x = FloatVector.broadcast(FS, q[q0 + i]);
                FloatVector y = FloatVector.broadcast(FS, q[q1 + i]);
                int k = c.keyTIndex(g, i, s);
                FloatVector k0 = FloatVector.fromArray(FS, kT, k);
                FloatVector k1 = FloatVector.fromArray(FS, kT, k + lanes);
                FloatVector k2 = FloatVector.fromArray(FS, kT, k + 2 * lanes);
                FloatVector k3 = FloatVector.fromArray(FS, kT, k + 3 * lanes);
                a0 = x.fma(k0, a0);
                a1 = x.fma(k1, a1);
                a2 = x.fma(k2, a2);
                a3 = x.fma(k3, a3);
                b0 = y.fma(k0, b0);
                b1 = y.fma(k1, b1);
                b2 = y.fma(k2, b2);
                b3 = y.fma(k3, b3);
            }
            a0.intoArray(s0, s);
            a1.intoArray(s0, s + lanes);
            a2.intoArray(s0, s + 2 * lanes);
            a3.intoArray(s0, s + 3 * lanes);
            b0.intoArray(s1, s);
            b1.intoArray(s1, s + lanes);
            b2.intoArray(s1, s + 2 * lanes);
            b3.intoArray(s1, s + 3 * lanes);
        }
        // the rest of the keys, one head at a time
        if (s <= pos) {
            scoresVector(q, q0, c, g, d, s, pos, s0);
            scoresVector(q, q1, c, g, d, s, pos, s1);
        }
    }

    /** {@link #weightedSumVector} for two heads' probabilities against the same values: each value vector loaded once. */
    private static void weightedSumVector2(float[] p0, float[] p1, KvCache.Layer c, int g, int d, int lo, int pos, float[] out,
                                           int o0, int o1) {
        int lanes = FS.length();
        float[] v = c.values();
        int i = 0;
        for (; i + 2 * lanes <= d; i += 2 * lanes) {
            FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0;
            for (int s = lo; s <= pos; s++) {
                FloatVector x = FloatVector.broadcast(FS, p0[s]);
                FloatVector y = FloatVector.broadcast(FS, p1[s]);
                int k = c.valueIndex(g, s, i);
                FloatVector v0 = FloatVector.fromArray(FS, v, k);
                FloatVector v1 = FloatVector.fromArray(FS, v, k + lanes);
                a0 = x.fma(v0, a0);
                a1 = x.fma(v1, a1);
                b0 = y.fma(v0, b0);
                b1 = y.fma(v1, b1);
            }
            a0.intoArray(out, o0 + i);
            a1.intoArray(out, o0 + i + lanes);
            b0.intoArray(out, o1 + i);
            b1.intoArray(out, o1 + i + lanes);
        }
        if (i < d) {
            weightedSumFrom(p0, c, g, d, lo, pos, out, o0, i);
            weightedSumFrom(p1, c, g, d, lo, pos, out, o1, i);
        }
    }

    /** Output elements {@code [i0, d)} of one head as {@link #weightedSumVector} computes them. */
    private static void weightedSumFrom(float[] p, KvCache.Layer c, int g, int d, int lo, int pos, float[] out, int oOff, int i0) {
        int lanes = FS.length();
        float[] v = c.values();
        int i = i0;
        for (; i + lanes <= d; i += lanes) {
            FloatVector acc = FloatVector.zero(FS);
            for (int s = lo; s <= pos; s++) {
                acc = FloatVector.broadcast(FS, p[s]).fma(FloatVector.fromArray(FS, v, c.valueIndex(g, s, i)), acc);
            }
            acc.intoArray(out, oOff + i);
        }
        for (; i < d; i++) {
            float acc = 0f;
            for (int s = lo; s <= pos; s++) {
                acc = Math.fma(p[s], c.value(g, s, i), acc);
            }
            out[oOff + i] = acc;
        }
    }

    private static void weightedSumScalar(float[] p, KvCache.Layer c, int g, int d, int lo, int pos, float[] out, int oOff) {
        for (int i = 0; i < d; i++) {
            float acc = 0f;
            for (int s = lo; s <= pos; s++) {
                acc = Math.fma(p[s], c.value(g, s, i), acc);
            }
            out[oOff + i] = acc;
        }
    }

    /** Four output vectors at a time (independent chains over the keys), then single vectors, then a scalar tail; each output sums over s in increasing order. */
    private static void weightedSumVector(float[] p, KvCache.Layer c, int g, int d, int lo, int pos, float[] out, int oOff) {
        int lanes = FS.length();
        float[] v = c.values();
        int i = 0;
        for (; i + 4 * lanes <= d; i += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
            for (int s = lo; s <= pos; s++) {
                FloatVector ps = FloatVector.broadcast(FS, p[s]);
                int k = c.valueIndex(g, s, i);
                a0 = ps.fma(FloatVector.fromArray(FS, v, k), a0);
                a1 = ps.fma(FloatVector.fromArray(FS, v, k + lanes), a1);
                a2 = ps.fma(FloatVector.fromArray(FS, v, k + 2 * lanes), a2);
                a3 = ps.fma(FloatVector.fromArray(FS, v, k + 3 * lanes), a3);
            }
            a0.intoArray(out, oOff + i);
            a1.intoArray(out, oOff + i + lanes);
            a2.intoArray(out, oOff + i + 2 * lanes);
            a3.intoArray(out, oOff + i + 3 * lanes);
        }
        weightedSumFrom(p, c, g, d, lo, pos, out, oOff, i);
    }

    /** Whether the vector path is used by default. */
    public static boolean vectorDefault() {
        return Simd.ENABLED;
    }
}
