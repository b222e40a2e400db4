package dev.toploc.calibration;

import dev.toploc.PositionConvention;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Generator;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.Sampling;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The attacks on how the tokens are chosen, with the {@linkplain Scenario.Weights#DRAFT draft} (the claimed
 * model's first half of layers) as the cheaper model: speculative decoding that commits the draft's states
 * for the tokens the draft proposed, sampling at another temperature or within a nucleus, and tokens picked by
 * the draft with commits from one honest prefill of the claimed model. Every claim states the scenario's
 * sampling ({@link Scenario.Decoding#SEEDED}); the provider computes in bf16.
 *
 * <p>The claimed sampling is the seeded Gumbel-max draw of {@link Sampling}: the verifier's token replay knows
 * exactly which token each position must carry, so a provider that chooses tokens any other way shows as
 * a logit gap wherever its token differs from the replay's.
 */
public final class TokenAttacks {
    private TokenAttacks() {
    }

    /** Tokens the draft proposes per round of speculative decoding; after that many accepted, the claimed model samples one itself. */
    public static final int LOOKAHEAD = 4;

    /** The scenario rows, in table order. */
    static List<Scenario> scenarios() {
        return List.of(
                new Scenario("speculative decoding, draft states committed", false, false, new Scenario.Provider.SpeculatesWithDraftStates(false),
                        "The standard acceptance rule draws its own random numbers, so the tokens are the claimed model's distribution but not "
                                + "the seeded draws the replay expects; the draft's rows sit in the commits wherever it was accepted."),
                new Scenario("speculative decoding coupled to the seed, draft states committed", false, false,
                        new Scenario.Provider.SpeculatesWithDraftStates(true),
                        "Acceptance coupled to the claimed seed makes every token exactly the claimed sampling's: only the commits (the draft's "
                                + "rows for accepted tokens) can show it."),
                new Scenario("samples at temperature 1.0, claims 0.8", false, false, new Scenario.Provider.SamplesOtherwise(1.0, 1.0),
                        "The commits are the claimed model's; only the tokens differ, where the hotter draw picks another token than the "
                                + "claimed one. Caught when one such token's logit gap exceeds the margin; where the honest long runs need a wide "
                                + "margin, a run whose changed tokens were all near ties stays under it, and on nearly flat logits (random "
                                + "weights) the same seed's draws at both temperatures can be the same tokens throughout: the honest claim."),
                new Scenario("samples within top-p 0.9, claims plain sampling", false, false, new Scenario.Provider.SamplesOtherwise(0.8, 0.9),
                        "The commits are the claimed model's; a token differs only where the claimed draw falls outside the nucleus, "
                                + "and the nucleus' best token can lie within a wide logit margin of it."),
                new Scenario("draft picks the tokens, claimed-model prefill commits", false, false, new Scenario.Provider.CheapTokensClaimedCommits(),
                        "The commits are exactly the claimed model's states for the claimed tokens: only the token replay can catch it, where "
                                + "the draft's draw differs from the claimed model's by more than the logit margin."));
    }

    /** Whether {@code p} needs the {@link Scenario.Weights#DRAFT} model. */
    static boolean usesDraft(Scenario.Provider p) {
        return p instanceof Scenario.Provider.SpeculatesWithDraftStates || p instanceof Scenario.Provider.CheapTokensClaimedCommits
                || p instanceof Scenario.Provider.Generates g && g.weights() == Scenario.Weights.DRAFT;
    }

    /** Writes the draft of the single-file model {@code src} (its first half of layers, at least one) into {@code dst}. */
    public static void writeDraft(Path src, Path dst) throws IOException, dev.toploc.runtime.ModelFormatException {
        int layers;
        try (Model m = Model.load(src)) {
            layers = m.config().numLayers();
        }
        WeightEdits.truncate(src, dst, Math.max(1, layers / 2));
    }

    /**
     * Speculative decoding, position by position (a round's proposals are verified in one batch on a GPU; the
     * tokens and the states are the same): the draft proposes, the claimed model accepts or replaces. With
     * {@code seedCoupled} the draft proposes its own seeded choice and the claimed model accepts it exactly
     * when its seeded choice is the same token (else its choice replaces it): the tokens are the claimed
     * sampling's. Otherwise the standard rule: the draft samples x from q = softmax(draft logits / T), accepted
     * with probability min(1, p(x)/q(x)), else replaced by a draw from max(0, p - q) normalized; the random
     * numbers are the provider's own ({@code providerSeed}). After {@link #LOOKAHEAD} accepted proposals the
     * claimed model samples the next token itself (the bonus token). The committed row of each completion token
     * is the draft's when the draft's proposal was accepted, the claimed model's otherwise; the prompt's rows
     * are the claimed model's.
     */
    public static Submission speculative(Model claimed, Model draft, int[] prompt, int maxTokens, Sampling s, boolean seedCoupled, long providerSeed)
            throws Exception {
        int d = claimed.config().hiddenSize();
        if (draft.config().hiddenSize() != d || draft.config().vocabSize() != claimed.config().vocabSize()) {
            throw new IllegalArgumentException("the draft must share the claimed model's hidden size and vocabulary");
        }
        int vocab = claimed.config().vocabSize();
        int p = prompt.length;
        int capacity = p + maxTokens;
        Model.Session target = claimed.session(ComputeMode.BF16, capacity);
        Model.Session proposer = draft.session(ComputeMode.BF16, capacity);
        float[] tRows = target.append(prompt);
        float[] dRows = proposer.append(prompt);
        float[] hidden = Arrays.copyOf(tRows, (p + maxTokens - 1) * d);
        float[] tLast = Arrays.copyOfRange(tRows, (p - 1) * d, p * d);
        float[] dLast = Arrays.copyOfRange(dRows, (p - 1) * d, p * d);
        SplittableRandom rng = new SplittableRandom(providerSeed);
        int[] out = new int[maxTokens];
        int accepted = 0;
        for (int n = 0; n < maxTokens; n++) {
            int pos = p + n;
            float[] lp = target.logits(tLast, 0);
            int tok;
            boolean fromDraft;
            if (accepted == LOOKAHEAD) {
                tok = seedCoupled || s.greedy() ? s.choose(lp, 0, vocab, pos) : draw(softmax(lp, s.temperature()), rng);
                fromDraft = false;
            } else {
                float[] lq = proposer.logits(dLast, 0);
                if (seedCoupled || s.greedy()) {
                    int x = s.choose(lq, 0, vocab, pos);
                    int y = s.choose(lp, 0, vocab, pos);
                    fromDraft = x == y;
                    tok = y;
                } else {
                    double[] q = softmax(lq, s.temperature());
                    double[] pp = softmax(lp, s.temperature());
                    int x = draw(q, rng);
                    fromDraft = rng.nextDouble() < Math.min(1, pp[x] / q[x]);
                    if (fromDraft) {
                        tok = x;
                    } else {
                        double[] r = new double[vocab];
                        for (int v = 0; v < vocab; v++) {
                            r[v] = Math.max(0, pp[v] - q[v]);
                        }
                        tok = draw(r, rng);
                    }
                }
            }
            accepted = fromDraft ? accepted + 1 : 0;
            System.arraycopy(fromDraft ? dLast : tLast, 0, hidden, (pos - 1) * d, d);
            out[n] = tok;
            if (n + 1 < maxTokens) {
                tLast = target.append(tok);
                dLast = proposer.append(tok);
            }
        }
        return Claims.claim(claimed, prompt, out, hidden, d, ComputeMode.BF16, PositionConvention.PRODUCED, s, maxTokens, Claims.SPEC.dtype(),
                Claims.SPEC.dtype());
    }

    /**
     * Generation on the claimed model whose token at each position is the seeded draw of {@code claimed}'s seed
     * at {@code temperature}, restricted to the nucleus of softmax(logits / temperature) of mass {@code topP}
     * (the fewest most probable tokens reaching it; 1: every token); the claim states {@code claimed}. The
     * commits are the claimed model's own states.
     */
    public static Submission samplesOtherwise(Model m, int[] prompt, int maxTokens, Sampling claimed, double temperature, double topP)
            throws Exception {
        if (!(temperature > 0) || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("temperature > 0 and top-p in (0, 1] expected, got " + temperature + " and " + topP);
        }
        int d = m.config().hiddenSize();
        int vocab = m.config().vocabSize();
        int p = prompt.length;
        Model.Session session = m.session(ComputeMode.BF16, p + maxTokens);
        float[] rows = session.append(prompt);
        float[] hidden = Arrays.copyOf(rows, (p + maxTokens - 1) * d);
        float[] last = Arrays.copyOfRange(rows, (p - 1) * d, p * d);
        int[] out = new int[maxTokens];
        for (int n = 0; n < maxTokens; n++) {
            int pos = p + n;
            float[] logits = session.logits(last, 0);
            boolean[] nucleus = nucleus(softmax(logits, temperature), topP);
            double[] g = Sampling.gumbel(claimed.seed(), pos, vocab);
            int best = -1;
            for (int v = 0; v < vocab; v++) {
                if (nucleus[v] && (best < 0 || logits[v] / temperature + g[v] > logits[best] / temperature + g[best])) {
                    best = v;
                }
            }
            out[n] = best;
            if (n + 1 < maxTokens) {
                last = session.append(best);
                System.arraycopy(last, 0, hidden, pos * d, d);
            }
        }
        return Claims.claim(m, prompt, out, hidden, d, ComputeMode.BF16, PositionConvention.PRODUCED, claimed, maxTokens, Claims.SPEC.dtype(),
                Claims.SPEC.dtype());
    }

    /**
     * The {@code cheap} model generates with the claimed sampling {@code s} (its own logits, the claimed seed's
     * draws: the cheapest way to the claimed tokens); the commits come from one bf16 prefill of {@code claimed}
     * over prompt and completion, so they are the claimed model's states for these tokens.
     */
    public static Submission cheapTokens(Model claimed, Model cheap, int[] prompt, int maxTokens, Sampling s) throws Exception {
        Generator.Generation g = Generator.generate(cheap, prompt, maxTokens, s, -1, ComputeMode.BF16, null);
        int[] seq = Claims.concat(g.prompt(), Arrays.copyOf(g.completion(), g.completion().length - 1));
        float[] hidden = claimed.prefill(seq, ComputeMode.BF16);
        return Claims.claim(claimed, g.prompt(), g.completion(), hidden, claimed.config().hiddenSize(), ComputeMode.BF16, PositionConvention.PRODUCED,
                s, maxTokens, Claims.SPEC.dtype(), Claims.SPEC.dtype());
    }

    /** softmax(logits / t) in double, the largest scaled logit subtracted first. */
    static double[] softmax(float[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / t);
        }
        double[] e = new double[logits.length];
        double z = 0;
        for (int v = 0; v < logits.length; v++) {
            e[v] = Math.exp(logits[v] / t - max);
            z += e[v];
        }
        for (int v = 0; v < logits.length; v++) {
            e[v] /= z;
        }
        return e;
    }

    /** The smallest set of most probable tokens (ties to the lower index) whose probabilities reach {@code topP}. */
    static boolean[] nucleus(double[] probs, double topP) {
        Integer[] order = new Integer[probs.length];
        for (int v = 0; v < order.length; v++) {
            order[v] = v;
        }
        Arrays.sort(order, (a, b) -> probs[a] != probs[b] ? Double.compare(probs[b], probs[a]) : Integer.compare(a, b));
        boolean[] in = new boolean[probs.length];
        double mass = 0;
        for (int k = 0; k < order.length && (k == 0 || mass < topP); k++) {
            in[order[k]] = true;
            mass += probs[order[k]];
        }
        return in;
    }

    /** A draw from the unnormalized weights {@code w} (at least one positive). */
    static int draw(double[] w, SplittableRandom rng) {
        double total = 0;
        for (double x : w) {
            total += x;
        }
        double u = rng.nextDouble() * total;
        int last = -1;
        for (int v = 0; v < w.length; v++) {
            if (w[v] > 0) {
                last = v;
                u -= w[v];
                if (u < 0) {
                    return v;
                }
            }
        }
        if (last < 0) {
            throw new IllegalArgumentException("no token has positive weight");
        }
        return last;      // rounding left u just above 0: the last token with weight
    }
}
