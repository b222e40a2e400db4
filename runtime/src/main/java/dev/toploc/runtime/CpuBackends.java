package dev.toploc.runtime;

import dev.toploc.Compute;
import dev.toploc.runtime.internal.NativeMatmul;
import java.util.Optional;

/**
 * What {@link Compute.CpuBackend} gives the runtime's matrix products on this JVM: the native library
 * ({@code libtoploc_cpu.so}: AVX-512 BF16 or AMX kernels for bf16 weights, see docs/runtime.md) or the Java
 * Vector API kernels, and why the native one is absent when it is. The library is looked for once per JVM.
 */
public final class CpuBackends {
    private CpuBackends() {
    }

    /** One line for logs, e.g. {@code native: AMX BF16 tiles (TDPBF16PS), libtoploc_cpu.so (bf16 weights; other dtypes: java)}. */
    public static String describe(Compute compute) {
        return NativeMatmul.describe(compute);
    }

    /** Why this JVM has no native backend (no library, a CPU without AVX-512 BF16, ...); empty when it has one. */
    public static Optional<String> nativeUnavailable() {
        NativeMatmul.Probe p = NativeMatmul.probe();
        return p.kernel().isPresent() ? Optional.empty() : Optional.of(p.detail());
    }
}
