package dev.toploc.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link VectorExp} against {@code (float) Math.exp}: the same bits for every input. */
class VectorExpTest {

    static void check(float[] x) {
        float[] v = new float[x.length];
        for (int i = 0; i + VectorExp.LANES <= x.length; i += VectorExp.LANES) {
            VectorExp.exp8(x, i, 0f, v, i);
        }
        for (int i = 0; i + VectorExp.LANES <= x.length; i++) {
            assertEquals(Float.floatToIntBits((float) Math.exp(x[i])), Float.floatToIntBits(v[i]), "exp(" + x[i] + ")");
        }
    }

    @Property(tries = 200, seed = "20261201")
    void equalsMathExp_onRandomLanes(@ForAll long seed) {
        assumeTrue(VectorExp.ENABLED, "no 512-bit vectors: callers use Math.exp");
        Random r = new Random(seed);
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (r.nextInt(8)) {
                case 0 -> Float.intBitsToFloat(r.nextInt());                   // anything, NaNs and infinities included
                case 1 -> (r.nextFloat() - 0.5f) * 220f;                      // beyond +-87: the scalar lanes
                case 2 -> -r.nextFloat() * 30f;                               // softmax's range
                case 3 -> r.nextBoolean() ? 0f : -0f;
                default -> (float) r.nextGaussian() * 4f;                     // SwiGLU's
            };
        }
        check(x);
    }

    @Test
    void specialValues() {
        assumeTrue(VectorExp.ENABLED, "no 512-bit vectors: callers use Math.exp");
        check(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 87f, -87f, Math.nextUp(87f), Math.nextDown(-87f),
                88.72283f, 88.72284f, -103.97208f, -103.97209f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 0.5f * (float) Math.log(2)});
    }

    /**
     * Every float in [-87, 87] (2.1 billion), in parallel: the proof the class comment relies on, on this JVM's
     * {@link Math#exp}. Also counts the lanes that took the scalar fallback (a few per million).
     */
    @Test
    @Tag("slow")
    void equalsMathExp_onEveryFloatInRange() {
        assumeTrue(VectorExp.ENABLED, "no 512-bit vectors: callers use Math.exp");
        int lo = Float.floatToRawIntBits(87f);       // positive floats 0 .. 87, and their negatives
        AtomicLong mismatches = new AtomicLong();
        int block = 1 << 16;
        IntStream.range(0, lo / block + 1).parallel().forEach(b -> {
            float[] x = new float[2 * block];
            float[] v = new float[2 * block];
            int n = 0;
            for (int bits = b * block; bits < Math.min(lo + 1, (b + 1) * block); bits++) {
                x[n++] = Float.intBitsToFloat(bits);
                x[n++] = -Float.intBitsToFloat(bits);
            }
            for (int i = 0; i + VectorExp.LANES <= n; i += VectorExp.LANES) {
                VectorExp.exp8(x, i, 0f, v, i);
            }
            for (int i = 0; i < n / VectorExp.LANES * VectorExp.LANES; i++) {
                if (Float.floatToIntBits((float) Math.exp(x[i])) != Float.floatToIntBits(v[i])) {
                    mismatches.incrementAndGet();
                }
            }
        });
        assertEquals(0, mismatches.get());
    }

    /** Negative control: the comparison above tells a float-precision exp (a plausible shortcut) from Math.exp's. */
    @Test
    void theCheckCatchesAnExpComputedInFloat() {
        Random r = new Random(3);
        int differ = 0;
        for (int i = 0; i < 100_000; i++) {
            float x = -r.nextFloat() * 30f;
            float inFloat = 1f;
            float term = 1f;
            for (int k = 1; k < 40; k++) {
                term = term * (x / 40f) / k;
                inFloat += term;
            }
            float pow = inFloat;
            for (int k = 0; k < 39; k++) {
                pow *= inFloat;            // (e^(x/40))^40 in float
            }
            differ += Float.floatToIntBits(pow) != Float.floatToIntBits((float) Math.exp(x)) ? 1 : 0;
        }
        assertTrue(differ > 10_000, differ + " of 100000 differ");
    }
}
