package dev.toploc.cuda;

import dev.toploc.TopKAccelerator;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Dtype;
import dev.toploc.InvalidStatesException;
import dev.toploc.internal.TopK;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * The device top-k is the CPU kernel's twin: for random sizes, k, tie structures (few distinct magnitudes,
 * both signs), every 16- and 8-bit format and scattered NaN/Inf, the host-input kernel (the one core's
 * accelerator hook uses) and, for 16-bit formats, the device-input kernel give the scalar kernel's indices
 * (and the gather its patterns), or the same lowest non-finite index. On the CPU
 * emulator build here, on the GPU where there is one; each skipped with its reason otherwise.
 */
class DeviceTopKPropertiesTest {

    @Property(tries = 60, seed = "20261128")
    @AddLifecycleHook(NeedsEmulator.class)
    void onTheEmulator(@ForAll long seed, @ForAll @IntRange(min = 1, max = 6000) int n, @ForAll @IntRange(min = 1, max = 300) int k,
                       @ForAll @IntRange(min = 1, max = 40) int magnitudes, @ForAll("formats") Dtype dtype, @ForAll @IntRange(min = 0, max = 3) int nonFinite)
            throws Exception {
        agrees(CudaBackend.open(Backends.emulatorLibrary()), seed, n, Math.min(k, n), magnitudes, dtype, nonFinite);
    }

    @Property(tries = 200, seed = "20261128")
    @AddLifecycleHook(NeedsGpu.class)
    void onTheGpu(@ForAll long seed, @ForAll @IntRange(min = 1, max = 200_000) int n, @ForAll @IntRange(min = 1, max = 1000) int k,
                  @ForAll @IntRange(min = 1, max = 40) int magnitudes, @ForAll("formats") Dtype dtype, @ForAll @IntRange(min = 0, max = 3) int nonFinite)
            throws Exception {
        agrees(Backends.GPU.backend(), seed, n, Math.min(k, n), magnitudes, dtype, nonFinite);
    }

    @Provide
    Arbitrary<Dtype> formats() {
        return Arbitraries.of(Dtype.BF16, Dtype.FP16, Dtype.FP8_E4M3, Dtype.FP8_E5M2);
    }

    static void agrees(CudaBackend gpu, long seed, int n, int k, int magnitudes, Dtype dtype, int nonFinite) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        int[] pool = new int[magnitudes];
        for (int i = 0; i < magnitudes; i++) {
            pool[i] = r.nextInt(dtype.nonFiniteMagnitude());          // finite magnitudes, zero and subnormals included
        }
        int sign = 1 << (dtype.bits() - 1);
        short[] a = new short[n];
        for (int i = 0; i < n; i++) {
            a[i] = (short) (pool[r.nextInt(magnitudes)] | (r.nextBoolean() ? sign : 0));
        }
        for (int j = 0; j < nonFinite; j++) {
            int bits = dtype.nonFiniteMagnitude() + r.nextInt(sign - dtype.nonFiniteMagnitude());   // Inf or a NaN
            a[r.nextInt(n)] = (short) (bits | (r.nextBoolean() ? sign : 0));
        }
        TopKAccelerator.Result cpu = TopK.select16Scalar(a, 0, n, k, dtype.magnitudeMask(), dtype.nonFiniteMagnitude());
        TopKAccelerator.Result host = gpu.select16(a, 0, n, k, dtype.magnitudeMask(), dtype.nonFiniteMagnitude());
        assertEquals(cpu.firstNonFinite(), host.firstNonFinite());
        if (cpu.ok()) {
            assertArrayEquals(cpu.indices(), host.indices());
        }
        if (dtype.bits() != 16) {
            return;                     // the device-input kernel reads 16-bit patterns only
        }
        try (DeviceMemory mem = gpu.allocate(2L * n)) {
            mem.copyFrom(a);
            if (!cpu.ok()) {
                InvalidStatesException e = assertThrows(InvalidStatesException.class, () -> gpu.topK(mem.address(0), n, k, dtype, MemorySegment.NULL));
                assertTrue(e.getMessage().contains("at flat index " + cpu.firstNonFinite() + " "), e.getMessage());
                return;
            }
            CudaBackend.Selection sel = gpu.topK(mem.address(0), n, k, dtype, MemorySegment.NULL);
            assertArrayEquals(cpu.indices(), sel.indices());
            for (int i = 0; i < k; i++) {
                assertEquals(a[sel.indices()[i]], sel.patterns()[i]);
            }
        }
    }

    static final class NeedsEmulator implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            var lib = Backends.emulatorLibrary();
            return lib != null && Files.isRegularFile(lib) ? SkipResult.doNotSkip()
                    : SkipResult.skip("no CPU emulator given (-Dtoploc.cuda.emulator; the Maven build makes it where g++ runs on x86-64)");
        }
    }

    static final class NeedsGpu implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            return Backends.GPU.available() ? SkipResult.doNotSkip() : SkipResult.skip("no GPU here: " + Backends.GPU.reason());
        }
    }
}
