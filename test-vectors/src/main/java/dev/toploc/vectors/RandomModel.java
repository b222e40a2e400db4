package dev.toploc.vectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Writes HuggingFace folders of random models with real architectures' shapes (fewer layers, and a
 * smaller vocabulary when asked), for tests, benchmarks and calibration: {@code config.json} plus
 * safetensors files, sharded with {@code model.safetensors.index.json} when {@code shards > 1}.
 * Weights are N(0, 0.02) as {@code transformers} initializes them, norms are 1 + N(0, 0.02); a fixed seed
 * gives the same bytes.
 */
public final class RandomModel {
    private RandomModel() {
    }

    /** A shape: the fields of config.json that matter. */
    public record Shape(String modelType, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim,
                        int vocab, boolean tieEmbeddings, double ropeTheta, boolean llama3RopeScaling, int slidingWindow) {

        /** Qwen2.5-0.5B's widths (896 hidden, 14 heads, 2 KV heads, QKV bias, tied embeddings). */
        public static Shape qwen25(int layers, int vocab) {
            return new Shape("qwen2", 896, 4864, layers, 14, 2, 64, vocab, true, 1_000_000.0, false, 0);
        }

        /** Qwen3-0.6B's widths (1024 hidden, 16 heads of 128 over 8 KV heads: heads x head_dim != hidden, q/k norms, tied embeddings). */
        public static Shape qwen3(int layers, int vocab) {
            return new Shape("qwen3", 1024, 3072, layers, 16, 8, 128, vocab, true, 1_000_000.0, false, 0);
        }

        /** Llama-3-8B's widths (4096 hidden, 32 heads, 8 KV heads, 14336 MLP) with Llama 3.1 rope scaling. */
        public static Shape llama3_8b(int layers, int vocab) {
            return new Shape("llama", 4096, 14336, layers, 32, 8, 128, vocab, false, 500_000.0, true, 0);
        }

        /** A 2048-wide Llama (TinyLlama-1.1B widths: 32 heads, 4 KV heads, 5632 MLP). */
        public static Shape llama2048(int layers, int vocab) {
            return new Shape("llama", 2048, 5632, layers, 32, 4, 64, vocab, false, 10_000.0, false, 0);
        }

        /** Mistral-7B's head layout at a smaller width, with a sliding window. */
        public static Shape mistralSmall(int layers, int vocab, int window) {
            return new Shape("mistral", 512, 1376, layers, 8, 2, 64, vocab, false, 10_000.0, false, window);
        }
    }

    /** Writes the model into {@code dir} (created; must not contain a model already). */
    public static void write(Path dir, Shape s, String dtype, long seed, int shards) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add(switch (s.modelType()) {
            case "qwen2" -> "Qwen2ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            case "qwen3" -> "Qwen3ForCausalLM";
            default -> "LlamaForCausalLM";
        });
        c.put("model_type", s.modelType());
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.intermediate());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("head_dim", s.headDim());
        c.put("vocab_size", s.vocab());
        c.put("max_position_embeddings", 4096);
        c.put("rope_theta", s.ropeTheta());
        c.put("rms_norm_eps", 1e-6);
        c.put("tie_word_embeddings", s.tieEmbeddings());
        c.put("hidden_act", "silu");
        c.put("torch_dtype", dtype.equals("BF16") ? "bfloat16" : dtype.equals("F16") ? "float16" : "float32");
        if (s.llama3RopeScaling()) {
            ObjectNode rs = c.putObject("rope_scaling");
            rs.put("rope_type", "llama3");
            rs.put("factor", 8.0);
            rs.put("low_freq_factor", 1.0);
            rs.put("high_freq_factor", 4.0);
            rs.put("original_max_position_embeddings", 8192);
        }
        if (s.slidingWindow() > 0) {
            c.put("sliding_window", s.slidingWindow());
        }
        Files.writeString(dir.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(c));

        SplittableRandom root = new SplittableRandom(seed);
        // tensors go to shards in order, so each shard is written (and its bytes dropped) as soon as the next begins:
        // the heap holds one shard at a time, which is what lets an 8B-shaped model (15 GB of bf16) be written
        SafetensorsWriter[] open = {new SafetensorsWriter()};
        int[] current = {0};
        int d = s.hidden();
        int q = s.heads() * s.headDim();
        int kv = s.kvHeads() * s.headDim();
        ObjectNode index = json.createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        int[] next = {0};
        TensorSink sink = (name, shape, values) -> {
            int f = Math.min(shards - 1, next[0]++ * shards / (4 + 9 * s.layers()));
            while (current[0] < f) {
                open[0].write(dir.resolve(shardName(current[0]++, shards)));
                open[0] = new SafetensorsWriter();
            }
            open[0].add(name, dtype, shape, values);
            map.put(name, shardName(f, shards));
        };
        sink.put("model.embed_tokens.weight", new long[] {s.vocab(), d}, normal(root, s.vocab() * d, 0.02, 0));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            sink.put(p + "input_layernorm.weight", new long[] {d}, normal(root, d, 0.02, 1));
            sink.put(p + "self_attn.q_proj.weight", new long[] {q, d}, normal(root, q * d, 0.02, 0));
            sink.put(p + "self_attn.k_proj.weight", new long[] {kv, d}, normal(root, kv * d, 0.02, 0));
            sink.put(p + "self_attn.v_proj.weight", new long[] {kv, d}, normal(root, kv * d, 0.02, 0));
            if (s.modelType().equals("qwen2")) {
                sink.put(p + "self_attn.q_proj.bias", new long[] {q}, normal(root, q, 0.02, 0));
                sink.put(p + "self_attn.k_proj.bias", new long[] {kv}, normal(root, kv, 0.02, 0));
                sink.put(p + "self_attn.v_proj.bias", new long[] {kv}, normal(root, kv, 0.02, 0));
            }
            if (s.modelType().equals("qwen3")) {
                sink.put(p + "self_attn.q_norm.weight", new long[] {s.headDim()}, normal(root, s.headDim(), 0.02, 1));
                sink.put(p + "self_attn.k_norm.weight", new long[] {s.headDim()}, normal(root, s.headDim(), 0.02, 1));
            }
            sink.put(p + "self_attn.o_proj.weight", new long[] {d, q}, normal(root, d * q, 0.02, 0));
            sink.put(p + "post_attention_layernorm.weight", new long[] {d}, normal(root, d, 0.02, 1));
            sink.put(p + "mlp.gate_proj.weight", new long[] {s.intermediate(), d}, normal(root, s.intermediate() * d, 0.02, 0));
            sink.put(p + "mlp.up_proj.weight", new long[] {s.intermediate(), d}, normal(root, s.intermediate() * d, 0.02, 0));
            sink.put(p + "mlp.down_proj.weight", new long[] {d, s.intermediate()}, normal(root, d * s.intermediate(), 0.02, 0));
        }
        sink.put("model.norm.weight", new long[] {d}, normal(root, d, 0.02, 1));
        if (!s.tieEmbeddings()) {
            sink.put("lm_head.weight", new long[] {s.vocab(), d}, normal(root, s.vocab() * d, 0.02, 0));
        }
        while (current[0] < shards) {
            open[0].write(dir.resolve(shardName(current[0]++, shards)));
            open[0] = new SafetensorsWriter();
        }
        if (shards > 1) {
            Files.writeString(dir.resolve("model.safetensors.index.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(index));
        }
    }

    private interface TensorSink {
        void put(String name, long[] shape, float[] values) throws IOException;
    }

    private static String shardName(int f, int shards) {
        return shards == 1 ? "model.safetensors" : String.format("model-%05d-of-%05d.safetensors", f + 1, shards);
    }

    private static float[] normal(SplittableRandom root, int n, double std, double mean) {
        Random r = new Random(root.nextLong());
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (mean + std * r.nextGaussian());
        }
        return v;
    }
}
