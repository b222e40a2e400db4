package dev.toploc.runtime;

import dev.toploc.AcceptancePolicy;
import dev.toploc.attest.Claim;
import dev.toploc.attest.InferenceAttestation;

/** Tests' shorthand for the verifier entry point on an attestation's commits and tokens (its model digests not compared). */
final class Verify {
    private Verify() {
    }

    /** The full report whatever the verdict. */
    static InferenceVerifier.Report report(InferenceAttestation a, Model m, ComputeMode mode, AcceptancePolicy policy) throws Exception {
        try {
            return verify(a, m, mode, policy);
        } catch (ClaimRejectedException rejected) {
            return rejected.claimReport();
        }
    }

    /** Returns on accept, throws {@link ClaimRejectedException} on reject. */
    static InferenceVerifier.Report verify(InferenceAttestation a, Model m, ComputeMode mode, AcceptancePolicy policy) throws Exception {
        return InferenceVerifier.builder().mode(mode).policy(policy).build().verify(m, Claim.of(a).withoutModel());
    }
}
