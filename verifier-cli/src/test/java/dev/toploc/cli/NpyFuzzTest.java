package dev.toploc.cli;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/** .npy files (hidden-state dumps from other engines). */
class NpyFuzzTest {
    static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("toploc-fuzz-", ".npy");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static void body(byte[] data) throws Exception {
        Files.write(FILE, data);
        try {
            Npy.Array a = Npy.read(FILE);
            if (a.data().remaining() != a.rows() * a.cols() * (a.descr().equals("<f4") ? 4 : 2)) {
                throw new IllegalStateException("data length disagrees with the shape");
            }
        } catch (IOException expected) {
            // typed rejection
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
