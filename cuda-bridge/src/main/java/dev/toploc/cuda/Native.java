package dev.toploc.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The downcall handles of one loaded {@code libtoploc_cuda} (see {@code src/main/cuda/toploc_cuda.h}, whose
 * signatures these mirror), and the one way errors leave it: {@link #check} turns a non-zero cudaError_t into
 * a {@link CudaException} carrying the error's name.
 */
final class Native {
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT;
    private static final java.lang.foreign.AddressLayout A = ValueLayout.ADDRESS;

    final Path library;
    final MethodHandle abiVersion;
    final MethodHandle deviceCount;
    final MethodHandle deviceInfo;
    final MethodHandle errorName;
    final MethodHandle malloc;
    final MethodHandle free;
    final MethodHandle copyToDevice;
    final MethodHandle copyToHost;
    final MethodHandle copyOnDevice;
    final MethodHandle streamCreate;
    final MethodHandle streamDestroy;
    final MethodHandle streamSynchronize;
    final MethodHandle topk16;
    final MethodHandle topk16Device;
    final MethodHandle modelCreate;
    final MethodHandle modelFree;
    final MethodHandle modelMaxTokens;
    final MethodHandle prefill;

    Native(Path library) throws CudaException {
        this.library = library;
        SymbolLookup syms = SymbolLookup.libraryLookup(library, Arena.global());
        Linker linker = Linker.nativeLinker();
        abiVersion = bind(linker, syms, "tl_abi_version", FunctionDescriptor.of(I));
        deviceCount = bind(linker, syms, "tl_device_count", FunctionDescriptor.of(I, A));
        deviceInfo = bind(linker, syms, "tl_device_info", FunctionDescriptor.of(I, I, A, I, A, A, A));
        errorName = bind(linker, syms, "tl_error_name", FunctionDescriptor.of(A, I));
        malloc = bind(linker, syms, "tl_malloc", FunctionDescriptor.of(I, A, L));
        free = bind(linker, syms, "tl_free", FunctionDescriptor.of(I, A));
        copyToDevice = bind(linker, syms, "tl_copy_to_device", FunctionDescriptor.of(I, A, A, L));
        copyToHost = bind(linker, syms, "tl_copy_to_host", FunctionDescriptor.of(I, A, A, L));
        copyOnDevice = bind(linker, syms, "tl_copy_on_device", FunctionDescriptor.of(I, A, A, L, A));
        streamCreate = bind(linker, syms, "tl_stream_create", FunctionDescriptor.of(I, A));
        streamDestroy = bind(linker, syms, "tl_stream_destroy", FunctionDescriptor.of(I, A));
        streamSynchronize = bind(linker, syms, "tl_stream_synchronize", FunctionDescriptor.of(I, A));
        topk16 = bind(linker, syms, "tl_topk16", FunctionDescriptor.of(I, A, L, I, S, S, A, A, A, A));
        topk16Device = bind(linker, syms, "tl_topk16_device", FunctionDescriptor.of(I, A, L, I, S, S, A, A, A, A, A));
        modelCreate = bind(linker, syms, "tl_model_create", FunctionDescriptor.of(I, A, I, A, A, A, A, A, A));
        modelFree = bind(linker, syms, "tl_model_free", FunctionDescriptor.ofVoid(A));
        modelMaxTokens = bind(linker, syms, "tl_model_max_tokens", FunctionDescriptor.of(I, A));
        prefill = bind(linker, syms, "tl_prefill_f32", FunctionDescriptor.of(I, A, A, I, A, A));
    }

    private static MethodHandle bind(Linker linker, SymbolLookup syms, String name, FunctionDescriptor fd) throws CudaException {
        MemorySegment sym = syms.find(name).orElseThrow(() -> new CudaException("symbol", "the CUDA library has no symbol " + name
                + " (a library of another version: rebuild the module)"));
        return linker.downcallHandle(sym, fd);
    }

    /** The CUDA error's name, e.g. {@code cudaErrorMemoryAllocation}. */
    String name(int err) {
        try {
            return ((MemorySegment) errorName.invokeExact(err)).reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "cudaError " + err;
        }
    }

    /** Throws naming the error and {@code what} failed when {@code err} is not cudaSuccess. */
    void check(int err, String what) throws CudaException {
        if (err != 0) {
            String n = name(err);
            throw new CudaException(n, what + " failed: " + n);
        }
    }

    /** Calls {@code h}, a function of one pointer returning a cudaError_t, and throws naming {@code what} on an error. */
    void call(MethodHandle h, MemorySegment arg, String function, String what) throws CudaException {
        int err;
        try {
            err = (int) h.invokeExact(arg);
        } catch (Throwable t) {
            throw callFailed(function, t);
        }
        check(err, what);
    }

    /** A native call that cannot be made at all (a linkage problem), as a typed error. */
    static CudaException callFailed(String function, Throwable t) {
        if (t instanceof CudaException c) {
            return c;
        }
        return new CudaException("call", "calling " + function + " failed: " + t);
    }
}
