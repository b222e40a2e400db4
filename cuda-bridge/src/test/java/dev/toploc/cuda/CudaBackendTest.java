package dev.toploc.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Commit;
import dev.toploc.Commits;
import dev.toploc.Dtype;
import dev.toploc.InvalidStatesException;
import dev.toploc.internal.TopK;
import dev.toploc.vectors.TestVectors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backend's probe and fallback everywhere; the kernels on a GPU where there is one and on the CPU
 * emulator build of the same source (each skipped with its reason where it is not here, never silently passed).
 */
class CudaBackendTest {
    static final CudaBackend.Probe PROBE = Backends.GPU;

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

    /**
     * A library of another ABI version is refused before any other call (ABI 2's tl_model_create took one argument
     * fewer: called with this side's descriptor it would read garbage). The library is every tl_ symbol compiled as
     * a function failing with error 999; negative control: the same library claiming this side's version gets past
     * the check and fails at the device count instead.
     */
    @Test
    void aLibraryOfAnotherAbiVersion_isRefusedBeforeAnyOtherCall() throws Exception {
        Assumptions.assumeTrue(DeviceCheckScriptTest.onPath("gcc"), "building the wrong-version library needs gcc");
        Path dir = Files.createTempDirectory("abi");
        try {
            for (int version : new int[] {CudaBackend.ABI - 1, CudaBackend.ABI}) {
                StringBuilder c = new StringBuilder("int tl_abi_version(void) { return " + version + "; }\n"
                        + "const char *tl_error_name(int e) { return \"wrongLibraryError\"; }\n");
                for (String f : new String[] {"tl_versions", "tl_device_count", "tl_device_info", "tl_malloc", "tl_free", "tl_copy_to_device",
                        "tl_copy_to_host", "tl_copy_on_device", "tl_stream_create", "tl_stream_destroy", "tl_stream_synchronize", "tl_topk16",
                        "tl_topk16_device", "tl_model_create", "tl_model_free", "tl_model_max_tokens", "tl_prefill_f32"}) {
                    c.append("int ").append(f).append("(void) { return 999; }\n");
                }
                Path src = dir.resolve("v" + version + ".c");
                Path lib = dir.resolve("libv" + version + ".so");
                Files.writeString(src, c);
                Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-o", lib.toString(), src.toString()).inheritIO().start();
                assertEquals(0, gcc.waitFor());
                CudaException e = assertThrows(CudaException.class, () -> CudaBackend.open(lib));
                if (version != CudaBackend.ABI) {
                    assertEquals("abi", e.errorName());
                    assertTrue(e.getMessage().endsWith("has ABI version " + version + " (expected " + CudaBackend.ABI + "): rebuild the module"),
                            e.getMessage());
                } else {
                    assertEquals("wrongLibraryError", e.errorName(), e.getMessage());
                }
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void aFileThatIsNotTheLibrary_isATypedError() throws Exception {
        Path notALibrary = Files.createTempFile("not-a-library", ".so");
        try {
            Files.writeString(notALibrary, "hello");
            CudaException e = assertThrows(CudaException.class, () -> CudaBackend.open(notALibrary));
            assertTrue(e.getMessage().contains(notALibrary.toString()), e.getMessage());
        } finally {
            Files.delete(notALibrary);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void hostTopK_equalsTheCpuKernels_onReferenceVectorsAndTies(String backend) throws Exception {
        CudaBackend gpu = Backends.get(backend);
        for (String name : new String[] {"bf16-h2048-k128.bin", "bf16-h4096-k128-big-index.bin", "bf16-h2048-k128-lognormal.bin"}) {
            short[] s = reference(name);
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void statesInDeviceMemory_commitOnTheDevice_likeTheCpuCommit(String backend) throws Exception {
        CudaBackend gpu = Backends.get(backend);
        short[] s = reference("bf16-h4096-k128-big-index.bin");
        int chunk = 32 * 4096;
        try (DeviceMemory mem = gpu.allocate(2L * s.length); CudaStream stream = gpu.newStream()) {
            mem.copyFrom(s);
            for (int c = 0; c * chunk < s.length; c++) {
                int off = c * chunk;
                int len = Math.min(chunk, s.length - off);
                Commit expected = Commits.commitPatterns(s, off, len, Dtype.BF16, 128);
                assertEquals(expected, gpu.commit(mem.address(2L * off), len, Dtype.BF16, 128, stream.handle()), "chunk " + c);
                CudaBackend.Selection sel = gpu.topK(mem.address(2L * off), len, 128, Dtype.BF16, MemorySegment.NULL);
                for (int i = 0; i < sel.indices().length; i++) {
                    assertEquals(s[off + sel.indices()[i]], sel.patterns()[i], "the gather, chunk " + c);
                }
            }
            stream.synchronize();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void nonFiniteOnTheDevice_isNamedWithItsIndex_andBadArgumentsAreRefused(String backend) throws Exception {
        CudaBackend gpu = Backends.get(backend);
        short[] s = new short[5000];
        java.util.Arrays.fill(s, (short) 0x3C00);       // fp16 1.0
        s[4321] = (short) 0xFC00;                      // fp16 -Inf
        s[4400] = (short) 0x7E00;                      // fp16 NaN
        try (DeviceMemory mem = gpu.allocate(2L * s.length)) {
            mem.copyFrom(s);
            InvalidStatesException e = assertThrows(InvalidStatesException.class,
                    () -> gpu.commit(mem.address(0), s.length, Dtype.FP16, 64, MemorySegment.NULL));
            assertTrue(e.getMessage().startsWith("Inf at flat index 4321 (fp16 pattern 0xFC00)"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> gpu.topK(mem.address(0), 10, 11, Dtype.BF16, MemorySegment.NULL));
            assertThrows(IllegalArgumentException.class, () -> gpu.topK(mem.address(0), 10, 1, Dtype.FP32, MemorySegment.NULL));
            assertThrows(IndexOutOfBoundsException.class, () -> mem.address(2L * s.length + 1));
            assertThrows(IndexOutOfBoundsException.class, () -> mem.copyFrom(new short[s.length + 1]));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment back = a.allocate(ValueLayout.JAVA_SHORT, s.length);
                mem.copyTo(back, 0);
                assertArrayEquals(s, back.toArray(ValueLayout.JAVA_SHORT));
            }
        }
        DeviceMemory freed = gpu.allocate(16);
        freed.close();
        assertThrows(IllegalStateException.class, () -> freed.address(0));
    }

    static short[] reference(String name) throws Exception {
        byte[] b = Files.readAllBytes(TestVectors.reference().resolve(name));
        short[] s = new short[b.length / 2];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
        return s;
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
