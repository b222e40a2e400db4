package dev.toploc.internal;

/**
 * Arithmetic in GF(p) for any prime {@code p < 2^32}, on {@code long}s in {@code [0, p)}.
 *
 * <p>Used for the wide fp32 commit encoding (p = 4294967291 = 2^32 - 5) and, in tests, as an
 * independently written cross-check of {@link Gf65497}. Products of two elements are below 2^64 and are
 * reduced with {@link Long#remainderUnsigned}; inverses use Fermat's little theorem, and interpolation
 * inverts each column of divided-difference denominators with one batched inversion (Montgomery's trick).
 */
public final class PrimeField {
    /** The wide-encoding prime, the largest below 2^32. */
    public static final PrimeField W32 = new PrimeField(4294967291L);

    private final long p;

    public PrimeField(long p) {
        if (p < 2 || p >= (1L << 32)) {
            throw new IllegalArgumentException("prime " + p + " out of range (expected 2..2^32-1)");
        }
        this.p = p;
    }

    public long prime() {
        return p;
    }

    public long mul(long a, long b) {
        return Long.remainderUnsigned(a * b, p);
    }

    public long add(long a, long b) {
        long s = a + b;
        return s >= p ? s - p : s;
    }

    public long sub(long a, long b) {
        long s = a - b;
        return s < 0 ? s + p : s;
    }

    public long pow(long base, long e) {
        long r = 1;
        long b = base;
        while (e > 0) {
            if ((e & 1) != 0) {
                r = mul(r, b);
            }
            b = mul(b, b);
            e >>>= 1;
        }
        return r;
    }

    public long inv(long a) {
        if (a == 0) {
            throw new ArithmeticException("0 has no inverse");
        }
        return pow(a, p - 2);
    }

    /** Newton interpolation to ascending monomial coefficients; {@code x} distinct, all values in the field. */
    public long[] interpolate(long[] x, long[] y, int n) {
        long[] d = new long[n];
        System.arraycopy(y, 0, d, 0, n);
        long[] den = new long[n];
        long[] prefix = new long[n];
        for (int j = 1; j < n; j++) {
            // Batch-invert the column's denominators x[i] - x[i-j], i = j..n-1.
            long acc = 1;
            for (int i = j; i < n; i++) {
                den[i] = sub(x[i], x[i - j]);
                prefix[i] = acc;
                acc = mul(acc, den[i]);
            }
            long invAcc = inv(acc);
            for (int i = n - 1; i >= j; i--) {
                long invDen = mul(invAcc, prefix[i]);
                invAcc = mul(invAcc, den[i]);
                d[i] = mul(sub(d[i], d[i - 1]), invDen);
            }
        }
        long[] a = new long[n];
        a[0] = d[n - 1];
        for (int i = n - 2, deg = 0; i >= 0; i--, deg++) {
            long negX = x[i] == 0 ? 0 : p - x[i];
            a[deg + 1] = a[deg];
            for (int j = deg; j >= 1; j--) {
                a[j] = add(a[j - 1], mul(negX, a[j]));
            }
            a[0] = add(mul(negX, a[0]), d[i]);
        }
        return a;
    }

    public long evaluate(long[] c, long x) {
        long acc = 0;
        for (int j = c.length - 1; j >= 0; j--) {
            acc = add(mul(acc, x), c[j]);
        }
        return acc;
    }
}
