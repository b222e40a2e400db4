package dev.toploc.runtime.tokenizer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/**
 * A model folder's tokenizer files as {@link TokenizerFiles} reads them before any tokenizer is built: the
 * input as {@code tokenizer.json} ({@link TokenizerFiles#parse}, the vocabulary and added tokens
 * ({@code Vocab.of}), the byte-level check) and as {@code tokenizer_config.json} (special tokens, chat
 * template: {@link TokenizerFiles#config}). Beyond "a value or a typed error": every vocabulary read has
 * ids in {@code 0..MAX_VOCAB-1} and a size of at most {@code MAX_VOCAB}. Building the Hugging Face tokenizer
 * itself (native, through DJL) and the chat template (GraalJS) is not fuzzed here. (In this package because
 * the reader is package-private; the invariant is the one of {@code dev.toploc.fuzz.FuzzInvariant}.)
 */
class TokenizerFilesFuzzTest {
    static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("toploc-fuzz-tok-");
            DIR.toFile().deleteOnExit();
            DIR.resolve("tokenizer_config.json").toFile().deleteOnExit();
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static void body(byte[] data) throws Exception {
        Path tj = DIR.resolve("tokenizer.json");
        try {
            JsonNode tok = TokenizerFiles.parse(data, tj);
            TokenizerFiles.Vocab v = TokenizerFiles.Vocab.of(tok, tj);
            check(v.size() >= 0 && v.size() <= TokenizerFiles.MAX_VOCAB, "vocabulary size " + v.size());
            for (var ids : java.util.List.of(v.ids(), v.added())) {
                for (int id : ids.values()) {
                    check(id >= 0 && id < v.size(), "id " + id + " outside 0.." + (v.size() - 1));
                }
            }
            ByteLevelTokenizer.isByteIdentity(tok);
        } catch (TokenizerException expected) {
            // typed rejection
        }
        Files.write(DIR.resolve("tokenizer_config.json"), data);
        try {
            TokenizerFiles.Config c = TokenizerFiles.config(DIR);
            check(c.specialTokens() != null, "no special-token map");
        } catch (TokenizerException | IOException expected) {
            // typed rejection
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("tokenizer files: " + what);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void quick(byte[] data) throws Exception {
        body(data);
    }

    @Tag("long-fuzz")
    @FuzzTest(maxDuration = "10m")
    void long10m(byte[] data) throws Exception {
        body(data);
    }
}
