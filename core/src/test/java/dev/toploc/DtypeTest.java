package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Conversions are checked exhaustively: every 16-bit and 8-bit pattern, and every one of the 2^32 fp32
 * inputs for the narrowing to bf16 and fp16 (against independent implementations), so no rounding case
 * is left to a tolerance.
 */
class DtypeTest {

    @Test
    void bf16_everyPattern_widensAndNarrowsBackExactly() {
        for (int p = 0; p < 65536; p++) {
            float f = Dtype.bf16ToFloat((short) p);
            assertEquals(Float.floatToRawIntBits(f), p << 16);
            if (Dtype.BF16.isNaN(p)) {
                assertTrue(Float.isNaN(f));
                assertTrue(Dtype.BF16.isNaN(Dtype.BF16.fromFloat(f)));
            } else {
                assertEquals(p, Dtype.BF16.fromFloat(f), "pattern " + Integer.toHexString(p));
            }
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void bf16_fastPath_equalsGenericPath_forAll2pow32Floats() {
        long bad = LongStream.range(0, 1L << 32).parallel().filter(bits -> {
            float f = Float.intBitsToFloat((int) bits);
            int fast = Dtype.BF16.fromFloat(f);
            int generic = Dtype.BF16.fromFloatGeneric(f);
            return Float.isNaN(f) ? !(Dtype.BF16.isNaN(fast) && Dtype.BF16.isNaN(generic)) : fast != generic;
        }).count();
        assertEquals(0, bad, "fp32 inputs where the two bf16 roundings differ");
    }

    @Test
    void bf16_roundsToNearestEven_onKnownCases() {
        // 1 + 2^-8 is exactly halfway between bf16 1.0 (0x3F80, even) and 1 + 2^-7 (0x3F81): ties to even.
        assertEquals(0x3F80, Dtype.BF16.fromFloat(Float.intBitsToFloat(0x3F808000)));
        // halfway above an odd mantissa rounds up to even
        assertEquals(0x3F82, Dtype.BF16.fromFloat(Float.intBitsToFloat(0x3F818000)));
        // just above halfway rounds up; just below rounds down
        assertEquals(0x3F81, Dtype.BF16.fromFloat(Float.intBitsToFloat(0x3F808001)));
        assertEquals(0x3F80, Dtype.BF16.fromFloat(Float.intBitsToFloat(0x3F807FFF)));
        // the largest finite fp32 overflows to +Inf
        assertEquals(0x7F80, Dtype.BF16.fromFloat(Float.MAX_VALUE));
        assertEquals(0xFF80, Dtype.BF16.fromFloat(-Float.MAX_VALUE));
        assertEquals(0x8000, Dtype.BF16.fromFloat(-0.0f));
        assertEquals(0x7FC0, Dtype.BF16.fromFloat(Float.NaN));
    }

    @Test
    void fp16_everyPattern_widensLikeTheJdk() {
        for (int p = 0; p < 65536; p++) {
            float ours = Dtype.fp16ToFloat((short) p);
            float jdk = Float.float16ToFloat((short) p);
            if (Float.isNaN(jdk)) {
                assertTrue(Float.isNaN(ours));
                assertTrue(Dtype.FP16.isNaN(p));
            } else {
                assertEquals(Float.floatToRawIntBits(jdk), Float.floatToRawIntBits(ours), "pattern " + Integer.toHexString(p));
                assertEquals(p, Dtype.FP16.fromFloat(ours));
            }
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void fp16_narrowing_equalsJdk_forAll2pow32Floats() {
        long bad = LongStream.range(0, 1L << 32).parallel().filter(bits -> {
            float f = Float.intBitsToFloat((int) bits);
            int ours = Dtype.FP16.fromFloat(f);
            int jdk = Float.floatToFloat16(f) & 0xFFFF;
            return Float.isNaN(f) ? !(Dtype.FP16.isNaN(ours) && Dtype.FP16.isNaN(jdk)) : ours != jdk;
        }).count();
        assertEquals(0, bad, "fp32 inputs where our fp16 rounding differs from the JDK's IEEE conversion");
    }

    /**
     * fp8 oracle: the nearest of all 256 decoded values by exact double distance, ties to the even
     * pattern; beyond the largest finite value by half an ulp: Inf (e5m2) or NaN (e4m3).
     */
    private static int nearestFp8(Dtype d, float f) {
        if (Float.isNaN(f)) {
            return -1;
        }
        double x = f;
        int best = -1;
        double bestDist = Double.POSITIVE_INFINITY;
        double maxFinite = 0;
        for (int p = 0; p < 256; p++) {
            if (!d.isFinite(p)) {
                continue;
            }
            double v = d.toFloat(p);
            maxFinite = Math.max(maxFinite, v);
            if (Math.signum(v) != 0 && Math.signum(v) != Math.signum(x) && x != 0) {
                continue;
            }
            double dist = Math.abs(v - x);
            if (dist < bestDist || (dist == bestDist && (p & 1) == 0 && (best & 1) == 1)) {
                best = p;
                bestDist = dist;
            }
        }
        // overflow threshold: max finite + half an ulp of the top binade; ties there go to even (max finite is even)
        int maxPattern = d.nonFiniteMagnitude() - 1;
        double ulp = d.toFloat(maxPattern) - d.toFloat(maxPattern - 1);
        if (Math.abs(x) > maxFinite + ulp / 2) {
            int sign = x < 0 ? 0x80 : 0;
            return d == Dtype.FP8_E5M2 ? sign | d.nonFiniteMagnitude() : -1;
        }
        // keep the sign of zero results
        if (d.toFloat(best) == 0) {
            best = Float.floatToRawIntBits(f) < 0 ? 0x80 : 0;
        }
        return best;
    }

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void fp8_everyPattern_roundTrips_andRoundsLikeTheNearestValueOracle() {
        for (Dtype d : new Dtype[] {Dtype.FP8_E4M3, Dtype.FP8_E5M2}) {
            for (int p = 0; p < 256; p++) {
                if (d.isNaN(p)) {
                    assertTrue(Float.isNaN(d.toFloat(p)));
                    continue;
                }
                assertEquals(p, d.fromFloat(d.toFloat(p)), d + " pattern " + p);
            }
            // every midpoint between neighbours (the rounding cases), the points just around them, and a sweep
            IntStream.range(0, 255).forEach(p -> {
                if (!d.isFinite(p) || !d.isFinite(p + 1) || (p & 0x7F) == 0x7F) {
                    return;
                }
                double mid = (d.toFloat(p) + (double) d.toFloat(p + 1)) / 2;
                for (float f : new float[] {(float) mid, Math.nextUp((float) mid), Math.nextDown((float) mid)}) {
                    check(d, f);
                }
            });
            for (int i = 0; i < 2_000_000; i++) {
                check(d, Float.intBitsToFloat(0x3000_0000 + i * 911));   // magnitudes from ~5e-10 to ~1e5, both signs below
                check(d, -Float.intBitsToFloat(0x3000_0000 + i * 911));
            }
        }
        assertEquals(0x7E, Dtype.FP8_E4M3.fromFloat(448f));
        assertEquals(0x7E, Dtype.FP8_E4M3.fromFloat(464f), "464 is the tie between 448 and 480: even wins");
        assertEquals(0x7F, Dtype.FP8_E4M3.fromFloat(465f), "beyond the range e4m3fn gives NaN");
        assertEquals(0x7B, Dtype.FP8_E5M2.fromFloat(57344f));
        assertEquals(0x7C, Dtype.FP8_E5M2.fromFloat(61440f), "the tie above the largest e5m2 value rounds to Inf");
    }

    private static void check(Dtype d, float f) {
        int want = nearestFp8(d, f);
        int got = d.fromFloat(f);
        if (want == -1) {
            if (!d.isNaN(got)) {
                fail(d + ": " + f + " should give NaN, got 0x" + Integer.toHexString(got));
            }
        } else if (want != got) {
            fail(d + ": " + f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + ") should round to 0x"
                    + Integer.toHexString(want) + ", got 0x" + Integer.toHexString(got));
        }
    }

    @Test
    void fields_splitPatternsAsTheSpecSays() {
        int p = 0xC0A5;    // bf16: sign 1, exponent 0x81, mantissa 0x25
        assertEquals(1, Dtype.BF16.sign(p));
        assertEquals((p & 0x7F80) >> 7, Dtype.BF16.exponent(p));
        assertEquals(p & 0x7F, Dtype.BF16.mantissa(p));
        int h = 0xBC2A;    // fp16
        assertEquals((h & 0x7C00) >> 10, Dtype.FP16.exponent(h));
        assertEquals(h & 0x3FF, Dtype.FP16.mantissa(h));
        assertTrue(Dtype.BF16.isInfinite(0x7F80) && Dtype.BF16.isNaN(0x7F81) && Dtype.BF16.isFinite(0x7F7F));
        assertTrue(Dtype.FP8_E4M3.isNaN(0xFF) && Dtype.FP8_E4M3.isFinite(0x7E) && !Dtype.FP8_E4M3.isInfinite(0x7F));
        assertTrue(Dtype.FP32.isNaN(0x7FC00000) && Dtype.FP32.isInfinite(0xFF800000));
    }

    @Test
    void wireNames_parseBothWays() {
        for (Dtype d : Dtype.values()) {
            assertEquals(d, Dtype.fromWireName(d.wireName()));
        }
        assertEquals(Dtype.BF16, Dtype.fromWireName("bfloat16"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Dtype.fromWireName("int4"));
        assertTrue(e.getMessage().contains("int4") && e.getMessage().contains("expected"));
    }
}
