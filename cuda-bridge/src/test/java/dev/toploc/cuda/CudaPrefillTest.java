package dev.toploc.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import dev.toploc.vectors.RandomModel;
import dev.toploc.vectors.GoldenSequence;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The device fp32 prefill against PyTorch's golden states and against the CPU runtime, on a GPU where there
 * is one and on the CPU emulator build of the same kernels (each skipped with its reason where it is not here).
 */
class CudaPrefillTest {
    static final Path DIR = TestVectors.model("tiny-fortunes-llama");

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

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void whatTheKernelsDoNotCover_isATypedErrorOrRefusal(String backend) throws Exception {
        CudaBackend b = Backends.get(backend);
        Path qwen = tmp.resolve("qwen-" + backend);
        RandomModel.write(qwen, RandomModel.Shape.qwen25(1, 256), "BF16", 1, 1);
        try (Model m = Model.load(qwen)) {
            CudaException e = assertThrows(CudaException.class, () -> CudaPrefill.upload(b, m));
            assertEquals("unsupported", e.errorName());
            assertTrue(e.getMessage().contains("with QKV bias"), e.getMessage());
        }
        // the runtime's newer layers: refused by name rather than computed without them
        for (String[] c : new String[][] {{"qwen3", "per-head q/k RMSNorm"}, {"qwen3-moe", "per-head q/k RMSNorm"},
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
            double sq = 0;
            double err = 0;
            for (int i = 0; i < d; i++) {
                sq += (double) ref[t * d + i] * ref[t * d + i];
                err = Math.max(err, Math.abs(got[t * d + i] - ref[t * d + i]));
            }
            double rel = err / Math.sqrt(sq / d);
            assertTrue(rel <= bound, what + " position " + t + ": max|err|/rms " + rel);
        }
    }
}
