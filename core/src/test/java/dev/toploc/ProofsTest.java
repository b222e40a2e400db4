package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toploc.vectors.TestVectors;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Every stored proof layout of the Python stack, read from the reference's own commits, and each malformed form. */
class ProofsTest {
    static final JsonNode CASE = Golden.json(TestVectors.reference().resolve("bf16-h2048-k128.json"));
    static final CommitSpec SPEC = CommitSpec.DEFAULT;

    static List<String> b64() {
        List<String> out = new ArrayList<>();
        CASE.get("proofs_base64").forEach(n -> out.add(n.asText()));
        return out;
    }

    static List<Commit> expected() throws CommitFormatException {
        List<Commit> out = new ArrayList<>();
        for (String s : b64()) {
            out.add(Commit.fromBase64(s, CommitEncoding.V1, 128));
        }
        return out;
    }

    static byte[] binary() throws CommitFormatException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Commit c : expected()) {
            b.writeBytes(c.toBytes());
        }
        return b.toByteArray();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void recordSizes_followFromTheSpec() {
        assertEquals(258, Proofs.recordBytes(SPEC));
        assertEquals(344, Proofs.recordChars(SPEC));
        assertEquals(130, Proofs.recordBytes(new CommitSpec(Dtype.FP16, 64, 32)));
        assertEquals(176, Proofs.recordChars(new CommitSpec(Dtype.FP16, 64, 32)));   // padded: "==" at the end of each
    }

    static Stream<Arguments> layouts() throws Exception {
        List<String> b = b64();
        String json = "[" + String.join(", ", b.stream().map(s -> "\"" + s + "\"").toList()) + "]";
        return Stream.of(
                Arguments.of("lines", utf8(String.join("\n", b) + "\n"), Proofs.Layout.LINES),
                Arguments.of("lines with comments and CRLF", utf8("# proofs\r\n" + String.join("\r\n", b) + "\r\n\r\n"), Proofs.Layout.LINES),
                Arguments.of("concatenated base64 (SYNTHETIC-1)", utf8(String.join("", b)), Proofs.Layout.BASE64_CONCATENATED),
                Arguments.of("binary (prime-rl Parquet, paper .bin)", binary(), Proofs.Layout.BINARY),
                Arguments.of("JSON list (SGLang)", utf8(json), Proofs.Layout.JSON_LIST));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void everyLayout_readsTheSameCommits_explicitAndAuto(String name, byte[] data, Proofs.Layout layout) throws Exception {
        Proofs.Parsed auto = Proofs.read(data, Proofs.Layout.AUTO, SPEC, "proofs");
        assertEquals(expected(), auto.commits());
        assertEquals(layout, auto.layout());
        Proofs.Layout explicit = layout == Proofs.Layout.BASE64_CONCATENATED ? Proofs.Layout.BASE64_CONCATENATED : layout;
        assertEquals(expected(), Proofs.read(data, explicit, SPEC, "proofs").commits());
    }

    @Test
    void empty_isAnEmptyList_asPrimeRlStoresForShortOutputs() throws Exception {
        assertEquals(List.of(), Proofs.read(new byte[0], Proofs.Layout.AUTO, SPEC, "p").commits());
        assertEquals(List.of(), Proofs.read(new byte[0], Proofs.Layout.BINARY, SPEC, "p").commits());
        assertEquals(List.of(), Proofs.read(utf8("[]"), Proofs.Layout.AUTO, SPEC, "p").commits());
    }

    static Stream<Arguments> malformed() throws Exception {
        byte[] bin = binary();
        String one = b64().get(0);
        byte[] nullProof = new byte[258];   // the reference's "null proof"
        byte[] withNull = Arrays.copyOf(bin, bin.length + 258);
        System.arraycopy(nullProof, 0, withNull, bin.length, 258);
        return Stream.of(
                Arguments.of(Arrays.copyOf(bin, bin.length - 1), Proofs.Layout.AUTO,
                        "p: 1805 bytes is not a whole number of 258-byte commits (k = 128, bf16, toploc-v1: 258 bytes, 344 base64 characters each): 6 commits and 257 bytes left over"),
                Arguments.of(withNull, Proofs.Layout.BINARY,
                        "commit 7 (p, bytes 1806..2063): all zero bytes, the reference's 'null proof' (its hooks emit it when committing failed): "
                                + "the provider did not commit to these states"),
                Arguments.of(utf8(one + "A\n"), Proofs.Layout.AUTO,
                        "p line 1: 345 base64 characters is not a whole number of 344-character commits (k = 128, bf16, toploc-v1: 258 bytes, 344 base64 characters each): 1 commits and 1 characters left over"),
                Arguments.of(utf8(one + one), Proofs.Layout.LINES,
                        "p line 1: 688 characters holds 2 commits, expected one per line (layout lines; use base64-concat or auto)"),
                Arguments.of(utf8("[\"" + one + "\", 7]"), Proofs.Layout.AUTO,
                        "p: element 1 is a JSON number, expected a base64 string of one commit (k = 128, bf16, toploc-v1: 258 bytes, 344 base64 characters each)"),
                Arguments.of(utf8("[\"" + one + "\""), Proofs.Layout.AUTO, "p: not valid JSON"),
                Arguments.of(utf8("{\"a\": 1}"), Proofs.Layout.JSON_LIST, "p: not a JSON list"),
                Arguments.of(bin, Proofs.Layout.LINES, "p: not UTF-8 text"),
                Arguments.of(utf8("[\"" + one.substring(0, 100) + "\"]"), Proofs.Layout.AUTO,
                        "commit 0 (p, element 0): length 75 bytes is not a whole toploc-v1 commit"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformed_isATypedErrorNamingWhereAndWhatWasExpected(byte[] data, Proofs.Layout layout, String message) {
        CommitFormatException e = assertThrows(CommitFormatException.class, () -> Proofs.read(data, layout, SPEC, "p"));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void fp16Records_areSplitByTheirOwnSize() throws Exception {
        CommitSpec fp16 = new CommitSpec(Dtype.FP16, 64, 32);
        JsonNode c = Golden.json(TestVectors.reference().resolve("fp16-h1024-k64.json"));
        List<String> b = new ArrayList<>();
        c.get("proofs_base64").forEach(n -> b.add(n.asText()));
        Proofs.Parsed p = Proofs.read(utf8(String.join("", b)), Proofs.Layout.AUTO, fp16, "p");
        assertEquals(b.size(), p.commits().size());
        assertEquals(b, p.commits().stream().map(Commit::toBase64).toList());
        // read with the wrong k, the same text is not a whole number of records
        assertThrows(CommitFormatException.class, () -> Proofs.read(utf8(String.join("", b)), Proofs.Layout.AUTO, SPEC, "p"));
    }
}
