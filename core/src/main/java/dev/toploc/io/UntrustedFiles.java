package dev.toploc.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

/**
 * Reading files that someone else made: attestations, keys, policies, token id lists, activations, model
 * folders. Every reader in the library and the CLI goes through here, so that each input is
 *
 * <ul>
 *   <li><b>a regular file</b>: the path is resolved (symbolic links followed, as a HuggingFace cache's are),
 *       and the target's type is read without following links <em>before</em> it is opened, so a device
 *       ({@code /dev/zero}), a FIFO (whose {@code open} would block until a writer comes), a socket or a
 *       directory is refused with a message naming what it is. The resolved path is then opened with
 *       {@code NOFOLLOW_LINKS}, so a link planted after the check is not followed either;</li>
 *   <li><b>bounded while it is read</b>: the limit is checked against the size the file system reports
 *       and again against the bytes actually read, so a file that grows, or reports a size of 0 as
 *       {@code /proc} files do, still stops at {@code limit + 1} bytes; buffers grow with what was read,
 *       never to the limit up front.</li>
 * </ul>
 *
 * <p>Errors are {@link IOException}s whose message starts with the path the user gave and names what the
 * file was meant to be ({@code what}): {@link NoSuchFileException} ({@code "… : attestation not found"}) or
 * {@link FileSystemException} for a wrong type or a size over the limit.
 *
 * <p>Residual race: a regular file replaced by a FIFO between the type check and the open would block that
 * open; Java offers no {@code O_NONBLOCK}. The window is a few microseconds and needs write access to
 * the folder the verifier reads from.
 */
public final class UntrustedFiles {
    private UntrustedFiles() {
    }

    /** Reads all of {@code file}, which must be a regular file of at most {@code limit} bytes. */
    public static byte[] read(Path file, long limit, String what) throws IOException {
        if (limit < 0 || limit > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("limit " + limit + " is outside 0.." + (Integer.MAX_VALUE - 16));
        }
        Opened o = open(file, limit, what);
        try (SeekableByteChannel ch = o.channel()) {
            // Start at the reported size (plus one byte to see growth), never at the limit.
            int cap = (int) Math.min(Math.max(o.size(), 0) + 1, limit + 1);
            byte[] buf = new byte[Math.max(cap, 1)];
            int n = 0;
            while (true) {
                if (n == buf.length) {
                    if (n > limit) {
                        throw tooLarge(file, what, -1, limit);
                    }
                    buf = Arrays.copyOf(buf, (int) Math.min(limit + 1, Math.max(8192L, 2L * buf.length)));
                }
                int r = ch.read(ByteBuffer.wrap(buf, n, buf.length - n));
                if (r < 0) {
                    break;
                }
                n += r;
            }
            if (n > limit) {
                throw tooLarge(file, what, -1, limit);
            }
            return n == buf.length ? buf : Arrays.copyOf(buf, n);
        }
    }

    /**
     * A stream over {@code file}, a regular file, that fails with an {@link IOException} as soon as more
     * than {@code limit} bytes have been read from it (for digests of files too large to hold).
     */
    public static InputStream newInputStream(Path file, long limit, String what) throws IOException {
        Opened o = open(file, limit, what);
        InputStream in = Channels.newInputStream(o.channel());
        return new InputStream() {
            private long count;

            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    counted(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int r = in.read(b, off, len);
                if (r > 0) {
                    counted(r);
                }
                return r;
            }

            private void counted(long r) throws IOException {
                count += r;
                if (count > limit) {
                    throw tooLarge(file, what, -1, limit);
                }
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    /**
     * Opens {@code file}, which must be a regular file, for reading (memory-mapping, positional reads);
     * its size must be at most {@code limit}. The caller closes the channel.
     */
    public static FileChannel openChannel(Path file, long limit, String what) throws IOException {
        return (FileChannel) open(file, limit, what).channel();
    }

    /**
     * The path {@code file} resolves to, after checking that it is a regular file (links followed to the
     * end, the target's type read without following links). Nothing is opened.
     */
    public static Path requireRegularFile(Path file, String what) throws IOException {
        return check(file, what).real();
    }

    /**
     * What the directory entry {@code file} is when it is neither a regular file nor a symbolic link
     * ({@code "a FIFO (named pipe)"}, {@code "a character device"}, {@code "a directory"}, …), else
     * {@code null} (also when it does not exist). Links are not followed. For writers: a device or FIFO
     * must never be replaced by an output file.
     */
    public static String specialKind(Path file) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        return a.isRegularFile() || a.isSymbolicLink() ? null : kind(file, a);
    }

    private record Checked(Path real, BasicFileAttributes attrs) {
    }

    private record Opened(SeekableByteChannel channel, long size) {
    }

    private static Opened open(Path file, long limit, String what) throws IOException {
        Checked c = check(file, what);
        if (c.attrs().size() > limit) {
            throw tooLarge(file, what, c.attrs().size(), limit);
        }
        FileChannel ch = FileChannel.open(c.real(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        return new Opened(ch, c.attrs().size());
    }

    private static Checked check(Path file, String what) throws IOException {
        Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, what + " not found");
        }
        BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isRegularFile()) {
            throw new FileSystemException(file.toString(), null, what + " is " + kind(real, a)
                    + ", not a regular file; only regular files are read");
        }
        return new Checked(real, a);
    }

    /** What a non-regular file is, as precisely as the file system says. */
    static String kind(Path real, BasicFileAttributes a) {
        if (a.isDirectory()) {
            return "a directory";
        }
        if (a.isSymbolicLink()) {
            return "a symbolic link";
        }
        try {
            int mode = (Integer) Files.getAttribute(real, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return switch (mode & 0170000) {
                case 0010000 -> "a FIFO (named pipe)";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file (device, FIFO or socket)";
        }
    }

    private static FileSystemException tooLarge(Path file, String what, long size, long limit) {
        return new FileSystemException(file.toString(), null, what + (size >= 0 ? " is " + size + " bytes," : " has")
                + " more than the limit of " + limit + " bytes" + (size >= 0 ? "" : " (it reports a smaller size or grew while read)"));
    }
}
