package dev.toploc.vectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a {@code .safetensors} file: used to make random models of real shapes for tests and
 * benchmarks, and modified copies of a model (quantized, noised) for calibration. Tensors are written in
 * insertion order; the header is padded with spaces to a multiple of 8 bytes, as the format's own writer
 * does. The file is written to a temporary sibling and moved into place.
 *
 * <p>Independent of the runtime's reader and of core's conversions (this module depends on neither): fp16
 * is the JDK's {@link Float#floatToFloat16}; bf16 is rounded here by choosing the nearer of the two bf16
 * neighbours, ties to the even one, which the runtime's tests check against {@code Dtype.floatToBf16}.
 */
public final class SafetensorsWriter {
    private record Pending(String dtype, long[] shape, byte[] data) {
    }

    private final Map<String, Pending> tensors = new LinkedHashMap<>();

    /** Adds fp32 values stored as {@code dtype} (BF16 and F16 round to nearest even). */
    public SafetensorsWriter add(String name, String dtype, long[] shape, float[] values) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape of " + n);
        }
        int size = switch (dtype) {
            case "BF16", "F16" -> 2;
            case "F32" -> 4;
            default -> throw new IllegalArgumentException("cannot write dtype " + dtype + " (expected BF16, F16 or F32)");
        };
        ByteBuffer b = ByteBuffer.allocate(values.length * size).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case "BF16" -> b.putShort(bf16(v));
                case "F16" -> b.putShort(Float.floatToFloat16(v));
                case "F32" -> b.putFloat(v);
                default -> throw new IllegalArgumentException("cannot write dtype " + dtype);
            }
        }
        tensors.put(name, new Pending(dtype, shape.clone(), b.array()));
        return this;
    }

    /**
     * fp32 to bf16, round to nearest, ties to even: of the two bf16 values around {@code v} (its upper 16
     * bits, and the next pattern away from zero) the nearer one in exact (double) arithmetic; on a tie the one
     * with an even last bit. Beyond the largest bf16 the upper neighbour is infinity, counted as 2^128 as
     * IEEE rounding does. NaN becomes the quiet NaN of the same sign.
     */
    static short bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int sign = bits & 0x80000000;
        if (Float.isNaN(v)) {
            return (short) ((sign >>> 16) | 0x7FC0);
        }
        int down = bits & 0xFFFF0000;                 // towards zero
        if (down == bits || Float.isInfinite(v)) {
            return (short) (down >>> 16);
        }
        int up = down + 0x10000;                      // away from zero (may reach infinity)
        double x = Math.abs((double) v);
        double lo = Math.abs((double) Float.intBitsToFloat(down));
        double hi = (up & 0x7FFFFFFF) == 0x7F800000 ? 0x1p128 : Math.abs((double) Float.intBitsToFloat(up));
        double dLo = x - lo;
        double dHi = hi - x;
        int pick = dLo < dHi ? down : dHi < dLo ? up : ((down >>> 16) & 1) == 0 ? down : up;
        return (short) (pick >>> 16);
    }

    /** Writes the file (replacing nothing: fails if {@code file} exists). */
    public void write(Path file) throws IOException {
        if (Files.exists(file)) {
            throw new java.nio.file.FileAlreadyExistsException(file.toString(), null, "not overwriting an existing file");
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        long offset = 0;
        for (var e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype());
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            var off = t.putArray("data_offsets");
            off.add(offset);
            offset += e.getValue().data().length;
            off.add(offset);
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
                out.write(h);
                for (int i = h.length; i < padded; i++) {
                    out.write(' ');
                }
                for (Pending p : tensors.values()) {
                    out.write(p.data());
                }
            }
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
