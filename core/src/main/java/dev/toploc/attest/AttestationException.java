package dev.toploc.attest;

import dev.toploc.TopLocException;

/**
 * An attestation that does not hold: which check failed is {@link #check()} (e.g. {@code signature},
 * {@code payload-type}, {@code schema}, {@code predicate-type}, {@code subject}, {@code size}, {@code commit},
 * {@code null-proof}, {@code request}), the message says what was found and what was expected. {@code signature},
 * {@code trust}, {@code model}, {@code subject}, {@code null-proof} (an all-zero commit, the reference's error
 * marker) and {@code request} (not the answer to the client's request, {@link Expectations}) mean a well-formed
 * claim that does not hold: a rejection; the others, input that is not a valid claim.
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
