package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.vectors.TestVectors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FP8 checkpoints as the loader sees them: the two committed oracle folders (made by
 * {@code scripts/oracle/golden.py}: quant_method fp8 with 128 x 128 block scales, and compressed-tensors with
 * per-tensor and per-channel scales) load, and every variation of their {@code quantization_config} or
 * tensors that the runtime cannot compute exactly is refused with a message naming what was wrong.
 */
class Fp8CheckpointTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path BLOCK = TestVectors.root().resolve("oracle/llama-fp8-block");
    static final Path CT = TestVectors.root().resolve("oracle/qwen3-fp8-ct");

    @TempDir
    Path tmp;

    /** A copy of {@code src} with its config edited and its weights' bytes edited. */
    Path variant(Path src, Consumer<ObjectNode> config, Consumer<byte[]> weights) throws IOException {
        Path d = Files.createTempDirectory(tmp, "fp8");
        ObjectNode cfg = (ObjectNode) JSON.readTree(src.resolve("config.json").toFile());
        config.accept(cfg);
        Files.writeString(d.resolve("config.json"), JSON.writeValueAsString(cfg));
        byte[] st = Files.readAllBytes(src.resolve("model.safetensors"));
        weights.accept(st);
        Files.write(d.resolve("model.safetensors"), st);
        return d;
    }

    static ObjectNode q(ObjectNode cfg) {
        return (ObjectNode) cfg.get("quantization_config");
    }

    String refusal(Path dir) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.load(dir).close());
        return e.getMessage();
    }

    void refused(Path src, Consumer<ObjectNode> config, Consumer<byte[]> weights, String... expected) throws IOException {
        String m = refusal(variant(src, config, weights));
        for (String x : expected) {
            assertTrue(m.contains(x), "expected '" + x + "' in: " + m);
        }
    }

    void refused(Path src, Consumer<ObjectNode> config, String... expected) throws IOException {
        refused(src, config, b -> { }, expected);
    }

    /** Absolute offset of tensor {@code name}'s data in safetensors bytes {@code st}. */
    static int dataOffset(byte[] st, String name) {
        long n = ByteBuffer.wrap(st).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode h;
        try {
            h = JSON.readTree(new String(st, 8, (int) n, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return (int) (8 + n + h.get(name).get("data_offsets").get(0).asLong());
    }

    static void rename(byte[] st, String from, String to) {
        String s = new String(st, StandardCharsets.ISO_8859_1);
        int at = s.indexOf("\"" + from + "\"");
        assertTrue(at > 0 && from.length() == to.length());
        System.arraycopy(to.getBytes(StandardCharsets.ISO_8859_1), 0, st, at + 1, to.length());
    }

    @Test
    void theCommittedFp8Folders_load_asTheirConfigsSay() throws Exception {
        try (Model m = Model.load(BLOCK)) {
            assertTrue(m.config().quantization().method() == Quantization.Method.FP8_BLOCK && m.config().quantization().blockRows() == 128);
        }
        try (Model m = Model.load(CT)) {
            assertTrue(m.config().quantization().method() == Quantization.Method.COMPRESSED_TENSORS && m.config().quantization().groups().size() == 2);
        }
        // the control for the refusals below: an unchanged copy loads
        Model.load(variant(BLOCK, c -> { }, b -> { })).close();
    }

    static Quantization parse(String quantizationConfig) throws ModelFormatException {
        String cfg = "{\"model_type\": \"qwen3\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, "
                + "\"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"head_dim\": 32, \"vocab_size\": 320, "
                + "\"quantization_config\": " + quantizationConfig + "}";
        return ModelConfig.parse(cfg.getBytes(StandardCharsets.UTF_8), "config.json").quantization();
    }

    @Test
    void theFieldSetsRealCheckpointsShip_parse_andMatchAsTheirToolsDo() throws Exception {
        // DeepSeek-V3 / Qwen3-FP8
        Quantization fp8 = parse("{\"activation_scheme\": \"dynamic\", \"fmt\": \"e4m3\", \"quant_method\": \"fp8\", "
                + "\"weight_block_size\": [128, 128], \"modules_to_not_convert\": [\"model.layers.*.mlp.gate\"]}");
        Quantization.Matcher m = fp8.matcher();
        assertTrue(m.scheme("model.layers.3.self_attn.q_proj", 256, 64).quantized());
        assertTrue(m.scheme("model.layers.3.self_attn.q_proj", 256, 64).scaleName().equals("model.layers.3.self_attn.q_proj.weight_scale_inv"));
        assertFalse(m.scheme("model.layers.12.mlp.gate", 8, 64).quantized());     // transformers: numbers as *
        assertFalse(m.scheme("lm_head", 320, 64).quantized());                      // always, as transformers adds it
        // llm-compressor FP8-dynamic (all the fields it writes, observer settings and empty sparsity/transform configs included)
        String act = "{\"actorder\": null, \"block_structure\": null, \"dynamic\": true, \"group_size\": null, \"num_bits\": 8, "
                + "\"observer\": null, \"observer_kwargs\": {}, \"strategy\": \"token\", \"symmetric\": true, \"type\": \"float\"}";
        String w = "{\"actorder\": null, \"block_structure\": null, \"dynamic\": false, \"group_size\": null, \"num_bits\": 8, "
                + "\"observer\": \"minmax\", \"observer_kwargs\": {}, \"scale_dtype\": null, \"strategy\": \"channel\", \"symmetric\": true, "
                + "\"type\": \"float\", \"zp_dtype\": null}";
        Quantization ct = parse("{\"config_groups\": {\"group_0\": {\"input_activations\": " + act + ", \"output_activations\": null, "
                + "\"targets\": [\"Linear\"], \"weights\": " + w + "}}, \"format\": \"float-quantized\", \"global_compression_ratio\": null, "
                + "\"ignore\": [\"lm_head\", \"re:.*mlp\\\\.gate$\"], \"kv_cache_scheme\": null, \"quant_method\": \"compressed-tensors\", "
                + "\"quantization_status\": \"compressed\", \"sparsity_config\": {}, \"transform_config\": {}, \"version\": \"0.12.2\"}");
        Quantization.Matcher c = ct.matcher();
        Quantization.Scheme q = c.scheme("model.layers.0.self_attn.q_proj", 128, 64);
        assertTrue(q.quantized() && q.blockRows() == 1 && q.blockCols() == 64 && q.scaleName().equals("model.layers.0.self_attn.q_proj.weight_scale"));
        assertFalse(c.scheme("lm_head", 320, 64).quantized());
        assertFalse(c.scheme("model.layers.1.mlp.gate", 8, 64).quantized());
        assertTrue(c.scheme("model.layers.1.mlp.gate_proj", 128, 64).quantized());    // re.match: "gate$" does not end "gate_proj"
        // the steps of all matches of a load are bounded: large patterns over many modules are refused, not run for minutes
        Quantization.Matcher small = ct.matcher(200);
        small.scheme("model.layers.0.self_attn.q_proj", 128, 64);
        ModelFormatException spent = assertThrows(ModelFormatException.class, () -> {
            for (int i = 0; i < 100; i++) {
                small.scheme("model.layers." + i + ".self_attn.q_proj", 128, 64);
            }
        });
        assertTrue(spent.getMessage().contains("quantization_config's patterns need more than 200 steps to match the module names"), spent.getMessage());
    }

    @Test
    void blockScaled_refusesWhatItCannotComputeExactly() throws Exception {
        refused(BLOCK, c -> q(c).put("quant_method", "gptq"), "quant_method 'gptq' is not supported", "expected fp8");
        refused(BLOCK, c -> q(c).put("fmt", "e5m2"), "fmt 'e5m2' is not supported", "e4m3");
        refused(BLOCK, c -> q(c).put("activation_scheme", "static"), "activation_scheme 'static' is not supported");
        refused(BLOCK, c -> q(c).remove("weight_block_size"), "weight_block_size is missing");
        refused(BLOCK, c -> q(c).putArray("weight_block_size").add(128).add(0), "weight_block_size is [128,0]");
        refused(BLOCK, c -> q(c).put("kv_cache_quant", true), "quantization_config.kv_cache_quant is not supported");
        // scales of another block size: their shape no longer matches
        refused(BLOCK, c -> ((ArrayNode) q(c).get("weight_block_size")).set(0, 64), "q_proj.weight_scale_inv' has shape [2, 2]", "expected [4, 2]: one scale per 64 x 128 block");
        // modules kept unquantized must not be fp8
        refused(BLOCK, c -> q(c).putArray("modules_to_not_convert").add("mlp.down_proj"),
                "down_proj.weight' is F8_E4M3 but quantization_config leaves module", "modules_to_not_convert");
        refused(BLOCK, c -> c.remove("quantization_config"), "is F8_E4M3 but config.json has no quantization_config");
    }

    @Test
    void blockScaled_refusesBadTensors() throws Exception {
        String w = "model.layers.1.mlp.up_proj.weight";
        refused(BLOCK, c -> { }, b -> b[dataOffset(b, w) + 300] = 0x7F, w, "NaN encoding", "element 300 ");
        refused(BLOCK, c -> { }, b -> b[dataOffset(b, w) + 5] = (byte) 0xFF, "NaN encoding");
        refused(BLOCK, c -> { }, b -> rename(b, "model.layers.0.mlp.down_proj.weight_scale_inv", "model.layers.0.mlp.down_proj.weight_scale_inx"),
                "model.layers.0.mlp.down_proj.weight_scale_inv' (the scales of the F8_E4M3", "is missing");
        refused(BLOCK, c -> { }, b -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(dataOffset(b, "model.layers.0.self_attn.o_proj.weight_scale_inv") + 4, 0x7F800000), "fp8 scale Infinity");
        refused(BLOCK, c -> { }, b -> rename(b, "F8_E4M3", "F8_E5M2"), "dtype F8_E5M2", "expected F8_E4M3");
    }

    static ObjectNode group(ObjectNode cfg, int i) {
        return (ObjectNode) q(cfg).get("config_groups").get("group_" + i);
    }

    @Test
    void compressedTensors_refusesWhatItCannotComputeExactly() throws Exception {
        refused(CT, c -> ((ObjectNode) group(c, 0).get("input_activations")).put("dynamic", false),
                "group_0.input_activations.dynamic is false", "static activation scales (input_scale) are not supported");
        refused(CT, c -> ((ObjectNode) group(c, 1).get("weights")).put("strategy", "group"), "strategy 'group' is not supported");
        refused(CT, c -> ((ObjectNode) group(c, 1).get("weights")).put("num_bits", 4), "num_bits 4", "expected 8-bit float");
        refused(CT, c -> ((ObjectNode) group(c, 1).get("weights")).put("type", "int"), "type \"int\"");
        refused(CT, c -> ((ObjectNode) group(c, 1).get("weights")).put("symmetric", false), "expected symmetric");
        refused(CT, c -> q(c).put("format", "pack-quantized"), "format 'pack-quantized' is not supported");
        refused(CT, c -> q(c).putObject("kv_cache_scheme").put("num_bits", 8), "kv_cache_scheme is not supported");
        refused(CT, c -> q(c).putObject("transform_config").putObject("config_groups"), "transform_config is not supported");
        refused(CT, c -> q(c).putObject("sparsity_config").put("format", "sparse-24-bitmask"), "sparsity_config is not supported");
        refused(CT, c -> group(c, 0).putObject("output_activations").put("num_bits", 8), "output_activations is not supported");
        refused(CT, c -> group(c, 0).putArray("targets").add("LlamaDecoderLayer"), "targets has the class 'LlamaDecoderLayer'");
        refused(CT, c -> group(c, 0).putArray("targets").add("re:(unclosed"), "does not compile");
        refused(CT, c -> group(c, 0).putArray("targets").add("re:(?=lookahead)"), "the group extension '(?='");
        // a pattern that would backtrack exponentially in a backtracking engine matches in linear time: it ignores nothing here
        Model.load(variant(CT, c -> ((ArrayNode) q(c).get("ignore")).add("re:(.*?){12}Z"), b -> { })).close();
        // the ignore list is honoured: an ignored module stored as fp8 is refused
        refused(CT, c -> ((ArrayNode) q(c).get("ignore")).add("re:.*mlp\\.up_proj$"), "up_proj.weight' is F8_E4M3 but quantization_config leaves module",
                "ignore");
        // a module no group targets must not be fp8
        refused(CT, c -> ((ObjectNode) q(c).get("config_groups")).remove("group_1"), "F8_E4M3 but quantization_config leaves module");
        // a targeted module must be fp8 (the LM head is bf16 here)
        refused(CT, c -> {
            q(c).putArray("ignore");
            group(c, 1).putArray("targets").add("Linear");
        }, "lm_head.weight' has dtype BF16 (expected F8_E4M3: quantization_config quantizes module 'lm_head'");
        // a per-tensor group's scales are one value: the per-channel scales of the MLP are not
        refused(CT, c -> ((ObjectNode) group(c, 1).get("weights")).put("strategy", "tensor"), "weight_scale' has shape [128, 1]", "expected [] or [1]");
    }
}
