package dev.toploc.policy;

import dev.toploc.TopLocException;

/**
 * A policy file that cannot be used: malformed (a field missing, unknown, of the wrong type or out of
 * range), of another format version, too large, not a regular file, or made for other commits or other
 * weights than the ones being verified. {@link #field()} names the field at fault (a JSON path such as
 * {@code model.weightsSha256}; {@code ""} for the file as a whole); the message also says what was expected.
 */
public final class PolicyFileException extends TopLocException {
    private static final long serialVersionUID = 1L;

    private final String field;

    public PolicyFileException(String field, String message) {
        super(message);
        this.field = field;
    }

    public PolicyFileException(String field, String message, Throwable cause) {
        super(message, cause);
        this.field = field;
    }

    /** The field at fault ({@code ""}: the file as a whole). */
    public String field() {
        return field;
    }
}
