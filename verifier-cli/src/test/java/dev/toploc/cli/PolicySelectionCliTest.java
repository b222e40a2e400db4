package dev.toploc.cli;

import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.vectors.TestVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code verify} finds the model folder's policy by itself and says which policy it used; a broken one is an error. */
class PolicySelectionCliTest {
    static final Path TINY = TestVectors.model("tiny-fortunes-llama");

    @TempDir
    static Path dir;
    static Path pub;
    static Path attestation;
    static Path bare;

    @BeforeAll
    static void providerSide() throws Exception {
        Path key = dir.resolve("k");
        pub = dir.resolve("k.pub");
        assertEquals(0, run("keygen", "-o", s(key)).code());
        attestation = dir.resolve("att.json");
        CliTest.Run g = run("generate", "--model", s(TINY), "--prompt", "Q: What is a cat?\nA:", "--max-tokens", "40", "--temperature", "0.8",
                "--seed", "4", "--key", s(key), "-o", s(attestation));
        assertEquals(0, g.code(), g.err());
        // the same weights without a policy file
        bare = Files.createDirectory(dir.resolve("bare"));
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
            Files.copy(TINY.resolve(f), bare.resolve(f));
        }
    }

    @Test
    void theFoldersPolicy_isUsed_andNamed() {
        CliTest.Run v = run("verify", s(attestation), "--model", s(TINY), "--trust", s(pub));
        assertEquals(0, v.code(), v.out() + v.err());
        assertTrue(v.err().contains("policy: policy file " + TINY.resolve("toploc-policy.json")), v.err());
        assertTrue(v.out().contains("calibrated on tiny-fortunes-llama"), v.out());
    }

    @Test
    void withoutOne_theReferenceDefaults_areAnnounced() {
        CliTest.Run v = run("verify", s(attestation), "--model", s(bare), "--trust", s(pub));
        assertEquals(0, v.code(), v.out() + v.err());
        assertTrue(v.err().contains("policy: reference TOPLOC defaults") && v.err().contains("no toploc-policy.json in " + bare), v.err());
    }

    @Test
    void aBrokenFolderPolicy_isBadInput_notTheDefaults() throws Exception {
        Path broken = Files.createDirectory(dir.resolve("broken"));
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(TINY.resolve(f), broken.resolve(f));
        }
        Files.writeString(broken.resolve("toploc-policy.json"), Files.readString(TINY.resolve("toploc-policy.json"))
                .replace("\"logitMargin\" :", "\"logitMargn\" :"));
        CliTest.Run v = run("verify", s(attestation), "--model", s(broken), "--trust", s(pub));
        assertEquals(Toploc.BAD_INPUT, v.code(), v.out() + v.err());
        assertTrue(v.err().contains("unknown field 'logitMargn'"), v.err());
    }
}
