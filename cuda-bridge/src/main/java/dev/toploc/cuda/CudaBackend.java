package dev.toploc.cuda;

import dev.toploc.internal.TopK;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The CUDA library ({@code libtoploc_cuda.so}, built by nvcc with the module) bound through the Foreign
 * Function and Memory API: device discovery, errors as {@link CudaException} with the CUDA error name,
 * and the exact top-k kernel as a {@link TopK.Accelerator}.
 *
 * <p>Where the library comes from, first found wins: {@code -Dtoploc.cuda.library=PATH}; the jar's
 * {@code META-INF/native/linux-x86_64/libtoploc_cuda.so} (extracted to a temporary file); the
 * {@code java.library.path}. {@link #probe()} never throws: it returns the backend or why there is none
 * (no library, no driver, no device), which callers log before falling back to the CPU.
 */
public final class CudaBackend implements TopK.Accelerator {
    static final int ABI = 1;

    /** The result of looking for a usable device. */
    public record Probe(CudaBackend backend, String reason) {
        public boolean available() {
            return backend != null;
        }
    }

    private final MethodHandle topk16;
    private final MethodHandle errorName;
    private final String description;

    private CudaBackend(MethodHandle topk16, MethodHandle errorName, String description) {
        this.topk16 = topk16;
        this.errorName = errorName;
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

    /** Opens the backend or throws naming what is missing. */
    public static CudaBackend open() throws CudaException {
        Path lib = locate();
        Arena arena = Arena.global();
        SymbolLookup syms = SymbolLookup.libraryLookup(lib, arena);
        Linker linker = Linker.nativeLinker();
        MethodHandle abi = linker.downcallHandle(find(syms, "tl_abi_version"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        MethodHandle count = linker.downcallHandle(find(syms, "tl_device_count"), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        MethodHandle info = linker.downcallHandle(find(syms, "tl_device_info"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        MethodHandle name = linker.downcallHandle(find(syms, "tl_error_name"), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle topk = linker.downcallHandle(find(syms, "tl_topk16"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_SHORT, ValueLayout.JAVA_SHORT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            int v = (int) abi.invokeExact();
            if (v != ABI) {
                throw new CudaException("abi", lib + " has ABI version " + v + " (expected " + ABI + "): rebuild the module");
            }
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            int err = (int) count.invokeExact(n);
            if (err != 0) {
                String en = errorName(name, err);
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
            err = (int) info.invokeExact(0, nm, 256, major, minor, mem);
            if (err != 0) {
                throw new CudaException(errorName(name, err), "cannot query device 0: " + errorName(name, err));
            }
            String desc = nm.getString(0) + " (sm_" + major.get(ValueLayout.JAVA_INT, 0) + minor.get(ValueLayout.JAVA_INT, 0) + ", "
                    + (mem.get(ValueLayout.JAVA_LONG, 0) >> 30) + " GiB)";
            return new CudaBackend(topk, name, desc);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new CudaException("call", "calling " + lib + " failed: " + t);
        }
    }

    private static MemorySegment find(SymbolLookup syms, String symbol) throws CudaException {
        return syms.find(symbol).orElseThrow(() -> new CudaException("symbol", "the CUDA library has no symbol " + symbol));
    }

    private static String errorName(MethodHandle name, int err) {
        try {
            MemorySegment s = (MemorySegment) name.invokeExact(err);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "cudaError " + err;
        }
    }

    private static Path located;

    /** The library's path, found (and extracted from the jar) once per JVM so that one copy is loaded. */
    static synchronized Path locate() throws CudaException {
        if (located == null) {
            located = find();
        }
        return located;
    }

    private static Path find() throws CudaException {
        String configured = System.getProperty("toploc.cuda.library");
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isRegularFile(p)) {
                throw new CudaException("library", "no CUDA library at -Dtoploc.cuda.library=" + configured);
            }
            return p;
        }
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux") ? "linux" : "other";
        String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
        String resource = "/META-INF/native/" + os + "-" + arch + "/libtoploc_cuda.so";
        try (InputStream in = CudaBackend.class.getResourceAsStream(resource)) {
            if (in != null) {
                Path tmp = Files.createTempFile("libtoploc_cuda", ".so");
                tmp.toFile().deleteOnExit();
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                return tmp;
            }
        } catch (IOException e) {
            throw new CudaException("library", "cannot extract " + resource + ": " + e.getMessage());
        }
        for (String dir : System.getProperty("java.library.path", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, System.mapLibraryName("toploc_cuda"));
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new CudaException("library", "no CUDA library: this build has no " + resource
                + " (nvcc was not on the PATH when it was built) and java.library.path has no libtoploc_cuda.so");
    }

    /** The device, for logs. */
    public String description() {
        return description;
    }

    @Override
    public String name() {
        return "cuda: " + description;
    }

    /** Exact top-k on the device; the same result as the CPU kernels (see {@link TopK}). */
    @Override
    public TopK.Result select16(short[] a, int off, int len, int k, int magMask, int nonFinite) {
        if (magMask > 0x7FFF) {
            return TopK.select16Cpu(a, off, len, k, magMask, nonFinite);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(ValueLayout.JAVA_SHORT, len);
            MemorySegment.copy(a, off, in, ValueLayout.JAVA_SHORT, 0, len);
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, k);
            MemorySegment bad = arena.allocate(ValueLayout.JAVA_LONG);
            int err;
            try {
                err = (int) topk16.invokeExact(in, (long) len, k, (short) magMask, (short) nonFinite, out, bad, MemorySegment.NULL);
            } catch (Throwable t) {
                throw new IllegalStateException("calling tl_topk16 failed", t);
            }
            if (err != 0) {
                throw new IllegalStateException(new CudaException(errorName(errorName, err), "tl_topk16 failed: " + errorName(errorName, err)));
            }
            long first = bad.get(ValueLayout.JAVA_LONG, 0);
            if (first >= 0) {
                return new TopK.Result(null, (int) first);
            }
            return new TopK.Result(out.toArray(ValueLayout.JAVA_INT), -1);
        }
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
