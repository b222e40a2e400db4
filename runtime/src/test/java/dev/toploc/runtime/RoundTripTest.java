package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.VerificationException;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Attestations;
import dev.toploc.attest.Claim;
import dev.toploc.attest.PublicKey;
import dev.toploc.attest.SigningKey;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.vectors.TestVectors;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Provider generates and signs on the tiny model; the client verifies by recomputing. */
class RoundTripTest {
    static final SigningKey KEY = SigningKey.generate(new SecureRandom(new byte[] {3}));

    static InferenceAttestation generate(Model m, Sampling s, ComputeMode mode) throws Exception {
        int[] prompt = "Q: What is a friend?\nA:".chars().toArray();
        return Provider.generate(m, "tiny-fortunes-llama", new Provider.Request(prompt, 70, s, -1, mode, CommitSpec.DEFAULT,
                PositionConvention.PRODUCED, true, "nonce-1"));
    }

    @Test
    void generatedAttestation_verifiesInEveryMode_andRejectsAnotherModel() throws Exception {
        try (Model a = Model.load(TestVectors.model("tiny-fortunes-llama"));
             Model b = Model.load(TestVectors.model("tiny-fortunes-llama-b"))) {
            for (Sampling s : new Sampling[] {Sampling.GREEDY, new Sampling(0.8, 11)}) {
                InferenceAttestation att = generate(a, s, ComputeMode.BF16);
                byte[] env = Attestations.sign(att, List.of(KEY));
                InferenceAttestation back = Attestations.verify(env, List.of(KEY.publicKey()));
                for (ComputeMode mode : ComputeMode.values()) {
                    InferenceVerifier.Report r = InferenceVerifier.builder().mode(mode).policy(AcceptancePolicy.defaults(CommitSpec.DEFAULT))
                            .build().verify(a, back);
                    assertTrue(r.accepted());
                    assertTrue(r.modelChecked());
                    assertEquals(70, r.tokensReplayed());
                }
                InferenceVerifier fp32 = InferenceVerifier.builder().build();
                AttestationException e = assertThrows(AttestationException.class, () -> fp32.verify(b, back));
                assertEquals("model", e.check());
                // Checked against model B's weights anyway (the claim without its digests): commits and tokens fail.
                ClaimRejectedException rejected = assertThrows(ClaimRejectedException.class, () -> fp32.verify(b, Claim.of(back).withoutModel()));
                InferenceVerifier.Report r = rejected.claimReport();
                assertFalse(r.modelChecked());
                assertFalse(r.commits().accepted());
                assertFalse(r.tokens().isEmpty());
            }
        }
    }

    @Test
    void changedCompletionToken_isRejectedByTheCommitsOrTheReplay() throws Exception {
        try (Model a = Model.load(TestVectors.model("tiny-fortunes-llama"))) {
            InferenceAttestation att = generate(a, Sampling.GREEDY, ComputeMode.BF16);
            int[] c = att.completion();
            c[40] = c[40] == 'x' ? 'y' : 'x';
            InferenceAttestation forged = new InferenceAttestation(att.model(), att.prompt(), c, att.commitSpec(), att.positions(),
                    att.prefillChunk(), att.commits(), att.sampling(), att.providerMode(), att.nonce(), att.timestamp());
            VerificationException e = assertThrows(VerificationException.class, () -> InferenceVerifier.builder().build().verify(a, forged));
            assertTrue(e.getMessage().contains("token 40 (position"), e.getMessage());
        }
    }
}
