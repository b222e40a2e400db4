package dev.toploc.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code config.json}'s {@code quantization_config}, for the FP8 checkpoints the runtime reads: which
 * projection matrices are stored as OCP FP8 E4M3 and how their scales are laid out. Everything else is
 * refused when the config is read, naming the field and what is supported.
 *
 * <ul>
 *   <li>{@code "quant_method": "fp8"} (DeepSeek-V3, Qwen3-FP8; transformers' {@code FineGrainedFP8Config}):
 *       {@code fmt} {@code e4m3} (or absent), {@code activation_scheme} {@code dynamic} (or absent),
 *       {@code weight_block_size [rows, cols]}; a weight {@code W.weight} in {@code F8_E4M3} has
 *       {@code W.weight_scale_inv} of {@code ceil(rows/br) x ceil(cols/bc)}, value = fp8 x scale_inv.
 *       {@code modules_to_not_convert} (vLLM: {@code ignored_layers}) names modules kept unquantized, matched as
 *       transformers does (the key a substring of the module name, or of it with every number replaced by
 *       {@code *}; {@code lm_head} always, as there); such a module stored as fp8 is refused. Other matrices are read as their dtype says (the
 *       checkpoints keep routers, embeddings and the LM head in bf16 without listing them).</li>
 *   <li>{@code "quant_method": "compressed-tensors"} (llm-compressor, vLLM), format {@code float-quantized} or
 *       {@code naive-quantized} (top level or per group): each group of {@code config_groups} has
 *       {@code targets} ({@code Linear}, exact module names, or {@code re:} patterns matched from the start of the
 *       name as Python's {@code re.match}, by {@link ModulePattern}: never {@code java.util.regex}) and {@code weights} {@code {num_bits 8, type float, symmetric,
 *       strategy tensor | channel | block (block_structure)}}; {@code W.weight_scale} is {@code []}/{@code [1]},
 *       {@code [rows, 1]} or the block grid; value = fp8 x scale. {@code ignore} (names, {@code re:} patterns)
 *       is honoured: an ignored module must not be fp8, a targeted one must be. Activation quantization must be
 *       dynamic or absent: static {@code input_activations} ({@code input_scale}) are refused, as are
 *       {@code output_activations}, {@code kv_cache_scheme}, sparsity and transforms.</li>
 * </ul>
 *
 * <p>Dynamic activation quantization (W8A8: the engine rounds each token's activations to fp8 before its
 * matmuls) is not emulated: the runtime multiplies the exactly dequantized weights with activations in the
 * compute mode's precision. The difference is part of what calibration on such a model measures.
 *
 * @param method     which format
 * @param notConvert fp8: {@code modules_to_not_convert}; compressed-tensors: {@code ignore}
 * @param groups     compressed-tensors' groups (empty for fp8)
 * @param blockRows  fp8: {@code weight_block_size[0]}
 * @param blockCols  fp8: {@code weight_block_size[1]}
 */
public record Quantization(Method method, List<String> notConvert, List<Group> groups, int blockRows, int blockCols) {
    /** The formats. */
    public enum Method {
        /** {@code quant_method: fp8}, block scales {@code weight_scale_inv}. */
        FP8_BLOCK,
        /** {@code quant_method: compressed-tensors}, scales {@code weight_scale}. */
        COMPRESSED_TENSORS
    }

    /** How one matrix's scales are laid out. */
    public enum Strategy {
        TENSOR, CHANNEL, BLOCK
    }

    /** A compressed-tensors config group. */
    public record Group(String name, List<String> targets, Strategy strategy, int blockRows, int blockCols) {
        public Group {
            targets = List.copyOf(targets);
        }
    }

    /**
     * How matrix {@code module} (its name without {@code .weight}) of {@code rows x cols} is stored.
     *
     * @param quantized whether the config says it is fp8
     * @param scaleName the scale tensor's name
     * @param blockRows rows per scale block
     * @param blockCols columns per scale block
     */
    public record Scheme(boolean quantized, String scaleName, int blockRows, int blockCols) {
    }

    public Quantization {
        notConvert = List.copyOf(notConvert);
        groups = List.copyOf(groups);
    }

    /** Matches module names against this config, for one model load: the patterns compiled once, matching work bounded. */
    public Matcher matcher() {
        return new Matcher(TOTAL_BUDGET);
    }

    /** A matcher whose matches together may take {@code budget} automaton steps (tests). */
    Matcher matcher(long budget) {
        return new Matcher(budget);
    }

    /**
     * Decides each module's {@link Scheme}. {@code re:} patterns come from an untrusted config and run on
     * {@link ModulePattern}, which never backtracks; every step of all matches of a load together counts against
     * {@link #TOTAL_BUDGET}, so many large patterns over many modules are refused instead of stalling the verifier.
     */
    public final class Matcher {
        private final List<ModulePattern> skip = new ArrayList<>();
        private final List<List<ModulePattern>> targets = new ArrayList<>();
        private final long budget;
        private final long[] total;

        private Matcher(long budget) {
            this.budget = budget;
            this.total = new long[] {budget};
            for (String k : notConvert) {
                skip.add(method == Method.FP8_BLOCK ? null : compiled(k));
            }
            for (Group g : groups) {
                List<ModulePattern> t = new ArrayList<>();
                for (String x : g.targets()) {
                    t.add(compiled(x));
                }
                targets.add(t);
            }
        }

        /** The pattern of a {@code re:} target (checked when the config was read), null for a name. */
        private static ModulePattern compiled(String target) {
            try {
                return target.startsWith("re:") ? ModulePattern.compile(target.substring(3)) : null;
            } catch (ModulePattern.Unsupported e) {
                throw new IllegalStateException("a pattern accepted when the config was read no longer compiles", e);
            }
        }

        /** {@code module}'s scheme (its name without {@code .weight}): not quantized (ignored, or not a target) or fp8 with where its scales lie. */
        public Scheme scheme(String module, int rows, int cols) throws ModelFormatException {
            if (method == Method.FP8_BLOCK) {
                String starred = module.replaceAll("\\d+", "*");
                for (String k : notConvert) {
                    if (module.contains(k) || starred.contains(k)) {
                        return new Scheme(false, null, 0, 0);
                    }
                }
                return new Scheme(true, module + ".weight_scale_inv", blockRows, blockCols);
            }
            for (int i = 0; i < notConvert.size(); i++) {
                if (matches(module, notConvert.get(i), skip.get(i))) {
                    return new Scheme(false, null, 0, 0);
                }
            }
            for (int gi = 0; gi < groups.size(); gi++) {
                Group g = groups.get(gi);
                for (int i = 0; i < g.targets().size(); i++) {
                    if (matches(module, g.targets().get(i), targets.get(gi).get(i))) {
                        return switch (g.strategy()) {
                            case TENSOR -> new Scheme(true, module + ".weight_scale", rows, cols);
                            case CHANNEL -> new Scheme(true, module + ".weight_scale", 1, cols);
                            case BLOCK -> new Scheme(true, module + ".weight_scale", g.blockRows(), g.blockCols());
                        };
                    }
                }
            }
            return new Scheme(false, null, 0, 0);
        }

        /** compressed-tensors' target matching; every matrix the runtime reads is a {@code Linear}. */
        private boolean matches(String module, String target, ModulePattern p) throws ModelFormatException {
            if (p == null) {
                return target.equals("Linear") || target.equals(module);
            }
            try {
                return p.lookingAt(module, total);
            } catch (ModulePattern.BudgetSpent e) {
                throw new ModelFormatException("config.json: quantization_config's patterns need more than " + budget
                        + " steps to match the module names (spent at '" + target + "' on '" + module + "'; expected simple patterns)");
            }
        }
    }

    /**
     * The automaton steps all {@code re:} matches of one load may take together: a real target such as
     * {@code .*mlp\.gate$} takes a few hundred steps per module name, so a 36K-module MoE with ten patterns needs
     * ~10^8; the bound is a few seconds of matching.
     */
    static final long TOTAL_BUDGET = 1_000_000_000;

    private static final Set<String> FP8_KEYS = Set.of("quant_method", "fmt", "activation_scheme", "weight_block_size",
            "modules_to_not_convert", "ignored_layers");
    private static final Set<String> CT_KEYS = Set.of("quant_method", "format", "config_groups", "ignore", "quantization_status",
            "global_compression_ratio", "kv_cache_scheme", "sparsity_config", "transform_config", "version", "provider");
    private static final Set<String> GROUP_KEYS = Set.of("targets", "weights", "input_activations", "output_activations", "format");
    private static final Set<String> FORMATS = Set.of("float-quantized", "naive-quantized");

    /** The most entries of a module list (ignore lists of real checkpoints have up to a few hundred). */
    static final int MAX_NAMES = 1024;
    /** The longest module name or pattern accepted (real ones have under 200 characters; a bound keeps regex compilation shallow). */
    static final int MAX_NAME = 1000;

    /** The largest block side accepted (real checkpoints use 128). */
    static final int MAX_BLOCK = ModelConfig.MAX_DIM;

    /** Reads {@code quantization_config} of config.json's root {@code n}: null when absent or null. */
    static Quantization parse(JsonNode n, String where) throws ModelFormatException {
        JsonNode q = n.get("quantization_config");
        if (q == null || q.isNull()) {
            return null;
        }
        String at = where + ": quantization_config";
        if (!q.isObject()) {
            throw new ModelFormatException(at + " is " + q.getNodeType() + " (expected an object)");
        }
        String method = q.path("quant_method").asText("");
        return switch (method) {
            case "fp8" -> fp8(q, at);
            case "compressed-tensors" -> compressedTensors(q, at);
            default -> throw new ModelFormatException(at + ".quant_method '" + (q.has("quant_method") ? q.get("quant_method").asText() : "")
                    + "' is not supported (expected fp8 (e4m3, 128x128 block scales) or compressed-tensors (FP8 float-quantized))");
        };
    }

    private static void knownKeys(JsonNode o, Set<String> known, String at) throws ModelFormatException {
        for (var e : o.properties()) {
            if (!known.contains(e.getKey())) {
                throw new ModelFormatException(at + "." + e.getKey() + " is not supported (expected only " + new java.util.TreeSet<>(known) + ")");
            }
        }
    }

    private static Quantization fp8(JsonNode q, String at) throws ModelFormatException {
        knownKeys(q, FP8_KEYS, at);
        String fmt = q.path("fmt").asText("e4m3");
        if (!fmt.equals("e4m3")) {
            throw new ModelFormatException(at + ".fmt '" + fmt + "' is not supported (expected e4m3)");
        }
        String act = q.path("activation_scheme").asText("dynamic");
        if (!act.equals("dynamic")) {
            throw new ModelFormatException(at + ".activation_scheme '" + act
                    + "' is not supported (expected dynamic: static activation scales are not applied by this runtime)");
        }
        int[] block = block(q.get("weight_block_size"), at + ".weight_block_size");
        List<String> skip = names(q.get("modules_to_not_convert"), at + ".modules_to_not_convert");
        skip.addAll(names(q.get("ignored_layers"), at + ".ignored_layers"));
        skip.add("lm_head");       // as transformers' replace_with_fp8_linear: the LM head is never converted
        return new Quantization(Method.FP8_BLOCK, skip, List.of(), block[0], block[1]);
    }

    private static int[] block(JsonNode b, String at) throws ModelFormatException {
        if (b == null || !b.isArray() || b.size() != 2 || !positiveInt(b.get(0)) || !positiveInt(b.get(1))
                || b.get(0).asInt() > MAX_BLOCK || b.get(1).asInt() > MAX_BLOCK) {
            throw new ModelFormatException(at + " is " + (b == null ? "missing" : b.toString())
                    + " (expected [rows, cols] of positive integers, e.g. [128, 128])");
        }
        return new int[] {b.get(0).asInt(), b.get(1).asInt()};
    }

    private static boolean positiveInt(JsonNode x) {
        return x.isIntegralNumber() && x.canConvertToInt() && x.asInt() > 0;
    }

    private static List<String> names(JsonNode a, String at) throws ModelFormatException {
        List<String> out = new ArrayList<>();
        if (a == null || a.isNull()) {
            return out;
        }
        if (!a.isArray() || a.size() > MAX_NAMES) {
            throw new ModelFormatException(at + " is " + a.getNodeType() + (a.isArray() ? " of " + a.size() : "") + " (expected a list of module names)");
        }
        for (JsonNode x : a) {
            if (!x.isTextual() || x.asText().isEmpty() || x.asText().length() > MAX_NAME) {
                throw new ModelFormatException(at + " has " + (x.isTextual() && x.asText().length() > MAX_NAME ? "a name of " + x.asText().length()
                        + " characters" : x) + " (expected non-empty module names or patterns of at most " + MAX_NAME + " characters)");
            }
            if (x.asText().startsWith("re:")) {
                try {
                    ModulePattern.compile(x.asText().substring(3));
                } catch (ModulePattern.Unsupported e) {
                    throw new ModelFormatException(at + " has the pattern " + x + " that does not compile: " + e.getMessage()
                            + " (expected Python re syntax of literals, classes, groups, alternation and repeats)");
                }
            }
            out.add(x.asText());
        }
        return out;
    }

    private static Quantization compressedTensors(JsonNode q, String at) throws ModelFormatException {
        knownKeys(q, CT_KEYS, at);
        // recent llm-compressor writes "sparsity_config": {} and "transform_config": {} when there are none
        for (String k : List.of("kv_cache_scheme", "transform_config", "sparsity_config")) {
            JsonNode v = q.get(k);
            if (v != null && !v.isNull() && !(v.isObject() && v.isEmpty())) {
                throw new ModelFormatException(at + "." + k + " is not supported (expected null or {}: the runtime applies no "
                        + k.replace("_config", "").replace("_scheme", "").replace('_', ' ') + ")");
            }
        }
        String topFormat = q.path("format").asText("");
        JsonNode groups = q.get("config_groups");
        if (groups == null || !groups.isObject() || groups.isEmpty()) {
            throw new ModelFormatException(at + ".config_groups is " + (groups == null ? "missing" : groups.toString())
                    + " (expected an object of groups, each with targets and weights)");
        }
        List<Group> out = new ArrayList<>();
        for (var e : groups.properties()) {
            String ga = at + ".config_groups." + e.getKey();
            JsonNode g = e.getValue();
            if (!g.isObject()) {
                throw new ModelFormatException(ga + " is not an object");
            }
            knownKeys(g, GROUP_KEYS, ga);
            String format = g.path("format").asText(topFormat);
            if (!FORMATS.contains(format)) {
                throw new ModelFormatException(ga + ": format '" + format + "' is not supported (expected float-quantized or naive-quantized)");
            }
            List<String> targets = names(g.get("targets"), ga + ".targets");
            for (String t : targets) {
                if (!t.startsWith("re:") && Character.isUpperCase(t.charAt(0)) && !t.equals("Linear")) {
                    throw new ModelFormatException(ga + ".targets has the class '" + t + "' (expected Linear, module names or re: patterns)");
                }
            }
            if (targets.isEmpty()) {
                throw new ModelFormatException(ga + ".targets is empty (expected Linear, module names or re: patterns)");
            }
            JsonNode w = g.get("weights");
            if (w == null || !w.isObject()) {
                throw new ModelFormatException(ga + ".weights is " + (w == null ? "missing" : w.getNodeType()) + " (expected the weights' quantization)");
            }
            String wa = ga + ".weights";
            if (w.path("num_bits").asInt(-1) != 8 || !w.path("type").asText("").equals("float")) {
                throw new ModelFormatException(wa + ": num_bits " + w.get("num_bits") + ", type " + w.get("type")
                        + " is not supported (expected 8-bit float: FP8 E4M3)");
            }
            if (!w.path("symmetric").asBoolean(true) || w.path("dynamic").asBoolean(false)) {
                throw new ModelFormatException(wa + ": symmetric " + w.get("symmetric") + ", dynamic " + w.get("dynamic")
                        + " is not supported (expected symmetric, static weight scales)");
            }
            if (w.hasNonNull("actorder") || (w.hasNonNull("group_size") && !w.path("strategy").asText("").equals("group"))) {
                throw new ModelFormatException(wa + ": actorder/group_size is not supported (expected null)");
            }
            String strategy = w.path("strategy").asText("");
            Group grp = switch (strategy) {
                case "tensor" -> new Group(e.getKey(), targets, Strategy.TENSOR, 0, 0);
                case "channel" -> new Group(e.getKey(), targets, Strategy.CHANNEL, 0, 0);
                case "block" -> {
                    int[] b = block(w.get("block_structure"), wa + ".block_structure");
                    yield new Group(e.getKey(), targets, Strategy.BLOCK, b[0], b[1]);
                }
                default -> throw new ModelFormatException(wa + ".strategy '" + strategy + "' is not supported (expected tensor, channel or block)");
            };
            JsonNode in = g.get("input_activations");
            if (in != null && !in.isNull()) {
                if (!in.path("dynamic").isBoolean() || !in.path("dynamic").asBoolean()) {
                    throw new ModelFormatException(ga + ".input_activations.dynamic is " + in.get("dynamic")
                            + " (expected true, or no input_activations: static activation scales (input_scale) are not supported)");
                }
                if (in.path("num_bits").asInt(-1) != 8 || !in.path("type").asText("").equals("float")) {
                    throw new ModelFormatException(ga + ".input_activations: num_bits " + in.get("num_bits") + ", type " + in.get("type")
                            + " is not supported (expected dynamic 8-bit float)");
                }
            }
            if (g.hasNonNull("output_activations")) {
                throw new ModelFormatException(ga + ".output_activations is not supported (expected null)");
            }
            out.add(grp);
        }
        return new Quantization(Method.COMPRESSED_TENSORS, names(q.get("ignore"), at + ".ignore"), out, 0, 0);
    }
}
