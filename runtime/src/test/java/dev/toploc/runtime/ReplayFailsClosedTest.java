package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.vectors.RandomModel;
import dev.toploc.runtime.internal.Safetensors;
import dev.toploc.vectors.SafetensorsWriter;
import dev.toploc.runtime.internal.Weight;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13, class 1, in the replay itself: when the verifier's logits cannot be computed (here: an
 * {@code lm_head} of NaN, so every logit is NaN while the hidden states and so the commits are intact),
 * every gap is NaN, and a NaN gap is a rejection. Before, {@code NaN > margin} was false and every token
 * passed: the claim was accepted on a replay that never happened.
 */
class ReplayFailsClosedTest {
    @TempDir
    static Path dir;
    static Model intact;
    static Model nanHead;

    @BeforeAll
    static void models() throws Exception {
        Path a = dir.resolve("a");
        RandomModel.write(a, RandomModel.Shape.mistralSmall(1, 300, 0), "BF16", 7, 1);
        Path b = dir.resolve("b");
        Files.createDirectories(b);
        try (Arena arena = Arena.ofConfined()) {
            Safetensors st = Safetensors.open(a.resolve("model.safetensors"), arena);
            SafetensorsWriter w = new SafetensorsWriter();
            for (Safetensors.Entry e : st.entries().values()) {
                float[] v = new float[(int) e.elements()];
                Weight view = new Weight(e.data(), Weight.Kind.valueOf(e.dtype()), 1, v.length);
                for (int i = 0; i < v.length; i++) {
                    v[i] = view.get(i);
                }
                if (e.name().equals("lm_head.weight")) {
                    Arrays.fill(v, Float.NaN);
                }
                w.add(e.name(), e.dtype(), e.shape(), v);
            }
            w.write(b.resolve("model.safetensors"));
        }
        Files.copy(a.resolve("config.json"), b.resolve("config.json"));
        intact = Model.load(a);
        nanHead = Model.load(b);
    }

    @AfterAll
    static void close() {
        intact.close();
        nanHead.close();
    }

    @ParameterizedTest(name = "temperature {0}")
    @ValueSource(doubles = {0, 0.8})
    void nanLogits_rejectEveryToken_neverPassThem(double temperature) throws Exception {
        InferenceAttestation a = Provider.generate(intact, "m", new Provider.Request(new int[] {5, 6, 7}, 8, new Sampling(temperature, 3), -1,
                ComputeMode.FP32, CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, "n"));
        AcceptancePolicy policy = AcceptancePolicy.defaults(CommitSpec.DEFAULT);
        // the control: the intact model accepts its own claim
        InferenceVerifier v = InferenceVerifier.builder().policy(policy).build();
        assertTrue(v.verify(intact, dev.toploc.attest.Claim.of(a).withoutModel()).accepted());
        ClaimRejectedException rejected = assertThrows(ClaimRejectedException.class,
                () -> v.verify(nanHead, dev.toploc.attest.Claim.of(a).withoutModel()));
        InferenceVerifier.Report r = rejected.claimReport();
        assertTrue(r.commits().accepted(), "the states, and so the commits, do not depend on lm_head");
        assertFalse(r.accepted(), "a replay over NaN logits passed");
        assertTrue(r.tokens().size() == a.completion().length && r.tokens().stream().allMatch(f -> Double.isNaN(f.gap())),
                "every token must fail with a NaN gap: " + r.tokens());
    }
}
