package dev.toploc.rollouts;

import dev.toploc.TopLocException;

/**
 * A rollout file that cannot be read at all (not Parquet, a missing column, a row group beyond the limits):
 * the whole file is bad input. A malformed row is not this; it is a {@link Row} with a problem.
 */
public final class RolloutFormatException extends TopLocException {
    private static final long serialVersionUID = 1L;

    public RolloutFormatException(String message) {
        super(message);
    }

    public RolloutFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
