package dev.toploc.runtime;

/**
 * Token choice, specified so a verifier on any platform replays it exactly (DESIGN section 7).
 *
 * <ul>
 *   <li><b>Greedy</b> (temperature 0): the index of the largest logit; ties go to the lower index.</li>
 *   <li><b>Seeded sampling</b> (temperature T &gt; 0): Gumbel-max, the index maximizing
 *       {@code logit[v] / T + g[v]} in double precision (ties to the lower index), where
 *       {@code g[v] = -ln(-ln(u[v]))} ({@link StrictMath#log}, so the same on every JVM) and {@code u[v]}
 *       is the v-th draw of a SplitMix64 stream keyed by (seed, position):
 *       <pre>
 *   state  = mix(seed ^ mix(position))          position: 0-based index of the token being chosen
 *   next() = mix(state += 0x9E3779B97F4A7C15)
 *   mix(z) = z ^= z >>> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >>> 27; z *= 0x94D049BB133111EB; z ^ z >>> 31
 *   u      = ((next() >>> 11) + 0.5) * 2^-53      (in (0, 1), never 0 or 1)
 *       </pre>
 *       Sampling this way is exactly sampling from {@code softmax(logits / T)}.</li>
 * </ul>
 *
 * @param temperature 0 for greedy, else 0.01 .. 100 (the attestation's range,
 *                    {@link dev.toploc.attest.InferenceAttestation.SamplingRef#requireTemperature}: below it a
 *                    subnormal T overflows {@code logit / T} and no replay could be computed)
 * @param seed        the sampling seed (ignored when greedy)
 */
public record Sampling(double temperature, long seed) {
    public static final Sampling GREEDY = new Sampling(0, 0);

    public Sampling {
        dev.toploc.attest.InferenceAttestation.SamplingRef.requireTemperature(temperature);
    }

    public boolean greedy() {
        return temperature == 0;
    }

    /** The token chosen from {@code logits[off, off+vocab)} at sequence position {@code position}. */
    public int choose(float[] logits, int off, int vocab, int position) {
        if (greedy()) {
            return argmax(logits, off, vocab);
        }
        double[] g = gumbel(seed, position, vocab);
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            double score = logits[off + v] / temperature + g[v];
            if (score > bestScore) {
                bestScore = score;
                best = v;
            }
        }
        return best;
    }

    /** The Gumbel noise {@code g[0..vocab)} that {@link #choose} adds at {@code position} for {@code seed}. */
    public static double[] gumbel(long seed, int position, int vocab) {
        double[] g = new double[vocab];
        long state = mix(seed ^ mix(position));
        for (int v = 0; v < vocab; v++) {
            state += 0x9E3779B97F4A7C15L;
            double u = ((mix(state) >>> 11) + 0.5) * 0x1p-53;
            g[v] = -StrictMath.log(-StrictMath.log(u));
        }
        return g;
    }

    /** Index of the largest value; the lower index wins ties. */
    public static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int v = 1; v < n; v++) {
            if (a[off + v] > a[off + best]) {
                best = v;
            }
        }
        return best;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
