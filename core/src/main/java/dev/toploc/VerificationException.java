package dev.toploc;

/**
 * The commits do not match the recomputed states within the policy: the claim is rejected. The message
 * names the first failing chunk and every check it failed; {@link #report()} has all chunks. The runtime's
 * verifier throws its subclass {@code ClaimRejectedException}, which also carries the token replay.
 */
public class VerificationException extends TopLocException {
    private static final long serialVersionUID = 1L;

    private final transient VerificationReport report;

    public VerificationException(String message, VerificationReport report) {
        super(message);
        this.report = report;
    }

    public VerificationReport report() {
        return report;
    }
}
