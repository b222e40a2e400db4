package dev.toploc;

/**
 * Sizes taken from untrusted input, checked before anything is allocated: products in {@code long}
 * arithmetic that cannot overflow unnoticed ({@link Math#multiplyExact}), against the largest array the
 * JVM allocates and against the heap this JVM may ever have. A size that fails is an
 * {@link IllegalArgumentException} naming it, never a {@code NegativeArraySizeException} from a wrapped
 * {@code int} product nor an {@code OutOfMemoryError} for a request no heap could hold.
 */
public final class Sizes {
    private Sizes() {
    }

    /** The largest array length the JVM allocates reliably (a few header words below {@code Integer.MAX_VALUE}). */
    public static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** The product of {@code dims} ({@code >= 0} each), or -1 if it does not fit a {@code long}. */
    public static long product(long... dims) {
        long p = 1;
        try {
            for (long d : dims) {
                if (d < 0) {
                    throw new IllegalArgumentException("negative dimension " + d);
                }
                p = Math.multiplyExact(p, d);
            }
        } catch (ArithmeticException e) {
            return -1;
        }
        return p;
    }

    /**
     * The product of {@code dims} as an array length: throws unless it is at most {@link #MAX_ARRAY} and an
     * array of that many {@code bytesPerElement}-byte elements fits the heap.
     */
    public static int arrayLength(String what, int bytesPerElement, long... dims) {
        long n = product(dims);
        if (n < 0 || n > MAX_ARRAY) {
            throw new IllegalArgumentException(what + ": " + describe(dims) + " values do not fit one array (at most " + MAX_ARRAY + ")");
        }
        requireHeap(what, n * bytesPerElement);
        return (int) n;
    }

    /** Throws unless {@code bytes} (negative: overflowed) is at most the heap this JVM may grow to. */
    public static void requireHeap(String what, long bytes) {
        long max = Runtime.getRuntime().maxMemory();
        if (bytes < 0 || bytes > max) {
            throw new IllegalArgumentException(what + ": needs " + (bytes < 0 ? "more than 2^63" : String.valueOf(bytes))
                    + " bytes, more than this JVM's heap of " + max + " bytes (-Xmx)");
        }
    }

    private static String describe(long... dims) {
        StringBuilder b = new StringBuilder();
        for (long d : dims) {
            b.append(b.isEmpty() ? "" : " x ").append(d);
        }
        long p = product(dims);
        return b + (dims.length > 1 ? " = " + (p < 0 ? "more than 2^63" : String.valueOf(p)) : "");
    }
}
