package dev.toploc.internal;

/**
 * Arithmetic in GF(65497), the TOPLOC v1 field, and the polynomial kernels over it.
 *
 * <p>Elements are {@code int}s in {@code [0, P)}. A product of two elements is below 2^32, so it is
 * computed exactly as an unsigned 32-bit {@code int} (Java multiplication wraps to the low 32 bits) and
 * reduced with the pseudo-Mersenne identity {@code 2^16 = 39 (mod P)}, since {@code P = 2^16 - 39}:
 *
 * <pre>
 *   u = hi*2^16 + lo            (u < 2^32)       ->  t = 39*hi + lo       (t < 2^22)
 *   t = hi'*2^16 + lo'                           ->  t = 39*hi' + lo'     (t < 67,097 < 2P)
 *   t >= P ? t - P : t
 * </pre>
 *
 * The same five integer operations run in the scalar code and in the vector lanes, so both paths are
 * exact and bit-identical (the vector twins are in {@link Gf65497Vector}, loaded only when
 * {@link Simd#ENABLED}). Inverses come from a table of all 65,497 elements built once (256 KiB) with
 * {@code inv[i] = -(P / i) * inv[P mod i]}.
 */
public final class Gf65497 {
    private Gf65497() {
    }

    public static final int P = 65497;

    static final int[] INV = new int[P];

    static {
        INV[1] = 1;
        for (int i = 2; i < P; i++) {
            INV[i] = (int) ((long) (P - P / i) * INV[P % i] % P);
        }
    }

    /** Reduces an unsigned 32-bit value (held in an int) modulo P. */
    public static int reduce(int u) {
        int t = 39 * (u >>> 16) + (u & 0xFFFF);
        t = 39 * (t >>> 16) + (t & 0xFFFF);
        return t >= P ? t - P : t;
    }

    public static int mul(int a, int b) {
        return reduce(a * b);
    }

    public static int add(int a, int b) {
        int s = a + b;
        return s >= P ? s - P : s;
    }

    public static int sub(int a, int b) {
        int s = a - b;
        return s < 0 ? s + P : s;
    }

    /** Multiplicative inverse; {@code inv(0)} is 0 (never asked for: callers divide by non-zero differences). */
    public static int inv(int a) {
        return INV[a];
    }

    /**
     * Newton interpolation: the unique polynomial of degree &lt; n through {@code (x[i], y[i])}, returned as
     * monomial coefficients {@code c[0..n)} in ascending order. {@code x} must be distinct elements of
     * the field and {@code y} elements of it; neither array is modified. Vector or scalar by
     * {@link Simd#ENABLED}; the two are bit-identical (exact arithmetic in the same field).
     *
     * <p>Divided differences in place (column j uses points i-j..i), then the Newton form
     * {@code d0 + d1(X-x0) + d2(X-x0)(X-x1) + ...} is expanded by Horner's rule from the top:
     * {@code a <- a*(X - x_i) + d_i}.
     */
    public static int[] interpolate(int[] x, int[] y, int n) {
        return Simd.ENABLED ? Gf65497Vector.interpolate(x, y, n) : interpolateScalar(x, y, n);
    }

    /** Scalar twin of {@link Gf65497Vector#interpolate}. */
    public static int[] interpolateScalar(int[] x, int[] y, int n) {
        int[] d = new int[n];
        System.arraycopy(y, 0, d, 0, n);
        for (int j = 1; j < n; j++) {
            for (int i = n - 1; i >= j; i--) {
                d[i] = mul(sub(d[i], d[i - 1]), INV[sub(x[i], x[i - j])]);
            }
        }
        int[] a = new int[n];
        a[0] = d[n - 1];
        for (int i = n - 2, deg = 0; i >= 0; i--, deg++) {
            int negX = x[i] == 0 ? 0 : P - x[i];
            a[deg + 1] = a[deg];
            for (int j = deg; j >= 1; j--) {
                a[j] = add(a[j - 1], mul(negX, a[j]));
            }
            a[0] = add(mul(negX, a[0]), d[i]);
        }
        return a;
    }

    /** Horner evaluation of {@code sum c[j] X^j} at one point (both in the field). */
    public static int evaluate(int[] c, int x) {
        int acc = 0;
        for (int j = c.length - 1; j >= 0; j--) {
            acc = add(mul(acc, x), c[j]);
        }
        return acc;
    }

    /** Evaluates at {@code n} points {@code xs[0..n)} into {@code out}; vector or scalar by {@link Simd#ENABLED}. */
    public static void evaluateMany(int[] c, int[] xs, int n, int[] out) {
        if (Simd.ENABLED) {
            Gf65497Vector.evaluateMany(c, xs, n, out);
        } else {
            evaluateManyScalar(c, xs, n, out);
        }
    }

    /** Scalar twin of {@link Gf65497Vector#evaluateMany}. */
    public static void evaluateManyScalar(int[] c, int[] xs, int n, int[] out) {
        for (int i = 0; i < n; i++) {
            out[i] = evaluate(c, xs[i]);
        }
    }


}
