package dev.toploc.cli;

import dev.toploc.Dtype;
import dev.toploc.HiddenStates;
import dev.toploc.runtime.ModelFormatException;
import dev.toploc.runtime.StoredMatrix;
import java.io.IOException;
import java.nio.file.Path;

/** Hidden states dumped by another engine: {@code .npy} (rows x hidden) or {@code .safetensors} (a 2-D tensor). */
final class Activations {
    private Activations() {
    }

    /**
     * @param dtype  how 16-bit integer patterns are read ({@code <u2}/{@code <i2}, or safetensors U16/I16):
     *               bf16 unless told otherwise; float dtypes speak for themselves
     * @param tensor for safetensors: the tensor name (default: the only 2-D tensor)
     */
    static HiddenStates read(Path file, Dtype dtype, String tensor) throws IOException, ModelFormatException {
        String name = file.getFileName().toString();
        if (name.endsWith(".npy")) {
            Npy.Array a = Npy.read(file);
            return toStates(name, a.descr(), a.rows(), a.cols(), a.data(), dtype);
        }
        if (name.endsWith(".safetensors")) {
            StoredMatrix e = StoredMatrix.read(file, tensor, Npy.MAX_FILE);
            String descr = switch (e.dtype()) {
                case "F32" -> "<f4";
                case "F16" -> "<f2";
                case "BF16", "U16" -> "<u2";
                case "I16" -> "<i2";
                default -> throw new IOException(name + ": tensor '" + e.name() + "' has dtype " + e.dtype() + " (expected F32, F16, BF16, U16 or I16)");
            };
            return toStates(name, descr, e.rows(), e.cols(), e.data(), e.dtype().equals("BF16") ? Dtype.BF16 : dtype);
        }
        throw new IOException(name + ": unknown format (expected .npy or .safetensors)");
    }

    private static HiddenStates toStates(String name, String descr, long rows, long cols, java.nio.ByteBuffer data, Dtype dtype) throws IOException {
        if (rows < 1 || cols < 1 || rows * cols > Integer.MAX_VALUE - 8) {
            throw new IOException(name + ": shape (" + rows + ", " + cols + ") is empty or too large");
        }
        int n = (int) (rows * cols);
        if (descr.equals("<f4")) {
            float[] f = new float[n];
            data.asFloatBuffer().get(f);
            return HiddenStates.ofFloats(f, (int) rows, (int) cols);
        }
        short[] s = new short[n];
        data.asShortBuffer().get(s);
        Dtype d = descr.equals("<f2") ? Dtype.FP16 : dtype;
        if (d.bits() != 16) {
            throw new IOException(name + ": 16-bit patterns cannot be " + d.wireName() + " (expected bf16 or fp16)");
        }
        return HiddenStates.ofPatterns(s, d, (int) rows, (int) cols);
    }
}
