package dev.toploc.calibration;

import dev.toploc.AcceptancePolicy;
import dev.toploc.TopLocException;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.internal.Parallel;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import java.util.concurrent.Callable;

/**
 * The only place this module touches the runtime's process-wide compute settings and the verifier's entry
 * point: a provider run on a given number of threads, and the verifier's measure-only recompute. When the
 * explicit compute context and the verifier builder arrive, these two methods are what changes.
 */
final class Compute {
    private Compute() {
    }

    /** Thresholds no claim can exceed: the recompute measures, the rule decides afterwards. */
    static final AcceptancePolicy MEASURE_ONLY = new AcceptancePolicy(Integer.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, -1, "measurement");

    /** Runs {@code body} with the runtime on {@code threads} threads ({@code <= 0}: as configured), restoring the setting after. */
    static <T> T withThreads(int threads, Callable<T> body) throws Exception {
        int saved = Parallel.threads();
        if (threads > 0) {
            Parallel.setThreads(threads);
        }
        try {
            return body.call();
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** The verifier's recompute of {@code a} on {@code model} in {@code mode}: every chunk's statistics and the token replay, no verdict. */
    static InferenceVerifier.Report recompute(InferenceAttestation a, Model model, ComputeMode mode, boolean streamLayers) throws TopLocException {
        return InferenceVerifier.check(a, model, mode, MEASURE_ONLY, new InferenceVerifier.SamplingCheck(true, Double.MAX_VALUE, 0), streamLayers);
    }
}
