package dev.toploc;

import java.util.Arrays;
import java.util.Base64;

/**
 * One chunk's commit: the modulus {@code m} and the ascending monomial coefficients of the polynomial
 * through the chunk's top-k points, in a named {@link CommitEncoding}.
 *
 * <p>Immutable; arrays are copied in and out. Instances come from {@link Commits} (building) or from the
 * strict parsers {@link #fromBytes} and {@link #fromBase64}, which reject anything a commit cannot be:
 * a wrong length, {@code m = 0} or {@code m} above the field's prime, a coefficient outside the field.
 *
 * <p>Usage:
 * <pre>{@code
 * Commit c = Commit.fromBase64(line, CommitEncoding.V1, 128);   // throws CommitFormatException
 * String again = c.toBase64();                                  // standard alphabet, padded
 * }</pre>
 */
public final class Commit {
    private final CommitEncoding encoding;
    private final long modulus;
    private final long[] coefficients;

    private Commit(CommitEncoding encoding, long modulus, long[] coefficients) {
        this.encoding = encoding;
        this.modulus = modulus;
        this.coefficients = coefficients;
    }

    /** For builders in this library: takes ownership of {@code coefficients}. */
    static Commit ofTrusted(CommitEncoding encoding, long modulus, long[] coefficients) {
        return new Commit(encoding, modulus, coefficients);
    }

    /** Builds a commit from its parts, validated like the parsers do. */
    public static Commit of(CommitEncoding encoding, long modulus, long[] coefficients) throws CommitFormatException {
        validate(encoding, modulus, coefficients, "commit");
        return new Commit(encoding, modulus, coefficients.clone());
    }

    public CommitEncoding encoding() {
        return encoding;
    }

    /** The modulus {@code m} applied to flat indices ({@code 1 <= m <= prime}). */
    public long modulus() {
        return modulus;
    }

    /** Number of coefficients, which is the k the commit was built with. */
    public int k() {
        return coefficients.length;
    }

    /** The coefficients {@code c_0 .. c_{k-1}} (a copy). */
    public long[] coefficients() {
        return coefficients.clone();
    }

    long[] coefficientsUnsafe() {
        return coefficients;
    }

    /** The wire bytes: {@code m} then each coefficient, big-endian, {@link CommitEncoding#wordBytes()} each. */
    public byte[] toBytes() {
        int w = encoding.wordBytes();
        byte[] out = new byte[encoding.byteLength(coefficients.length)];
        putWord(out, 0, w, modulus);
        for (int j = 0; j < coefficients.length; j++) {
            putWord(out, (j + 1) * w, w, coefficients[j]);
        }
        return out;
    }

    /** Standard base64 with padding, as the reference prints it. */
    public String toBase64() {
        return Base64.getEncoder().encodeToString(toBytes());
    }

    /** Parses wire bytes of any k. */
    public static Commit fromBytes(byte[] bytes, CommitEncoding encoding) throws CommitFormatException {
        return parse(bytes, encoding, -1, "commit");
    }

    /** Parses wire bytes and requires exactly {@code expectedK} coefficients. */
    public static Commit fromBytes(byte[] bytes, CommitEncoding encoding, int expectedK) throws CommitFormatException {
        return parse(bytes, encoding, expectedK, "commit");
    }

    /** As {@link #fromBytes(byte[], CommitEncoding, int)}, naming the commit {@code what} in errors. */
    static Commit fromBytes(byte[] bytes, CommitEncoding encoding, int expectedK, String what) throws CommitFormatException {
        return parse(bytes, encoding, expectedK, what);
    }

    /**
     * Parses base64 text (standard or URL-safe alphabet, padding optional; surrounding whitespace
     * ignored) and requires exactly {@code expectedK} coefficients ({@code -1}: any).
     */
    public static Commit fromBase64(String text, CommitEncoding encoding, int expectedK) throws CommitFormatException {
        return fromBase64(text, encoding, expectedK, "commit");
    }

    /** As {@link #fromBase64(String, CommitEncoding, int)}, naming the commit {@code what} in errors (e.g. "commit 3"). */
    public static Commit fromBase64(String text, CommitEncoding encoding, int expectedK, String what) throws CommitFormatException {
        if (text == null) {
            throw new CommitFormatException(what + ": missing (null)");
        }
        String t = text.strip();
        if (t.isEmpty()) {
            throw new CommitFormatException(what + ": empty text (expected base64 of " + lengthHint(encoding, expectedK) + ")");
        }
        byte[] bytes;
        try {
            bytes = dev.toploc.internal.Base64s.decodeStrict(t);
        } catch (IllegalArgumentException e) {
            throw new CommitFormatException(what + ": " + e.getMessage(), e);
        }
        return parse(bytes, encoding, expectedK, what);
    }

    private static String lengthHint(CommitEncoding encoding, int expectedK) {
        return expectedK > 0
                ? encoding.byteLength(expectedK) + " bytes (k = " + expectedK + ", " + encoding.wireName() + ")"
                : encoding.wordBytes() + " + " + encoding.wordBytes() + "k bytes (" + encoding.wireName() + ")";
    }

    private static Commit parse(byte[] bytes, CommitEncoding encoding, int expectedK, String what) throws CommitFormatException {
        if (bytes == null) {
            throw new CommitFormatException(what + ": missing (null)");
        }
        int w = encoding.wordBytes();
        if (bytes.length == 0) {
            throw new CommitFormatException(what + ": empty (expected " + lengthHint(encoding, expectedK) + ")");
        }
        if (bytes.length % w != 0 || bytes.length < 2 * w) {
            throw new CommitFormatException(what + ": length " + bytes.length + " bytes is not a whole " + encoding.wireName()
                    + " commit (expected " + lengthHint(encoding, expectedK) + ")");
        }
        if (allZero(bytes)) {
            throw CommitFormatException.ofNullProof(what + ": all zero bytes, the reference's 'null proof' (its hooks emit it when "
                    + "committing failed): the provider did not commit to these states");
        }
        int k = bytes.length / w - 1;
        if (expectedK > 0 && k != expectedK) {
            throw new CommitFormatException(what + ": length " + bytes.length + " bytes holds k = " + k
                    + " coefficients, expected " + lengthHint(encoding, expectedK));
        }
        long m = getWord(bytes, 0, w);
        long[] c = new long[k];
        for (int j = 0; j < k; j++) {
            c[j] = getWord(bytes, (j + 1) * w, w);
        }
        validate(encoding, m, c, what);
        return new Commit(encoding, m, c);
    }

    private static boolean allZero(byte[] b) {
        int or = 0;
        for (byte x : b) {
            or |= x;
        }
        return or == 0;
    }

    private static void validate(CommitEncoding encoding, long m, long[] c, String what) throws CommitFormatException {
        long p = encoding.prime();
        if (m == 0) {
            throw new CommitFormatException(what + ": modulus 0 is not allowed (expected 1.." + p + ")");
        }
        if (m < 0 || m > p) {
            throw new CommitFormatException(what + ": modulus " + m + " is out of range (expected 1.." + p + ")");
        }
        if (c.length == 0) {
            throw new CommitFormatException(what + ": has no coefficients (expected k >= 1)");
        }
        if (m < c.length) {
            throw new CommitFormatException(what + ": modulus " + m + " is smaller than k = " + c.length
                    + ", so no k indices can be distinct mod m (expected " + c.length + ".." + p + ")");
        }
        for (int j = 0; j < c.length; j++) {
            if (c[j] < 0 || c[j] >= p) {
                throw new CommitFormatException(what + ": coefficient " + j + " = " + c[j] + " is not an element of GF(" + p + ")");
            }
        }
    }

    private static void putWord(byte[] out, int at, int w, long v) {
        for (int i = w - 1; i >= 0; i--) {
            out[at + i] = (byte) v;
            v >>>= 8;
        }
    }

    private static long getWord(byte[] in, int at, int w) {
        long v = 0;
        for (int i = 0; i < w; i++) {
            v = (v << 8) | (in[at + i] & 0xFF);
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Commit other && encoding == other.encoding && modulus == other.modulus
                && Arrays.equals(coefficients, other.coefficients);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * encoding.hashCode() + Long.hashCode(modulus)) + Arrays.hashCode(coefficients);
    }

    @Override
    public String toString() {
        return encoding.wireName() + ":" + toBase64();
    }
}
