package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.runtime.internal.Safetensors;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/** A safetensors file: header length, JSON header, extents checked before mapping; every tensor's bytes readable. */
class SafetensorsFuzzTest {
    static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("toploc-fuzz-", ".safetensors");
            FILE.toFile().deleteOnExit();
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static void body(byte[] data) throws Exception {
        Files.write(FILE, data);
        FuzzInvariant.typedOrValue(() -> {
            try (Arena arena = Arena.ofConfined()) {
                for (Safetensors.Entry e : Safetensors.open(FILE, arena).entries().values()) {
                    if (e.data().byteSize() > 0) {
                        e.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, e.data().byteSize() - 1);   // every extent is inside the file
                    }
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
