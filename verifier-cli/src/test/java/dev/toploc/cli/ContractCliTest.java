package dev.toploc.cli;

import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.attest.Dsse;
import dev.toploc.cli.CliTest.Run;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14 points 1 and 2 through the real entry point: a verdict bound to the client's request (nonce,
 * prompt, completion; each with its negative control), and {@code --json} printing exactly one JSON object,
 * free of non-finite numbers, on every exit path.
 */
class ContractCliTest {
    static final Path TINY = CliTest.TINY;
    static final Path TINY_B = CliTest.TINY_B;
    static final String PROMPT = "Q: Who?\nA:";
    static final String NONCE = "client-request-7";
    static final ObjectMapper M = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path key;
    static Path pub;
    static Path attestation;
    static Path otherPub;

    @BeforeAll
    static void providerSide() {
        key = dir.resolve("provider.key");
        pub = dir.resolve("provider.key.pub");
        assertEquals(0, run("keygen", "-o", s(key)).code());
        assertEquals(0, run("keygen", "-o", s(dir.resolve("other.key"))).code());
        otherPub = dir.resolve("other.key.pub");
        attestation = dir.resolve("att.json");
        Run g = run("generate", "--model", s(TINY), "--prompt", PROMPT, "--max-tokens", "12", "--temperature", "0.8", "--seed", "3",
                "--nonce", NONCE, "--key", s(key), "-o", s(attestation));
        assertEquals(0, g.code(), g.err());
    }

    /** The attestation's statement edited, then signed again with the provider's own key. */
    static Path resigned(String name, UnaryOperator<String> edit) throws Exception {
        Dsse.Envelope env = Dsse.parse(Files.readAllBytes(attestation));
        String st = edit.apply(new String(env.payload(), StandardCharsets.UTF_8));
        var k = dev.toploc.attest.SigningKey.fromPem(Files.readString(key), "key");
        Path f = dir.resolve(name);
        Files.write(f, Dsse.sign(env.payloadType(), st.getBytes(StandardCharsets.UTF_8), List.of(k)).toJson());
        return f;
    }

    static String[] verify(Path att, String... extra) {
        List<String> a = new ArrayList<>(List.of("verify", s(att), "--model", s(TINY), "--trust", s(pub)));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    // ------------------------------------------------------------------ point 1: the client's request

    @Test
    void anotherNonce_isRejectedWithNonce_andAcceptedWithout() throws Exception {
        Path other = resigned("other-nonce.json", st -> st.replace("\"" + NONCE + "\"", "\"another-request\""));
        Run without = run(verify(other));
        assertEquals(0, without.code(), without.out() + without.err());   // the negative control: the claim itself holds
        assertTrue(without.err().contains("note: no --nonce or --expect-prompt"), without.err());
        Run with = run(verify(other, "--nonce", NONCE));
        assertEquals(Toploc.REJECTED, with.code(), with.out() + with.err());
        assertTrue(with.err().contains("REJECTED: request: nonce: the attestation answers nonce 'another-request', not the request's '"
                + NONCE + "'"), with.err());
        assertFalse(with.err().contains("recomputing"), "rejected before any prefill: " + with.err());
        // the honest attestation with its own nonce passes the same check
        Run honest = run(verify(attestation, "--nonce", NONCE));
        assertEquals(0, honest.code(), honest.out() + honest.err());
        assertFalse(honest.err().contains("note: no --nonce"), honest.err());
    }

    @Test
    void anEditedPromptToken_isRejectedWithTheExpectedPrompt_andAcceptedWithout() throws Exception {
        // the provider honestly answered a prompt one token away from the client's (a valid attestation of another request)
        String edited = "Q: Why?\nA:";
        Path att = dir.resolve("edited-prompt.json");
        assertEquals(0, run("generate", "--model", s(TINY), "--prompt", edited, "--max-tokens", "8", "--nonce", NONCE, "--key", s(key),
                "-o", s(att)).code());
        int[] asked = TokenIds.fromText(PROMPT);
        Run without = run(verify(att, "--nonce", NONCE));
        assertEquals(0, without.code(), without.out() + without.err());
        Run ids = run(verify(att, "--nonce", NONCE, "--expect-prompt-ids", TokenIds.format(asked)));
        assertEquals(Toploc.REJECTED, ids.code(), ids.out() + ids.err());
        assertTrue(ids.err().contains("REJECTED: request: prompt: token 5 is " + (int) 'y' + ", the request's is " + (int) 'o'
                + " (attested 10 tokens, expected 10)"), ids.err());
        Run text = run(verify(att, "--expect-prompt", PROMPT));
        assertEquals(Toploc.REJECTED, text.code(), text.out() + text.err());
        assertTrue(text.err().contains("REJECTED: request: prompt: token 5"), text.err());
        // the expected prompt that was sent: accepted, as ids and as text through the folder's tokenizer
        assertEquals(0, run(verify(att, "--expect-prompt-ids", TokenIds.format(TokenIds.fromText(edited)))).code());
        assertEquals(0, run(verify(att, "--expect-prompt", edited)).code());
    }

    @Test
    void anotherCompletion_isRejectedWithTheExpectedCompletion() throws Exception {
        JsonNode st = M.readTree(Dsse.parse(Files.readAllBytes(attestation)).payload()).get("predicate");
        List<String> ids = new ArrayList<>();
        st.get("completionTokenIds").forEach(n -> ids.add(n.asText()));
        Run ok = run(verify(attestation, "--expect-completion-ids", String.join(",", ids)));
        assertEquals(0, ok.code(), ok.out() + ok.err());
        ids.set(2, ids.get(2).equals("65") ? "66" : "65");
        Run bad = run(verify(attestation, "--expect-completion-ids", String.join(",", ids)));
        assertEquals(Toploc.REJECTED, bad.code(), bad.out() + bad.err());
        assertTrue(bad.err().contains("REJECTED: request: completion: token 2 is "), bad.err());
    }

    @Test
    void expectationsAreRefusedWithBareProofs_andTwoPromptsAreAUsageError() {
        Run two = run(verify(attestation, "--expect-prompt", PROMPT, "--expect-prompt-ids", "1,2"));
        assertEquals(Toploc.BAD_INPUT, two.code(), two.err());
        assertTrue(two.err().contains("give the expected prompt once"), two.err());
        Run bare = run("verify", "--proofs", s(attestation), "--prompt-ids", "1", "--completion-ids", "2", "--model", s(TINY), "--nonce", "x");
        assertEquals(Toploc.BAD_INPUT, bare.code(), bare.err());
        assertTrue(bare.err().contains("--nonce and --expect-* check an attestation"), bare.err());
    }

    // ------------------------------------------------------------------ point 2: one JSON object on every exit path

    /** Exactly one JSON value, an object, and nothing after it. */
    static ObjectNode one(String out) throws Exception {
        try (JsonParser p = M.getFactory().createParser(out)) {
            JsonNode n = M.readTree(p);
            assertTrue(n != null && n.isObject(), "not a JSON object: " + out);
            assertNull(p.nextToken(), "more than one JSON value: " + out);
            return (ObjectNode) n;
        }
    }

    /** No number is non-finite, and no string outside a nonFinite map or the statement stands for one. */
    static void noNonFiniteNumbers(JsonNode n, String path) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("nonFinite") && !(path.isEmpty() && e.getKey().equals("statement"))) {
                    noNonFiniteNumbers(e.getValue(), path + "." + e.getKey());
                }
            });
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                noNonFiniteNumbers(n.get(i), path + "[" + i + "]");
            }
        } else if (n.isNumber()) {
            assertTrue(Double.isFinite(n.doubleValue()), path);
        } else if (n.isTextual()) {
            assertFalse(List.of("Infinity", "-Infinity", "NaN").contains(n.asText()), path + " is the string " + n.asText());
        }
    }

    interface Args {
        String[] make() throws Exception;
    }

    static Stream<Arguments> exitPaths() {
        return Stream.of(
                Arguments.of("accepted", (Args) () -> verify(attestation, "--nonce", NONCE), 0, "verification", null, true),
                Arguments.of("usage: missing --model", (Args) () -> new String[] {"verify", s(attestation), "--json"}, 2, "usage", null, false),
                Arguments.of("usage: unknown option", (Args) () -> verify(attestation, "--no-such-flag"), 2, "usage", null, false),
                Arguments.of("missing file", (Args) () -> verify(dir.resolve("nope.json")), 2, "input", null, false),
                Arguments.of("not JSON", (Args) () -> verify(Files.writeString(dir.resolve("garbage.json"), "not json")), 2, "attestation",
                        "envelope", false),
                Arguments.of("bad signature", (Args) () -> {
                    ObjectNode env = (ObjectNode) M.readTree(Files.readAllBytes(attestation));
                    String st = new String(Base64.getDecoder().decode(env.get("payload").asText()), StandardCharsets.UTF_8);
                    env.put("payload", Base64.getEncoder().encodeToString(st.replace(NONCE, "forged").getBytes(StandardCharsets.UTF_8)));
                    return verify(Files.write(dir.resolve("altered.json"), M.writeValueAsBytes(env)));
                }, 1, "attestation", "signature", false),
                Arguments.of("untrusted key", (Args) () -> new String[] {"verify", s(attestation), "--model", s(TINY), "--trust", s(otherPub)}, 1,
                        "attestation", "trust", false),
                Arguments.of("another nonce", (Args) () -> verify(attestation, "--nonce", "another"), 1, "request", "request", true),
                Arguments.of("model digest mismatch", (Args) () -> new String[] {"verify", s(attestation), "--model", s(TINY_B), "--trust", s(pub)},
                        1, "model", "model", true),
                Arguments.of("policy of other weights", (Args) () -> {
                    Path other = dir.resolve("other-policy.json");
                    Files.writeString(other, Files.readString(TINY.resolve("toploc-policy.json"))
                            .replaceAll("\"weightsSha256\" : \"[0-9a-f]+\"", "\"weightsSha256\" : \"" + "1".repeat(64) + "\""));
                    return verify(attestation, "--policy", s(other));
                }, 2, "policy", null, true),
                Arguments.of("termination rejected", (Args) () -> verify(resigned("short.json", st -> st.replace("\"maxTokens\" : 12", "\"maxTokens\" : 20")),
                        "--no-replay"), 1, "verification", "termination", true),
                Arguments.of("check: missing proofs file", (Args) () -> new String[] {"check", "--activations", s(dir.resolve("no.npy")), "--proofs",
                        s(dir.resolve("no.txt"))}, 2, "input", null, false),
                Arguments.of("validate: no files", (Args) () -> new String[] {"validate", "--model", s(TINY)}, 2, "usage", null, false),
                Arguments.of("validate: no model folder", (Args) () -> new String[] {"validate", s(attestation), "--model", s(dir.resolve("no-model"))},
                        2, "input", null, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exitPaths")
    void json_isExactlyOneObject_onEveryExitPath(String name, Args args, int code, String stage, String check, boolean signed) throws Exception {
        List<String> a = new ArrayList<>(List.of(args.make()));
        if (!a.contains("--json")) {
            a.add("--json");
        }
        Run r = run(a.toArray(String[]::new));
        assertEquals(code, r.code(), name + ": " + r.out() + r.err());
        ObjectNode n = one(r.out());
        assertEquals(JsonOutcome.verdict(code), n.get("verdict").asText(), name);
        assertEquals(code, n.get("exitCode").asInt(), name);
        assertEquals(stage, n.get("stage").asText(), name + ": " + n);
        assertEquals(check, n.get("check").isNull() ? null : n.get("check").asText(), name + ": " + n);
        assertTrue(n.get("message").isTextual() && !n.get("message").asText().isEmpty(), name);
        noNonFiniteNumbers(n, "");
        if (a.get(0).equals("verify")) {
            for (String f : List.of("policy", "signer", "statement", "expected")) {
                assertTrue(n.has(f), name + ": no field " + f + " in " + n);
            }
            assertEquals(signed, n.get("signer").isObject(), name + ": signer " + n.get("signer"));
            assertEquals(signed, n.get("statement").isObject(), name + ": statement");
            if (signed) {
                assertEquals(dev.toploc.attest.PublicKey.allFromPem(Files.readString(pub), "pub").get(0).keyId(),
                        n.get("signer").get("keyId").asText());
                assertEquals(NONCE, n.get("statement").get("predicate").get("nonce").asText());
            }
        }
        assertFalse(r.err().contains("\tat "), "a stack trace: " + r.err());
    }

    @Test
    void json_policyAndReport_areOnTheAcceptedAndRejectedPaths() throws Exception {
        ObjectNode ok = one(run(verify(attestation, "--json")).out());
        assertEquals(true, ok.get("accepted").asBoolean());
        assertTrue(ok.get("policy").get("source").asText().contains("calibrated on tiny-fortunes-llama"), ok.toString());
        assertTrue(ok.get("policyChoice").asText().length() > 0);
        assertTrue(ok.get("chunks").size() > 0);
        ObjectNode model = one(run("verify", s(attestation), "--model", s(TINY_B), "--trust", s(pub), "--json").out());
        assertTrue(model.get("message").asText().startsWith("model: weights sha256"), model.toString());
        assertTrue(model.get("policy").isNull(), "no policy is chosen before the model holds: " + model);
    }

    /** Infinite thresholds (the reference's policy has no sequence-average bound) are null, named in nonFinite. */
    @Test
    void json_nonFiniteNumbers_areNullAndNamed(@TempDir Path d) throws Exception {
        Path states = d.resolve("s.npy");
        assertEquals(0, run("prefill", "--model", s(TINY), "--prompt", "Q: Why?\nA: because", "-o", s(states)).code());
        Run c = run("commit", "--activations", s(states), "--prefill-rows", "8");
        Path proofs = Files.writeString(d.resolve("p.txt"), c.out());
        Run j = run("check", "--activations", s(states), "--proofs", s(proofs), "--prefill-rows", "8", "--json");
        assertEquals(0, j.code(), j.err());
        ObjectNode n = one(j.out());
        noNonFiniteNumbers(n, "");
        assertTrue(n.get("policy").get("maxAvgMantErrMean").isNull(), n.toString());
        assertEquals("Infinity", n.get("policy").get("nonFinite").get("maxAvgMantErrMean").asText());
        assertEquals("accepted", n.get("verdict").asText());
        // the rewrite of a library's report: numbers and the strings that stood for them, nested too
        ObjectNode lib = (ObjectNode) M.readTree("{\"a\": \"Infinity\", \"b\": 1.5, \"c\": [{\"d\": \"NaN\"}], \"e\": \"text\"}");
        JsonOutcome.finite(lib);
        assertEquals(M.readTree("{\"a\": null, \"b\": 1.5, \"c\": [{\"d\": null, \"nonFinite\": {\"d\": \"NaN\"}}], \"e\": \"text\","
                + " \"nonFinite\": {\"a\": \"Infinity\"}}"), lib);
        ObjectNode nums = M.createObjectNode();
        Report.putNum(nums, "x", Double.NEGATIVE_INFINITY);
        Report.putNum(nums, "y", Double.NaN);
        Report.putNum(nums, "z", 0.25);
        assertEquals(M.readTree("{\"x\": null, \"nonFinite\": {\"x\": \"-Infinity\", \"y\": \"NaN\"}, \"y\": null, \"z\": 0.25}"), nums);
    }

    /** An internal error (out of memory in a small heap) with --json: one object, verdict internal-error. */
    @Test
    void json_onAnInternalError(@TempDir Path d) throws Exception {
        Path big = ExitCodesCliTest.bigNpy(d, 64 * 1024);
        Run r = ExitCodesCliTest.child("64m", Map.of(), "check", "--activations", s(big), "--proofs", s(big), "--json");
        assertEquals(Toploc.INTERNAL_ERROR, r.code(), r.out() + r.err());
        ObjectNode n = one(r.out());
        assertEquals("internal-error", n.get("verdict").asText());
        assertEquals(3, n.get("exitCode").asInt());
        assertTrue(n.get("message").asText().startsWith("internal error: java.lang.OutOfMemoryError"), n.toString());
    }

    /** The stderr line naming the policy carries its (untrusted) source escaped. */
    @Test
    void policyLine_isEscaped(@TempDir Path d) throws Exception {
        String hostile = "\u202eDETCEJER\u202c";
        Path policy = d.resolve("policy.json");
        Files.writeString(policy, Files.readString(TINY.resolve("toploc-policy.json"))
                .replaceFirst("\"source\" : \"[^\"]*\"", "\"source\" : \"" + hostile + "\""));
        Run v = run(verify(attestation, "--nonce", NONCE, "--policy", s(policy)));
        assertEquals(0, v.code(), v.out() + v.err());
        assertFalse(v.err().contains("\u202e"), "a raw bidi override on stderr: " + v.err());
        assertTrue(v.err().contains("(calibrated for these weights): \\u202eDETCEJER\\u202c"), v.err());   // it got there, escaped
    }
}
