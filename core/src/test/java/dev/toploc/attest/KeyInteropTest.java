package dev.toploc.attest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.util.io.pem.PemReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys against independent implementations: the real {@code openssl} binary (OpenSSL 3) and Python's
 * {@code cryptography}. Each is skipped, with the reason, when the tool is not installed.
 */
class KeyInteropTest {
    @TempDir
    Path dir;

    record Out(int code, String out, String err) {
    }

    static Out exec(Path cwd, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        Path o = Files.createTempFile(cwd, "out", ".txt");
        Path e = Files.createTempFile(cwd, "err", ".txt");
        Process p = pb.redirectOutput(o.toFile()).redirectError(e.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        return new Out(p.exitValue(), Files.readString(o), Files.readString(e));
    }

    static boolean has(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static void assumeOpenssl() {
        assumeTrue(has("openssl", "version"), "the openssl binary is not installed (apt-get install openssl)");
    }

    @Test
    void privateKeyIsPkcs8Version1_withoutPublicKeyOrAttributes() throws Exception {
        String pem = SigningKey.generate(new SecureRandom()).toPkcs8Pem();
        byte[] der = new PemReader(new java.io.StringReader(pem)).readPemObject().getContent();
        ASN1Sequence seq = ASN1Sequence.getInstance(der);
        assertEquals(0, ASN1Integer.getInstance(seq.getObjectAt(0)).intValueExact(), "PKCS#8 version");
        assertEquals(3, seq.size(), "version, algorithm, privateKey and nothing else (no attributes, no [1] publicKey)");
        assertEquals(48, der.length, "RFC 8410's 48-byte Ed25519 PrivateKeyInfo");
    }

    @Test
    void openssl_readsOurKeys_andDerivesTheSamePublicKey() throws Exception {
        assumeOpenssl();
        SigningKey k = SigningKey.generate(new SecureRandom());
        Files.writeString(dir.resolve("k.pem"), k.toPkcs8Pem());
        Files.writeString(dir.resolve("k.pub"), k.publicKey().toSpkiPem());
        Out text = exec(dir, "openssl", "pkey", "-in", "k.pem", "-noout", "-text");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("ED25519 Private-Key"), text.out());
        Out pub = exec(dir, "openssl", "pkey", "-in", "k.pem", "-pubout");
        assertEquals(0, pub.code(), pub.err());
        assertEquals(k.publicKey().toSpkiPem().strip(), pub.out().strip());
        Out pubin = exec(dir, "openssl", "pkey", "-pubin", "-in", "k.pub", "-noout");
        assertEquals(0, pubin.code(), pubin.err());
        // negative control: openssl refuses a damaged key, so the zeros above are not vacuous
        String body = k.toPkcs8Pem().lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        Files.writeString(dir.resolve("bad.pem"), k.toPkcs8Pem().replace(body, body.substring(0, body.length() - 4)));
        assertFalse(exec(dir, "openssl", "pkey", "-in", "bad.pem", "-noout").code() == 0, "openssl accepted a truncated key");
    }

    @Test
    void opensslMadeKeys_plainAndEncrypted_areRead() throws Exception {
        assumeOpenssl();
        Out gen = exec(dir, "openssl", "genpkey", "-algorithm", "ed25519", "-out", "o.pem");
        assertEquals(0, gen.code(), gen.err());
        Out pub = exec(dir, "openssl", "pkey", "-in", "o.pem", "-pubout", "-out", "o.pub");
        assertEquals(0, pub.code(), pub.err());
        SigningKey plain = SigningKey.fromPem(Files.readString(dir.resolve("o.pem")), "o.pem");
        assertEquals(PublicKey.fromPem(Files.readString(dir.resolve("o.pub")), "o.pub"), plain.publicKey());

        Out enc = exec(dir, "openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "o.pem", "-out", "o.enc.pem", "-passout", "pass:s3cret pass");
        assertEquals(0, enc.code(), enc.err());
        String encrypted = Files.readString(dir.resolve("o.enc.pem"));
        assertTrue(encrypted.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), encrypted);
        assertEquals(plain, SigningKey.fromPem(encrypted, "s3cret pass".toCharArray(), "o.enc.pem"));
        AttestationException wrong = assertThrows(AttestationException.class, () -> SigningKey.fromPem(encrypted, "s3cret".toCharArray(), "o.enc.pem"));
        assertTrue(wrong.getMessage().contains("wrong passphrase"), wrong.getMessage());
        AttestationException none = assertThrows(AttestationException.class, () -> SigningKey.fromPem(encrypted, "o.enc.pem"));
        assertTrue(none.getMessage().contains("no passphrase"), none.getMessage());
        // and the key signs what its public key verifies
        byte[] env = Attestations.sign(AttestationTest.sample(), List.of(plain));
        assertEquals(AttestationTest.sample(), Attestations.verify(env, List.of(plain.publicKey())));
    }

    @Test
    void pythonCryptography_readsOurKeys_andItsSignatureVerifies() throws Exception {
        assumeTrue(has("python3", "-c", "import cryptography.hazmat.primitives.asymmetric.ed25519"),
                "python3 with the cryptography package is not installed (apt-get install python3-cryptography)");
        SigningKey k = SigningKey.generate(new SecureRandom());
        Files.writeString(dir.resolve("k.pem"), k.toPkcs8Pem());
        Files.writeString(dir.resolve("k.pub"), k.publicKey().toSpkiPem());
        String script = String.join("\n",
                "from cryptography.hazmat.primitives import serialization",
                "from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat",
                "priv = serialization.load_pem_private_key(open('k.pem','rb').read(), password=None)",
                "pub = serialization.load_pem_public_key(open('k.pub','rb').read())",
                "assert priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == pub.public_bytes(Encoding.Raw, PublicFormat.Raw)",
                "print(pub.public_bytes(Encoding.Raw, PublicFormat.Raw).hex())",
                "print(priv.sign(b'toploc interop').hex())", "");
        Files.writeString(dir.resolve("check.py"), script);
        Out py = exec(dir, "python3", "check.py");
        assertEquals(0, py.code(), py.err());
        List<String> lines = new ArrayList<>(py.out().strip().lines().toList());
        assertArrayEquals(k.publicKey().raw(), HexFormat.of().parseHex(lines.get(0)));
        byte[] sig = HexFormat.of().parseHex(lines.get(1));
        byte[] msg = "toploc interop".getBytes(StandardCharsets.US_ASCII);
        assertTrue(k.publicKey().verify(msg, sig));
        assertFalse(k.publicKey().verify("toploc interoP".getBytes(StandardCharsets.US_ASCII), sig), "negative control");
    }
}
