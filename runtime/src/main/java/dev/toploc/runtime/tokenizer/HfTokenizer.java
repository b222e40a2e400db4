package dev.toploc.runtime.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code tokenizer.json} through the HuggingFace tokenizers library (Rust) via DJL's binding, whose jar carries
 * the native library for linux-x86_64/aarch64, macOS aarch64 and Windows: on first use DJL copies it to its
 * cache folder ({@code ~/.djl.ai/tokenizers}, or {@code $DJL_CACHE_DIR}/{@code $ENGINE_CACHE_DIR}) and loads it
 * from there; nothing is downloaded. Truncation and padding are off, as transformers' {@code tokenizer(text)} has them.
 */
final class HfTokenizer extends FolderTokenizer {
    private final HuggingFaceTokenizer hf;

    private final boolean cleanUpSpaces;

    private HfTokenizer(HuggingFaceTokenizer hf, int vocabSize, Map<String, SpecialToken> special, ChatTemplate template, boolean cleanUpSpaces) {
        super(vocabSize, special, template);
        this.hf = hf;
        this.cleanUpSpaces = cleanUpSpaces;
    }

    static HfTokenizer create(byte[] tokenizerJson, Path file, TokenizerFiles.Vocab vocab, Map<String, SpecialToken> special,
            ChatTemplate template, boolean cleanUpSpaces) throws TokenizerException {
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), Map.of(
                    "addSpecialTokens", "true",
                    "truncation", "false",
                    "padding", "false"));
        } catch (Exception | UnsatisfiedLinkError e) {
            if (template != null) {
                template.close();
            }
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c.getMessage() != null) {
                    why += ": " + c.getMessage();
                }
            }
            throw new TokenizerException(file + ": the tokenizers library cannot load it (" + why + ")", e);
        }
        return new HfTokenizer(hf, vocab.size(), special, template, cleanUpSpaces);
    }

    @Override
    public synchronized int[] encode(String text, boolean addSpecialTokens) throws TokenizerException {
        Encoding e;
        try {
            e = hf.encode(text, addSpecialTokens, false);
        } catch (RuntimeException ex) {
            throw new TokenizerException("the tokenizer failed on the text: " + ex.getMessage(), ex);
        }
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new TokenizerException("the tokenizer gave id " + ids[i] + ", outside its vocabulary (0.." + (vocabSize - 1) + ")");
            }
            out[i] = (int) ids[i];
        }
        return out;
    }

    @Override
    public synchronized String decode(int[] ids) throws TokenizerException {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new TokenizerException("id " + ids[i] + " at index " + i + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
            }
            l[i] = ids[i];
        }
        try {
            String text = hf.decode(l, false);
            return cleanUpSpaces ? cleanUp(text) : text;
        } catch (RuntimeException ex) {
            throw new TokenizerException("the tokenizer failed to decode: " + ex.getMessage(), ex);
        }
    }

    /** transformers' {@code clean_up_tokenization} (applied when tokenizer_config.json says {@code clean_up_tokenization_spaces}). */
    static String cleanUp(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }






    @Override
    public String implementation() {
        return "huggingface-tokenizers";
    }

    @Override
    public synchronized void close() {
        hf.close();
        super.close();
    }
}
