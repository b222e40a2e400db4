package dev.toploc.calibration;

import dev.toploc.attest.InferenceAttestation;

/**
 * What a provider hands the verifier in one scenario: an attestation, or, when its commits cannot even be
 * parsed (the reference's all-zero "null proof"), the format error the strict parser gave.
 *
 * @param attestation the claim (null when {@code formatError} is set)
 * @param formatError why no attestation could be made (null when there is one)
 */
public record Submission(InferenceAttestation attestation, String formatError) {
    public Submission {
        if ((attestation == null) == (formatError == null)) {
            throw new IllegalArgumentException("a submission is an attestation or a format error, exactly one");
        }
    }

    public static Submission of(InferenceAttestation a) {
        return new Submission(a, null);
    }
}
