package dev.toploc.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.PositionConvention;
import dev.toploc.attest.Attestations;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Claim;
import dev.toploc.attest.Dsse;
import dev.toploc.attest.PublicKey;
import dev.toploc.attest.Expectations;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.runtime.ClaimRejectedException;
import dev.toploc.policy.Policies;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code toploc verify}: was this completion produced by the model and prompt claimed? Signature and trust,
 * the client's request ({@code --nonce}, {@code --expect-*}: {@link Expectations}, before the model is loaded),
 * model identity, the recomputed prefill against every commit, the token replay and the termination rule.
 * With {@code --proofs}: checks bare base64 commits from the Python TOPLOC stack, no attestation.
 */
@Command(name = "verify", description = "Verify an attestation (or bare commits with --proofs) by recomputing the prefill. "
        + "Exit 0 accepted, 1 rejected, 2 bad input, 3 internal error.")
final class VerifyCommand implements Callable<Integer>, JsonOutcome.Source {
    @Spec
    CommandSpec command;

    /** This run's outcome so far, for {@code --json} on every exit path. */
    private final JsonOutcome outcome = new JsonOutcome();

    @Override
    public JsonOutcome outcome() {
        return outcome;
    }

    @Parameters(index = "0", arity = "0..1", paramLabel = "ATTESTATION", description = "the DSSE attestation JSON")
    Path attestation;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the weights you trust (HuggingFace folder)")
    Path model;

    @Option(names = "--trust", paramLabel = "PUB.pem", description = "trusted provider public key(s); required with an attestation")
    List<Path> trust = new ArrayList<>();

    @Option(names = "--mode", defaultValue = "fp32", description = "recompute in fp32, bf16 or fp16 (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--device", defaultValue = "auto", description = "cpu, cuda or auto (default ${DEFAULT-VALUE}): a GPU runs the commits' top-k and the fp32 prefill")
    String device;

    @Option(names = "--cpu-backend", defaultValue = "auto", paramLabel = "B",
            description = "auto, java or native: the CPU matmul kernels (native: libtoploc_cpu, bf16 weights; default ${DEFAULT-VALUE})")
    String cpuBackend;

    @Option(names = "--policy", paramLabel = "FILE", description = "calibrated policy (toploc calibrate); default: the model folder's toploc-policy.json when present, else the reference's thresholds")
    Path policyFile;

    @Option(names = "--nonce", paramLabel = "N", description = "the nonce of your request: the attested nonce must be exactly this (else rejected)")
    String expectNonce;

    @Option(names = "--expect-prompt-ids", paramLabel = "IDS", description = "the prompt you sent, as token ids: the attested prompt must be exactly these (else rejected)")
    String expectPromptIds;

    @Option(names = "--expect-prompt", paramLabel = "TEXT", description = "the prompt you sent, as text, tokenized by the model folder's tokenizer as generate --prompt does: "
            + "the attested prompt must be exactly its ids (else rejected)")
    String expectPrompt;

    @Option(names = "--expect-messages", paramLabel = "FILE", description = "the conversation you sent (as generate --messages), rendered by the model folder's chat template: "
            + "the attested prompt must be exactly its ids (else rejected)")
    Path expectMessages;

    @Option(names = "--expect-completion-ids", paramLabel = "IDS", description = "the completion you received, as token ids: the attested completion must be exactly these (else rejected)")
    String expectCompletionIds;

    @Option(names = "--stream-layers", defaultValue = "auto", description = "auto, on or off (default ${DEFAULT-VALUE}: on when the weight files "
            + "exceed the available memory): release each layer's weights after use, so a model larger than memory verifies")
    String streamLayers;

    @Option(names = "--no-replay", description = "skip the token-choice replay")
    boolean noReplay;

    @Option(names = "--json", description = "print one JSON object on every exit path: verdict, stage, message, policy, signer, statement and the report (docs/cli.md)")
    boolean json;

    @Option(names = "--show-text", description = "also show the prompt and completion decoded by the model folder's tokenizer")
    boolean showText;

    @Option(names = "--proofs", paramLabel = "FILE", description = "interop: bare commits (no attestation): one base64 per line, concatenated base64, binary records or a JSON list")
    Path proofs;

    @Option(names = "--proofs-layout", defaultValue = "auto", description = "interop: auto, lines, base64-concat, binary or json (default ${DEFAULT-VALUE})")
    String proofsLayout;

    @Option(names = "--dtype", defaultValue = "bf16", description = "interop: the proofs' dtype, bf16 or fp16 (fp16 checkpoints give fp16 proofs; default ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--ties", defaultValue = "tolerant", description = "interop: strict, tolerant or tolerant:W (default ${DEFAULT-VALUE}: "
            + "the prover's choice among values tied at the k-th magnitude is not a mismatch; see docs/commit-format.md)")
    String ties;

    @Option(names = "--eos", defaultValue = "-1", paramLabel = "ID", description = "interop: the EOS token id (with a replay: a completion ending in it must end there plausibly)")
    int eos;

    @Option(names = "--max-tokens", defaultValue = "-1", paramLabel = "N", description = "interop: the generation's length limit (with a replay: a completion not ending in EOS must be exactly this long)")
    int maxTokens;

    @Option(names = "--prompt-ids", paramLabel = "IDS", description = "interop: prompt token ids")
    String promptIds;

    @Option(names = "--completion-ids", paramLabel = "IDS", description = "interop: completion token ids")
    String completionIds;

    @Option(names = "--positions", defaultValue = "auto", description = "interop: auto, produced or decode-steps (default ${DEFAULT-VALUE}: "
            + "both tried, accepted when one passes, the one that passed reported; a replay needs it explicit)")
    String positions;

    @Option(names = "--prefill-chunk", description = "interop: the first commit covers the prompt (skip_prefill=False)")
    boolean prefillChunk;

    @Option(names = "--sampling", defaultValue = "none", description = "interop: greedy, none, or seed=S,temperature=T (default ${DEFAULT-VALUE})")
    String sampling;

    @Option(names = "--topk", defaultValue = "128", description = "interop: k (default ${DEFAULT-VALUE})")
    int topk;

    @Option(names = "--chunk", defaultValue = "32", description = "interop: decode chunk size (default ${DEFAULT-VALUE})")
    int chunk;

    /** Whether --proofs had a {@link dev.toploc.CommitsHeader} (set by {@link ProofsHeader#apply}). */
    private boolean proofsHeader;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        PrintWriter err = command.commandLine().getErr();
        ComputeMode m = ComputeMode.fromWireName(mode);
        LayerStreaming.check(streamLayers);
        Claim claim;
        InferenceVerifier.SamplingCheck replay;
        Expectations expected = Expectations.NONE;
        if (proofs != null) {
            if (attestation != null) {
                throw new IllegalArgumentException("give either an attestation or --proofs, not both");
            }
            if (expectNonce != null || expectPromptIds != null || expectPrompt != null || expectMessages != null || expectCompletionIds != null) {
                throw new IllegalArgumentException("--nonce and --expect-* check an attestation against your request; with --proofs the token ids "
                        + "are the ones you give (--prompt-ids, --completion-ids) and bare commits carry no nonce");
            }
            proofsHeader = ProofsHeader.apply(this);    // a self-describing commits file sets the interop flags
            if (sampling.equals("none") || noReplay) {
                return bareProofs(out, err, m);
            }
            if (positions.equals("auto")) {
                throw new IllegalArgumentException("--sampling " + sampling + " replays the tokens: give --positions produced or decode-steps "
                        + "(auto is for the commits alone)");
            }
            claim = interop();
            replay = null;
        } else {
            if (attestation == null) {
                throw new IllegalArgumentException("missing ATTESTATION (or --proofs FILE for bare commits)");
            }
            if (trust.isEmpty()) {
                throw new IllegalArgumentException("--trust PUB.pem is required: an attestation is only as good as the key that signed it");
            }
            byte[] envelope = Inputs.attestation(attestation);
            var keys = Inputs.publicKeys(trust);
            expected = expectations();
            outcome.stage("attestation");
            claim = Claim.of(Attestations.verify(envelope, keys));
            signed(envelope, keys);
            outcome.stage(Expectations.CHECK);
            expected.check(claim);        // an answer to another request is rejected before the model is loaded
            if (expected.isEmpty()) {
                err.println("note: no --nonce or --expect-prompt: this checks that the attestation holds, not that it answers your request");
            }
            replay = noReplay ? InferenceVerifier.SamplingCheck.OFF : null;
        }
        outcome.stage("model");
        try (Device dev = Device.select(device, cpuBackend, err); Model mdl = Model.load(model)) {
            if (m == ComputeMode.FP32) {
                dev.prefillOn(mdl);
            }
            if (claim.model().isEmpty()) {
                err.println("note: bare commits name no model: the folder's weights are not checked against a digest");
            }
            // the claim's model first (a rejection), then --policy, else the folder's toploc-policy.json, else the defaults; said which
            InferenceVerifier.checkIdentity(claim, mdl.identity());
            outcome.stage("policy");
            Policies.Choice chosen = Policies.select(policyFile, model, claim.commitSpec(), mdl.identity().configDigest(), mdl.identity().weightsDigest());
            AcceptancePolicy policy = chosen.policy();
            outcome.policy(policy, chosen.description());
            err.println("policy: " + Terminal.escape(chosen.description()));
            if (replay == null) {
                replay = new InferenceVerifier.SamplingCheck(true, chosen.logitMargin(), InferenceVerifier.SamplingCheck.DEFAULT.minEosProb());
            }
            String[] text = null;
            if (showText) {
                outcome.stage(JsonOutcome.INPUT);
                try (var tok = Prompts.load(model, "--show-text")) {
                    text = new String[] {tok.decode(claim.prompt()), tok.decode(claim.completion())};
                }
                if (!json) {
                    out.println("prompt text: " + Prompts.quote(text[0]));
                    out.println("completion text: " + Prompts.quote(text[1]));
                }
            }
            outcome.stage("verification");
            int rows = claim.prompt().length + claim.completion().length - 1;
            LayerStreaming streaming = LayerStreaming.choose(streamLayers, mdl.weightBytes(), LayerStreaming.memAvailable());
            err.println(streaming.reason());
            err.printf("recomputing %d positions in %s ...%n", rows, m.wireName());
            int layers = mdl.config().numLayers();
            boolean bar = System.console() != null && rows + 1 > 256;
            InferenceVerifier verifier = InferenceVerifier.builder()
                    .policy(policy)
                    .sampling(replay).mode(m).streamLayers(streaming.stream())
                    .compute(dev.compute()).engine(dev.engine()).progress(!bar ? null : done -> {
                        int w = 30;
                        int fill = done * w / layers;
                        err.printf("\rprefill [%s%s] layer %d/%d%s", "#".repeat(fill), " ".repeat(w - fill), done, layers, done == layers ? "\n" : "");
                        err.flush();
                    }).build();
            long t0 = System.nanoTime();
            InferenceVerifier.Report r;
            ClaimRejectedException rejected = null;
            try {
                r = verifier.verify(mdl, claim, expected);
            } catch (ClaimRejectedException e) {
                rejected = e;
                r = e.claimReport();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (json) {
                String check = r.accepted() ? null : !r.commits().accepted() ? "commits" : !r.tokens().isEmpty() ? "replay" : "termination";
                ObjectNode n = JsonOutcome.head(outcome, r.accepted() ? Toploc.ACCEPTED : Toploc.REJECTED, "verification", check,
                        rejected != null ? rejected.getMessage() : "accepted", JsonOutcome.finite(Report.json(r)));
                Report.putNum(n, "seconds", secs);
                if (text != null) {
                    n.put("prompt_text", text[0]);
                    n.put("completion_text", text[1]);
                }
                out.println(Report.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
            } else {
                Report.table(out, r.commits());
                Report.tokens(out, r);
                out.printf("%s in %.2f s%n", r.accepted() ? "ACCEPTED" : "REJECTED", secs);
            }
            if (rejected != null) {
                throw rejected;
            }
        }
        return Toploc.ACCEPTED;
    }

    /** The client's request as given: --nonce, the prompt (ids, text or messages, at most one), the completion ids. */
    private Expectations expectations() throws Exception {
        Expectations e = Expectations.NONE;
        int prompts = (expectPromptIds != null ? 1 : 0) + (expectPrompt != null ? 1 : 0) + (expectMessages != null ? 1 : 0);
        if (prompts > 1) {
            throw new IllegalArgumentException("give the expected prompt once: --expect-prompt-ids, --expect-prompt or --expect-messages");
        }
        if (expectNonce != null) {
            e = e.withNonce(expectNonce);
        }
        if (expectPromptIds != null) {
            e = e.withPrompt(TokenIds.parse(expectPromptIds, "--expect-prompt-ids"));
        } else if (expectPrompt != null || expectMessages != null) {
            e = e.withPrompt(Prompts.ids(model, expectPrompt, expectMessages));
        }
        if (expectCompletionIds != null) {
            e = e.withCompletion(TokenIds.parse(expectCompletionIds, "--expect-completion-ids"));
        }
        ObjectNode x = Report.JSON.createObjectNode();
        e.nonce().ifPresentOrElse(v -> x.put("nonce", v), () -> x.putNull("nonce"));
        e.prompt().ifPresentOrElse(v -> x.put("promptTokens", v.length), () -> x.putNull("promptTokens"));
        e.completion().ifPresentOrElse(v -> x.put("completionTokens", v.length), () -> x.putNull("completionTokens"));
        outcome.expected(x);
        return e;
    }

    /** Records which trusted key signed the (already verified) envelope, and the exact statement it signed. */
    private void signed(byte[] envelope, List<PublicKey> keys) throws Exception {
        Dsse.Envelope env = Dsse.parse(envelope);
        for (var k : keys) {
            byte[] statement;
            try {
                statement = Dsse.verify(env, List.of(k), Dsse.IN_TOTO_PAYLOAD_TYPE);
            } catch (AttestationException notThisKey) {
                continue;
            }
            outcome.signer(k.keyId());
            outcome.statement(Report.JSON.readTree(statement));
            return;
        }
    }

    /** --proofs without a replay: the rollouts library's sample check (every layout, --positions auto). */
    private int bareProofs(PrintWriter out, PrintWriter err, ComputeMode m) throws Exception {
        if (promptIds == null || completionIds == null) {
            throw new IllegalArgumentException("--proofs needs --prompt-ids and --completion-ids");
        }
        int[] p = TokenIds.parse(promptIds, "--prompt-ids");
        int[] c = TokenIds.parse(completionIds, "--completion-ids");
        CommitSpec spec = new CommitSpec(proofsDtype(dtype), topk, chunk);
        outcome.stage("model");
        try (Device dev = Device.select(device, cpuBackend, err); Model mdl = Model.load(model)) {
            if (m == ComputeMode.FP32) {
                dev.prefillOn(mdl);
            }
            outcome.stage("policy");
            Policies.Choice chosen = Policies.select(policyFile, model, spec, mdl.identity().configDigest(), mdl.identity().weightsDigest());
            outcome.policy(chosen.policy(), chosen.description());
            err.println("policy: " + Terminal.escape(chosen.description()));
            outcome.stage("verification");
            var settings = BareProofs.settings(spec, proofsLayout, positions, prefillChunk, m, chosen.policy(), ties);
            return BareProofs.verify(out, err, proofs, proofsLayout, spec, p, c, settings, mdl, dev, json ? outcome : null);
        }
    }

    /** Builds a bare claim (no model digests) from --proofs and token ids. */
    private Claim interop() throws Exception {
        if (promptIds == null || completionIds == null) {
            throw new IllegalArgumentException("--proofs needs --prompt-ids and --completion-ids");
        }
        int[] p = TokenIds.parse(promptIds, "--prompt-ids");
        int[] c = TokenIds.parse(completionIds, "--completion-ids");
        CommitSpec spec = new CommitSpec(proofsDtype(dtype), topk, chunk);
        List<Commit> commits = Inputs.commits(proofs, proofsLayout, spec).commits();
        // before any prefill: a count that does not fit is a setup mistake, said with the settings that would fit
        SetupHints.requireCount(commits.size(), p.length, c.length, PositionConvention.fromWireName(positions), prefillChunk, chunk, proofsHeader);
        double temperature = 0;
        long seed = 0;
        if (!sampling.equals("none") && !sampling.equals("greedy")) {
            for (String kv : sampling.split(",")) {
                String[] parts = kv.split("=", 2);
                if (parts.length != 2) {
                    throw new IllegalArgumentException("--sampling '" + sampling + "' (expected greedy, none, or seed=S,temperature=T)");
                }
                switch (parts[0].strip()) {
                    case "seed" -> seed = Long.parseLong(parts[1].strip());
                    case "temperature" -> temperature = Double.parseDouble(parts[1].strip());
                    default -> throw new IllegalArgumentException("--sampling key '" + parts[0] + "' (expected seed or temperature)");
                }
            }
        }
        return Claim.bare(p, c, spec, PositionConvention.fromWireName(positions), prefillChunk, commits,
                new InferenceAttestation.SamplingRef(temperature, seed, maxTokens >= 0 ? maxTokens : c.length, eos,
                        eos >= 0 && c[c.length - 1] == eos ? "eos" : "length"));
    }

    /** Proofs of the Python stack are bf16 or fp16 (the model's dtype); other commit dtypes come only in attestations. */
    static Dtype proofsDtype(String name) {
        Dtype d = Dtype.fromWireName(name);
        if (d != Dtype.BF16 && d != Dtype.FP16) {
            throw new IllegalArgumentException("--dtype " + name + ": proofs are bf16 or fp16 (the model's dtype)");
        }
        return d;
    }
}
