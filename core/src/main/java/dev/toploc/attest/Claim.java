package dev.toploc.attest;

import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a verifier checks about one completion: the token ids, how they were committed to (commit spec,
 * position convention, prefill-chunk flag, the commits) and how tokens were chosen (sampling). Unlike the
 * signed {@link InferenceAttestation} it need not name the model: a bare claim (commits from the Python
 * TOPLOC stack, say) verifies against the weights the verifier holds without invented digests. A claim
 * taken from an attestation ({@link #of}) carries the attested model's digests, and a verifier always
 * checks them against its folder before recomputing.
 *
 * <p>Immutable; the arrays are copied in and out.
 */
public final class Claim {
    private final InferenceAttestation.ModelRef model;
    private final int[] prompt;
    private final int[] completion;
    private final CommitSpec commitSpec;
    private final PositionConvention positions;
    private final boolean prefillChunk;
    private final List<Commit> commits;
    private final InferenceAttestation.SamplingRef sampling;
    private final String nonce;

    private Claim(InferenceAttestation.ModelRef model, int[] prompt, int[] completion, CommitSpec commitSpec, PositionConvention positions,
                  boolean prefillChunk, List<Commit> commits, InferenceAttestation.SamplingRef sampling, String nonce) {
        this.model = model;
        this.prompt = Objects.requireNonNull(prompt, "prompt").clone();
        this.completion = Objects.requireNonNull(completion, "completion").clone();
        this.commitSpec = Objects.requireNonNull(commitSpec, "commitSpec");
        this.positions = Objects.requireNonNull(positions, "positions");
        this.prefillChunk = prefillChunk;
        this.commits = List.copyOf(commits);
        this.sampling = Objects.requireNonNull(sampling, "sampling");
        this.nonce = nonce;
    }

    /**
     * A bare claim, naming no model: verifying it checks the commits and tokens against whatever weights
     * the verifier holds, and says the model identity was not checked.
     */
    public static Claim bare(int[] prompt, int[] completion, CommitSpec commitSpec, PositionConvention positions, boolean prefillChunk,
                             List<Commit> commits, InferenceAttestation.SamplingRef sampling) {
        return new Claim(null, prompt, completion, commitSpec, positions, prefillChunk, commits, sampling, null);
    }

    /** The claim an attestation makes, with its model digests (checked by every verification) and its nonce. */
    public static Claim of(InferenceAttestation a) {
        return new Claim(a.model(), a.prompt(), a.completion(), a.commitSpec(), a.positions(), a.prefillChunk(), a.commits(), a.sampling(),
                a.nonce());
    }

    /**
     * This claim without its model digests: for measuring commits against another folder on purpose
     * (calibration); a verifier then does not check which weights the claim names.
     */
    public Claim withoutModel() {
        return new Claim(null, prompt, completion, commitSpec, positions, prefillChunk, commits, sampling, nonce);
    }

    /** The attested request nonce, when the claim carries one (a bare claim does not): see {@link Expectations}. */
    public Optional<String> nonce() {
        return Optional.ofNullable(nonce);
    }

    /** The attested model, when the claim names one. */
    public Optional<InferenceAttestation.ModelRef> model() {
        return Optional.ofNullable(model);
    }

    /** The prompt's token ids (a copy). */
    public int[] prompt() {
        return prompt.clone();
    }

    /** The completion's token ids (a copy). */
    public int[] completion() {
        return completion.clone();
    }

    public CommitSpec commitSpec() {
        return commitSpec;
    }

    public PositionConvention positions() {
        return positions;
    }

    public boolean prefillChunk() {
        return prefillChunk;
    }

    public List<Commit> commits() {
        return commits;
    }

    public InferenceAttestation.SamplingRef sampling() {
        return sampling;
    }

    /** Equality by content (arrays by value). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Claim c && Objects.equals(model, c.model) && Arrays.equals(prompt, c.prompt) && Arrays.equals(completion, c.completion)
                && commitSpec.equals(c.commitSpec) && positions == c.positions && prefillChunk == c.prefillChunk && commits.equals(c.commits)
                && sampling.equals(c.sampling) && Objects.equals(nonce, c.nonce);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, Arrays.hashCode(prompt), Arrays.hashCode(completion), commitSpec, positions, prefillChunk, commits, sampling, nonce);
    }

    @Override
    public String toString() {
        return "Claim[model=" + (model == null ? "(none)" : model.name()) + ", prompt=" + prompt.length + " tokens, completion="
                + completion.length + " tokens, commits=" + commits.size() + "]";
    }
}
