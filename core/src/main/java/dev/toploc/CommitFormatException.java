package dev.toploc;

/**
 * A commit (or a list of commits) that cannot be what it claims: bad base64, a wrong length, modulus 0
 * or out of range, a coefficient outside the field, an encoding or k that does not match, or a commit
 * count that does not match the chunk plan. The message names the commit and what was expected.
 */
public final class CommitFormatException extends TopLocException {
    private static final long serialVersionUID = 1L;

    public CommitFormatException(String message) {
        super(message);
    }

    public CommitFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
