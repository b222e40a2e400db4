package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Tie tolerance over random heavily tied chunks (few distinct magnitudes): any honest tie choice measures
 * 0, and for any commit (honest, corrupted, alien) {@code strict - r <= tolerant <= strict}.
 */
class TieTolerancePropertiesTest {

    static short[] tiedChunk(Random rnd, int len, int distinct) {
        short[] p = new short[len];
        for (int i = 0; i < len; i++) {
            float v = (1 + rnd.nextInt(distinct)) * 0.25f * (rnd.nextBoolean() ? 1 : -1);
            p[i] = Dtype.floatToBf16(v);
        }
        return p;
    }

    /** A top-k whose ties at the k-th magnitude are broken at random (as torch may). */
    static int[] randomTieTopK(short[] p, int k, Random rnd) {
        Integer[] order = new Integer[p.length];
        long[] tiebreak = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
            tiebreak[i] = rnd.nextLong();
        }
        Arrays.sort(order, (a, b) -> {
            int ma = p[a] & 0x7FFF;
            int mb = p[b] & 0x7FFF;
            return ma != mb ? Integer.compare(mb, ma) : Long.compare(tiebreak[a], tiebreak[b]);
        });
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) {
            idx[i] = order[i];
        }
        Arrays.sort(idx);
        return idx;
    }

    static short[] at(short[] p, int[] idx) {
        short[] out = new short[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = p[idx[i]];
        }
        return out;
    }

    @Property(tries = 150, seed = "20261201")
    void anyHonestTieChoice_measuresZero_andTheBoundsHold(@ForAll @IntRange(min = 1, max = 1 << 20) int seed,
                                                          @ForAll @IntRange(min = 2, max = 12) int distinct,
                                                          @ForAll @IntRange(min = 1, max = 64) int k) throws Exception {
        Random rnd = new Random(seed);
        short[] p = tiedChunk(rnd, 2048, distinct);
        int[] theirs = randomTieTopK(p, k, rnd);
        Commit honest = Commits.commitSelection(theirs, at(p, theirs), Dtype.BF16);
        Commits.Measured m = Commits.checkPatterns(p, 0, p.length, Dtype.BF16, honest, TieRule.TOLERANT);
        assertEquals(new ChunkStats(k, 0, 0, 0, 0), m.tolerant(), m.toString());
        bounds(m);
        // corrupted: some committed values get another exponent
        short[] bad = at(p, theirs);
        for (int i = 0; i < bad.length; i++) {
            if (rnd.nextInt(3) == 0) {
                bad[i] = (short) (bad[i] ^ 0x0080);
            }
        }
        bounds(Commits.checkPatterns(p, 0, p.length, Dtype.BF16, Commits.commitSelection(theirs, bad, Dtype.BF16), TieRule.TOLERANT));
        // alien: another chunk's commit
        short[] q = tiedChunk(rnd, 2048, distinct);
        int[] qi = randomTieTopK(q, k, rnd);
        bounds(Commits.checkPatterns(p, 0, p.length, Dtype.BF16, Commits.commitSelection(qi, at(q, qi), Dtype.BF16), TieRule.TOLERANT));
    }

    static void bounds(Commits.Measured m) {
        assertTrue(m.tolerant().expMismatches() <= m.strict().expMismatches(), m.toString());
        assertTrue(m.tolerant().expMismatches() >= m.strict().expMismatches() - m.tiedSlots(), m.toString());
        assertEquals(m.strict().k(), m.tolerant().k());
    }
}
