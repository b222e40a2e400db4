package dev.toploc.cli;

import dev.toploc.AcceptancePolicy;
import dev.toploc.Commit;
import dev.toploc.CommitEncoding;
import dev.toploc.CommitFormatException;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.TopLocException;
import dev.toploc.VerificationReport;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Attestations;
import dev.toploc.attest.Dsse;
import dev.toploc.attest.PublicKey;
import dev.toploc.attest.SigningKey;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.runtime.ClaimRejectedException;
import dev.toploc.policy.Policies;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.Provider;
import dev.toploc.runtime.Sampling;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code toploc demo}: the whole story on the embedded tiny model. A provider generates with the hook and
 * signs; the client verifies in another compute mode (accepted); then tampered runs, each rejected by the
 * check that caught it. Everything runs through the same code as {@code generate} and {@code verify}.
 */
@Command(name = "demo", description = "Generate, sign and verify on the embedded tiny model, then show each tamper being caught.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--model", paramLabel = "DIR", description = "model A (default: the embedded tiny-fortunes-llama)")
    Path modelA;

    @Option(names = "--other-model", paramLabel = "DIR", description = "model B, for the substitution attack (default: tiny-fortunes-llama-b)")
    Path modelB;

    @Option(names = "--policy", paramLabel = "FILE", description = "policy (default: the model folder's toploc-policy.json when present, else the reference defaults)")
    Path policyFile;

    record Row(String scenario, String expected, String verdict, String caughtBy, String detail) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        Path a = modelA != null ? modelA : EmbeddedModels.model("tiny-fortunes-llama");
        Path b = modelB != null ? modelB : EmbeddedModels.model("tiny-fortunes-llama-b");

        SigningKey key = SigningKey.generate(new SecureRandom());
        List<PublicKey> trusted = List.of(key.publicKey());
        int[] prompt = TokenIds.fromText("Q: What is the secret of happiness?\nA:");
        int[] otherPrompt = TokenIds.fromText("Q: Why do cats purr?\nA:");
        Sampling sampling = new Sampling(0.8, 7);
        List<Row> rows = new ArrayList<>();
        try (Model ma = Model.load(a); Model mb = Model.load(b)) {
            Policies.Choice chosen = Policies.select(policyFile, a, CommitSpec.DEFAULT, ma.identity().configDigest(), ma.identity().weightsDigest());
            AcceptancePolicy policy = chosen.policy();
            InferenceVerifier.SamplingCheck replay = new InferenceVerifier.SamplingCheck(true, chosen.logitMargin(), 1e-4);
            out.println("model A: " + a + " (" + ma.config().architecture() + ", hidden " + ma.config().hiddenSize() + ", "
                    + ma.config().numLayers() + " layers)");
            out.println("model B: " + b + " (another model of the same kind)");
            out.println("policy:  " + Terminal.escape(policy.source()));
            out.println();
            Provider.Request req = new Provider.Request(prompt, 96, sampling, -1, ComputeMode.BF16, CommitSpec.DEFAULT,
                    PositionConvention.PRODUCED, true, "demo-nonce-1");
            InferenceAttestation honest = Provider.generate(ma, a.getFileName().toString(), req);
            out.println("provider (model A, bf16, temperature 0.8, seed 7) generated " + honest.completion().length + " tokens:");
            out.println("  " + Text.show(honest.prompt()) + " -> " + Text.show(honest.completion()));
            out.println("  " + honest.commits().size() + " commits of 258 bytes, signed (Ed25519, DSSE, in-toto)");
            out.println();
            byte[] envelope = Attestations.sign(honest, List.of(key));

            for (ComputeMode mode : new ComputeMode[] {ComputeMode.FP32, ComputeMode.FP16}) {
                rows.add(run("honest, client recomputes in " + mode.wireName(), "accept", envelope, trusted, ma, mode, policy, replay));
            }

            // The provider secretly runs model B and claims model A.
            InferenceAttestation byB = Provider.generate(mb, a.getFileName().toString(), req);
            InferenceAttestation claimedA = with(byB, honest.model(), byB.completion(), byB.commits());
            rows.add(run("model B served, model A claimed", "reject", Attestations.sign(claimedA, List.of(key)), trusted, ma,
                    ComputeMode.FP32, policy, replay));

            // A changed completion token, re-signed by the provider.
            int[] changed = honest.completion();
            changed[50] = changed[50] == 'e' ? 'a' : 'e';
            rows.add(run("completion token 50 changed", "reject",
                    Attestations.sign(with(honest, honest.model(), changed, honest.commits()), List.of(key)), trusted, ma,
                    ComputeMode.FP32, policy, replay));

            // Forged commits.
            Random r = new Random(1);
            List<Commit> random = new ArrayList<>();
            for (int i = 0; i < honest.commits().size(); i++) {
                random.add(Commit.of(CommitEncoding.V1, 65497, r.longs(128, 0, 65497).toArray()));
            }
            rows.add(run("random commits", "reject", Attestations.sign(with(honest, honest.model(), honest.completion(), random),
                    List.of(key)), trusted, ma, ComputeMode.FP32, policy, replay));
            rows.add(runZeroCommits(honest, key, trusted, ma, policy, replay));

            InferenceAttestation other = Provider.generate(ma, a.getFileName().toString(), new Provider.Request(otherPrompt, 96, sampling, -1,
                    ComputeMode.BF16, CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, "demo-nonce-2"));
            rows.add(run("commits replayed from another completion", "reject", Attestations.sign(with(honest, honest.model(),
                    honest.completion(), other.commits()), List.of(key)), trusted, ma, ComputeMode.FP32, policy, replay));

            List<Commit> shifted = new ArrayList<>(honest.commits().subList(1, honest.commits().size()));
            shifted.add(honest.commits().get(0));
            rows.add(run("commits shifted by one chunk", "reject", Attestations.sign(with(honest, honest.model(), honest.completion(), shifted),
                    List.of(key)), trusted, ma, ComputeMode.FP32, policy, replay));

            Dsse.Envelope env = Dsse.parse(envelope);
            byte[] sig = env.signatures().get(0).sig().clone();
            sig[10] ^= 1;
            byte[] badSig = new Dsse.Envelope(env.payloadType(), env.payload(), List.of(new Dsse.Signature(env.signatures().get(0).keyid(), sig))).toJson();
            rows.add(run("signature bit flipped", "reject", badSig, trusted, ma, ComputeMode.FP32, policy, replay));
            rows.add(run("signed by an untrusted key", "reject", Attestations.sign(honest, List.of(SigningKey.generate(new SecureRandom()))),
                    trusted, ma, ComputeMode.FP32, policy, replay));
        }
        printTable(out, rows);
        long wrong = rows.stream().filter(x -> !x.verdict().toLowerCase(Locale.ROOT).startsWith(x.expected())).count();
        out.println();
        out.println(wrong == 0 ? "every honest run was accepted and every tamper rejected" : wrong + " scenario(s) did not end as expected");
        out.println("not shown: 8-bit or 4-bit weights and 1% weight noise, which on a model this small can pass as honest "
                + "precision noise (docs/calibration.md has every attack's numbers; a hidden prompt prefix is caught there)");
        return wrong == 0 ? 0 : 1;
    }

    private static InferenceAttestation with(InferenceAttestation x, InferenceAttestation.ModelRef model, int[] completion, List<Commit> commits) {
        return new InferenceAttestation(model, x.prompt(), completion, x.commitSpec(), x.positions(), x.prefillChunk(), commits,
                x.sampling(), x.providerMode(), x.nonce(), x.timestamp());
    }

    private static Row runZeroCommits(InferenceAttestation honest, SigningKey key, List<PublicKey> trusted,
                                      Model m, AcceptancePolicy policy, InferenceVerifier.SamplingCheck replay) {
        // An all-zero commit cannot even be built as a Commit: splice its base64 into the signed statement.
        String zero = java.util.Base64.getEncoder().encodeToString(new byte[258]);
        String st = new String(honest.toStatementJson(), java.nio.charset.StandardCharsets.UTF_8)
                .replace(honest.commits().get(1).toBase64(), zero);
        byte[] env = Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, st.getBytes(java.nio.charset.StandardCharsets.UTF_8), List.of(key)).toJson();
        return run("all-zero commit (the reference's null proof)", "reject", env, trusted, m, ComputeMode.FP32, policy, replay);
    }

    private static Row run(String scenario, String expected, byte[] envelope, List<PublicKey> trusted, Model m,
                           ComputeMode mode, AcceptancePolicy policy, InferenceVerifier.SamplingCheck replay) {
        try {
            InferenceAttestation a = Attestations.verify(envelope, trusted);
            InferenceVerifier.Report r;
            try {
                r = InferenceVerifier.builder().mode(mode).policy(policy).sampling(replay).build().verify(m, a);
            } catch (ClaimRejectedException rejected) {
                r = rejected.claimReport();
            }
            VerificationReport c = r.commits();
            int worstExp = c.chunks().stream().mapToInt(x -> x.stats().expMismatches()).max().orElse(0);
            double worstMean = c.chunks().stream().mapToDouble(x -> x.stats().mantErrMean()).max().orElse(0);
            String stats = String.format(Locale.ROOT, "worst chunk: %d exp mismatches, mantissa mean %s; worst token gap %.2f",
                    worstExp, Report.num(worstMean), r.worstTokenGap());
            if (r.accepted()) {
                return new Row(scenario, expected, "accepted", "-", stats);
            }
            List<String> caught = new ArrayList<>();
            if (!c.accepted()) {
                caught.add("commits (" + c.failures().size() + "/" + c.chunks().size() + " chunks)");
            }
            if (!r.tokens().isEmpty()) {
                caught.add("token replay (" + r.tokens().size() + " tokens)");
            }
            if (r.termination() != null) {
                caught.add("termination");
            }
            return new Row(scenario, expected, "REJECTED", String.join(" + ", caught), stats);
        } catch (AttestationException e) {
            return new Row(scenario, expected, "REJECTED", e.check(), e.getMessage().substring(e.check().length() + 2));
        } catch (CommitFormatException e) {
            return new Row(scenario, expected, "REJECTED", "commit format", e.getMessage());
        } catch (TopLocException | java.io.IOException e) {
            return new Row(scenario, expected, "REJECTED", e.getClass().getSimpleName(), e.getMessage());
        }
    }

    private static void printTable(PrintWriter out, List<Row> rows) {
        int w = rows.stream().mapToInt(r -> r.caughtBy().length()).max().orElse(9);
        String fmt = "%-46s %-8s %-9s %-" + w + "s  %s%n";
        out.printf(fmt, "scenario", "expected", "verdict", "caught by", "detail");
        for (Row r : rows) {
            String detail = r.detail().length() > 110 ? r.detail().substring(0, 107) + "..." : r.detail();
            out.printf(fmt, r.scenario(), r.expected(), r.verdict(), Terminal.escape(r.caughtBy()), Terminal.escape(detail));
        }
    }
}
