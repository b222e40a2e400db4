package dev.toploc.runtime.tokenizer;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What every tokenizer of a model folder shares: its vocabulary size, its special tokens and its chat template. */
abstract class FolderTokenizer implements Tokenizer {
    final int vocabSize;
    private final Map<String, SpecialToken> special;
    private final ChatTemplate template;

    FolderTokenizer(int vocabSize, Map<String, SpecialToken> special, ChatTemplate template) {
        this.vocabSize = vocabSize;
        this.special = special;
        this.template = template;
    }

    @Override
    public String applyChatTemplate(List<ChatMessage> messages, boolean addGenerationPrompt) throws TokenizerException {
        if (template == null) {
            throw new TokenizerException("this model folder has no chat template (tokenizer_config.json chat_template or chat_template.jinja)");
        }
        return template.render(messages, addGenerationPrompt);
    }

    @Override
    public boolean hasChatTemplate() {
        return template != null;
    }

    @Override
    public Optional<SpecialToken> bos() {
        return Optional.ofNullable(special.get("bos_token"));
    }

    @Override
    public Optional<SpecialToken> eos() {
        return Optional.ofNullable(special.get("eos_token"));
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /** Closes the chat template's engine when one was made; a subclass closes what it holds and calls this. */
    @Override
    public void close() {
        if (template != null) {
            template.close();
        }
    }
}
