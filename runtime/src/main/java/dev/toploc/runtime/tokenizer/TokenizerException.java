package dev.toploc.runtime.tokenizer;

import dev.toploc.TopLocException;

/**
 * A tokenizer that cannot be loaded or used: no {@code tokenizer.json}, a malformed file, a chat template that
 * fails or raises, an id outside the vocabulary. The message names the file or the field.
 */
public final class TokenizerException extends TopLocException {
    private static final long serialVersionUID = 1L;

    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
