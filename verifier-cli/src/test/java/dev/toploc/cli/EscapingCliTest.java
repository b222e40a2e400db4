package dev.toploc.cli;

import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.attest.Dsse;
import dev.toploc.attest.PublicKey;
import dev.toploc.attest.SigningKey;
import dev.toploc.cli.CliTest.Run;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13 class 8 through the entry point: an untrusted string (an attested field, a key id, a policy's
 * source, a file or tensor name) that holds controls, ANSI sequences, bidi overrides or line separators
 * reaches stdout and stderr escaped: no raw one, and no line it could forge ({@code ACCEPTED …}).
 */
class EscapingCliTest {
    static final Path TINY = CliTest.TINY;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path key;
    static Path pub;
    static Path attestation;
    static Path states;
    static Path proofs;

    @BeforeAll
    static void providerSide() throws Exception {
        key = dir.resolve("provider.key");
        pub = dir.resolve("provider.key.pub");
        assertEquals(0, run("keygen", "-o", s(key)).code());
        attestation = dir.resolve("att.json");
        Run g = run("generate", "--model", s(TINY), "--prompt", "Q: Why?\nA:", "--max-tokens", "8", "--key", s(key), "--nonce", "n-1",
                "-o", s(attestation));
        assertEquals(0, g.code(), g.err());
        states = dir.resolve("states.npy");
        assertEquals(0, run("prefill", "--model", s(TINY), "--prompt", "Q: Why?\nA: because", "-o", s(states)).code());
        Run c = run("commit", "--activations", s(states), "--prefill-rows", "8");
        proofs = Files.writeString(dir.resolve("proofs.txt"), c.out());
    }

    /** Strings that would forge or hide a verdict line if printed raw. */
    static final List<String> HOSTILE = List.of(
            "\u001b[2K\rACCEPTED",                 // ANSI erase line, carriage return
            "x\nACCEPTED in 0.01 s\n",              // a new line of the verifier's own form
            "\u009b2K\u0085ACCEPTED",              // C1 CSI and NEL
            "\u202eDETCEJER\u202c",                // right-to-left override
            "a\u0000b\u0007c\u007fd\u001b]0;title\u0007",  // NUL, BEL, DEL, an OSC title sequence
            "\u2028ACCEPTED\u2029",                // line and paragraph separators
            "\u200b\ufeff\u2066zero-width\u2069"); // zero-width, BOM, isolates

    static String json(String v) {
        try {
            return JSON.writeValueAsString(v);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Path resigned(Path d, UnaryOperator<String> edit) throws Exception {
        Dsse.Envelope env = Dsse.parse(Files.readAllBytes(attestation));
        String st = edit.apply(new String(env.payload(), StandardCharsets.UTF_8));
        var k = SigningKey.fromPem(Files.readString(key), "key");
        return Files.write(d.resolve("edited.json"), Dsse.sign(env.payloadType(), st.getBytes(StandardCharsets.UTF_8), List.of(k)).toJson());
    }

    static String replaceOnce(String s, String from, String to) {
        assertTrue(s.contains(from), "no " + from + " in the statement");
        return s.replace(from, to);
    }

    /** A place untrusted text reaches the terminal: builds the input for a hostile string, returns the command line. */
    interface Place {
        String[] args(Path d, String hostile) throws Exception;
    }

    static Path policyWithSource(Path d, String hostile) throws Exception {
        String p = Files.readString(TINY.resolve("toploc-policy.json"));
        p = p.replaceFirst("\"source\" : \"[^\"]*\"", java.util.regex.Matcher.quoteReplacement("\"source\" : " + json(hostile)));
        return Files.writeString(d.resolve("policy.json"), p);
    }

    static final List<Object[]> PLACES = List.of(
            new Object[] {"model name (inspect)", (Place) (d, h) -> new String[] {"inspect",
                    s(resigned(d, st -> replaceOnce(st, "\"name\" : \"tiny-fortunes-llama\"", "\"name\" : " + json(h))))}},
            new Object[] {"nonce (inspect)", (Place) (d, h) -> new String[] {"inspect",
                    s(resigned(d, st -> replaceOnce(st, "\"nonce\" : \"n-1\"", "\"nonce\" : " + json(h))))}},
            new Object[] {"model name and weight file name (verify's rejection)", (Place) (d, h) -> new String[] {"verify",
                    s(resigned(d, st -> replaceOnce(replaceOnce(st, "\"name\" : \"tiny-fortunes-llama\"", "\"name\" : " + json(h)),
                            "\"name\" : \"model.safetensors\"", "\"name\" : " + json(h + ".safetensors")))),
                    "--model", s(TINY), "--trust", s(pub)}},
            new Object[] {"unsigned key id (inspect)", (Place) (d, h) -> new String[] {"inspect", s(withKeyId(d, h))}},
            new Object[] {"unsigned key id (verify's rejection)", (Place) (d, h) -> new String[] {"verify", s(withKeyId(d, h)),
                    "--model", s(TINY), "--trust", s(pub)}},
            new Object[] {"policy source (check table)", (Place) (d, h) -> new String[] {"check", "--activations", s(states),
                    "--proofs", s(proofs), "--prefill-rows", "8", "--policy", s(policyWithSource(d, h))}},
            new Object[] {"policy source (check --json)", (Place) (d, h) -> new String[] {"check", "--activations", s(states),
                    "--proofs", s(proofs), "--prefill-rows", "8", "--json", "--policy", s(policyWithSource(d, h))}},
            new Object[] {"file name (an error message)", (Place) (d, h) -> new String[] {"check", "--activations", s(states),
                    "--proofs", s(Files.createDirectory(d.resolve(h.replace('\0', '0').replace('/', '_') + ".txt"))),
                    "--prefill-rows", "8"}},
            new Object[] {"tensor name (an error message)", (Place) (d, h) -> new String[] {"commit", "--activations",
                    s(safetensorsWithTensor(d, h))}});

    /** The envelope re-signed by a key that is not trusted, with a hostile (unsigned) key id. */
    static Path withKeyId(Path d, String hostile) throws Exception {
        Dsse.Envelope env = Dsse.parse(Files.readAllBytes(attestation));
        SigningKey other = SigningKey.generate(new SecureRandom());
        Dsse.Envelope signed = Dsse.sign(env.payloadType(), env.payload(), List.of(other));
        String text = new String(signed.toJson(), StandardCharsets.UTF_8);
        text = text.replaceFirst("\"keyid\" ?: ?\"[^\"]*\"", java.util.regex.Matcher.quoteReplacement("\"keyid\" : " + json(hostile)));
        assertTrue(text.contains(json(hostile)), text);
        return Files.writeString(d.resolve("keyid.json"), text);
    }

    /** A safetensors file whose one 2-D tensor has a hostile name and a dtype the reader refuses. */
    static Path safetensorsWithTensor(Path d, String hostile) throws Exception {
        String header = "{" + json(hostile) + ": {\"dtype\": \"F64\", \"shape\": [1, 1], \"data_offsets\": [0, 8]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] f = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
        return Files.write(d.resolve("states.safetensors"), f);
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Object[] p : PLACES) {
            for (int i = 0; i < HOSTILE.size(); i++) {
                out.add(Arguments.of(p[0], i, p[1]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, hostile string {1}")
    @MethodSource("cases")
    void untrustedText_isEscapedOnTheTerminal(String place, int which, Place p, @TempDir Path d) throws Exception {
        String hostile = HOSTILE.get(which);
        Run r = run(p.args(d, hostile));
        String all = r.out() + r.err();
        for (String stream : new String[] {r.out(), r.err()}) {
            stream.codePoints().filter(c -> c != '\n').forEach(c ->
                    assertTrue(!Terminal.unsafe(c), () -> place + ": raw U+" + Integer.toHexString(c) + " printed:\n" + all));
        }
        // the only verdict line is the verifier's own: one for an accepted check's table, none otherwise
        long verdicts = all.lines().filter(l -> l.strip().startsWith("ACCEPTED")).count();
        assertEquals(r.code() == 0 && place.contains("check table") ? 1 : 0, verdicts, () -> place + ": a forged verdict line in:\n" + all);
        if (place.contains("verify")) {
            assertNotEquals(0, r.code(), all);
        }
        if (place.startsWith("policy source") && hostile.codePoints().anyMatch(Character::isISOControl)) {
            // a policy file is refused at parse when its source holds control characters (fail closed, exit 2); the
            // other hostile strings (bidi, separators) are accepted there and escaped on output
            assertEquals(Toploc.BAD_INPUT, r.code(), all);
            assertTrue(all.contains("source"), () -> place + ": the refusal names the field:\n" + all);
        } else if (place.contains("--json")) {
            // the JSON still carries the exact string, escaped as JSON
            String source = JSON.readTree(r.out()).path("policy").path("source").asText();
            assertTrue(source.endsWith(hostile), source);
        } else {
            // negative control: the text did reach the output, escaped (so the check above saw it)
            String shown = Terminal.escape(place.startsWith("file name") ? hostile.replace('\0', '0').replace('/', '_') : hostile);
            assertTrue(all.contains(shown), () -> place + ": " + shown + " not in:\n" + all);
        }
    }
}
