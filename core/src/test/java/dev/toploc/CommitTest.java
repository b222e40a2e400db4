package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The commit value type: wire bytes, base64 in both alphabets, and every malformed input named. */
class CommitTest {

    /** The reference README's first published commit: modulus 65497, k = 4. */
    private static final String README_COMMIT = "/9kbQitnukt1bQ==";

    @Test
    void parsesTheReferenceReadmeCommit() throws Exception {
        Commit c = Commit.fromBase64(README_COMMIT, CommitEncoding.V1, 4);
        assertEquals(65497, c.modulus());
        assertEquals(4, c.k());
        assertEquals(README_COMMIT, c.toBase64());
        assertEquals(10, c.toBytes().length);
    }

    @Test
    void acceptsUrlSafeAlphabetAndMissingPadding() throws Exception {
        Commit std = Commit.fromBase64(README_COMMIT, CommitEncoding.V1, 4);
        String url = Base64.getUrlEncoder().withoutPadding().encodeToString(std.toBytes());
        assertEquals(std, Commit.fromBase64(url, CommitEncoding.V1, 4));
        assertEquals(std, Commit.fromBase64("  " + README_COMMIT + "\n", CommitEncoding.V1, 4));
    }

    @Property(tries = 100, seed = "20261128")
    void bytesRoundTrip(@ForAll @IntRange(min = 1, max = 300) int k, @ForAll boolean wide, @ForAll long seed) throws Exception {
        Random r = new Random(seed);
        CommitEncoding enc = wide ? CommitEncoding.W32 : CommitEncoding.V1;
        long p = enc.prime();
        long[] coeffs = r.longs(k, 0, p).toArray();
        long m = k + (long) (r.nextDouble() * (p - k));
        Commit c = Commit.of(enc, m, coeffs);
        assertEquals(enc.byteLength(k), c.toBytes().length);
        assertEquals(c, Commit.fromBytes(c.toBytes(), enc, k));
        assertEquals(c, Commit.fromBase64(c.toBase64(), enc, k));
        assertArrayEquals(coeffs, c.coefficients());
    }

    static Stream<Arguments> malformed() {
        byte[] good = new byte[258];
        good[0] = (byte) 0xFF;
        good[1] = (byte) 0xD9;
        byte[] zeroModulus = good.clone();
        zeroModulus[0] = 0;
        zeroModulus[1] = 0;
        zeroModulus[9] = 1;                          // one coefficient non-zero: malformed, not the null proof
        byte[] bigModulus = good.clone();
        bigModulus[1] = (byte) 0xDA;                 // 65498 > 65497
        byte[] badCoefficient = good.clone();
        badCoefficient[2 + 2 * 7] = (byte) 0xFF;     // c_7 = 0xFFxx >= 65497
        badCoefficient[3 + 2 * 7] = (byte) 0xF0;
        byte[] smallModulus = good.clone();
        smallModulus[0] = 0;
        smallModulus[1] = 100;                       // m = 100 < k = 128
        return Stream.of(
                Arguments.of("modulus-zero", b64(zeroModulus), "modulus 0 is not allowed (expected 1..65497)"),
                Arguments.of("modulus-too-large", b64(bigModulus), "modulus 65498 is out of range (expected 1..65497)"),
                Arguments.of("modulus-below-k", b64(smallModulus), "modulus 100 is smaller than k = 128"),
                Arguments.of("coefficient-outside-field", b64(badCoefficient), "coefficient 7 = 65520 is not an element of GF(65497)"),
                Arguments.of("odd-length", b64(java.util.Arrays.copyOf(good, 257)), "length 257 bytes is not a whole toploc-v1 commit (expected 258 bytes (k = 128, toploc-v1))"),
                Arguments.of("truncated", b64(java.util.Arrays.copyOf(good, 130)), "length 130 bytes holds k = 64 coefficients, expected 258 bytes (k = 128, toploc-v1)"),
                Arguments.of("empty", "", "empty text (expected base64 of 258 bytes (k = 128, toploc-v1))"),
                Arguments.of("not-base64", "/9kb*QitnukQ==", "not valid base64"),
                Arguments.of("mixed-alphabets", "/9k-QitnukQ=", "mixes the standard (+/) and URL-safe (-_) base64 alphabets"));
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @ParameterizedTest(name = "commit.{0}")
    @MethodSource("malformed")
    void malformedCommit_throwsNamingTheProblem(String name, String text, String expectedMessage) {
        CommitFormatException e = assertThrows(CommitFormatException.class,
                () -> Commit.fromBase64(text, CommitEncoding.V1, 128, "commit 3"));
        assertTrue(e.getMessage().startsWith("commit 3: "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedMessage), () -> "message was: " + e.getMessage());
    }

    @Test
    void nullProofOfTheReference_isRejected() {
        String nullProof = b64(new byte[258]);
        CommitFormatException e = assertThrows(CommitFormatException.class, () -> Commit.fromBase64(nullProof, CommitEncoding.V1, 128));
        assertTrue(e.nullProof(), "an all-zero commit is the null proof: a rejection, not bad input");
        assertTrue(e.getMessage().contains("all zero bytes, the reference's 'null proof'"), e.getMessage());
        // of any whole length, k = 64 too: it is the error marker whatever k was asked for
        assertTrue(assertThrows(CommitFormatException.class, () -> Commit.fromBytes(new byte[130], CommitEncoding.V1, 128)).nullProof());
        // negative controls: malformed commits are not null proofs
        byte[] zeroModulus = new byte[258];
        zeroModulus[9] = 1;
        assertFalse(assertThrows(CommitFormatException.class, () -> Commit.fromBytes(zeroModulus, CommitEncoding.V1, 128)).nullProof());
        assertFalse(assertThrows(CommitFormatException.class, () -> Commit.fromBytes(new byte[257], CommitEncoding.V1, 128)).nullProof());
    }
}
