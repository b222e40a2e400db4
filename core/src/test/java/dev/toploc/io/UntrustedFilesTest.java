package dev.toploc.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The one reader of untrusted files: regular files only, bounded while reading, never blocking on a FIFO. */
class UntrustedFilesTest {

    /** Makes a FIFO with the real {@code mkfifo}. */
    static Path mkfifo(Path p) throws Exception {
        Process pr = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
        assertTrue(pr.waitFor(10, TimeUnit.SECONDS), "mkfifo hung");
        assumeTrue(pr.exitValue() == 0, "mkfifo is not available here");
        return p;
    }

    interface Maker {
        Path make(Path dir) throws Exception;
    }

    static Stream<Arguments> notRegular() {
        return Stream.of(
                Arguments.of("dev-zero", (Maker) d -> Path.of("/dev/zero"), "is a character device, not a regular file"),
                Arguments.of("fifo", (Maker) d -> mkfifo(d.resolve("pipe")), "is a FIFO (named pipe), not a regular file"),
                Arguments.of("link-to-fifo", (Maker) d -> Files.createSymbolicLink(d.resolve("l"), mkfifo(d.resolve("pipe"))),
                        "is a FIFO (named pipe), not a regular file"),
                Arguments.of("link-to-dev-zero", (Maker) d -> Files.createSymbolicLink(d.resolve("z"), Path.of("/dev/zero")),
                        "is a character device, not a regular file"),
                Arguments.of("link-to-link-to-fifo", (Maker) d -> Files.createSymbolicLink(d.resolve("ll"),
                        Files.createSymbolicLink(d.resolve("l"), mkfifo(d.resolve("pipe")))), "is a FIFO (named pipe)"),
                Arguments.of("directory", (Maker) d -> Files.createDirectory(d.resolve("sub")), "is a directory, not a regular file"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notRegular")
    void notARegularFile_isRefusedWithoutOpeningIt(String name, Maker maker, String expected, @TempDir Path dir) throws Exception {
        Path p = maker.make(dir);
        assumeTrue(Files.exists(p), p + " does not exist on this machine");
        for (int reader = 0; reader < 3; reader++) {
            int r = reader;
            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(IOException.class, () -> {
                switch (r) {
                    case 0 -> UntrustedFiles.read(p, 1 << 20, "attestation");
                    case 1 -> UntrustedFiles.newInputStream(p, 1 << 20, "attestation").close();
                    default -> UntrustedFiles.openChannel(p, 1 << 20, "attestation").close();
                }
            }), name + ": hung (a FIFO was opened?)");
            assertTrue(e.getMessage().startsWith(p + ": attestation " + expected.substring(0, 3)), e.getMessage());
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
    }

    @Test
    void regularFile_andALinkToOne_areRead(@TempDir Path dir) throws Exception {
        Path f = Files.write(dir.resolve("a"), new byte[] {1, 2, 3});
        Path link = Files.createSymbolicLink(dir.resolve("link"), f);
        assertArrayEquals(new byte[] {1, 2, 3}, UntrustedFiles.read(f, 3, "x"));
        assertArrayEquals(new byte[] {1, 2, 3}, UntrustedFiles.read(link, 3, "x"));
        assertArrayEquals(new byte[0], UntrustedFiles.read(Files.write(dir.resolve("e"), new byte[0]), 0, "x"));
        try (InputStream in = UntrustedFiles.newInputStream(link, 3, "x")) {
            assertArrayEquals(new byte[] {1, 2, 3}, in.readAllBytes());
        }
    }

    @Test
    void overTheLimit_isRefused_byTheReportedSize(@TempDir Path dir) throws Exception {
        Path f = Files.write(dir.resolve("big"), new byte[65]);
        IOException e = assertThrows(IOException.class, () -> UntrustedFiles.read(f, 64, "policy file"));
        assertEquals(f + ": policy file is 65 bytes, more than the limit of 64 bytes", e.getMessage());
        assertThrows(IOException.class, () -> UntrustedFiles.newInputStream(f, 64, "x"));
        assertThrows(IOException.class, () -> UntrustedFiles.openChannel(f, 64, "x"));
    }

    /** /proc files report size 0 and have content: only a limit checked while reading stops them. */
    @Test
    void overTheLimit_isRefusedWhileReading_whenTheSizeLies() throws Exception {
        Path maps = Path.of("/proc/self/maps");
        assumeTrue(Files.isRegularFile(maps) && Files.size(maps) == 0, "no /proc with size-0 files here");
        IOException e = assertThrows(IOException.class, () -> UntrustedFiles.read(maps, 16, "ids file"));
        assertTrue(e.getMessage().contains("ids file has more than the limit of 16 bytes (it reports a smaller size or grew while read)"),
                e.getMessage());
        IOException s = assertThrows(IOException.class, () -> {
            try (InputStream in = UntrustedFiles.newInputStream(maps, 16, "x")) {
                in.readAllBytes();
            }
        });
        assertTrue(s.getMessage().contains("more than the limit of 16 bytes"), s.getMessage());
        // negative control: with room enough, the same file reads
        assertTrue(UntrustedFiles.read(maps, 1 << 24, "x").length > 16);
    }

    @Test
    void missing_isNoSuchFile_namingWhatItWasMeantToBe(@TempDir Path dir) {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> UntrustedFiles.read(dir.resolve("nope"), 10, "public key"));
        assertEquals(dir.resolve("nope") + ": public key not found", e.getMessage());
    }
}
