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
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13 through the real entry point: hostile claims (classes 1-3), trust files of several keys
 * (class 4) and hostile sizes (class 6) end in their exit code and message, never exit 0, never a trace.
 */
class HostileClaimsCliTest {
    static final Path TINY = TestVectors.model("tiny-fortunes-llama");

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

    @BeforeAll
    static void providerSide() {
        key = dir.resolve("provider.key");
        pub = dir.resolve("provider.key.pub");
        assertEquals(0, run("keygen", "-o", key.toString()).code());
        attestation = dir.resolve("att.json");
        Run g = run("generate", "--model", TINY.toString(), "--prompt", "Q: Who?\nA:", "--max-tokens", "12", "--temperature", "0.8",
                "--seed", "3", "--key", key.toString(), "-o", attestation.toString());
        assertEquals(0, g.code(), g.err());
    }

    /** The attestation's statement edited, then signed again with the provider's own key. */
    static Path resigned(Path d, String name, UnaryOperator<String> edit) throws Exception {
        Dsse.Envelope env = Dsse.parse(Files.readAllBytes(attestation));
        String st = edit.apply(new String(env.payload(), StandardCharsets.UTF_8));
        var k = SigningKey.fromPem(Files.readString(key), "key");
        Path f = d.resolve(name);
        Files.write(f, Dsse.sign(env.payloadType(), st.getBytes(StandardCharsets.UTF_8), List.of(k)).toJson());
        return f;
    }

    interface Forge {
        Path make(Path d) throws Exception;
    }

    static Stream<Arguments> hostileClaims() {
        return Stream.of(
                Arguments.of("subnormal-temperature", (Forge) d -> resigned(d, "t.json", s -> s.replace("\"temperature\" : 0.8", "\"temperature\" : 4.9E-324")),
                        "schema: predicate.sampling.temperature 4.9E-324 is out of range"),
                Arguments.of("temperature-overflowing-to-infinity", (Forge) d -> resigned(d, "inf.json", s -> s.replace("\"temperature\" : 0.8", "\"temperature\" : 1e999")),
                        "schema: predicate.sampling.temperature Infinity is out of range"),
                Arguments.of("longer-than-maxTokens", (Forge) d -> resigned(d, "long.json", s -> s.replace("\"maxTokens\" : 12", "\"maxTokens\" : 5")),
                        "schema: predicate: the completion has 12 tokens, more than its own maxTokens 5"),
                Arguments.of("maxTokens-zero", (Forge) d -> resigned(d, "zero.json", s -> s.replace("\"maxTokens\" : 12", "\"maxTokens\" : 0")),
                        "schema: predicate.sampling.maxTokens 0 is out of range"),
                Arguments.of("chunk-near-int-max", (Forge) d -> resigned(d, "chunk.json", s -> s.replace("\"chunkSize\" : 32", "\"chunkSize\" : 2147483647")),
                        "schema: predicate.commit.chunkSize 2147483647 is out of range"),
                Arguments.of("statement-then-a-second-object", (Forge) d -> resigned(d, "two.json", s -> s + "{\"_type\": \"x\"}"),
                        "schema: statement is not valid JSON"),
                Arguments.of("statement-then-garbage", (Forge) d -> resigned(d, "garbage.json", s -> s + " garbage"),
                        "schema: statement is not valid JSON"),
                Arguments.of("envelope-then-a-second-envelope", (Forge) d -> {
                    Path f = d.resolve("env2.json");
                    Files.writeString(f, Files.readString(attestation) + Files.readString(attestation));
                    return f;
                }, "envelope: not valid JSON"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileClaims")
    void hostileClaim_isBadInput_neverAccepted(String name, Forge forge, String message, @TempDir Path d) throws Exception {
        Run v = run("verify", forge.make(d).toString(), "--model", TINY.toString(), "--trust", pub.toString());
        assertEquals(Toploc.BAD_INPUT, v.code(), name + ": " + v.out() + v.err());
        assertTrue(v.err().contains(message), () -> name + ": stderr was: " + v.err());
        assertFalse(v.out().contains("ACCEPTED"), v.out());
        assertFalse(v.err().contains("\tat "), "a stack trace: " + v.err());
    }

    @Test
    void trustFileOfTwoKeys_trustsBoth(@TempDir Path d) throws Exception {
        Path other = d.resolve("other.key");
        assertEquals(0, run("keygen", "-o", other.toString()).code());
        Path both = d.resolve("both.pub");
        Files.writeString(both, Files.readString(pub) + Files.readString(d.resolve("other.key.pub")));
        // signed by the second key of the file: today only the first was read, and this was REJECTED (trust)
        Path bySecond = d.resolve("by-second.json");
        Files.write(bySecond, Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, Dsse.parse(Files.readAllBytes(attestation)).payload(),
                List.of(SigningKey.fromPem(Files.readString(other), "k"))).toJson());
        Run v = run("verify", bySecond.toString(), "--model", TINY.toString(), "--trust", both.toString());
        assertEquals(0, v.code(), v.out() + v.err());
        assertTrue(v.out().contains("ACCEPTED"), v.out());
        // a file with a block that is not a public key is refused whole, not read in part
        Path mixed = d.resolve("mixed.pub");
        Files.writeString(mixed, Files.readString(pub) + Files.readString(other));
        Run m = run("verify", attestation.toString(), "--model", TINY.toString(), "--trust", mixed.toString());
        assertEquals(Toploc.BAD_INPUT, m.code(), m.out() + m.err());
        assertTrue(m.err().contains("PEM block 2 is 'PRIVATE KEY' (expected 'PUBLIC KEY')"), m.err());
    }

    static Stream<Arguments> hostileSizes() {
        return Stream.of(
                Arguments.of(new String[] {"--max-tokens", "2147483647"}, "beyond the model's context of 512 (max_position_embeddings)"),
                Arguments.of(new String[] {"--max-tokens", "4", "--chunk", "2147483647"}, "chunk size = 2147483647 is out of range (expected 1..1048576)"),
                Arguments.of(new String[] {"--max-tokens", "4", "--temperature", "1e-320"}, "temperature 1.0E-320 is out of range"),
                Arguments.of(new String[] {"--max-tokens", "0"}, "max tokens 0 (expected >= 1)"));
    }

    @ParameterizedTest(name = "generate {0}")
    @MethodSource("hostileSizes")
    void hostileGenerateSizes_areBadInput(String[] extra, String message, @TempDir Path d) {
        List<String> args = new java.util.ArrayList<>(List.of("generate", "--model", TINY.toString(), "--prompt", "x", "--key", key.toString(),
                "-o", d.resolve("out.json").toString()));
        args.addAll(List.of(extra));
        Run g = run(args.toArray(String[]::new));
        assertEquals(Toploc.BAD_INPUT, g.code(), g.out() + g.err());
        assertTrue(g.err().contains(message), g.err());
        assertFalse(g.err().contains("\tat "), "a stack trace: " + g.err());
        assertFalse(Files.exists(d.resolve("out.json")));
    }

    @Test
    void prefillThatCannotBeComputed_writesNothing(@TempDir Path d) throws Exception {
        Path broken = d.resolve("inf-weights");
        dev.toploc.calibration.WeightEdits.write(TINY, broken, (w, rows, cols) -> w[0] = Float.POSITIVE_INFINITY);
        Path npy = d.resolve("states.npy");
        Run p = run("prefill", "--model", broken.toString(), "--prompt", "Q: Why?\nA:", "-o", npy.toString());
        assertEquals(Toploc.BAD_INPUT, p.code(), p.out() + p.err());
        assertTrue(p.err().contains("the prefill produced NaN at position 0"), p.err());
        assertFalse(Files.exists(npy));
        // the control: the same command on the intact weights writes the states
        Run ok = run("prefill", "--model", TINY.toString(), "--prompt", "Q: Why?\nA:", "-o", npy.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.exists(npy));
    }

    /** Without the token replay, the stop rule is still checked: it needs no logits. */
    @Test
    void noReplay_stillChecksTheStopRule(@TempDir Path d) throws Exception {
        Path f = resigned(d, "short.json", s -> s.replace("\"maxTokens\" : 12", "\"maxTokens\" : 20"));
        Run v = run("verify", f.toString(), "--model", TINY.toString(), "--trust", pub.toString(), "--no-replay");
        assertEquals(Toploc.REJECTED, v.code(), v.out() + v.err());
        assertTrue(v.err().contains("termination: stop is 'length' but the completion has 12 tokens, not the declared maxTokens 20"), v.err());
        Run ok = run("verify", attestation.toString(), "--model", TINY.toString(), "--trust", pub.toString(), "--no-replay");
        assertEquals(0, ok.code(), ok.out() + ok.err());
    }
}
