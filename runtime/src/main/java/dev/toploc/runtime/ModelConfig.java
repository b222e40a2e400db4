package dev.toploc.runtime;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.io.UntrustedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The parts of a HuggingFace {@code config.json} the forward pass needs, validated.
 *
 * @param architecture    llama (Llama 2/3), mistral, or qwen2
 * @param headDim         per-head width (config {@code head_dim}, default hidden / heads)
 * @param attentionBias   bias on the q/k/v projections (Qwen2: always)
 * @param slidingWindow   Mistral's attention window in positions, 0 when none
 * @param ropeScaling     {@code rope_scaling} ({@code llama3}, {@code linear}, {@code dynamic}, {@code yarn}, {@code longrope}), or null
 * @param eosTokenId      {@code eos_token_id} (the first when a list), -1 when none
 * @param qkNorm          per-head RMSNorm of queries and keys before RoPE ({@code q_norm}/{@code k_norm}: Qwen3)
 * @param windowedLayers  which layers use {@code slidingWindow} (one flag per layer): from {@code layer_types}
 *                        when the config has it, else Qwen2's rule (layers from {@code max_window_layers} on,
 *                        when {@code use_sliding_window}), else every layer
 * @param moe             the mixture-of-experts feed-forward (Qwen3-MoE, Mixtral), or null for a dense one
 * @param eosTokenIds     every id of {@code eos_token_id} (an int or a list; empty when none), in file order
 * @param gemma           Gemma 2/3's settings, or null for the other architectures
 * @param quantization    {@code quantization_config} (FP8 checkpoints), or null for unquantized weights
 */
public record ModelConfig(Architecture architecture, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                          int numKvHeads, int headDim, int vocabSize, int maxPositions, double ropeTheta, double rmsNormEps,
                          boolean tieWordEmbeddings, boolean attentionBias, int slidingWindow, RopeScaling ropeScaling,
                          int eosTokenId, boolean qkNorm, java.util.List<Boolean> windowedLayers, Moe moe,
                          java.util.List<Integer> eosTokenIds, Gemma gemma, Quantization quantization) {

    /** The supported model families. */
    public enum Architecture {
        LLAMA, MISTRAL, QWEN2, QWEN3, QWEN3_MOE, MIXTRAL,
        /** Phi-3/Phi-4: Llama's math with fused {@code qkv_proj} and {@code gate_up_proj}. */
        PHI3, GEMMA2,
        /** Gemma 3's text decoder ({@code Gemma3ForCausalLM}). */
        GEMMA3_TEXT
    }

    /**
     * Gemma 2/3: embeddings times {@code sqrt(hidden)}, RMSNorms scaling by {@code 1 + w}, norms after
     * attention and around the MLP, GeGLU with tanh GELU, scores times {@code queryPreAttnScalar^-0.5}.
     *
     * @param attnSoftcap   attention scores become {@code cap * tanh(score / cap)} (0: none)
     * @param finalSoftcap  logits become {@code cap * tanh(logit / cap)} (0: none)
     * @param localRopeTheta Gemma 3: rope base of the windowed layers, without rope_scaling (0: as the global layers)
     */
    public record Gemma(double queryPreAttnScalar, double attnSoftcap, double finalSoftcap, double localRopeTheta) {
        public Gemma {
            require(queryPreAttnScalar > 0 && attnSoftcap >= 0 && finalSoftcap >= 0 && localRopeTheta >= 0
                            && Double.isFinite(queryPreAttnScalar + attnSoftcap + finalSoftcap + localRopeTheta),
                    "query_pre_attn_scalar " + queryPreAttnScalar + ", soft-caps " + attnSoftcap + "/" + finalSoftcap
                            + ", rope_local_base_freq " + localRopeTheta + " (expected positive, caps and base finite and >= 0)");
        }
    }

    /**
     * A sparse feed-forward: a router ({@code numExperts} logits), softmax in fp32, the {@code topK} largest
     * probabilities (renormalized to sum 1 when {@code normTopK}), and each routed token through those
     * experts' SwiGLU MLPs of width {@code expertIntermediate}.
     *
     * @param sparseLayers one flag per layer: MoE there, else a dense MLP of {@code intermediate_size}
     *                     (Qwen3-MoE's {@code mlp_only_layers} and {@code decoder_sparse_step})
     */
    public record Moe(int numExperts, int topK, int expertIntermediate, boolean normTopK, java.util.List<Boolean> sparseLayers) {
        public Moe {
            require(numExperts > 0 && topK > 0 && topK <= numExperts && expertIntermediate > 0,
                    "experts: " + numExperts + " experts, " + topK + " per token, width " + expertIntermediate
                            + " (expected positive, at most num_experts per token)");
            sparseLayers = java.util.List.copyOf(sparseLayers);
        }
    }

    /** Whether layer {@code layer} has a mixture-of-experts feed-forward. */
    public boolean sparseLayer(int layer) {
        return moe != null && moe.sparseLayers().get(layer);
    }

    /**
     * {@code rope_scaling}, as {@code transformers}' rope initialization functions read it.
     *
     * @param factor               the scaling factor (longrope: {@code max_position_embeddings / original})
     * @param lowFreqFactor        llama3 only
     * @param highFreqFactor       llama3 only
     * @param originalMaxPositions the pre-training context (llama3, yarn, longrope; dynamic: {@code max_position_embeddings})
     * @param type                 which scaling
     * @param attentionFactor      yarn/longrope: the factor cos and sin are multiplied by (1 for the others)
     * @param betaFast             yarn only
     * @param betaSlow             yarn only
     * @param truncate             yarn only: correction range rounded outwards to whole dimensions
     * @param shortFactor          longrope only: per-pair divisors up to {@code originalMaxPositions}
     * @param longFactor           longrope only: per-pair divisors beyond it
     */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions,
                              Type type, double attentionFactor, double betaFast, double betaSlow, boolean truncate,
                              java.util.List<Double> shortFactor, java.util.List<Double> longFactor) {
        /** The scaling types. */
        public enum Type {
            LLAMA3, LINEAR, DYNAMIC, YARN, LONGROPE
        }

        /** Llama 3.1's scaling. */
        public RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
            this(factor, lowFreqFactor, highFreqFactor, originalMaxPositions, Type.LLAMA3, 1.0, 0, 0, false, null, null);
        }

        public RopeScaling {
            // llama3, with transformers' own rules: factor >= 1 (it divides the low frequencies), 0 < low < high, finite
            require(type != Type.LLAMA3 || (factor >= 1 && factor <= MAX_ROPE_FACTOR), "rope_scaling.factor " + factor + " (expected 1.."
                    + MAX_ROPE_FACTOR + ")");
            require(type != Type.LLAMA3 || (lowFreqFactor > 0 && highFreqFactor > lowFreqFactor && highFreqFactor < Double.POSITIVE_INFINITY),
                    "rope_scaling.low_freq_factor " + lowFreqFactor + " and high_freq_factor " + highFreqFactor + " (expected finite, 0 < low < high)");
            require(Double.isFinite(factor) && factor > 0 && factor <= MAX_ROPE_FACTOR && originalMaxPositions > 0
                            && originalMaxPositions <= MAX_POSITIONS && Double.isFinite(attentionFactor) && attentionFactor > 0,
                    "rope_scaling factor " + factor + ", original_max_position_embeddings " + originalMaxPositions
                            + ", attention_factor " + attentionFactor + " (expected positive and finite, factor at most " + MAX_ROPE_FACTOR
                            + ", original context at most " + MAX_POSITIONS + ")");
            require(type != Type.YARN || (betaFast > 0 && betaSlow > 0 && Double.isFinite(betaFast + betaSlow)),
                    "rope_scaling beta_fast " + betaFast + ", beta_slow " + betaSlow + " (expected positive)");
            shortFactor = shortFactor == null ? null : java.util.List.copyOf(shortFactor);
            longFactor = longFactor == null ? null : java.util.List.copyOf(longFactor);
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
    /** The largest rope scaling factor accepted (released models use 4 to 40). */
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
        java.util.Objects.requireNonNull(architecture, "architecture");
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
        windowedLayers = windowedLayers == null ? java.util.Collections.nCopies(numLayers, Boolean.TRUE) : java.util.List.copyOf(windowedLayers);
        require(windowedLayers.size() == numLayers, "layer_types has " + windowedLayers.size() + " entries for " + numLayers + " layers");
        require(moe == null || moe.sparseLayers().size() == numLayers, "one MoE flag per layer");
        eosTokenIds = eosTokenIds == null ? java.util.List.of() : java.util.List.copyOf(eosTokenIds);
        for (int id : eosTokenIds) {
            require(id >= 0 && id < vocabSize, "eos_token_id " + id + " is outside the vocabulary (expected 0.." + (vocabSize - 1) + ")");
        }
    }

    /**
     * The longest sequence this model is run on: {@code max_position_embeddings}, or for {@code dynamic} rope
     * scaling (NTK-aware, which rescales exactly when a sequence outgrows that) {@code factor} times it, at most
     * {@link #MAX_POSITIONS}. Longer sequences are refused before anything is allocated.
     */
    public int contextLength() {
        if (ropeScaling != null && ropeScaling.type() == RopeScaling.Type.DYNAMIC) {
            return (int) Math.min(MAX_POSITIONS, (long) Math.floor(ropeScaling.factor() * maxPositions));
        }
        return maxPositions;
    }

    /** The attention window of layer {@code layer}: {@link #slidingWindow()} where that layer is windowed, else 0. */
    public int windowOf(int layer) {
        return windowedLayers.get(layer) ? slidingWindow : 0;
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
            case "qwen3" -> Architecture.QWEN3;
            case "qwen3_moe" -> Architecture.QWEN3_MOE;
            case "mixtral" -> Architecture.MIXTRAL;
            case "phi3" -> Architecture.PHI3;
            case "gemma2" -> Architecture.GEMMA2;
            case "gemma3_text" -> Architecture.GEMMA3_TEXT;
            default -> throw new ModelFormatException(where + ": model_type '" + n.path("model_type").asText("")
                    + "' is not supported (expected llama, mistral, qwen2, qwen3, qwen3_moe, mixtral, phi3, gemma2 or gemma3_text)");
        };
        JsonNode prf = n.get("partial_rotary_factor");
        if (prf != null && !prf.isNull() && (!prf.isNumber() || prf.asDouble() != 1.0)) {
            throw new ModelFormatException(where + ": partial_rotary_factor " + prf + " is not supported (expected 1.0: rotary on the whole head)");
        }
        int hidden = intField(n, "hidden_size", where);
        int heads = intField(n, "num_attention_heads", where);
        int kvHeads = n.has("num_key_value_heads") && !n.get("num_key_value_heads").isNull() ? intField(n, "num_key_value_heads", where) : heads;
        int headDim = n.has("head_dim") && !n.get("head_dim").isNull() ? intField(n, "head_dim", where) : hidden / heads;
        if (headDim == 0) {
            throw new ModelFormatException(where + ": hidden_size " + hidden + " / num_attention_heads " + heads
                    + " gives a head_dim of 0 (expected a head_dim field, or heads <= hidden)");
        }
        boolean gemma = arch == Architecture.GEMMA2 || arch == Architecture.GEMMA3_TEXT;
        // Gemma's transformers code reads hidden_activation (hidden_act is the legacy key)
        String act = gemma ? n.path("hidden_activation").asText(n.path("hidden_act").asText("gelu_pytorch_tanh")) : n.path("hidden_act").asText("silu");
        String expectedAct = gemma ? "gelu_pytorch_tanh" : "silu";
        if (!act.equals(expectedAct)) {
            throw new ModelFormatException(where + ": hidden_act '" + act + "' is not supported (expected " + expectedAct + ")");
        }
        RopeScaling scaling = ropeScaling(n, headDim, where);
        if (n.path("mlp_bias").asBoolean(false)) {
            throw new ModelFormatException(where + ": mlp_bias true is not supported (expected false: MLP projections without bias)");
        }
        // Qwen2 always has q/k/v biases and no o_proj bias; Mistral, Mixtral and Phi-3 have none whatever the flag says
        // (transformers ignores it there); in the others attention_bias also puts a bias on o_proj, which is not supported
        boolean biasFlag = n.path("attention_bias").asBoolean(false);
        boolean ignoresFlag = arch == Architecture.QWEN2 || arch == Architecture.MISTRAL || arch == Architecture.MIXTRAL || arch == Architecture.PHI3;
        if (biasFlag && !ignoresFlag) {
            throw new ModelFormatException(where + ": attention_bias true is not supported for " + type
                    + " (it adds an o_proj bias; expected false)");
        }
        int window = 0;
        JsonNode sw = n.get("sliding_window");
        boolean useWindow = arch == Architecture.MISTRAL || arch == Architecture.MIXTRAL || arch == Architecture.PHI3 || gemma
                || n.path("use_sliding_window").asBoolean(false);
        if (useWindow && sw != null && !sw.isNull()) {
            if (!sw.isIntegralNumber() || !sw.canConvertToInt() || sw.asInt() < 0) {
                throw new ModelFormatException(where + ": sliding_window is " + sw + " (expected an integer >= 0, or null)");
            }
            window = sw.asInt();
        }
        int layers = intField(n, "num_hidden_layers", where);
        // Gemma 3 needs the layer kinds even without a window: its local layers take another rope base
        java.util.List<Boolean> windowed = window > 0 || arch == Architecture.GEMMA3_TEXT ? windowedLayers(n, arch, layers, where) : null;
        return new ModelConfig(arch, hidden, intField(n, "intermediate_size", where), layers,
                heads, kvHeads, headDim, intField(n, "vocab_size", where), optInt(n, "max_position_embeddings", 4096, where),
                optional(n, "rope_theta", 10000.0, where), optional(n, "rms_norm_eps", 1e-6, where),
                n.path("tie_word_embeddings").asBoolean(gemma),
                arch == Architecture.QWEN2, window, scaling, eos(n.get("eos_token_id")),
                arch == Architecture.QWEN3 || arch == Architecture.QWEN3_MOE || arch == Architecture.GEMMA3_TEXT, windowed,
                moe(n, arch, layers, where), eosIds(n.get("eos_token_id"), where), gemma ? gemma(n, arch, headDim, where) : null,
                Quantization.parse(n, where));
    }

    private static Gemma gemma(JsonNode n, Architecture arch, int headDim, String where) throws ModelFormatException {
        return new Gemma(optional(n, "query_pre_attn_scalar", headDim, where), optional(n, "attn_logit_softcapping", 0, where),
                optional(n, "final_logit_softcapping", 0, where),
                arch == Architecture.GEMMA3_TEXT ? optional(n, "rope_local_base_freq", 10000.0, where) : 0);
    }

    /** An optional positive integer field: {@code dflt} when absent or null. */
    private static int optInt(JsonNode n, String field, int dflt, String where) throws ModelFormatException {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? dflt : intField(n, field, where);
    }

    /** A number field that may be absent or null ({@code def}). */
    private static double optional(JsonNode n, String field, double def, String where) throws ModelFormatException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new ModelFormatException(where + ": " + field + " is " + (v.isNumber() ? String.valueOf(v.asDouble()) : v.toString())
                    + " (expected a finite number)");
        }
        return v.asDouble();
    }

    /** Qwen3-MoE's and Mixtral's expert settings; options these architectures have that change the math are refused. */
    private static Moe moe(JsonNode n, Architecture arch, int layers, String where) throws ModelFormatException {
        if (arch != Architecture.QWEN3_MOE && arch != Architecture.MIXTRAL) {
            return null;
        }
        int topK = intField(n, "num_experts_per_tok", where);
        java.util.List<Boolean> sparse = new java.util.ArrayList<>();
        if (arch == Architecture.MIXTRAL) {
            // transformers' MixtralSparseMoeBlock always renormalizes the top-k weights; jitter noise is training-only
            for (int l = 0; l < layers; l++) {
                sparse.add(true);
            }
            return new Moe(intField(n, "num_local_experts", where), topK, intField(n, "intermediate_size", where), true, sparse);
        }
        int step = n.has("decoder_sparse_step") ? intField(n, "decoder_sparse_step", where) : 1;
        java.util.Set<Integer> dense = new java.util.HashSet<>();
        JsonNode only = n.get("mlp_only_layers");
        if (only != null && !only.isNull()) {
            if (!only.isArray()) {
                throw new ModelFormatException(where + ": mlp_only_layers is " + only.getNodeType() + " (expected a list of layer indices)");
            }
            for (JsonNode i : only) {
                if (!i.isIntegralNumber() || !i.canConvertToInt() || i.asInt() < 0 || i.asInt() >= layers) {
                    throw new ModelFormatException(where + ": mlp_only_layers has " + i + " (expected layer indices 0.." + (layers - 1) + ")");
                }
                dense.add(i.asInt());
            }
        }
        for (int l = 0; l < layers; l++) {
            sparse.add(!dense.contains(l) && (l + 1) % step == 0);
        }
        JsonNode norm = n.get("norm_topk_prob");
        if (norm != null && !norm.isBoolean() && !norm.isNull()) {
            throw new ModelFormatException(where + ": norm_topk_prob is " + norm + " (expected true or false)");
        }
        // transformers' Qwen3MoeConfig defaults norm_topk_prob to false
        return new Moe(intField(n, "num_experts", where), topK, intField(n, "moe_intermediate_size", where),
                norm != null && norm.asBoolean(false), sparse);
    }

    /**
     * Which layers a sliding window applies to: {@code layer_types} ("sliding_attention" / "full_attention",
     * one per layer) when present; else for Qwen2/Qwen3 {@code transformers}' rule, layers at or above
     * {@code max_window_layers} (required then: the configs of both families carry it); else all layers.
     */
    private static java.util.List<Boolean> windowedLayers(JsonNode n, Architecture arch, int layers, String where) throws ModelFormatException {
        JsonNode lt = n.get("layer_types");
        java.util.List<Boolean> out = new java.util.ArrayList<>();
        if (lt != null && !lt.isNull()) {
            if (!lt.isArray() || lt.size() != layers) {
                throw new ModelFormatException(where + ": layer_types is " + (lt.isArray() ? lt.size() + " entries" : lt.getNodeType())
                        + " (expected a list of " + layers + ", one per layer)");
            }
            for (JsonNode t : lt) {
                switch (t.asText("")) {
                    case "sliding_attention" -> out.add(true);
                    case "full_attention" -> out.add(false);
                    default -> throw new ModelFormatException(where + ": layer_types has '" + t.asText(t.toString())
                            + "' (expected sliding_attention or full_attention)");
                }
            }
            return out;
        }
        if (arch == Architecture.GEMMA2) {
            for (int l = 0; l < layers; l++) {
                out.add(l % 2 == 0);    // transformers' Gemma2: even layers slide
            }
            return out;
        }
        if (arch == Architecture.GEMMA3_TEXT) {
            JsonNode pat = n.get("sliding_window_pattern");
            int pattern = pat == null || pat.isNull() ? 6 : intField(n, "sliding_window_pattern", where);
            for (int l = 0; l < layers; l++) {
                out.add((l + 1) % pattern != 0);    // every pattern-th layer global
            }
            return out;
        }
        if (arch == Architecture.QWEN2 || arch == Architecture.QWEN3) {
            JsonNode m = n.get("max_window_layers");
            if (m == null || !m.isIntegralNumber() || !m.canConvertToInt() || m.asInt() < 0) {
                throw new ModelFormatException(where + ": use_sliding_window is true but max_window_layers is "
                        + (m == null ? "missing" : m.toString()) + " (expected a non-negative integer: the first windowed layer)");
            }
            for (int l = 0; l < layers; l++) {
                out.add(l >= m.asInt());
            }
            return out;
        }
        return null;
    }

    /** {@code rope_scaling} (null, or a "default" type: none); unknown types and malformed fields are refused. */
    private static RopeScaling ropeScaling(JsonNode n, int headDim, String where) throws ModelFormatException {
        JsonNode rs = n.get("rope_scaling");
        if (rs == null || rs.isNull()) {
            return null;
        }
        if (!rs.isObject()) {
            throw new ModelFormatException(where + ": rope_scaling is " + rs.getNodeType() + " (expected an object or null)");
        }
        String rt = rs.path("rope_type").asText(rs.path("type").asText(""));
        int maxPos = optInt(n, "max_position_embeddings", 4096, where);
        JsonNode topOrig = n.get("original_max_position_embeddings");
        switch (rt) {
            case "default" -> {
                return null;
            }
            case "llama3" -> {
                return new RopeScaling(number(rs, "factor", 8, where), number(rs, "low_freq_factor", 1, where),
                        number(rs, "high_freq_factor", 4, where), optInt(rs, "original_max_position_embeddings", 8192, where + ": rope_scaling"));
            }
            case "linear" -> {
                return new RopeScaling(number(rs, "factor", Double.NaN, where), 0, 0, maxPos, RopeScaling.Type.LINEAR, 1.0, 0, 0, false, null, null);
            }
            case "dynamic" -> {
                return new RopeScaling(number(rs, "factor", Double.NaN, where), 0, 0, maxPos, RopeScaling.Type.DYNAMIC, 1.0, 0, 0, false, null, null);
            }
            case "yarn" -> {
                double factor = number(rs, "factor", Double.NaN, where);
                int orig = (int) number(rs, "original_max_position_embeddings",
                        topOrig != null && topOrig.isIntegralNumber() ? topOrig.asInt() : maxPos, where);
                double mscale = number(rs, "mscale", 0, where);
                double mscaleAll = number(rs, "mscale_all_dim", 0, where);
                double att = rs.hasNonNull("attention_factor") ? number(rs, "attention_factor", 1, where)
                        : mscale != 0 && mscaleAll != 0 ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAll) : yarnMscale(factor, 1);
                return new RopeScaling(factor, 0, 0, orig, RopeScaling.Type.YARN, att, number(rs, "beta_fast", 32, where),
                        number(rs, "beta_slow", 1, where), rs.path("truncate").asBoolean(true), null, null);
            }
            case "longrope" -> {
                int orig = topOrig != null && topOrig.isIntegralNumber() ? topOrig.asInt()
                        : (int) number(rs, "original_max_position_embeddings", maxPos, where);
                double factor = topOrig != null && topOrig.isIntegralNumber() ? (double) maxPos / orig : number(rs, "factor", 1, where);
                double att = rs.hasNonNull("attention_factor") ? number(rs, "attention_factor", 1, where)
                        : factor <= 1 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(orig));
                return new RopeScaling(factor, 0, 0, orig, RopeScaling.Type.LONGROPE, att, 0, 0, false,
                        factors(rs, "short_factor", headDim / 2, where), factors(rs, "long_factor", headDim / 2, where));
            }
            default -> throw new ModelFormatException(where + ": rope_scaling type '" + rt
                    + "' is not supported (expected llama3, linear, dynamic, yarn, longrope or none)");
        }
    }

    /** transformers' yarn get_mscale. */
    private static double yarnMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    private static double number(JsonNode o, String field, double def, String where) throws ModelFormatException {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            if (Double.isNaN(def)) {
                throw new ModelFormatException(where + ": rope_scaling." + field + " is missing (expected a number)");
            }
            return def;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new ModelFormatException(where + ": rope_scaling." + field + " is " + v + " (expected a finite number)");
        }
        return v.asDouble();
    }

    private static java.util.List<Double> factors(JsonNode o, String field, int n, String where) throws ModelFormatException {
        JsonNode v = o.get(field);
        if (v == null || !v.isArray() || v.size() != n) {
            throw new ModelFormatException(where + ": rope_scaling." + field + " is " + (v == null ? "missing" : v.isArray() ? v.size() + " numbers" : v.getNodeType())
                    + " (expected " + n + " numbers, one per pair of head_dim)");
        }
        java.util.List<Double> out = new java.util.ArrayList<>();
        for (JsonNode x : v) {
            if (!x.isNumber() || !(x.asDouble() > 0) || !Double.isFinite(x.asDouble())) {
                throw new ModelFormatException(where + ": rope_scaling." + field + " has " + x + " (expected positive finite numbers)");
            }
            out.add(x.asDouble());
        }
        return out;
    }

    /**
     * The ids of an {@code eos_token_id} field (config.json or generation_config.json): an integer, a list of
     * them, or absent/null (none). Anything else is refused.
     */
    public static java.util.List<Integer> eosIds(JsonNode e, String where) throws ModelFormatException {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        if (e == null || e.isNull()) {
            return out;
        }
        if (e.isArray() && e.size() > 1024) {
            throw new ModelFormatException(where + ": eos_token_id lists " + e.size() + " ids (expected at most 1024)");
        }
        for (JsonNode x : e.isArray() ? e : java.util.List.of(e)) {
            if (!x.isIntegralNumber() || !x.canConvertToInt() || x.asInt() < 0) {
                throw new ModelFormatException(where + ": eos_token_id has " + x + " (expected non-negative integer token ids)");
            }
            if (!out.contains(x.asInt())) {
                out.add(x.asInt());
            }
        }
        return out;
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
