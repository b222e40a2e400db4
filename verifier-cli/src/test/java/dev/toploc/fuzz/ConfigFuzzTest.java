package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.runtime.ModelConfig;
import org.junit.jupiter.api.Tag;

/** config.json. */
class ConfigFuzzTest {
    static void body(byte[] data) throws Exception {
        FuzzInvariant.typedOrValue(() -> ModelConfig.parse(data, "config.json"));
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
