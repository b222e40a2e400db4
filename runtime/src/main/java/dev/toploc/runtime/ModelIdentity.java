package dev.toploc.runtime;

import dev.toploc.attest.InferenceAttestation;
import java.util.List;

/**
 * What names a model's exact weights: the sha256 of each weight file (in canonical order: file names
 * sorted by their UTF-16 code units, which is byte order for ASCII names), a sha256 over those digests
 * in that order, and the sha256 of {@code config.json}. Attestations carry this; the verifier compares
 * it with the folder it was given before recomputing anything.
 *
 * @param weightFiles   file names in canonical order
 * @param weightDigests hex sha256 of each file, same order
 * @param weightsDigest hex sha256 of the concatenated 32-byte digests of the weight files in order
 * @param configDigest  hex sha256 of config.json
 */
public record ModelIdentity(List<String> weightFiles, List<String> weightDigests, String weightsDigest, String configDigest) {
    public ModelIdentity {
        weightFiles = List.copyOf(weightFiles);
        weightDigests = List.copyOf(weightDigests);
    }

    /**
     * This identity as an attestation's {@code predicate.model}, under {@code name} (informational: a
     * verifier compares the digests, never the name).
     */
    public InferenceAttestation.ModelRef toModelRef(String name) {
        return InferenceAttestation.ModelRef.of(name, weightFiles, weightDigests, weightsDigest, configDigest);
    }
}
