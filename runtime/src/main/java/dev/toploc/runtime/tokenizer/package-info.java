/**
 * Tokenizers: {@link dev.toploc.runtime.tokenizer.Tokenizer#load} reads a HuggingFace model folder's
 * {@code tokenizer.json} (through the HuggingFace tokenizers library) and {@code tokenizer_config.json}
 * (special tokens, the Jinja chat template), so that a prompt or a conversation becomes the ids the
 * provider's stack would have fed the model, and ids become text again.
 *
 * <p>Lives here: text ↔ ids and chat templates. Must not live here: the model math (runtime), reading
 * files the user named other than through {@code dev.toploc.io.UntrustedFiles}.
 */
package dev.toploc.runtime.tokenizer;
