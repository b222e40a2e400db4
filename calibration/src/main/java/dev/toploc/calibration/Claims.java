package dev.toploc.calibration;

import dev.toploc.ChunkPlan;
import dev.toploc.Commit;
import dev.toploc.CommitEncoding;
import dev.toploc.CommitFormatException;
import dev.toploc.CommitSpec;
import dev.toploc.Commits;
import dev.toploc.Dtype;
import dev.toploc.PositionConvention;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Generator;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelIdentity;
import dev.toploc.runtime.Sampling;
import dev.toploc.runtime.ServingNumerics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * How a provider makes each kind of claim: an honest generation (on the claimed weights or others), and
 * the forgeries (changed prompt, prefix added or removed, commits replayed, shifted, random, all-zero, a
 * relabelled dtype). Each is a function of explicit models, prompt, sampling and mode; the
 * {@linkplain Scenario scenarios} and the soundness tests call them. Commits use {@link #SPEC}.
 */
public final class Claims {
    private Claims() {
    }

    /** The commit parameters every calibration claim uses: bf16, k = 128, chunks of 32, prefill chunk on. */
    public static final CommitSpec SPEC = CommitSpec.DEFAULT;

    /** The tiny byte-level models' tokenizer: UTF-8 bytes are the ids. */
    public static int[] bytes(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0) {
            throw new IllegalArgumentException("prompt text is empty");
        }
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xFF;
        }
        return ids;
    }

    /**
     * Generation on {@code engine} (on {@code threads} threads; {@code <= 0}: as configured), claimed as the
     * model the verifier holds ({@code claimed}); the claim's commits are the engine's.
     */
    public static Submission honest(Model engine, Model claimed, int[] prompt, int maxTokens, Sampling s, ComputeMode mode, PositionConvention conv,
                                    int threads) throws Exception {
        return honest(engine, claimed, prompt, maxTokens, s, mode, conv, threads, dev.toploc.Compute.CpuBackend.AUTO);
    }

    /** As above, the engine's matrix products on {@code cpuBackend}. */
    public static Submission honest(Model engine, Model claimed, int[] prompt, int maxTokens, Sampling s, ComputeMode mode, PositionConvention conv,
                                    int threads, dev.toploc.Compute.CpuBackend cpuBackend) throws Exception {
        dev.toploc.Compute c = dev.toploc.Compute.defaults().withCpuBackend(cpuBackend);
        Generator.Generation g = Generator.generate(engine, prompt, maxTokens, s, -1, mode, null, threads > 0 ? c.withThreads(threads) : c);
        return claim(claimed, g.prompt(), g.completion(), g.hidden(), engine.config().hiddenSize(), mode, conv, s, maxTokens, SPEC.dtype(), SPEC.dtype());
    }

    /** An honest generation whose forward pass rounds as {@code numerics} says (a GPU serving stack), claimed as {@code m}. */
    public static Submission served(Model m, int[] prompt, int maxTokens, Sampling s, ComputeMode mode, ServingNumerics numerics) throws Exception {
        Generator.Generation g = Generator.generate(m, prompt, maxTokens, s, java.util.Set.of(), mode, null, dev.toploc.Compute.defaults(), numerics);
        return claim(m, g.prompt(), g.completion(), g.hidden(), m.config().hiddenSize(), mode, PositionConvention.PRODUCED, s, maxTokens, SPEC.dtype(),
                SPEC.dtype());
    }

    /** Commits from rows {@code [0, P+N-1)} of {@code hidden} (positions of the claimed sequence), in {@code commitDtype}, labelled {@code claimDtype}. */
    public static Submission claim(Model claimed, int[] prompt, int[] completion, float[] hidden, int d, ComputeMode mode, PositionConvention conv,
                                   Sampling s, int maxTokens, Dtype commitDtype, Dtype claimDtype) throws Exception {
        int rows = prompt.length + completion.length - 1;
        ChunkPlan plan = ChunkPlan.forSequence(prompt.length, completion.length, conv, true, SPEC.chunkSize());
        CommitSpec commitSpec = new CommitSpec(commitDtype, SPEC.topK(), SPEC.chunkSize());
        List<Commit> commits = Commits.commitAll(Model.toStates(Arrays.copyOf(hidden, rows * d), rows, d, mode), plan, commitSpec);
        return Submission.of(attestation(claimed, prompt, completion, commits, new CommitSpec(claimDtype, SPEC.topK(), SPEC.chunkSize()), conv, s,
                maxTokens));
    }

    /** An attestation naming {@code claimed}'s weights, with the given commits. */
    public static InferenceAttestation attestation(Model claimed, int[] prompt, int[] completion, List<Commit> commits, CommitSpec spec,
                                                   PositionConvention conv, Sampling s, int maxTokens) throws IOException {
        ModelIdentity id = claimed.identity();
        return new InferenceAttestation(new InferenceAttestation.ModelRef("claimed", id.weightFiles(), id.weightDigests(), id.weightsDigest(),
                id.configDigest()), prompt, completion, spec, conv, true, commits,
                new InferenceAttestation.SamplingRef(s.temperature(), s.seed(), maxTokens, -1, "length"), "bf16", "calibration", "");
    }

    /** The provider served a prompt with its middle byte changed and claims the original prompt. */
    public static Submission promptChanged(Model m, int[] prompt, int maxTokens, Sampling s) throws Exception {
        int[] served = prompt.clone();
        int k = served.length / 2;
        served[k] = served[k] == 'e' ? 'a' : 'e';
        Generator.Generation g = Generator.generate(m, served, maxTokens, s, -1, ComputeMode.BF16, null);
        return claim(m, prompt, g.completion(), g.hidden(), m.config().hiddenSize(), ComputeMode.BF16, PositionConvention.PRODUCED, s, maxTokens,
                SPEC.dtype(), SPEC.dtype());
    }

    /** The system prefix that {@link #prefixed} adds or removes. */
    public static final String PREFIX = "You are a helpful assistant. Answer briefly.\n";

    /** The provider ran with a system prefix added (or omitted) and claims the other prompt; its commits skip (or fake) the prefix rows. */
    public static Submission prefixed(Model m, int[] prompt, int maxTokens, Sampling s, boolean added) throws Exception {
        int d = m.config().hiddenSize();
        int[] prefix = bytes(PREFIX);
        if (added) {
            int[] served = concat(prefix, prompt);
            Generator.Generation g = Generator.generate(m, served, maxTokens, s, -1, ComputeMode.BF16, null);
            float[] h = Arrays.copyOfRange(g.hidden(), prefix.length * d, g.hidden().length);
            return claim(m, prompt, g.completion(), h, d, ComputeMode.BF16, PositionConvention.PRODUCED, s, maxTokens, SPEC.dtype(), SPEC.dtype());
        }
        int[] claimedPrompt = concat(prefix, prompt);
        Generator.Generation g = Generator.generate(m, prompt, maxTokens, s, -1, ComputeMode.BF16, null);
        float[] prefixRows = m.prefill(prefix, ComputeMode.BF16);
        float[] h = new float[prefixRows.length + g.hidden().length];
        System.arraycopy(prefixRows, 0, h, 0, prefixRows.length);
        System.arraycopy(g.hidden(), 0, h, prefixRows.length, g.hidden().length);
        return claim(m, claimedPrompt, g.completion(), h, d, ComputeMode.BF16, PositionConvention.PRODUCED, s, maxTokens, SPEC.dtype(), SPEC.dtype());
    }

    /** The claim for {@code prompt} carries the commits of {@code otherPrompt}'s completion. */
    public static Submission replayed(Model m, int[] prompt, int[] otherPrompt, int maxTokens, Sampling s) throws Exception {
        InferenceAttestation a = honest(m, m, prompt, maxTokens, s, ComputeMode.BF16, PositionConvention.PRODUCED, 0).attestation();
        InferenceAttestation theirs = honest(m, m, otherPrompt, maxTokens, s, ComputeMode.BF16, PositionConvention.PRODUCED, 0).attestation();
        return Submission.of(withCommits(a, theirs.commits()));
    }

    /** Every committed row moved up by one position. */
    public static Submission shifted(Model m, int[] prompt, int maxTokens, Sampling s) throws Exception {
        Generator.Generation g = Generator.generate(m, prompt, maxTokens, s, -1, ComputeMode.BF16, null);
        int d = m.config().hiddenSize();
        int[] all = concat(g.prompt(), g.completion());
        float[] full = m.prefill(all, ComputeMode.BF16);                 // P+N rows: one more than the claim needs
        float[] h = Arrays.copyOfRange(full, d, full.length);           // every row moved up by one position
        return claim(m, g.prompt(), g.completion(), h, d, ComputeMode.BF16, PositionConvention.PRODUCED, s, maxTokens, SPEC.dtype(), SPEC.dtype());
    }

    /** An honest claim whose commits are replaced by well-formed random ones ({@code seed} fixes them). */
    public static Submission randomCommits(Model m, int[] prompt, int maxTokens, Sampling s, int seed) throws Exception {
        InferenceAttestation a = honest(m, m, prompt, maxTokens, s, ComputeMode.BF16, PositionConvention.PRODUCED, 0).attestation();
        Random r = new Random(seed);
        List<Commit> random = new ArrayList<>();
        for (int k = 0; k < a.commits().size(); k++) {
            random.add(Commit.of(CommitEncoding.V1, 65497, r.longs(SPEC.topK(), 0, 65497).toArray()));
        }
        return Submission.of(withCommits(a, random));
    }

    /** The reference's null proof goes through the same strict parser every attestation's commits do. */
    public static Submission zeroCommits() {
        try {
            Commit.fromBase64(Base64.getEncoder().encodeToString(new byte[SPEC.encoding().byteLength(SPEC.topK())]), SPEC.encoding(), SPEC.topK(),
                    "commit 0");
            throw new IllegalStateException("bug: an all-zero commit parsed");
        } catch (CommitFormatException e) {
            return new Submission(null, e.getMessage());
        }
    }

    /** The provider computed and committed in {@code actual} and labels the commits {@code claimed}. */
    public static Submission relabeled(Model m, int[] prompt, int maxTokens, Sampling s, Dtype actual, Dtype claimed) throws Exception {
        ComputeMode mode = actual == Dtype.FP16 ? ComputeMode.FP16 : ComputeMode.BF16;
        Generator.Generation g = Generator.generate(m, prompt, maxTokens, s, -1, mode, null);
        return claim(m, g.prompt(), g.completion(), g.hidden(), m.config().hiddenSize(), mode, PositionConvention.PRODUCED, s, maxTokens, actual, claimed);
    }

    static InferenceAttestation withCommits(InferenceAttestation a, List<Commit> commits) {
        return new InferenceAttestation(a.model(), a.prompt(), a.completion(), a.commitSpec(), a.positions(), a.prefillChunk(), commits, a.sampling(),
                a.providerMode(), a.nonce(), a.timestamp());
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
