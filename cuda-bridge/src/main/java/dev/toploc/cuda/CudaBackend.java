package dev.toploc.cuda;

import dev.toploc.TopKAccelerator;
import dev.toploc.Commit;
import dev.toploc.Commits;
import dev.toploc.Dtype;
import dev.toploc.InvalidStatesException;
import dev.toploc.Compute;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The CUDA library ({@code libtoploc_cuda.so}, built by nvcc with the module) bound through the Foreign
 * Function and Memory API: device discovery, device memory ({@link DeviceMemory}) and streams
 * ({@link CudaStream}), errors as {@link CudaException} with the CUDA error name, and the exact top-k kernel,
 * both as core's {@link TopKAccelerator} (host arrays) and on states already in device memory
 * ({@link #topK}, {@link #commit}: only the k selected values leave the device).
 *
 * <p>Where the library comes from, first found wins: {@code -Dtoploc.cuda.library=PATH}; the jar's
 * {@code META-INF/native/linux-x86_64/libtoploc_cuda.so} (extracted to a temporary file); the
 * {@code java.library.path}. {@link #open(Path)} takes a given library (the tests use it for the CPU emulator
 * build of the same source). {@link #probe()} never throws: it returns the backend or why there is none
 * (no library, no driver, no device), which callers log before falling back to the CPU.
 */
public final class CudaBackend implements TopKAccelerator {
    static final int ABI = 3;

    /** The result of looking for a usable device. */
    public record Probe(CudaBackend backend, String reason) {
        public boolean available() {
            return backend != null;
        }
    }

    /** A top-k selection: the k flat indices in ascending order and the patterns found there. */
    public record Selection(int[] indices, short[] patterns) {
    }

    private final Native lib;
    private final String description;

    private CudaBackend(Native lib, String description) {
        this.lib = lib;
        this.description = description;
    }

    /** Looks for the library, a driver and a device; never throws. */
    public static Probe probe() {
        try {
            return new Probe(open(), "ok");
        } catch (CudaException e) {
            return new Probe(null, e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return new Probe(null, "CUDA library not usable: " + e);
        }
    }

    /** Opens the default library's backend or throws naming what is missing. */
    public static CudaBackend open() throws CudaException {
        return open(locate());
    }

    /** Opens the backend of the library at {@code library}, or throws naming what is missing. */
    public static CudaBackend open(Path library) throws CudaException {
        Native lib;
        try {
            lib = new Native(library);
        } catch (IllegalArgumentException e) {
            throw new CudaException("library", "cannot load " + library + ": " + e.getMessage());
        }
        try (Arena a = Arena.ofConfined()) {
            int v = (int) lib.abiVersion.invokeExact();
            if (v != ABI) {
                throw new CudaException("abi", library + " has ABI version " + v + " (expected " + ABI + "): rebuild the module");
            }
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            int err = (int) lib.deviceCount.invokeExact(n);
            if (err != 0) {
                String en = lib.name(err);
                throw new CudaException(en, "no usable CUDA device: " + en + (en.equals("cudaErrorInsufficientDriver")
                        || en.equals("cudaErrorNoDevice") ? "" : " (cudaGetDeviceCount failed)"));
            }
            if (n.get(ValueLayout.JAVA_INT, 0) == 0) {
                throw new CudaException("cudaErrorNoDevice", "no usable CUDA device: the driver reports none");
            }
            MemorySegment nm = a.allocate(256);
            MemorySegment major = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment minor = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment mem = a.allocate(ValueLayout.JAVA_LONG);
            lib.check((int) lib.deviceInfo.invokeExact(0, nm, 256, major, minor, mem), "querying device 0");
            String desc = nm.getString(0) + " (sm_" + major.get(ValueLayout.JAVA_INT, 0) + minor.get(ValueLayout.JAVA_INT, 0) + ", "
                    + (mem.get(ValueLayout.JAVA_LONG, 0) >> 30) + " GiB)";
            return new CudaBackend(lib, desc);
        } catch (Throwable t) {
            throw Native.callFailed("the CUDA library " + library, t);
        }
    }

    private static Path located;

    /** The default library's path, found (and extracted from the jar) once per JVM so that one copy is loaded. */
    static synchronized Path locate() throws CudaException {
        if (located == null) {
            located = find();
        }
        return located;
    }

    private static Path find() throws CudaException {
        try {
            return dev.toploc.runtime.internal.NativeLibraries.locate("toploc.cuda.library", "toploc_cuda", CudaBackend.class, "CUDA library",
                    "nvcc was not on the PATH when it was built");
        } catch (java.io.IOException e) {
            throw new CudaException("library", e.getMessage());
        }
    }

    /** The device, for logs. */
    public String description() {
        return description;
    }

    /** The library this backend calls. */
    public Path library() {
        return lib.library;
    }

    Native natives() {
        return lib;
    }

    @Override
    public String name() {
        return "cuda: " + description;
    }

    /** Allocates {@code bytes} of device memory. */
    public DeviceMemory allocate(long bytes) throws CudaException {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes = " + bytes + " (expected >= 0)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            lib.check((int) lib.malloc.invokeExact(p, bytes), "allocating " + bytes + " bytes of device memory");
            return new DeviceMemory(lib, p.get(ValueLayout.ADDRESS, 0), bytes);
        } catch (Throwable t) {
            throw Native.callFailed("tl_malloc", t);
        }
    }

    /** A new stream. */
    public CudaStream newStream() throws CudaException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            lib.check((int) lib.streamCreate.invokeExact(p), "creating a stream");
            return new CudaStream(lib, p.get(ValueLayout.ADDRESS, 0));
        } catch (Throwable t) {
            throw Native.callFailed("tl_stream_create", t);
        }
    }

    /** Exact top-k on the device; the same result as the CPU kernels (see {@link Compute#select16}). */
    @Override
    public TopKAccelerator.Result select16(short[] a, int off, int len, int k, int magMask, int nonFinite) {
        if (magMask > 0x7FFF) {
            return Compute.defaults().select16(a, off, len, k, magMask, nonFinite);   // the CPU kernels: the defaults have no accelerator
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(ValueLayout.JAVA_SHORT, len);
            MemorySegment.copy(a, off, in, ValueLayout.JAVA_SHORT, 0, len);
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, k);
            MemorySegment bad = arena.allocate(ValueLayout.JAVA_LONG);
            lib.check((int) lib.topk16.invokeExact(in, (long) len, k, (short) magMask, (short) nonFinite, out, MemorySegment.NULL, bad,
                    MemorySegment.NULL), "tl_topk16");
            long first = bad.get(ValueLayout.JAVA_LONG, 0);
            return first >= 0 ? new TopKAccelerator.Result(null, (int) first) : new TopKAccelerator.Result(out.toArray(ValueLayout.JAVA_INT), -1);
        } catch (Throwable t) {
            throw new IllegalStateException(Native.callFailed("tl_topk16", t).getMessage(), t);
        }
    }

    /**
     * The top-k by magnitude of {@code n} 16-bit patterns of {@code dtype} in device memory at {@code device}
     * (ties to the lower index), queued on {@code stream} after the work already there ({@link CudaStream#handle()}
     * or an engine's own {@code cudaStream_t}; {@link MemorySegment#NULL} is the default stream). Only the k
     * indices and patterns are copied to the host.
     *
     * @throws InvalidStatesException if a value is NaN or Inf (the lowest such index is named)
     */
    public Selection topK(MemorySegment device, long n, int k, Dtype dtype, MemorySegment stream) throws CudaException, InvalidStatesException {
        return topK(device, n, k, dtype, stream, 0);
    }

    /** As {@link #topK(MemorySegment, long, int, Dtype, MemorySegment)}; {@code hidden > 0} names a non-finite value by row and column. */
    Selection topK(MemorySegment device, long n, int k, Dtype dtype, MemorySegment stream, int hidden) throws CudaException, InvalidStatesException {
        if (dtype.bits() != 16) {
            throw new IllegalArgumentException("the device top-k reads 16-bit patterns (bf16, fp16), not " + dtype.wireName());
        }
        if (k < 1 || n < k || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("top-" + k + " of " + n + " values (expected 1 <= k <= n < 2^31)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment idx = a.allocate(ValueLayout.JAVA_INT, k);
            MemorySegment val = a.allocate(ValueLayout.JAVA_SHORT, k);
            MemorySegment bad = a.allocate(ValueLayout.JAVA_LONG);
            lib.check((int) lib.topk16Device.invokeExact(device, n, k, (short) dtype.magnitudeMask(), (short) dtype.nonFiniteMagnitude(),
                    stream, idx, val, bad, MemorySegment.NULL), "the device top-k");
            long first = bad.get(ValueLayout.JAVA_LONG, 0);
            if (first >= 0) {
                MemorySegment one = a.allocate(ValueLayout.JAVA_SHORT);
                lib.check((int) lib.copyToHost.invokeExact(one, MemorySegment.ofAddress(device.address() + 2 * first), 2L), "reading a value");
                int bits = one.get(ValueLayout.JAVA_SHORT, 0) & 0xFFFF;
                String where = hidden > 0 ? "at row " + first / hidden + " of the chunk, column " + first % hidden : "at flat index " + first;
                throw new InvalidStatesException((dtype.isNaN(bits) ? "NaN " : "Inf ") + where + " (" + dtype.wireName() + " pattern 0x"
                        + Integer.toHexString(bits).toUpperCase(java.util.Locale.ROOT) + "); hidden states must be finite");
            }
            return new Selection(idx.toArray(ValueLayout.JAVA_INT), val.toArray(ValueLayout.JAVA_SHORT));
        } catch (InvalidStatesException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.callFailed("tl_topk16_device", t);
        }
    }

    /**
     * The commit of one chunk of hidden states that lives in device memory ({@code n} patterns of {@code dtype}
     * at {@code device}, the chunk's rows one after the other): the top-k runs on the device, the interpolation
     * on the host. Equal to {@link Commits#commitPatterns} of the same values.
     */
    public Commit commit(MemorySegment device, long n, Dtype dtype, int k, MemorySegment stream) throws CudaException, InvalidStatesException {
        Selection s = topK(device, n, k, dtype, stream);
        return Commits.commitSelection(s.indices(), s.patterns(), dtype);
    }

    /**
     * The {@code --device} rule: {@code cpu} never probes; {@code cuda} needs a usable device or throws naming
     * why; {@code auto} uses one when there is one and otherwise says why not. The choice is logged.
     */
    public static Optional<CudaBackend> select(String device) throws CudaException {
        System.Logger log = System.getLogger("dev.toploc.cuda");
        switch (device) {
            case "cpu" -> {
                log.log(System.Logger.Level.DEBUG, "device: cpu (requested)");
                return Optional.empty();
            }
            case "cuda" -> {
                CudaBackend b = open();
                log.log(System.Logger.Level.DEBUG, "device: " + b.name());
                return Optional.of(b);
            }
            case "auto" -> {
                Probe p = probe();
                log.log(System.Logger.Level.DEBUG, p.available() ? "device: " + p.backend().name() : "device: cpu (" + p.reason() + ")");
                return Optional.ofNullable(p.backend());
            }
            default -> throw new IllegalArgumentException("unknown device '" + device + "' (expected cpu, cuda or auto)");
        }
    }
}
