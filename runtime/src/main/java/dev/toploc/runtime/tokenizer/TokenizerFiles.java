package dev.toploc.runtime.tokenizer;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.io.UntrustedFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reading a folder's tokenizer files (bounded, regular files only) and choosing the implementation. */
final class TokenizerFiles {
    private TokenizerFiles() {
    }

    /** {@code tokenizer.json} larger than this is refused (Gemma 3's is 33 MB). */
    static final long MAX_TOKENIZER_JSON = 256L << 20;
    /** {@code tokenizer_config.json} and {@code chat_template.jinja} larger than this are refused. */
    static final long MAX_CONFIG = 16L << 20;
    /** Ids at or above this are refused (the largest vocabularies served are about 262k). */
    static final int MAX_VOCAB = 1 << 24;

    static final ObjectMapper JSON = new ObjectMapper();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxStringLength((int) MAX_TOKENIZER_JSON).build());
    }

    /** What {@code tokenizer_config.json} says, with ids resolved against {@code tokenizer.json}. */
    record Config(Map<String, String> specialTokens, String chatTemplate, boolean cleanUpSpaces) {
    }

    static Tokenizer load(Path folder) throws IOException, TokenizerException {
        Path tj = folder.resolve("tokenizer.json");
        if (!Files.exists(tj, LinkOption.NOFOLLOW_LINKS) && !Files.exists(tj)) {
            throw new TokenizerException(folder + ": no tokenizer.json: this model folder has no tokenizer (give the prompt as token ids)");
        }
        byte[] tokenizerJson = UntrustedFiles.read(tj, MAX_TOKENIZER_JSON, "tokenizer.json");
        JsonNode tok = parse(tokenizerJson, tj);
        Vocab vocab = Vocab.of(tok, tj);
        Config cfg = config(folder);
        Map<String, Tokenizer.SpecialToken> special = new LinkedHashMap<>();
        for (var e : cfg.specialTokens().entrySet()) {
            Integer id = vocab.idOf(e.getValue());
            if (id != null) {
                special.put(e.getKey(), new Tokenizer.SpecialToken(e.getValue(), id));
            }
        }
        ChatTemplate template = cfg.chatTemplate() == null ? null : new ChatTemplate(cfg.chatTemplate(), cfg.specialTokens(), folder.toString());
        if (ByteLevelTokenizer.isByteIdentity(tok)) {
            return new ByteLevelTokenizer(vocab, special, template);
        }
        return HfTokenizer.create(tokenizerJson, tj, vocab, special, template, cfg.cleanUpSpaces());
    }

    static JsonNode parse(byte[] bytes, Path file) throws TokenizerException {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw new TokenizerException(file + ": expected a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new TokenizerException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    /** tokenizer_config.json (optional) and chat_template.jinja (optional, preferred, as transformers does). */
    static Config config(Path folder) throws IOException, TokenizerException {
        Path cf = folder.resolve("tokenizer_config.json");
        Map<String, String> special = new LinkedHashMap<>();
        String template = null;
        boolean cleanUp = false;
        if (Files.exists(cf)) {
            JsonNode c = parse(UntrustedFiles.read(cf, MAX_CONFIG, "tokenizer_config.json"), cf);
            for (String k : new String[] {"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"}) {
                String t = tokenText(c.get(k), cf, k);
                if (t != null) {
                    special.put(k, t);
                }
            }
            JsonNode ct = c.get("chat_template");
            if (ct != null && !ct.isNull()) {
                if (ct.isTextual()) {
                    template = ct.asText();
                } else if (ct.isArray()) {
                    // transformers: a list of {name, template}; the one named "default" is used
                    for (JsonNode e : ct) {
                        if (e.path("name").asText("").equals("default") && e.path("template").isTextual()) {
                            template = e.get("template").asText();
                        }
                    }
                    if (template == null) {
                        throw new TokenizerException(cf + ": chat_template is a list without a template named \"default\"");
                    }
                } else {
                    throw new TokenizerException(cf + ": chat_template is " + ct.getNodeType() + " (expected a string or a list of {name, template})");
                }
            }
            JsonNode cu = c.get("clean_up_tokenization_spaces");
            cleanUp = cu != null && cu.asBoolean(false);
        }
        Path jinja = folder.resolve("chat_template.jinja");
        if (Files.exists(jinja)) {
            template = new String(UntrustedFiles.read(jinja, MAX_CONFIG, "chat template"), StandardCharsets.UTF_8);
        }
        return new Config(special, template, cleanUp);
    }

    /** A special token in tokenizer_config.json: a string, or an AddedToken object with "content"; null when absent. */
    private static String tokenText(JsonNode n, Path file, String key) throws TokenizerException {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isObject() && n.path("content").isTextual()) {
            return n.get("content").asText();
        }
        throw new TokenizerException(file + ": " + key + " is " + n.getNodeType() + " (expected a string or {\"content\": ...})");
    }

    /** The token → id map of tokenizer.json: the model's vocabulary and the added tokens. */
    record Vocab(Map<String, Integer> ids, Map<String, Integer> added, int size) {
        Integer idOf(String token) {
            Integer a = added.get(token);
            return a != null ? a : ids.get(token);
        }

        static Vocab of(JsonNode tok, Path file) throws TokenizerException {
            Map<String, Integer> ids = new HashMap<>();
            Map<String, Integer> added = new LinkedHashMap<>();
            int max = -1;
            JsonNode v = tok.path("model").path("vocab");
            if (v.isObject()) {
                for (var it = v.fields(); it.hasNext(); ) {
                    var e = it.next();
                    int id = id(e.getValue(), file, "model.vocab[" + e.getKey() + "]");
                    ids.put(e.getKey(), id);
                    max = Math.max(max, id);
                }
            } else if (v.isArray()) {               // Unigram: [[piece, score], ...], id = index
                if (v.size() > MAX_VOCAB) {
                    throw new TokenizerException(file + ": model.vocab has " + v.size() + " entries (at most " + MAX_VOCAB + ")");
                }
                for (int i = 0; i < v.size(); i++) {
                    ids.putIfAbsent(v.get(i).path(0).asText(), i);
                }
                max = v.size() - 1;
            } else {
                throw new TokenizerException(file + ": model.vocab is missing (expected an object or a list)");
            }
            for (JsonNode a : tok.path("added_tokens")) {
                int id = id(a.get("id"), file, "added_tokens id");
                if (!a.path("content").isTextual()) {
                    throw new TokenizerException(file + ": an added token (id " + id + ") has no content string");
                }
                added.put(a.get("content").asText(), id);
                max = Math.max(max, id);
            }
            return new Vocab(ids, added, max + 1);
        }

        private static int id(JsonNode n, Path file, String what) throws TokenizerException {
            if (n == null || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0 || n.asInt() >= MAX_VOCAB) {
                throw new TokenizerException(file + ": " + what + " is " + n + " (expected an id in 0.." + (MAX_VOCAB - 1) + ")");
            }
            return n.asInt();
        }
    }
}
