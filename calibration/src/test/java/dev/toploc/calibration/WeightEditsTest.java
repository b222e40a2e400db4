package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WeightEditsTest {
    static float[] matrix(int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (0.02 * r.nextGaussian());
        }
        return w;
    }

    @Test
    void quantize_putsEachGroupOnItsOwnGrid_keepingTheLargestValue() {
        int rows = 4;
        int cols = 64;
        for (int[] bg : new int[][] {{8, Integer.MAX_VALUE}, {4, 32}}) {
            int bits = bg[0];
            int group = Math.min(bg[1], cols);
            float[] w = matrix(rows, cols, 1);
            float[] q = w.clone();
            WeightEdits.quantize(bits, bg[1]).apply(q, rows, cols);
            int qmax = (1 << (bits - 1)) - 1;
            for (int r = 0; r < rows; r++) {
                for (int c0 = 0; c0 < cols; c0 += group) {
                    float max = 0;
                    for (int c = c0; c < c0 + group; c++) {
                        max = Math.max(max, Math.abs(w[r * cols + c]));
                    }
                    float scale = max / qmax;
                    for (int c = c0; c < c0 + group; c++) {
                        float steps = q[r * cols + c] / scale;
                        assertEquals(Math.rint(steps), steps, 1e-3, "on the grid");
                        assertTrue(Math.abs(q[r * cols + c] - w[r * cols + c]) <= scale / 2 * 1.0001, "within half a step");
                    }
                }
            }
            assertNotEquals(Arrays.hashCode(w), Arrays.hashCode(q), "the edit changed something");
        }
    }

    @Test
    void truncate_keepsTheFirstLayers_andRefusesMoreThanThereAre(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        WeightEdits.truncate(CalibrationTest.A, tmp.resolve("two"), 2);
        try (dev.toploc.runtime.Model full = dev.toploc.runtime.Model.load(CalibrationTest.A);
             dev.toploc.runtime.Model two = dev.toploc.runtime.Model.load(tmp.resolve("two"))) {
            assertEquals(2, two.config().numLayers());
            assertTrue(two.storedTensor("model.layers.1.mlp.down_proj.weight").isPresent());
            assertTrue(two.storedTensor("model.layers.2.mlp.down_proj.weight").isEmpty(), "layer 2 and up are gone");
            assertTrue(full.storedTensor("model.layers.2.mlp.down_proj.weight").isPresent());
            assertTrue(two.storedTensor("lm_head.weight").isPresent(), "the head stays");
        }
        int layers = 4;
        assertThrows(IllegalArgumentException.class, () -> WeightEdits.truncate(CalibrationTest.A, tmp.resolve("five"), layers + 1));
        assertThrows(IllegalArgumentException.class, () -> WeightEdits.truncate(CalibrationTest.A, tmp.resolve("zero"), 0));
    }

    @Test
    void noise_isSeeded_andRelative() {
        float[] w = matrix(8, 16, 2);
        float[] a = w.clone();
        float[] b = w.clone();
        WeightEdits.noise(0.01, 5).apply(a, 8, 16);
        WeightEdits.noise(0.01, 5).apply(b, 8, 16);
        float[] c = w.clone();
        WeightEdits.noise(0.01, 6).apply(c, 8, 16);
        assertTrue(Arrays.equals(a, b), "same seed, same noise");
        assertTrue(!Arrays.equals(a, c), "another seed, other noise");
        for (int i = 0; i < w.length; i++) {
            assertTrue(Math.abs(a[i] / w[i] - 1) < 0.06, "within 6 sigma of 1%");
        }
    }
}
