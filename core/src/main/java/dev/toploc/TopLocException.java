package dev.toploc;

/**
 * Base of the library's checked exceptions: input that is malformed, inconsistent or untrusted, and
 * verdicts that reject. Caller misuse (a negative k, a null argument) is an {@link IllegalArgumentException}
 * or {@link NullPointerException} instead; a state only a bug can reach is an {@link IllegalStateException}.
 */
public class TopLocException extends Exception {
    private static final long serialVersionUID = 1L;

    public TopLocException(String message) {
        super(message);
    }

    public TopLocException(String message, Throwable cause) {
        super(message, cause);
    }
}
