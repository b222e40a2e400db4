package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.Commit;
import dev.toploc.CommitEncoding;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;

/** Commit bytes and base64 text, both encodings. */
class CommitFuzzTest {
    static void body(byte[] data) throws Exception {
        FuzzInvariant.typedOrValue(() -> Commit.fromBytes(data, CommitEncoding.V1));
        FuzzInvariant.typedOrValue(() -> Commit.fromBytes(data, CommitEncoding.W32, 128));
        FuzzInvariant.typedOrValue(() -> {
            Commit c = Commit.fromBase64(new String(data, StandardCharsets.ISO_8859_1), CommitEncoding.V1, -1, "commit");
            if (!Commit.fromBase64(c.toBase64(), CommitEncoding.V1, c.k(), "again").equals(c)) {
                throw new IllegalStateException("round trip changed the commit");
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
