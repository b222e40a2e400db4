package dev.toploc.runtime;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.internal.UntrustedFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

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

    /**
     * {@code rope_scaling} of type {@code llama3}, with {@code transformers}' own rules: {@code factor >= 1}
     * (it divides the low frequencies: 0 gives infinities, a negative value flips them), both frequency
     * factors positive with {@code high > low} (their difference divides), all finite, and a positive
     * original context.
     */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
        public RopeScaling {
            require(factor >= 1 && factor <= MAX_ROPE_FACTOR, "rope_scaling.factor " + factor + " (expected 1.." + MAX_ROPE_FACTOR + ")");
            require(lowFreqFactor > 0 && lowFreqFactor < Double.POSITIVE_INFINITY && highFreqFactor > lowFreqFactor
                    && highFreqFactor < Double.POSITIVE_INFINITY, "rope_scaling.low_freq_factor " + lowFreqFactor + " and high_freq_factor "
                    + highFreqFactor + " (expected finite, 0 < low < high)");
            require(originalMaxPositions >= 1 && originalMaxPositions <= MAX_POSITIONS, "rope_scaling.original_max_position_embeddings "
                    + originalMaxPositions + " (expected 1.." + MAX_POSITIONS + ")");
        }
    }

    /**
     * The largest width this runtime accepts for any per-position vector (hidden, intermediate, vocabulary,
     * heads x head_dim): 2^20, 4x the largest vocabulary and 20x the largest hidden size of released
     * Llama-family models. Bounding widths keeps every per-position product far inside {@code long} and
     * every message honest.
     */
    public static final int MAX_DIM = 1 << 20;
    /** The most decoder layers accepted: 1024 (Llama 3.1 405B has 126). */
    public static final int MAX_LAYERS = 1024;
    /** The longest context accepted ({@code max_position_embeddings}): 2^24 (1M-token models exist). */
    public static final int MAX_POSITIONS = 1 << 24;
    /** The largest llama3 rope scaling factor accepted (released models use 8 and 32). */
    public static final double MAX_ROPE_FACTOR = 1024;

    /** Config files larger than this are refused (real ones are a few KiB). */
    public static final long MAX_CONFIG_BYTES = 1 << 20;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build()).build())
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);   // one JSON value, all of the file

    /**
     * Every size positive and bounded ({@link #MAX_DIM}, {@link #MAX_LAYERS}, {@link #MAX_POSITIONS}),
     * products of sizes checked in {@code long}, and every float parameter finite and in range, so that no
     * forward pass is ever planned on a value that would overflow an array size or turn states into NaN.
     */
    public ModelConfig {
        Objects.requireNonNull(architecture, "architecture");
        dim("hidden_size", hiddenSize);
        dim("intermediate_size", intermediateSize);
        dim("vocab_size", vocabSize);
        dim("head_dim", headDim);
        require(numLayers >= 1 && numLayers <= MAX_LAYERS, "num_hidden_layers " + numLayers + " (expected 1.." + MAX_LAYERS + ")");
        require(numHeads >= 1 && numHeads <= MAX_DIM, "num_attention_heads " + numHeads + " (expected 1.." + MAX_DIM + ")");
        require(numKvHeads >= 1 && numKvHeads <= numHeads, "num_key_value_heads " + numKvHeads + " (expected 1..num_attention_heads "
                + numHeads + ")");
        require(numHeads % numKvHeads == 0, "num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        require(headDim % 2 == 0, "head_dim " + headDim + " must be even for rotary embeddings");
        require((long) numHeads * headDim <= MAX_DIM, "num_attention_heads x head_dim = " + numHeads + " x " + headDim + " = "
                + (long) numHeads * headDim + " (expected at most " + MAX_DIM + ")");
        require(maxPositions >= 1 && maxPositions <= MAX_POSITIONS, "max_position_embeddings " + maxPositions + " (expected 1.."
                + MAX_POSITIONS + ")");
        require(ropeTheta > 1 && ropeTheta < Double.POSITIVE_INFINITY, "rope_theta " + ropeTheta + " (expected finite and > 1)");
        // eps is added in fp32: it must be a normal float (0 or a flushed subnormal divides an all-zero row by 0) and at most 1
        require(rmsNormEps >= Float.MIN_NORMAL && rmsNormEps <= 1, "rms_norm_eps " + rmsNormEps + " (expected " + Float.MIN_NORMAL
                + "..1; real configs use 1e-6 .. 1e-5)");
        require(slidingWindow >= 0, "sliding_window " + slidingWindow + " (expected >= 0; 0 for none)");
    }

    private static void dim(String field, int v) {
        require(v >= 1 && v <= MAX_DIM, field + " " + v + " (expected 1.." + MAX_DIM + ")");
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
        if (headDim == 0) {
            throw new ModelFormatException(where + ": hidden_size " + hidden + " / num_attention_heads " + heads
                    + " gives a head_dim of 0 (expected a head_dim field, or heads <= hidden)");
        }
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
            scaling = new RopeScaling(number(rs, "factor", 8, where + ": rope_scaling"), number(rs, "low_freq_factor", 1, where + ": rope_scaling"),
                    number(rs, "high_freq_factor", 4, where + ": rope_scaling"), optInt(rs, "original_max_position_embeddings", 8192, where + ": rope_scaling"));
        }
        int window = 0;
        JsonNode sw = n.get("sliding_window");
        boolean useWindow = arch == Architecture.MISTRAL || n.path("use_sliding_window").asBoolean(false);
        if (useWindow && sw != null && !sw.isNull()) {
            if (!sw.isIntegralNumber() || !sw.canConvertToInt() || sw.asInt() < 0) {
                throw new ModelFormatException(where + ": sliding_window is " + sw + " (expected an integer >= 0, or null)");
            }
            window = sw.asInt();
        }
        return new ModelConfig(arch, hidden, intField(n, "intermediate_size", where), intField(n, "num_hidden_layers", where),
                heads, kvHeads, headDim, intField(n, "vocab_size", where), optInt(n, "max_position_embeddings", 4096, where),
                number(n, "rope_theta", 10000.0, where), number(n, "rms_norm_eps", 1e-6, where),
                n.path("tie_word_embeddings").asBoolean(false),
                arch == Architecture.QWEN2 || n.path("attention_bias").asBoolean(false), window, scaling, eos(n.get("eos_token_id")));
    }

    private static int eos(JsonNode e) {
        if (e != null && e.isArray() && !e.isEmpty()) {
            e = e.get(0);
        }
        return e != null && e.isIntegralNumber() && e.canConvertToInt() && e.asInt() >= 0 ? e.asInt() : -1;
    }

    /** An optional positive integer field: {@code dflt} when absent or null. */
    private static int optInt(JsonNode n, String field, int dflt, String where) throws ModelFormatException {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? dflt : intField(n, field, where);
    }

    /** An optional number field: {@code dflt} when absent or null; it must be a finite number when present. */
    private static double number(JsonNode n, String field, double dflt, String where) throws ModelFormatException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new ModelFormatException(where + ": " + field + " is " + (v.isNumber() ? String.valueOf(v.asDouble()) : v.toString())
                    + " (expected a finite number)");
        }
        return v.asDouble();
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
