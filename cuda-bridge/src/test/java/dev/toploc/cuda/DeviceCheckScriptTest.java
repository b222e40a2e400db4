package dev.toploc.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code device-check.sh --emulator}: the script a GPU machine runs, run here on the CPU emulator, so that the
 * script, its C drivers and the kernels are known to work before device time is spent on them.
 */
@org.junit.jupiter.api.Tag("slow")
class DeviceCheckScriptTest {

    @Test
    void theDeviceCheck_passesOnTheEmulator_oneOkLinePerCheck() throws Exception {
        Assumptions.assumeTrue(onPath("g++") && onPath("gcc") && onPath("python3"), "the device check needs g++, gcc and python3");
        Assumptions.assumeTrue(System.getProperty("os.arch").equals("amd64"), "the emulator's fibers are x86-64 only");
        Path script = Path.of("device-check.sh").toAbsolutePath();
        Process p = new ProcessBuilder("bash", script.toString(), "--emulator").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "device-check.sh --emulator did not finish");
        assertEquals(0, p.exitValue(), out);
        assertFalse(out.contains("MISMATCH") || out.contains("WRONG") || out.contains("FAILED") || out.contains("NOT CAUGHT"), out);
        assertTrue(out.contains("device-check: all checks passed"), out);
        long ok = out.lines().filter(l -> l.contains(": ok")).count();
        // 15 emulator self-checks, the 26 chunks of the bf16 reference vectors, 4 synthetic top-k checks, 3 golden prefills,
        // the oracle's qwen2 and qwen3 against llama.cpp and their 3 dropped-feature negative controls
        assertEquals(15 + 26 + 4 + 3 + 2 + 3, ok, "ok lines:\n" + out);
        assertTrue(out.contains("qwen2-window-layers vs llamacpp.fp32.bin (QKV bias, windows 0,32,32)"), out);
        assertTrue(out.contains("qwen3 vs llamacpp.fp32.bin, qk-norm dropped (negative control)"), out);
        assertTrue(out.contains("prefill random hidden 256"), out);
    }

    static boolean onPath(String tool) throws IOException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
