package dev.toploc.cli;

import static dev.toploc.cli.CliTest.TINY;
import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.toploc.cli.CliTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys through the entry point, against the real {@code openssl} binary (skipped, with the reason, when it is
 * not installed): keygen's keys read by OpenSSL, OpenSSL's keys (plain and encrypted PKCS#8) signing with
 * {@code generate}, the passphrase from the environment or a file and never from an argument.
 */
class KeysCliTest {
    /** Set by verifier-cli's pom (surefire environmentVariables). */
    static final String ENV = "TOPLOC_TEST_KEY_PASSPHRASE";

    @TempDir
    static Path dir;

    static int openssl(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue();
    }

    @BeforeAll
    static void opensslKeys() throws Exception {
        boolean has;
        try {
            has = openssl("version") == 0;
        } catch (java.io.IOException e) {
            has = false;
        }
        assumeTrue(has, "the openssl binary is not installed (apt-get install openssl)");
        assertEquals(0, openssl("genpkey", "-algorithm", "ed25519", "-out", "o.pem"));
        assertEquals(0, openssl("pkey", "-in", "o.pem", "-pubout", "-out", "o.pub"));
        assertEquals(0, openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "o.pem", "-out", "enc.pem", "-passout", "env:" + ENV));
        assertTrue(Files.readString(dir.resolve("enc.pem")).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    }

    Run generate(String out, String... keyArgs) {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("generate", "--model", s(TINY), "--prompt", "Q: Why?\nA:",
                "--max-tokens", "2", "-o", s(dir.resolve(out))));
        a.addAll(java.util.List.of(keyArgs));
        return run(a.toArray(String[]::new));
    }

    @Test
    void keygensKeys_areReadByOpenssl() throws Exception {
        Run k = run("keygen", "-o", s(dir.resolve("t.key")));
        assertEquals(0, k.code(), k.err());
        assertEquals(0, openssl("pkey", "-in", "t.key", "-noout"), Files.readString(dir.resolve("openssl.log")));
        assertEquals(0, openssl("pkey", "-in", "t.key", "-pubout", "-out", "t.derived.pub"));
        assertEquals(Files.readString(dir.resolve("t.key.pub")), Files.readString(dir.resolve("t.derived.pub")));
        assertEquals(0, openssl("pkey", "-pubin", "-in", "t.key.pub", "-noout"));
    }

    @Test
    void opensslPlainKey_signs_andItsPublicKeyVerifies() {
        Run g = generate("plain.json", "--key", s(dir.resolve("o.pem")));
        assertEquals(0, g.code(), g.err());
        Run v = run("verify", s(dir.resolve("plain.json")), "--model", s(TINY), "--trust", s(dir.resolve("o.pub")));
        assertEquals(0, v.code(), v.out() + v.err());
    }

    @Test
    void encryptedKey_withThePassphraseFromTheEnvironment() {
        assertTrue(System.getenv(ENV) != null, ENV + " is set by verifier-cli's pom");
        Run g = generate("env.json", "--key", s(dir.resolve("enc.pem")), "--key-passphrase-env", ENV);
        assertEquals(0, g.code(), g.err());
        Run v = run("verify", s(dir.resolve("env.json")), "--model", s(TINY), "--trust", s(dir.resolve("o.pub")));
        assertEquals(0, v.code(), v.out() + v.err());
    }

    @Test
    void encryptedKey_withThePassphraseFromAFile() throws Exception {
        Path pass = Files.writeString(dir.resolve("pass.txt"), System.getenv(ENV) + "\nsecond line is ignored\n");
        Run g = generate("file.json", "--key", s(dir.resolve("enc.pem")), "--key-passphrase-file", s(pass));
        assertEquals(0, g.code(), g.err());
        Path wrong = Files.writeString(dir.resolve("wrong.txt"), "not it\n");
        Run w = generate("wrong.json", "--key", s(dir.resolve("enc.pem")), "--key-passphrase-file", s(wrong));
        assertEquals(Toploc.BAD_INPUT, w.code(), w.err());
        assertTrue(w.err().contains("wrong passphrase"), w.err());
        assertFalse(Files.exists(dir.resolve("wrong.json")));
    }

    @Test
    void encryptedKey_withoutAPassphrase_isBadInputWithAHint() {
        Run g = generate("none.json", "--key", s(dir.resolve("enc.pem")));
        assertEquals(Toploc.BAD_INPUT, g.code(), g.err());
        assertTrue(g.err().contains("encrypted PKCS#8 key") && g.err().contains("--key-passphrase-env"), g.err());
        Run unset = generate("unset.json", "--key", s(dir.resolve("enc.pem")), "--key-passphrase-env", "TOPLOC_NO_SUCH_VARIABLE_SET");
        assertEquals(Toploc.BAD_INPUT, unset.code(), unset.err());
        assertTrue(unset.err().contains("TOPLOC_NO_SUCH_VARIABLE_SET: no such environment variable"), unset.err());
        Run both = generate("both.json", "--key", s(dir.resolve("enc.pem")), "--key-passphrase-env", ENV, "--key-passphrase-file", "x");
        assertEquals(Toploc.BAD_INPUT, both.code(), both.err());
        Run arg = generate("arg.json", "--key", s(dir.resolve("enc.pem")), "--key-passphrase", "secret");
        assertEquals(Toploc.BAD_INPUT, arg.code(), "a passphrase is never an argument: " + arg.err());
    }
}
