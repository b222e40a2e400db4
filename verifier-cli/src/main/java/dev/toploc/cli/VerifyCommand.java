package dev.toploc.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.PositionConvention;
import dev.toploc.attest.Attestations;
import dev.toploc.attest.InferenceAttestation;
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
 * model identity, the recomputed prefill against every commit, the token replay and the termination rule.
 * With {@code --proofs}: checks bare base64 commits from the Python TOPLOC stack, no attestation.
 */
@Command(name = "verify", description = "Verify an attestation (or bare commits with --proofs) by recomputing the prefill. "
        + "Exit 0 accepted, 1 rejected, 2 bad input, 3 internal error.")
final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

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

    @Option(names = "--policy", paramLabel = "FILE", description = "calibrated policy (toploc calibrate); default: the reference's thresholds")
    Path policyFile;

    @Option(names = "--no-replay", description = "skip the token-choice replay")
    boolean noReplay;

    @Option(names = "--json", description = "print a machine-readable report")
    boolean json;

    @Option(names = "--show-text", description = "also show the prompt and completion decoded by the model folder's tokenizer")
    boolean showText;

    @Option(names = "--proofs", paramLabel = "FILE", description = "interop: base64 commits, one per line (no attestation)")
    Path proofs;

    @Option(names = "--prompt-ids", paramLabel = "IDS", description = "interop: prompt token ids")
    String promptIds;

    @Option(names = "--completion-ids", paramLabel = "IDS", description = "interop: completion token ids")
    String completionIds;

    @Option(names = "--positions", defaultValue = "decode-steps", description = "interop: produced or decode-steps (default ${DEFAULT-VALUE}, as vLLM hooks)")
    String positions;

    @Option(names = "--prefill-chunk", description = "interop: the first commit covers the prompt (skip_prefill=False)")
    boolean prefillChunk;

    @Option(names = "--sampling", defaultValue = "none", description = "interop: greedy, none, or seed=S,temperature=T (default ${DEFAULT-VALUE})")
    String sampling;

    @Option(names = "--topk", defaultValue = "128", description = "interop: k (default ${DEFAULT-VALUE})")
    int topk;

    @Option(names = "--chunk", defaultValue = "32", description = "interop: decode chunk size (default ${DEFAULT-VALUE})")
    int chunk;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        PrintWriter err = command.commandLine().getErr();
        ComputeMode m = ComputeMode.fromWireName(mode);
        InferenceAttestation a;
        InferenceVerifier.SamplingCheck replay;
        if (proofs != null) {
            if (attestation != null) {
                throw new IllegalArgumentException("give either an attestation or --proofs, not both");
            }
            a = interop();
            replay = sampling.equals("none") || noReplay ? InferenceVerifier.SamplingCheck.OFF : null;
        } else {
            if (attestation == null) {
                throw new IllegalArgumentException("missing ATTESTATION (or --proofs FILE for bare commits)");
            }
            if (trust.isEmpty()) {
                throw new IllegalArgumentException("--trust PUB.pem is required: an attestation is only as good as the key that signed it");
            }
            a = Attestations.verify(Inputs.attestation(attestation), Inputs.publicKeys(trust));
            replay = noReplay ? InferenceVerifier.SamplingCheck.OFF : null;
        }
        AcceptancePolicy policy;
        double margin = InferenceVerifier.SamplingCheck.DEFAULT.logitMargin();
        PolicyFile pf = null;
        if (policyFile != null) {
            pf = PolicyFile.read(policyFile);
            pf.requireFits(a.commitSpec());
            policy = pf.policy();
            margin = pf.logitMargin();
        } else {
            policy = AcceptancePolicy.defaults(a.commitSpec());
            err.println("note: no --policy given: using the reference's default thresholds, which are loose for small models "
                    + "(see docs/calibration.md)");
        }
        if (replay == null) {
            replay = new InferenceVerifier.SamplingCheck(true, margin, InferenceVerifier.SamplingCheck.DEFAULT.minEosProb());
        }
        try (Device dev = Device.select(device, err); Model mdl = Model.load(model)) {
            if (m == ComputeMode.FP32) {
                dev.prefillOn(mdl);
            }
            if (proofs == null) {
                InferenceVerifier.checkIdentity(a, mdl.identity());
            }
            if (pf != null) {
                pf.requireModel(mdl.identity());
            }
            String[] text = null;
            if (showText) {
                try (var tok = Prompts.load(model, "--show-text")) {
                    text = new String[] {tok.decode(a.prompt()), tok.decode(a.completion())};
                }
                if (!json) {
                    out.println("prompt text: " + Prompts.quote(text[0]));
                    out.println("completion text: " + Prompts.quote(text[1]));
                }
            }
            err.printf("recomputing %d positions in %s ...%n", a.prompt().length + a.completion().length - 1, m.wireName());
            long t0 = System.nanoTime();
            int layers = mdl.config().numLayers();
            boolean bar = System.console() != null && a.prompt().length + a.completion().length > 256;
            InferenceVerifier.Report r = InferenceVerifier.check(a, mdl, m, policy, replay, false, !bar ? null : done -> {
                int w = 30;
                int fill = done * w / layers;
                err.printf("\rprefill [%s%s] layer %d/%d%s", "#".repeat(fill), " ".repeat(w - fill), done, layers, done == layers ? "\n" : "");
                err.flush();
            });
            double secs = (System.nanoTime() - t0) / 1e9;
            if (json) {
                ObjectNode n = Report.json(r);
                n.put("seconds", secs);
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
            if (!r.accepted()) {
                throw InferenceVerifier.rejection(r, policy);
            }
        }
        return Toploc.ACCEPTED;
    }

    /** Builds an unsigned claim from --proofs and token ids. */
    private InferenceAttestation interop() throws Exception {
        if (promptIds == null || completionIds == null) {
            throw new IllegalArgumentException("--proofs needs --prompt-ids and --completion-ids");
        }
        int[] p = TokenIds.parse(promptIds, "--prompt-ids");
        int[] c = TokenIds.parse(completionIds, "--completion-ids");
        CommitSpec spec = new CommitSpec(Dtype.BF16, topk, chunk);
        List<String> lines = Inputs.proofs(proofs);
        List<Commit> commits = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            commits.add(Commit.fromBase64(lines.get(i), spec.encoding(), topk, "commit " + i + " (" + proofs.getFileName() + " line " + (i + 1) + ")"));
        }
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
        return new InferenceAttestation(new InferenceAttestation.ModelRef("(unattested)", List.of(), List.of(), "0".repeat(64), "0".repeat(64)),
                p, c, spec, PositionConvention.fromWireName(positions), prefillChunk, commits,
                new InferenceAttestation.SamplingRef(temperature, seed, c.length, -1, "length"), "unknown", "", "");
    }
}
