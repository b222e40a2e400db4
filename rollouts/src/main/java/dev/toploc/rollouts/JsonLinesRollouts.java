package dev.toploc.rollouts;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Rollout rows from JSON lines: one object per line with the {@link Columns}' fields; ids as arrays of
 * integers, proofs as a base64 string (one or concatenated) or a list of base64 strings. Blank lines are
 * skipped; a line that is not such an object is a bad row and reading goes on.
 */
final class JsonLinesRollouts {
    private JsonLinesRollouts() {
    }

    /** A line longer than this is a bad row (and skipped to its end without being held). */
    static final int MAX_LINE = (int) dev.toploc.Proofs.MAX_BYTES * 2;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(MAX_LINE).build()).build());

    static void read(Path file, Columns cols, Consumer<Row> sink) throws IOException {
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int index = 0;
            boolean tooLong = false;
            int lineNo = 1;
            for (int b = in.read(); ; b = in.read()) {
                if (b == '\n' || b < 0) {
                    String text = new String(line.toByteArray(), StandardCharsets.UTF_8);
                    if (tooLong) {
                        sink.accept(Row.bad(index++, "line " + lineNo + " is longer than " + MAX_LINE + " bytes"));
                    } else if (!text.isBlank()) {
                        sink.accept(toRow(index++, lineNo, text, cols));
                    }
                    if (b < 0) {
                        return;
                    }
                    line.reset();
                    tooLong = false;
                    lineNo++;
                } else if (!tooLong) {
                    if (line.size() >= MAX_LINE) {
                        tooLong = true;
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
            }
        }
    }

    static Row toRow(int index, int lineNo, String text, Columns cols) {
        String where = "line " + lineNo + ": ";
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return Row.bad(index, where + "not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (n == null || !n.isObject()) {
            return Row.bad(index, where + "not a JSON object (expected {\"" + cols.prompt() + "\": [...], ...})");
        }
        try {
            int[] p = ids(n, cols.prompt());
            int[] c = ids(n, cols.completion());
            JsonNode pr = n.get(cols.proofs());
            byte[] proofs;
            if (pr == null || pr.isNull()) {
                return Row.bad(index, where + cols.proofs() + " is missing (expected a base64 string or a list of base64 strings)");
            } else if (pr.isTextual()) {
                proofs = pr.asText().getBytes(StandardCharsets.UTF_8);
            } else if (pr.isArray()) {
                proofs = pr.toString().getBytes(StandardCharsets.UTF_8);
            } else {
                return Row.bad(index, where + cols.proofs() + " is a JSON " + pr.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                        + " (expected a base64 string or a list of base64 strings)");
            }
            Long seed = null;
            if (cols.seed() != null && n.hasNonNull(cols.seed())) {
                JsonNode s = n.get(cols.seed());
                if (!s.isIntegralNumber() || !s.canConvertToLong()) {
                    return Row.bad(index, where + cols.seed() + " is not a 64-bit integer");
                }
                seed = s.asLong();
            }
            Double temp = null;
            if (cols.temperature() != null && n.hasNonNull(cols.temperature())) {
                JsonNode t = n.get(cols.temperature());
                if (!t.isNumber()) {
                    return Row.bad(index, where + cols.temperature() + " is not a number");
                }
                temp = t.asDouble();
            }
            return new Row(index, new Sample(index, p, c, proofs, seed, temp), null);
        } catch (IllegalArgumentException e) {
            return Row.bad(index, where + e.getMessage());
        }
    }

    private static int[] ids(JsonNode n, String name) {
        JsonNode a = n.get(name);
        if (a == null || !a.isArray()) {
            throw new IllegalArgumentException(name + " is " + (a == null ? "missing" : "not a list") + " (expected a list of token ids)");
        }
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
                throw new IllegalArgumentException(name + " element " + i + " is " + v + " (expected a token id >= 0)");
            }
            out[i] = v.asInt();
        }
        return out;
    }
}
