package dev.toploc.cli;

import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.CommitFormatException;
import dev.toploc.VerificationException;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Dsse;
import dev.toploc.attest.PublicKey;
import dev.toploc.attest.SigningKey;
import dev.toploc.cli.CliTest.Run;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exit codes that must never be confused: an internal error (out of memory included) is 3, never 1
 * (issue 13 class 7); a null proof is a rejection, 1, never "bad input" (issue 14 point 7).
 */
class ExitCodesCliTest {
    static final Path TINY = CliTest.TINY;
    static final String NULL_PROOF = Base64.getEncoder().encodeToString(new byte[258]);

    @TempDir
    static Path dir;
    static Path key;
    static Path pub;
    static Path attestation;
    static Path states;
    static Path proofs;

    @BeforeAll
    static void providerSide() throws Exception {
        key = dir.resolve("provider.key");
        pub = dir.resolve("provider.key.pub");
        assertEquals(0, run("keygen", "-o", s(key)).code());
        attestation = dir.resolve("att.json");
        Run g = run("generate", "--model", s(TINY), "--prompt", "Q: Why?\nA:", "--max-tokens", "8", "--key", s(key), "-o", s(attestation));
        assertEquals(0, g.code(), g.err());
        states = dir.resolve("states.npy");
        assertEquals(0, run("prefill", "--model", s(TINY), "--prompt", "Q: Why?\nA: because", "-o", s(states)).code());
        Run c = run("commit", "--activations", s(states), "--prefill-rows", "8");
        proofs = Files.writeString(dir.resolve("proofs.txt"), c.out());
        assertEquals(2, CliTest.commitLines(c.out()).size());
    }

    // ------------------------------------------------------------------ internal errors: exit 3, one line

    /** Runs the real main in a child JVM with {@code heap}; returns exit code and merged output (incubator warning dropped). */
    static Run child(String heap, Map<String, String> env, String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx" + heap, "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), "dev.toploc.cli.Toploc"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(Toploc.DEBUG_ENV);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var outF = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        var errF = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM hung");
        String err = errF.get().lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce("", (a, b) -> a + b + "\n");
        return new Run(p.exitValue(), outF.get(), err);
    }

    private static String readAll(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A valid fp32 .npy of {@code rows x 1024}, sparse on disk: reading it needs rows x 4 KiB of heap. */
    static Path bigNpy(Path d, int rows) throws Exception {
        java.io.ByteArrayOutputStream header = new java.io.ByteArrayOutputStream();
        Npy.write(header, "<f4", rows, 1024, new byte[0]);
        Path f = d.resolve("big.npy");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(header.toByteArray());
            raf.setLength(header.size() + (long) rows * 1024 * 4);
        }
        return f;
    }

    @Test
    void outOfMemory_isExit3_withOneLine_andATraceOnlyWhenAsked(@TempDir Path d) throws Exception {
        Path big = bigNpy(d, 64 * 1024);      // 256 MiB of states in a 64 MiB heap
        Run plain = child("64m", Map.of(), "commit", "--activations", s(big));
        assertEquals(Toploc.INTERNAL_ERROR, plain.code(), plain.out() + plain.err());
        assertEquals(1, plain.err().lines().count(), plain.err());
        assertTrue(plain.err().startsWith("internal error: out of memory (Java heap space): give the JVM more heap"), plain.err());
        assertTrue(plain.err().contains("rerun with --debug or TOPLOC_DEBUG=1 for the stack trace"), plain.err());
        assertFalse(plain.err().contains("\tat "), plain.err());
        for (Run traced : new Run[] {child("64m", Map.of(), "commit", "--debug", "--activations", s(big)),
                child("64m", Map.of(Toploc.DEBUG_ENV, "1"), "commit", "--activations", s(big))}) {
            assertEquals(Toploc.INTERNAL_ERROR, traced.code(), traced.err());
            assertTrue(traced.err().startsWith("internal error: out of memory"), traced.err());
            assertTrue(traced.err().contains("java.lang.OutOfMemoryError: Java heap space") && traced.err().contains("\tat "), traced.err());
        }
        // negative control: the same command on a file that fits is fine in the same heap
        Run small = child("64m", Map.of(), "commit", "--activations", s(bigNpy(Files.createDirectory(d.resolve("s")), 64)));
        assertEquals(0, small.code(), small.err());
    }

    static Stream<Arguments> throwables() {
        return Stream.of(
                Arguments.of(new OutOfMemoryError("Java heap space"), Toploc.INTERNAL_ERROR, "internal error: out of memory (Java heap space)"),
                Arguments.of(new StackOverflowError(), Toploc.INTERNAL_ERROR, "internal error: java.lang.StackOverflowError (a bug"),
                Arguments.of(new AssertionError("x"), Toploc.INTERNAL_ERROR, "internal error: java.lang.AssertionError: x (a bug"),
                Arguments.of(new NullPointerException("y"), Toploc.INTERNAL_ERROR, "internal error: java.lang.NullPointerException: y"),
                Arguments.of(new IllegalStateException("z\nREJECTED"), Toploc.INTERNAL_ERROR, "internal error: java.lang.IllegalStateException: z\\nREJECTED"),
                Arguments.of(new RuntimeException(new OutOfMemoryError("Direct buffer memory")), Toploc.INTERNAL_ERROR,
                        "internal error: out of memory (Direct buffer memory)"),
                Arguments.of(new java.util.concurrent.CompletionException(new OutOfMemoryError("Java heap space")), Toploc.INTERNAL_ERROR,
                        "internal error: out of memory"),
                Arguments.of(new VerificationException("rejected: chunk 1", null), Toploc.REJECTED, "REJECTED: rejected: chunk 1"),
                Arguments.of(new AttestationException("trust", "no key"), Toploc.REJECTED, "REJECTED: trust: no key"),
                Arguments.of(CommitFormatException.ofNullProof("commit 0: all zero"), Toploc.REJECTED, "REJECTED: commit 0: all zero"),
                Arguments.of(new CommitFormatException("commit 0: modulus 0"), Toploc.BAD_INPUT, "error: commit 0: modulus 0"),
                Arguments.of(new java.io.IOException("f: missing"), Toploc.BAD_INPUT, "error: f: missing"));
    }

    /** Every throwable gets its exit code and exactly one line; no trace without --debug. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("throwables")
    void everyThrowable_getsItsCode_andOneLine(Throwable t, int code, String line) {
        StringWriter w = new StringWriter();
        assertEquals(code, Toploc.report(t, new PrintWriter(w, true), false));
        assertEquals(1, w.toString().lines().count(), w.toString());
        assertTrue(w.toString().startsWith(line), w.toString());
        StringWriter traced = new StringWriter();
        Toploc.report(t, new PrintWriter(traced, true), true);
        assertTrue(traced.toString().contains("\tat "), traced.toString());
    }

    // ------------------------------------------------------------------ null proofs: exit 1 everywhere

    static Path withNullProof(Path d) throws Exception {
        Dsse.Envelope env = Dsse.parse(Files.readAllBytes(attestation));
        String st = new String(env.payload(), StandardCharsets.UTF_8);
        String first = st.substring(st.indexOf("\"commits\" : [ \"") + 15);
        first = first.substring(0, first.indexOf('"'));
        var k = SigningKey.fromPem(Files.readString(key), "key");
        return Files.write(d.resolve("null.json"), Dsse.sign(env.payloadType(), st.replace(first, NULL_PROOF).getBytes(StandardCharsets.UTF_8),
                List.of(k)).toJson());
    }

    @Test
    void nullProof_isARejection_inVerify_check_andVerifyProofs(@TempDir Path d) throws Exception {
        Run v = run("verify", s(withNullProof(d)), "--model", s(TINY), "--trust", s(pub));
        assertEquals(Toploc.REJECTED, v.code(), v.err());
        assertTrue(v.err().contains("REJECTED: null-proof: commit 0: all zero bytes, the reference's 'null proof'"), v.err());

        List<String> lines = CliTest.commitLines(Files.readString(proofs));
        Path nullProofs = Files.writeString(d.resolve("null-proofs.txt"), lines.get(0) + "\n" + NULL_PROOF + "\n");
        Run c = run("check", "--activations", s(states), "--proofs", s(nullProofs), "--prefill-rows", "8");
        assertEquals(Toploc.REJECTED, c.code(), c.err());
        assertTrue(c.err().contains("REJECTED: commit 1 (proofs file null-proofs.txt line 2): all zero bytes"), c.err());

        int[] ids = TokenIds.fromText("Q: Why?\nA: because");
        Run vp = run("verify", "--proofs", s(nullProofs), "--prompt-ids", TokenIds.format(java.util.Arrays.copyOf(ids, 8)),
                "--completion-ids", TokenIds.format(java.util.Arrays.copyOfRange(ids, 8, ids.length)), "--model", s(TINY), "--prefill-chunk");
        assertEquals(Toploc.REJECTED, vp.code(), vp.err());
        assertTrue(vp.err().contains("REJECTED: commit 1 (proofs line 2): all zero bytes"), vp.err());

        Run i = run("inspect", s(nullProofs));
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("1: null proof (all zero bytes"), i.out());

        // negative controls: the honest commits pass, and a modulus of 0 beside a non-zero coefficient is malformed (bad input)
        assertEquals(0, run("check", "--activations", s(states), "--proofs", s(proofs), "--prefill-rows", "8").code());
        byte[] m0 = new byte[258];
        m0[9] = 1;
        Path bad = Files.writeString(d.resolve("m0.txt"), lines.get(0) + "\n" + Base64.getEncoder().encodeToString(m0) + "\n");
        Run b = run("check", "--activations", s(states), "--proofs", s(bad), "--prefill-rows", "8");
        assertEquals(Toploc.BAD_INPUT, b.code(), b.err());
        assertTrue(b.err().contains("error: commit 1 (proofs file m0.txt line 2): modulus 0 is not allowed (expected 1..65497)"), b.err());
    }
}
