package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Claim;
import dev.toploc.attest.Expectations;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.vectors.TestVectors;
import org.junit.jupiter.api.Test;

/** The verdict bound to the client's request: nonce, prompt and completion expected, each mismatch a rejection naming the field. */
class ExpectationsTest {
    static final int[] PROMPT = "Q: Who?\nA:".chars().toArray();

    @Test
    void expectationsBindTheVerdict_toTheRequest() throws Exception {
        try (Model m = Model.load(TestVectors.model("tiny-fortunes-llama"))) {
            InferenceAttestation a = Provider.generate(m, "tiny", new Provider.Request(PROMPT, 6, Sampling.GREEDY, -1, ComputeMode.BF16,
                    CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, "request-7"));
            InferenceVerifier v = InferenceVerifier.builder().build();
            Expectations all = Expectations.NONE.withNonce("request-7").withPrompt(PROMPT).withCompletion(a.completion());
            assertTrue(v.verify(m, a, all).accepted());
            assertTrue(v.verify(m, a, Expectations.NONE).accepted());   // the negative control: the claim itself holds

            AttestationException nonce = assertThrows(AttestationException.class, () -> v.verify(m, a, all.withNonce("request-8")));
            assertEquals(Expectations.CHECK, nonce.check());
            assertTrue(nonce.getMessage().startsWith("request: nonce: the attestation answers nonce 'request-7', not the request's 'request-8'"),
                    nonce.getMessage());

            int[] edited = PROMPT.clone();
            edited[3] = 'X';
            AttestationException prompt = assertThrows(AttestationException.class, () -> v.verify(m, a, Expectations.NONE.withPrompt(edited)));
            assertEquals("request: prompt: token 3 is " + PROMPT[3] + ", the request's is " + (int) 'X' + " (attested " + PROMPT.length
                    + " tokens, expected " + PROMPT.length + ")", prompt.getMessage());

            int[] shorter = java.util.Arrays.copyOf(a.completion(), a.completion().length - 1);
            AttestationException completion = assertThrows(AttestationException.class,
                    () -> v.verify(m, a, Expectations.NONE.withCompletion(shorter)));
            assertTrue(completion.getMessage().startsWith("request: completion: the attested completion has 6 tokens, the request's 5"),
                    completion.getMessage());

            // a bare claim carries no nonce: expecting one rejects
            Claim bare = Claim.bare(a.prompt(), a.completion(), a.commitSpec(), a.positions(), a.prefillChunk(), a.commits(), a.sampling());
            AttestationException none = assertThrows(AttestationException.class, () -> v.verify(m, bare, Expectations.NONE.withNonce("x")));
            assertTrue(none.getMessage().startsWith("request: nonce: the claim carries no nonce"), none.getMessage());
            assertTrue(v.verify(m, bare, Expectations.NONE.withPrompt(PROMPT)).accepted());
        }
    }

    @Test
    void emptyExpectedIds_areRefused() {
        assertThrows(IllegalArgumentException.class, () -> Expectations.NONE.withPrompt(new int[0]));
        assertThrows(NullPointerException.class, () -> Expectations.NONE.withNonce(null));
    }
}
