package dev.toploc.runtime;

import dev.toploc.TopLocException;

/**
 * A model folder that cannot be loaded: a missing or unreadable file, a malformed {@code config.json} or
 * safetensors header, a tensor that is missing, of the wrong shape or dtype, or that runs past the end of
 * its file, an unsupported architecture. The message names the file and the field.
 */
public final class ModelFormatException extends TopLocException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
