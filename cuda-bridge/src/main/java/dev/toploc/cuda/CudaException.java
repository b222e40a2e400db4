package dev.toploc.cuda;

import dev.toploc.TopLocException;

/** A CUDA call failed, or no usable device/library/driver is there: the message names the CUDA error. */
public final class CudaException extends TopLocException {
    private static final long serialVersionUID = 1L;

    private final String errorName;

    public CudaException(String errorName, String message) {
        super(message);
        this.errorName = errorName;
    }

    /** The CUDA error's name (e.g. {@code cudaErrorNoDevice}), or a description when no CUDA call was made. */
    public String errorName() {
        return errorName;
    }
}
