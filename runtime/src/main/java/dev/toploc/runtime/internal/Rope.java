package dev.toploc.runtime.internal;

import dev.toploc.Compute;
import dev.toploc.internal.Simd;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.ModelConfig;
import dev.toploc.runtime.ModelConfig.RopeScaling;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embeddings as {@code transformers}' Llama: inverse frequencies {@code 1 / theta^(2i/d)}
 * ({@code theta^(2i/d)} in fp32 from a double power, as torch's fp32 pow), rescaled by {@code rope_scaling},
 * angles {@code position * invFreq} in fp32, {@code cos}/{@code sin} in fp32 times the scaling's attention
 * factor (yarn, longrope; else 1) then rounded to the compute dtype, and {@code rotate_half} on the two
 * halves of each head: {@code out = x * cos + rotate_half(x) * sin}, each product and the sum rounded.
 *
 * <p>Scalings ({@code transformers}' rope initialization functions):
 * <ul>
 *   <li>llama3: wavelengths beyond {@code original / low_freq_factor} divided by {@code factor}, below
 *       {@code original / high_freq_factor} kept, a smooth blend between;</li>
 *   <li>linear: every inverse frequency divided by {@code factor};</li>
 *   <li>dynamic (NTK): when the sequence (positions 0 to the last of the pass) is longer than
 *       {@code max_position_embeddings}, {@code theta * (factor * len / max - (factor - 1))^(d / (d - 2))}
 *       replaces theta; otherwise none;</li>
 *   <li>yarn: interpolation {@code 1 / (factor * theta^(2i/d))} and extrapolation {@code 1 / theta^(2i/d)}
 *       blended by a linear ramp over the pairs between the correction dimensions of {@code beta_fast} and
 *       {@code beta_slow} (floored/ceiled when {@code truncate}), cos/sin times the attention factor;</li>
 *   <li>longrope: {@code 1 / (ext[i] * theta^(2i/d))} with {@code ext} the short factors while the sequence
 *       fits {@code original_max_position_embeddings}, the long ones beyond, cos/sin times the attention factor.</li>
 * </ul>
 * Dynamic and longrope depend on the length of the sequence so far ({@code start + tokens} of a pass), as
 * {@code transformers} recomputes them from the largest position it is given.
 */
public final class Rope {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

    private final int half;
    private final int d;
    private final double theta;
    private final RopeScaling rs;
    private final float[] invFreq;
    private final float attention;

    public Rope(ModelConfig cfg) {
        this(cfg.headDim(), cfg.ropeTheta(), cfg.ropeScaling());
    }

    /** Rotary embeddings of head width {@code headDim} with base {@code theta} and scaling {@code rs} (or null). */
    public Rope(int headDim, double theta, RopeScaling rs) {
        this.d = headDim;
        this.half = headDim / 2;
        this.theta = theta;
        this.rs = rs;
        this.invFreq = frequencies(rs == null ? 0 : rs.originalMaxPositions());
        this.attention = rs == null ? 1f : (float) rs.attentionFactor();
    }

    private float[] defaultFrequencies(double base) {
        float[] f = new float[half];
        for (int i = 0; i < half; i++) {
            f[i] = 1.0f / (float) Math.pow(base, (float) (2 * i) / d);
        }
        return f;
    }

    /** The inverse frequencies for a sequence of {@code length} positions. */
    private float[] frequencies(int length) {
        float[] f = defaultFrequencies(theta);
        if (rs == null) {
            return f;
        }
        switch (rs.type()) {
            case LLAMA3 -> {
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / f[i];
                    double lowWavelen = rs.originalMaxPositions() / rs.lowFreqFactor();
                    double highWavelen = rs.originalMaxPositions() / rs.highFreqFactor();
                    if (wavelen > lowWavelen) {
                        f[i] = (float) (f[i] / rs.factor());
                    } else if (wavelen >= highWavelen) {
                        double smooth = (rs.originalMaxPositions() / wavelen - rs.lowFreqFactor()) / (rs.highFreqFactor() - rs.lowFreqFactor());
                        f[i] = (float) ((1 - smooth) * f[i] / rs.factor() + smooth * f[i]);
                    }
                }
            }
            case LINEAR -> {
                for (int i = 0; i < half; i++) {
                    f[i] = (float) (f[i] / rs.factor());
                }
            }
            case DYNAMIC -> {
                int max = rs.originalMaxPositions();
                if (length > max) {
                    double base = theta * Math.pow(rs.factor() * length / max - (rs.factor() - 1), (double) d / (d - 2));
                    f = defaultFrequencies(base);
                }
            }
            case YARN -> {
                double low = correctionDim(rs.betaFast(), rs.originalMaxPositions());
                double high = correctionDim(rs.betaSlow(), rs.originalMaxPositions());
                if (rs.truncate()) {
                    low = Math.floor(low);
                    high = Math.ceil(high);
                }
                low = Math.max(low, 0);
                high = Math.min(high, d - 1);
                if (low == high) {
                    high += 0.001;
                }
                for (int i = 0; i < half; i++) {
                    float pos = (float) Math.pow(theta, (float) (2 * i) / d);
                    float extrapolation = 1.0f / pos;
                    float interpolation = 1.0f / ((float) rs.factor() * pos);
                    float ramp = (float) Math.min(1, Math.max(0, (i - low) / (high - low)));
                    float extrapolationFactor = 1 - ramp;
                    f[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
                }
            }
            case LONGROPE -> {
                java.util.List<Double> ext = length > rs.originalMaxPositions() ? rs.longFactor() : rs.shortFactor();
                for (int i = 0; i < half; i++) {
                    float pos = (float) Math.pow(theta, (float) (2 * i) / d);
                    f[i] = 1.0f / (ext.get(i).floatValue() * pos);
                }
            }
        }
        return f;
    }

    private double correctionDim(double rotations, int maxPositions) {
        return d * Math.log(maxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    /** Whether the frequencies depend on the sequence length (dynamic, longrope). */
    private boolean lengthDependent() {
        return rs != null && (rs.type() == RopeScaling.Type.DYNAMIC || rs.type() == RopeScaling.Type.LONGROPE);
    }

    /** The inverse frequencies of a sequence that fits the pre-training context, scaling applied (a copy). */
    public float[] invFreq() {
        return invFreq.clone();
    }

    /** The factor cos and sin are multiplied by (yarn, longrope; else 1). */
    public float attentionFactor() {
        return attention;
    }

    /** cos and sin for positions {@code start..start+tokens-1}, {@code [t][i]} for i below d/2, rounded to {@code mode}. */
    public float[][] tables(int start, int tokens, ComputeMode mode) {
        float[] inv = lengthDependent() ? frequencies(start + tokens) : invFreq;
        float[] cos = new float[tokens * half];
        float[] sin = new float[tokens * half];
        for (int t = 0; t < tokens; t++) {
            float pos = start + t;
            for (int i = 0; i < half; i++) {
                float angle = pos * inv[i];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                if (attention != 1f) {
                    c *= attention;
                    s *= attention;
                }
                cos[t * half + i] = mode.round(c);
                sin[t * half + i] = mode.round(s);
            }
        }
        return new float[][] {cos, sin};
    }

    /** Rotates {@code x} (tokens x heads x d) in place, tokens in parallel; each element as {@link #rotateScalar} computes it. */
    public void apply(float[] x, int tokens, int heads, float[][] tables, ComputeMode mode, Compute compute) {
        apply(x, tokens, heads, half, tables[0], tables[1], mode, compute);
    }

    /** {@link #apply} for heads of {@code 2 * half} with the tables {@code cos}, {@code sin} (tokens x half). */
    static void apply(float[] x, int tokens, int heads, int half, float[] cos, float[] sin, ComputeMode mode, Compute compute) {
        compute.forEach(tokens, t -> {
            for (int h = 0; h < heads; h++) {
                rotate(x, (t * heads + h) * 2 * half, cos, sin, t * half, half, mode);
            }
        });
    }

    /** One head's rotation: pairs {@code (i, i + half)} on 16 lanes where the mode allows (fp32, bf16), then the scalar twin. */
    static void rotate(float[] x, int base, float[] cos, float[] sin, int tOff, int half, ComputeMode mode) {
        int i = 0;
        if (Simd.ENABLED && mode != ComputeMode.FP16) {
            for (int lanes = FS.length(); i + lanes <= half; i += lanes) {
                FloatVector c = FloatVector.fromArray(FS, cos, tOff + i);
                FloatVector s = FloatVector.fromArray(FS, sin, tOff + i);
                FloatVector a = FloatVector.fromArray(FS, x, base + i);
                FloatVector b = FloatVector.fromArray(FS, x, base + half + i);
                Elementwise.round(Elementwise.round(a.mul(c), mode).add(Elementwise.round(b.neg().mul(s), mode)), mode).intoArray(x, base + i);
                Elementwise.round(Elementwise.round(b.mul(c), mode).add(Elementwise.round(a.mul(s), mode)), mode).intoArray(x, base + half + i);
            }
        }
        rotateScalar(x, base, cos, sin, tOff, i, half, mode);
    }

    /** The scalar twin of {@link #rotate}, from pair {@code from}. */
    static void rotateScalar(float[] x, int base, float[] cos, float[] sin, int tOff, int from, int half, ComputeMode mode) {
        for (int i = from; i < half; i++) {
            float c = cos[tOff + i];
            float s = sin[tOff + i];
            float a = x[base + i];
            float b = x[base + half + i];
            x[base + i] = mode.round(mode.round(a * c) + mode.round(-b * s));
            x[base + half + i] = mode.round(mode.round(b * c) + mode.round(a * s));
        }
    }
}
