package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.PositionConvention;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.Sampling;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token attacks do what they say: each checked against the honest generation it departs from, with the draft replaced by the claimed model as control. */
@Tag("slow")      // about 10 s: the draft is written and the tiny model generates a dozen times
class TokenAttacksTest {
    static final int TOKENS = 20;
    static final Sampling S = Scenario.Decoding.SEEDED.sampling(0);
    static Model claimed;
    static Model draft;
    static int[] prompt;
    static InferenceAttestation honest;

    @BeforeAll
    static void load(@TempDir Path tmp) throws Exception {
        claimed = Model.load(CalibrationTest.A);
        Path d = tmp.resolve("draft");
        TokenAttacks.writeDraft(CalibrationTest.A, d);
        draft = Model.load(d);
        prompt = Scenario.question(1, claimed.config().vocabSize());
        honest = Claims.honest(claimed, claimed, prompt, TOKENS, S, ComputeMode.BF16, PositionConvention.PRODUCED, 0).attestation();
    }

    @AfterAll
    static void close() {
        claimed.close();
        draft.close();
    }

    static Measurement measure(Submission c) {
        Family f = new Family("tiny", new Family.ModelSource.Folder(CalibrationTest.A), new Family.ModelSource.Folder(CalibrationTest.B), 2, TOKENS,
                Scenario.standard(false));
        return Calibration.measure(f, Scenario.standard(false).get(0), c, claimed, ComputeMode.BF16, 1);
    }

    @Test
    void theDraft_isTheFirstHalfOfTheLayers() throws Exception {
        assertEquals(claimed.config().numLayers() / 2, draft.config().numLayers());
        assertEquals(claimed.config().hiddenSize(), draft.config().hiddenSize());
        assertNotEquals(claimed.prefill(prompt, ComputeMode.BF16)[0], draft.prefill(prompt, ComputeMode.BF16)[0]);
    }

    @Test
    void seedCoupledSpeculation_givesTheClaimedTokens_butCommitsTheDraftsStates() throws Exception {
        InferenceAttestation a = TokenAttacks.speculative(claimed, draft, prompt, TOKENS, S, true, 3).attestation();
        assertArrayEquals(honest.completion(), a.completion(), "coupled to the seed: exactly the claimed sampling's tokens");
        assertNotEquals(honest.commits(), a.commits(), "the accepted tokens' rows are the draft's");
        Measurement m = measure(Submission.of(a));
        assertEquals(0, m.worstGap(), "the replay agrees with every token");
        assertEquals(0, m.replayMismatches());
        assertTrue(m.worstExp() > 10, "the commits do not: " + m.worstExp());

        // control: with the claimed model as its own draft every proposal is accepted and the commits are the honest ones
        InferenceAttestation self = TokenAttacks.speculative(claimed, claimed, prompt, TOKENS, S, true, 3).attestation();
        assertArrayEquals(honest.completion(), self.completion());
        assertEquals(honest.commits(), self.commits());
    }

    @Test
    void standardSpeculation_drawsItsOwnRandomNumbers_soTheReplayDisagrees() throws Exception {
        InferenceAttestation self = TokenAttacks.speculative(claimed, claimed, prompt, TOKENS, S, false, 3).attestation();
        assertFalse(java.util.Arrays.equals(honest.completion(), self.completion()), "the provider's own draws are not the seeded ones");
        Measurement m = measure(Submission.of(self));
        assertEquals(0, m.worstExp(), "with its own model as draft every row is the claimed model's");
        assertTrue(m.worstGap() > 0.5, "the replay sees the other draws: gap " + m.worstGap());
        InferenceAttestation a = TokenAttacks.speculative(claimed, draft, prompt, TOKENS, S, false, 3).attestation();
        assertArrayEquals(a.completion(), TokenAttacks.speculative(claimed, draft, prompt, TOKENS, S, false, 3).attestation().completion(),
                "the provider seed fixes the run");
    }

    @Test
    void samplingOtherwise_changesTheTokensOnly_andTheClaimedSettingsReproduceHonestGeneration() throws Exception {
        InferenceAttestation same = TokenAttacks.samplesOtherwise(claimed, prompt, TOKENS, S, S.temperature(), 1).attestation();
        assertArrayEquals(honest.completion(), same.completion(), "control: the claimed temperature and no nucleus are the claimed sampling");
        assertEquals(honest.commits(), same.commits());
        for (double[] tp : new double[][] {{1.0, 1.0}, {0.8, 0.5}}) {
            InferenceAttestation a = TokenAttacks.samplesOtherwise(claimed, prompt, TOKENS, S, tp[0], tp[1]).attestation();
            assertFalse(java.util.Arrays.equals(honest.completion(), a.completion()), "T " + tp[0] + ", top-p " + tp[1]);
            assertEquals(S.temperature(), a.sampling().temperature(), "the claim states the claimed sampling");
            Measurement m = measure(Submission.of(a));
            assertEquals(0, m.worstExp(), "the commits are the claimed model's own");
            assertTrue(m.worstGap() > 0, "only the replay can see it");
        }
        assertThrows(IllegalArgumentException.class, () -> TokenAttacks.samplesOtherwise(claimed, prompt, TOKENS, S, 0.8, 0));
    }

    @Test
    void cheapTokens_areTheDraftsDraws_committedFromTheClaimedModel() throws Exception {
        InferenceAttestation a = TokenAttacks.cheapTokens(claimed, draft, prompt, TOKENS, S).attestation();
        assertFalse(java.util.Arrays.equals(honest.completion(), a.completion()));
        Measurement m = measure(Submission.of(a));
        assertEquals(0, m.worstExp(), "a bf16 prefill of the claimed model, checked in bf16: the commits match");
        assertTrue(m.worstGap() > 0.5, "the replay sees the draft's choices: gap " + m.worstGap());
        assertTrue(m.replayMismatches() > 0 && m.replayMismatches() <= TOKENS, "tokens the replay chooses otherwise: " + m.replayMismatches());
        InferenceAttestation self = TokenAttacks.cheapTokens(claimed, claimed, prompt, TOKENS, S).attestation();
        assertArrayEquals(honest.completion(), self.completion(), "control: the claimed model as the cheap one picks the honest tokens");
    }

    @Test
    void nucleusAndDraw() {
        double[] p = {0.2, 0.5, 0.3};
        assertArrayEquals(new boolean[] {false, true, false}, TokenAttacks.nucleus(p, 0.5));
        assertArrayEquals(new boolean[] {false, true, true}, TokenAttacks.nucleus(p, 0.7));
        assertArrayEquals(new boolean[] {true, true, true}, TokenAttacks.nucleus(p, 1));
        assertArrayEquals(new boolean[] {false, true, false}, TokenAttacks.nucleus(p, 1e-9), "at least the most probable token");
        SplittableRandom r = new SplittableRandom(1);
        int[] counts = new int[3];
        for (int i = 0; i < 3000; i++) {
            counts[TokenAttacks.draw(new double[] {1, 0, 3}, r)]++;
        }
        assertEquals(0, counts[1], "a zero weight is never drawn");
        assertTrue(counts[2] > 2 * counts[0], "in proportion: " + java.util.Arrays.toString(counts));
        assertThrows(IllegalArgumentException.class, () -> TokenAttacks.draw(new double[] {0, 0}, r));
        double[] sm = TokenAttacks.softmax(new float[] {0, (float) Math.log(3)}, 1);
        assertEquals(0.25, sm[0], 1e-7);
    }
}
