package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.vectors.TestVectors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fp32 prefill against llama.cpp, an implementation nobody on this project wrote: for each random
 * model in {@code test-vectors/oracle/} (one per architecture feature; made by
 * {@code scripts/oracle/golden.py make}, see its README), llama.cpp's final-norm states of every position
 * must match ours within max |error| / rms ≤ 1e-4 at each position, and each negative control must be
 * far (> 1e-2 at the worst position): either llama.cpp's states of the same model converted with one
 * feature dropped (e.g. without Qwen3's q/k norms) against ours, or ours with one feature switched off in
 * {@code config.json} (e.g. {@code norm_topk_prob: false}) against llama.cpp's. So a runtime that lost the
 * feature would fail the first check. Where the model soft-caps its logits (Gemma 2) the golden values are
 * llama.cpp's logits of the identity head, and ours are {@link Model#logitsRows} (their first hidden columns).
 * Gemma's cases carry their own bound (llama.cpp's GELU is approximate there, ~4e-4) and a float64
 * reference forward pass ({@code scripts/oracle/ref64.py}) held to 1e-5, with variants of that pass (erf GELU,
 * SiLU, no post norms) as negative controls that must be 1e-4 away: features llama.cpp's graph cannot drop.
 */
class LlamaCppOracleTest {
    static final double BOUND = 1e-4;
    static final double NEGATIVE_MIN = 1e-2;

    record Case(String name, Path dir, JsonNode meta) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() throws IOException {
        Path root = TestVectors.root().resolve("oracle");
        List<Case> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path d : s.sorted().toList()) {
                if (Files.isRegularFile(d.resolve("golden.json"))) {
                    out.add(new Case(d.getFileName().toString(), d, new ObjectMapper().readTree(d.resolve("golden.json").toFile())));
                }
            }
        }
        assertFalse(out.isEmpty(), "no oracle cases under " + root);
        return out.stream();
    }

    static float[] floats(Path f, int n) throws IOException {
        byte[] b = Files.readAllBytes(f);
        assertEquals(4L * n, b.length, f + ": size");
        float[] v = new float[n];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    /** max_i |ours - ref| / rms(ref) for each position. */
    static double[] perPosition(float[] ref, float[] ours, int rows, int d) {
        double[] r = new double[rows];
        for (int t = 0; t < rows; t++) {
            double sq = 0;
            double max = 0;
            for (int i = 0; i < d; i++) {
                double e = ref[t * d + i];
                sq += e * e;
                double err = Math.abs(ours[t * d + i] - e);
                max = Double.isNaN(err) ? Double.POSITIVE_INFINITY : Math.max(max, err);
            }
            r[t] = max / Math.sqrt(sq / d);
        }
        return r;
    }

    static double max(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Our fp32 states of the case's model with {@code overrides} applied to its config.json (in a temporary copy). */
    /** Our fp32 final-norm states of {@code tokens}, or with {@code logits} the first hidden columns of the logits. */
    static float[] run(Path dir, int[] tokens, boolean logits) throws ModelFormatException {
        try (Model m = Model.load(dir)) {
            float[] h = m.prefill(tokens, ComputeMode.FP32);
            if (!logits) {
                return h;
            }
            int d = m.config().hiddenSize();
            int v = m.config().vocabSize();
            float[] y = m.logitsRows(h, 0, tokens.length, ComputeMode.FP32);
            float[] out = new float[tokens.length * d];
            for (int t = 0; t < tokens.length; t++) {
                System.arraycopy(y, t * v, out, t * d, d);
            }
            return out;
        }
    }

    static float[] withConfig(Path dir, JsonNode overrides, int[] tokens, boolean logits) throws IOException, ModelFormatException {
        Path tmp = Files.createTempDirectory("oracle-neg");
        try {
            ObjectMapper json = new ObjectMapper();
            com.fasterxml.jackson.databind.node.ObjectNode cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(dir.resolve("config.json").toFile());
            cfg.setAll((com.fasterxml.jackson.databind.node.ObjectNode) overrides);
            Files.writeString(tmp.resolve("config.json"), json.writeValueAsString(cfg));
            Files.createSymbolicLink(tmp.resolve("model.safetensors"), dir.resolve("model.safetensors").toAbsolutePath());
            return run(tmp, tokens, logits);
        } finally {
            try (Stream<Path> s = Files.list(tmp)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(tmp);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fp32Prefill_matchesLlamaCpp_andNotItsNegativeControls(Case c) throws Exception {
        JsonNode ids = c.meta().get("ids");
        int n = ids.size();
        int d = c.meta().get("hidden").asInt();
        assertTrue(n >= 200, c + ": at least 200 positions");
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = ids.get(i).asInt();
        }
        boolean logits = "logits".equals(c.meta().path("values").asText("states"));
        float[] ours = run(c.dir(), tokens, logits);
        double bound = c.meta().path("bound").asDouble(BOUND);
        double[] r = perPosition(floats(c.dir().resolve(c.meta().get("states").asText()), n * d), ours, n, d);
        StringBuilder sb = new StringBuilder(String.format("%s: %d positions, max|err|/rms %.2e", c, n, max(r)));
        if (c.meta().has("reference64")) {
            double bound64 = c.meta().get("reference64_bound").asDouble();
            double[] r64 = perPosition(floats(c.dir().resolve(c.meta().get("reference64").asText()), n * d), ours, n, d);
            sb.append(String.format(" (bound %.0e: %s); vs float64 reference %.2e", bound, c.meta().get("why").asText(), max(r64)));
            for (int t = 0; t < n; t++) {
                assertTrue(r64[t] <= bound64, c + " position " + t + ": max |error| / rms against the float64 reference = " + r64[t]);
            }
        }
        for (int t = 0; t < n; t++) {
            assertTrue(r[t] <= bound, c + " position " + t + ": max |error| / rms = " + r[t] + " (bound " + bound + ")");
        }
        JsonNode negs = c.meta().get("negative_controls");
        assertFalse(negs.isEmpty(), c + ": every case has a negative control");
        float[] golden = floats(c.dir().resolve(c.meta().get("states").asText()), n * d);
        for (var e : negs.properties()) {
            double neg;
            if (e.getValue().has("config")) {
                neg = max(perPosition(golden, withConfig(c.dir(), e.getValue().get("config"), tokens, logits), n, d));
            } else {
                neg = max(perPosition(floats(c.dir().resolve(e.getValue().get("file").asText()), n * d), ours, n, d));
            }
            sb.append(String.format("; negative control %s: %.2e", e.getKey(), neg));
            double min = e.getValue().path("min").asDouble(NEGATIVE_MIN);
            assertTrue(neg > min, c + ": negative control " + e.getKey() + " is within " + neg + " of ours: the test cannot see that feature");
        }
        System.out.println(sb);
    }
}
