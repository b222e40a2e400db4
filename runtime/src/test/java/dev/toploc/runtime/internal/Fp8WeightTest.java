package dev.toploc.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** FP8 E4M3 weights: decoding against the OCP specification, the vector load against its scalar twin, NaN refused. */
class Fp8WeightTest {

    @Test
    void e4m3_decodesTheValuesTheOcpSpecificationStates() {
        // OCP 8-bit Floating Point Specification (OFP8) v1.0, E4M3: bias 7, max normal S.1111.110 = 448,
        // min normal S.0001.000 = 2^-6, max subnormal S.0000.111 = 0.875 x 2^-6, min subnormal S.0000.001 = 2^-9,
        // S.1111.111 NaN, zeros S.0000.000
        assertEquals(448f, Weight.e4m3(0x7E));
        assertEquals(-448f, Weight.e4m3(0xFE));
        assertEquals(0x1p-6f, Weight.e4m3(0x08));
        assertEquals(0.875f * 0x1p-6f, Weight.e4m3(0x07));
        assertEquals(0x1p-9f, Weight.e4m3(0x01));
        assertEquals(1f, Weight.e4m3(0x38));
        assertEquals(256f, Weight.e4m3(0x78));
        assertEquals(0, Float.floatToRawIntBits(Weight.e4m3(0x00)));
        assertEquals(0x80000000, Float.floatToRawIntBits(Weight.e4m3(0x80)));     // -0
        assertTrue(Float.isNaN(Weight.e4m3(0x7F)));
        assertTrue(Float.isNaN(Weight.e4m3(0xFF)));
    }

    @Test
    void e4m3_equalsTheSpecificationsFormula_forAll256Patterns() {
        for (int b = 0; b < 256; b++) {
            int s = b >> 7;
            int e = (b >> 3) & 0xF;
            int m = b & 7;
            double v = e == 15 && m == 7 ? Double.NaN : (s == 1 ? -1 : 1) * (e == 0 ? m / 8.0 * Math.pow(2, -6) : (1 + m / 8.0) * Math.pow(2, e - 7));
            assertEquals(Float.floatToIntBits((float) v), Float.floatToIntBits(Weight.e4m3(b)), "pattern 0x" + Integer.toHexString(b));
        }
    }

    /** Every non-NaN pattern in a 2 x 128 matrix (two slots padded with 0x00), scaled per row. */
    static byte[] everyPattern() {
        byte[] b = new byte[256];
        int k = 0;
        for (int p = 0; p < 256; p++) {
            if ((p & 0x7F) != 0x7F) {
                b[k++] = (byte) p;
            }
        }
        return b;
    }

    @Test
    void vectorLoad_equalsScalarGet_bitForBit_forEveryPattern() {
        byte[] bytes = everyPattern();
        for (float[] scale : new float[][] {{1f, 1f}, {0x1p-9f, 3.3e-3f}, {0.0123f, 7.5f}}) {
            Weight w = Weight.fp8(MemorySegment.ofArray(bytes), 2, 128, new Weight.Fp8Scales(scale, 1, 128, 1, 0));
            for (long i = 0; i < 256; i += Matmul.LANES) {
                float[] v = new float[Matmul.LANES];
                w.load(i).intoArray(v, 0);
                for (int j = 0; j < v.length; j++) {
                    float s = w.get(i + j);
                    assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v[j]), "element " + (i + j));
                    // the product of two exact fp32 values, rounded once
                    assertEquals(Float.floatToRawIntBits(Weight.e4m3(bytes[(int) (i + j)]) * scale[(int) ((i + j) / 128)]), Float.floatToRawIntBits(s));
                }
            }
        }
    }

    @Test
    void nanEncodings_areRefusedWhenTheWeightIsMade() {
        for (int pos : new int[] {0, 7, 8, 63, 100, 101}) {
            for (int nan : new int[] {0x7F, 0xFF}) {
                byte[] b = new byte[101 + 1];
                java.util.Arrays.fill(b, (byte) 0x7E);
                int at = Math.min(pos, b.length - 1);
                b[at] = (byte) nan;
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Weight.fp8(MemorySegment.ofArray(b), 2, 51, new Weight.Fp8Scales(new float[] {1f}, 2, 51, 1, 0)));
                assertTrue(e.getMessage().contains("element " + at + " ") && e.getMessage().contains("NaN"), e.getMessage());
            }
        }
        // the control: the same bytes without a NaN load
        byte[] ok = new byte[102];
        java.util.Arrays.fill(ok, (byte) 0xFE);
        Weight.fp8(MemorySegment.ofArray(ok), 2, 51, new Weight.Fp8Scales(new float[] {1f}, 2, 51, 1, 0));
    }

    @Test
    void scales_mustCoverTheMatrix_andBeFinite() {
        byte[] b = new byte[300 * 2];
        assertThrows(IllegalArgumentException.class, () -> Weight.fp8(MemorySegment.ofArray(b), 2, 300, new Weight.Fp8Scales(new float[2], 128, 128, 2, 0)));
        assertThrows(IllegalArgumentException.class, () -> new Weight.Fp8Scales(new float[] {Float.NaN}, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Weight.Fp8Scales(new float[] {Float.POSITIVE_INFINITY}, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Weight.Fp8Scales(new float[] {-1f}, 1, 1, 1, 0));
        Weight.fp8(MemorySegment.ofArray(b), 2, 300, new Weight.Fp8Scales(new float[3], 128, 128, 3, 0));
    }

    static Weight random(Random r, int rows, int cols, int br, int bc) {
        byte[] b = new byte[rows * cols];
        for (int i = 0; i < b.length; i++) {
            int p;
            do {
                p = r.nextInt(256);
            } while ((p & 0x7F) == 0x7F);
            b[i] = (byte) p;
        }
        int gr = (rows + br - 1) / br;
        int gc = (cols + bc - 1) / bc;
        float[] s = new float[gr * gc];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) Math.exp(r.nextGaussian() * 3 - 6);
        }
        return Weight.fp8(MemorySegment.ofArray(b), rows, cols, new Weight.Fp8Scales(s, br, bc, gc, 0));
    }

    @Property(tries = 60, seed = "20261201")
    void matmul_vectorEqualsScalar(@ForAll @IntRange(min = 1, max = 20) int tokens, @ForAll @IntRange(min = 1, max = 70) int rows,
                                   @ForAll @IntRange(min = 1, max = 300) int cols, @ForAll @IntRange(min = 0, max = 3) int blocks,
                                   @ForAll long seed) {
        Random r = new Random(seed);
        int[][] bs = {{128, 128}, {1, cols}, {rows, cols}, {3, 5}};      // block, channel, tensor, blocks narrower than the lanes
        Weight w = random(r, rows, cols, bs[blocks][0], bs[blocks][1]);
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] v = new float[tokens * rows];
        float[] s = new float[tokens * rows];
        Matmul.matmulVector(x, tokens, w, null, v, dev.toploc.Compute.defaults());
        Matmul.matmulScalar(x, tokens, w, null, s, dev.toploc.Compute.defaults());
        assertArrayEquals(s, v);
    }

    @Test
    void rowSlice_readsTheSameValuesAsTheWholeMatrix() {
        Weight w = random(new Random(5), 300, 70, 128, 32);
        Weight part = w.rowSlice(130, 100);
        for (int r = 0; r < 100; r++) {
            for (int c = 0; c < 70; c++) {
                assertEquals(Float.floatToRawIntBits(w.get((long) (r + 130) * 70 + c)), Float.floatToRawIntBits(part.get((long) r * 70 + c)));
            }
        }
    }
}
