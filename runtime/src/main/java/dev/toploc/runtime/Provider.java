package dev.toploc.runtime;

import dev.toploc.Commit;
import dev.toploc.Compute;
import dev.toploc.CommitHook;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.TopLocException;
import dev.toploc.attest.InferenceAttestation;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The provider side on this project's own engine: generate with the runtime, feed every hidden state to a
 * {@link CommitHook} as it is computed, and return the attestation to sign. Engines of other kinds use
 * {@link CommitHook} directly (see {@code docs/integration.md}).
 */
public final class Provider {
    private Provider() {
    }

    /** What to generate and how to commit to it. */
    public record Request(int[] prompt, int maxTokens, Sampling sampling, int eosToken, ComputeMode mode, CommitSpec spec,
                          PositionConvention positions, boolean prefillChunk, String nonce) {
    }

    /** Generates and commits; the result is ready to sign with {@code Attestations.sign}. */
    public static InferenceAttestation generate(Model model, String modelName, Request r) throws TopLocException, IOException {
        return generate(model, modelName, r, Compute.defaults());
    }

    /** As {@link #generate(Model, String, Request)}: the forward passes on {@code compute}'s threads, the commits' top-k on its device. */
    public static InferenceAttestation generate(Model model, String modelName, Request r, Compute compute) throws TopLocException, IOException {
        ModelIdentity id = model.identity();
        int d = model.config().hiddenSize();
        try (CommitHook hook = CommitHook.create(r.spec(), d, compute.withThreads(1), 16)) {
            CommitHook.Sequence seq = hook.open(r.prompt().length, r.positions(), r.prefillChunk());
            Generator.Generation g = Generator.generate(model, r.prompt(), r.maxTokens(), r.sampling(), r.eosToken(), r.mode(),
                    (position, rows, count) -> seq.addRows(rows, count), compute);
            List<Commit> commits = seq.finish();
            return new InferenceAttestation(
                    id.toModelRef(modelName),
                    g.prompt(), g.completion(), r.spec(), r.positions(), r.prefillChunk(), commits,
                    new InferenceAttestation.SamplingRef(r.sampling().temperature(), r.sampling().seed(), r.maxTokens(), r.eosToken(),
                            g.stoppedAtEos() ? "eos" : "length"),
                    r.mode().wireName(), r.nonce(), Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        }
    }
}
