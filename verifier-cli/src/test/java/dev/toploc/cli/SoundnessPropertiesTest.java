package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.Compute;
import dev.toploc.PositionConvention;
import dev.toploc.attest.Claim;
import dev.toploc.runtime.ClaimRejectedException;
import dev.toploc.calibration.Claims;
import dev.toploc.calibration.Submission;
import dev.toploc.policy.PolicyFile;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.Sampling;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Path;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Soundness across precisions on the embedded model with its shipped calibrated policy: an honest rerun in
 * any compute mode is accepted, and each attack class the calibration shows as detectable is rejected.
 * (The full matrix is {@code toploc calibrate}; this keeps the claim checked on every build.)
 */
class SoundnessPropertiesTest {
    static final Path A = TestVectors.model("tiny-fortunes-llama");
    static final Path B = TestVectors.model("tiny-fortunes-llama-b");
    static Model a;
    static Model b;
    static PolicyFile policy;

    @BeforeContainer
    static void load() throws Exception {
        a = Model.load(A);
        b = Model.load(B);
        policy = PolicyFile.read(A.resolve("toploc-policy.json"));
    }

    @AfterContainer
    static void close() {
        a.close();
        b.close();
    }

    static final String[] WORDS = {"time", "money", "cats", "love", "the sea", "a computer", "friends", "work", "music", "sleep"};

    static int[] prompt(long seed) {
        Random r = new Random(seed);
        return TokenIds.fromText("Q: What is " + WORDS[r.nextInt(WORDS.length)] + " for " + WORDS[r.nextInt(WORDS.length)] + "?\nA:");
    }

    static boolean accepted(Submission c, ComputeMode verifierMode) throws Exception {
        return accepted(c, a, policy, verifierMode);
    }

    /** Whether the verifier holding {@code model} accepts the claim under the calibrated {@code policy}. */
    static boolean accepted(Submission c, Model model, PolicyFile policy, ComputeMode verifierMode) throws Exception {
        return accepted(c, model, policy, verifierMode, Compute.defaults(), null);
    }

    /** As {@link #accepted(Submission, Model, PolicyFile, ComputeMode)} on {@code compute}, the prefill on {@code engine} (null: the CPU). */
    static boolean accepted(Submission c, Model model, PolicyFile policy, ComputeMode verifierMode, Compute compute,
                            InferenceVerifier.PrefillEngine engine) throws Exception {
        if (c.formatError() != null) {
            return false;
        }
        InferenceVerifier verifier = InferenceVerifier.builder().mode(verifierMode).policy(policy.policy())
                .sampling(new InferenceVerifier.SamplingCheck(true, policy.logitMargin(), 1e-4)).compute(compute).engine(engine).build();
        try {
            // the commits and tokens, whatever weights the claim names (the attacks claim the right model)
            return verifier.verify(model, Claim.of(c.attestation()).withoutModel()).accepted();
        } catch (ClaimRejectedException rejected) {
            return false;
        }
    }

    @Property(tries = 12, seed = "20261128")
    void honestRerun_isAccepted_inAnyComputeMode(@ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int providerMode,
                                                 @ForAll @IntRange(min = 0, max = 2) int verifierMode, @ForAll boolean greedy) throws Exception {
        Sampling s = greedy ? Sampling.GREEDY : new Sampling(0.8, seed);
        Submission c = Claims.honest(a, a, prompt(seed), 40, s, ComputeMode.values()[providerMode],
                PositionConvention.PRODUCED, 0);
        assertTrue(accepted(c, ComputeMode.values()[verifierMode]));
    }

    enum Attack { SUBSTITUTION, PREFIX_ADDED, PREFIX_REMOVED, REPLAY, SHIFTED, FP16_AS_BF16, BF16_AS_FP16, RANDOM_COMMITS }

    @Property(tries = 16, seed = "20261128")
    void detectableAttacks_areRejected(@ForAll Attack attack, @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int verifierMode)
            throws Exception {
        assertFalse(accepted(attack(attack, a, b, seed), ComputeMode.values()[verifierMode]), attack + " was accepted");
    }

    /** The claim an attacker makes: {@code a} is the model claimed, {@code b} another one. */
    static Submission attack(Attack attack, Model a, Model b, long seed) throws Exception {
        Sampling s = new Sampling(0.8, seed);
        int[] p = prompt(seed);
        return switch (attack) {
            case SUBSTITUTION -> Claims.honest(b, a, p, 40, s, ComputeMode.BF16, PositionConvention.PRODUCED, 0);
            case PREFIX_ADDED -> Claims.prefixed(a, p, 40, s, true);
            case PREFIX_REMOVED -> Claims.prefixed(a, p, 40, s, false);
            case REPLAY -> Claims.replayed(a, p, prompt(seed + 1), 40, s);
            case SHIFTED -> Claims.shifted(a, p, 40, s);
            case FP16_AS_BF16 -> Claims.relabeled(a, p, 40, s, dev.toploc.Dtype.FP16, dev.toploc.Dtype.BF16);
            case BF16_AS_FP16 -> Claims.relabeled(a, p, 40, s, dev.toploc.Dtype.BF16, dev.toploc.Dtype.FP16);
            case RANDOM_COMMITS -> Claims.randomCommits(a, p, 40, s, (int) seed);
        };
    }

    @net.jqwik.api.Example
    void theDefaultPolicy_isLooserThanTheCalibratedOne() {
        AcceptancePolicy d = AcceptancePolicy.defaults(CommitSpec.DEFAULT);
        AcceptancePolicy c = policy.policy();
        assertTrue(c.maxExpMismatches() < d.maxExpMismatches() && c.maxMantErrMean() < d.maxMantErrMean());
    }
}
