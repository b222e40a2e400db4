package dev.toploc.internal;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The vector twins of {@link Gf65497}'s kernels: the same integer operations per lane (see there), so the
 * results are bit-identical. Only loaded when {@link Simd#ENABLED}.
 */
public final class Gf65497Vector {
    private Gf65497Vector() {
    }

    /**
     * The same two loops with the Vector API. Both inner loops update an array in place from its own
     * element and its left neighbour, so they run over blocks of lanes from the top down: a block reads
     * only elements that no block has written yet (its own, and the one below it, which belongs to the
     * next block down), then the leftover low elements run scalar, also top down. The inverses of the
     * differences are gathered from the table.
     */
    public static int[] interpolate(int[] x, int[] y, int n) {
        var species = Simd.Species.INTS;
        int lanes = species.length();
        int[] d = new int[n];
        System.arraycopy(y, 0, d, 0, n);
        int[] diff = new int[n];
        for (int j = 1; j < n; j++) {
            int i = n - lanes;
            for (; i >= j; i -= lanes) {
                subV(IntVector.fromArray(species, x, i), IntVector.fromArray(species, x, i - j)).intoArray(diff, i);
                IntVector inv = IntVector.fromArray(species, Gf65497.INV, 0, diff, i);
                IntVector num = subV(IntVector.fromArray(species, d, i), IntVector.fromArray(species, d, i - 1));
                mulV(num, inv).intoArray(d, i);
            }
            for (int r = i + lanes - 1; r >= j; r--) {
                d[r] = Gf65497.mul(Gf65497.sub(d[r], d[r - 1]), Gf65497.INV[Gf65497.sub(x[r], x[r - j])]);
            }
        }
        int[] a = new int[n];
        a[0] = d[n - 1];
        for (int i = n - 2, deg = 0; i >= 0; i--, deg++) {
            int negX = x[i] == 0 ? 0 : Gf65497.P - x[i];
            IntVector nx = IntVector.broadcast(species, negX);
            a[deg + 1] = a[deg];
            int j = deg + 1 - lanes;
            for (; j >= 1; j -= lanes) {
                addV(IntVector.fromArray(species, a, j - 1), mulV(nx, IntVector.fromArray(species, a, j))).intoArray(a, j);
            }
            for (int r = j + lanes - 1; r >= 1; r--) {
                a[r] = Gf65497.add(a[r - 1], Gf65497.mul(negX, a[r]));
            }
            a[0] = Gf65497.add(Gf65497.mul(negX, a[0]), d[i]);
        }
        return a;
    }

    /** Horner across points: each lane carries one point, the same ops as {@link #reduce} per lane. */
    public static void evaluateMany(int[] c, int[] xs, int n, int[] out) {
        var species = Simd.Species.INTS;
        int lanes = species.length();
        int bound = species.loopBound(n);
        int i = 0;
        for (; i < bound; i += lanes) {
            IntVector x = IntVector.fromArray(species, xs, i);
            IntVector acc = IntVector.zero(species);
            for (int j = c.length - 1; j >= 0; j--) {
                acc = addV(mulV(acc, x), IntVector.broadcast(species, c[j]));
            }
            acc.intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = Gf65497.evaluate(c, xs[i]);
        }
    }

    private static IntVector reduceV(IntVector u) {
        IntVector t = u.lanewise(VectorOperators.LSHR, 16).mul(39).add(u.and(0xFFFF));
        t = t.lanewise(VectorOperators.LSHR, 16).mul(39).add(t.and(0xFFFF));
        return t.sub(Gf65497.P, t.compare(VectorOperators.GE, Gf65497.P));
    }

    private static IntVector mulV(IntVector a, IntVector b) {
        return reduceV(a.mul(b));
    }

    private static IntVector addV(IntVector a, IntVector b) {
        IntVector s = a.add(b);
        return s.sub(Gf65497.P, s.compare(VectorOperators.GE, Gf65497.P));
    }

    private static IntVector subV(IntVector a, IntVector b) {
        IntVector s = a.sub(b);
        return s.add(Gf65497.P, s.compare(VectorOperators.LT, 0));
    }
}
