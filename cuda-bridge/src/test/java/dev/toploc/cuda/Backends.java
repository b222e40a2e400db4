package dev.toploc.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The backends the kernel tests run on: {@code gpu}, the nvcc-built library on a real device (skipped with
 * the probe's reason where there is none), and {@code emulator}, the same source built against the CPU
 * emulator (src/test/emu/cuda_emu.h; skipped with a reason where g++ could not build it).
 */
final class Backends {
    static final CudaBackend.Probe GPU = CudaBackend.probe();

    private Backends() {
    }

    static Stream<String> names() {
        return Stream.of("gpu", "emulator");
    }

    /** The named backend, or the test is skipped saying why it is not here. */
    static CudaBackend get(String name) throws CudaException {
        if (name.equals("gpu")) {
            Assumptions.assumeTrue(GPU.available(), "no GPU here: " + GPU.reason());
            return GPU.backend();
        }
        Path lib = emulatorLibrary();
        Assumptions.assumeTrue(lib != null && Files.isRegularFile(lib), "no CPU emulator given (-Dtoploc.cuda.emulator; the Maven build makes it where g++ runs on x86-64)");
        return CudaBackend.open(lib);
    }

    static Path emulatorLibrary() {
        String p = System.getProperty("toploc.cuda.emulator");
        return p == null || p.isBlank() ? null : Path.of(p);
    }
}
