package dev.toploc.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A CUDA stream from {@link CudaBackend#newStream()}: work queued on it runs in order, after what was queued
 * before. Its {@link #handle()} is the {@code cudaStream_t} to pass to {@link CudaBackend#topK}; an engine's own
 * stream handle can be passed there directly instead. Destroyed by {@link #close()}.
 */
public final class CudaStream implements AutoCloseable {
    private final Native lib;
    private final MemorySegment handle;
    private boolean closed;

    CudaStream(Native lib, MemorySegment handle) {
        this.lib = lib;
        this.handle = handle;
    }

    /** The {@code cudaStream_t}. */
    public MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("this stream was destroyed");
        }
        return handle;
    }

    /** Waits until everything queued on this stream has run. */
    public void synchronize() throws CudaException {
        lib.call(lib.streamSynchronize, handle(), "tl_stream_synchronize", "synchronizing a stream");
    }

    @Override
    public void close() throws CudaException {
        if (closed) {
            return;
        }
        closed = true;
        lib.call(lib.streamDestroy, handle, "tl_stream_destroy", "destroying a stream");
    }
}
