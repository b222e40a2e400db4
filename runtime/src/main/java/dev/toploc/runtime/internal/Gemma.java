package dev.toploc.runtime.internal;

import dev.toploc.runtime.ComputeMode;

/**
 * The element-wise pieces of Gemma 2/3 as {@code transformers}' eager code computes them (fp32 inside one
 * PyTorch op, one rounding to the compute dtype per op).
 */
public final class Gemma {
    private Gemma() {
    }

    /** sqrt(2/pi), as PyTorch's {@code M_SQRT2 * M_2_SQRTPI * 0.5} rounded to fp32. */
    private static final float BETA = (float) (Math.sqrt(2) * (2 / Math.sqrt(Math.PI)) * 0.5);
    private static final float KAPPA = 0.044715f;

    /** PyTorch's tanh GELU in fp32: {@code 0.5 x (1 + tanh(beta (x + kappa x^3)))}, x^3 as {@code x * x * x}. */
    public static float geluTanh(float x) {
        float cube = x * x * x;
        float inner = BETA * (x + KAPPA * cube);
        return 0.5f * x * (1f + (float) Math.tanh(inner));
    }

    /** {@code gate[i] = round(round(gelu_tanh(gate[i])) * up[i])} for {@code i < n}: Gemma's GeGLU product. */
    public static void geglu(float[] gate, float[] up, int n, ComputeMode mode) {
        for (int i = 0; i < n; i++) {
            gate[i] = mode.round(mode.round(geluTanh(gate[i])) * up[i]);
        }
    }

    /** {@code a[i] = cap * tanh(a[i] / cap)} in place, the division, tanh and product each rounded ({@code cap > 0}). */
    public static void softcap(float[] a, int off, int len, float cap, ComputeMode mode) {
        for (int i = off, end = off + len; i < end; i++) {
            a[i] = mode.round(mode.round((float) Math.tanh(mode.round(a[i] / cap))) * cap);
        }
    }

    /** Embeddings times {@code sqrt(hidden)}, the factor first rounded to the compute dtype (a tensor of that dtype). */
    public static void scaleEmbeddings(float[] x, int hidden, ComputeMode mode) {
        float s = mode.round((float) Math.sqrt(hidden));
        for (int i = 0; i < x.length; i++) {
            x[i] = mode.round(x[i] * s);
        }
    }
}
