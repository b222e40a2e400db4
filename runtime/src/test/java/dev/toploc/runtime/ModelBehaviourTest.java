package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Compute;
import dev.toploc.vectors.RandomModel;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Determinism and equivalences of the forward pass, on the tiny trained model and random models of real shapes. */
class ModelBehaviourTest {
    static final Path TINY = TestVectors.model("tiny-fortunes-llama");
    static final int[] PROMPT = "The quick brown fox jumps over the lazy dog. ".repeat(3).chars().toArray();

    @Test
    void oneAndTwoThreads_giveIdenticalStates() throws Exception {
        try (Model m = Model.load(TINY)) {
            for (ComputeMode mode : ComputeMode.values()) {
                float[] one = m.prefill(PROMPT, mode, Compute.defaults().withThreads(1));
                float[] two = m.prefill(PROMPT, mode, Compute.defaults().withThreads(2));
                assertArrayEquals(one, two, mode.toString());
            }
        }
    }

    @Test
    void layerStreaming_givesIdenticalStates() throws Exception {
        try (Model m = Model.load(TINY)) {
            for (ComputeMode mode : ComputeMode.values()) {
                assertArrayEquals(m.prefill(PROMPT, mode, false), m.prefill(PROMPT, mode, true), mode.toString());
            }
        }
    }

    @Test
    void kvCacheDecoding_equalsPrefill_bitForBit() throws Exception {
        try (Model m = Model.load(TINY)) {
            for (ComputeMode mode : ComputeMode.values()) {
                float[] full = m.prefill(PROMPT, mode);
                Model.Session s = m.session(mode, PROMPT.length);
                float[] first = s.append(Arrays.copyOf(PROMPT, 10));
                float[] rest = new float[0];
                for (int i = 10; i < PROMPT.length; i++) {
                    float[] row = s.append(PROMPT[i]);
                    rest = concat(rest, row);
                }
                assertArrayEquals(full, concat(first, rest), mode.toString());
            }
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void randomModelsOfRealShapes_loadAndRun_shardedOrNot(@TempDir Path tmp) throws Exception {
        RandomModel.Shape[] shapes = {
                RandomModel.Shape.qwen25(2, 512),
                RandomModel.Shape.llama3_8b(1, 256),
                RandomModel.Shape.mistralSmall(2, 300, 16),
        };
        for (RandomModel.Shape shape : shapes) {
            for (int shards : shape.hidden() > 1024 ? new int[] {2} : new int[] {1, 3}) {
                Path dir = tmp.resolve(shape.modelType() + "-" + shape.hidden() + "-" + shards);
                RandomModel.write(dir, shape, "BF16", 7, shards);
                assertEquals(shards > 1, Files.exists(dir.resolve("model.safetensors.index.json")));
                try (Model m = Model.load(dir)) {
                    int[] ids = new int[40];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = (i * 37) % shape.vocab();
                    }
                    float[] h = m.prefill(ids, ComputeMode.FP32);
                    assertEquals(40 * shape.hidden(), h.length);
                    for (float f : h) {
                        assertTrue(Float.isFinite(f));
                    }
                    float[] bf = m.prefill(ids, ComputeMode.BF16);
                    double maxRel = 0;
                    for (int t = 0; t < 40; t++) {
                        double sq = 0;
                        double err = 0;
                        for (int i = 0; i < shape.hidden(); i++) {
                            double ref = h[t * shape.hidden() + i];
                            sq += ref * ref;
                            err = Math.max(err, Math.abs(bf[t * shape.hidden() + i] - ref));
                        }
                        maxRel = Math.max(maxRel, err / Math.sqrt(sq / shape.hidden()));
                    }
                    assertTrue(maxRel < 0.5, shape + ": bf16 vs fp32 max |err| / rms = " + maxRel);
                    assertEquals(shards, m.identity().weightFiles().size());
                    // shards are hashed in parallel: each digest is its file's, and the combined one takes them in file order
                    java.security.MessageDigest all = java.security.MessageDigest.getInstance("SHA-256");
                    for (int f = 0; f < shards; f++) {
                        byte[] one = java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(
                                dir.resolve(m.identity().weightFiles().get(f))));
                        assertEquals(java.util.HexFormat.of().formatHex(one), m.identity().weightDigests().get(f));
                        all.update(one);
                    }
                    assertEquals(java.util.HexFormat.of().formatHex(all.digest()), m.identity().weightsDigest());
                }
            }
        }
    }

    @Test
    void identity_matchesPublishedDigests() throws Exception {
        try (Model m = Model.load(TINY)) {
            ModelIdentity id = m.identity();
            assertEquals("e67d04cfc4da9f5a1d789b38cbd2046c522ebb03145d0bfac40e647d9dd4673f", id.weightDigests().get(0));
            assertEquals("44ff2dba0d751eba8d69bfbd2cc03226c1e494aef306e40347c57b42a2ac205e", id.configDigest());
        }
    }
}
