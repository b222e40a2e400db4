package dev.toploc.cli;

import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Dsse;
import dev.toploc.attest.Ed25519Keys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/** Reading the CLI's input files with size limits and messages that name the file. */
final class Inputs {
    private Inputs() {
    }

    /** Key files larger than this are not keys. */
    static final long MAX_KEY = 64 << 10;

    static byte[] read(Path file, long limit, String what) throws IOException {
        try {
            long size = Files.size(file);
            if (size > limit) {
                throw new IOException(what + " " + file + ": " + size + " bytes exceeds the limit of " + limit);
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, what + " not found");
        }
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

    /** Base64 commits, one per line (blank lines and lines starting with # ignored). */
    static List<String> proofs(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : new String(read(file, 64L << 20, "proofs file"), StandardCharsets.UTF_8).split("\n")) {
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
