package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.runtime.ModelConfig;
import org.junit.jupiter.api.Tag;

/**
 * config.json. Every config that parses is within the runtime's bounds (issue 13): widths and their
 * products at most {@link ModelConfig#MAX_DIM}, layers and context bounded, and float parameters finite
 * and in range, so no forward pass is planned on a size that wraps or a value that makes states NaN.
 */
class ConfigFuzzTest {
    static void body(byte[] data) throws Exception {
        FuzzInvariant.typedOrValue(() -> {
            ModelConfig c = ModelConfig.parse(data, "config.json");
            int max = ModelConfig.MAX_DIM;
            check(c.hiddenSize() <= max && c.intermediateSize() <= max && c.vocabSize() <= max && c.headDim() <= max, "a width");
            check((long) c.numHeads() * c.headDim() <= max && (long) c.numKvHeads() * c.headDim() <= max, "heads x head_dim");
            check(c.numLayers() >= 1 && c.numLayers() <= ModelConfig.MAX_LAYERS, "layers");
            check(c.maxPositions() >= 1 && c.maxPositions() <= ModelConfig.MAX_POSITIONS, "context");
            check(c.rmsNormEps() >= Float.MIN_NORMAL && c.rmsNormEps() <= 1 && (float) c.rmsNormEps() > 0, "rms_norm_eps");
            check(Double.isFinite(c.ropeTheta()) && c.ropeTheta() > 1, "rope_theta");
            check(c.slidingWindow() >= 0, "sliding window");
            ModelConfig.RopeScaling rs = c.ropeScaling();
            check(rs == null || (rs.factor() >= 1 && Double.isFinite(rs.factor()) && rs.lowFreqFactor() > 0
                    && rs.highFreqFactor() > rs.lowFreqFactor() && Double.isFinite(rs.highFreqFactor()) && rs.originalMaxPositions() >= 1),
                    "rope scaling");
        });
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("parsed a config out of bounds: " + what);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void quick(byte[] data) throws Exception {
        body(data);
    }

    @Tag("long-fuzz")
    @FuzzTest(maxDuration = "10m")
    void long10m(byte[] data) throws Exception {
        body(data);
    }
}
