package dev.toploc.spark.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * File names from request URLs, untrusted: resolved inside the storage folder or refused. Leading slashes are
 * trimmed (as the protocol's client sends them); a name is at most {@link #MAX_NAME} characters of printable
 * text, relative segments only, none empty, {@code .}, {@code ..} or hidden (starting with a dot: the server's
 * own state lives in {@code .toploc-validator}); resolved, links followed, it must still lie inside the storage
 * folder and be a regular file.
 */
final class StorageNames {
    static final int MAX_NAME = 1024;

    /** A name that cannot be a storage file (400). */
    static final class BadName extends Exception {
        private static final long serialVersionUID = 1L;

        BadName(String message) {
            super(message, null, false, false);
        }
    }

    private final Path root;

    StorageNames(Path storage) throws IOException {
        this.root = storage.toRealPath();
        if (!Files.isDirectory(root)) {
            throw new IOException(storage + ": not a directory");
        }
    }

    Path root() {
        return root;
    }

    /** The name as the server keys jobs by: leading slashes trimmed, checked. */
    static String canonical(String name) throws BadName {
        if (name == null) {
            throw new BadName("no file name");
        }
        int i = 0;
        while (i < name.length() && name.charAt(i) == '/') {
            i++;
        }
        String n = name.substring(i);
        if (n.isEmpty()) {
            throw new BadName("no file name");
        }
        if (n.length() > MAX_NAME) {
            throw new BadName("file name of " + n.length() + " characters (at most " + MAX_NAME + ")");
        }
        for (int k = 0; k < n.length(); k++) {
            char c = n.charAt(k);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                throw new BadName("file name holds a control character or backslash at " + k);
            }
        }
        for (String seg : n.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..") || seg.startsWith(".")) {
                throw new BadName("file name segment '" + seg + "' (expected names inside the storage folder: no empty, '.', '..' or hidden segments)");
            }
        }
        return n;
    }

    /** The storage file a canonical name names, or null when there is none (404); refused when it leaves the folder. */
    Path resolve(String canonical) throws BadName, IOException {
        Path p = root.resolve(canonical).normalize();
        if (!p.startsWith(root)) {
            throw new BadName("file name leaves the storage folder");
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        Path real = p.toRealPath();
        if (!real.startsWith(root)) {
            throw new BadName("file name leads out of the storage folder through a link");
        }
        if (!Files.isRegularFile(real)) {
            return null;
        }
        return real;
    }
}
