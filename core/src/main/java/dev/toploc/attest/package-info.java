/**
 * Signed attestations: {@link dev.toploc.attest.InferenceAttestation} (the in-toto predicate) and the
 * {@link dev.toploc.attest.Claim} a verifier checks (from an attestation, or bare, naming no model), the
 * client's {@link dev.toploc.attest.Expectations} of it (nonce, prompt, completion of its own request),
 * {@link dev.toploc.attest.Attestations} (sign, verify), {@link dev.toploc.attest.Dsse} (envelope and PAE)
 * and the Ed25519 keys {@link dev.toploc.attest.SigningKey} and {@link dev.toploc.attest.PublicKey} (PKCS#8 and
 * SubjectPublicKeyInfo PEM; Bouncy Castle inside, in no public signature), with {@link dev.toploc.attest.AttestationException}
 * naming the check that failed.
 *
 * <p>Lives here: formats and signatures, strict and bounded parsing of untrusted bytes. Must not live here:
 * recomputation (the runtime's {@code InferenceVerifier}), trust decisions beyond "one of the given keys
 * signed it" (which keys to trust is the caller's).
 */
package dev.toploc.attest;
