package dev.toploc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toploc.Commit;
import dev.toploc.CommitEncoding;
import dev.toploc.attest.Dsse;
import dev.toploc.attest.InferenceAttestation;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code toploc inspect FILE}: what an attestation or a commits file holds (nothing is verified). */
@Command(name = "inspect", description = "Show an attestation or a commits file. Nothing is verified: use 'toploc verify' for that.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        byte[] b = Inputs.attestation(file);
        String text = new String(b, StandardCharsets.UTF_8).strip();
        if (text.startsWith("{")) {
            Dsse.Envelope env = Dsse.parse(b);
            out.println("DSSE envelope (signatures NOT verified; use 'toploc verify --trust'):");
            out.println("  payloadType: " + Terminal.escape(env.payloadType()));
            env.signatures().forEach(s -> out.println("  signature by keyid " + (s.keyid().isEmpty() ? "(none)" : Terminal.escape(s.keyid()))));
            InferenceAttestation a = InferenceAttestation.parseStatement(env.payload());
            JsonNode st = Report.JSON.readTree(env.payload());
            out.println("  predicateType: " + Terminal.escape(st.path("predicateType").asText()));
            out.println("  model: " + Terminal.escape(a.model().name()) + " weights sha256 " + Terminal.escape(a.model().weightsDigest()) + ", config sha256 "
                    + Terminal.escape(a.model().configDigest()));
            out.println("  prompt (" + a.prompt().length + " tokens): " + Text.show(a.prompt()));
            out.println("  completion (" + a.completion().length + " tokens, stop: " + Terminal.escape(a.sampling().stop()) + "): " + Text.show(a.completion()));
            out.printf("  sampling: temperature %s, seed %d, maxTokens %d, eos %d; provider mode %s%n", a.sampling().temperature(),
                    a.sampling().seed(), a.sampling().maxTokens(), a.sampling().eosToken(), Terminal.escape(a.providerMode()));
            out.printf("  commits: %d x %s k=%d, chunks of %d, positions %s, prefill chunk %s%n", a.commits().size(),
                    a.commitSpec().dtype().wireName(), a.commitSpec().topK(), a.commitSpec().chunkSize(), a.positions().wireName(), a.prefillChunk());
            out.println("  nonce: " + Terminal.escape(a.nonce()) + ", timestamp: " + Terminal.escape(a.timestamp()));
            return 0;
        }
        List<String> lines = Inputs.proofs(file);
        out.println(lines.size() + " commits:");
        for (int i = 0; i < lines.size(); i++) {
            Commit c;
            try {
                c = Commit.fromBase64(lines.get(i), CommitEncoding.V1, -1, "commit " + i + " (line " + (i + 1) + ")");
            } catch (dev.toploc.CommitFormatException e) {
                if (!e.nullProof()) {
                    throw e;
                }
                out.printf("  %d: null proof (all zero bytes: the reference's error marker; verify and check reject it)%n", i);
                continue;
            }
            out.printf("  %d: modulus %d, k = %d, %d bytes%n", i, c.modulus(), c.k(), c.toBytes().length);
        }
        return 0;
    }
}
