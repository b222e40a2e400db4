package dev.toploc.runtime.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A model folder's tokenizer, as the provider's stack (transformers, vLLM) applies it: {@code tokenizer.json}
 * for text and ids, the chat template of {@code tokenizer_config.json} (or {@code chat_template.jinja}) for
 * conversations, and the special tokens the config names.
 *
 * <p>{@link #load} picks the implementation: the HuggingFace {@code tokenizers} library (Rust, through DJL's
 * JNI binding) for any {@code tokenizer.json}, except a byte-identity one (a byte-level BPE with no merges
 * whose 256 byte symbols have the byte values as ids, as the embedded test models have), which is done
 * in Java with the same result. A folder without {@code tokenizer.json} has no tokenizer: {@link #load}
 * fails rather than guessing one. Instances hold native memory: close them.
 */
public interface Tokenizer extends AutoCloseable {

    /** The text as ids, with the special tokens the tokenizer's post-processor adds (as {@code tokenizer(text)}). */
    default int[] encode(String text) throws TokenizerException {
        return encode(text, true);
    }

    /** The text as ids; {@code addSpecialTokens} as transformers' {@code add_special_tokens}. */
    int[] encode(String text, boolean addSpecialTokens) throws TokenizerException;

    /** The ids as text, special tokens included ({@code skip_special_tokens=False}). Ids out of the vocabulary are refused. */
    String decode(int[] ids) throws TokenizerException;

    /**
     * The conversation rendered by the folder's chat template, with {@code messages}, {@code add_generation_prompt},
     * the special tokens ({@code bos_token}, {@code eos_token}, ...) and transformers' template helpers
     * ({@code raise_exception}, {@code strftime_now}) in scope. Fails when the folder has no chat template or
     * the template raises.
     */
    String applyChatTemplate(List<ChatMessage> messages, boolean addGenerationPrompt) throws TokenizerException;

    /** The conversation as ids: the rendered template encoded without adding special tokens (the template has them), as transformers does. */
    default int[] encodeChat(List<ChatMessage> messages, boolean addGenerationPrompt) throws TokenizerException {
        return encode(applyChatTemplate(messages, addGenerationPrompt), false);
    }

    /** Whether the folder has a chat template. */
    boolean hasChatTemplate();

    /** {@code bos_token} of {@code tokenizer_config.json}, with its id. */
    Optional<SpecialToken> bos();

    /** {@code eos_token} of {@code tokenizer_config.json}, with its id. */
    Optional<SpecialToken> eos();

    /** Number of ids (the largest id in the vocabulary or the added tokens, plus one). */
    int vocabSize();

    /** {@code "huggingface-tokenizers"} or {@code "byte-level"}: which implementation runs. */
    String implementation();

    @Override
    void close();

    /** A special token: its text and id. */
    record SpecialToken(String text, int id) {
    }

    /** Loads the tokenizer of a HuggingFace model folder (see the class comment). */
    static Tokenizer load(Path folder) throws IOException, TokenizerException {
        return TokenizerFiles.load(folder);
    }
}
