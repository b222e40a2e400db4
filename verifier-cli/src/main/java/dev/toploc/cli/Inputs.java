package dev.toploc.cli;

import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Dsse;
import dev.toploc.attest.PublicKey;
import dev.toploc.attest.SigningKey;
import dev.toploc.io.UntrustedFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reading the CLI's input files: regular files only, with size limits, and messages that name the file. */
final class Inputs {
    private Inputs() {
    }

    /** Key files larger than this are not keys. */
    static final long MAX_KEY = 64 << 10;

    /** Commits files: 2^16 commits (an attestation's limit) of a few hundred bytes of base64 fit. */
    static final long MAX_PROOFS = 64L << 20;

    /**
     * A regular file of at most {@code limit} bytes (a device, FIFO, or link to one is refused before it is
     * opened; the limit holds while reading): see {@link UntrustedFiles}.
     */
    static byte[] read(Path file, long limit, String what) throws IOException {
        return UntrustedFiles.read(file, limit, what);
    }

    static byte[] attestation(Path file) throws IOException {
        return read(file, Dsse.MAX_ENVELOPE_BYTES, "attestation");
    }

    /** Passphrase files larger than this are not passphrases. */
    static final long MAX_PASSPHRASE = 4 << 10;

    /**
     * A signing key file, plain PKCS#8 or encrypted (then {@code passphrase} must be given: see
     * {@link KeyPassphrase}).
     */
    static SigningKey privateKey(Path file, KeyPassphrase passphrase) throws IOException, AttestationException {
        String pem = new String(read(file, MAX_KEY, "key"), StandardCharsets.US_ASCII);
        char[] pass = passphrase == null ? null : passphrase.read();
        if (pass == null && pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new IllegalArgumentException(file + ": is an encrypted PKCS#8 key (expected its passphrase through "
                    + "--key-passphrase-env NAME or --key-passphrase-file FILE)");
        }
        try {
            return SigningKey.fromPem(pem, pass, file.toString());
        } finally {
            if (pass != null) {
                java.util.Arrays.fill(pass, '\0');
            }
        }
    }

    /**
     * Where an encrypted key's passphrase comes from: an environment variable or a file, never a command-line
     * argument (which other users see in the process list and which lands in shell history).
     */
    static final class KeyPassphrase {
        @picocli.CommandLine.Option(names = "--key-passphrase-env", paramLabel = "NAME",
                description = "read the encrypted key's passphrase from environment variable NAME")
        String env;

        @picocli.CommandLine.Option(names = "--key-passphrase-file", paramLabel = "FILE",
                description = "read the encrypted key's passphrase from FILE (its first line)")
        Path file;

        /** The passphrase, or null when none was asked for. */
        char[] read() throws IOException {
            if (env != null) {
                String v = System.getenv(env);
                if (v == null) {
                    throw new IllegalArgumentException("--key-passphrase-env " + env + ": no such environment variable is set");
                }
                if (v.isEmpty()) {
                    throw new IllegalArgumentException("--key-passphrase-env " + env + ": the variable is empty (expected the key's passphrase)");
                }
                return v.toCharArray();
            }
            if (file != null) {
                byte[] b = Inputs.read(file, MAX_PASSPHRASE, "passphrase file");
                String text = new String(b, StandardCharsets.UTF_8);
                int nl = text.indexOf('\n');
                String line = nl < 0 ? text : text.substring(0, nl);    // the first line, as openssl -passin file: reads it
                if (line.endsWith("\r")) {
                    line = line.substring(0, line.length() - 1);
                }
                java.util.Arrays.fill(b, (byte) 0);
                if (line.isEmpty()) {
                    throw new IllegalArgumentException("--key-passphrase-file " + file + ": the first line is empty (expected the key's passphrase)");
                }
                return line.toCharArray();
            }
            return null;
        }
    }

    static List<PublicKey> publicKeys(List<Path> files) throws IOException, AttestationException {
        List<PublicKey> keys = new ArrayList<>();
        for (Path f : files) {
            // every key a trust file holds, or the file is refused (never silently its first key only)
            keys.addAll(PublicKey.allFromPem(new String(read(f, MAX_KEY, "public key"), StandardCharsets.US_ASCII), f.toString()));
        }
        return keys;
    }

    /**
     * Commits of {@code spec} stored in any layout the Python stack used ({@link dev.toploc.Proofs}: one base64
     * per line, concatenated base64, binary records, a JSON list), read from a regular file of at most
     * {@link dev.toploc.Proofs#MAX_BYTES}.
     */
    static dev.toploc.Proofs.Parsed commits(Path file, String layout, dev.toploc.CommitSpec spec) throws IOException, dev.toploc.CommitFormatException {
        byte[] data = read(file, dev.toploc.Proofs.MAX_BYTES, "proofs file");
        return dev.toploc.Proofs.read(data, dev.toploc.Proofs.Layout.fromWireName(layout), spec, "proofs file " + file.getFileName());
    }

    /** Base64 commits, one per line (blank lines and lines starting with # ignored). */
    static List<String> proofs(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : new String(read(file, MAX_PROOFS, "proofs file"), StandardCharsets.UTF_8).split("\n")) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
                out.add(t);
            }
        }
        if (out.isEmpty()) {
            throw new IOException("proofs file " + file + " has no commits (expected one base64 commit per line)");
        }
        return out;
    }
}
