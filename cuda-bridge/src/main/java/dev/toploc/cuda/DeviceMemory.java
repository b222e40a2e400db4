package dev.toploc.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A block of device memory from {@link CudaBackend#allocate}: its device address (a zero-length segment, not
 * readable from the host) and synchronous copies to and from host memory, bounds-checked here. Freed by
 * {@link #close()}; using it afterwards is an {@link IllegalStateException}. Not thread-safe.
 */
public final class DeviceMemory implements AutoCloseable {
    private final Native lib;
    private final MemorySegment address;
    private final long bytes;
    private boolean closed;

    DeviceMemory(Native lib, MemorySegment address, long bytes) {
        this.lib = lib;
        this.address = address;
        this.bytes = bytes;
    }

    /** The device address of byte {@code offset}: what to hand to {@link CudaBackend#topK} or to other CUDA code. */
    public MemorySegment address(long offset) {
        open();
        Objects.checkIndex(offset, bytes + 1);
        return MemorySegment.ofAddress(address.address() + offset);
    }

    public long byteSize() {
        return bytes;
    }

    /** Copies all of {@code host} (native memory) to bytes {@code [offset, offset + host.byteSize())}. */
    public void copyFrom(MemorySegment host, long offset) throws CudaException {
        open();
        Objects.checkFromIndexSize(offset, host.byteSize(), bytes);
        try {
            lib.check((int) lib.copyToDevice.invokeExact(MemorySegment.ofAddress(address.address() + offset), host, host.byteSize()),
                    "copying " + host.byteSize() + " bytes to the device");
        } catch (Throwable t) {
            throw Native.callFailed("tl_copy_to_device", t);
        }
    }

    /** Copies 16-bit values to the start of this memory (little-endian, as the device reads them). */
    public void copyFrom(short[] values) throws CudaException {
        try (Arena a = Arena.ofConfined()) {
            copyFrom(a.allocateFrom(ValueLayout.JAVA_SHORT, values), 0);
        }
    }

    /** Copies bytes {@code [offset, offset + host.byteSize())} into {@code host} (native memory). */
    public void copyTo(MemorySegment host, long offset) throws CudaException {
        open();
        Objects.checkFromIndexSize(offset, host.byteSize(), bytes);
        try {
            lib.check((int) lib.copyToHost.invokeExact(host, MemorySegment.ofAddress(address.address() + offset), host.byteSize()),
                    "copying " + host.byteSize() + " bytes from the device");
        } catch (Throwable t) {
            throw Native.callFailed("tl_copy_to_host", t);
        }
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("this device memory was freed");
        }
    }

    @Override
    public void close() throws CudaException {
        if (closed) {
            return;
        }
        closed = true;
        lib.call(lib.free, address, "tl_free", "freeing device memory");
    }
}
