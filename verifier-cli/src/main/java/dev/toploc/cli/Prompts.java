package dev.toploc.cli;

import dev.toploc.runtime.tokenizer.ChatMessage;
import dev.toploc.runtime.tokenizer.Tokenizer;
import dev.toploc.runtime.tokenizer.TokenizerException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Prompts given as text or as a conversation, tokenized by the model folder's own tokenizer (as the provider's stack would). */
final class Prompts {
    private Prompts() {
    }

    /** Messages files larger than this are refused. */
    static final long MAX_MESSAGES_FILE = 16L << 20;

    /**
     * {@code text} encoded with the tokenizer's special tokens (as {@code tokenizer(text)}), or the conversation in
     * {@code messagesFile} rendered by the chat template with the generation prompt and encoded without added
     * special tokens (as {@code apply_chat_template(..., tokenize=True)}). A folder without a tokenizer is refused.
     */
    static int[] ids(Path model, String text, Path messagesFile) throws IOException, TokenizerException {
        List<ChatMessage> messages = null;
        if (messagesFile != null) {
            messages = ChatMessage.listFromJson(new String(Inputs.read(messagesFile, MAX_MESSAGES_FILE, "messages file"), StandardCharsets.UTF_8),
                    messagesFile.toString());
        }
        try (Tokenizer t = load(model, messagesFile != null ? "--messages" : "--prompt")) {
            int[] ids;
            if (messages != null) {
                if (!t.hasChatTemplate()) {
                    throw new TokenizerException(model + ": no chat template (tokenizer_config.json chat_template or chat_template.jinja): "
                            + "give the prompt as --prompt TEXT or --prompt-ids");
                }
                ids = t.encodeChat(messages, true);
            } else {
                ids = t.encode(text);
            }
            if (ids.length == 0) {
                throw new IllegalArgumentException("the prompt is empty (no tokens)");
            }
            return ids;
        }
    }

    static Tokenizer load(Path model, String flag) throws IOException, TokenizerException {
        try {
            return Tokenizer.load(model);
        } catch (TokenizerException e) {
            throw new TokenizerException(flag + " needs the model's tokenizer: " + e.getMessage(), e);
        }
    }

    /** Decoded text, quoted, with quotes and what {@link Terminal#escape} escapes escaped. */
    static String quote(String text) {
        return "\"" + Terminal.escape(text.replace("\\", "\\\\").replace("\"", "\\\"")) + "\"";
    }
}
