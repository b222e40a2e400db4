package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.VerificationException;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.vectors.TestVectors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EOS sets (config.json lists, generation_config.json) in the generator and the verifier's termination
 * rule, and the new architectures' config parsing: what is read, and what is refused with a message.
 */
class EosAndConfigTest {
    static final Path TINY = TestVectors.model("tiny-fortunes-llama");
    static final String BASE = "\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":4,\"num_attention_heads\":4,"
            + "\"num_key_value_heads\":2,\"vocab_size\":300";

    static ModelConfig parse(String extra) throws ModelFormatException {
        return ModelConfig.parse(("{" + BASE + "," + extra + "}").getBytes(StandardCharsets.UTF_8), "config.json");
    }

    static String refusal(String extra) {
        return assertThrows(ModelFormatException.class, () -> parse(extra)).getMessage();
    }

    /** The tiny model with generation_config.json's eos_token_id replaced by {@code eos} (weights linked). */
    static Path tinyWithEos(Path dir, String eos) throws Exception {
        Files.copy(TINY.resolve("config.json"), dir.resolve("config.json"));
        Files.createSymbolicLink(dir.resolve("model.safetensors"), TINY.resolve("model.safetensors").toAbsolutePath());
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": " + eos + "}");
        return dir;
    }

    @Test
    void eosIdsOfConfigAndGenerationConfig_stopTheGenerator_andTheVerifierChecksTheSameSet(@TempDir Path tmp) throws Exception {
        int[] prompt = "Q: What is a friend?\nA:".chars().toArray();
        int second;
        try (Model plain = Model.load(TINY)) {
            assertEquals(Set.of(257), plain.eosTokenIds());
            second = Generator.generate(plain, prompt, 6, Sampling.GREEDY, -1, ComputeMode.FP32, null).completion()[3];
        }
        try (Model m = Model.load(tinyWithEos(tmp, "[257, " + second + "]")); Model plain = Model.load(TINY)) {
            assertEquals(Set.of(257, second), m.eosTokenIds());
            Generator.Generation g = Generator.generate(m, prompt, 6, Sampling.GREEDY, 257, ComputeMode.FP32, null);
            assertTrue(g.stoppedAtEos());
            assertEquals(second, g.completion()[g.completion().length - 1]);
            assertTrue(g.completion().length <= 4);

            InferenceAttestation att = Provider.generate(m, "tiny-eos", new Provider.Request(prompt, 6, Sampling.GREEDY, 257,
                    ComputeMode.FP32, CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, "nonce-eos"));
            assertEquals("eos", att.sampling().stop());
            AcceptancePolicy policy = AcceptancePolicy.defaults(CommitSpec.DEFAULT);
            assertTrue(Verify.verify(att, m, ComputeMode.FP32, policy).accepted());
            // negative control: a verifier whose model does not list the second id rejects the early stop
            VerificationException e = assertThrows(VerificationException.class,
                    () -> Verify.verify(att, plain, ComputeMode.FP32, policy));
            assertTrue(e.getMessage().contains("stop is 'eos' but the last token is " + second), e.getMessage());
        }
    }

    @Test
    void eosLists_areRead_andBadIdsRefused(@TempDir Path tmp) throws Exception {
        assertEquals(List.of(151645, 151643), ModelConfig.parse(("{" + BASE.replace("300", "151936") + ",\"model_type\":\"qwen3\","
                + "\"eos_token_id\":[151645,151643]}").getBytes(StandardCharsets.UTF_8), "config.json").eosTokenIds());
        assertEquals(List.of(), parse("\"model_type\":\"llama\"").eosTokenIds());
        assertTrue(refusal("\"model_type\":\"llama\",\"eos_token_id\":[1,\"x\"]").contains("eos_token_id has \"x\""));
        assertTrue(refusal("\"model_type\":\"llama\",\"eos_token_id\":300").contains("outside the vocabulary"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.load(tinyWithEos(tmp, "[257, 9999]")));
        assertTrue(e.getMessage().contains("generation_config.json: eos_token_id 9999 is outside the vocabulary"), e.getMessage());
    }

    @Test
    void randomQwen3Shape_loadsWithItsQkNorms(@TempDir Path tmp) throws Exception {
        dev.toploc.vectors.RandomModel.write(tmp, dev.toploc.vectors.RandomModel.Shape.qwen3(1, 300), "BF16", 7, 1);
        try (Model m = Model.load(tmp)) {
            assertEquals(ModelConfig.Architecture.QWEN3, m.config().architecture());
            assertTrue(m.config().qkNorm() && m.config().numHeads() * m.config().headDim() != m.config().hiddenSize());
            assertTrue(m.storedTensor("model.layers.0.self_attn.k_norm.weight").isPresent());
            float[] h = m.prefill(new int[] {1, 2, 3}, ComputeMode.BF16);
            for (float v : h) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void windowedLayers_followLayerTypes_orQwensMaxWindowLayers() throws Exception {
        ModelConfig q = parse("\"model_type\":\"qwen2\",\"use_sliding_window\":true,\"sliding_window\":32,\"max_window_layers\":2");
        assertEquals(List.of(0, 0, 32, 32), List.of(q.windowOf(0), q.windowOf(1), q.windowOf(2), q.windowOf(3)));
        ModelConfig off = parse("\"model_type\":\"qwen2\",\"use_sliding_window\":false,\"sliding_window\":32,\"max_window_layers\":2");
        assertEquals(0, off.windowOf(3));
        ModelConfig lt = parse("\"model_type\":\"qwen3\",\"use_sliding_window\":true,\"sliding_window\":16,"
                + "\"layer_types\":[\"sliding_attention\",\"full_attention\",\"full_attention\",\"sliding_attention\"]");
        assertEquals(List.of(16, 0, 0, 16), List.of(lt.windowOf(0), lt.windowOf(1), lt.windowOf(2), lt.windowOf(3)));
        ModelConfig mistral = parse("\"model_type\":\"mistral\",\"sliding_window\":8");
        assertEquals(8, mistral.windowOf(3));
        assertTrue(refusal("\"model_type\":\"qwen2\",\"use_sliding_window\":true,\"sliding_window\":32").contains("max_window_layers is missing"));
        assertTrue(refusal("\"model_type\":\"qwen3\",\"use_sliding_window\":true,\"sliding_window\":32,\"layer_types\":[\"full_attention\"]")
                .contains("layer_types is 1 entries"));
        assertTrue(refusal("\"model_type\":\"qwen3\",\"use_sliding_window\":true,\"sliding_window\":32,"
                + "\"layer_types\":[\"full_attention\",\"chunked_attention\",\"full_attention\",\"full_attention\"]").contains("'chunked_attention'"));
    }

    @Test
    void moeAndRopeSettings_areRead_andUnsupportedOptionsRefused() throws Exception {
        ModelConfig m = parse("\"model_type\":\"qwen3_moe\",\"num_experts\":8,\"num_experts_per_tok\":2,\"moe_intermediate_size\":32,"
                + "\"norm_topk_prob\":true,\"decoder_sparse_step\":2,\"mlp_only_layers\":[3]");
        assertEquals(new ModelConfig.Moe(8, 2, 32, true, List.of(false, true, false, false)), m.moe());
        assertFalse(parse("\"model_type\":\"qwen3_moe\",\"num_experts\":8,\"num_experts_per_tok\":2,\"moe_intermediate_size\":32").moe().normTopK(),
                "transformers' default is false");
        assertTrue(parse("\"model_type\":\"mixtral\",\"num_local_experts\":8,\"num_experts_per_tok\":2").moe().normTopK());
        assertNull(parse("\"model_type\":\"qwen3\"").moe());
        assertTrue(refusal("\"model_type\":\"qwen3_moe\",\"num_experts\":8,\"num_experts_per_tok\":9,\"moe_intermediate_size\":32")
                .contains("at most num_experts per token"));
        assertTrue(refusal("\"model_type\":\"qwen3_moe\",\"num_experts\":8,\"num_experts_per_tok\":2,\"moe_intermediate_size\":32,"
                + "\"mlp_only_layers\":[7]").contains("mlp_only_layers has 7"));
        assertTrue(refusal("\"model_type\":\"phi3\",\"partial_rotary_factor\":0.75").contains("partial_rotary_factor 0.75 is not supported"));
        assertTrue(refusal("\"model_type\":\"gpt_oss\"").contains("model_type 'gpt_oss' is not supported"));
        assertTrue(refusal("\"model_type\":\"llama\",\"attention_bias\":true").contains("attention_bias true is not supported for llama"));
        assertTrue(refusal("\"model_type\":\"llama\",\"mlp_bias\":true").contains("mlp_bias true is not supported"));
        assertFalse(parse("\"model_type\":\"mistral\",\"attention_bias\":true").attentionBias(), "transformers' Mistral has no biases");
        assertTrue(parse("\"model_type\":\"qwen2\",\"attention_bias\":false").attentionBias(), "Qwen2 always has q/k/v biases");
        assertTrue(refusal("\"model_type\":\"gemma2\",\"hidden_activation\":\"gelu\"").contains("hidden_act 'gelu' is not supported (expected gelu_pytorch_tanh)"));
        assertTrue(refusal("\"model_type\":\"llama\",\"rope_scaling\":{\"rope_type\":\"su\"}").contains("rope_scaling type 'su' is not supported"));
        assertTrue(refusal("\"model_type\":\"llama\",\"rope_scaling\":{\"rope_type\":\"linear\"}").contains("rope_scaling.factor is missing"));
        assertTrue(refusal("\"model_type\":\"phi3\",\"rope_scaling\":{\"type\":\"longrope\",\"short_factor\":[1,1],\"long_factor\":[1,1]}")
                .contains("expected 8 numbers"));
        ModelConfig.RopeScaling y = parse("\"model_type\":\"qwen2\",\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4.0,"
                + "\"original_max_position_embeddings\":32768}").ropeScaling();
        assertEquals(ModelConfig.RopeScaling.Type.YARN, y.type());
        assertEquals(1 + 0.1 * Math.log(4), y.attentionFactor(), 1e-12);
        assertNull(parse("\"model_type\":\"llama\",\"rope_scaling\":{\"rope_type\":\"default\"}").ropeScaling());
    }
}
