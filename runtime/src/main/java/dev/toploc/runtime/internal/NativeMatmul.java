package dev.toploc.runtime.internal;

import dev.toploc.Compute;
import dev.toploc.Dtype;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The native CPU matmul backend: {@code libtoploc_cpu.so} ({@code src/main/c/toploc_cpu.c}, built by gcc with
 * the module when gcc is present) called through FFM, for bf16 weights on CPUs with AVX-512 BF16 (and AMX).
 * {@link Matmul#matmul} calls it when the context's {@link Compute.CpuBackend} allows; everything it does not
 * cover (other weight dtypes, a heap weight, a CPU without the instructions, a non-finite activation) runs on
 * the Java kernels. Under {@code auto} a CPU without AMX runs only bf16-exact activations (the bf16 mode) natively:
 * the AVX-512 BF16 kernel needs three passes for fp32 activations and is then slower than the Java kernel.
 *
 * <p><b>Arithmetic.</b> Each fp32 activation is split into bf16 parts {@code hi = bf16(x)},
 * {@code mid = bf16(x - hi)}, {@code lo = bf16(x - hi - mid)} (round to nearest even; both differences are
 * exact). Products of a bf16 part with a bf16 weight are exact in fp32; the kernels accumulate them in fp32,
 * chunk by chunk of 32 along k, parts hi, mid, lo per chunk. In the bf16 compute mode the activations are
 * already bf16, every mid is zero and one pass runs; the number of passes is the number of parts any activation
 * of the call needs (see {@code tlc_pack}). The reduction order per kernel is stated in {@code toploc_cpu.c};
 * {@link #avx512Twin} is the AVX-512 kernel's scalar twin (tested bit-identical), {@link #amxTwin} the order the
 * Intel SDM gives for TDPBF16PS. Threads split outputs (groups of {@value #GROUP} weight rows), never k: the
 * result does not depend on the thread count. The error bound against the exact sum and the Java kernel is in
 * docs/runtime.md.
 *
 * <p><b>Where the library comes from</b>, first found wins: {@code -Dtoploc.cpu.library=PATH}; the jar's
 * {@code META-INF/native/linux-x86_64/libtoploc_cpu.so} (extracted to a temporary file); the
 * {@code java.library.path}. It is looked for once per JVM; {@link #probe()} says which kernel it gives or why
 * there is none.
 */
public final class NativeMatmul {
    private NativeMatmul() {
    }

    /** Output rows per task. */
    static final int GROUP = 64;

    /** The native kernels, best last. */
    public enum Kernel {
        AVX512_BF16(0, "AVX-512 BF16 (VDPBF16PS)"),
        AMX_BF16(1, "AMX BF16 tiles (TDPBF16PS)");

        final int code;
        final String description;

        Kernel(int code, String description) {
            this.code = code;
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    private static final int ABI = 2;
    private static final int FEAT_AVX512BF16 = 2;
    private static final int FEAT_AMXBF16 = 4;

    /** The loaded library and the kernels this CPU and OS allow. */
    private record Library(Path path, MethodHandle packedElements, MethodHandle pack, MethodHandle matmul, int features) {
        boolean has(Kernel k) {
            return (features & (k == Kernel.AMX_BF16 ? FEAT_AMXBF16 : FEAT_AVX512BF16)) != 0;
        }
    }

    /** What looking for the library found: the library and its best kernel, or why there is none. */
    public record Probe(Optional<Kernel> kernel, String detail) {
    }

    private static final class Holder {
        static final Object LIB = load();   // a Library, or the reason (String) there is none
    }

    /** The kernel this JVM's native backend uses ({@link Kernel#AMX_BF16} where usable) and the library, or why there is none. */
    public static Probe probe() {
        if (Holder.LIB instanceof Library l) {
            Kernel k = l.has(Kernel.AMX_BF16) ? Kernel.AMX_BF16 : Kernel.AVX512_BF16;
            return new Probe(Optional.of(k), k.description + ", libtoploc_cpu.so"
                    + (k == Kernel.AMX_BF16 ? "" : " (no AMX-BF16 on this CPU, or Linux refused the tile permission)"));
        }
        return new Probe(Optional.empty(), (String) Holder.LIB);
    }

    /** Whether this JVM can run {@code kernel} (the library is present and the CPU and OS allow it). */
    public static boolean available(Kernel kernel) {
        return Holder.LIB instanceof Library l && l.has(kernel);
    }

    /**
     * One line for logs: which kernels {@code compute}'s matrix products use, e.g.
     * {@code native: AMX BF16 tiles (TDPBF16PS), libtoploc_cpu.so (bf16 weights; other dtypes: java)} or
     * {@code java: Vector API ... (no native library: ...)}.
     */
    public static String describe(Compute compute) {
        Compute.CpuBackend b = compute.cpuBackend();
        Probe p = probe();
        String java = "java: " + Compute.vectorPath();
        if (b == Compute.CpuBackend.JAVA) {
            return java + " (requested)";
        }
        if (p.kernel().isEmpty()) {
            return b == Compute.CpuBackend.NATIVE ? "native unavailable: " + p.detail() : java + " (" + p.detail() + ")";
        }
        boolean fp32ToJava = b == Compute.CpuBackend.AUTO && p.kernel().get() == Kernel.AVX512_BF16;
        return "native: " + p.detail() + " (bf16 weights; other dtypes" + (fp32ToJava ? " and fp32 activations" : "") + ": java)";
    }

    /**
     * {@link Matmul#matmul} on the native backend {@code compute} selects, when it applies; false when the Java
     * kernel must run instead (backend {@code java}, weights not bf16 in native memory, no usable library under
     * {@code auto}, an activation that is not finite or beyond bf16's range).
     *
     * @throws IllegalStateException under {@code native} when there is no usable library (naming why)
     */
    static boolean matmul(float[] x, int tokens, Weight w, float[] bias, float[] y, Compute compute) {
        if (compute.cpuBackend() == Compute.CpuBackend.JAVA) {
            return false;
        }
        Optional<Kernel> k = probe().kernel();
        if (k.isEmpty()) {
            if (compute.cpuBackend() == Compute.CpuBackend.NATIVE) {
                throw new IllegalStateException("CPU backend native: " + probe().detail());
            }
            return false;
        }
        // auto: the AVX-512 BF16 kernel needs 3 passes for fp32 activations and is then no faster than the Java
        // kernel's fp32 FMAs; it runs only on bf16-exact activations (the bf16 mode). AMX runs both.
        return matmul(k.get(), x, tokens, w, bias, y, compute, compute.cpuBackend() == Compute.CpuBackend.AUTO
                && k.get() == Kernel.AVX512_BF16 ? 1 : 3);
    }

    /**
     * {@code y (tokens x w.rows) = x (tokens x w.cols) * w^T (+ bias)} on {@code kernel}, on {@code compute}'s
     * threads; false (y untouched) when it does not apply: weights not bf16 in native memory, an activation not
     * finite or beyond bf16's range.
     *
     * @throws IllegalStateException when this JVM cannot run {@code kernel} ({@link #available})
     */
    public static boolean matmul(Kernel kernel, float[] x, int tokens, Weight w, float[] bias, float[] y, Compute compute) {
        return matmul(kernel, x, tokens, w, bias, y, compute, 3);
    }

    /** As above; false also when the activations need more than {@code maxParts} bf16 parts. */
    private static boolean matmul(Kernel kernel, float[] x, int tokens, Weight w, float[] bias, float[] y, Compute compute, int maxParts) {
        if (!(Holder.LIB instanceof Library lib) || !lib.has(kernel)) {
            throw new IllegalStateException("native kernel " + kernel + " unavailable: " + probe().detail());
        }
        if (w.kind != Weight.Kind.BF16 || !w.seg.isNative() || tokens < 1) {
            return false;
        }
        int in = w.cols;
        int out = w.rows;
        if ((long) tokens * in > x.length || (long) tokens * out > y.length || (bias != null && bias.length < out)) {
            throw new IllegalArgumentException("x, y or bias too short for " + tokens + " x " + in + " -> " + out);
        }
        // bf16-exact activations (the bf16 mode's) need one part: only that plane is packed, allocated and multiplied
        int planes = bf16Exact(x, tokens * in) ? 1 : 3;
        if (planes > maxParts) {
            return false;
        }
        try (Arena arena = Arena.ofShared()) {
            long elements = (long) lib.packedElements.invokeExact(tokens, in) / 3 * planes;
            MemorySegment packed = arena.allocate(elements * 2, 64);   // zeroed: the padding stays zero
            MemorySegment xs = MemorySegment.ofArray(x);
            int chunks = (tokens + 15) / 16;
            AtomicInteger parts = new AtomicInteger(1);
            compute.forEach(chunks, c -> {
                int t0 = c * 16;
                int t1 = Math.min(tokens, t0 + 16);
                int p;
                try {
                    p = (int) lib.pack.invokeExact(xs, tokens, in, kernel.code, packed, t0, t1, planes);
                } catch (Throwable e) {
                    throw new IllegalStateException("tlc_pack failed", e);
                }
                parts.accumulateAndGet(p, (a, b) -> a < 0 || b < 0 ? -1 : Math.max(a, b));
            });
            int np = parts.get();
            if (np < 0) {
                return false;
            }
            // the kernels write y and read the bias in place (critical downcalls; each call is one group of outputs)
            MemorySegment ys = MemorySegment.ofArray(y);
            MemorySegment fb = bias == null ? MemorySegment.NULL : MemorySegment.ofArray(bias);
            AtomicInteger failure = new AtomicInteger();
            compute.forEach((out + GROUP - 1) / GROUP, g -> {
                int rc;
                try {
                    rc = (int) lib.matmul.invokeExact(w.seg, out, in, packed, tokens, np, kernel.code, fb, ys, g * GROUP,
                            Math.min(out, (g + 1) * GROUP));
                } catch (Throwable e) {
                    throw new IllegalStateException("tlc_matmul failed", e);
                }
                if (rc != 0) {
                    failure.compareAndSet(0, rc);
                }
            });
            if (failure.get() == 1) {
                throw new OutOfMemoryError("tlc_matmul: out of native memory");
            } else if (failure.get() != 0) {
                throw new IllegalStateException("tlc_matmul rejected its arguments (code " + failure.get() + ")");
            }
            return true;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("native matmul failed", e);
        }
    }

    /**
     * {@code tlc_pack} of {@code x} (tokens x in) in {@code layout} (0: rows, 1: AMX tiles by AVX-512 code, 2: the same
     * tiles by scalar code), with the part count it returns as the last element; for tests.
     */
    static short[] pack(float[] x, int tokens, int in, int layout) throws Throwable {
        if (!(Holder.LIB instanceof Library lib)) {
            throw new IllegalStateException(probe().detail());
        }
        try (Arena arena = Arena.ofConfined()) {
            long n = (long) lib.packedElements.invokeExact(tokens, in);
            MemorySegment out = arena.allocate(n * 2, 64);
            int parts = (int) lib.pack.invokeExact(MemorySegment.ofArray(x), tokens, in, layout, out, 0, tokens, 3);
            short[] r = java.util.Arrays.copyOf(out.toArray(ValueLayout.JAVA_SHORT), (int) n + 1);
            r[(int) n] = (short) parts;
            return r;
        }
    }

    /** Whether every {@code x[0, n)} is a bf16 value (its low 16 bits zero): then one bf16 part represents it. */
    static boolean bf16Exact(float[] x, int n) {
        int i = 0;
        if (dev.toploc.internal.Simd.ENABLED) {
            IntVector any = IntVector.zero(IntVector.SPECIES_PREFERRED);
            for (int lanes = FloatVector.SPECIES_PREFERRED.length(); i + lanes <= n; i += lanes) {
                any = any.or(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i).reinterpretAsInts());
            }
            if ((any.reduceLanes(VectorOperators.OR) & 0xFFFF) != 0) {
                return false;
            }
        }
        for (; i < n; i++) {
            if ((Float.floatToRawIntBits(x[i]) & 0xFFFF) != 0) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ scalar twins

    /**
     * The bf16 parts of {@code x[0, tokens*in)}: {@code [part][t * in + k]}, as many parts as any element needs
     * (1 to 3), or null when an element is not finite or rounds to infinity in bf16 (as {@code tlc_pack}).
     */
    static float[][] split(float[] x, int n) {
        float[][] p = new float[3][n];
        boolean mid = false, lo = false;
        for (int i = 0; i < n; i++) {
            float v = x[i];
            if (!Float.isFinite(v)) {
                return null;
            }
            float h = Dtype.bf16ToFloat(Dtype.floatToBf16(v));
            if (!Float.isFinite(h)) {
                return null;
            }
            float r1 = v - h;
            float m = Dtype.bf16ToFloat(Dtype.floatToBf16(r1));
            float l = Dtype.bf16ToFloat(Dtype.floatToBf16(r1 - m));
            p[0][i] = h;
            p[1][i] = m;
            p[2][i] = l;
            mid |= m != 0f;
            lo |= l != 0f;
        }
        return java.util.Arrays.copyOf(p, lo ? 3 : mid ? 2 : 1);
    }

    /** A bf16 operand as VDPBF16PS/TDPBF16PS read it: denormals are zero (DAZ). */
    private static float daz(float v) {
        return Math.abs(v) < Float.MIN_NORMAL ? Math.copySign(0f, v) : v;
    }

    /** One multiply-add of the bf16 dot-product instructions: exact product, one rounding (RNE), result flushed (FTZ). */
    private static float step(float acc, float a, float b) {
        float r = Math.fma(daz(a), daz(b), acc);
        return Math.abs(r) < Float.MIN_NORMAL ? Math.copySign(0f, r) : r;
    }

    /** The scalar twin of the AVX-512 BF16 kernel (order in {@code toploc_cpu.c}); false where the kernel does not apply. */
    public static boolean avx512Twin(float[] x, int tokens, Weight w, float[] bias, float[] y) {
        int in = w.cols, out = w.rows;
        float[][] parts = split(x, tokens * in);
        if (parts == null || w.kind != Weight.Kind.BF16) {
            return false;
        }
        float[] lane = new float[16];
        for (int t = 0; t < tokens; t++) {
            for (int n = 0; n < out; n++) {
                java.util.Arrays.fill(lane, 0f);
                long wr = (long) n * in;
                for (int c = 0; c < in; c += 32) {
                    for (float[] part : parts) {
                        for (int i = 0; i < 16; i++) {
                            for (int k = c + 2 * i + 1; k >= c + 2 * i; k--) {   // element 2i+1, then 2i
                                if (k < in) {
                                    lane[i] = step(lane[i], part[t * in + k], w.get(wr + k));
                                }
                            }
                        }
                    }
                }
                float s = 0f;
                for (int j = 0; j < 16; j++) {
                    s += lane[j];
                }
                y[t * out + n] = bias == null ? s : s + bias[n];
            }
        }
        return true;
    }

    /**
     * The order the Intel SDM's pseudo-code gives TDPBF16PS, as a scalar loop: per output one accumulator; per
     * 32-chunk of k, per part, elements 2j then 2j+1 for j = 0..15, each a {@link #step}. The hardware's
     * internal order may differ (see docs/runtime.md for what the tests found).
     */
    public static boolean amxTwin(float[] x, int tokens, Weight w, float[] bias, float[] y) {
        int in = w.cols, out = w.rows;
        float[][] parts = split(x, tokens * in);
        if (parts == null || w.kind != Weight.Kind.BF16) {
            return false;
        }
        for (int t = 0; t < tokens; t++) {
            for (int n = 0; n < out; n++) {
                float acc = 0f;
                long wr = (long) n * in;
                for (int c = 0; c < in; c += 32) {
                    for (float[] part : parts) {
                        for (int k = c; k < Math.min(in, c + 32); k++) {
                            acc = step(acc, part[t * in + k], w.get(wr + k));
                        }
                    }
                }
                y[t * out + n] = bias == null ? acc : acc + bias[n];
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ loading

    private static Object load() {
        Path path;
        try {
            path = locate();
        } catch (IOException e) {
            return e.getMessage();
        }
        try {
            SymbolLookup syms = SymbolLookup.libraryLookup(path, Arena.global());
            Linker linker = Linker.nativeLinker();
            ValueLayout.OfInt i = ValueLayout.JAVA_INT;
            ValueLayout a = ValueLayout.ADDRESS;
            MethodHandle abi = linker.downcallHandle(sym(syms, "tlc_abi_version"), FunctionDescriptor.of(i));
            int v = (int) abi.invokeExact();
            if (v != ABI) {
                return path + " has ABI version " + v + " (expected " + ABI + "): rebuild toploc-runtime";
            }
            MethodHandle features = linker.downcallHandle(sym(syms, "tlc_features"), FunctionDescriptor.of(i));
            int f = (int) features.invokeExact();
            if ((f & FEAT_AVX512BF16) == 0) {
                return "the CPU (or OS) has no AVX-512 BF16 (cpuid/xgetbv found features " + f + ")";
            }
            return new Library(path,
                    linker.downcallHandle(sym(syms, "tlc_packed_elements"), FunctionDescriptor.of(ValueLayout.JAVA_LONG, i, i)),
                    // reads the heap activations in place: short (O(tokens x k)), so the GC may wait for it
                    linker.downcallHandle(sym(syms, "tlc_pack"), FunctionDescriptor.of(i, a, i, i, i, a, i, i, i),
                            Linker.Option.critical(true)),
                    // writes the heap output in place: one group of 64 outputs per call (well under a millisecond at 256 tokens)
                    linker.downcallHandle(sym(syms, "tlc_matmul"), FunctionDescriptor.of(i, a, i, i, a, i, i, i, a, a, i, i),
                            Linker.Option.critical(true)),
                    f);
        } catch (Throwable t) {
            return "native library " + path + " not usable: " + t;
        }
    }

    private static MemorySegment sym(SymbolLookup syms, String name) {
        return syms.find(name).orElseThrow(() -> new IllegalStateException("no symbol " + name + " (a library of another version)"));
    }

    private static Path locate() throws IOException {
        return NativeLibraries.locate("toploc.cpu.library", "toploc_cpu", NativeMatmul.class, "native library",
                "gcc was not on the PATH when toploc-runtime was built");
    }
}
