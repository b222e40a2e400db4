package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npy reading and writing, and the fuzzers' findings kept as regression tests. */
class NpyTest {

    @Test
    void writeThenRead_roundTrips(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, "<u2", 2, 3, new byte[12]);
        assertEquals(0, (out.size() - 12) % 64, "header padded to a multiple of 64 bytes");
        Path f = dir.resolve("a.npy");
        Files.write(f, out.toByteArray());
        Npy.Array a = Npy.read(f);
        assertEquals("<u2", a.descr());
        assertEquals(2, a.rows());
        assertEquals(3, a.cols());
    }

    /** Jazzer's first finding (scripts/fuzz.sh, 151 s into NpyFuzzTest): a 37-digit dimension threw NumberFormatException. */
    @Test
    void hugeShape_isATypedError_notNumberFormatException() throws Exception {
        Path crash = Path.of(NpyTest.class.getResource("NpyFuzzTestInputs/crash-fd0b5b758a75df4d395492c38b28da1ee01abb76").toURI());
        IOException e = assertThrows(IOException.class, () -> Npy.read(crash));
        assertTrue(e.getMessage().contains("is not a 2-D array description"), e.getMessage());
    }
}
