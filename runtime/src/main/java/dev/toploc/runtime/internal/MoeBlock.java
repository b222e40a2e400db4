package dev.toploc.runtime.internal;

import dev.toploc.Compute;

import dev.toploc.runtime.ComputeMode;
import java.util.function.UnaryOperator;

/**
 * A mixture-of-experts feed-forward as {@code transformers}' Qwen3MoeSparseMoeBlock and
 * MixtralSparseMoeBlock compute it in eager mode.
 *
 * <p>Per token: router logits {@code h W_r^T} (a linear layer: rounded to the compute dtype); their
 * softmax in fp32 (maximum, {@code exp(l - max)}, sum in increasing expert index, division); the
 * {@code topK} largest probabilities (a tie goes to the lower expert index), divided by their sum (taken
 * in decreasing-probability order) when {@code normalize}; the weights rounded to the compute dtype.
 * Each expert then runs only the tokens routed to it, gathered in increasing token order:
 * {@code down(silu(gate(x)) * up(x))} as the dense MLP, times the token's weight (rounded), and added into
 * the token's output (rounded) in increasing expert index, as {@code index_add_} over the experts does.
 */
public final class MoeBlock {
    private MoeBlock() {
    }

    /** The router ({@code experts x hidden}) and each expert's projections. */
    public record Experts(Weight router, Weight[] gate, Weight[] up, Weight[] down, int topK, boolean normalize) {
        /** The same experts with every matrix passed through {@code f} (e.g. rounded to a compute mode). */
        public Experts map(UnaryOperator<Weight> f) {
            Weight[] g = new Weight[gate.length];
            Weight[] u = new Weight[up.length];
            Weight[] d = new Weight[down.length];
            for (int e = 0; e < g.length; e++) {
                g[e] = f.apply(gate[e]);
                u[e] = f.apply(up[e]);
                d[e] = f.apply(down[e]);
            }
            return new Experts(f.apply(router), g, u, d, topK, normalize);
        }

        /** Every matrix, for releasing mapped pages. */
        public Weight[] all() {
            Weight[] a = new Weight[1 + 3 * gate.length];
            a[0] = router;
            for (int e = 0; e < gate.length; e++) {
                a[1 + 3 * e] = gate[e];
                a[2 + 3 * e] = up[e];
                a[3 + 3 * e] = down[e];
            }
            return a;
        }
    }

    /**
     * Routing of {@code tokens} rows of {@code h}: {@code experts[t * topK + j]} and {@code weights[...]} (rounded
     * to the mode) of each token's j-th choice, in decreasing probability.
     */
    public static void route(float[] h, int tokens, Experts x, ComputeMode mode, int[] experts, float[] weights, Compute compute) {
        int ne = x.router().rows();
        int k = x.topK();
        float[] logits = new float[tokens * ne];
        Matmul.matmul(h, tokens, x.router(), null, logits, compute);
        mode.round(logits, 0, logits.length);
        float[] p = new float[ne];
        boolean[] taken = new boolean[ne];
        for (int t = 0; t < tokens; t++) {
            int off = t * ne;
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < ne; e++) {
                max = Math.max(max, logits[off + e]);
            }
            float sum = 0f;
            for (int e = 0; e < ne; e++) {
                p[e] = (float) Math.exp(logits[off + e] - max);
                sum += p[e];
            }
            for (int e = 0; e < ne; e++) {
                p[e] = p[e] / sum;
            }
            java.util.Arrays.fill(taken, false);
            float top = 0f;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int e = 0; e < ne; e++) {
                    // NaN never wins: a NaN router row routes to the lowest untaken experts and its NaN spreads through the output
                    if (!taken[e] && (best < 0 || p[e] > p[best])) {
                        best = e;
                    }
                }
                taken[best] = true;
                experts[t * k + j] = best;
                weights[t * k + j] = p[best];
                top += p[best];
            }
            for (int j = 0; j < k; j++) {
                float w = x.normalize() ? weights[t * k + j] / top : weights[t * k + j];
                weights[t * k + j] = mode.round(w);
            }
        }
    }

    /** {@code out (tokens x hidden)} = the experts' weighted sum for each row of {@code h} (tokens x hidden). */
    public static void forward(float[] h, int tokens, int hidden, Experts x, ComputeMode mode, float[] out, Compute compute) {
        int k = x.topK();
        int[] experts = new int[tokens * k];
        float[] weights = new float[tokens * k];
        route(h, tokens, x, mode, experts, weights, compute);
        java.util.Arrays.fill(out, 0, tokens * hidden, 0f);
        int[] rows = new int[tokens];
        float[] w = new float[tokens];
        for (int e = 0; e < x.gate().length; e++) {
            int n = 0;
            for (int t = 0; t < tokens; t++) {
                for (int j = 0; j < k; j++) {
                    if (experts[t * k + j] == e) {
                        rows[n] = t;
                        w[n++] = weights[t * k + j];
                    }
                }
            }
            if (n == 0) {
                continue;
            }
            int inter = x.gate()[e].rows();
            float[] xs = new float[n * hidden];
            for (int i = 0; i < n; i++) {
                System.arraycopy(h, rows[i] * hidden, xs, i * hidden, hidden);
            }
            float[] g = new float[n * inter];
            float[] u = new float[n * inter];
            Matmul.matmul(xs, n, x.gate()[e], null, g, compute);
            mode.round(g, 0, g.length);
            Matmul.matmul(xs, n, x.up()[e], null, u, compute);
            mode.round(u, 0, u.length);
            Elementwise.swiglu(g, u, g.length, mode, compute);
            float[] y = new float[n * hidden];
            Matmul.matmul(g, n, x.down()[e], null, y, compute);
            mode.round(y, 0, y.length);
            for (int i = 0; i < n; i++) {
                int o = rows[i] * hidden;
                for (int c = 0; c < hidden; c++) {
                    out[o + c] = mode.round(out[o + c] + mode.round(y[i * hidden + c] * w[i]));
                }
            }
        }
    }
}
