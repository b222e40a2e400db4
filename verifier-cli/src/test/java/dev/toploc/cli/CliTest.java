package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.attest.Dsse;
import dev.toploc.attest.PublicKey;
import dev.toploc.attest.SigningKey;
import dev.toploc.vectors.TestVectors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every subcommand through the real entry point: output, files and exit codes. */
class CliTest {
    static final Path TINY = TestVectors.model("tiny-fortunes-llama");
    static final Path TINY_B = TestVectors.model("tiny-fortunes-llama-b");

    @TempDir
    static Path dir;
    static Path key;
    static Path pub;
    static Path attestation;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Toploc.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** The base64 commits of {@code toploc commit}'s output, without its header line. */
    static List<String> commitLines(String out) {
        return out.strip().lines().filter(l -> !l.startsWith("#")).toList();
    }

    static String s(Path p) {
        return p.toString();
    }

    @BeforeAll
    static void providerSide() throws Exception {
        key = dir.resolve("provider.key");
        pub = dir.resolve("provider.key.pub");
        Run k = run("keygen", "-o", s(key));
        assertEquals(0, k.code(), k.err());
        attestation = dir.resolve("att.json");
        Run g = run("generate", "--model", s(TINY), "--prompt", "Q: What is a dog?\nA:", "--max-tokens", "48", "--temperature", "0.8",
                "--seed", "3", "--key", s(key), "-o", s(attestation));
        assertEquals(0, g.code(), g.err());
        assertTrue(g.out().contains("generated 48 tokens (length)"), g.out());
    }

    @Test
    void keygen_writesOwnerOnlyKey_andNeverOverwrites() throws Exception {
        assertEquals(Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(key));
        assertTrue(Files.readString(pub).startsWith("-----BEGIN PUBLIC KEY-----"));
        String before = Files.readString(key);
        Run again = run("keygen", "-o", s(key));
        assertEquals(Toploc.BAD_INPUT, again.code());
        assertTrue(again.err().contains("refusing to overwrite"), again.err());
        assertEquals(before, Files.readString(key));
    }

    @Test
    void verify_acceptsTheHonestAttestation_inEveryMode() {
        for (String mode : new String[] {"fp32", "bf16", "fp16"}) {
            Run v = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--mode", mode);
            assertEquals(0, v.code(), v.out() + v.err());
            assertTrue(v.out().contains("ACCEPTED"), v.out());
            assertTrue(v.out().contains("chunk  rows"), v.out());
        }
        Run j = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--json");
        assertEquals(0, j.code());
        assertTrue(j.out().contains("\"accepted\" : true"), j.out());
    }

    @Test
    void verify_withTheShippedPolicy_acceptsHonest_andRefusesAPolicyOfOtherWeights() throws Exception {
        Path policy = TINY.resolve("toploc-policy.json");
        Run ok = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--policy", s(policy));
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("calibrated on tiny-fortunes-llama"), ok.out());
        Path other = dir.resolve("other-policy.json");
        Files.writeString(other, Files.readString(policy).replaceAll("\"weightsSha256\" : \"[0-9a-f]+\"", "\"weightsSha256\" : \"" + "1".repeat(64) + "\""));
        Run bad = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--policy", s(other));
        assertEquals(Toploc.BAD_INPUT, bad.code());
        assertTrue(bad.err().contains("the policy was calibrated for weights sha256 1111"), bad.err());
    }

    @Test
    void verify_rejectsTheWrongModelFolder() {
        Run v = run("verify", s(attestation), "--model", s(TINY_B), "--trust", s(pub));
        assertEquals(Toploc.REJECTED, v.code());
        assertTrue(v.err().contains("model: weights sha256"), v.err());
    }

    @Test
    void generate_refusesToOverwrite() {
        Run g = run("generate", "--model", s(TINY), "--prompt", "x", "--max-tokens", "2", "--key", s(key), "-o", s(attestation));
        assertEquals(Toploc.BAD_INPUT, g.code());
        assertTrue(g.err().contains("refusing to overwrite an existing file (use --force)"), g.err());
    }

    @Test
    void inspect_showsTheAttestationWithoutVerifying() {
        Run i = run("inspect", s(attestation));
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("signatures NOT verified"));
        assertTrue(i.out().contains("completion (48 tokens, stop: length)"), i.out());
    }

    @Test
    void commitAndCheck_onPrefillDumps_andInteropVerify() throws Exception {
        Path npy = dir.resolve("states.npy");
        Run p = run("prefill", "--model", s(TINY), "--prompt", "Q: Is it raining?\nA: Yes, but only on Tuesdays.", "--mode", "bf16", "-o", s(npy));
        assertEquals(0, p.code(), p.err());
        Run c = run("commit", "--activations", s(npy), "--prefill-rows", "18");
        assertEquals(0, c.code(), c.err());
        Path proofs = dir.resolve("proofs.txt");
        Files.writeString(proofs, c.out());
        assertEquals(2, commitLines(c.out()).size());
        assertTrue(c.out().startsWith("# toploc-commits v1 dtype=bf16 k=128 chunk=32 prefill-rows=18 positions=decode-steps\n"), c.out());
        Run ok = run("check", "--activations", s(npy), "--proofs", s(proofs), "--prefill-rows", "18");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        Path npy32 = dir.resolve("states32.npy");
        assertEquals(0, run("prefill", "--model", s(TINY_B), "--prompt", "Q: Is it raining?\nA: Yes, but only on Tuesdays.", "-o", s(npy32)).code());
        Run bad = run("check", "--activations", s(npy32), "--proofs", s(proofs), "--prefill-rows", "18");
        assertEquals(Toploc.REJECTED, bad.code(), bad.out());
        assertTrue(bad.out().contains("REJECTED"));
        // interop: the same commits as a Python hook would send (prefill chunk on, decode-steps rows)
        String text = "Q: Is it raining?\nA: Yes, but only on Tuesdays.";
        int[] ids = TokenIds.fromText(text);
        int[] prompt = java.util.Arrays.copyOf(ids, 18);
        int[] completion = java.util.Arrays.copyOfRange(ids, 18, ids.length);
        int[] withExtra = java.util.Arrays.copyOf(completion, completion.length + 1);
        withExtra[completion.length] = 'x';
        Run v = run("verify", "--proofs", s(proofs), "--prompt-ids", TokenIds.format(prompt), "--completion-ids", TokenIds.format(withExtra),
                "--model", s(TINY), "--prefill-chunk", "--positions", "decode-steps");
        assertEquals(0, v.code(), v.out() + v.err());
    }

    @Test
    void verify_streamsLayersWhenAsked_withTheSameVerdict_andSaysWhich() {
        Run on = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--stream-layers", "on");
        assertEquals(0, on.code(), on.out() + on.err());
        assertTrue(on.err().contains("streaming layers (--stream-layers on)"), on.err());
        Run auto = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub));
        assertEquals(0, auto.code(), auto.out() + auto.err());
        // the tiny model fits in any machine's memory: auto does not stream, and says why
        assertTrue(auto.err().matches("(?s).*not streaming layers: the weights \\(\\d+\\.\\d GB\\) fit in the available memory.*"), auto.err());
        assertEquals(Toploc.BAD_INPUT, run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--stream-layers", "maybe").code());
    }

    @Test
    void benchPrefill_reportsTokensPerSecondGflopsAndTheBackend() {
        Run r = run("bench", "prefill", "--model", s(TINY), "--tokens", "8", "--runs", "1", "--warmup", "0", "--modes", "fp32", "--threads", "1",
                "--stream-layers");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("\nbackend: ") && r.out().contains("java kernels: java-"), r.out());
        assertTrue(r.out().matches("(?s).*mode=fp32 threads=1  \\d+\\.\\d tokens/s  \\d+\\.\\d GFLOP/s .*"), r.out());
        assertEquals(Toploc.BAD_INPUT, run("bench", "prefill", "--shape", "70b").code());
    }

    @Test
    void demo_endsAsExpected() {
        Run d = run("demo");
        assertEquals(0, d.code(), d.out() + d.err());
        assertTrue(d.out().contains("every honest run was accepted and every tamper rejected"), d.out());
    }

    @Test
    void benchCore_printsMediansOnItsLastLine() {
        Run r = run("bench", "core", "--rows", "40", "--hidden", "512", "--iterations", "3", "--warmup", "1");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertTrue(lines[lines.length - 1].matches("build_ms=\\d+\\.\\d{3} verify_ms=\\d+\\.\\d{3}"), r.out());
    }

    @Test
    void usageErrors_exitWith2() {
        assertEquals(Toploc.BAD_INPUT, run("bench", "gpu").code());
        assertEquals(Toploc.BAD_INPUT, run("bench", "core", "--frobnicate").code());
        assertEquals(Toploc.BAD_INPUT, run("verify", s(attestation), "--model", s(TINY)).code());   // no --trust
    }

    @Test
    void device_cudaWithoutAGpu_isAClearError_autoFallsBack() {
        dev.toploc.cuda.CudaBackend.Probe probe = dev.toploc.cuda.CudaBackend.probe();
        Run cuda = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--device", "cuda");
        Run auto = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--device", "auto");
        assertEquals(0, auto.code(), auto.err());
        if (probe.available()) {
            assertEquals(0, cuda.code(), cuda.err());
            assertTrue(cuda.err().contains("device: cuda: "), cuda.err());
        } else {
            assertEquals(Toploc.BAD_INPUT, cuda.code());
            assertTrue(cuda.err().contains(probe.reason()), cuda.err());
            assertTrue(auto.err().contains("device: cpu (" + probe.reason() + ")"), auto.err());
        }
        Run bf16 = run("prefill", "--model", s(TINY), "--ids", "1,2,3", "--device", "cuda", "--mode", "bf16", "-o", s(dir.resolve("never.npy")));
        assertEquals(Toploc.BAD_INPUT, bf16.code());
        assertTrue(bf16.err().contains("--device cuda computes fp32 only (asked for bf16)"), bf16.err());
        if (!probe.available()) {
            Run prefill = run("prefill", "--model", s(TINY), "--ids", "1,2,3", "--device", "cuda", "-o", s(dir.resolve("never.npy")));
            assertEquals(Toploc.BAD_INPUT, prefill.code());
            assertTrue(prefill.err().contains(probe.reason()), prefill.err());
        }
    }

    @Test
    void mainEntryPoint_exitsWithTheCode() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "dev.toploc.cli.Toploc", "verify", "/no/such/attestation.json", "--model", s(TINY), "--trust", s(pub))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(Toploc.BAD_INPUT, p.waitFor(), out);
        assertTrue(out.contains("/no/such/attestation.json: attestation not found"), out);
    }

    // ------------------------------------------------------------------ the bad-input table of docs/cli.md

    interface Forge {
        Path make(Path dir) throws Exception;
    }

    /** Re-signs a modified statement with the provider's key: well-signed, but wrong inside. */
    static Path resigned(Path dir, String name, java.util.function.UnaryOperator<String> edit) throws Exception {
        Dsse.Envelope env = Dsse.parse(Files.readAllBytes(attestation));
        String st = edit.apply(new String(env.payload(), StandardCharsets.UTF_8));
        var k = SigningKey.fromPem(Files.readString(key), "key");
        Path f = dir.resolve(name);
        Files.write(f, Dsse.sign(env.payloadType(), st.getBytes(StandardCharsets.UTF_8), List.of(k)).toJson());
        return f;
    }

    static Path firstCommitReplaced(Path dir, String name, String replacement) throws Exception {
        Dsse.Envelope env = Dsse.parse(Files.readAllBytes(attestation));
        String st = new String(env.payload(), StandardCharsets.UTF_8);
        String first = st.substring(st.indexOf("\"commits\" : [ \"") + 15);
        first = first.substring(0, first.indexOf('"'));
        String f = first;
        return resigned(dir, name, x -> x.replace(f, replacement));
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of("missing-file", (Forge) d -> d.resolve("nope.json"), Toploc.BAD_INPUT, "attestation not found"),
                Arguments.of("unreadable-json", (Forge) d -> Files.writeString(d.resolve("x.json"), "{\"payloadType\": "), Toploc.BAD_INPUT,
                        "envelope: not valid JSON"),
                Arguments.of("wrong-schema", (Forge) d -> resigned(d, "schema.json", s -> s.replace("\"topK\" : 128", "\"topK\" : \"many\"")),
                        Toploc.BAD_INPUT, "schema: predicate.commit.topK is not a 32-bit integer"),
                Arguments.of("unknown-predicate-version", (Forge) d -> resigned(d, "v2.json", s -> s.replace("inference/v1", "inference/v2")),
                        Toploc.BAD_INPUT, "predicate-type: predicateType 'https://toploc.dev/attestation/inference/v2' is not one this verifier knows"),
                Arguments.of("bad-signature", (Forge) d -> {
                    String t = Files.readString(attestation);
                    int i = t.indexOf("\"sig\" : \"") + 9;
                    char c = t.charAt(i + 5);
                    Path f = d.resolve("badsig.json");
                    Files.writeString(f, t.substring(0, i + 5) + (c == 'A' ? 'B' : 'A') + t.substring(i + 6));
                    return f;
                }, Toploc.REJECTED, "signature: the signature by trusted key"),
                Arguments.of("untrusted-key", (Forge) d -> {
                    Path other = d.resolve("other.key");
                    run("keygen", "-o", other.toString());
                    Path f = d.resolve("untrusted.json");
                    Files.write(f, Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, Dsse.parse(Files.readAllBytes(attestation)).payload(),
                            List.of(SigningKey.fromPem(Files.readString(other), "k"))).toJson());
                    return f;
                }, Toploc.REJECTED, "trust: no signature verifies with a trusted key"),
                Arguments.of("model-digest-mismatch", (Forge) d -> resigned(d, "digest.json",
                        s -> s.replace("e67d04cfc4da9f5a1d789b38cbd2046c522ebb03145d0bfac40e647d9dd4673f", "0".repeat(64))),
                        Toploc.REJECTED, "model: weights sha256"),
                Arguments.of("token-count-mismatch", (Forge) d -> resigned(d, "tokens.json", s -> s.replace("\"maxTokens\" : 48", "\"maxTokens\" : 64")),
                        Toploc.REJECTED, "termination: stop is 'length' but the completion has 48 tokens, not the declared maxTokens 64"),
                Arguments.of("commit-count-mismatch", (Forge) d -> resigned(d, "count.json", s -> s.replace("\"chunkSize\" : 32", "\"chunkSize\" : 16")),
                        Toploc.BAD_INPUT, "commit count 3 does not match the chunk plan's 4 chunks"),
                Arguments.of("null-proof", (Forge) d -> firstCommitReplaced(d, "zero.json", java.util.Base64.getEncoder().encodeToString(new byte[258])),
                        Toploc.REJECTED, "null-proof: commit 0: all zero bytes, the reference's 'null proof'"),
                Arguments.of("modulus-zero", (Forge) d -> {
                    byte[] m0 = new byte[258];
                    m0[9] = 1;
                    return firstCommitReplaced(d, "m0.json", java.util.Base64.getEncoder().encodeToString(m0));
                }, Toploc.BAD_INPUT, "commit: commit 0: modulus 0 is not allowed (expected 1..65497)"),
                Arguments.of("truncated-commit", (Forge) d -> firstCommitReplaced(d, "short.json",
                        java.util.Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(new byte[] {(byte) 0xFF, (byte) 0xD9}, 130))),
                        Toploc.BAD_INPUT, "commit: commit 0: length 130 bytes holds k = 64 coefficients, expected 258 bytes (k = 128, toploc-v1)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInput_getsItsMessageAndExitCode(String name, Forge forge, int code, String message, @TempDir Path d) throws Exception {
        Path f = forge.make(d);
        Run v = run("verify", s(f), "--model", s(TINY), "--trust", s(pub));
        assertEquals(code, v.code(), name + ": " + v.out() + v.err());
        assertTrue(v.err().contains(message), () -> name + ": stderr was: " + v.err());
        assertFalse(v.out().contains("ACCEPTED"));
    }
}
