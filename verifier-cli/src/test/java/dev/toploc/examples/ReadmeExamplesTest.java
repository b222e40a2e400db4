package dev.toploc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.*;
import dev.toploc.attest.*;
import dev.toploc.runtime.*;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java snippets, compiled and run here: each lies between {@code // README <name> begin} and
 * {@code // README <name> end}, and {@link #readmeHoldsExactlyTheseSnippets} checks that README.md's block
 * after {@code <!-- snippet: <name> -->} is the same text (indentation removed), so the two cannot drift.
 * The snippets' free variables are set up above them from the embedded tiny model.
 */
class ReadmeExamplesTest {
    static final Path TINY = TestVectors.model("tiny-fortunes-llama");

    @TempDir
    Path dir;

    @Test
    void providerAndClientSnippets_run_andAgreeWithTheProjectsOwnProvider() throws Exception {
        // ---- the provider's setting: a model, a prompt, its completion and the engine's hidden states
        Path modelDir = TINY;
        SigningKey signingKey = SigningKey.generate(new SecureRandom());
        Path publicKeyFile = Files.writeString(dir.resolve("provider.key.pub"), signingKey.publicKey().toSpkiPem());
        String clientNonce = "n-42";
        int[] prompt = "Q: What is a dog?\nA:".chars().toArray();                 // the tiny model is byte-level
        int[] completion;
        int maxTokens = 40;
        int eosToken;
        String stop;
        InferenceAttestation reference;
        ModelIdentity identity;
        int hiddenSize;
        float[] prefillHiddenStates;
        List<float[]> eachDecodeStepsHiddenState = new ArrayList<>();
        try (Model model = Model.load(modelDir)) {
            identity = model.identity();
            hiddenSize = model.config().hiddenSize();
            eosToken = model.config().eosTokenId();
            reference = Provider.generate(model, "tiny-fortunes-llama", new Provider.Request(prompt, maxTokens, Sampling.GREEDY, eosToken,
                    ComputeMode.FP32, CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, clientNonce));
            completion = reference.completion();
            stop = reference.sampling().stop();
            int[] seq = Arrays.copyOf(prompt, prompt.length + completion.length - 1);
            System.arraycopy(completion, 0, seq, prompt.length, completion.length - 1);
            float[] states = model.prefill(seq, ComputeMode.FP32);
            prefillHiddenStates = Arrays.copyOf(states, prompt.length * hiddenSize);
            for (int r = prompt.length; r < seq.length; r++) {
                eachDecodeStepsHiddenState.add(Arrays.copyOfRange(states, r * hiddenSize, (r + 1) * hiddenSize));
            }
        }
        byte[] envelope;

        // README provider begin
        try (CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, hiddenSize, 2, 64)) {   // bf16, k = 128, chunks of 32
            CommitHook.Sequence seq = hook.open(prompt.length, PositionConvention.PRODUCED, true);
            seq.addRows(prefillHiddenStates, prompt.length);     // your engine's final-norm output, row-major
            for (float[] row : eachDecodeStepsHiddenState) {
                seq.add(row);                                    // off the hot path: commits build on the hook's threads
            }
            InferenceAttestation att = InferenceAttestation.builder()    // build() checks every field and the commit count
                    .model(identity.toModelRef("tiny-fortunes-llama"))   // the weights' digests (Model.identity())
                    .prompt(prompt).completion(completion)
                    .commits(seq.finish())                       // defaults: CommitSpec.DEFAULT, PRODUCED, a prefill chunk
                    .sampling(new InferenceAttestation.SamplingRef(0, 0, maxTokens, eosToken, stop))
                    .providerMode("fp32").nonce(clientNonce).timestamp(Instant.now().toString())
                    .build();
            envelope = Attestations.sign(att, List.of(signingKey));                        // DSSE JSON
        }
        // README provider end

        InferenceAttestation signed = InferenceAttestation.parseStatement(Dsse.parse(envelope).payload());
        assertEquals(reference.commits(), signed.commits(), "the hook's commits are the project's own provider's");

        // README client begin
        PublicKey providerPublicKey = PublicKey.fromPem(Files.readString(publicKeyFile), publicKeyFile.toString());
        InferenceAttestation att = Attestations.verify(envelope, List.of(providerPublicKey));   // signature first
        InferenceVerifier verifier = InferenceVerifier.builder()      // immutable, shareable; every setting has a default
                .policy(AcceptancePolicy.defaults(att.commitSpec()))  // the reference's thresholds (or a policy file)
                .mode(ComputeMode.FP32)
                .compute(Compute.defaults())                          // threads and top-k device, never process-wide
                .build();
        InferenceVerifier.Report report;
        try (Model model = Model.load(modelDir)) {
            report = verifier.verify(model, att);                              // the attested digests are checked first
            // returned: accepted. Thrown: AttestationException (model digests, schema)
            //           or ClaimRejectedException ("rejected: chunk 2 (decode rows 56..87): exp_mismatches 57 > 17; …"),
            //           whose claimReport() has every measurement
        }
        // README client end
        assertTrue(report.accepted());

        // negative controls: another key is not trusted; the builder refuses a commit count that does not fit
        SigningKey other = SigningKey.generate(new SecureRandom());
        byte[] env = envelope;
        assertThrows(AttestationException.class, () -> Attestations.verify(env, List.of(other.publicKey())));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InferenceAttestation.builder()
                .model(signed.model()).prompt(signed.prompt()).completion(signed.completion())
                .commits(signed.commits().subList(1, signed.commits().size())).sampling(signed.sampling())
                .nonce("n").timestamp("2026-01-01T00:00:00Z").build());
        assertTrue(e.getMessage().startsWith("commits: " + (signed.commits().size() - 1) + " commits, but a prompt of"), e.getMessage());
    }

    @Test
    void builder_namesTheMissingOrBadField() throws Exception {
        InferenceAttestation.ModelRef ref;
        try (Model model = Model.load(TINY)) {
            ref = model.identity().toModelRef("tiny");
        }
        assertEquals("model is not set", assertThrows(IllegalArgumentException.class, () -> InferenceAttestation.builder().build()).getMessage());
        var b = InferenceAttestation.builder().model(ref).prompt(new int[] {1}).completion(new int[] {2, -3}).commits(List.of())
                .sampling(new InferenceAttestation.SamplingRef(0, 0, 4, -1, "length")).nonce("n").timestamp("2026-01-01T00:00:00Z");
        assertEquals("completion[1] = -3 is not a token id (expected >= 0)", assertThrows(IllegalArgumentException.class, b::build).getMessage());
        b.completion(new int[] {2}).timestamp("yesterday");
        assertTrue(assertThrows(IllegalArgumentException.class, b::build).getMessage().startsWith("timestamp 'yesterday' is not an RFC 3339"));
        b.timestamp("2026-01-01T00:00:00Z").nonce(" ");
        assertTrue(assertThrows(IllegalArgumentException.class, b::build).getMessage().startsWith("nonce is blank"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> InferenceAttestation.ModelRef.of("m", ref.weightFiles(),
                ref.weightDigests(), "ABC", ref.configDigest()));
        assertTrue(bad.getMessage().startsWith("model.weightsDigest 'ABC' is not a lowercase hex sha256"), bad.getMessage());
        assertEquals(ref, InferenceAttestation.ModelRef.of("tiny", ref.weightFiles(), ref.weightDigests(), ref.weightsDigest(), ref.configDigest()));
    }

    // ------------------------------------------------------------------------------------ README = this file

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("README.md"))) {
            p = p.getParent();
        }
        assertTrue(p != null, "README.md not found above " + Path.of("").toAbsolutePath());
        return p;
    }

    static String snippet(String source, String name) {
        Matcher m = Pattern.compile("\\n([ \\t]*)// README " + name + " begin\\n(.*?)\\n[ \\t]*// README " + name + " end\\n", Pattern.DOTALL)
                .matcher(source);
        assertTrue(m.find(), "no snippet " + name + " in this test");
        String indent = m.group(1);
        StringBuilder out = new StringBuilder();
        for (String line : m.group(2).split("\n", -1)) {
            assertTrue(line.isEmpty() || line.startsWith(indent), "snippet " + name + " line not indented as its marker: " + line);
            out.append(line.isEmpty() ? "" : line.substring(indent.length())).append('\n');
        }
        return out.toString();
    }

    static String readmeBlock(String readme, String name) {
        Matcher m = Pattern.compile("<!-- snippet: " + name + " -->\\n```java\\n(.*?)```\\n", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "README.md has no block after <!-- snippet: " + name + " -->");
        String block = m.group(1);
        assertFalse(m.find(), "README.md has two blocks named " + name);
        return block;
    }

    @Test
    void readmeHoldsExactlyTheseSnippets() throws Exception {
        Path root = repo();
        String source = Files.readString(root.resolve("verifier-cli/src/test/java/dev/toploc/examples/ReadmeExamplesTest.java"));
        String readme = Files.readString(root.resolve("README.md"));
        for (String name : List.of("provider", "client")) {
            assertEquals(snippet(source, name), readmeBlock(readme, name), "README.md's " + name + " snippet differs from ReadmeExamplesTest's");
        }
        // negative control: the comparison sees a one-character change
        assertFalse(snippet(source, "client").equals(readmeBlock(readme.replace("signature first", "signature 1st"), "client")));
    }
}
