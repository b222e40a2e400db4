package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.vectors.GoldenSequence;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation with the KV cache, greedy and seeded sampling, on the tiny trained model. */
class GenerationTest {
    static final Path DIR = TestVectors.model("tiny-fortunes-llama");
    static Model model;

    @BeforeAll
    static void load() throws Exception {
        model = Model.load(DIR);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void greedyBf16_reproducesPyTorchsGreedyCompletions() throws Exception {
        for (String seq : new String[] {"seq1", "seq2", "seq3"}) {
            GoldenSequence golden = GoldenSequence.read(DIR, seq);
            int[] prompt = golden.promptIds();
            int[] expected = golden.completionIds();
            Generator.Generation g = Generator.generate(model, prompt, expected.length, Sampling.GREEDY, -1, ComputeMode.BF16, null);
            int same = 0;
            while (same < expected.length && g.completion()[same] == expected[same]) {
                same++;
            }
            System.out.println(seq + ": greedy bf16 agrees with PyTorch on the first " + same + " of " + expected.length + " tokens");
            assertTrue(same >= 32, seq + ": only " + same + " tokens agree");
        }
    }

    @Test
    void generationStates_equalAPrefillOfTheWholeSequence() {
        int[] prompt = "Q: Why?\nA:".chars().toArray();
        Generator.Generation g = Generator.generate(model, prompt, 40, new Sampling(0.8, 42), -1, ComputeMode.FP32, null);
        int[] seq = new int[prompt.length + g.completion().length - 1];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(g.completion(), 0, seq, prompt.length, g.completion().length - 1);
        assertArrayEquals(model.prefill(seq, ComputeMode.FP32), g.hidden());
    }

    @Test
    void seededSampling_isReproducible_andSeedSensitive() {
        int[] prompt = "Q: What is love?\nA:".chars().toArray();
        int[] a = Generator.generate(model, prompt, 48, new Sampling(0.8, 7), -1, ComputeMode.FP32, null).completion();
        int[] b = Generator.generate(model, prompt, 48, new Sampling(0.8, 7), -1, ComputeMode.FP32, null).completion();
        int[] c = Generator.generate(model, prompt, 48, new Sampling(0.8, 8), -1, ComputeMode.FP32, null).completion();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void gumbelMax_samplesTheSoftmax() {
        float[] logits = {0f, 1f, 2f, -1f};
        double t = 0.7;
        double[] p = new double[4];
        double z = 0;
        for (int i = 0; i < 4; i++) {
            p[i] = Math.exp(logits[i] / t);
            z += p[i];
        }
        int[] counts = new int[4];
        int draws = 40000;
        Sampling s = new Sampling(t, 123);
        for (int pos = 0; pos < draws; pos++) {
            counts[s.choose(logits, 0, 4, pos)]++;
        }
        for (int i = 0; i < 4; i++) {
            double expected = draws * p[i] / z;
            assertTrue(Math.abs(counts[i] - expected) < 5 * Math.sqrt(expected), "token " + i + ": " + counts[i] + " vs " + expected);
        }
    }

    @Test
    void stopsAtEos_includingIt() {
        int[] prompt = "ab".chars().toArray();
        Generator.Generation first = Generator.generate(model, prompt, 5, Sampling.GREEDY, -1, ComputeMode.FP32, null);
        int eos = first.completion()[2];
        Generator.Generation g = Generator.generate(model, prompt, 5, Sampling.GREEDY, eos, ComputeMode.FP32, null);
        int stop = 0;
        while (g.completion()[stop] != eos) {
            stop++;
        }
        assertEquals(stop + 1, g.completion().length);
        assertTrue(g.stoppedAtEos());
    }
}
