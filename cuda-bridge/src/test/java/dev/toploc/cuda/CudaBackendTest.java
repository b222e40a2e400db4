package dev.toploc.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.internal.TopK;
import dev.toploc.vectors.TestVectors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The backend's probe and fallback everywhere; the kernel itself where a GPU is present (skipped with the
 * probe's reason elsewhere, never silently passed).
 */
class CudaBackendTest {
    static final CudaBackend.Probe PROBE = CudaBackend.probe();

    @Test
    void probe_alwaysAnswers_withAReasonWhenThereIsNoDevice() {
        if (!PROBE.available()) {
            assertTrue(PROBE.reason().startsWith("no usable CUDA device") || PROBE.reason().startsWith("no CUDA library"), PROBE.reason());
        } else {
            assertFalse(PROBE.backend().description().isBlank());
        }
    }

    @Test
    void theLibraryIsPackaged_whenNvccBuiltIt() throws Exception {
        Assumptions.assumeTrue(whichNvcc(), "nvcc is not on the PATH: the build made no native library");
        assertTrue(CudaBackend.class.getResource("/META-INF/native/linux-x86_64/libtoploc_cuda.so") != null);
        Path lib = CudaBackend.locate();
        assertTrue(Files.size(lib) > 100_000);
        // loading it and asking for devices works even without a GPU: the answer is a CUDA error name, not a crash
        if (!PROBE.available()) {
            assertTrue(PROBE.reason().startsWith("no usable CUDA device: cuda"), PROBE.reason());
        }
    }

    @Test
    void deviceRule_cpuNeverProbes_cudaNamesWhyNot_autoFallsBack() throws Exception {
        assertEquals(Optional.empty(), CudaBackend.select("cpu"));
        Optional<CudaBackend> auto = CudaBackend.select("auto");
        assertEquals(PROBE.available(), auto.isPresent());
        if (!PROBE.available()) {
            CudaException e = assertThrows(CudaException.class, () -> CudaBackend.select("cuda"));
            assertEquals(PROBE.reason(), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> CudaBackend.select("tpu"));
    }

    @Test
    void deviceTopK_equalsTheCpuKernels_onReferenceVectorsAndTies() throws Exception {
        Assumptions.assumeTrue(PROBE.available(), "no GPU here: " + PROBE.reason());
        CudaBackend gpu = PROBE.backend();
        for (String name : new String[] {"bf16-h2048-k128.bin", "bf16-h4096-k128-big-index.bin", "bf16-h2048-k128-lognormal.bin"}) {
            byte[] b = Files.readAllBytes(TestVectors.reference().resolve(name));
            short[] s = new short[b.length / 2];
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
            int chunk = Math.min(s.length, 32 * 2048);
            assertArrayEquals(TopK.select16Cpu(s, 0, chunk, 128, 0x7FFF, 0x7F80).indices(), gpu.select16(s, 0, chunk, 128, 0x7FFF, 0x7F80).indices(), name);
        }
        short[] ties = new short[100_000];
        Random r = new Random(3);
        for (int i = 0; i < ties.length; i++) {
            ties[i] = (short) (0x3F80 + r.nextInt(4));
        }
        assertArrayEquals(TopK.select16Cpu(ties, 0, ties.length, 128, 0x7FFF, 0x7F80).indices(), gpu.select16(ties, 0, ties.length, 128, 0x7FFF, 0x7F80).indices());
        ties[777] = (short) 0x7FC0;
        assertEquals(777, gpu.select16(ties, 0, ties.length, 128, 0x7FFF, 0x7F80).firstNonFinite());
    }

    static boolean whichNvcc() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, "nvcc"))) {
                return true;
            }
        }
        return false;
    }
}
