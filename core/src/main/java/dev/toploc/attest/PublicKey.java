package dev.toploc.attest;

import java.util.Arrays;
import java.util.List;

import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * An Ed25519 public key: one a verifier trusts ({@link Attestations#verify}). Read from and written as PEM
 * {@code PUBLIC KEY} (SubjectPublicKeyInfo, RFC 8410), the form {@code openssl pkey -pubout} writes.
 * Immutable; equal when the key bytes are.
 */
public final class PublicKey {
    /** Most PEM blocks one trust file may hold ({@link #allFromPem}). */
    public static final int MAX_KEYS_PER_FILE = Ed25519Keys.MAX_KEYS_PER_FILE;

    final Ed25519PublicKeyParameters key;
    private final String keyId;

    PublicKey(Ed25519PublicKeyParameters key) {
        this.key = key;
        this.keyId = Ed25519Keys.keyId(key);
    }

    /** Parses exactly one PEM {@code PUBLIC KEY}; {@code what} names the source in error messages. */
    public static PublicKey fromPem(String pem, String what) throws AttestationException {
        return new PublicKey(Ed25519Keys.readPublicKey(pem, what));
    }

    /**
     * Every key of a trust file: one or more PEM {@code PUBLIC KEY} blocks, each Ed25519, at most
     * {@link #MAX_KEYS_PER_FILE}. All or nothing: a block of another type, a malformed block or a
     * non-Ed25519 key refuses the whole file, never a silent subset of it.
     */
    public static List<PublicKey> allFromPem(String pem, String what) throws AttestationException {
        return Ed25519Keys.readPublicKeys(pem, what).stream().map(PublicKey::new).toList();
    }

    /** Hex sha256 of the SubjectPublicKeyInfo DER: the DSSE {@code keyid} hint, and what the CLI prints. */
    public String keyId() {
        return keyId;
    }

    /** PEM {@code PUBLIC KEY} (SubjectPublicKeyInfo). */
    public String toSpkiPem() {
        return Ed25519Keys.publicKeyPem(key);
    }

    /** The 32 raw key bytes (RFC 8032). */
    public byte[] raw() {
        return key.getEncoded();
    }

    boolean verify(byte[] message, byte[] signature) {
        return Ed25519Keys.verify(key, message, signature);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PublicKey k && Arrays.equals(key.getEncoded(), k.key.getEncoded());
    }

    @Override
    public int hashCode() {
        return keyId.hashCode();
    }

    @Override
    public String toString() {
        return "PublicKey[keyId=" + keyId + "]";
    }
}
