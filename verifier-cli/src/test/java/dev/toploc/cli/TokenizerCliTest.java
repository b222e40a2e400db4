package dev.toploc.cli;

import static dev.toploc.cli.CliTest.run;
import static dev.toploc.cli.CliTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** generate --prompt / --messages through the model folder's tokenizer, verify --show-text, and folders without one refused. */
class TokenizerCliTest {
    static final Path TINY = TestVectors.model("tiny-fortunes-llama");

    @TempDir
    static Path dir;
    static Path key;
    static Path pub;

    @BeforeAll
    static void keys() {
        key = dir.resolve("k.pem");
        pub = dir.resolve("k.pem.pub");
        assertEquals(0, run("keygen", "-o", s(key)).code());
    }

    /** A copy of the tiny model folder, without {@code drop}, with {@code tokenizer_config.json} replaced when given. */
    static Path copy(String name, String drop, String tokenizerConfig) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        try (var files = Files.list(TINY)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (!f.getFileName().toString().equals(drop)) {
                    Files.copy(f, d.resolve(f.getFileName()));
                }
            }
        }
        if (tokenizerConfig != null) {
            Files.writeString(d.resolve("tokenizer_config.json"), tokenizerConfig);
        }
        return d;
    }

    @Test
    void promptTextThroughTheTokenizer_andShownByVerify() throws Exception {
        Path att = dir.resolve("p.json");
        CliTest.Run g = run("generate", "--model", s(TINY), "--prompt", "Q: \u001b[31mred\u001b[0m?\nA:", "--max-tokens", "8", "--key", s(key), "-o", s(att));
        assertEquals(0, g.code(), g.err());
        CliTest.Run v = run("verify", s(att), "--model", s(TINY), "--trust", s(pub), "--show-text");
        assertEquals(0, v.code(), v.out() + v.err());
        // decoded, quoted, the escape sequence and the newline shown escaped, never sent to the terminal
        assertTrue(v.out().contains("prompt text: \"Q: \\x1b[31mred\\x1b[0m?\\nA:\""), v.out());
        assertTrue(v.out().contains("completion text: \""), v.out());
        assertFalse(v.out().contains("\u001b"), v.out());
        CliTest.Run j = run("verify", s(att), "--model", s(TINY), "--trust", s(pub), "--show-text", "--json");
        assertEquals(0, j.code(), j.out() + j.err());
        assertEquals("Q: \u001b[31mred\u001b[0m?\nA:", new ObjectMapper().readTree(j.out()).get("prompt_text").asText());
        // without the flag, no text
        CliTest.Run plain = run("verify", s(att), "--model", s(TINY), "--trust", s(pub));
        assertFalse(plain.out().contains("prompt text:"), plain.out());
    }

    @Test
    void messagesThroughTheChatTemplate() throws Exception {
        String template = "{% for m in messages %}{{ m.role | upper }}: {{ m.content | trim }}\\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}";
        Path chat = copy("chat", null, "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"chat_template\": \"" + template + "\"}");
        Path msgs = dir.resolve("msgs.json");
        Files.writeString(msgs, "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \" What is a dog? \"}]");
        Path att = dir.resolve("m.json");
        CliTest.Run g = run("generate", "--model", s(chat), "--messages", s(msgs), "--max-tokens", "4", "--key", s(key), "-o", s(att));
        assertEquals(0, g.code(), g.out() + g.err());
        CliTest.Run v = run("verify", s(att), "--model", s(chat), "--trust", s(pub), "--show-text");
        assertEquals(0, v.code(), v.out() + v.err());
        assertTrue(v.out().contains("prompt text: \"SYSTEM: Be brief.\\nUSER: What is a dog?\\nASSISTANT:\""), v.out());
        // the ids are the rendered text's bytes (byte-level model), as inspect shows
        CliTest.Run i = run("inspect", s(att));
        assertTrue(i.out().contains("\"SYSTEM: Be brief.\\nUSER: What is a dog?\\nASSISTANT:\""), i.out());

        // a template that raises: refused as bad input with the template's message
        Path raising = copy("raising", null, "{\"chat_template\": \"{{ raise_exception('only user messages') }}\"}");
        CliTest.Run r = run("generate", "--model", s(raising), "--messages", s(msgs), "--max-tokens", "4", "--key", s(key), "-o", s(dir.resolve("r.json")));
        assertEquals(Toploc.BAD_INPUT, r.code());
        assertTrue(r.err().contains("only user messages"), r.err());
    }

    @Test
    void badMessagesFilesAreRefused() throws Exception {
        Path msgs = dir.resolve("bad.json");
        Files.writeString(msgs, "[{\"role\": \"user\"}]");
        CliTest.Run g = run("generate", "--model", s(TINY), "--messages", s(msgs), "--max-tokens", "4", "--key", s(key), "-o", s(dir.resolve("x.json")));
        assertEquals(Toploc.BAD_INPUT, g.code());
        assertTrue(g.err().contains("bad.json: message 0 has no \"content\" string"), g.err());
        // the embedded model has no chat template
        Files.writeString(msgs, "[{\"role\": \"user\", \"content\": \"hi\"}]");
        g = run("generate", "--model", s(TINY), "--messages", s(msgs), "--max-tokens", "4", "--key", s(key), "-o", s(dir.resolve("x.json")));
        assertEquals(Toploc.BAD_INPUT, g.code());
        assertTrue(g.err().contains("no chat template"), g.err());
        assertFalse(Files.exists(dir.resolve("x.json")));
    }

    /** Issue 14 point 10: a folder without a usable tokenizer is refused instead of fed bytes. */
    @Test
    void folderWithoutTokenizerIsRefused() throws Exception {
        Path none = copy("none", "tokenizer.json", null);
        CliTest.Run g = run("generate", "--model", s(none), "--prompt", "hello", "--max-tokens", "4", "--key", s(key), "-o", s(dir.resolve("n.json")));
        assertEquals(Toploc.BAD_INPUT, g.code());
        assertTrue(g.err().contains("--prompt needs the model's tokenizer") && g.err().contains("no tokenizer.json"), g.err());
        assertFalse(Files.exists(dir.resolve("n.json")));
        CliTest.Run p = run("prefill", "--model", s(none), "--prompt", "hello", "-o", s(dir.resolve("n.npy")));
        assertEquals(Toploc.BAD_INPUT, p.code(), p.err());
        // ids still work
        CliTest.Run ids = run("generate", "--model", s(none), "--prompt-ids", "104,105", "--max-tokens", "2", "--key", s(key), "-o", s(dir.resolve("n.json")));
        assertEquals(0, ids.code(), ids.err());
        CliTest.Run v = run("verify", s(dir.resolve("n.json")), "--model", s(none), "--trust", s(pub), "--show-text");
        assertEquals(Toploc.BAD_INPUT, v.code());
        assertTrue(v.err().contains("--show-text needs the model's tokenizer"), v.err());
    }
}
