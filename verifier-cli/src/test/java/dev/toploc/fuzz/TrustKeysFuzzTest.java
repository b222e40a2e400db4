package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.attest.PublicKey;
import dev.toploc.attest.SigningKey;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;

/**
 * Trust files ({@code --trust}): PEM text of one or more public keys. Invariant beyond "a value or a typed
 * error": when a file parses, every key in it was read (as many keys as {@code -----BEGIN} lines), never a
 * subset (issue 13); the single-key reader refuses any file of more than one.
 */
class TrustKeysFuzzTest {
    static void body(byte[] data) throws Exception {
        String pem = new String(data, StandardCharsets.US_ASCII);
        FuzzInvariant.typedOrValue(() -> {
            int keys = PublicKey.allFromPem(pem, "trust.pem").size();
            int blocks = pem.split("-----BEGIN ", -1).length - 1;
            if (keys != blocks) {
                throw new IllegalStateException("read " + keys + " keys from a file of " + blocks + " PEM blocks");
            }
        });
        FuzzInvariant.typedOrValue(() -> {
            PublicKey.fromPem(pem, "key.pub");
            if (pem.split("-----BEGIN ", -1).length - 1 != 1) {
                throw new IllegalStateException("the single-key reader accepted a file of several blocks");
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
