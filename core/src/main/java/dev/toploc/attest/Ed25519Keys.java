package dev.toploc.attest;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Ed25519 keys and signatures through Bouncy Castle's lightweight API, behind the project's own
 * {@link SigningKey} and {@link PublicKey} (no Bouncy Castle type is in a public signature). Private keys
 * are PEM {@code PRIVATE KEY} (PKCS#8 v1, RFC 8410: version 0, no public key attribute, as
 * {@code openssl genpkey -algorithm ed25519} writes them) or {@code ENCRYPTED PRIVATE KEY} (PKCS#8
 * EncryptedPrivateKeyInfo, PBES2 as {@code openssl pkcs8 -topk8 -v2 aes-256-cbc} writes it); public keys
 * PEM {@code PUBLIC KEY} (SubjectPublicKeyInfo).
 */
final class Ed25519Keys {
    private Ed25519Keys() {
    }

    static Ed25519PrivateKeyParameters generate(SecureRandom random) {
        Ed25519KeyPairGenerator g = new Ed25519KeyPairGenerator();
        g.init(new Ed25519KeyGenerationParameters(random));
        AsymmetricCipherKeyPair kp = g.generateKeyPair();
        return (Ed25519PrivateKeyParameters) kp.getPrivate();
    }

    static byte[] sign(Ed25519PrivateKeyParameters key, byte[] message) {
        Ed25519Signer s = new Ed25519Signer();
        s.init(true, key);
        s.update(message, 0, message.length);
        return s.generateSignature();
    }

    static boolean verify(Ed25519PublicKeyParameters key, byte[] message, byte[] signature) {
        if (signature == null || signature.length != Ed25519PrivateKeyParameters.SIGNATURE_SIZE) {
            return false;
        }
        Ed25519Signer s = new Ed25519Signer();
        s.init(false, key);
        s.update(message, 0, message.length);
        return s.verifySignature(signature);
    }

    /** The key id used as a DSSE {@code keyid} hint: hex sha256 of the SubjectPublicKeyInfo DER. */
    static String keyId(Ed25519PublicKeyParameters key) {
        try {
            byte[] der = SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(key).getEncoded();
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot encode an Ed25519 public key", e);
        }
    }

    static String privateKeyPem(Ed25519PrivateKeyParameters key) {
        try {
            // PKCS#8 v1 (RFC 8410 section 7): version 0, the algorithm, the seed as an OCTET STRING in the
            // privateKey OCTET STRING, no attributes and no public key. Bouncy Castle's PrivateKeyInfoFactory
            // writes v2 (OneAsymmetricKey with the public key), which OpenSSL 3.0 and older readers refuse.
            PrivateKeyInfo info = new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519),
                    new DEROctetString(key.getEncoded()));
            return pem("PRIVATE KEY", info.getEncoded("DER"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an Ed25519 private key", e);
        }
    }

    static String publicKeyPem(Ed25519PublicKeyParameters key) {
        try {
            return pem("PUBLIC KEY", SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(key).getEncoded());
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an Ed25519 public key", e);
        }
    }

    private static String pem(String type, byte[] der) throws IOException {
        StringWriter sw = new StringWriter();
        try (PemWriter w = new PemWriter(sw)) {
            w.writeObject(new PemObject(type, der));
        }
        return sw.toString();
    }

    private static final java.util.regex.Pattern PEM_BLOCK =
            java.util.regex.Pattern.compile("-----BEGIN ([A-Z0-9 ]{1,64})-----[A-Za-z0-9+/=\\s]*?-----END \\1-----");

    /** Most PEM blocks one trust file may hold. */
    static final int MAX_KEYS_PER_FILE = 64;

    /**
     * Parses a PEM PKCS#8 Ed25519 private key, plain ({@code PRIVATE KEY}) or encrypted ({@code ENCRYPTED
     * PRIVATE KEY}, decrypted with {@code passphrase}); a file holding more than one PEM block is refused.
     * {@code passphrase} may be null for a plain key; an encrypted key without one is refused.
     */
    static Ed25519PrivateKeyParameters readPrivateKey(String pem, char[] passphrase, String what) throws AttestationException {
        java.util.List<PemObject> blocks = readPem(pem, java.util.Set.of("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), "PRIVATE KEY", what);
        if (blocks.size() != 1) {
            throw new AttestationException("key", what + ": holds " + blocks.size() + " PEM blocks (expected exactly one private key)");
        }
        PemObject block = blocks.get(0);
        PrivateKeyInfo info;
        if (block.getType().equals("ENCRYPTED PRIVATE KEY")) {
            if (passphrase == null) {
                throw new AttestationException("key", what + ": is an encrypted PKCS#8 key and no passphrase was given");
            }
            try {
                PKCS8EncryptedPrivateKeyInfo enc = new PKCS8EncryptedPrivateKeyInfo(block.getContent());
                // a provider instance, never registered: no process-wide state
                info = enc.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(new BouncyCastleProvider())
                        .build(passphrase));
            } catch (PKCSException e) {
                throw new AttestationException("key", what + ": cannot decrypt the encrypted PKCS#8 key (wrong passphrase, or a damaged key)", e);
            } catch (org.bouncycastle.operator.OperatorCreationException | IOException | RuntimeException e) {
                throw new AttestationException("key", what + ": not an encrypted PKCS#8 private key (" + e.getMessage() + ")", e);
            }
        } else {
            try {
                info = PrivateKeyInfo.getInstance(block.getContent());
            } catch (RuntimeException e) {
                throw new AttestationException("key", what + ": not a PKCS#8 private key (" + e.getMessage() + ")", e);
            }
        }
        try {
            var key = PrivateKeyFactory.createKey(info);
            if (key instanceof Ed25519PrivateKeyParameters k) {
                return k;
            }
            throw new AttestationException("key", what + ": not an Ed25519 key (found " + key.getClass().getSimpleName() + ")");
        } catch (IOException | RuntimeException e) {     // Bouncy Castle throws IllegalStateException on malformed DER, too
            throw new AttestationException("key", what + ": not a PKCS#8 private key (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Parses a PEM SubjectPublicKeyInfo Ed25519 public key; a file holding more than one PEM block is
     * refused (use {@link #readPublicKeys} for a trust file of several keys).
     */
    static Ed25519PublicKeyParameters readPublicKey(String pem, String what) throws AttestationException {
        java.util.List<byte[]> blocks = content(readPem(pem, java.util.Set.of("PUBLIC KEY"), "PUBLIC KEY", what));
        if (blocks.size() != 1) {
            throw new AttestationException("key", what + ": holds " + blocks.size() + " PEM blocks (expected exactly one public key)");
        }
        return publicKey(blocks.get(0), what);
    }

    /**
     * Every key of a trust file: one or more PEM {@code PUBLIC KEY} blocks, each an Ed25519 key. All or
     * nothing: a block of another type, a malformed block or a non-Ed25519 key refuses the whole file,
     * never a silent subset of it.
     */
    static java.util.List<Ed25519PublicKeyParameters> readPublicKeys(String pem, String what) throws AttestationException {
        java.util.List<byte[]> blocks = content(readPem(pem, java.util.Set.of("PUBLIC KEY"), "PUBLIC KEY", what));
        java.util.List<Ed25519PublicKeyParameters> keys = new java.util.ArrayList<>(blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            keys.add(publicKey(blocks.get(i), blocks.size() == 1 ? what : what + " (key " + (i + 1) + " of " + blocks.size() + ")"));
        }
        return java.util.List.copyOf(keys);
    }

    private static Ed25519PublicKeyParameters publicKey(byte[] der, String what) throws AttestationException {
        try {
            var key = PublicKeyFactory.createKey(SubjectPublicKeyInfo.getInstance(der));
            if (key instanceof Ed25519PublicKeyParameters k) {
                return k;
            }
            throw new AttestationException("key", what + ": not an Ed25519 key (found " + key.getClass().getSimpleName() + ")");
        } catch (IOException | RuntimeException e) {     // e.g. "non-octet aligned data from BIT STRING" (found by TrustKeysFuzzTest)
            throw new AttestationException("key", what + ": not a SubjectPublicKeyInfo public key (" + e.getMessage() + ")", e);
        }
    }

    private static java.util.List<byte[]> content(java.util.List<PemObject> blocks) {
        return blocks.stream().map(PemObject::getContent).toList();
    }

    /** Every PEM block of {@code pem}, each of one of {@code types}; at least one. */
    private static java.util.List<PemObject> readPem(String pem, java.util.Set<String> types, String type, String what)
            throws AttestationException {
        java.util.List<PemObject> out = new java.util.ArrayList<>();
        try (PemReader r = new PemReader(new StringReader(pem))) {
            for (PemObject o = r.readPemObject(); o != null; o = r.readPemObject()) {
                if (!types.contains(o.getType())) {
                    throw new AttestationException("key", what + ": PEM block " + (out.isEmpty() ? "" : (out.size() + 1) + " ") + "is '" + o.getType()
                            + "' (expected '" + type + "')");
                }
                if (out.size() == MAX_KEYS_PER_FILE) {
                    throw new AttestationException("key", what + ": more than " + MAX_KEYS_PER_FILE + " PEM blocks");
                }
                out.add(o);
            }
        } catch (IOException | RuntimeException e) {     // Bouncy Castle's base64 decoder throws DecoderException
            throw new AttestationException("key", what + ": malformed PEM (" + e.getMessage() + ")", e);
        }
        if (out.isEmpty()) {
            throw new AttestationException("key", what + ": no PEM block (expected -----BEGIN " + type + "-----)");
        }
        // Nothing but whitespace outside the blocks: text the reader skipped (a key in another format, a
        // block it did not recognize) would otherwise be a key silently not read.
        java.util.regex.Matcher blocks = PEM_BLOCK.matcher(pem);
        long armoured = blocks.results().count();
        if (armoured != out.size()) {
            throw new AttestationException("key", what + ": " + armoured + " PEM blocks, of which " + out.size()
                    + " could be read (expected every block on lines of its own)");
        }
        String rest = blocks.reset().replaceAll("");
        if (!rest.isBlank()) {
            String line = rest.strip().lines().findFirst().orElse("");
            throw new AttestationException("key", what + ": text outside the PEM blocks ('"
                    + (line.length() > 40 ? line.substring(0, 40) + "..." : line) + "'): expected only " + type + " blocks");
        }
        return out;
    }
}
