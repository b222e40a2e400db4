package dev.toploc.calibration;

import dev.toploc.AcceptancePolicy;
import dev.toploc.TopLocException;
import dev.toploc.attest.Claim;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.runtime.ClaimRejectedException;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The verifier's recompute for measuring: every chunk's statistics and the token replay, the verdict left to the threshold rule. */
final class Recompute {
    private Recompute() {
    }

    /** Thresholds no claim can exceed: the recompute measures, the rule decides afterwards. */
    static final AcceptancePolicy MEASURE_ONLY = new AcceptancePolicy(Integer.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, -1, "measurement");

    /**
     * The verifier's recompute of {@code a} on {@code model} in {@code mode}: each chunk has its strict statistics
     * and those of {@link Calibration#TIES}; the replay's margin is 0, so the report lists every completion token
     * that is not the replay's choice. The claim's model digests are not
     * compared (the attacks claim the right model; the scenarios measure commits and tokens).
     */
    static InferenceVerifier.Report of(InferenceAttestation a, Model model, ComputeMode mode, boolean streamLayers)
            throws TopLocException {
        InferenceVerifier v = InferenceVerifier.builder().mode(mode).policy(MEASURE_ONLY)
                .sampling(new InferenceVerifier.SamplingCheck(true, 0, 0)).streamLayers(streamLayers)
                .ties(Calibration.TIES).build();
        try {
            return v.verify(model, Claim.of(a).withoutModel());
        } catch (ClaimRejectedException measured) {
            return measured.claimReport();
        } catch (IOException e) {      // only the model digests are read from disk, and a claim without a model needs none
            throw new UncheckedIOException(e);
        }
    }
}
