package dev.toploc.cli;

import dev.toploc.io.UntrustedFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Output files of the CLI: written to a temporary file beside the target and moved into place, so a
 * reader never sees half a file and a failure leaves nothing behind; an existing file is never replaced
 * unless the user said {@code --force}, and a device, FIFO or directory never (see {@link UntrustedFiles#specialKind});
 * secrets are created owner-only before any byte is written.
 */
final class SafeFiles {
    private SafeFiles() {
    }

    @FunctionalInterface
    interface Writer {
        void write(OutputStream out) throws IOException;
    }

    static void write(Path target, boolean force, boolean secret, Writer body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + target + ": directory " + dir + " does not exist");
        }
        String special = UntrustedFiles.specialKind(abs);
        if (special != null) {
            // even with --force: moving a file over /dev/null or a FIFO would replace the device or pipe itself
            throw new IOException("cannot write " + target + ": it is " + special + ", not a regular file; refusing to replace it");
        }
        if (!force && Files.exists(abs)) {
            throw new FileAlreadyExistsException(target.toString(), null, "refusing to overwrite an existing file (use --force)");
        }
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
        try {
            if (secret) {
                try {
                    Files.setPosixFilePermissions(tmp, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
                } catch (UnsupportedOperationException e) {
                    throw new IOException("cannot restrict permissions of " + target + " on this file system; not writing a secret there", e);
                }
            } else {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (OutputStream out = Files.newOutputStream(tmp)) {
                body.write(out);
            }
            if (force) {
                moveReplacing(tmp, abs);
            } else {
                // createLink fails if the target appeared meanwhile: no race replaces a file the user made.
                try {
                    Files.createLink(abs, tmp);
                } catch (FileAlreadyExistsException e) {
                    throw new FileAlreadyExistsException(target.toString(), null, "refusing to overwrite an existing file (use --force)");
                } catch (UnsupportedOperationException | IOException e) {
                    if (e instanceof FileAlreadyExistsException) {
                        throw e;
                    }
                    if (Files.exists(abs)) {
                        throw new FileAlreadyExistsException(target.toString(), null, "refusing to overwrite an existing file (use --force)");
                    }
                    moveReplacing(tmp, abs);
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void moveReplacing(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
