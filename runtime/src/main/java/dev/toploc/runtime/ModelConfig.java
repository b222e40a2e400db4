package dev.toploc.runtime;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.internal.UntrustedFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The parts of a HuggingFace {@code config.json} the forward pass needs, validated.
 *
 * @param architecture    llama (Llama 2/3), mistral, or qwen2
 * @param headDim         per-head width (config {@code head_dim}, default hidden / heads)
 * @param attentionBias   bias on the q/k/v projections (Qwen2: always)
 * @param slidingWindow   Mistral's attention window in positions, 0 when none
 * @param ropeScaling     Llama 3.1 frequency scaling, or null
 * @param eosTokenId      {@code eos_token_id} (the first when a list), -1 when none
 */
public record ModelConfig(Architecture architecture, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                          int numKvHeads, int headDim, int vocabSize, int maxPositions, double ropeTheta, double rmsNormEps,
                          boolean tieWordEmbeddings, boolean attentionBias, int slidingWindow, RopeScaling ropeScaling,
                          int eosTokenId) {

    /** The supported model families. */
    public enum Architecture {
        LLAMA, MISTRAL, QWEN2
    }

    /** {@code rope_scaling} of type {@code llama3}. */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    }

    /** Config files larger than this are refused (real ones are a few KiB). */
    public static final long MAX_CONFIG_BYTES = 1 << 20;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build()).build());

    public ModelConfig {
        require(hiddenSize > 0 && numLayers > 0 && numHeads > 0 && numKvHeads > 0 && headDim > 0 && vocabSize > 0
                && intermediateSize > 0, "sizes must be positive");
        require(numHeads % numKvHeads == 0, "num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        require(headDim % 2 == 0, "head_dim " + headDim + " must be even for rotary embeddings");
        require(ropeTheta > 0 && rmsNormEps > 0, "rope_theta and rms_norm_eps must be positive");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Reads and validates {@code config.json}. */
    public static ModelConfig read(Path file) throws ModelFormatException {
        String where = file.getFileName().toString();
        byte[] bytes;
        try {
            bytes = UntrustedFiles.read(file, MAX_CONFIG_BYTES, "model config");
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ModelFormatException(where + ": missing (a HuggingFace model folder has config.json beside its weights)", e);
        } catch (java.nio.file.FileSystemException e) {
            throw new ModelFormatException(where + ": " + (e.getReason() != null ? e.getReason() : "not readable (" + e.getMessage() + ")"), e);
        } catch (IOException e) {
            throw new ModelFormatException(where + ": not readable (" + e.getMessage() + ")", e);
        }
        return parse(bytes, where);
    }

    /** Parses and validates config.json's bytes; {@code where} names the file in errors. */
    public static ModelConfig parse(byte[] bytes, String where) throws ModelFormatException {
        if (bytes.length > MAX_CONFIG_BYTES) {
            throw new ModelFormatException(where + ": " + bytes.length + " bytes is too large for a model config (limit " + MAX_CONFIG_BYTES + ")");
        }
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new ModelFormatException(where + ": not readable JSON (" + e.getMessage() + ")", e);
        }
        if (n == null || !n.isObject()) {
            throw new ModelFormatException(where + ": not a JSON object");
        }
        try {
            return parse(n, where);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + ": " + e.getMessage(), e);
        }
    }

    static ModelConfig parse(JsonNode n, String where) throws ModelFormatException {
        String type = n.path("model_type").asText("").toLowerCase(Locale.ROOT);
        Architecture arch = switch (type) {
            case "llama" -> Architecture.LLAMA;
            case "mistral" -> Architecture.MISTRAL;
            case "qwen2" -> Architecture.QWEN2;
            default -> throw new ModelFormatException(where + ": model_type '" + n.path("model_type").asText("")
                    + "' is not supported (expected llama, mistral or qwen2)");
        };
        int hidden = intField(n, "hidden_size", where);
        int heads = intField(n, "num_attention_heads", where);
        int kvHeads = n.has("num_key_value_heads") && !n.get("num_key_value_heads").isNull() ? intField(n, "num_key_value_heads", where) : heads;
        int headDim = n.has("head_dim") && !n.get("head_dim").isNull() ? intField(n, "head_dim", where) : hidden / heads;
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(where + ": hidden_act '" + act + "' is not supported (expected silu)");
        }
        RopeScaling scaling = null;
        JsonNode rs = n.get("rope_scaling");
        if (rs != null && !rs.isNull()) {
            String rt = rs.path("rope_type").asText(rs.path("type").asText(""));
            if (!rt.equals("llama3")) {
                throw new ModelFormatException(where + ": rope_scaling type '" + rt + "' is not supported (expected llama3 or none)");
            }
            scaling = new RopeScaling(rs.path("factor").asDouble(8), rs.path("low_freq_factor").asDouble(1),
                    rs.path("high_freq_factor").asDouble(4), rs.path("original_max_position_embeddings").asInt(8192));
        }
        int window = 0;
        JsonNode sw = n.get("sliding_window");
        boolean useWindow = arch == Architecture.MISTRAL || n.path("use_sliding_window").asBoolean(false);
        if (useWindow && sw != null && sw.isIntegralNumber()) {
            window = sw.asInt();
        }
        return new ModelConfig(arch, hidden, intField(n, "intermediate_size", where), intField(n, "num_hidden_layers", where),
                heads, kvHeads, headDim, intField(n, "vocab_size", where), n.path("max_position_embeddings").asInt(4096),
                n.path("rope_theta").asDouble(10000.0), n.path("rms_norm_eps").asDouble(1e-6),
                n.path("tie_word_embeddings").asBoolean(false),
                arch == Architecture.QWEN2 || n.path("attention_bias").asBoolean(false), window, scaling, eos(n.get("eos_token_id")));
    }

    private static int eos(JsonNode e) {
        if (e != null && e.isArray() && !e.isEmpty()) {
            e = e.get(0);
        }
        return e != null && e.isIntegralNumber() && e.canConvertToInt() && e.asInt() >= 0 ? e.asInt() : -1;
    }

    private static int intField(JsonNode n, String field, String where) throws ModelFormatException {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new ModelFormatException(where + ": " + field + " is " + (v == null ? "missing" : v.toString())
                    + " (expected a positive integer)");
        }
        return v.asInt();
    }
}
