package dev.toploc.runtime;

import dev.toploc.runtime.internal.Safetensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * One 2-D tensor of a {@code .safetensors} file that is not a model: hidden states another engine dumped
 * ({@code rows x hidden}). The file is read by the same strict reader as model weights (a regular file only;
 * the header length, every offset and every byte length checked against the file before anything is mapped),
 * and the tensor is copied onto the heap only after its size was checked against {@code maxBytes}.
 *
 * @param name  the tensor's name in the file
 * @param dtype the safetensors dtype as written ({@code F32}, {@code F16}, {@code BF16}, {@code U16},
 *              {@code I16}, …); the caller decides which it accepts
 * @param rows  the first dimension
 * @param cols  the second dimension
 * @param data  the tensor's bytes as stored ({@code rows * cols * elementSize} of them), read-only
 */
public record StoredMatrix(String name, String dtype, long rows, long cols, ByteBuffer data) {
    public StoredMatrix {
        data = data.asReadOnlyBuffer();
    }

    /** The tensor's bytes: a fresh read-only, little-endian view (its own position), never a copy. */
    @Override
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Reads the 2-D tensor {@code tensor} of {@code file}, or, when {@code tensor} is {@code null}, the file's
     * only 2-D tensor.
     *
     * @param maxBytes the most tensor bytes copied onto the heap; a larger tensor is refused
     * @throws ModelFormatException a file that is not well-formed safetensors
     * @throws IOException          no such 2-D tensor, more than one 2-D tensor and none named, or a tensor
     *                              over {@code maxBytes}; the message starts with the file's name
     */
    public static StoredMatrix read(Path file, String tensor, long maxBytes) throws IOException, ModelFormatException {
        String fileName = file.getFileName().toString();
        try (Arena arena = Arena.ofConfined()) {
            Safetensors st = Safetensors.open(file, arena);
            Safetensors.Entry e = null;
            for (Safetensors.Entry x : st.entries().values()) {
                if (tensor != null ? x.name().equals(tensor) : x.shape().length == 2) {
                    if (e != null && tensor == null) {
                        throw new IOException(fileName + ": more than one 2-D tensor; name one with --tensor");
                    }
                    e = x;
                }
            }
            if (e == null || e.shape().length != 2) {
                throw new IOException(fileName + ": " + (tensor != null ? "no 2-D tensor '" + tensor + "'" : "no 2-D tensor") + " (expected rows x hidden)");
            }
            if (e.data().byteSize() > maxBytes) {
                throw new IOException(fileName + ": tensor '" + e.name() + "' is " + e.data().byteSize()
                        + " bytes, more than this reader holds (" + maxBytes + ")");
            }
            return new StoredMatrix(e.name(), e.dtype(), e.shape()[0], e.shape()[1], ByteBuffer.wrap(e.data().toArray(ValueLayout.JAVA_BYTE)));
        }
    }
}
