package dev.toploc.cli;

import static dev.toploc.cli.CliTest.TINY;
import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.cli.CliTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commits files that describe themselves: {@code commit} writes the header, {@code check} and
 * {@code verify --proofs} read it, flags that contradict it are bad input, and setup mistakes (dtype,
 * prefill rows, chunk count) are bad input with a hint, found before any prefill.
 */
class CommitsHeaderCliTest {
    static final String TEXT = "Q: Is it raining?\nA: Yes, but only on Tuesdays. And on some Fridays, when the moon is out.";
    static final int PROMPT = 18;

    @TempDir
    static Path dir;
    static Path bf16;
    static Path fp16;
    static Path headed;
    static Path headedFp16;
    static Path plain;

    @BeforeAll
    static void commitsOfPrefillDumps() throws Exception {
        bf16 = dir.resolve("bf16.npy");
        fp16 = dir.resolve("fp16.npy");
        assertEquals(0, run("prefill", "--model", s(TINY), "--prompt", TEXT, "--mode", "bf16", "-o", s(bf16)).code());
        assertEquals(0, run("prefill", "--model", s(TINY), "--prompt", TEXT, "--mode", "fp16", "-o", s(fp16)).code());
        Run c = run("commit", "--activations", s(bf16), "--prefill-rows", String.valueOf(PROMPT));
        assertEquals(0, c.code(), c.err());
        headed = Files.writeString(dir.resolve("headed.txt"), c.out());
        plain = Files.writeString(dir.resolve("plain.txt"), String.join("\n", CliTest.commitLines(c.out())) + "\n");
        Run c16 = run("commit", "--activations", s(fp16), "--prefill-rows", String.valueOf(PROMPT));
        assertEquals(0, c16.code(), c16.err());
        assertFalse(c16.err().contains("warning"), c16.err());
        headedFp16 = Files.writeString(dir.resolve("headed16.txt"), c16.out());
    }

    static String[] interop(Path proofs, String... extra) {
        int[] ids = TokenIds.fromText(TEXT);
        int[] prompt = Arrays.copyOf(ids, PROMPT);
        int[] completion = Arrays.copyOfRange(ids, PROMPT, ids.length + 1);   // the token after the dump's last row
        completion[completion.length - 1] = 'x';
        String[] base = {"verify", "--proofs", s(proofs), "--prompt-ids", TokenIds.format(prompt), "--completion-ids", TokenIds.format(completion),
                "--model", s(TINY)};
        String[] all = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void commit_writesTheHeader_andDefaultsToTheInputsDtype() throws Exception {
        assertTrue(Files.readString(headed).startsWith("# toploc-commits v1 dtype=bf16 k=128 chunk=32 prefill-rows=18 positions=decode-steps\n"));
        assertTrue(Files.readString(headedFp16).startsWith("# toploc-commits v1 dtype=fp16 k=128 chunk=32 prefill-rows=18 positions=decode-steps\n"),
                "an fp16 .npy commits in fp16");
        Run mixed = run("commit", "--activations", s(fp16), "--dtype", "bf16");
        assertEquals(0, mixed.code(), mixed.err());
        assertTrue(mixed.err().contains("warning: the activations are fp16 but the commits are bf16 (--dtype bf16)"), mixed.err());
        Run bare = run("commit", "--activations", s(bf16), "--no-header", "--positions", "produced");
        assertEquals(0, bare.code(), bare.err());
        assertFalse(bare.out().contains("#"), bare.out());
        Run pos = run("commit", "--activations", s(bf16), "--positions", "produced");
        assertTrue(pos.out().startsWith("# toploc-commits v1 dtype=bf16 k=128 chunk=32 prefill-rows=0 positions=produced\n"), pos.out());
    }

    @Test
    void check_readsTheHeader_soNoFlagsAreNeeded() {
        Run ok = run("check", "--activations", s(bf16), "--proofs", s(headed));
        assertEquals(0, ok.code(), ok.out() + ok.err());
        Run ok16 = run("check", "--activations", s(fp16), "--proofs", s(headedFp16));
        assertEquals(0, ok16.code(), ok16.out() + ok16.err());
        // the same flags given explicitly agree with the header
        assertEquals(0, run("check", "--activations", s(bf16), "--proofs", s(headed), "--prefill-rows", "18", "--chunk", "32", "--dtype", "bf16").code());
        // plain one-per-line base64 still works with the flags
        assertEquals(0, run("check", "--activations", s(bf16), "--proofs", s(plain), "--prefill-rows", "18").code());
    }

    @Test
    void flagsContradictingTheHeader_areBadInputNamingBoth() {
        Run chunk = run("check", "--activations", s(bf16), "--proofs", s(headed), "--chunk", "16");
        assertEquals(Toploc.BAD_INPUT, chunk.code(), chunk.err());
        assertTrue(chunk.err().contains("--chunk 16 contradicts the header of proofs file headed.txt (chunk=32)"), chunk.err());
        Run dtype = run("check", "--activations", s(fp16), "--proofs", s(headedFp16), "--dtype", "bf16");
        assertEquals(Toploc.BAD_INPUT, dtype.code(), dtype.err());
        assertTrue(dtype.err().contains("--dtype bf16 contradicts the header of proofs file headed16.txt (dtype=fp16)"), dtype.err());
        Run pre = run("check", "--activations", s(bf16), "--proofs", s(headed), "--prefill-rows", "0");
        assertEquals(Toploc.BAD_INPUT, pre.code(), pre.err());
        Run v = run(interop(headed, "--dtype", "fp16"));
        assertEquals(Toploc.BAD_INPUT, v.code(), v.err());
        assertTrue(v.err().contains("--dtype fp16 contradicts the header of proofs file headed.txt (dtype=bf16)"), v.err());
        Run vp = run(interop(headed, "--positions", "produced"));
        assertEquals(Toploc.BAD_INPUT, vp.code(), vp.err());
    }

    @Test
    void verifyProofs_readsTheHeader() {
        Run v = run(interop(headed, "--mode", "bf16"));
        assertEquals(0, v.code(), v.out() + v.err());
        // negative control: without the header the same commits need the flags
        Run noFlags = run(interop(plain, "--mode", "bf16"));
        assertTrue(noFlags.code() != 0, noFlags.out() + noFlags.err());
    }

    @Test
    void setupMistakes_areBadInputWithAHint() throws Exception {
        Run noPrefill = run("check", "--activations", s(bf16), "--proofs", s(plain));
        assertEquals(Toploc.BAD_INPUT, noPrefill.code(), noPrefill.err());
        assertTrue(noPrefill.err().contains("the first commit may cover the prompt: give --prefill-rows P"), noPrefill.err());
        Run chunk = run("check", "--activations", s(bf16), "--proofs", s(plain), "--prefill-rows", "18", "--chunk", "8");
        assertEquals(Toploc.BAD_INPUT, chunk.code(), chunk.err());
        assertTrue(chunk.err().contains("4 commits") && chunk.err().contains("--chunk 32"), chunk.err());
        Path plain16 = Files.writeString(dir.resolve("plain16.txt"), String.join("\n", CliTest.commitLines(Files.readString(headedFp16))) + "\n");
        Run dtype = run("check", "--activations", s(fp16), "--proofs", s(plain16), "--prefill-rows", "18", "--dtype", "bf16");
        assertEquals(Toploc.BAD_INPUT, dtype.code(), dtype.out() + dtype.err());
        assertTrue(dtype.err().contains("do not match in bf16 but do in fp16") && dtype.err().contains("give --dtype fp16"), dtype.err());
        // negative control: other states are a rejection, not a setup mistake
        Path other = dir.resolve("other.npy");
        assertEquals(0, run("prefill", "--model", s(CliTest.TINY_B), "--prompt", TEXT, "--mode", "fp16", "-o", s(other)).code());
        Run rejected = run("check", "--activations", s(other), "--proofs", s(plain16), "--prefill-rows", "18", "--dtype", "bf16");
        assertEquals(Toploc.REJECTED, rejected.code(), rejected.out() + rejected.err());
        // verify --proofs with a replay: the count is checked before the prefill (no "recomputing" line)
        Run replay = run(interop(plain, "--sampling", "greedy", "--positions", "decode-steps", "--mode", "bf16"));
        assertEquals(Toploc.BAD_INPUT, replay.code(), replay.err());
        assertTrue(replay.err().contains("the commits fit --prefill-chunk"), replay.err());
        assertFalse(replay.err().contains("recomputing"), replay.err());
    }

    @Test
    void malformedHeaders_areBadInput() throws Exception {
        String body = String.join("\n", CliTest.commitLines(Files.readString(headed))) + "\n";
        for (String h : new String[] {"# toploc-commits v2 dtype=bf16 k=128 chunk=32 prefill-rows=18 positions=decode-steps",
                "# toploc-commits v1 dtype=bf16 k=128 chunk=32 prefill-rows=18",
                "# toploc-commits v1 dtype=bf16 k=128 k=64 chunk=32 prefill-rows=18 positions=decode-steps",
                "# toploc-commits v1 dtype=bf16 k=0 chunk=32 prefill-rows=18 positions=decode-steps",
                "# toploc-commits v1 dtype=bf16 k=128 chunk=32 prefill-rows=18 positions=decode-steps color=red"}) {
            Path f = Files.writeString(dir.resolve("bad-header.txt"), h + "\n" + body);
            Run c = run("check", "--activations", s(bf16), "--proofs", s(f));
            assertEquals(Toploc.BAD_INPUT, c.code(), h + ": " + c.err());
            assertTrue(c.err().contains("bad-header.txt: "), c.err());
        }
    }
}
