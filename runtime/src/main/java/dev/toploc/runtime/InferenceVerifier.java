package dev.toploc.runtime;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkPlan;
import dev.toploc.CommitFormatException;
import dev.toploc.HiddenStates;
import dev.toploc.InvalidStatesException;
import dev.toploc.TopLocException;
import dev.toploc.VerificationException;
import dev.toploc.VerificationReport;
import dev.toploc.Verifier;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.InferenceAttestation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The client's check of one completion: the model identity against the folder, the prefill recomputed
 * over prompt + completion, every commit against the policy, the token choices replayed (greedy or seeded
 * sampling within a logit margin), and the termination rule (DESIGN sections 4 and 7).
 *
 * <p>{@link #check} returns the full report for display; {@link #verify} also throws
 * {@link VerificationException} naming the first failed check when any failed.
 */
public final class InferenceVerifier {
    private InferenceVerifier() {
    }

    /** Computes final-norm states for the verifier: the CPU runtime by default, a GPU when one is plugged in. */
    @FunctionalInterface
    public interface PrefillEngine {
        /** Returns null to decline (e.g. a mode it does not support): the CPU runtime then runs it. */
        float[] prefill(Model model, int[] tokens, ComputeMode mode);
    }

    private static volatile PrefillEngine engine;

    /** Routes the verifier's prefills to {@code e} (null: the CPU runtime only). */
    public static void usePrefillEngine(PrefillEngine e) {
        engine = e;
    }

    /**
     * How strictly token choices are replayed.
     *
     * @param replay       whether to replay token choices at all
     * @param logitMargin  a token passes if its (temperature-scaled, noise-added when sampling) score is
     *                     within this of the best score: honest precision differences move logits a little
     * @param minEosProb   a completion that ends in EOS must give EOS at least this probability there
     */
    public record SamplingCheck(boolean replay, double logitMargin, double minEosProb) {
        /** Defaults: replay on, margin 0.5 logits, EOS probability at least 1e-4. */
        public static final SamplingCheck DEFAULT = new SamplingCheck(true, 0.5, 1e-4);
        public static final SamplingCheck OFF = new SamplingCheck(false, 0, 0);
    }

    /** One completion token the replay rejected. */
    public record TokenFailure(int index, int position, int token, int expected, double gap, String reason) {
    }

    /** Everything that was checked. */
    public record Report(VerificationReport commits, List<TokenFailure> tokens, String termination, int tokensReplayed,
                         double worstTokenGap) {
        public boolean accepted() {
            return commits.accepted() && tokens.isEmpty() && termination == null;
        }
    }

    /** Checks that the folder's weights are the attested ones. */
    public static void checkIdentity(InferenceAttestation a, ModelIdentity id) throws AttestationException {
        InferenceAttestation.ModelRef m = a.model();
        if (!m.configDigest().equals(id.configDigest())) {
            throw new AttestationException("model", "config.json sha256 " + id.configDigest() + " does not match the attested "
                    + m.configDigest() + " (model '" + m.name() + "')");
        }
        if (!m.weightsDigest().equals(id.weightsDigest()) || !m.weightDigests().equals(id.weightDigests())
                || !m.weightFiles().equals(id.weightFiles())) {
            throw new AttestationException("model", "weights sha256 " + id.weightsDigest() + " (" + id.weightFiles()
                    + ") do not match the attested " + m.weightsDigest() + " (" + m.weightFiles() + ", model '" + m.name() + "')");
        }
    }

    /** Recomputes and checks; returns the report whatever the verdict. */
    public static Report check(InferenceAttestation a, Model model, ComputeMode mode, AcceptancePolicy policy, SamplingCheck sampling)
            throws TopLocException {
        return check(a, model, mode, policy, sampling, false);
    }

    /** As {@link #check(InferenceAttestation, Model, ComputeMode, AcceptancePolicy, SamplingCheck)}, optionally streaming layers. */
    public static Report check(InferenceAttestation a, Model model, ComputeMode mode, AcceptancePolicy policy, SamplingCheck sampling,
                               boolean streamLayers) throws TopLocException {
        return check(a, model, mode, policy, sampling, streamLayers, null);
    }

    /** The full form: optionally streaming layers, and reporting each finished layer of the prefill to {@code layersDone}. */
    public static Report check(InferenceAttestation a, Model model, ComputeMode mode, AcceptancePolicy policy, SamplingCheck sampling,
                               boolean streamLayers, java.util.function.IntConsumer layersDone) throws TopLocException {
        int[] prompt = a.prompt();
        int[] completion = a.completion();
        int vocab = model.config().vocabSize();
        for (int[] ids : new int[][] {prompt, completion}) {
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] >= vocab) {
                    throw new AttestationException("schema", "token id " + ids[i] + " at index " + i + " is outside the model's vocabulary of " + vocab);
                }
            }
        }
        int p = prompt.length;
        int n = completion.length;
        ChunkPlan plan;
        try {
            plan = ChunkPlan.forSequence(p, n, a.positions(), a.prefillChunk(), a.commitSpec().chunkSize());
        } catch (IllegalArgumentException e) {
            throw new CommitFormatException("the attestation's sequence has no chunk to check: " + e.getMessage());
        }
        int[] seq = new int[p + n - 1];
        System.arraycopy(prompt, 0, seq, 0, p);
        System.arraycopy(completion, 0, seq, p, n - 1);
        PrefillEngine plugged = engine;
        float[] hidden = plugged == null ? null : plugged.prefill(model, seq, mode);
        if (hidden == null) {
            hidden = model.prefill(seq, mode, streamLayers, layersDone);
        }
        HiddenStates states = Model.toStates(hidden, seq.length, model.config().hiddenSize(), mode);
        VerificationReport commits;
        try {
            commits = Verifier.check(states, plan, a.commitSpec(), a.commits(), policy);
        } catch (InvalidStatesException e) {
            throw new InvalidStatesException("the recomputed states cannot be checked: " + e.getMessage());
        }
        List<TokenFailure> failures = new ArrayList<>();
        double worst = 0;
        String termination = null;
        if (sampling.replay()) {
            float[] logits = model.logitsRows(hidden, p - 1, n, mode);
            InferenceAttestation.SamplingRef s = a.sampling();
            Sampling rule = new Sampling(s.temperature(), s.seed());
            for (int i = 0; i < n; i++) {
                int off = i * vocab;
                int pos = p + i;
                int tok = completion[i];
                double gap;
                int best;
                if (rule.greedy()) {
                    best = Sampling.argmax(logits, off, vocab);
                    gap = logits[off + best] - logits[off + tok];
                } else {
                    double[] scores = gumbelScores(logits, off, vocab, rule, pos);
                    best = 0;
                    for (int v = 1; v < vocab; v++) {
                        if (scores[v] > scores[best]) {
                            best = v;
                        }
                    }
                    gap = (scores[best] - scores[tok]) * s.temperature();   // back in logit units
                }
                worst = Math.max(worst, gap);
                if (gap > sampling.logitMargin()) {
                    failures.add(new TokenFailure(i, pos, tok, best, gap, String.format(Locale.ROOT,
                            "token %d (position %d) is %d but the replay chooses %d: logit gap %.3f > margin %.3f",
                            i, pos, tok, best, gap, sampling.logitMargin())));
                }
            }
            termination = termination(a, logits, vocab, sampling, model.stopTokens(a.sampling().eosToken()));
        }
        return new Report(commits, failures, termination, sampling.replay() ? n : 0, worst);
    }

    /**
     * The termination rule, over the stop set ({@link Model#stopTokens} of the declared EOS: it and every EOS id
     * of the verifier's model): no stop token before the end; stop 'eos' ends in one, likely enough there;
     * stop 'length' has exactly the declared length and does not end in one.
     */
    private static String termination(InferenceAttestation a, float[] logits, int vocab, SamplingCheck sampling,
                                      java.util.Set<Integer> stop) {
        InferenceAttestation.SamplingRef s = a.sampling();
        int[] c = a.completion();
        int n = c.length;
        for (int i = 0; i < n - 1; i++) {
            if (stop.contains(c[i])) {
                return "EOS (" + c[i] + ", of " + stop + ") at token " + i + " but the completion goes on to " + n + " tokens";
            }
        }
        if (s.stop().equals("eos")) {
            if (!stop.contains(c[n - 1])) {
                return "stop is 'eos' but the last token is " + c[n - 1] + " (EOS ids " + stop + ")";
            }
            int off = (n - 1) * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, logits[off + v]);
            }
            double z = 0;
            for (int v = 0; v < vocab; v++) {
                z += Math.exp(logits[off + v] - max);
            }
            double pEos = Math.exp(logits[off + c[n - 1]] - max) / z;
            if (pEos < sampling.minEosProb()) {
                return String.format(Locale.ROOT, "EOS has probability %.2e at the end, below the minimum %.2e", pEos, sampling.minEosProb());
            }
            return null;
        }
        if (n != s.maxTokens()) {
            return "stop is 'length' but the completion has " + n + " tokens, not the declared maxTokens " + s.maxTokens();
        }
        if (stop.contains(c[n - 1])) {
            return "stop is 'length' but the last token is EOS (" + c[n - 1] + ")";
        }
        return null;
    }

    private static double[] gumbelScores(float[] logits, int off, int vocab, Sampling rule, int position) {
        // The same draws as Sampling.choose, kept per token so the gap can be measured.
        double[] scores = new double[vocab];
        double t = rule.temperature();
        double[] g = Sampling.gumbel(rule.seed(), position, vocab);
        for (int v = 0; v < vocab; v++) {
            scores[v] = logits[off + v] / t + g[v];
        }
        return scores;
    }

    /** Checks and decides: throws {@link VerificationException} naming the first failure. */
    public static Report verify(InferenceAttestation a, Model model, ComputeMode mode, AcceptancePolicy policy, SamplingCheck sampling)
            throws TopLocException, IOException {
        checkIdentity(a, model.identity());
        Report r = check(a, model, mode, policy, sampling);
        if (!r.accepted()) {
            throw rejection(r, policy);
        }
        return r;
    }

    /** The exception a rejected report stands for: every failed check, first failure first. */
    public static VerificationException rejection(Report r, AcceptancePolicy policy) {
        List<String> why = new ArrayList<>();
        if (!r.commits().accepted()) {
            why.add(r.commits().rejection());
        }
        if (!r.tokens().isEmpty()) {
            why.add(r.tokens().get(0).reason() + (r.tokens().size() > 1 ? " (and " + (r.tokens().size() - 1) + " more tokens)" : ""));
        }
        if (r.termination() != null) {
            why.add("termination: " + r.termination());
        }
        return new VerificationException("rejected: " + String.join("; ", why) + "; policy: " + policy.source(), r.commits());
    }
}
