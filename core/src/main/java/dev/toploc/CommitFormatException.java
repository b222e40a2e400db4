package dev.toploc;

/**
 * A commit (or a list of commits) that cannot be what it claims: bad base64, a wrong length, modulus 0
 * or out of range, a coefficient outside the field, an encoding or k that does not match, or a commit
 * count that does not match the chunk plan. The message names the commit and what was expected. An
 * all-zero commit is marked {@link #nullProof()}: a rejection rather than bad input.
 */
public final class CommitFormatException extends TopLocException {
    private static final long serialVersionUID = 1L;

    private final boolean nullProof;

    public CommitFormatException(String message) {
        super(message);
        this.nullProof = false;
    }

    public CommitFormatException(String message, Throwable cause) {
        super(message, cause);
        this.nullProof = false;
    }

    private CommitFormatException(String message, boolean nullProof) {
        super(message);
        this.nullProof = nullProof;
    }

    /** A commit that is all zero bytes: the reference's "null proof" (see {@link #nullProof()}). */
    public static CommitFormatException ofNullProof(String message) {
        return new CommitFormatException(message, true);
    }

    /**
     * Whether the commit was all zero bytes: the "null proof" the reference's hooks emit when committing
     * failed. It is well-formed as an error marker, not malformed input: the provider did not commit to
     * its states, so a verifier <b>rejects</b> the claim (the CLI exits 1), as for a commit that does not
     * match.
     */
    public boolean nullProof() {
        return nullProof;
    }
}
