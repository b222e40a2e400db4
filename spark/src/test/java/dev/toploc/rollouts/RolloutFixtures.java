package dev.toploc.rollouts;

import static dev.toploc.rollouts.Fixtures.TEXTS;
import static dev.toploc.rollouts.Fixtures.bytes;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.PositionConvention;
import dev.toploc.runtime.Model;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The rollouts library's test fixtures (its test jar) for the spark module: prime-rl Parquet written by the
 * real Parquet writer, and the same rows as JSON lines, from the embedded tiny models.
 */
public final class RolloutFixtures {
    private RolloutFixtures() {
    }

    public static final Path TINY = Fixtures.TINY;

    /** The rows' verdicts in the library: these fail (another model, changed tokens, shifted rows, null ids, truncated proofs). */
    public static final List<Integer> FAILING = List.of(2, 3, 4, 6, 7);

    public static Settings settings() {
        return Fixtures.settings(Settings.AUTO);
    }

    /** The fixture rows as prime-rl Parquet and as JSON lines. */
    public static void write(Path parquet, Path jsonl, Model tiny, Model tinyB) throws Exception {
        List<PrimeRlParquet.RowData> rows = rows(tiny, tinyB);
        PrimeRlParquet.write(parquet, rows);
        writeJsonLines(jsonl, rows);
    }

    /** {@code copies} copies of the fixture's honest rows (every one accepted) as prime-rl Parquet. */
    public static void writeHonest(Path parquet, Model tiny, Model tinyB, int copies) throws Exception {
        List<PrimeRlParquet.RowData> all = rows(tiny, tinyB);
        List<PrimeRlParquet.RowData> out = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            for (int i : new int[] {0, 1, 5, 8}) {
                out.add(all.get(i));
            }
        }
        PrimeRlParquet.write(parquet, out);
    }

    /** {@code n} honest samples of {@code tokens} completion tokens with proofs from {@code model} (as WriteTimingFixture, any model). */
    public static void writeTiming(Path parquet, Model model, int n, int tokens) throws Exception {
        List<PrimeRlParquet.RowData> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String[] t = TEXTS[i % TEXTS.length];
            int[] p = bytes(t[0]);
            StringBuilder c = new StringBuilder();
            while (c.length() < tokens) {
                c.append(t[1]);
            }
            int[] ids = bytes(c.substring(0, tokens));
            ids[0] = 'a' + i % 26;
            PositionConvention conv = i % 2 == 0 ? PositionConvention.PRODUCED : PositionConvention.DECODE_STEPS;
            rows.add(new PrimeRlParquet.RowData(p, ids, Fixtures.proofs(model, p, ids, conv, 0), 1000 + i, 0.6f));
        }
        PrimeRlParquet.write(parquet, rows);
    }

    /** Honest, attacked and malformed rows (the library's own fixture rows). */
    static List<PrimeRlParquet.RowData> rows(Model tiny, Model tinyB) throws Exception {
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
        return List.of(
                new PrimeRlParquet.RowData(p0, c0, Fixtures.proofs(tiny, p0, c0, PositionConvention.PRODUCED, 0), 100, 0.6f),
                new PrimeRlParquet.RowData(p1, c1, honest1, 101, 0.6f),
                new PrimeRlParquet.RowData(p2, c2, Fixtures.proofs(tinyB, p2, c2, PositionConvention.PRODUCED, 0), 102, 0.6f),
                new PrimeRlParquet.RowData(p1, rewritten, honest1, 103, 0.6f),
                new PrimeRlParquet.RowData(p0, c0, Fixtures.proofs(tiny, p0, c0, PositionConvention.DECODE_STEPS, 1), 104, 0.6f),
                new PrimeRlParquet.RowData(p2, new int[] {'!'}, new byte[0], 105, 0.6f),
                new PrimeRlParquet.RowData(null, c0, Fixtures.proofs(tiny, p0, c0, PositionConvention.PRODUCED, 0), 106, 0.6f),
                new PrimeRlParquet.RowData(p0, c0, Arrays.copyOf(honest1, honest1.length - 2), 107, 0.6f),
                new PrimeRlParquet.RowData(p2, c2, Fixtures.proofs(tiny, p2, c2, PositionConvention.PRODUCED, 0), 108, 0.6f));
    }

    public static Path tinyB() {
        return Fixtures.TINY_B;
    }

    /** The rows as JSON lines (proofs base64), with blank lines between some, so that line numbers and indexes differ. */
    static void writeJsonLines(Path file, List<PrimeRlParquet.RowData> rows) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            PrimeRlParquet.RowData r = rows.get(i);
            ObjectNode o = ResultJson.JSON.createObjectNode();
            if (r.prompt() != null) {
                var a = o.putArray("input_tokens");
                Arrays.stream(r.prompt()).forEach(a::add);
            }
            var c = o.putArray("output_tokens");
            Arrays.stream(r.completion()).forEach(c::add);
            o.put("proofs", Base64.getEncoder().encodeToString(r.proofs()));
            o.put("seed", r.seed());
            o.put("temperature", 0.6);
            lines.add(o.toString());
            if (i % 3 == 1) {
                lines.add("");
            }
        }
        lines.add("not json");
        Files.write(file, lines, StandardCharsets.UTF_8);
    }
}
