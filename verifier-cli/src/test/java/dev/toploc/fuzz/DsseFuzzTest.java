package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.attest.Dsse;
import org.junit.jupiter.api.Tag;

/** DSSE envelope JSON. */
class DsseFuzzTest {
    static void body(byte[] data) throws Exception {
        FuzzInvariant.typedOrValue(() -> Dsse.parse(data));
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
