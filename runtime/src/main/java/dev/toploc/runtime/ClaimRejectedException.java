package dev.toploc.runtime;

import dev.toploc.VerificationException;

/**
 * The claim did not hold: a commit outside the policy, a token the replay would not choose, or a
 * termination the sampling rule does not allow. The message names every failed check, first failure
 * first; {@link #claimReport()} has everything that was measured ({@link #report()}: the commits' part).
 */
public final class ClaimRejectedException extends VerificationException {
    private static final long serialVersionUID = 1L;

    private final transient InferenceVerifier.Report claimReport;

    public ClaimRejectedException(String message, InferenceVerifier.Report report) {
        super(message, report.commits());
        this.claimReport = report;
    }

    /** The full report of the rejected claim. */
    public InferenceVerifier.Report claimReport() {
        return claimReport;
    }
}
