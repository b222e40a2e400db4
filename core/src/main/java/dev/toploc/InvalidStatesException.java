package dev.toploc;

/**
 * Hidden states that cannot be committed to or checked: NaN or Inf in a chunk, no rows, fewer values in a
 * chunk than k, or a shape that does not match the chunk plan. The message names the chunk, and for a
 * non-finite value its row, column and bit pattern.
 */
public final class InvalidStatesException extends TopLocException {
    private static final long serialVersionUID = 1L;

    public InvalidStatesException(String message) {
        super(message);
    }
}
