package dev.toploc.runtime.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix of {@code rows x cols}, row-major, read in place from a (usually memory-mapped) segment
 * in its stored format and widened to fp32 as it is read. Widening is exact for every format:
 *
 * <pre>
 *   bf16  s eeeeeeee mmmmmmm            ->  bits << 16
 *   fp16  s eeeee mmmmmmmmmm            ->  ((bits & 0x7FFF) << 13) read as fp32, times 2^112, then the sign:
 *                                           the magnitude lands 112 exponent steps low (bias 127 vs 15); the
 *                                           exact power-of-two product re-biases normals and normalizes
 *                                           subnormals alike (finite inputs only; loading rejects Inf/NaN)
 *   fp32  as is
 * </pre>
 */
public final class Weight {
    /** Storage formats. */
    public enum Kind {
        BF16(2), F16(2), F32(4);

        final int bytes;

        Kind(int bytes) {
            this.bytes = bytes;
        }
    }

    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> HS = VectorSpecies.of(short.class, VectorShape.forBitSize(FS.length() * 16));
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final float F16_MAGIC = 0x1p112f;

    final MemorySegment seg;
    final Kind kind;
    final int rows;
    final int cols;

    public Weight(MemorySegment seg, Kind kind, int rows, int cols) {
        if (seg.byteSize() != (long) rows * cols * kind.bytes) {
            throw new IllegalArgumentException("segment of " + seg.byteSize() + " bytes for " + rows + " x " + cols + " " + kind);
        }
        this.seg = seg;
        this.kind = kind;
        this.rows = rows;
        this.cols = cols;
    }

    /** A heap fp32 matrix (for weights rounded to another dtype, or made by tests). */
    public static Weight ofFloats(float[] values, int rows, int cols) {
        return new Weight(MemorySegment.ofArray(values), Kind.F32, rows, cols);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public Kind kind() {
        return kind;
    }

    public MemorySegment segment() {
        return seg;
    }

    /** Element {@code i} (row-major) widened to fp32. */
    public float get(long i) {
        return switch (kind) {
            case BF16 -> Float.intBitsToFloat((seg.getAtIndex(SHORT_LE, i) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(seg.getAtIndex(SHORT_LE, i));
            case F32 -> seg.getAtIndex(FLOAT_LE, i);
        };
    }

    /** Copies row {@code r} widened to fp32 into {@code out[off, off+cols)}. */
    public void row(int r, float[] out, int off) {
        long base = (long) r * cols;
        for (int c = 0; c < cols; c++) {
            out[off + c] = get(base + c);
        }
    }

    /** {@code FS.length()} elements from element {@code i}, widened. */
    FloatVector load(long i) {
        return switch (kind) {
            case BF16 -> ((IntVector) ShortVector.fromMemorySegment(HS, seg, i * 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            case F16 -> {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(HS, seg, i * 2, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, IS, 0);
                IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
                FloatVector mag = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(F16_MAGIC);
                yield mag.reinterpretAsInts().or(sign).reinterpretAsFloats();
            }
            case F32 -> FloatVector.fromMemorySegment(FS, seg, i * 4, ByteOrder.LITTLE_ENDIAN);
        };
    }
}
