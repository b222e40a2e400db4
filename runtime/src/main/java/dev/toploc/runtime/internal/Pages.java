package dev.toploc.runtime.internal;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Hints to the OS about mapped weights. {@link #prefetch}: {@code madvise(MADV_WILLNEED)} on Linux (through
 * FFM), so the kernel reads a layer's pages from disk in the background while the layer before it computes;
 * a mapped file's faults alone read ahead only ~128 KiB at a time, synchronously. {@link #release}: the
 * pages handed back ({@link MemorySegment#unload}, which is {@code madvise(MADV_DONTNEED)} on Linux), so the
 * process's resident set stays near one layer; the page cache keeps them while memory allows. Both are
 * hints: they never change a value read, and failures are ignored (where there is no {@code madvise} the
 * prefetch does nothing).
 */
public final class Pages {
    private Pages() {
    }

    private static final int MADV_WILLNEED = 3;
    /** Start addresses are aligned down to 64 KiB: a page boundary for 4 KiB, 16 KiB and 64 KiB pages alike. */
    private static final long ALIGN = 64 << 10;
    /** {@code int madvise(void*, size_t, int)}, or null where unavailable (not Linux, native access refused). */
    private static final MethodHandle MADVISE = madvise();

    private static MethodHandle madvise() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) {   // IllegalCallerException: native access not enabled for this module
            return null;
        }
    }

    /** Whether {@link #prefetch} reaches the kernel on this JVM. */
    public static boolean canPrefetch() {
        return MADVISE != null;
    }

    /**
     * Asks the kernel to start reading {@code s}'s pages (a mapped segment; others are ignored). Returns
     * whether the kernel took the hint (false: not mapped, no {@code madvise}, or it refused).
     */
    public static boolean prefetch(MemorySegment s) {
        if (MADVISE == null || !s.isMapped() || s.byteSize() == 0) {
            return false;
        }
        long start = s.address() & -ALIGN;
        long end = s.address() + s.byteSize();
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_WILLNEED) == 0;
        } catch (Throwable e) {
            return false;       // a hint: the pages are read on first use anyway
        }
    }

    /** Hands {@code s}'s resident pages back to the OS (a mapped segment; others are ignored). */
    public static void release(MemorySegment s) {
        if (s.isMapped()) {
            s.unload();
        }
    }
}
