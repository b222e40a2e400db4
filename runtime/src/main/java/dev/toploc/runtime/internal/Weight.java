package dev.toploc.runtime.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
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
 *   e4m3  s eeee mmm (OCP FP8 E4M3, "e4m3fn": bias 7, no infinities, S.1111.111 is NaN; max 448, min
 *         subnormal 2^-9)                 ->  ((bits & 0x7F) << 20) read as fp32, times 2^120 (exact: the
 *                                           same re-biasing as fp16), then the sign; then times the scale
 *                                           of its block ({@link Fp8Scales}): the fp8 value and the scale are
 *                                           exact in fp32, their product is rounded once (fp32, nearest even)
 * </pre>
 *
 * <p>An fp8 matrix is dequantized as it is read, never copied: the mapped file holds one byte per weight.
 * Its NaN encodings (0x7F, 0xFF) are refused when the weight is made.
 */
public final class Weight {
    /** Storage formats. */
    public enum Kind {
        BF16(2), F16(2), F32(4),
        /** OCP FP8 E4M3 with a scale per block of rows x columns ({@link Fp8Scales}). */
        F8_E4M3(1);

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
    static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, FS.length() * 8)));
    private static final float F16_MAGIC = 0x1p112f;
    private static final float F8_MAGIC = 0x1p120f;

    /**
     * The scales of an fp8 matrix: element (r, c) is dequantized with
     * {@code values[((r + firstRow) / blockRows) * gridCols + c / blockCols]}. Per-tensor scaling is one block of
     * the whole matrix, per-channel blocks of one row; {@code firstRow} is the row of a slice within the
     * matrix the scales belong to (Phi-3's fused projections).
     */
    public record Fp8Scales(float[] values, int blockRows, int blockCols, int gridCols, int firstRow) {
        public Fp8Scales {
            if (blockRows < 1 || blockCols < 1 || gridCols < 1 || firstRow < 0 || values.length % gridCols != 0) {
                throw new IllegalArgumentException("fp8 scales: " + values.length + " values, blocks " + blockRows + " x " + blockCols
                        + ", " + gridCols + " per row, from row " + firstRow);
            }
            for (float v : values) {
                if (!(v >= 0) || v == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("fp8 scale " + v + " (expected finite and >= 0)");
                }
            }
        }

        /** Whether every element of a {@code rows x cols} matrix has a scale (the loader checks the exact shape). */
        boolean cover(int rows, int cols) {
            return gridCols == ceilDiv(cols, blockCols) && values.length / gridCols >= ceilDiv(firstRow + rows, blockRows);
        }
    }

    static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }

    final MemorySegment seg;
    final Kind kind;
    final int rows;
    final int cols;
    /** fp8 only, else null. */
    final Fp8Scales scales;
    /**
     * fp8 only: the scale index of each row's first block ({@code rowBase[r] + c / blockCols} is element
     * (r, c)'s), {@code log2(blockCols)} when that is a power of two (31 when a block spans the row, else -1),
     * and {@code 1.0 / cols}: the kernels' hot path finds row, column and scale without an integer division.
     */
    private final int[] rowBase;
    private final int colShift;
    private final double invCols;
    /** fp8: a lane-aligned load within a row sees one scale (blocks a multiple of the lane count wide, or spanning the row). */
    private final boolean oneScalePerLoad;

    public Weight(MemorySegment seg, Kind kind, int rows, int cols) {
        this(seg, kind, rows, cols, null);
    }

    /**
     * An fp8 e4m3 matrix with its scales.
     *
     * @throws IllegalArgumentException a NaN encoding among the bytes (named by its index), or scales that do not
     *                                  cover the matrix
     */
    public static Weight fp8(MemorySegment seg, int rows, int cols, Fp8Scales scales) {
        java.util.Objects.requireNonNull(scales, "scales");
        if (!scales.cover(rows, cols)) {
            throw new IllegalArgumentException("fp8 scales of " + scales.values().length / scales.gridCols() + " x " + scales.gridCols()
                    + " blocks of " + scales.blockRows() + " x " + scales.blockCols() + " do not cover a " + rows + " x " + cols + " matrix");
        }
        long nan = firstNaN(seg);
        if (nan >= 0) {
            throw new IllegalArgumentException("fp8 element " + nan + " (row " + nan / cols + ", column " + nan % cols + ") is a NaN encoding (0x"
                    + Integer.toHexString(seg.get(ValueLayout.JAVA_BYTE, nan) & 0xFF) + "; e4m3 has no NaN or infinity in a weight)");
        }
        return new Weight(seg, Kind.F8_E4M3, rows, cols, scales);
    }

    private Weight(MemorySegment seg, Kind kind, int rows, int cols, Fp8Scales scales) {
        if (seg.byteSize() != (long) rows * cols * kind.bytes) {
            throw new IllegalArgumentException("segment of " + seg.byteSize() + " bytes for " + rows + " x " + cols + " " + kind);
        }
        if ((kind == Kind.F8_E4M3) != (scales != null)) {
            throw new IllegalArgumentException(kind + (scales == null ? " without scales" : " with fp8 scales"));
        }
        this.seg = seg;
        this.kind = kind;
        this.rows = rows;
        this.cols = cols;
        this.scales = scales;
        if (scales != null) {
            rowBase = new int[rows];
            for (int r = 0; r < rows; r++) {
                rowBase[r] = ((r + scales.firstRow()) / scales.blockRows()) * scales.gridCols();
            }
            // a block as wide as the matrix (per channel, per tensor): every column in block column 0
            colShift = scales.blockCols() >= cols ? 31
                    : Integer.bitCount(scales.blockCols()) == 1 ? Integer.numberOfTrailingZeros(scales.blockCols()) : -1;
            invCols = 1.0 / cols;
            oneScalePerLoad = scales.blockCols() >= cols || scales.blockCols() % FS.length() == 0;
        } else {
            rowBase = null;
            colShift = -1;
            invCols = 0;
            oneScalePerLoad = false;
        }
    }

    /**
     * The index of the first e4m3 NaN encoding (low seven bits all set: 0x7F or 0xFF) in {@code seg}, or -1.
     * Eight bytes at a time: with the sign bits cleared every byte is at most 0x7F, so adding 0x01 to each sets
     * its top bit exactly when it was 0x7F, and never carries into the next byte.
     */
    static long firstNaN(MemorySegment seg) {
        long n = seg.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            long w = seg.get(LONG_LE, i);
            if ((((w & 0x7F7F7F7F7F7F7F7FL) + 0x0101010101010101L) & 0x8080808080808080L) != 0) {
                break;
            }
        }
        for (; i < n; i++) {
            if ((seg.get(ValueLayout.JAVA_BYTE, i) & 0x7F) == 0x7F) {
                return i;
            }
        }
        return -1;
    }

    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The e4m3 byte {@code b} as fp32 (exact; a NaN encoding decodes to a NaN). The scalar twin of the vector decoding. */
    public static float e4m3(int b) {
        float mag = Float.intBitsToFloat((b & 0x7F) << 20) * F8_MAGIC;
        return (b & 0x7F) == 0x7F ? Float.NaN : Float.intBitsToFloat(Float.floatToRawIntBits(mag) | (b & 0x80) << 24);
    }

    /** Rows {@code [from, from + count)} as a view of the same bytes (and, for fp8, the same scales). */
    public Weight rowSlice(int from, int count) {
        if (from < 0 || count < 1 || from + count > rows) {
            throw new IllegalArgumentException("rows " + from + ".." + (from + count) + " of " + rows);
        }
        MemorySegment s = seg.asSlice((long) from * cols * kind.bytes, (long) count * cols * kind.bytes);
        return scales == null ? new Weight(s, kind, count, cols)
                : new Weight(s, kind, count, cols, new Fp8Scales(scales.values(), scales.blockRows(), scales.blockCols(), scales.gridCols(),
                        scales.firstRow() + from));
    }

    /** The scale of element (r, c) of an fp8 matrix. */
    private float scale(int r, int c) {
        return scales.values()[rowBase[r] + (colShift >= 0 ? c >>> colShift : c / scales.blockCols())];
    }

    /** {@code i / cols} (element {@code i}'s row): a double product, corrected to the exact quotient. */
    private int rowOf(long i) {
        long r = (long) (i * invCols);
        if (r * cols > i) {
            r--;
        } else if ((r + 1) * cols <= i) {
            r++;
        }
        return (int) r;
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
            case F8_E4M3 -> {
                int r = rowOf(i);
                yield e4m3(seg.get(ValueLayout.JAVA_BYTE, i)) * scale(r, (int) (i - (long) r * cols));
            }
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
            case F8_E4M3 -> loadFp8(i);
        };
    }

    /**
     * The fp8 lanes from element {@code i}: decoded as {@link #e4m3} does, times the block's scale. The kernels
     * load within a row from a multiple of the lane count, so where the block width is a multiple of it (128 is,
     * for every vector width) or spans the row, all lanes share one scale. Any other load (lanes straddling a
     * block boundary) reads the lanes one by one ({@link #get}), with the same operations. Kept small (the slow
     * path in its own method) so that the JIT inlines it into the kernels and the vectors stay in registers.
     */
    private FloatVector loadFp8(long i) {
        int r = rowOf(i);
        int c = (int) (i - (long) r * cols);
        if (!oneScalePerLoad || (c & (FS.length() - 1)) != 0 || c + FS.length() > cols || i + BS.length() > seg.byteSize()) {
            return loadFp8Lanes(i);
        }
        IntVector b = (IntVector) ByteVector.fromMemorySegment(BS, seg, i, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, IS, 0);
        IntVector sign = b.and(0x80).lanewise(VectorOperators.LSHL, 24);
        FloatVector mag = b.and(0x7F).lanewise(VectorOperators.LSHL, 20).reinterpretAsFloats().mul(F8_MAGIC);
        return mag.reinterpretAsInts().or(sign).reinterpretAsFloats().mul(scale(r, c));
    }

    private FloatVector loadFp8Lanes(long i) {
        float[] v = new float[FS.length()];
        for (int j = 0; j < v.length; j++) {
            v[j] = get(i + j);
        }
        return FloatVector.fromArray(FS, v, 0);
    }
}
