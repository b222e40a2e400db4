package dev.toploc.cli;

import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.toploc.cli.CliTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13 class 5 through the entry point: every file the CLI reads, given as a device, a FIFO, or a link
 * to one, is refused by type with exit 2 and a message naming the file and what it is, promptly (a FIFO
 * that was opened would block until the timeout fails the test; {@code /dev/zero} read to its end would
 * exhaust the heap).
 */
class HostileFilesCliTest {
    static final Path TINY = CliTest.TINY;

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
        assertEquals(0, c.code(), c.err());
        proofs = Files.writeString(dir.resolve("proofs.txt"), c.out());
    }

    static Path mkfifo(Path p) throws Exception {
        Process pr = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
        assertTrue(pr.waitFor(10, TimeUnit.SECONDS), "mkfifo hung");
        assumeTrue(pr.exitValue() == 0, "mkfifo is not available here");
        return p;
    }

    /** Makes the hostile file at the given path. */
    interface Kind {
        void make(Path at) throws Exception;
    }

    static final List<Object[]> KINDS = List.of(
            new Object[] {"fifo", (Kind) HostileFilesCliTest::mkfifo, "is a FIFO (named pipe), not a regular file"},
            new Object[] {"dev-zero-link", (Kind) p -> Files.createSymbolicLink(p, Path.of("/dev/zero")), "is a character device, not a regular file"},
            new Object[] {"link-to-fifo", (Kind) p -> Files.createSymbolicLink(p, mkfifo(p.resolveSibling(p.getFileName() + ".pipe"))),
                    "is a FIFO (named pipe), not a regular file"},
            new Object[] {"directory", (Kind) Files::createDirectory, "is a directory, not a regular file"});

    /** A model folder of links to the tiny model's files (as a HuggingFace cache has), one of them replaced. */
    static Path modelWith(Path d, String hostileName, Kind kind) throws Exception {
        Path m = Files.createDirectories(d.resolve("model"));
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            if (!f.equals(hostileName)) {
                Files.createSymbolicLink(m.resolve(f), TINY.resolve(f).toAbsolutePath());
            }
        }
        kind.make(m.resolve(hostileName));
        return m;
    }

    /** Each input: a name, the file's name, and the command line given the hostile file's path. */
    record Input(String name, String fileName, Function<Path, String[]> args) {
    }

    static final List<Input> INPUTS = List.of(
            new Input("attestation", "att.json", f -> new String[] {"verify", s(f), "--model", s(TINY), "--trust", s(pub)}),
            new Input("trust key", "trusted.pub", f -> new String[] {"verify", s(attestation), "--model", s(TINY), "--trust", s(f)}),
            new Input("policy", "policy.json", f -> new String[] {"verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--policy", s(f)}),
            new Input("demo policy", "policy.json", f -> new String[] {"demo", "--policy", s(f)}),
            new Input("signing key", "signing.key", f -> new String[] {"generate", "--model", s(TINY), "--prompt", "x", "--max-tokens", "2",
                    "--key", s(f), "-o", s(f.resolveSibling("never.json"))}),
            new Input("ids file", "ids.txt", f -> new String[] {"prefill", "--model", s(TINY), "--ids-file", s(f), "-o", s(f.resolveSibling("never.npy"))}),
            new Input("activations .npy", "states.npy", f -> new String[] {"commit", "--activations", s(f)}),
            new Input("activations .safetensors", "states.safetensors", f -> new String[] {"check", "--activations", s(f), "--proofs", s(proofs)}),
            new Input("check proofs", "proofs.txt", f -> new String[] {"check", "--activations", s(states), "--proofs", s(f), "--prefill-rows", "8"}),
            new Input("verify proofs", "proofs.txt", f -> new String[] {"verify", "--proofs", s(f), "--prompt-ids", "1,2", "--completion-ids", "3",
                    "--model", s(TINY)}),
            new Input("inspect", "att.json", f -> new String[] {"inspect", s(f)}),
            new Input("config.json", "config.json", null),
            new Input("safetensors shard", "model.safetensors", null));

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Input in : INPUTS) {
            for (Object[] k : KINDS) {
                out.add(Arguments.of(in.name(), k[0], in, k[1], k[2]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("cases")
    void hostileFile_isRefusedByType_withExit2(String input, String kindName, Input in, Kind kind, String expected, @TempDir Path d)
            throws Exception {
        Path f;
        String[] args;
        if (in.args() == null) {
            Path m = modelWith(d, in.fileName(), kind);
            f = m.resolve(in.fileName());
            args = new String[] {"verify", s(attestation), "--model", s(m), "--trust", s(pub)};
        } else {
            f = d.resolve(in.fileName());
            kind.make(f);
            args = in.args().apply(f);
        }
        Run r = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> run(args), input + " as " + kindName + ": hung");
        assertEquals(Toploc.BAD_INPUT, r.code(), input + " as " + kindName + ": " + r.out() + r.err());
        assertTrue(r.err().contains(f.getFileName().toString()) && r.err().contains(expected),
                () -> input + " as " + kindName + ": stderr was: " + r.err());
        assertFalse(r.out().contains("ACCEPTED"));
    }

    /** Negative control: links to regular files (a HuggingFace cache's layout) keep working everywhere. */
    @Test
    void linksToRegularFiles_areRead(@TempDir Path d) throws Exception {
        Path m = modelWith(d, "config.json", (Kind) p -> Files.createSymbolicLink(p, TINY.resolve("config.json").toAbsolutePath()));
        Path att = Files.createSymbolicLink(d.resolve("att-link.json"), attestation);
        Path trusted = Files.createSymbolicLink(d.resolve("pub-link.pem"), pub);
        Run v = run("verify", s(att), "--model", s(m), "--trust", s(trusted), "--no-replay");
        assertEquals(0, v.code(), v.out() + v.err());
        Path p = Files.createSymbolicLink(d.resolve("proofs-link.txt"), proofs);
        Run c = run("check", "--activations", s(Files.createSymbolicLink(d.resolve("s.npy"), states)), "--proofs", s(p), "--prefill-rows", "8");
        assertEquals(0, c.code(), c.out() + c.err());
    }

    /** Over the limit by size: the policy file's 64 KiB. */
    @Test
    void oversizedPolicy_isRefused_namingTheLimit(@TempDir Path d) throws Exception {
        Path big = Files.writeString(d.resolve("policy.json"), " ".repeat(dev.toploc.policy.PolicyFile.MAX_BYTES + 1));
        Run r = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub), "--policy", s(big));
        assertEquals(Toploc.BAD_INPUT, r.code());
        assertTrue(r.err().contains("policy file is " + (dev.toploc.policy.PolicyFile.MAX_BYTES + 1) + " bytes, more than the limit of "
                + dev.toploc.policy.PolicyFile.MAX_BYTES + " bytes"), r.err());
    }

    /** Outputs: even --force never replaces a FIFO (or a device: /dev/null is not tested, a failure would replace it) with a file. */
    @Test
    void forcedOutput_neverReplacesAFifo(@TempDir Path d) throws Exception {
        Path fifo = mkfifo(d.resolve("out.npy"));
        Run r = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> run("prefill", "--model", s(TINY), "--ids", "1,2,3", "-o", s(fifo), "--force"));
        assertEquals(Toploc.BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("it is a FIFO (named pipe), not a regular file; refusing to replace it"), r.err());
        assertTrue((Integer) Files.getAttribute(fifo, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS) % 01000000 / 010000 == 1,
                "the FIFO is still a FIFO");
        // negative control: a regular file is replaced with --force
        Path regular = Files.writeString(d.resolve("old.npy"), "old");
        assertEquals(0, run("prefill", "--model", s(TINY), "--ids", "1,2,3", "-o", s(regular), "--force").code());
        assertTrue(Files.size(regular) > 3);
    }
}
