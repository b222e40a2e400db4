package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Commit;
import dev.toploc.CommitEncoding;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.vectors.RandomModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13, class 6: sizes and parameters from untrusted input (config.json, a claim, the API's
 * arguments) are checked before anything is allocated or computed, each with a typed error naming it,
 * never a NegativeArraySizeException, an OutOfMemoryError, or NaN states written as if they were fine.
 */
class HostileSizesTest {
    static final String HIDDEN_ACT = "\"hidden_act\" : \"silu\"";

    static Stream<Arguments> hostileConfigs() {
        return Stream.of(
                Arguments.of("layers-near-2^31", "\"num_hidden_layers\" : 1", "\"num_hidden_layers\" : 2147483647",
                        "num_hidden_layers 2147483647 (expected 1..1024)"),
                Arguments.of("head-dim-near-2^31", "\"head_dim\" : 64", "\"head_dim\" : 2147483646", "head_dim 2147483646 (expected 1..1048576)"),
                Arguments.of("heads-times-head-dim-overflows-int", "\"num_attention_heads\" : 8,\n  \"num_key_value_heads\" : 2,\n  \"head_dim\" : 64",
                        "\"num_attention_heads\" : 65536,\n  \"num_key_value_heads\" : 2,\n  \"head_dim\" : 65536",
                        "num_attention_heads x head_dim = 65536 x 65536 = 4294967296 (expected at most 1048576)"),   // 2^32: 0 as an int
                Arguments.of("heads-times-head-dim-too-wide", "\"head_dim\" : 64", "\"head_dim\" : 262144",
                        "num_attention_heads x head_dim = 8 x 262144 = 2097152 (expected at most 1048576)"),
                Arguments.of("hidden-near-2^31", "\"hidden_size\" : 512", "\"hidden_size\" : 2147483647", "hidden_size 2147483647 (expected 1..1048576)"),
                Arguments.of("vocab-near-2^31", "\"vocab_size\" : 300", "\"vocab_size\" : 2147483647", "vocab_size 2147483647 (expected 1..1048576)"),
                Arguments.of("intermediate-near-2^31", "\"intermediate_size\" : 1376", "\"intermediate_size\" : 2147483647",
                        "intermediate_size 2147483647 (expected 1..1048576)"),
                Arguments.of("context-zero", "\"max_position_embeddings\" : 4096", "\"max_position_embeddings\" : 0",
                        "max_position_embeddings is 0 (expected a positive integer)"),
                Arguments.of("context-not-a-number", "\"max_position_embeddings\" : 4096", "\"max_position_embeddings\" : \"long\"",
                        "max_position_embeddings is \"long\" (expected a positive integer)"),
                Arguments.of("context-beyond-2^24", "\"max_position_embeddings\" : 4096", "\"max_position_embeddings\" : 2147483647",
                        "max_position_embeddings 2147483647 (expected 1..16777216)"),
                Arguments.of("rms-eps-infinite", "\"rms_norm_eps\" : 1.0E-6", "\"rms_norm_eps\" : 1e999",
                        "rms_norm_eps is Infinity (expected a finite number)"),
                Arguments.of("rms-eps-zero", "\"rms_norm_eps\" : 1.0E-6", "\"rms_norm_eps\" : 0", "rms_norm_eps 0.0 (expected " + Float.MIN_NORMAL + "..1"),
                Arguments.of("rms-eps-subnormal-float", "\"rms_norm_eps\" : 1.0E-6", "\"rms_norm_eps\" : 1e-40", "rms_norm_eps 1.0E-40 (expected"),
                Arguments.of("rms-eps-negative", "\"rms_norm_eps\" : 1.0E-6", "\"rms_norm_eps\" : -1e-6", "rms_norm_eps -1.0E-6 (expected"),
                Arguments.of("rms-eps-a-string", "\"rms_norm_eps\" : 1.0E-6", "\"rms_norm_eps\" : \"small\"",
                        "rms_norm_eps is \"small\" (expected a finite number)"),
                Arguments.of("rope-theta-zero", "\"rope_theta\" : 10000.0", "\"rope_theta\" : 0", "rope_theta 0.0 (expected finite and > 1)"),
                Arguments.of("rope-theta-infinite", "\"rope_theta\" : 10000.0", "\"rope_theta\" : -1e999", "rope_theta is -Infinity (expected a finite number)"),
                Arguments.of("rope-factor-zero", HIDDEN_ACT, "\"rope_scaling\" : {\"rope_type\" : \"llama3\", \"factor\" : 0}, " + HIDDEN_ACT,
                        "rope_scaling.factor 0.0 (expected 1..1024.0)"),
                Arguments.of("rope-factor-negative", HIDDEN_ACT, "\"rope_scaling\" : {\"rope_type\" : \"llama3\", \"factor\" : -8}, " + HIDDEN_ACT,
                        "rope_scaling.factor -8.0 (expected 1..1024.0)"),
                Arguments.of("rope-factor-nan-as-text", HIDDEN_ACT, "\"rope_scaling\" : {\"rope_type\" : \"llama3\", \"factor\" : \"NaN\"}, " + HIDDEN_ACT,
                        "rope_scaling.factor is \"NaN\" (expected a finite number)"),
                Arguments.of("rope-freq-factors-equal", HIDDEN_ACT, "\"rope_scaling\" : {\"rope_type\" : \"llama3\", \"low_freq_factor\" : 4, "
                        + "\"high_freq_factor\" : 4}, " + HIDDEN_ACT, "rope_scaling.low_freq_factor 4.0 and high_freq_factor 4.0 (expected finite, 0 < low < high)"),
                Arguments.of("rope-original-context-zero", HIDDEN_ACT, "\"rope_scaling\" : {\"rope_type\" : \"llama3\", "
                        + "\"original_max_position_embeddings\" : 0}, " + HIDDEN_ACT, "original_max_position_embeddings is 0 (expected a positive integer)"),
                Arguments.of("sliding-window-negative", HIDDEN_ACT, "\"sliding_window\" : -5, " + HIDDEN_ACT,
                        "sliding_window is -5 (expected an integer >= 0, or null)"),
                Arguments.of("sliding-window-a-string", HIDDEN_ACT, "\"sliding_window\" : \"4096\", " + HIDDEN_ACT,
                        "sliding_window is \"4096\" (expected an integer >= 0, or null)"),
                Arguments.of("trailing-data", "\"model_type\"", "\"model_type\"", "config.json: not readable JSON"));
    }

    @ParameterizedTest(name = "config.{0}")
    @MethodSource("hostileConfigs")
    void hostileConfig_isRefusedBeforeAnyAllocation(String name, String from, String to, String expected, @TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("m");
        RandomModel.write(dir, RandomModel.Shape.mistralSmall(1, 300, 0), "BF16", 1, 1);
        LoaderErrorsTest.rewriteConfig(dir, from, to);
        if (name.equals("trailing-data")) {
            Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")) + "{\"model_type\": \"llama\"}");
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.load(dir).close(), name);
        assertTrue(e.getMessage().contains(expected), () -> name + ": message was: " + e.getMessage());
    }

    // ------------------------------------------------------------------ sizes at the API boundary, against the model

    @TempDir
    static Path shared;
    static Model model;

    @BeforeAll
    static void load() throws Exception {
        Path dir = shared.resolve("m");
        RandomModel.write(dir, RandomModel.Shape.mistralSmall(1, 300, 0), "BF16", 1, 1);
        LoaderErrorsTest.rewriteConfig(dir, "\"max_position_embeddings\" : 4096", "\"max_position_embeddings\" : 64");
        model = Model.load(dir);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void maxTokensNearIntMax_isRefusedNamingTheContext() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Generator.generate(model, new int[] {1, 2, 3}, Integer.MAX_VALUE, Sampling.GREEDY, -1, ComputeMode.FP32, null));
        assertEquals("a prompt of 3 tokens and up to 2147483647 more need 2147483650 positions, beyond the model's context of 64 "
                + "(max_position_embeddings)", e.getMessage());
        // the control: inside the context it generates
        assertEquals(61, Generator.generate(model, new int[] {1, 2, 3}, 61, Sampling.GREEDY, -1, ComputeMode.FP32, null).completion().length);
    }

    @Test
    void promptBeyondTheContext_isRefusedBeforeThePrefill() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.prefill(new int[65], ComputeMode.FP32));
        assertEquals("a sequence of 65 positions is outside the model's context of 1..64 (max_position_embeddings)", e.getMessage());
        assertEquals(64 * 512, model.prefill(new int[64], ComputeMode.FP32).length);
    }

    @Test
    void aClaimBeyondTheContext_isBadInput_notAnAllocation() throws Exception {
        long[] coeffs = new long[128];
        InferenceAttestation a = new InferenceAttestation(new InferenceAttestation.ModelRef("m", List.of(), List.of(), "0".repeat(64), "0".repeat(64)),
                new int[60], new int[10], CommitSpec.DEFAULT, PositionConvention.PRODUCED, true,
                List.of(Commit.of(CommitEncoding.V1, 65497, coeffs), Commit.of(CommitEncoding.V1, 65497, coeffs)),
                new InferenceAttestation.SamplingRef(0, 0, 10, -1, "length"), "bf16", "n", "2026-12-01T00:00:00Z");
        AttestationException e = assertThrows(AttestationException.class, () -> InferenceVerifier.builder().build()
                .verify(model, dev.toploc.attest.Claim.of(a).withoutModel()));
        assertEquals("size: prompt (60 tokens) and completion (10) need 69 positions, beyond the model's context of 64 (max_position_embeddings)",
                e.getMessage());
    }

    @Test
    void samplingParametersOutOfRange_areRefusedAtConstruction() {
        for (double t : new double[] {Double.MIN_VALUE, 1e-300, 0.005, -0.5, 101, Double.POSITIVE_INFINITY, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Sampling(t, 1), "temperature " + t);
            assertTrue(e.getMessage().startsWith("temperature "), e.getMessage());
        }
        for (double m : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -1}) {
            assertThrows(IllegalArgumentException.class, () -> new InferenceVerifier.SamplingCheck(true, m, 1e-4), "margin " + m);
        }
        for (double p : new double[] {Double.NaN, -1e-9, 1.5}) {
            assertThrows(IllegalArgumentException.class, () -> new InferenceVerifier.SamplingCheck(true, 0.5, p), "minEosProb " + p);
        }
        new Sampling(0.01, 1);
        new Sampling(100, 1);
        new InferenceVerifier.SamplingCheck(true, Double.MAX_VALUE, 0);      // calibration measures with the widest finite margin
    }
}
