package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Compute;
import dev.toploc.vectors.TestVectors;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The provider's GPU-serving variants on the tiny trained model: each changes the hidden states (it is not a
 * no-op) and stays close to the fp32 eager result: its relative RMS error is at most twice the eager pass's
 * in the same compute mode (for a variant in fp32 compute, at most the bf16 eager pass's).
 */
class ServingNumericsTest {
    static Model model;
    /** 95 tokens: chunks of 16 leave a short last chunk, and flash blocks of 64 split it. */
    static final int[] PROMPT = ids("Q: Why is the sky blue, and why does it turn red when the sun goes down?\nA: Because the air scatters ");

    @BeforeAll
    static void load() throws Exception {
        model = Model.load(TestVectors.model("tiny-fortunes-llama"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static int[] ids(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int[] r = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[i] & 0xFF;
        }
        return r;
    }

    static float[] run(ComputeMode mode, ServingNumerics n) {
        return model.session(mode, PROMPT.length, Compute.defaults(), n).append(PROMPT);
    }

    static double relRms(float[] a, float[] ref) {
        double e = 0;
        double r = 0;
        for (int i = 0; i < a.length; i++) {
            e += (a[i] - (double) ref[i]) * (a[i] - (double) ref[i]);
            r += (double) ref[i] * ref[i];
        }
        return Math.sqrt(e / r);
    }

    record Variant(ComputeMode mode, ServingNumerics numerics) {
    }

    static final List<Variant> VARIANTS = List.of(
            new Variant(ComputeMode.BF16, ServingNumerics.flash(64, ComputeMode.BF16)),
            new Variant(ComputeMode.FP16, ServingNumerics.flash(128, ComputeMode.FP16)),
            new Variant(ComputeMode.BF16, ServingNumerics.splitK(2, false)),
            new Variant(ComputeMode.BF16, ServingNumerics.splitK(4, false)),
            new Variant(ComputeMode.BF16, ServingNumerics.splitK(8, true)),
            new Variant(ComputeMode.FP32, ServingNumerics.splitK(8, true)),
            new Variant(ComputeMode.BF16, ServingNumerics.fusedResidualNorm()),
            new Variant(ComputeMode.FP32, ServingNumerics.tf32Matmul()),
            new Variant(ComputeMode.BF16, ServingNumerics.flash(64, ComputeMode.BF16).withPrefillChunk(16)),
            new Variant(ComputeMode.BF16, ServingNumerics.flash(128, ComputeMode.BF16).withSplitK(4, true).withFusedAddNorm().withPrefillChunk(64)));

    @Test
    void everyVariant_changesTheStates_andStaysNearTheFp32Result() {
        float[] fp32 = run(ComputeMode.FP32, ServingNumerics.DEFAULT);
        double bf16Error = relRms(run(ComputeMode.BF16, ServingNumerics.DEFAULT), fp32);
        for (Variant v : VARIANTS) {
            float[] eager = run(v.mode(), ServingNumerics.DEFAULT);
            float[] served = run(v.mode(), v.numerics());
            double own = relRms(served, fp32);
            double bound = v.mode() == ComputeMode.FP32 ? bf16Error : 2 * relRms(eager, fp32);
            System.out.printf("%s %s: relative RMS error vs fp32 %.5f (eager %s %.5f, bound %.5f)%n", v.mode().wireName(), v.numerics().describe(),
                    own, v.mode().wireName(), relRms(eager, fp32), bound);
            assertFalse(Arrays.equals(eager, served), v + " is a no-op");
            assertTrue(own <= bound, v + ": relative RMS error " + own + " > " + bound);
        }
    }

    @Test
    void chunkedPrefill_onTheEagerPath_isBitIdentical_soItChangesNumericsOnlyWithFlashBlocks() {
        // rows are independent in every eager kernel: the chunk boundaries alone move nothing (why the variant pairs them with flash)
        assertArrayEquals(run(ComputeMode.BF16, ServingNumerics.DEFAULT), run(ComputeMode.BF16, ServingNumerics.DEFAULT.withPrefillChunk(16)));
        assertFalse(Arrays.equals(run(ComputeMode.BF16, ServingNumerics.flash(64, ComputeMode.BF16)),
                run(ComputeMode.BF16, ServingNumerics.flash(64, ComputeMode.BF16).withPrefillChunk(16))));
    }

    @Test
    void generation_withNumerics_matchesAPrefillWithTheSameNumerics_andTheDefaultIsTheEagerPath() {
        ServingNumerics n = ServingNumerics.flash(64, ComputeMode.BF16).withSplitK(2, false);
        Generator.Generation g = Generator.generate(model, PROMPT, 8, Sampling.GREEDY, java.util.Set.of(), ComputeMode.BF16, null, Compute.defaults(), n);
        Generator.Generation eager = Generator.generate(model, PROMPT, 8, Sampling.GREEDY, java.util.Set.of(), ComputeMode.BF16, null, Compute.defaults(),
                ServingNumerics.DEFAULT);
        assertArrayEquals(Generator.generate(model, PROMPT, 8, Sampling.GREEDY, -1, ComputeMode.BF16, null).hidden(), eager.hidden());
        float[] prefillRows = run(ComputeMode.BF16, n);
        assertArrayEquals(prefillRows, Arrays.copyOf(g.hidden(), prefillRows.length));
        assertFalse(Arrays.equals(eager.hidden(), g.hidden()));
    }

    @Test
    void invalidOptions_areRefused() {
        assertThrows(IllegalArgumentException.class, () -> ServingNumerics.flash(0, ComputeMode.BF16));
        assertThrows(IllegalArgumentException.class, () -> ServingNumerics.flash(64, ComputeMode.FP32));
        assertThrows(IllegalArgumentException.class, () -> ServingNumerics.flash(64, null));
        assertThrows(IllegalArgumentException.class, () -> ServingNumerics.splitK(1, true));
        assertThrows(IllegalArgumentException.class, () -> ServingNumerics.splitK(65, false));
        assertThrows(IllegalArgumentException.class, () -> ServingNumerics.DEFAULT.withPrefillChunk(-1));
        assertEquals("eager", ServingNumerics.DEFAULT.describe());
    }
}
