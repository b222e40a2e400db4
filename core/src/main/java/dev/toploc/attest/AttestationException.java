package dev.toploc.attest;

import dev.toploc.TopLocException;

/**
 * An attestation that does not hold: which check failed is {@link #check()} (e.g. {@code signature},
 * {@code payload-type}, {@code schema}, {@code predicate-type}, {@code subject}, {@code size}), the message
 * says what was found and what was expected.
 */
public final class AttestationException extends TopLocException {
    private static final long serialVersionUID = 1L;

    private final String check;

    public AttestationException(String check, String message) {
        super(check + ": " + message);
        this.check = check;
    }

    public AttestationException(String check, String message, Throwable cause) {
        super(check + ": " + message, cause);
        this.check = check;
    }

    /** The name of the check that failed. */
    public String check() {
        return check;
    }
}
