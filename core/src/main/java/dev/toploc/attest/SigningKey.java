package dev.toploc.attest;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * An Ed25519 signing key: what {@link Attestations#sign} signs with. Written as PEM {@code PRIVATE KEY}
 * (PKCS#8 v1, RFC 8410, which OpenSSL 3 and Python's {@code cryptography} read); read from that, from
 * the same key encrypted ({@code ENCRYPTED PRIVATE KEY}, PKCS#8 EncryptedPrivateKeyInfo with PBES2, as
 * {@code openssl pkcs8 -topk8} writes it) or from OpenSSL's own {@code openssl genpkey -algorithm ed25519}.
 * Immutable; {@link #toString} never shows key material.
 */
public final class SigningKey {
    final Ed25519PrivateKeyParameters key;
    private final PublicKey publicKey;

    private SigningKey(Ed25519PrivateKeyParameters key) {
        this.key = key;
        this.publicKey = new PublicKey(key.generatePublicKey());
    }

    /** A fresh key from {@code random}. */
    public static SigningKey generate(SecureRandom random) {
        return new SigningKey(Ed25519Keys.generate(Objects.requireNonNull(random, "random")));
    }

    /**
     * Parses a PEM {@code PRIVATE KEY}; exactly one block, nothing else in the text. {@code what} names the
     * source in error messages (a file name). An encrypted key is refused: use {@link #fromPem(String, char[], String)}.
     */
    public static SigningKey fromPem(String pem, String what) throws AttestationException {
        return new SigningKey(Ed25519Keys.readPrivateKey(pem, null, what));
    }

    /**
     * Parses a PEM {@code PRIVATE KEY} or {@code ENCRYPTED PRIVATE KEY}, decrypting the latter with
     * {@code passphrase} (null: only a plain key is accepted). The caller keeps and may clear the array.
     */
    public static SigningKey fromPem(String pem, char[] passphrase, String what) throws AttestationException {
        return new SigningKey(Ed25519Keys.readPrivateKey(pem, passphrase, what));
    }

    /** The public half. */
    public PublicKey publicKey() {
        return publicKey;
    }

    /** The public key's id (hex sha256 of its SubjectPublicKeyInfo DER), the DSSE {@code keyid} hint. */
    public String keyId() {
        return publicKey.keyId();
    }

    /** PEM {@code PRIVATE KEY}, PKCS#8 v1 (unencrypted: store it owner-only). */
    public String toPkcs8Pem() {
        return Ed25519Keys.privateKeyPem(key);
    }

    byte[] sign(byte[] message) {
        return Ed25519Keys.sign(key, message);
    }

    /** Equal when the key material is. */
    @Override
    public boolean equals(Object o) {
        return o instanceof SigningKey k && Arrays.equals(key.getEncoded(), k.key.getEncoded());
    }

    @Override
    public int hashCode() {
        return publicKey.hashCode();
    }

    /** The key id only. */
    @Override
    public String toString() {
        return "SigningKey[keyId=" + keyId() + "]";
    }
}
