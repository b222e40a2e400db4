package dev.toploc.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Dtype;
import dev.toploc.vectors.SafetensorsWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test-model writer (test-vectors, independent of core and of this reader) against core's conversions,
 * through this module's reader: bf16 every upper half with the low halves that decide rounding (exact, just
 * below, at and just above the tie, the largest) plus random patterns; fp16 and fp32 a sample.
 */
class SafetensorsWriterTest {
    @TempDir
    Path dir;

    @Test
    void bf16_roundsAsCoreDoes_onEveryExponentAndTie() throws Exception {
        int[] lows = {0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF};
        SplittableRandom r = new SplittableRandom(5);
        int n = 65536 * (lows.length + 1);
        float[] v = new float[n];
        int ties = 0;
        for (int hi = 0, i = 0; hi < 65536; hi++) {
            for (int lo : lows) {
                v[i++] = Float.intBitsToFloat(hi << 16 | lo);
                ties += lo == 0x8000 ? 1 : 0;
            }
            v[i++] = Float.intBitsToFloat(r.nextInt());
        }
        assertTrue(ties == 65536, "ties are covered, both parities");
        short[] got = roundTrip("BF16", v, ValueLayout.JAVA_SHORT_UNALIGNED);
        for (int i = 0; i < n; i++) {
            short want = Dtype.floatToBf16(v[i]);
            if (got[i] != want) {
                throw new AssertionError(String.format("bf16 of %08x: writer %04x, core %04x", Float.floatToRawIntBits(v[i]), got[i], want));
            }
        }
    }

    @Test
    void fp16AndFp32_areTheJdksAndExact() throws Exception {
        SplittableRandom r = new SplittableRandom(6);
        float[] v = new float[100_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(-30, 30)));
        }
        short[] h = roundTrip("F16", v, ValueLayout.JAVA_SHORT_UNALIGNED);
        for (int i = 0; i < v.length; i++) {
            assertEquals(Dtype.floatToFp16(v[i]), h[i], "fp16 of " + v[i]);
        }
        try (Arena arena = Arena.ofConfined()) {
            Path f = dir.resolve("f32.safetensors");
            new SafetensorsWriter().add("t", "F32", new long[] {v.length}, v).write(f);
            Safetensors.Entry e = Safetensors.open(f, arena).entries().get("t");
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.floatToRawIntBits(v[i]), e.data().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i));
            }
        }
    }

    private short[] roundTrip(String dtype, float[] v, ValueLayout.OfShort layout) throws Exception {
        Path f = dir.resolve(dtype + ".safetensors");
        new SafetensorsWriter().add("t", dtype, new long[] {v.length}, v).write(f);
        try (Arena arena = Arena.ofConfined()) {
            Safetensors.Entry e = Safetensors.open(f, arena).entries().get("t");
            assertEquals(dtype, e.dtype());
            short[] out = new short[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = e.data().getAtIndex(layout, i);
            }
            return out;
        }
    }
}
