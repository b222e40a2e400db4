package dev.toploc.runtime.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.vectors.TestVectors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded byte-level models: their tokenizer.json is byte-identity, so {@link Tokenizer#load} runs it in
 * Java; the HuggingFace tokenizers library on the same file must give the same ids and text. Folders without
 * a tokenizer are refused.
 */
class ByteLevelTokenizerTest {
    static Path tiny() {
        return TestVectors.model("tiny-fortunes-llama");
    }

    @Test
    void embeddedModelIsByteLevelAndMatchesTheLibrary() throws Exception {
        Path dir = tiny();
        byte[] json = Files.readAllBytes(dir.resolve("tokenizer.json"));
        TokenizerFiles.Vocab vocab = TokenizerFiles.Vocab.of(TokenizerFiles.parse(json, dir), dir);
        try (Tokenizer bytes = Tokenizer.load(dir);
                Tokenizer lib = HfTokenizer.create(json, dir, vocab, Map.of(), null, false)) {
            assertEquals("byte-level", bytes.implementation());
            assertEquals(258, bytes.vocabSize());
            assertEquals(256, bytes.bos().orElseThrow().id());
            assertEquals(257, bytes.eos().orElseThrow().id());
            for (String s : TokenizerOracleTest.corpus()) {
                s = s.replace("\u0000", "");
                int[] b = bytes.encode(s);
                assertArrayEquals(lib.encode(s), b, s);
                assertEquals(lib.decode(b), bytes.decode(b), s);
                assertEquals(s, bytes.decode(b));
            }
            for (String s : new String[] {"<s>", "a</s>b", "<s></s><s>", "<s", "</s >", "Once upon a time"}) {
                assertArrayEquals(lib.encode(s), bytes.encode(s), s);
            }
            // the plain text of a byte-level model is its UTF-8 bytes, as generate --prompt fed it before
            byte[] u = "Once upon a time, ü".getBytes(StandardCharsets.UTF_8);
            int[] expect = new int[u.length];
            for (int i = 0; i < u.length; i++) {
                expect[i] = u[i] & 0xFF;
            }
            assertArrayEquals(expect, bytes.encode("Once upon a time, ü"));
            assertArrayEquals(new int[] {97, 257, 98}, bytes.encode("a</s>b"));
            assertThrows(TokenizerException.class, () -> bytes.decode(new int[] {258}));
            assertThrows(TokenizerException.class, () -> bytes.decode(new int[] {-1}));
            assertFalse(bytes.hasChatTemplate());
            assertThrows(TokenizerException.class, () -> bytes.applyChatTemplate(java.util.List.of(new ChatMessage("user", "x")), true));
        }
    }

    /** Negative control: a tokenizer.json with one merge is no longer byte-identity and goes to the library. */
    @Test
    void aMergeMakesItNotByteIdentity(@TempDir Path tmp) throws Exception {
        String json = Files.readString(tiny().resolve("tokenizer.json"));
        assertTrue(json.contains("\"merges\": []"), "the embedded tokenizer.json changed shape");
        String withMerge = json.replace("\"merges\": []", "\"merges\": [\"a b\"]").replace("\"Ā\": 0,", "\"ab\": 258, \"Ā\": 0,");
        assertNotEquals(json, withMerge);
        Files.writeString(tmp.resolve("tokenizer.json"), withMerge);
        try (Tokenizer t = Tokenizer.load(tmp)) {
            assertEquals("huggingface-tokenizers", t.implementation());
            assertArrayEquals(new int[] {258, 99}, t.encode("abc"));
        }
    }

    @Test
    void folderWithoutTokenizerIsRefused(@TempDir Path tmp) throws Exception {
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().contains("no tokenizer.json"), e.getMessage());
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": 3}");
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().contains("model.vocab"), e.getMessage());
        Files.writeString(tmp.resolve("tokenizer.json"), "not json");
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void messagesAreValidated() throws Exception {
        assertEquals(java.util.List.of(new ChatMessage("user", "hi")), ChatMessage.listFromJson("[{\"role\":\"user\",\"content\":\"hi\"}]", "m.json"));
        for (String bad : new String[] {"{}", "[]", "[1]", "[{\"role\":\"user\"}]", "[{\"role\":\"\",\"content\":\"x\"}]",
                "[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]", "[{\"role\":\"user\",\"content\":\"x\",\"name\":\"n\"}]", "[{"}) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> ChatMessage.listFromJson(bad, "m.json"), bad);
            assertTrue(e.getMessage().startsWith("m.json: "), e.getMessage());
        }
    }
}
