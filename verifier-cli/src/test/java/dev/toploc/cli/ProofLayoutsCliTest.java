package dev.toploc.cli;

import static dev.toploc.cli.CliTest.TINY;
import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check} and {@code verify --proofs} read every stored layout of the Python stack, and fp16 proofs. */
class ProofLayoutsCliTest {
    static final String TEXT = "Q: Is it raining?\nA: Yes, but only on Tuesdays. And on some Fridays, when the moon is out.";
    static final int PROMPT = 18;

    @TempDir
    static Path dir;
    static Path npy;
    static List<String> lines;

    @BeforeAll
    static void commitsOfAPrefillDump() throws Exception {
        npy = dir.resolve("states.npy");
        CliTest.Run p = run("prefill", "--model", s(TINY), "--prompt", TEXT, "--mode", "bf16", "-o", s(npy));
        assertEquals(0, p.code(), p.err());
        CliTest.Run c = run("commit", "--activations", s(npy), "--prefill-rows", String.valueOf(PROMPT));
        assertEquals(0, c.code(), c.err());
        lines = CliTest.commitLines(c.out());
        assertEquals(4, lines.size());   // 1 prefill + 3 decode chunks
    }

    static Path write(String name, byte[] data) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, data);
        return f;
    }

    static byte[] binary(List<String> b64) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        b64.forEach(l -> out.writeBytes(Base64.getDecoder().decode(l)));
        return out.toByteArray();
    }

    static String[] interop(Path proofs, String... extra) {
        int[] ids = TokenIds.fromText(TEXT);
        int[] prompt = Arrays.copyOf(ids, PROMPT);
        int[] completion = Arrays.copyOfRange(ids, PROMPT, ids.length + 1);   // the token after the dump's last row
        completion[completion.length - 1] = 'x';
        String[] base = {"verify", "--proofs", s(proofs), "--prompt-ids", TokenIds.format(prompt), "--completion-ids", TokenIds.format(completion),
                "--model", s(TINY), "--prefill-chunk"};
        String[] all = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void everyLayout_isAcceptedByCheckAndVerify() throws Exception {
        Path[] files = {
                write("lines.txt", (String.join("\n", lines) + "\n").getBytes(StandardCharsets.US_ASCII)),
                write("concat.txt", String.join("", lines).getBytes(StandardCharsets.US_ASCII)),
                write("proofs.bin", binary(lines)),
                write("list.json", ("[\"" + String.join("\",\"", lines) + "\"]").getBytes(StandardCharsets.US_ASCII))};
        for (Path f : files) {
            CliTest.Run c = run("check", "--activations", s(npy), "--proofs", s(f), "--prefill-rows", String.valueOf(PROMPT));
            assertEquals(0, c.code(), f + ": " + c.out() + c.err());
            CliTest.Run v = run(interop(f, "--positions", "decode-steps", "--mode", "bf16"));
            assertEquals(0, v.code(), f + ": " + v.out() + v.err());
        }
    }

    @Test
    void positionsAuto_isTheDefault_andSaysWhichConventionPassed() throws Exception {
        Path f = write("auto.bin", binary(lines));
        CliTest.Run v = run(interop(f, "--mode", "bf16"));
        assertEquals(0, v.code(), v.out() + v.err());
        assertTrue(v.out().contains("commits pass with positions decode-steps (not produced)"), v.out());
        CliTest.Run forced = run(interop(f, "--mode", "bf16", "--positions", "produced"));
        assertEquals(Toploc.REJECTED, forced.code(), forced.out() + forced.err());
        CliTest.Run replay = run(interop(f, "--mode", "bf16", "--sampling", "greedy"));
        assertEquals(Toploc.BAD_INPUT, replay.code(), replay.err());
        assertTrue(replay.err().contains("give --positions produced or decode-steps"), replay.err());
        CliTest.Run json = run(interop(f, "--mode", "bf16", "--json"));
        assertEquals(0, json.code(), json.err());
        var n = Report.JSON.readTree(json.out());
        assertEquals("decode-steps", n.get("positions").asText());
        assertEquals("binary", n.get("layout").asText());
        assertEquals(4, n.get("chunks").size());
    }

    @Test
    void check_isTieTolerantByDefault_onTheReferencesTiedVector_andStrictOnRequest() throws Exception {
        Path ref = dev.toploc.vectors.TestVectors.reference();
        var node = Report.JSON.readTree(ref.resolve("bf16-h2048-k128.json").toFile());
        Path states = dir.resolve("tied.npy");
        try (var out = Files.newOutputStream(states)) {
            Npy.write(out, "<u2", node.get("decode_rows").asInt(), node.get("hidden").asInt(), Files.readAllBytes(ref.resolve("bf16-h2048-k128.bin")));
        }
        List<String> b64 = new java.util.ArrayList<>();
        node.get("proofs_base64").forEach(n -> b64.add(n.asText()));
        Path proofs = write("tied.txt", String.join("", b64).getBytes(StandardCharsets.US_ASCII));   // SYNTHETIC-1's layout
        CliTest.Run tolerant = run("check", "--activations", s(states), "--proofs", s(proofs), "--json");
        assertEquals(0, tolerant.code(), tolerant.err());
        var chunks = Report.JSON.readTree(tolerant.out()).get("chunks");
        int strictTotal = 0;
        for (int i = 0; i < chunks.size(); i++) {
            assertEquals(0, chunks.get(i).get("expMismatches").asInt(), tolerant.out());
            int expected = node.get("expected_self_check").get(i).get("exp_mismatches").asInt();
            int shown = chunks.get(i).has("strict") ? chunks.get(i).get("strict").get("expMismatches").asInt() : 0;
            assertEquals(expected, shown, "chunk " + i + ": the strict statistics are reported beside");
            strictTotal += shown;
        }
        assertTrue(strictTotal > 0, "the vector is tied");
        CliTest.Run strict = run("check", "--activations", s(states), "--proofs", s(proofs), "--json", "--ties", "strict");
        assertEquals(0, strict.code(), strict.err());
        var sc = Report.JSON.readTree(strict.out()).get("chunks");
        for (int i = 0; i < sc.size(); i++) {
            assertEquals(node.get("expected_self_check").get(i).get("exp_mismatches").asInt(), sc.get(i).get("expMismatches").asInt());
        }
    }

    @Test
    void truncatedBinary_isBadInputNamingTheRecordSize() throws Exception {
        byte[] b = binary(lines);
        Path f = write("short.bin", Arrays.copyOf(b, b.length - 3));
        CliTest.Run c = run("check", "--activations", s(npy), "--proofs", s(f), "--prefill-rows", String.valueOf(PROMPT));
        assertEquals(Toploc.BAD_INPUT, c.code(), c.out());
        assertTrue(c.err().contains("1029 bytes is not a whole number of 258-byte commits"), c.err());
        CliTest.Run v = run(interop(f, "--positions", "decode-steps", "--mode", "bf16"));
        assertEquals(Toploc.BAD_INPUT, v.code(), v.out());
        assertTrue(v.err().contains("is not a whole number of 258-byte commits"), v.err());
    }

    @Test
    void fp16Proofs_verifyWithDtypeFp16_andNotAsBf16() throws Exception {
        Path npy16 = dir.resolve("states16.npy");
        assertEquals(0, run("prefill", "--model", s(TINY), "--prompt", TEXT, "--mode", "fp16", "-o", s(npy16)).code());
        CliTest.Run c = run("commit", "--activations", s(npy16), "--prefill-rows", String.valueOf(PROMPT), "--dtype", "fp16");
        assertEquals(0, c.code(), c.err());
        Path f = write("fp16.bin", binary(CliTest.commitLines(c.out())));
        CliTest.Run ok = run(interop(f, "--positions", "decode-steps", "--dtype", "fp16", "--mode", "fp16"));
        assertEquals(0, ok.code(), ok.out() + ok.err());
        CliTest.Run asBf16 = run(interop(f, "--positions", "decode-steps", "--mode", "fp16"));
        assertEquals(Toploc.REJECTED, asBf16.code(), asBf16.out() + asBf16.err());
        CliTest.Run fp32 = run(interop(f, "--positions", "decode-steps", "--dtype", "fp32", "--mode", "fp16"));
        assertEquals(Toploc.BAD_INPUT, fp32.code(), fp32.err());
        assertTrue(fp32.err().contains("proofs are bf16 or fp16"), fp32.err());
    }
}
