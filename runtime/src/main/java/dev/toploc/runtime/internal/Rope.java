package dev.toploc.runtime.internal;

import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.ModelConfig;

/**
 * Rotary position embeddings as {@code transformers}' Llama: inverse frequencies {@code 1 / theta^(2i/d)}
 * (optionally rescaled by Llama 3.1's {@code rope_scaling}), angles {@code position * invFreq} in fp32,
 * {@code cos}/{@code sin} in fp32 then rounded to the compute dtype, and {@code rotate_half} on the two
 * halves of each head: {@code out = x * cos + rotate_half(x) * sin}, each product and the sum rounded to
 * the compute dtype.
 */
public final class Rope {
    private final float[] invFreq;
    private final int half;

    public Rope(ModelConfig cfg) {
        int d = cfg.headDim();
        half = d / 2;
        invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            float base = (float) Math.pow(cfg.ropeTheta(), (float) (2 * i) / d);
            float f = 1.0f / base;
            ModelConfig.RopeScaling rs = cfg.ropeScaling();
            if (rs != null) {
                double wavelen = 2 * Math.PI / f;
                double lowWavelen = rs.originalMaxPositions() / rs.lowFreqFactor();
                double highWavelen = rs.originalMaxPositions() / rs.highFreqFactor();
                if (wavelen > lowWavelen) {
                    f = (float) (f / rs.factor());
                } else if (wavelen >= highWavelen) {
                    double smooth = (rs.originalMaxPositions() / wavelen - rs.lowFreqFactor()) / (rs.highFreqFactor() - rs.lowFreqFactor());
                    f = (float) ((1 - smooth) * f / rs.factor() + smooth * f);
                }
            }
            invFreq[i] = f;
        }
    }

    /** The inverse frequencies, one per pair of the head dimension, rope scaling applied (a copy). */
    public float[] invFreq() {
        return invFreq.clone();
    }

    /** cos and sin for positions {@code start..start+tokens-1}, {@code [t][i]} for i below d/2, rounded to {@code mode}. */
    public float[][] tables(int start, int tokens, ComputeMode mode) {
        float[] cos = new float[tokens * half];
        float[] sin = new float[tokens * half];
        for (int t = 0; t < tokens; t++) {
            float pos = start + t;
            for (int i = 0; i < half; i++) {
                float angle = pos * invFreq[i];
                cos[t * half + i] = mode.round((float) Math.cos(angle));
                sin[t * half + i] = mode.round((float) Math.sin(angle));
            }
        }
        return new float[][] {cos, sin};
    }

    /** Rotates {@code x} (tokens x heads x d) in place. */
    public void apply(float[] x, int tokens, int heads, float[][] tables, ComputeMode mode) {
        float[] cos = tables[0];
        float[] sin = tables[1];
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * 2 * half;
                for (int i = 0; i < half; i++) {
                    float c = cos[t * half + i];
                    float s = sin[t * half + i];
                    float a = x[base + i];
                    float b = x[base + half + i];
                    x[base + i] = mode.round(mode.round(a * c) + mode.round(-b * s));
                    x[base + half + i] = mode.round(mode.round(b * c) + mode.round(a * s));
                }
            }
        }
    }
}
