package dev.toploc.cli;

import static dev.toploc.cli.CliTest.TINY;
import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code toploc validate}: exit codes, {@code --json} per file, {@code -o} tables that never overwrite. */
class ValidateCliTest {
    static final String TEXT = "Q: Is it raining?\nA: Yes, but only on Tuesdays. And on some Fridays, when the moon is out.";
    static final int PROMPT = 18;

    @TempDir
    static Path dir;
    static String honestLine;
    static String otherModelLine;

    /** JSON lines of samples whose proofs were made by {@code commit} on a prefill dump (decode-steps rows, no prefill chunk). */
    @BeforeAll
    static void samples() throws Exception {
        honestLine = line(TINY);
        otherModelLine = line(CliTest.TINY_B);
    }

    static String line(Path model) throws Exception {
        Path npy = Files.createTempFile(dir, "states", ".npy");
        Files.delete(npy);
        assertEquals(0, run("prefill", "--model", s(model), "--prompt", TEXT, "--mode", "bf16", "-o", s(npy)).code());
        CliTest.Run c = run("commit", "--activations", s(npy), "--prefill-rows", String.valueOf(PROMPT));
        assertEquals(0, c.code(), c.err());
        List<String> commits = CliTest.commitLines(c.out()).subList(1, 4);   // drop the prefill chunk (skip_prefill=True)
        int[] ids = TokenIds.fromText(TEXT);
        int[] prompt = Arrays.copyOf(ids, PROMPT);
        int[] completion = Arrays.copyOfRange(ids, PROMPT, ids.length + 1);
        completion[completion.length - 1] = 'x';
        return "{\"input_tokens\": " + Arrays.toString(prompt) + ", \"output_tokens\": " + Arrays.toString(completion)
                + ", \"proofs\": \"" + String.join("", commits) + "\", \"seed\": 7, \"temperature\": 0.6}";
    }

    static Path file(String name, String... lines) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    @Test
    void exitCodes_0accepted_1rejected_2badInput() throws Exception {
        Path good = file("good.jsonl", honestLine, honestLine);
        CliTest.Run ok = run("validate", s(good), "--model", s(TINY), "--mode", "bf16");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("ACCEPT, 2 samples, 0 failing"), ok.out());
        Path mixed = file("mixed.jsonl", honestLine, otherModelLine, "{\"input_tokens\": 5}");
        CliTest.Run rej = run("validate", s(mixed), "--model", s(TINY), "--mode", "bf16");
        assertEquals(Toploc.REJECTED, rej.code(), rej.out() + rej.err());
        assertTrue(rej.out().contains("REJECT, 3 samples, 2 failing"), rej.out());
        Path bad = file("bad.jsonl", honestLine, "{\"input_tokens\": [1], \"output_tokens\": [2, 3], \"proofs\": \"@@\"}");
        CliTest.Run b = run("validate", s(bad), "--model", s(TINY), "--mode", "bf16");
        assertEquals(Toploc.BAD_INPUT, b.code(), b.out() + b.err());
        assertTrue(b.out().contains("sample 1: bad-input"), b.out());
    }

    /** This module's tests run without the Spark module, as the distribution archive does: both commands say where it comes from. */
    @Test
    void withoutTheSparkModule_sparkEngineAndServeValidator_sayWhereItComes() throws Exception {
        Path good = file("spark.jsonl", honestLine);
        CliTest.Run v = run("validate", s(good), "--model", s(TINY), "--engine", "spark");
        assertEquals(Toploc.BAD_INPUT, v.code(), v.out() + v.err());
        assertTrue(v.err().contains("--engine spark: no such engine on the class path (local, or spark: the Spark module is not on the class path: "
                + "./toploc in a checkout adds spark/target/lib"), v.err());
        CliTest.Run gpu = run("validate", s(good), "--model", s(TINY), "--engine", "spark", "--device", "cuda");
        assertEquals(Toploc.BAD_INPUT, gpu.code(), gpu.err());
        assertTrue(gpu.err().contains("--device cuda is for --engine local: the spark engine's tasks recompute on the CPU runtime"), gpu.err());
        CliTest.Run sv = run("serve-validator", "--storage", s(dir), "--model", "tiny=" + s(TINY), "--port", "0");
        assertEquals(Toploc.BAD_INPUT, sv.code(), sv.out() + sv.err());
        assertTrue(sv.err().contains("serve-validator: the Spark module is not on the class path"), sv.err());
        assertTrue(sv.err().contains("the distribution archive leaves Spark's ~290 MB of jars out"), sv.err());
        // each served model has its own policy: with several, --policy names the model (checked before anything is loaded)
        CliTest.Run unnamed = run("serve-validator", "--storage", s(dir), "--model", "a=" + s(TINY), "--model", "b=" + s(TINY), "--policy", "p.json");
        assertEquals(Toploc.BAD_INPUT, unnamed.code(), unnamed.err());
        assertTrue(unnamed.err().contains("--policy p.json: with several models, name the model (--policy NAME=FILE, NAME one of [a, b])"), unnamed.err());
        CliTest.Run twice = run("serve-validator", "--storage", s(dir), "--model", "a=" + s(TINY), "--policy", "a=p.json", "--policy", "q.json");
        assertEquals(Toploc.BAD_INPUT, twice.code(), twice.err());
        assertTrue(twice.err().contains("--policy given twice for model a"), twice.err());
    }

    @Test
    void json_isOneObjectPerFile_withTheIssuesFields() throws Exception {
        Path a = file("a.jsonl", honestLine);
        Path b = file("b.jsonl", honestLine, otherModelLine);
        CliTest.Run r = run("validate", s(a), s(b), "--model", s(TINY), "--mode", "bf16", "--json");
        assertEquals(Toploc.REJECTED, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        JsonNode first = Report.JSON.readTree(lines[0]);
        JsonNode second = Report.JSON.readTree(lines[1]);
        assertEquals(s(a), first.get("file").asText());
        assertEquals("accept", first.get("status").asText());
        assertEquals("reject", second.get("status").asText());
        assertEquals("[1]", second.get("failing_indices").toString());
        for (String f : new String[] {"samples", "input_flops", "output_flops", "results"}) {
            assertTrue(second.has(f), f);
        }
        assertEquals("decode-steps", first.get("results").get(0).get("positions").asText());
        assertEquals(7, first.get("results").get(0).get("seed").asLong());
    }

    @Test
    void output_table_isWrittenByExtension_andNeverOverwrites() throws Exception {
        Path a = file("t.jsonl", honestLine, otherModelLine);
        Path table = dir.resolve("table.jsonl");
        CliTest.Run r = run("validate", s(a), "--model", s(TINY), "--mode", "bf16", "-o", s(table));
        assertEquals(Toploc.REJECTED, r.code(), r.err());
        List<String> rows = Files.readAllLines(table);
        assertEquals(2, rows.size());
        assertEquals("reject", Report.JSON.readTree(rows.get(1)).get("verdict").asText());
        String before = Files.readString(table);
        CliTest.Run again = run("validate", s(a), "--model", s(TINY), "--mode", "bf16", "-o", s(table));
        assertEquals(Toploc.BAD_INPUT, again.code());
        assertTrue(again.err().contains("refusing to overwrite"), again.err());
        assertEquals(before, Files.readString(table));
        Path pq = dir.resolve("table.parquet");
        assertEquals(Toploc.REJECTED, run("validate", s(a), "--model", s(TINY), "--mode", "bf16", "-o", s(pq)).code());
        assertTrue(Files.size(pq) > 0 && new String(Files.readAllBytes(pq), 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("PAR1"));
        CliTest.Run csv = run("validate", s(a), "--model", s(TINY), "-o", s(dir.resolve("table.csv")));
        assertEquals(Toploc.BAD_INPUT, csv.code());
    }

    static List<String> iterator(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void bareProofsFile_withIds_isOneSample() throws Exception {
        JsonNode n = Report.JSON.readTree(honestLine);
        Path proofs = dir.resolve("sample.bin");
        Files.write(proofs, Base64.getDecoder().decode(n.get("proofs").asText()));
        CliTest.Run r = run("validate", s(proofs), "--model", s(TINY), "--mode", "bf16", "--prompt-ids", n.get("input_tokens").toString().replaceAll("[\\[\\]]", ""),
                "--completion-ids", n.get("output_tokens").toString().replaceAll("[\\[\\]]", ""), "--json");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode j = Report.JSON.readTree(r.out());
        assertEquals(java.util.Set.of("file", "status", "samples", "failing_indices", "input_flops", "output_flops", "results"),
                new java.util.HashSet<>(iterator(j.fieldNames())), "exactly the issue's fields");
        assertEquals("binary", j.get("results").get(0).get("layout").asText());
        CliTest.Run noIds = run("validate", s(proofs), "--model", s(TINY));
        assertEquals(Toploc.BAD_INPUT, noIds.code());
        assertTrue(noIds.out().contains("a bare proofs file needs the sample's token ids"), noIds.out());
    }
}
