package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.vectors.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link StoredMatrix}: the public reader of one 2-D tensor, on files written by the independent test writer. */
class StoredMatrixTest {
    @TempDir
    Path dir;

    private Path write(SafetensorsWriter w) throws IOException {
        Path f = dir.resolve("states.safetensors");
        w.write(f);
        return f;
    }

    @Test
    void readsTheOnly2dTensorAsStored() throws Exception {
        float[] v = {1.5f, -2f, 0.25f, 3f, 4f, -0.5f};
        Path f = write(new SafetensorsWriter().add("bias", "F32", new long[] {6}, v).add("h", "F32", new long[] {2, 3}, v));
        StoredMatrix m = StoredMatrix.read(f, null, 1 << 20);
        assertEquals("h", m.name());
        assertEquals("F32", m.dtype());
        assertEquals(2, m.rows());
        assertEquals(3, m.cols());
        float[] back = new float[6];
        m.data().asFloatBuffer().get(back);
        assertArrayEquals(v, back);
        ByteBuffer once = m.data();
        once.getInt();
        assertEquals(0, m.data().position(), "each call is a fresh view");
        assertTrue(m.data().isReadOnly());
    }

    @Test
    void choosesByNameAndRefusesAmbiguityAbsenceAndSize() throws Exception {
        Path f = write(new SafetensorsWriter().add("a", "BF16", new long[] {2, 2}, new float[4]).add("b", "F16", new long[] {1, 4}, new float[4])
                .add("v", "F32", new long[] {4}, new float[4]));
        assertEquals("F16", StoredMatrix.read(f, "b", 1 << 20).dtype());
        assertEquals(2, StoredMatrix.read(f, "a", 1 << 20).rows());
        assertTrue(assertThrows(IOException.class, () -> StoredMatrix.read(f, null, 1 << 20)).getMessage()
                .contains("more than one 2-D tensor"));
        assertTrue(assertThrows(IOException.class, () -> StoredMatrix.read(f, "v", 1 << 20)).getMessage()
                .contains("no 2-D tensor 'v'"));
        assertTrue(assertThrows(IOException.class, () -> StoredMatrix.read(f, "zz", 1 << 20)).getMessage()
                .contains("no 2-D tensor 'zz'"));
        IOException big = assertThrows(IOException.class, () -> StoredMatrix.read(f, "a", 7));
        assertTrue(big.getMessage().contains("is 8 bytes, more than this reader holds (7)"), big.getMessage());
        assertEquals(8, StoredMatrix.read(f, "a", 8).data().remaining(), "the limit itself is allowed");
    }

    @Test
    void aFileThatIsNotSafetensorsIsAModelFormatException() throws Exception {
        Path f = Files.write(dir.resolve("x.safetensors"), new byte[] {1, 2, 3});
        assertThrows(ModelFormatException.class, () -> StoredMatrix.read(f, null, 1 << 20));
    }
}
