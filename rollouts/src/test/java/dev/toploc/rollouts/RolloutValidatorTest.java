package dev.toploc.rollouts;

import static dev.toploc.rollouts.Fixtures.TEXTS;
import static dev.toploc.rollouts.Fixtures.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.Compute;
import dev.toploc.PositionConvention;
import dev.toploc.runtime.Model;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollout files in prime-rl's schema, written by the real Parquet writer from the embedded models: honest
 * samples in both conventions, attacked ones, malformed rows, and the same rows as JSON lines.
 */
class RolloutValidatorTest {
    @TempDir
    static Path dir;
    static Model tiny;
    static Model tinyB;
    static List<PrimeRlParquet.RowData> rows;
    static Path parquet;

    /** Row kinds, in file order. */
    static final String[] KINDS = {"honest produced", "honest decode-steps", "another model", "changed tokens", "shifted proofs",
            "one token, b\"\"", "null input_tokens", "truncated proofs", "honest produced 2"};
    static final List<Integer> FAILING = List.of(2, 3, 4, 6, 7);

    @BeforeAll
    static void fixtures() throws Exception {
        tiny = Model.load(Fixtures.TINY);
        tinyB = Model.load(Fixtures.TINY_B);
        int[] p0 = bytes(TEXTS[0][0]);
        int[] c0 = bytes(TEXTS[0][1]);
        int[] p1 = bytes(TEXTS[1][0]);
        int[] c1 = bytes(TEXTS[1][1]);
        int[] p2 = bytes(TEXTS[2][0]);
        int[] c2 = bytes(TEXTS[2][1]);
        int[] rewritten = c1.clone();
        for (int i = 0; i < rewritten.length; i += 8) {
            rewritten[i] = 256;
        }
        byte[] honest1 = Fixtures.proofs(tiny, p1, c1, PositionConvention.DECODE_STEPS, 0);
        rows = List.of(
                new PrimeRlParquet.RowData(p0, c0, Fixtures.proofs(tiny, p0, c0, PositionConvention.PRODUCED, 0), 100, 0.6f),
                new PrimeRlParquet.RowData(p1, c1, honest1, 101, 0.6f),
                new PrimeRlParquet.RowData(p2, c2, Fixtures.proofs(tinyB, p2, c2, PositionConvention.PRODUCED, 0), 102, 0.6f),
                new PrimeRlParquet.RowData(p1, rewritten, honest1, 103, 0.6f),
                new PrimeRlParquet.RowData(p0, c0, Fixtures.proofs(tiny, p0, c0, PositionConvention.DECODE_STEPS, 1), 104, 0.6f),
                new PrimeRlParquet.RowData(p2, new int[] {'!'}, new byte[0], 105, 0.6f),
                new PrimeRlParquet.RowData(null, c0, Fixtures.proofs(tiny, p0, c0, PositionConvention.PRODUCED, 0), 106, 0.6f),
                new PrimeRlParquet.RowData(p0, c0, Arrays.copyOf(honest1, honest1.length - 2), 107, 0.6f),
                new PrimeRlParquet.RowData(p2, c2, Fixtures.proofs(tiny, p2, c2, PositionConvention.PRODUCED, 0), 108, 0.6f));
        parquet = dir.resolve("rollouts.parquet");
        PrimeRlParquet.write(parquet, rows);
    }

    @AfterAll
    static void close() {
        tiny.close();
        tinyB.close();
    }

    static Settings auto() {
        return Fixtures.settings(Settings.AUTO);
    }

    static void assertTheFixtureVerdicts(FileResult r) {
        assertEquals(KINDS.length, r.samples());
        assertEquals(FAILING, r.failingIndices(), r.results().toString());
        assertEquals("reject", r.status());
        assertNull(r.error());
        List<SampleResult> s = r.results();
        assertEquals(PositionConvention.PRODUCED, s.get(0).positions());
        assertEquals(PositionConvention.DECODE_STEPS, s.get(1).positions());
        assertEquals(Verdict.REJECT, s.get(2).verdict());
        assertEquals(Verdict.REJECT, s.get(3).verdict());
        assertEquals(Verdict.REJECT, s.get(4).verdict());
        assertEquals(Verdict.ACCEPT, s.get(5).verdict());
        assertFalse(s.get(5).checked());
        assertEquals(Verdict.BAD_INPUT, s.get(6).verdict());
        assertEquals(Verdict.BAD_INPUT, s.get(7).verdict());
        // binary: not a whole number of 258-byte records; as base64 (1376 characters = 4 x 344) the last record is short
        assertTrue(s.get(7).reason().contains("is not a whole number of 258-byte commits")
                || s.get(7).reason().contains("length 256 bytes holds k = 127 coefficients, expected 258 bytes"), s.get(7).reason());
        assertEquals(Verdict.ACCEPT, s.get(8).verdict());
    }

    @Test
    void primeRlParquet_everyRowGetsItsVerdict_andAMalformedRowDoesNotEndTheFile() {
        FileResult r = RolloutValidator.validate(parquet, Columns.PRIME_RL, auto(), tiny);
        assertEquals("parquet", r.format());
        assertTheFixtureVerdicts(r);
        assertTrue(r.results().get(6).reason().startsWith("input_tokens is null"), r.results().get(6).reason());
        assertEquals(100L, r.results().get(0).seed());
        assertEquals(0.6, r.results().get(0).temperature(), 1e-6);
        assertTrue(r.anyRejected());
        assertTrue(r.anyBadInput());
    }

    @Test
    void theGivenEngineAndCompute_runEverySamplesPrefillAndCheck() {
        SampleVerifierTest.CountingTopK topK = new SampleVerifierTest.CountingTopK();
        Compute compute = Compute.defaults().withThreads(2).withTopK(topK);
        AtomicInteger engineCalls = new AtomicInteger();
        FileResult r = RolloutValidator.validate(parquet, Columns.PRIME_RL, auto(), tiny, (m, tokens, mode) -> {
            engineCalls.incrementAndGet();
            return m.prefill(tokens, mode, compute);
        }, compute);
        assertTheFixtureVerdicts(r);
        assertEquals(r.results().stream().filter(SampleResult::checked).count(), engineCalls.get(), "one engine prefill per checked sample");
        assertTrue(topK.calls.get() > 0, "the checks' top-k ran on the given context");
        // negative control: states from other weights (tiny-fortunes-llama-b's) through the engine reject the honest rows
        FileResult wrong = RolloutValidator.validate(parquet, Columns.PRIME_RL, auto(), tiny, (m, tokens, mode) -> tinyB.prefill(tokens, mode), compute);
        for (int honest : new int[] {0, 1, 8}) {
            assertEquals(Verdict.REJECT, wrong.results().get(honest).verdict(), KINDS[honest]);
        }
    }

    @Test
    void honestRowsOnly_areAccepted() throws Exception {
        Path f = dir.resolve("honest.parquet");
        PrimeRlParquet.write(f, List.of(rows.get(0), rows.get(1), rows.get(5), rows.get(8)));
        FileResult r = RolloutValidator.validate(f, Columns.PRIME_RL, auto(), tiny);
        assertEquals("accept", r.status(), r.results().toString());
        assertEquals(List.of(), r.failingIndices());
        assertFalse(r.anyBadInput());
        // the same file under a fixed convention: one of the honest rows is then rejected or bad input
        FileResult fixed = RolloutValidator.validate(f, Columns.PRIME_RL, Fixtures.settings(List.of(PositionConvention.PRODUCED)), tiny);
        assertEquals("reject", fixed.status());
        assertEquals(List.of(1), fixed.failingIndices());
    }

    @Test
    void flops_are2xParametersxTokens_withParametersCountedFromTheWeightsFile() throws Exception {
        long stored = storedParameters(Fixtures.TINY.resolve("model.safetensors"));
        assertEquals(stored, ModelFlops.parameters(tiny.config()), "parameters from config.json vs the safetensors header");
        FileResult r = RolloutValidator.validate(parquet, Columns.PRIME_RL, auto(), tiny);
        long in = 0;
        long out = 0;
        for (PrimeRlParquet.RowData d : rows) {
            if (d.prompt() != null && d.completion() != null) {
                in += d.prompt().length;
                out += d.completion().length;
            }
        }
        assertEquals(2.0 * stored * in, r.inputFlops());
        assertEquals(2.0 * stored * out, r.outputFlops());
    }

    /** Sum of the shapes in a safetensors header: an independent count of the parameters. */
    static long storedParameters(Path st) throws Exception {
        byte[] b = Files.readAllBytes(st);
        long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode h = new ObjectMapper().readTree(new String(b, 8, (int) n, StandardCharsets.UTF_8));
        long total = 0;
        for (Map.Entry<String, JsonNode> e : h.properties()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            long p = 1;
            for (JsonNode d : e.getValue().get("shape")) {
                p *= d.asLong();
            }
            total += p;
        }
        return total;
    }

    @Test
    void jsonLines_ofTheSameRows_giveTheSameVerdicts() throws Exception {
        ObjectMapper m = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            PrimeRlParquet.RowData d = rows.get(i);
            ObjectNode o = m.createObjectNode();
            if (d.prompt() != null) {
                ArrayNode a = o.putArray("input_tokens");
                Arrays.stream(d.prompt()).forEach(a::add);
            }
            ArrayNode c = o.putArray("output_tokens");
            Arrays.stream(d.completion()).forEach(c::add);
            byte[] pr = d.proofs();
            if (i == 1) {   // a JSON list of base64 strings (SGLang)
                ArrayNode l = o.putArray("proofs");
                for (int j = 0; j < pr.length; j += 258) {
                    l.add(Base64.getEncoder().encodeToString(Arrays.copyOfRange(pr, j, j + 258)));
                }
            } else {       // concatenated base64 (SYNTHETIC-1)
                o.put("proofs", Base64.getEncoder().encodeToString(pr));
            }
            o.put("seed", d.seed());
            o.put("temperature", d.temperature());
            sb.append(m.writeValueAsString(o)).append('\n');
            if (i == 3) {
                sb.append('\n');   // blank lines are not rows
            }
        }
        Path f = dir.resolve("rollouts.jsonl");
        Files.writeString(f, sb.toString());
        FileResult r = RolloutValidator.validate(f, Columns.PRIME_RL, auto(), tiny);
        assertEquals("jsonl", r.format());
        assertTheFixtureVerdicts(r);
        assertEquals("json", r.results().get(1).layout());
        assertEquals("base64-concat", r.results().get(0).layout());
        // a line that is not JSON is one bad row; the rows after it are still read
        Files.writeString(f, "{not json\n" + sb);
        FileResult bad = RolloutValidator.validate(f, Columns.PRIME_RL, auto(), tiny);
        assertEquals(KINDS.length + 1, bad.samples());
        assertTrue(bad.results().get(0).reason().startsWith("line 1: not valid JSON"), bad.results().get(0).reason());
        assertEquals(Verdict.ACCEPT, bad.results().get(1).verdict());
    }

    @Test
    void unreadableFiles_areBadInputNamingWhy() throws Exception {
        Path junk = dir.resolve("junk.parquet");
        Files.write(junk, "PAR1 this is not parquet PAR1".getBytes(StandardCharsets.US_ASCII));
        FileResult j = RolloutValidator.validate(junk, Columns.PRIME_RL, auto(), tiny);
        assertEquals("reject", j.status());
        assertNotNull(j.error());
        assertTrue(j.anyBadInput());
        assertTrue(j.error().startsWith("not a readable Parquet file"), j.error());
        FileResult missing = RolloutValidator.validate(parquet, new Columns("prompt_ids", "output_tokens", "proofs", null, null), auto(), tiny);
        assertEquals("column 'prompt_ids' not found (columns: input_tokens, output_tokens, prompt, completion, advantages, rewards, "
                + "task_rewards, proofs, step, task_type, seed, temperature)", missing.error());
        FileResult dirResult = RolloutValidator.validate(dir, Columns.PRIME_RL, auto(), tiny);
        assertEquals("not a regular file", dirResult.error());
        // the column names are configurable
        PrimeRlParquet.RowData d = rows.get(0);
        Path renamed = dir.resolve("renamed.jsonl");
        Files.writeString(renamed, "{\"prompt_ids\": " + Arrays.toString(d.prompt()) + ", \"completion_ids\": " + Arrays.toString(d.completion())
                + ", \"proof\": \"" + Base64.getEncoder().encodeToString(d.proofs()) + "\"}\n");
        Columns cols = new Columns("prompt_ids", "completion_ids", "proof", null, null);
        assertEquals("accept", RolloutValidator.validate(renamed, cols, auto(), tiny).status());
        assertEquals("reject", RolloutValidator.validate(renamed, Columns.PRIME_RL, auto(), tiny).status());   // prime-rl's names are not there
    }

    @Test
    void resultTable_roundTripsAsParquetAndJsonLines() throws Exception {
        FileResult r = RolloutValidator.validate(parquet, Columns.PRIME_RL, auto(), tiny);
        Path pq = dir.resolve("table.parquet");
        try (OutputStream o = Files.newOutputStream(pq)) {
            ResultTable.writeParquet(o, List.of(r));
        }
        List<Group> back = new ArrayList<>();
        try (ParquetFileReader rd = ParquetFileReader.open(new LocalInputFile(pq), ParquetReadOptions.builder(new PlainParquetConfiguration()).build())) {
            MessageType schema = rd.getFooter().getFileMetaData().getSchema();
            PageReadStore pages;
            while ((pages = rd.readNextRowGroup()) != null) {
                RecordReader<Group> rr = new ColumnIOFactory().getColumnIO(schema).getRecordReader(pages, new GroupRecordConverter(schema));
                for (long i = 0; i < pages.getRowCount(); i++) {
                    back.add(rr.read());
                }
            }
        }
        assertEquals(KINDS.length, back.size());
        for (int i = 0; i < back.size(); i++) {
            assertEquals(r.results().get(i).verdict().wireName(), back.get(i).getString("verdict", 0));
            assertEquals(parquet.toString(), back.get(i).getString("file", 0));
        }
        assertEquals("produced", back.get(0).getString("positions", 0));
        Path jl = dir.resolve("table.jsonl");
        try (OutputStream o = Files.newOutputStream(jl)) {
            ResultTable.writeJsonLines(o, List.of(r));
        }
        List<String> lines = Files.readAllLines(jl);
        assertEquals(KINDS.length, lines.size());
        assertEquals("decode-steps", new ObjectMapper().readTree(lines.get(1)).get("positions").asText());
    }

    @Test
    void theFileJson_hasTheFieldsTheProtocolReads() {
        FileResult r = RolloutValidator.validate(parquet, Columns.PRIME_RL, auto(), tiny);
        ObjectNode j = ResultJson.file(r);
        assertEquals("reject", j.get("status").asText());
        assertEquals(KINDS.length, j.get("samples").asInt());
        assertEquals("[2,3,4,6,7]", j.get("failing_indices").toString());
        assertTrue(j.get("input_flops").isIntegralNumber() && j.get("output_flops").isIntegralNumber());
        assertEquals(KINDS.length, j.get("results").size());
        JsonNode s0 = j.get("results").get(0);
        for (String f : new String[] {"verdict", "positions", "max_exp_mismatches", "strict_max_exp_mismatches", "seed", "temperature", "reason"}) {
            assertTrue(s0.has(f), f + " in " + s0);
        }
    }
}
