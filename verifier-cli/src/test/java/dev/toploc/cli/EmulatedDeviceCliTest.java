package dev.toploc.cli;

import static dev.toploc.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device cuda} end to end, with the CPU emulator build of the CUDA library standing in for a GPU
 * ({@code -Dtoploc.cuda.library}, set before anything looks for the library; this class runs in its own JVM):
 * the commits' top-k and the fp32 prefill go through the FFM bindings and the kernels, and the verdicts are
 * the CPU's. Skipped with the reason where the emulator was not built.
 */
class EmulatedDeviceCliTest {
    static final Path TINY = CliTest.TINY;
    static final Path TINY_B = CliTest.TINY_B;

    @TempDir
    static Path dir;
    static Path pub;
    static Path attestation;

    @BeforeAll
    static void useTheEmulator_andAttest() {
        String lib = System.getProperty("toploc.cuda.emulator", "");
        Assumptions.assumeTrue(!lib.isBlank() && Files.isRegularFile(Path.of(lib)),
                "the CPU emulator was not built (build cuda-bridge first; it needs g++ on x86-64)");
        System.setProperty("toploc.cuda.library", lib);
        Path key = dir.resolve("k.pem");
        assertEquals(0, run("keygen", "-o", key.toString()).code());
        pub = dir.resolve("k.pem.pub");
        attestation = dir.resolve("att.json");
        CliTest.Run g = run("generate", "--model", TINY.toString(), "--prompt", "Q: Why do cats purr?\nA:", "--max-tokens", "40",
                "--seed", "5", "--key", key.toString(), "-o", attestation.toString());
        assertEquals(0, g.code(), g.err());
    }

    @Test
    void verifyOnTheDevice_acceptsTheHonestRun_andRejectsTheSubstitutedModel() {
        // the thresholds calibrated on CPU reruns hold for the device's other reduction order
        String policy = TINY.resolve("toploc-policy.json").toString();
        CliTest.Run ok = run("verify", attestation.toString(), "--model", TINY.toString(), "--trust", pub.toString(), "--device", "cuda",
                "--mode", "fp32", "--policy", policy);
        assertEquals(Toploc.ACCEPTED, ok.code(), ok.out() + ok.err());
        assertTrue(ok.err().contains("device: cuda: toploc CPU emulator"), ok.err());
        assertTrue(ok.err().contains("device: fp32 prefill on the GPU"), ok.err());
        CliTest.Run swapped = run("verify", attestation.toString(), "--model", TINY_B.toString(), "--trust", pub.toString(), "--device",
                "cuda", "--mode", "fp32", "--policy", policy);
        assertEquals(Toploc.REJECTED, swapped.code(), swapped.out() + swapped.err());
    }

    /** {@code verify --proofs} and {@code validate} (bare proofs, the rollouts library's checks) honour --device as the attestation path does. */
    @org.junit.jupiter.api.Tag("slow")
    @Test
    void bareProofsOnTheDevice_acceptTheHonestRun_andRejectTheSubstitutedModel() throws Exception {
        String text = "Q: Is it raining?\nA: Yes, but only on Tuesdays. And on some Fridays, when the moon is out.";
        int promptRows = 18;
        Path npy = dir.resolve("bare.npy");
        CliTest.Run p = run("prefill", "--model", TINY.toString(), "--prompt", text, "--mode", "bf16", "-o", npy.toString());
        assertEquals(0, p.code(), p.err());
        CliTest.Run c = run("commit", "--activations", npy.toString(), "--prefill-rows", String.valueOf(promptRows));
        assertEquals(0, c.code(), c.err());
        Path proofs = dir.resolve("bare-proofs.txt");
        Files.writeString(proofs, String.join("\n", CliTest.commitLines(c.out())) + "\n");
        int[] ids = TokenIds.fromText(text);
        int[] prompt = java.util.Arrays.copyOf(ids, promptRows);
        int[] completion = java.util.Arrays.copyOfRange(ids, promptRows, ids.length + 1);   // the token after the dump's last row
        completion[completion.length - 1] = 'x';
        for (Path model : new Path[] {TINY, TINY_B}) {
            CliTest.Run v = run("verify", "--proofs", proofs.toString(), "--prompt-ids", TokenIds.format(prompt), "--completion-ids",
                    TokenIds.format(completion), "--model", model.toString(), "--prefill-chunk", "--device", "cuda", "--mode", "fp32");
            assertEquals(model == TINY ? Toploc.ACCEPTED : Toploc.REJECTED, v.code(), v.out() + v.err());
            assertTrue(v.err().contains("device: fp32 prefill on the GPU"), v.err());
        }
        // validate, the same sample's file through the rollouts library's file loop
        CliTest.Run v = run("validate", proofs.toString(), "--prompt-ids", TokenIds.format(prompt), "--completion-ids", TokenIds.format(completion),
                "--model", TINY.toString(), "--prefill-chunk", "--device", "cuda", "--mode", "fp32");
        assertEquals(Toploc.ACCEPTED, v.code(), v.out() + v.err());
        assertTrue(v.err().contains("device: fp32 prefill on the GPU"), v.err());
    }

    @Test
    void prefillOnTheDevice_writesWhatTheCpuWrites_toFp32Rounding() throws Exception {
        Path gpu = dir.resolve("gpu.npy");
        Path cpu = dir.resolve("cpu.npy");
        String prompt = "Q: Is it raining?\nA: Yes, but only on Tuesdays.";
        CliTest.Run g = run("prefill", "--model", TINY.toString(), "--prompt", prompt, "--device", "cuda", "-o", gpu.toString());
        assertEquals(0, g.code(), g.err());
        assertEquals(0, run("prefill", "--model", TINY.toString(), "--prompt", prompt, "--device", "cpu", "-o", cpu.toString()).code());
        Npy.Array a = Npy.read(gpu);
        Npy.Array b = Npy.read(cpu);
        assertEquals(b.rows(), a.rows());
        assertEquals(b.cols(), a.cols());
        var fa = a.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        var fb = b.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        for (int t = 0; t < b.rows(); t++) {
            double sq = 0;
            double err = 0;
            for (int i = 0; i < b.cols(); i++) {
                float x = fb.get((int) (t * b.cols() + i));
                sq += (double) x * x;
                err = Math.max(err, Math.abs(fa.get((int) (t * a.cols() + i)) - x));
            }
            assertTrue(err / Math.sqrt(sq / b.cols()) <= 1e-4, "position " + t + ": " + err / Math.sqrt(sq / b.cols()));
        }
    }
}
