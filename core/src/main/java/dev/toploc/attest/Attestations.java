package dev.toploc.attest;

import java.util.List;

/**
 * Signing and verifying inference attestations: an {@link InferenceAttestation} as an in-toto Statement
 * in a DSSE envelope signed with Ed25519.
 *
 * <p><b>Security guarantees.</b> {@link #verify} checks, in this order: the envelope decodes; a signature
 * over the PAE verifies with one of the trusted keys ({@code keyid} only picks error messages); the payload
 * type is in-toto's; the Statement parsed from exactly the verified bytes, all of them (one JSON value,
 * nothing after it), has the known statement and predicate types, every constraint of
 * {@code docs/attestation.schema.json} (sampling parameters in range, a completion no longer than its
 * {@code maxTokens}) and a subject matching the completion. It does not recompute anything: checking the
 * commits against the model is {@code toploc verify}'s job (see {@code docs/threat-model.md}).
 */
public final class Attestations {
    private Attestations() {
    }

    /** Signs {@code a} with each key; returns the envelope's JSON bytes. */
    public static byte[] sign(InferenceAttestation a, List<SigningKey> keys) {
        return Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, a.toStatementJson(), keys).toJson();
    }

    /** Verifies an envelope's JSON against trusted keys and returns the attestation it carries. */
    public static InferenceAttestation verify(byte[] envelopeJson, List<PublicKey> trusted) throws AttestationException {
        Dsse.Envelope env = Dsse.parse(envelopeJson);
        byte[] statement = Dsse.verify(env, trusted, Dsse.IN_TOTO_PAYLOAD_TYPE);
        return InferenceAttestation.parseStatement(statement);
    }
}
