package dev.toploc.attest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Walks {@code docs/attestation.schema.json} and checks that the parser enforces every constraint in it:
 * each required field, numeric bound ({@code minimum}/{@code maximum}, and the temperature's
 * {@code anyOf}), array length ({@code minItems}/{@code maxItems}), {@code enum}, {@code const},
 * {@code pattern} and {@code format}. A value just outside is rejected with an error naming the field; the
 * boundary value itself is not rejected for that field. The cases come from the schema, so the schema and
 * the code cannot drift apart.
 */
class SchemaBoundsTest {
    /** The published schema: beside test-vectors in the checkout (the build passes its folder), else from the module folder. */
    static final Path SCHEMA = Path.of(System.getProperty("toploc.testVectors", "../test-vectors")).toAbsolutePath().normalize()
            .resolveSibling("docs").resolve("attestation.schema.json");
    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    /**
     * One probe: a change to the sample statement at {@code path}.
     *
     * @param outside true: the parser must reject it naming {@code path}; false: it must not reject it for {@code path}
     */
    record Probe(String path, String what, boolean outside, Consumer<ObjectNode> edit) {
        @Override
        public String toString() {
            return (outside ? "rejects " : "allows ") + path + " " + what;
        }
    }

    static JsonNode schema() throws Exception {
        return JSON.readTree(Files.readAllBytes(SCHEMA));
    }

    static ObjectNode sample() throws Exception {
        return (ObjectNode) JSON.readTree(AttestationTest.sample().toStatementJson());
    }

    static List<Probe> probes() throws Exception {
        JsonNode root = schema();
        List<Probe> out = new ArrayList<>();
        walk(root, root, List.of(), sample(), out);
        return out;
    }

    static Stream<Probe> cases() throws Exception {
        return probes().stream();
    }

    private static JsonNode resolve(JsonNode root, JsonNode s) {
        while (s.has("$ref")) {
            String ref = s.get("$ref").asText();
            s = root.at(ref.substring(1));
        }
        return s;
    }

    private static String name(List<String> path) {
        return String.join(".", path).replace(".[]", "[]");
    }

    /** The node at {@code path} of {@code st} ("[]": element 0). */
    private static JsonNode at(JsonNode st, List<String> path) {
        JsonNode n = st;
        for (String seg : path) {
            n = seg.equals("[]") ? n.get(0) : n.get(seg);
        }
        return n;
    }

    /** Replaces the node at {@code path} (which exists in the sample) with {@code value}. */
    private static Consumer<ObjectNode> set(List<String> path, JsonNode value) {
        return st -> {
            JsonNode parent = at(st, path.subList(0, path.size() - 1));
            String last = path.get(path.size() - 1);
            if (last.equals("[]")) {
                ((ArrayNode) parent).set(0, value);
            } else {
                ((ObjectNode) parent).set(last, value);
            }
        };
    }

    private static void walk(JsonNode root, JsonNode s, List<String> path, ObjectNode sample, List<Probe> out) {
        s = resolve(root, s);
        JsonNode current = at(sample, path);
        String p = name(path);
        for (JsonNode req : s.path("required")) {
            List<String> child = append(path, req.asText());
            out.add(new Probe(name(child), "missing", true, st -> ((ObjectNode) at(st, path)).remove(req.asText())));
        }
        if (s.has("minimum") || s.has("maximum")) {
            boolean integer = s.path("type").asText().equals("integer");
            if (s.has("minimum")) {
                bound(path, s.get("minimum").decimalValue(), integer, -1, out);
            }
            if (s.has("maximum")) {
                bound(path, s.get("maximum").decimalValue(), integer, +1, out);
            }
        }
        if (s.has("anyOf")) {
            // a set of allowed values: each branch's edges are allowed, and the gaps between and around them are not
            List<double[]> ranges = new ArrayList<>();
            for (JsonNode b : s.get("anyOf")) {
                if (b.has("const")) {
                    ranges.add(new double[] {b.get("const").asDouble(), b.get("const").asDouble()});
                } else {
                    ranges.add(new double[] {b.path("minimum").asDouble(Double.NEGATIVE_INFINITY), b.path("maximum").asDouble(Double.POSITIVE_INFINITY)});
                }
            }
            java.util.SortedSet<Double> edges = new TreeSet<>();
            ranges.forEach(r -> edges.addAll(List.of(r[0], r[1])));
            {
                for (double edge : edges) {
                    out.add(new Probe(p, "= " + edge + " (edge of anyOf)", false, set(path, F.numberNode(edge))));
                    for (double x : new double[] {Math.nextDown(edge), Math.nextUp(edge)}) {
                        if (ranges.stream().noneMatch(q -> x >= q[0] && x <= q[1])) {
                            out.add(new Probe(p, "= " + x + " (outside anyOf)", true, set(path, F.numberNode(x))));
                        }
                    }
                }
            }
        }
        if (s.has("minItems") || s.has("maxItems")) {
            JsonNode item = current.get(0);
            if (s.has("minItems")) {
                int min = s.get("minItems").asInt();
                out.add(new Probe(p, "with " + min + " items", false, set(path, repeat(item, min))));
                if (min > 0) {
                    out.add(new Probe(p, "with " + (min - 1) + " items", true, set(path, repeat(item, min - 1))));
                }
            }
            if (s.has("maxItems")) {
                int max = s.get("maxItems").asInt();
                out.add(new Probe(p, "with " + max + " items", false, set(path, repeat(item, max))));
                out.add(new Probe(p, "with " + (max + 1) + " items", true, set(path, repeat(item, max + 1))));
            }
        }
        if (s.has("enum")) {
            out.add(new Probe(p, "= a value not in its enum", true, set(path, F.textNode("not-in-the-enum"))));
        }
        if (s.has("const")) {
            out.add(new Probe(p, "!= its const", true, set(path, F.textNode(s.get("const").asText() + "x"))));
        }
        if (s.has("pattern")) {
            Pattern pat = Pattern.compile(s.get("pattern").asText());
            String bad = Stream.of(current.asText().toUpperCase(java.util.Locale.ROOT), current.asText() + "0", "")
                    .filter(x -> !pat.matcher(x).find()).findFirst().orElseThrow();
            out.add(new Probe(p, "= '" + bad + "' (not matching its pattern)", true, set(path, F.textNode(bad))));
        }
        if (s.path("format").asText().equals("date-time")) {
            out.add(new Probe(p, "not a date-time", true, set(path, F.textNode("yesterday at noon"))));
        }
        for (var e : s.path("properties").properties()) {
            if (current.has(e.getKey())) {
                walk(root, e.getValue(), append(path, e.getKey()), sample, out);
            }
        }
        if (s.has("items") && current.isArray() && !current.isEmpty()) {
            walk(root, s.get("items"), append(path, "[]"), sample, out);
        }
    }

    private static void bound(List<String> path, BigDecimal b, boolean integer, int dir, List<Probe> out) {
        String p = name(path);
        String side = dir < 0 ? "minimum" : "maximum";
        if (integer) {
            BigInteger v = b.toBigIntegerExact();
            out.add(new Probe(p, "= " + v + " (its " + side + ")", false, set(path, F.numberNode(v))));
            BigInteger x = v.add(BigInteger.valueOf(dir));
            out.add(new Probe(p, "= " + x + " (beyond its " + side + ")", true, set(path, F.numberNode(x))));
        } else {
            double v = b.doubleValue();
            out.add(new Probe(p, "= " + v + " (its " + side + ")", false, set(path, F.numberNode(v))));
            double x = dir < 0 ? Math.nextDown(v) : Math.nextUp(v);
            out.add(new Probe(p, "= " + x + " (beyond its " + side + ")", true, set(path, F.numberNode(x))));
        }
    }

    private static ArrayNode repeat(JsonNode item, int n) {
        ArrayNode a = F.arrayNode(n);
        for (int i = 0; i < n; i++) {
            a.add(item);
        }
        return a;
    }

    private static List<String> append(List<String> path, String seg) {
        List<String> l = new ArrayList<>(path);
        l.add(seg);
        return List.copyOf(l);
    }

    /** A message that names {@code path} (the statement's own fields may carry a "statement." prefix; "[]" any index). */
    static Pattern naming(String path, boolean atStart) {
        String re = Pattern.quote(path).replace("[]", "\\E\\[\\d*\\]\\Q");
        return Pattern.compile((atStart ? "^(schema|size): " : "") + "(statement\\.)?" + re + "(?![A-Za-z0-9_])");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everySchemaConstraint_isEnforced(Probe probe) throws Exception {
        ObjectNode st = sample();
        probe.edit().accept(st);
        byte[] json = JSON.writeValueAsBytes(st);
        try {
            InferenceAttestation.parseStatement(json);
            if (probe.outside()) {
                fail(probe + ": was accepted");
            }
        } catch (AttestationException e) {
            if (probe.outside()) {
                assertTrue(naming(probe.path(), false).matcher(e.getMessage()).find(), probe + ": rejected, but the message does not name "
                        + probe.path() + ": " + e.getMessage());
            } else {
                assertTrue(!naming(probe.path(), true).matcher(e.getMessage()).find(), probe + ": rejected for that field: " + e.getMessage());
            }
        }
    }

    /** The walk itself is not vacuous: it finds the bounds this verifier depends on, and the sample parses. */
    @Test
    void walk_findsTheBoundsThatMatter() throws Exception {
        InferenceAttestation.parseStatement(JSON.writeValueAsBytes(sample()));
        Set<String> bounded = new TreeSet<>();
        for (Probe p : probes()) {
            if (p.outside() && !p.what().equals("missing")) {
                bounded.add(p.path());
            }
        }
        for (String must : List.of("predicate.sampling.temperature", "predicate.sampling.maxTokens", "predicate.sampling.eosTokenId",
                "predicate.commit.topK", "predicate.commit.chunkSize", "predicate.commits", "predicate.promptTokenIds",
                "predicate.completionTokenIds", "predicate.completionTokenIds[]", "subject", "predicate.model.weightsSha256",
                "predicate.timestamp", "predicate.sampling.stop")) {
            assertTrue(bounded.contains(must), "the schema walk found no constraint on " + must + " (found " + bounded + ")");
        }
        assertEquals(1, probes().stream().filter(p -> p.toString().equals("rejects predicate.sampling.temperature = 4.9E-324 (outside anyOf)")).count(),
                "the subnormal temperature (the forgery of issue 13) is probed");
    }
}
