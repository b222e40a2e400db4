package dev.toploc.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-identity {@code tokenizer.json} in Java: byte-level BPE without merges whose 256 byte symbols have the
 * byte values as ids (the embedded test models). Encoding is the UTF-8 bytes, except that the added tokens
 * (matched leftmost-longest in the raw text, as the tokenizers library matches them) become their ids; decoding
 * is the reverse, invalid UTF-8 replaced by U+FFFD as the library's ByteLevel decoder does. Tests check it
 * against the library on the same file.
 */
final class ByteLevelTokenizer extends FolderTokenizer {
    private final List<Map.Entry<String, Integer>> added;     // longest first
    private final Map<Integer, String> addedById = new HashMap<>();

    ByteLevelTokenizer(TokenizerFiles.Vocab vocab, Map<String, SpecialToken> special, ChatTemplate template) {
        super(vocab.size(), special, template);
        this.added = new ArrayList<>(vocab.added().entrySet());
        this.added.removeIf(e -> e.getKey().isEmpty());
        this.added.sort(Comparator.comparingInt((Map.Entry<String, Integer> e) -> e.getKey().length()).reversed());
        vocab.added().forEach((k, v) -> addedById.put(v, k));
    }

    /** GPT-2's byte → symbol map of the ByteLevel pre-tokenizer. */
    static int[] byteSymbols() {
        int[] sym = new int[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
            sym[b] = printable ? b : 256 + n++;
        }
        return sym;
    }

    /** Whether {@code tok} (a parsed tokenizer.json) is byte-identity, so that this class gives the library's ids. */
    static boolean isByteIdentity(JsonNode tok) {
        JsonNode model = tok.path("model");
        if (!model.path("type").asText("").equals("BPE") || model.path("merges").size() != 0
                || model.path("byte_fallback").asBoolean(false) || !model.path("dropout").isNull() && !model.path("dropout").isMissingNode()) {
            return false;
        }
        if (!tok.path("normalizer").isNull() || !tok.path("post_processor").isNull()) {
            return false;
        }
        JsonNode pre = tok.path("pre_tokenizer");
        if (!pre.path("type").asText("").equals("ByteLevel") || pre.path("add_prefix_space").asBoolean(true)) {
            return false;
        }
        JsonNode dec = tok.path("decoder");
        if (!dec.path("type").asText("").equals("ByteLevel")) {
            return false;
        }
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) {
            return false;
        }
        int[] sym = byteSymbols();
        for (int b = 0; b < 256; b++) {
            JsonNode id = vocab.get(new String(Character.toChars(sym[b])));
            if (id == null || !id.isInt() || id.asInt() != b) {
                return false;
            }
        }
        if (vocab.size() != 256) {
            return false;
        }
        for (JsonNode a : tok.path("added_tokens")) {
            if (a.path("id").asInt(-1) < 256 || a.path("lstrip").asBoolean(false) || a.path("rstrip").asBoolean(false)
                    || a.path("single_word").asBoolean(false) || a.path("normalized").asBoolean(false)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        // no post-processor: addSpecialTokens adds nothing
        var out = new ArrayList<Integer>();
        int i = 0;
        int start = 0;
        while (i < text.length()) {
            Map.Entry<String, Integer> hit = null;
            for (var e : added) {
                if (text.startsWith(e.getKey(), i)) {
                    hit = e;
                    break;
                }
            }
            if (hit == null) {
                i++;
                continue;
            }
            bytes(text.substring(start, i), out);
            out.add(hit.getValue());
            i += hit.getKey().length();
            start = i;
        }
        bytes(text.substring(start), out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void bytes(String s, List<Integer> out) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            out.add(b & 0xFF);
        }
    }

    @Override
    public String decode(int[] ids) throws TokenizerException {
        StringBuilder sb = new StringBuilder();
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocabSize) {
                throw new TokenizerException("id " + id + " at index " + i + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
            }
            if (id < 256) {
                run.write(id);
                continue;
            }
            String a = addedById.get(id);
            if (a == null) {
                throw new TokenizerException("id " + id + " at index " + i + " is not in the vocabulary");
            }
            sb.append(run.toString(StandardCharsets.UTF_8));
            run.reset();
            sb.append(a);
        }
        return sb.append(run.toString(StandardCharsets.UTF_8)).toString();
    }






    @Override
    public String implementation() {
        return "byte-level";
    }
}
