package dev.toploc.runtime;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkPlan;
import dev.toploc.CommitFormatException;
import dev.toploc.CommitSpec;
import dev.toploc.Compute;
import dev.toploc.HiddenStates;
import dev.toploc.InvalidStatesException;
import dev.toploc.TopLocException;
import dev.toploc.TieRule;
import dev.toploc.VerificationReport;
import dev.toploc.Verifier;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Claim;
import dev.toploc.attest.Expectations;
import dev.toploc.attest.InferenceAttestation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * The client's check of one completion: the model identity against the folder (whenever the claim names
 * a model), the prefill recomputed over prompt + completion, every commit against the policy, the token
 * choices replayed (greedy or seeded sampling within a logit margin), and the termination rule (DESIGN
 * sections 4 and 7).
 *
 * <p>One entry point: configure a verifier once with {@link #builder()} (an immutable value, safe to share
 * between threads), then {@link #verify(Model, Claim)} returns the report when the claim holds and throws
 * {@link ClaimRejectedException}, carrying the same report, when it does not.
 *
 * <pre>{@code
 * InferenceVerifier verifier = InferenceVerifier.builder()
 *         .policy(policy)                                  // default: the reference's thresholds for the claim's spec
 *         .sampling(InferenceVerifier.SamplingCheck.DEFAULT)
 *         .mode(ComputeMode.FP32)
 *         .compute(Compute.defaults())                     // threads and top-k device
 *         .build();
 * try {
 *     // the request's nonce and prompt first, then the model digests, then the recomputation
 *     InferenceVerifier.Report r = verifier.verify(model, attestation, Expectations.NONE.withNonce(nonce).withPrompt(promptIds));
 * } catch (ClaimRejectedException rejected) {
 *     System.err.println(rejected.getMessage());           // every failed check; rejected.claimReport() has all
 * }
 * }</pre>
 */
public final class InferenceVerifier {
    private final PolicySource policy;
    private final SamplingCheck sampling;
    private final ComputeMode mode;
    private final Compute compute;
    private final PrefillEngine engine;
    private final boolean streamLayers;
    private final IntConsumer progress;
    private final TieRule ties;

    private InferenceVerifier(Builder b) {
        this.policy = b.policy;
        this.sampling = b.sampling;
        this.mode = b.mode;
        this.compute = b.compute;
        this.engine = b.engine;
        this.streamLayers = b.streamLayers;
        this.progress = b.progress;
        this.ties = b.ties;
    }

    /** A builder with the defaults: reference thresholds, {@link SamplingCheck#DEFAULT}, fp32, {@link Compute#defaults()}, the CPU prefill. */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a verifier; every one has a default. Not thread-safe; the verifiers it builds are. */
    public static final class Builder {
        private PolicySource policy = (model, spec) -> AcceptancePolicy.defaults(spec);
        private SamplingCheck sampling = SamplingCheck.DEFAULT;
        private ComputeMode mode = ComputeMode.FP32;
        private Compute compute = Compute.defaults();
        private PrefillEngine engine;
        private boolean streamLayers;
        private IntConsumer progress;
        private TieRule ties = TieRule.STRICT;

        private Builder() {
        }

        /** The commit thresholds (null, the default: {@link AcceptancePolicy#defaults} for each claim's spec). */
        public Builder policy(AcceptancePolicy p) {
            this.policy = p == null ? (model, spec) -> AcceptancePolicy.defaults(spec) : (model, spec) -> p;
            return this;
        }

        /** The commit thresholds chosen for each verification, once the model identity has been checked (a policy bound to weights). */
        public Builder policyFor(PolicySource source) {
            this.policy = Objects.requireNonNull(source, "source");
            return this;
        }

        /** How token choices are replayed ({@link SamplingCheck#OFF}: not at all). */
        public Builder sampling(SamplingCheck s) {
            this.sampling = Objects.requireNonNull(s, "sampling");
            return this;
        }

        /** The precision of the recomputation. */
        public Builder mode(ComputeMode m) {
            this.mode = Objects.requireNonNull(m, "mode");
            return this;
        }

        /** Threads and top-k device of the recomputation and the commit check (the verdict does not depend on them). */
        public Builder compute(Compute c) {
            this.compute = Objects.requireNonNull(c, "compute");
            return this;
        }

        /** Another engine for the prefill (a GPU); null, the default: the CPU runtime. When it declines a request the CPU runs it. */
        public Builder engine(PrefillEngine e) {
            this.engine = e;
            return this;
        }

        /** Release each layer's weights after use, so one layer need be resident (the CPU prefill; results identical). */
        public Builder streamLayers(boolean on) {
            this.streamLayers = on;
            return this;
        }

        /** Called with 1..L as the CPU prefill finishes layers (for progress bars); null: none. */
        public Builder progress(IntConsumer layersDone) {
            this.progress = layersDone;
            return this;
        }

        /**
         * How values tied at the k-th magnitude are measured ({@link TieRule}); the default, {@link TieRule#STRICT},
         * is the reference's measurement (this project's provider breaks ties as its verifier does).
         */
        public Builder ties(TieRule rule) {
            this.ties = Objects.requireNonNull(rule, "ties");
            return this;
        }

        public InferenceVerifier build() {
            return new InferenceVerifier(this);
        }
    }

    /** Chooses the policy for one verification; called after the claim's model identity was checked, before any computation. */
    @FunctionalInterface
    public interface PolicySource {
        /**
         * The policy for a claim of {@code spec} verified against {@code model}.
         *
         * @throws IOException if the policy cannot be had for this model (a policy calibrated for other weights, say)
         */
        AcceptancePolicy policy(Model model, CommitSpec spec) throws TopLocException, IOException;
    }

    /** Computes final-norm states for the verifier: the CPU runtime by default, a GPU when one is given to the builder. */
    @FunctionalInterface
    public interface PrefillEngine {
        /** Returns null to decline (e.g. a mode it does not support): the CPU runtime then runs it. */
        float[] prefill(Model model, int[] tokens, ComputeMode mode);
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

        /** The margin is finite and {@code >= 0} (an infinite one would pass every token), the EOS bound in {@code [0, 1]}. */
        public SamplingCheck {
            if (!(logitMargin >= 0 && logitMargin < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("logit margin " + logitMargin + " (expected a finite value >= 0)");
            }
            if (!(minEosProb >= 0 && minEosProb <= 1)) {
                throw new IllegalArgumentException("minimum EOS probability " + minEosProb + " (expected 0..1)");
            }
        }
    }

    /** One completion token the replay rejected. */
    public record TokenFailure(int index, int position, int token, int expected, double gap, String reason) {
    }

    /**
     * Everything that was checked.
     *
     * @param commits         every chunk's measurement and verdict, and the policy applied
     * @param tokens          the completion tokens the replay rejected
     * @param termination     why the termination rule failed, or null
     * @param tokensReplayed  completion tokens replayed (0 with the replay off)
     * @param worstTokenGap   the largest logit gap of a completion token to the replay's choice
     * @param modelChecked    whether the claim named a model whose digests were checked against the folder
     */
    public record Report(VerificationReport commits, List<TokenFailure> tokens, String termination, int tokensReplayed,
                         double worstTokenGap, boolean modelChecked) {
        public boolean accepted() {
            return commits.accepted() && tokens.isEmpty() && termination == null;
        }
    }

    /**
     * Verifies an attestation's claim: as {@link #verify(Model, Claim)} with {@link Claim#of}, so the
     * attested model digests are always checked against {@code model}'s folder first.
     */
    public Report verify(Model model, InferenceAttestation a) throws TopLocException, IOException {
        return verify(model, Claim.of(a));
    }

    /**
     * Verifies an attestation's claim as the answer to the client's own request: as
     * {@link #verify(Model, Claim, Expectations)} with {@link Claim#of}.
     */
    public Report verify(Model model, InferenceAttestation a, Expectations expected) throws TopLocException, IOException {
        return verify(model, Claim.of(a), expected);
    }

    /**
     * Verifies {@code claim} against {@code model}: returns the report when every check passed.
     *
     * @throws AttestationException   (check {@code model}) if the claim names a model whose digests are not
     *                                the folder's, before any computation; (check {@code schema}) if a token
     *                                id is outside the model's vocabulary
     * @throws CommitFormatException  if the commits do not fit the claim's sequence and spec
     * @throws InvalidStatesException if the recomputed states cannot be checked (NaN, Inf)
     * @throws ClaimRejectedException if any check failed: every failure named, the full report attached
     * @throws IOException            if the weights cannot be read to compute their digests
     */
    public Report verify(Model model, Claim claim) throws TopLocException, IOException {
        return verify(model, claim, Expectations.NONE);
    }

    /**
     * Verifies {@code claim} as the answer to the client's request: first {@code expected} (the request's nonce,
     * prompt and completion, {@link Expectations#check}), then as {@link #verify(Model, Claim)}. Without
     * expectations a valid claim proves only that <em>some</em> request was answered honestly.
     *
     * @throws AttestationException (check {@value Expectations#CHECK}) if the claim is not the answer to the request
     *                              described by {@code expected}, naming the field, before any computation;
     *                              otherwise as {@link #verify(Model, Claim)}
     */
    public Report verify(Model model, Claim claim, Expectations expected) throws TopLocException, IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(expected, "expected").check(claim);
        boolean identity = claim.model().isPresent();
        if (identity) {
            checkIdentity(claim.model().get(), model.identity());
        }
        AcceptancePolicy p = Objects.requireNonNull(policy.policy(model, claim.commitSpec()), "the policy source gave no policy");
        Report r = check(claim, model, p, identity);
        if (!r.accepted()) {
            throw rejection(r, p);
        }
        return r;
    }

    /**
     * Checks that {@code id} (a model folder's) is the model {@code claim} names; a bare claim names none and
     * passes. {@link #verify} calls it first; a caller that chooses its policy by the folder calls it before that.
     *
     * @throws AttestationException (check {@code model}) naming the digests that differ
     */
    public static void checkIdentity(Claim claim, ModelIdentity id) throws AttestationException {
        if (claim.model().isPresent()) {
            checkIdentity(claim.model().get(), id);
        }
    }

    private static void checkIdentity(InferenceAttestation.ModelRef m, ModelIdentity id) throws AttestationException {
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

    /** Recomputes and checks {@code a}; returns the report whatever the verdict. */
    private Report check(Claim a, Model model, AcceptancePolicy policy, boolean modelChecked) throws TopLocException {
        int[] prompt = a.prompt();
        int[] completion = a.completion();
        int vocab = model.config().vocabSize();
        for (int[] ids : new int[][] {prompt, completion}) {
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0 || ids[i] >= vocab) {
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
        if (a.commits().size() != plan.size()) {
            // before the prefill, the work a wrong count would waste (Verifier.check says the same after it)
            long pre = plan.chunks().stream().filter(ChunkPlan.Chunk::prefill).count();
            throw new CommitFormatException("commit count " + a.commits().size() + " does not match the chunk plan's " + plan.size()
                    + " chunks (" + (pre > 0 ? "1 prefill + " : "") + (plan.size() - pre) + " decode chunks of up to "
                    + a.commitSpec().chunkSize() + " positions), checked before the prefill");
        }
        if ((long) p + n - 1 > model.config().contextLength()) {
            throw new AttestationException("size", "prompt (" + p + " tokens) and completion (" + n + ") need " + ((long) p + n - 1)
                    + " positions, beyond the model's context of " + model.config().contextLength() + " (max_position_embeddings)");
        }
        int[] seq = new int[p + n - 1];
        System.arraycopy(prompt, 0, seq, 0, p);
        System.arraycopy(completion, 0, seq, p, n - 1);
        float[] hidden = engine == null ? null : engine.prefill(model, seq, mode);
        if (hidden == null) {
            hidden = model.prefill(seq, mode, streamLayers, progress, compute);
        }
        HiddenStates states = Model.toStates(hidden, seq.length, model.config().hiddenSize(), mode);
        VerificationReport commits;
        try {
            commits = Verifier.check(states, plan, a.commitSpec(), a.commits(), policy, ties, compute);
        } catch (InvalidStatesException e) {
            throw new InvalidStatesException("the recomputed states cannot be checked: " + e.getMessage());
        }
        List<TokenFailure> failures = new ArrayList<>();
        double worst = 0;
        String termination = null;
        if (sampling.replay()) {
            float[] logits = model.logitsRows(hidden, p - 1, n, mode, compute);
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
                if (!(gap <= sampling.logitMargin())) {      // fails closed: a NaN gap (a replay that cannot be computed) rejects
                    failures.add(new TokenFailure(i, pos, tok, best, gap, String.format(Locale.ROOT,
                            "token %d (position %d) is %d but the replay chooses %d: logit gap %.3f > margin %.3f",
                            i, pos, tok, best, gap, sampling.logitMargin())));
                }
            }
            termination = termination(a, logits, vocab, sampling, model.stopTokens(a.sampling().eosToken()));
        } else {
            // the stop rule needs no replay, only its EOS probability does
            termination = termination(a, null, vocab, sampling, model.stopTokens(a.sampling().eosToken()));
        }
        return new Report(commits, failures, termination, sampling.replay() ? n : 0, worst, modelChecked);
    }

    /**
     * The termination rule, over the stop set ({@link Model#stopTokens} of the declared EOS: it and every EOS id
     * of the verifier's model): no stop token before the end; stop 'eos' ends in one, likely enough there;
     * stop 'length' has exactly the declared length and does not end in one.
     */
    private static String termination(Claim a, float[] logits, int vocab, SamplingCheck sampling, java.util.Set<Integer> stop) {
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
            if (logits == null) {
                return null;
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
            if (!(pEos >= sampling.minEosProb())) {       // NaN (non-finite logits) rejects
                return String.format(Locale.ROOT, "EOS has probability %.2e at the end, below the minimum %.2e", pEos, sampling.minEosProb());
            }
            return null;
        }
        if (n != s.maxTokens()) {       // n > maxTokens cannot be parsed or constructed; n < maxTokens did not stop for length
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

    /** The exception a rejected report stands for: every failed check, first failure first. */
    private static ClaimRejectedException rejection(Report r, AcceptancePolicy policy) {
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
        return new ClaimRejectedException("rejected: " + String.join("; ", why) + "; policy: " + policy.source(), r);
    }
}
