package dev.toploc.cli;

import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Dsse;
import dev.toploc.attest.Ed25519Keys;
import dev.toploc.io.UntrustedFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

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

    static Ed25519PrivateKeyParameters privateKey(Path file) throws IOException, AttestationException {
        return Ed25519Keys.readPrivateKey(new String(read(file, MAX_KEY, "key"), StandardCharsets.US_ASCII), file.toString());
    }

    static List<Ed25519PublicKeyParameters> publicKeys(List<Path> files) throws IOException, AttestationException {
        List<Ed25519PublicKeyParameters> keys = new ArrayList<>();
        for (Path f : files) {
            // every key a trust file holds, or the file is refused (never silently its first key only)
            keys.addAll(Ed25519Keys.readPublicKeys(new String(read(f, MAX_KEY, "public key"), StandardCharsets.US_ASCII), f.toString()));
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
