package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Dsse;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;

/** DSSE envelope JSON; an envelope that parses stops parsing once anything but whitespace follows it. */
class DsseFuzzTest {
    static void body(byte[] data) throws Exception {
        FuzzInvariant.typedOrValue(() -> {
            Dsse.parse(data);
            if (data.length + 2 <= Dsse.MAX_ENVELOPE_BYTES) {
                byte[] trailing = Arrays.copyOf(data, data.length + 2);
                trailing[data.length] = '{';
                trailing[data.length + 1] = '}';
                try {
                    Dsse.parse(trailing);
                    throw new IllegalStateException("an envelope followed by trailing data was accepted");
                } catch (AttestationException expected) {
                    // exactly one JSON value
                }
            }
        });
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
