package dev.toploc.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Algebraic properties of the field kernels, with fixed seeds. */
class FieldPropertiesTest {

    private static final int P = Gf65497.P;

    /** Distinct x values (a set), as an int array of size n. */
    private static int[] distinctXs(Random r, int n, int bound) {
        return r.ints(0, bound).distinct().limit(n).toArray();
    }

    @Property(tries = 200, seed = "20261128")
    void reduce_equalsRemainder(@ForAll @LongRange(min = 0, max = 0xFFFFFFFFL) long u) {
        assertEquals(u % P, Gf65497.reduce((int) u));
    }

    @Property(tries = 100, seed = "20261128")
    void mul_equalsLongArithmetic(@ForAll @IntRange(min = 0, max = P - 1) int a, @ForAll @IntRange(min = 0, max = P - 1) int b) {
        assertEquals((long) a * b % P, Gf65497.mul(a, b));
        if (a != 0) {
            assertEquals(1, Gf65497.mul(a, Gf65497.inv(a)));
        }
    }

    @Property(tries = 60, seed = "20261128")
    void interpolation_passesThroughEveryPoint(@ForAll @IntRange(min = 1, max = 160) int n, @ForAll long seed) {
        Random r = new Random(seed);
        int[] x = distinctXs(r, n, P);
        int[] y = r.ints(n, 0, P).toArray();
        int[] c = Gf65497.interpolate(x, y, n);
        assertEquals(n, c.length);
        for (int i = 0; i < n; i++) {
            assertEquals(y[i], Gf65497.evaluate(c, x[i]), "point " + i);
        }
    }

    @Property(tries = 40, seed = "20261128")
    void coefficients_doNotDependOnPointOrder(@ForAll @IntRange(min = 1, max = 128) int n, @ForAll long seed) {
        Random r = new Random(seed);
        int[] x = distinctXs(r, n, P);
        int[] y = r.ints(n, 0, P).toArray();
        List<Integer> order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
        Collections.shuffle(order, r);
        int[] x2 = order.stream().mapToInt(i -> x[i]).toArray();
        int[] y2 = order.stream().mapToInt(i -> y[i]).toArray();
        assertArrayEquals(Gf65497.interpolate(x, y, n), Gf65497.interpolate(x2, y2, n));
    }

    @Property(tries = 30, seed = "20261128")
    void anySubsetOfDistinctResidues_interpolates(@ForAll("moduli") int m, @ForAll long seed) {
        // k indices from a large flat range whose residues mod m are distinct: the polynomial recovers every y.
        Random r = new Random(seed);
        int k = 128;
        int[] residues = distinctXs(r, k, m);
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) {
            idx[i] = residues[i] + m * r.nextInt(3);     // different flat indices, same residues
        }
        int[] x = new int[k];
        for (int i = 0; i < k; i++) {
            x[i] = idx[i] % m;
        }
        int[] y = r.ints(k, 0, P).toArray();
        int[] c = Gf65497.interpolate(x, y, k);
        for (int i = 0; i < k; i++) {
            assertEquals(y[i], Gf65497.evaluate(c, idx[i] % m));
        }
    }

    @Provide
    Arbitrary<Integer> moduli() {
        return Arbitraries.integers().between(128, P);
    }

    @Property(tries = 30, seed = "20261128")
    void fastField_equalsGenericField(@ForAll @IntRange(min = 1, max = 128) int n, @ForAll long seed) {
        Random r = new Random(seed);
        int[] x = distinctXs(r, n, P);
        int[] y = r.ints(n, 0, P).toArray();
        PrimeField generic = new PrimeField(P);
        long[] c = generic.interpolate(IntStream.of(x).asLongStream().toArray(), IntStream.of(y).asLongStream().toArray(), n);
        assertArrayEquals(c, IntStream.of(Gf65497.interpolateScalar(x, y, n)).asLongStream().toArray());
    }

    @Property(tries = 60, seed = "20261128")
    void vectorInterpolation_isBitIdenticalToScalar(@ForAll @IntRange(min = 1, max = 200) int n, @ForAll long seed) {
        Random r = new Random(seed);
        int[] x = distinctXs(r, n, P);
        if (n > 3) {
            x[n / 2] = 0;               // zero and P-1 exercise the edges of sub/neg
            x[1] = P - 1;
            x = IntStream.of(x).distinct().toArray();
        }
        int[] y = r.ints(x.length, 0, P).toArray();
        assertArrayEquals(Gf65497.interpolateScalar(x, y, x.length), Gf65497Vector.interpolate(x, y, x.length));
    }

    @Property(tries = 30, seed = "20261128")
    void wideField_interpolationPassesThroughEveryPoint(@ForAll @IntRange(min = 1, max = 128) int n, @ForAll long seed) {
        Random r = new Random(seed);
        PrimeField f = PrimeField.W32;
        long[] x = r.longs(0, Integer.MAX_VALUE).distinct().limit(n).toArray();
        long[] y = r.longs(n, 0, f.prime()).toArray();
        long[] c = f.interpolate(x, y, n);
        for (int i = 0; i < n; i++) {
            assertEquals(y[i], f.evaluate(c, x[i]));
        }
    }

    @Property(tries = 40, seed = "20261128")
    void vectorEvaluation_isBitIdenticalToScalar(@ForAll @IntRange(min = 1, max = 200) int n,
                                                 @ForAll @IntRange(min = 1, max = 130) int degree, @ForAll long seed) {
        Random r = new Random(seed);
        int[] c = r.ints(degree, 0, P).toArray();
        int[] xs = r.ints(n, 0, P).toArray();
        int[] v = new int[n];
        int[] s = new int[n];
        Gf65497Vector.evaluateMany(c, xs, n, v);
        Gf65497.evaluateManyScalar(c, xs, n, s);
        assertArrayEquals(s, v);
    }
}
