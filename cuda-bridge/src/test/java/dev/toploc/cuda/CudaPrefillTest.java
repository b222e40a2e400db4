package dev.toploc.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import dev.toploc.vectors.RandomModel;
import dev.toploc.vectors.GoldenSequence;
import dev.toploc.vectors.TestVectors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The device fp32 prefill against PyTorch's golden states, llama.cpp's states (test-vectors/oracle) and the CPU
 * runtime, on a GPU where there is one and on the CPU emulator build of the same kernels (each skipped with its
 * reason where it is not here). Each feature beyond Llama's (QKV bias, q/k norms, sliding windows) has a negative
 * control: the same weights uploaded with the feature switched off in config.json, which is what the kernels
 * would compute if they dropped it, must be far from the reference.
 */
class CudaPrefillTest {
    static final Path DIR = TestVectors.model("tiny-fortunes-llama");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    @Test
    void withoutADevice_uploadSaysWhy() throws Exception {
        CudaBackend.Probe p = Backends.GPU;
        Assumptions.assumeFalse(p.available(), "a GPU is present: the device tests below cover it");
        try (Model m = Model.load(DIR)) {
            CudaException e = assertThrows(CudaException.class, () -> CudaPrefill.upload(m));
            assertTrue(e.getMessage().equals(p.reason()), e.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void prefill_matchesPyTorchFp32_within1e4(String backend) throws Exception {
        CudaBackend b = Backends.get(backend);
        try (Model m = Model.load(DIR); CudaPrefill gpu = CudaPrefill.upload(b, m)) {
            for (String seq : new String[] {"seq1", "seq2", "seq3"}) {
                GoldenSequence g = GoldenSequence.read(DIR, seq);
                assertWithin(g.fp32(), gpu.prefill(g.ids()), m.config().hiddenSize(), 1e-4, seq);
            }
        }
    }

    /** bf16, fp16 and fp32 weights, GQA and Llama 3.1 rope scaling: the device against the CPU runtime's fp32 mode. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void prefill_matchesTheCpuRuntime_forEachWeightDtype_withRopeScaling(String backend) throws Exception {
        CudaBackend b = Backends.get(backend);
        // theta 10^4 and head_dim 64 put the lowest frequencies past the scaling's low-frequency wavelength:
        // without the runtime's scaled frequencies the angles of later positions would be off by a factor of 8
        RandomModel.Shape shape = new RandomModel.Shape("llama", 192, 320, 2, 6, 2, 64, 300, false, 10_000.0, true, 0);
        int[] tokens = new int[150];
        for (int t = 0; t < tokens.length; t++) {
            tokens[t] = (t * 37 + 11) % 300;
        }
        for (String dtype : new String[] {"BF16", "F16", "F32"}) {
            Path dir = tmp.resolve(backend + "-" + dtype);
            if (!Files.exists(dir)) {
                RandomModel.write(dir, shape, dtype, 7, 1);
            }
            try (Model m = Model.load(dir); CudaPrefill gpu = CudaPrefill.upload(b, m)) {
                assertWithin(m.prefill(tokens, ComputeMode.FP32), gpu.prefill(tokens), shape.hidden(), 1e-4, dtype);
            }
        }
    }

    /**
     * Qwen2 (QKV bias; with {@code use_sliding_window} and {@code max_window_layers} 1: layer 0 full, layer 1
     * windowed), Qwen3 (q/k norms, head_dim 128 with 4 heads over hidden 256) and Mistral (window 48 on every
     * layer), 200 positions: the device against the CPU runtime's fp32 mode; then the same weights uploaded with
     * each feature dropped (its config.json edited) must be far from the CPU's states. Slow on the emulator
     * (~10 s); the oracle test below is the quick suite's check of the same features.
     */
    @org.junit.jupiter.api.Tag("slow")
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void qwen2BiasAndWindows_qwen3QkNorms_matchTheCpuRuntime_andDroppingEachFails(String backend) throws Exception {
        CudaBackend b = Backends.get(backend);
        int[] tokens = new int[200];
        for (int t = 0; t < tokens.length; t++) {
            tokens[t] = (t * 53 + 5) % 300;
        }
        // {model type, head_dim, config overrides, the feature dropped: its overrides}
        Object[][] cases = {
                {"qwen2", 64, "{\"use_sliding_window\": true, \"sliding_window\": 48, \"max_window_layers\": 1}",
                        "QKV bias", "{\"model_type\": \"llama\", \"layer_types\": [\"full_attention\", \"sliding_attention\"]}",
                        "the window", "{\"use_sliding_window\": false}",
                        "the window's layers", "{\"max_window_layers\": 0}"},
                {"qwen3", 128, "{}", "q/k norms", "{\"model_type\": \"llama\"}"},
                {"mistral", 64, "{\"sliding_window\": 48}", "the window", "{\"sliding_window\": null}"}};
        for (Object[] c : cases) {
            String type = (String) c[0];
            Path dir = tmp.resolve(backend + "-" + type);
            if (!Files.exists(dir)) {
                RandomModel.write(dir, new RandomModel.Shape(type, 256, 384, 2, 4, 2, (int) c[1], 300, false, 1_000_000.0, false, 0),
                        "BF16", 11, 1);
                overrideConfig(dir, dir, (String) c[2]);
            }
            float[] cpu;
            try (Model m = Model.load(dir); CudaPrefill gpu = CudaPrefill.upload(b, m)) {
                cpu = m.prefill(tokens, ComputeMode.FP32);
                assertWithin(cpu, gpu.prefill(tokens), 256, 1e-4, type);
            }
            for (int i = 3; i < c.length; i += 2) {
                Path dropped = tmp.resolve(backend + "-" + type + "-without-" + i);
                overrideConfig(dir, dropped, (String) c[i + 1]);
                try (Model m = Model.load(dropped); CudaPrefill gpu = CudaPrefill.upload(b, m)) {
                    double worst = worst(cpu, gpu.prefill(tokens), 256);
                    assertTrue(worst > 1e-2, type + " without " + c[i] + ": max|err|/rms " + worst + " would pass the bound");
                }
            }
        }
    }

    /**
     * llama.cpp's final-norm states (an implementation nobody on this project wrote) of the oracle's Qwen2 with QKV
     * bias and windows on layers 1-2 only, and Qwen3 with q/k norms (head_dim 32, 4 heads over hidden 64), 256
     * positions each: within 1e-4 of the rms. Negative controls, on the first 64 positions (twice the window; the
     * states are causal, so a prefix's are the same): the same weights uploaded with the bias, the window or the
     * q/k norms dropped are far from them; without the q/k norms the device matches llama.cpp's states of the
     * model converted without them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void qwen2WindowLayers_andQwen3_matchLlamaCpp_andDroppingEachFeatureFails(String backend) throws Exception {
        CudaBackend b = Backends.get(backend);
        // {case, feature dropped, its config overrides, ...}
        String[][] cases = {
                {"qwen2-window-layers",
                        "QKV bias", "{\"model_type\": \"llama\", \"attention_bias\": false, \"layer_types\": [\"full_attention\", \"sliding_attention\", \"sliding_attention\"]}",
                        "the window", "{\"use_sliding_window\": false}"},
                {"qwen3", "q/k norms", "{\"model_type\": \"llama\"}"}};
        for (String[] c : cases) {
            Path dir = TestVectors.root().resolve("oracle").resolve(c[0]);
            JsonNode meta = JSON.readTree(dir.resolve("golden.json").toFile());
            int d = meta.get("hidden").asInt();
            int[] tokens = new int[meta.get("ids").size()];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = meta.get("ids").get(i).asInt();
            }
            float[] llamaCpp = floats(dir.resolve("llamacpp.fp32.bin"), tokens.length * d);
            try (Model m = Model.load(dir); CudaPrefill gpu = CudaPrefill.upload(b, m)) {
                assertWithin(llamaCpp, gpu.prefill(tokens), d, 1e-4, c[0]);
            }
            int[] prefix = java.util.Arrays.copyOf(tokens, 64);
            for (int i = 1; i < c.length; i += 2) {
                Path dropped = tmp.resolve(backend + "-" + c[0] + "-without-" + i);
                overrideConfig(dir, dropped, c[i + 1]);
                try (Model m = Model.load(dropped); CudaPrefill gpu = CudaPrefill.upload(b, m)) {
                    float[] ours = gpu.prefill(prefix);
                    double worst = worst(java.util.Arrays.copyOf(llamaCpp, prefix.length * d), ours, d);
                    assertTrue(worst > 1e-2, c[0] + " without " + c[i] + ": max|err|/rms " + worst + " would pass the bound");
                    if (c[0].equals("qwen3")) {
                        float[] noNorm = floats(dir.resolve("llamacpp-no-qk-norm.fp32.bin"), tokens.length * d);
                        assertWithin(java.util.Arrays.copyOf(noNorm, prefix.length * d), ours, d, 1e-4,
                                "qwen3 without q/k norms against llama.cpp's conversion without them");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void whatTheKernelsDoNotCover_isATypedErrorOrRefusal(String backend) throws Exception {
        CudaBackend b = Backends.get(backend);
        // the runtime's layers the kernels lack: refused by name rather than computed without them
        for (String[] c : new String[][] {{"qwen3-moe", "mixture of experts"},
                {"mixtral", "mixture of experts"}, {"phi3", "fused projections"}, {"gemma2", "no Gemma layers"},
                {"gemma3", "no Gemma layers"}, {"llama-yarn", "rope_scaling llama3 or linear (this is YARN)"},
                {"llama-dynamic", "(this is DYNAMIC)"}}) {
            try (Model m = Model.load(TestVectors.root().resolve("oracle").resolve(c[0]))) {
                CudaException e = assertThrows(CudaException.class, () -> CudaPrefill.upload(b, m));
                assertEquals("unsupported", e.errorName());
                assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
            }
        }
        try (Model m = Model.load(DIR); CudaPrefill gpu = CudaPrefill.upload(b, m)) {
            assertThrows(IllegalArgumentException.class, () -> gpu.prefill(new int[0]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.prefill(new int[] {1, 258}));
            assertTrue(e.getMessage().contains("token 258 at position 1 is outside the vocabulary (0..257)"), e.getMessage());
            assertTrue(gpu.maxTokens() >= 12_000, "max tokens " + gpu.maxTokens());
            assertEquals(null, gpu.asEngine().prefill(m, new int[] {1, 2}, ComputeMode.BF16), "bf16 requests stay on the CPU");
        }
    }

    static void assertWithin(float[] ref, float[] got, int d, double bound, String what) {
        assertEquals(ref.length, got.length, what);
        for (int t = 0; t < ref.length / d; t++) {
            double rel = relativeError(ref, got, d, t);
            assertTrue(rel <= bound, what + " position " + t + ": max|err|/rms " + rel);
        }
    }

    /** max |got - ref| / rms(ref) over position t's row (NaN counts as infinitely far). */
    static double relativeError(float[] ref, float[] got, int d, int t) {
        double sq = 0;
        double err = 0;
        for (int i = 0; i < d; i++) {
            sq += (double) ref[t * d + i] * ref[t * d + i];
            double e = Math.abs(got[t * d + i] - ref[t * d + i]);
            err = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(err, e);
        }
        return err / Math.sqrt(sq / d);
    }

    /** The largest {@link #relativeError} over the positions. */
    static double worst(float[] ref, float[] got, int d) {
        assertEquals(ref.length, got.length);
        double w = 0;
        for (int t = 0; t < ref.length / d; t++) {
            w = Math.max(w, relativeError(ref, got, d, t));
        }
        return w;
    }

    static float[] floats(Path f, int n) throws java.io.IOException {
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(4L * n, bytes.length, f + ": size");
        float[] v = new float[n];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    /** {@code to}: {@code from}'s model with {@code overrides} (a JSON object) set in its config.json; the weights linked. */
    static void overrideConfig(Path from, Path to, String overrides) throws java.io.IOException {
        ObjectNode cfg = (ObjectNode) JSON.readTree(from.resolve("config.json").toFile());
        cfg.setAll((ObjectNode) JSON.readTree(overrides));
        Files.createDirectories(to);
        Files.writeString(to.resolve("config.json"), JSON.writeValueAsString(cfg));
        if (!from.equals(to)) {
            Files.createSymbolicLink(to.resolve("model.safetensors"), from.resolve("model.safetensors").toAbsolutePath());
        }
    }
}
