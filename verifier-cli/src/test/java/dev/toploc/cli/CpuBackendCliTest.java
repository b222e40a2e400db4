package dev.toploc.cli;

import static dev.toploc.cli.CliTest.TINY;
import static dev.toploc.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.runtime.CpuBackends;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --cpu-backend auto|java|native}: said on stderr, the same states to fp32 rounding, native without a library refused. */
class CpuBackendCliTest {
    @TempDir
    static Path dir;

    private static final String PROMPT = "Q: Is it raining?\nA: Yes, but only on Tuesdays.";

    @Test
    void prefill_onEitherBackend_writesTheSameStatesToFp32Rounding() throws Exception {
        Path java = dir.resolve("java.npy");
        CliTest.Run j = run("prefill", "--model", TINY.toString(), "--prompt", PROMPT, "--cpu-backend", "java", "-o", java.toString());
        assertEquals(0, j.code(), j.err());
        assertTrue(j.err().contains("cpu backend: java: "), j.err());
        Path nat = dir.resolve("native.npy");
        CliTest.Run n = run("prefill", "--model", TINY.toString(), "--prompt", PROMPT, "--cpu-backend", "native", "-o", nat.toString());
        if (CpuBackends.nativeUnavailable().isPresent()) {
            assertEquals(Toploc.BAD_INPUT, n.code(), n.err());
            assertTrue(n.err().contains("--cpu-backend native: " + CpuBackends.nativeUnavailable().get()), n.err());
            assertFalse(nat.toFile().exists());
            return;
        }
        assertEquals(0, n.code(), n.err());
        assertTrue(n.err().contains("cpu backend: native: "), n.err());
        Npy.Array a = Npy.read(nat);
        Npy.Array b = Npy.read(java);
        assertEquals(b.rows(), a.rows());
        var fa = a.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        var fb = b.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        boolean differs = false;
        for (int t = 0; t < b.rows(); t++) {
            double sq = 0;
            double err = 0;
            for (int i = 0; i < b.cols(); i++) {
                float x = fb.get((int) (t * b.cols() + i));
                float y = fa.get((int) (t * b.cols() + i));
                sq += (double) x * x;
                err = Math.max(err, Math.abs(y - x));
                differs |= x != y;
            }
            assertTrue(err / Math.sqrt(sq / b.cols()) <= 1e-4, "position " + t + ": " + err / Math.sqrt(sq / b.cols()));
        }
        assertTrue(differs, "control: the native backend ran (its order differs from the Java kernel's)");
    }

    @Test
    void anUnknownBackend_isBadInput() {
        CliTest.Run r = run("prefill", "--model", TINY.toString(), "--ids", "1,2,3", "--cpu-backend", "fortran", "-o", dir.resolve("x.npy").toString());
        assertEquals(Toploc.BAD_INPUT, r.code());
        assertTrue(r.err().contains("unknown CPU backend 'fortran' (expected auto, java or native)"), r.err());
    }

    @Test
    void benchPrefill_namesTheBackend() {
        CliTest.Run r = run("bench", "prefill", "--model", TINY.toString(), "--tokens", "8", "--runs", "1", "--modes", "bf16", "--cpu-backend", "java");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("cpu backend: java: "), r.out());
    }
}
