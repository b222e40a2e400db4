package dev.toploc.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** One message of a conversation: a role ({@code system}, {@code user}, {@code assistant}, ...) and its text. */
public record ChatMessage(String role, String content) {
    /** Messages in a list are refused beyond this. */
    public static final int MAX_MESSAGES = 100_000;

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    /**
     * Parses a JSON list of {@code {"role": ..., "content": ...}} objects (the OpenAI / transformers shape, text
     * content only). {@code what} names the input in errors.
     */
    public static List<ChatMessage> listFromJson(String json, String what) throws TokenizerException {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(json);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new TokenizerException(what + ": not JSON (" + e.getOriginalMessage() + "); expected a list of {\"role\": ..., \"content\": ...}");
        }
        if (n == null || !n.isArray()) {
            throw new TokenizerException(what + ": expected a JSON list of {\"role\": ..., \"content\": ...}");
        }
        if (n.isEmpty()) {
            throw new TokenizerException(what + ": the list of messages is empty");
        }
        if (n.size() > MAX_MESSAGES) {
            throw new TokenizerException(what + ": " + n.size() + " messages (at most " + MAX_MESSAGES + ")");
        }
        List<ChatMessage> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            JsonNode m = n.get(i);
            if (!m.isObject()) {
                throw new TokenizerException(what + ": message " + i + " is not an object (expected {\"role\": ..., \"content\": ...})");
            }
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isTextual() || role.asText().isEmpty()) {
                throw new TokenizerException(what + ": message " + i + " has no \"role\" string");
            }
            if (content == null || !content.isTextual()) {
                throw new TokenizerException(what + ": message " + i + " has no \"content\" string (only text content is supported)");
            }
            var extra = new ArrayList<String>();
            m.fieldNames().forEachRemaining(f -> {
                if (!f.equals("role") && !f.equals("content")) {
                    extra.add(f);
                }
            });
            if (!extra.isEmpty()) {
                throw new TokenizerException(what + ": message " + i + " has fields " + extra + " (only \"role\" and \"content\" are supported)");
            }
            out.add(new ChatMessage(role.asText(), content.asText()));
        }
        return List.copyOf(out);
    }
}
