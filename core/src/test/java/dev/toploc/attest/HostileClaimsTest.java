package dev.toploc.attest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkStats;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13's forgeries, as classes: sampling parameters that make the replay vacuous, claims that
 * contradict their own parameters, signed payloads with trailing data, and trust files of several keys.
 */
class HostileClaimsTest {

    // ------------------------------------------------------------------ 1. parameters that make a check vacuous

    /** Doubles that break arithmetic: subnormals, the edges of the range, infinities, NaN, and ordinary values. */
    @Provide
    Arbitrary<Double> hostileDoubles() {
        return Arbitraries.oneOf(
                Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -Double.MIN_VALUE,
                        Double.MIN_NORMAL, 1e-300, 1e-45, Math.nextDown(0.01), 0.01, 100.0, Math.nextUp(100.0), Double.MAX_VALUE,
                        0.0, -0.0, 1e-5),
                Arbitraries.doubles().between(-1e-2, 1e-1),
                Arbitraries.doubles().between(-1e6, 1e6),
                Arbitraries.longs().map(Double::longBitsToDouble));
    }

    /**
     * Every temperature a claim may carry gives a computable replay: {@code logit / T} is finite for every
     * float logit and the gap scaled back by {@code T} is finite too. Everything else is refused.
     */
    @Property(tries = 2000, seed = "13")
    void everyAcceptedTemperature_givesAComputableReplay(@ForAll("hostileDoubles") double t) {
        InferenceAttestation.SamplingRef s;
        try {
            s = new InferenceAttestation.SamplingRef(t, 7, 16, -1, "length");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().startsWith("temperature "), e.getMessage());
            assertTrue(!(t == 0 || (t >= 0.01 && t <= 100)), "refused an allowed temperature " + t);
            return;
        }
        double temp = s.temperature();
        assertTrue(temp == 0 || (temp >= 0.01 && temp <= 100), "accepted temperature " + temp);
        if (temp > 0) {
            double score = Float.MAX_VALUE / temp + 40;           // largest logit plus the largest Gumbel draw (-ln(-ln(1 - 2^-54)) < 40)
            double gap = (score - (-Float.MAX_VALUE / temp - 4)) * temp;
            assertTrue(Double.isFinite(score) && Double.isFinite(gap), "temperature " + temp + " overflows the replay");
        }
    }

    /**
     * A policy that can be built never passes a chunk it should not: whatever thresholds are asked for,
     * a passing chunk's statistics are within them, and a chunk none of whose exponents matched (mean and
     * median +Infinity) never passes.
     */
    @Property(tries = 2000, seed = "13")
    void aBuiltPolicy_neverPassesWhatItsThresholdsExclude(@ForAll("hostileDoubles") double mean, @ForAll("hostileDoubles") double median,
                                                          @ForAll("hostileDoubles") double avg, @ForAll @IntRange(min = 0, max = 128) int exp,
                                                          @ForAll @IntRange(min = 0, max = 128) int mismatches) {
        AcceptancePolicy p;
        try {
            p = new AcceptancePolicy(exp, mean, median, -1, avg, "hostile");
        } catch (IllegalArgumentException e) {
            return;
        }
        ChunkStats none = new ChunkStats(128, 128, 0, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
        assertTrue(!p.violations(none).isEmpty(), "a chunk without one matching exponent passed " + p);
        // each mantissa bound on its own: an infinite statistic fails it whatever the other one says
        assertTrue(!p.violations(new ChunkStats(128, 0, 0, Double.POSITIVE_INFINITY, 0)).isEmpty(), "an infinite mean passed " + p);
        assertTrue(!p.violations(new ChunkStats(128, 0, 0, 0, Double.POSITIVE_INFINITY)).isEmpty(), "an infinite median passed " + p);
        ChunkStats s = new ChunkStats(128, mismatches, 0, Math.abs(mean) * 0.999, Math.abs(median) * 1.001);
        if (p.violations(s).isEmpty()) {
            assertTrue(s.expMismatches() <= p.maxExpMismatches() && s.mantErrMean() <= p.maxMantErrMean()
                    && s.mantErrMedian() <= p.maxMantErrMedian(), s + " passed " + p);
        }
        assertTrue(!p.sequenceViolations(List.of(none)).isEmpty() || p.maxAvgMantErrMean() == Double.POSITIVE_INFINITY,
                "the sequence check passed an infinite average under " + p);
    }

    @Test
    void chunkStats_outOfRangeOrNaN_areRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ChunkStats(128, 0, 0, Double.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChunkStats(128, 0, 0, 0, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new ChunkStats(128, 129, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChunkStats(128, -1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChunkStats(0, 0, 0, 0, 0));
        new ChunkStats(128, 128, 128, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);    // the control: no exponent matched
    }

    // ------------------------------------------------------------------ 2. claims that contradict their own parameters

    static byte[] edited(java.util.function.UnaryOperator<String> edit) throws Exception {
        return edit.apply(new String(AttestationTest.sample().toStatementJson(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }

    static Stream<Arguments> contradictions() {
        return Stream.of(
                Arguments.of("eos-stop-longer-than-maxTokens", (java.util.function.UnaryOperator<String>) s -> s.replace("\"maxTokens\" : 96", "\"maxTokens\" : 3"),
                        "schema: predicate: the completion has 4 tokens, more than its own maxTokens 3"),
                Arguments.of("maxTokens-zero", (java.util.function.UnaryOperator<String>) s -> s.replace("\"maxTokens\" : 96", "\"maxTokens\" : 0"),
                        "schema: predicate.sampling.maxTokens 0 is out of range (expected 1..1048576)"),
                Arguments.of("maxTokens-negative", (java.util.function.UnaryOperator<String>) s -> s.replace("\"maxTokens\" : 96", "\"maxTokens\" : -5"),
                        "schema: predicate.sampling.maxTokens -5 is out of range"),
                Arguments.of("eos-stop-without-eos-token", (java.util.function.UnaryOperator<String>) s -> s.replace("\"eosTokenId\" : 257", "\"eosTokenId\" : -1"),
                        "schema: predicate.sampling.stop is 'eos' but eosTokenId is -1"),
                Arguments.of("subnormal-temperature", (java.util.function.UnaryOperator<String>) s -> s.replace("\"temperature\" : 0.8", "\"temperature\" : 4.9E-324"),
                        "schema: predicate.sampling.temperature 4.9E-324 is out of range (expected 0 for greedy, or 0.01..100.0)"),
                Arguments.of("overflowing-temperature", (java.util.function.UnaryOperator<String>) s -> s.replace("\"temperature\" : 0.8", "\"temperature\" : 1e400"),
                        "schema: predicate.sampling.temperature Infinity is out of range"),
                Arguments.of("huge-chunk", (java.util.function.UnaryOperator<String>) s -> s.replace("\"chunkSize\" : 32", "\"chunkSize\" : 2147483647"),
                        "schema: predicate.commit.chunkSize 2147483647 is out of range (expected 1..1048576)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("contradictions")
    void selfContradictingClaims_areRefusedByTheParser(String name, java.util.function.UnaryOperator<String> edit, String message) throws Exception {
        byte[] st = edited(edit);
        AttestationException e = assertThrows(AttestationException.class, () -> InferenceAttestation.parseStatement(st), name);
        assertTrue(e.getMessage().startsWith(message), name + ": " + e.getMessage());
        // and the same through a valid signature: signing does not make a contradiction true
        byte[] env = Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, st, List.of(AttestationTest.KEY)).toJson();
        assertThrows(AttestationException.class, () -> Attestations.verify(env, List.of(AttestationTest.KEY.publicKey())), name);
    }

    @Test
    void completionLongerThanMaxTokens_cannotBeConstructedEither() throws Exception {
        InferenceAttestation a = AttestationTest.sample();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new InferenceAttestation(a.model(), a.prompt(),
                a.completion(), a.commitSpec(), a.positions(), a.prefillChunk(), a.commits(),
                new InferenceAttestation.SamplingRef(0.8, 42, 3, 257, "eos"), "bf16", "n", "2026-11-28T19:00:00Z"));
        assertEquals("the completion has 4 tokens, more than its own maxTokens 3", e.getMessage());
    }

    // ------------------------------------------------------------------ 3. exactly one JSON value

    static Stream<String> trailers() {
        return Stream.of("{}", " {\"_type\": \"x\"}", "garbage", "[]", "0", "\"s\"", "null", "}", "\u0000");
    }

    @ParameterizedTest(name = "statement + {0}")
    @MethodSource("trailers")
    void signedStatementWithTrailingData_isRejected(String trailer) throws Exception {
        byte[] st = edited(s -> s + trailer);
        byte[] env = Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, st, List.of(AttestationTest.KEY)).toJson();
        AttestationException e = assertThrows(AttestationException.class, () -> Attestations.verify(env, List.of(AttestationTest.KEY.publicKey())));
        assertEquals("schema", e.check(), e.getMessage());
        assertTrue(e.getMessage().startsWith("schema: statement is not valid JSON"), e.getMessage());
    }

    @ParameterizedTest(name = "envelope + {0}")
    @MethodSource("trailers")
    void envelopeWithTrailingData_isRejected(String trailer) throws Exception {
        byte[] env = Attestations.sign(AttestationTest.sample(), List.of(AttestationTest.KEY));
        byte[] bad = (new String(env, StandardCharsets.UTF_8) + trailer).getBytes(StandardCharsets.UTF_8);
        AttestationException e = assertThrows(AttestationException.class, () -> Attestations.verify(bad, List.of(AttestationTest.KEY.publicKey())));
        assertEquals("envelope", e.check(), e.getMessage());
    }

    @Test
    void trailingWhitespace_isStillOneValue() throws Exception {
        byte[] st = edited(s -> s + " \n\t\r\n");
        byte[] env = Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, st, List.of(AttestationTest.KEY)).toJson();
        byte[] padded = (new String(env, StandardCharsets.UTF_8) + "\n\n").getBytes(StandardCharsets.UTF_8);
        assertEquals(AttestationTest.sample(), Attestations.verify(padded, List.of(AttestationTest.KEY.publicKey())));
    }

    // ------------------------------------------------------------------ 4. trust files of several keys

    static final String PUB1 = AttestationTest.KEY.publicKey().toSpkiPem();
    static final String PUB2 = AttestationTest.OTHER.publicKey().toSpkiPem();

    @Test
    void trustFileOfSeveralKeys_readsEveryKey() throws Exception {
        List<PublicKey> keys = PublicKey.allFromPem(PUB1 + PUB2, "trust.pem");
        assertEquals(2, keys.size());
        // an attestation signed by the second key verifies with the file's keys
        byte[] env = Attestations.sign(AttestationTest.sample(), List.of(AttestationTest.OTHER));
        assertEquals(AttestationTest.sample(), Attestations.verify(env, keys));
        assertEquals(1, PublicKey.allFromPem(PUB1, "one.pem").size());
    }

    static Stream<Arguments> badTrustFiles() {
        String priv = AttestationTest.KEY.toPkcs8Pem();
        String truncated = PUB2.substring(0, PUB2.indexOf("-----END"));
        return Stream.of(
                Arguments.of("public-then-private", PUB1 + priv, "trust.pem: PEM block 2 is 'PRIVATE KEY' (expected 'PUBLIC KEY')"),
                Arguments.of("second-block-truncated", PUB1 + truncated, "trust.pem: malformed PEM"),
                Arguments.of("second-block-bad-base64", PUB1 + "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n", "trust.pem: "),
                Arguments.of("key-in-another-format", PUB1 + "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB user@host\n", "trust.pem: text outside the PEM blocks"),
                Arguments.of("second-block-not-ed25519", PUB1 + "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n", "trust.pem (key 2 of 2): "),
                // found by TrustKeysFuzzTest: a BIT STRING with padding bits made Bouncy Castle throw IllegalStateException
                Arguments.of("second-key-bit-string-padded", PUB1 + "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEBFBWUtpPlW/z4BFBWU7YSePNQr7Dao437JFZb03Y0V9I=\n"
                        + "-----END PUBLIC KEY-----\n", "trust.pem (key 2 of 2): not a SubjectPublicKeyInfo public key (attempt to get non-octet aligned data"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTrustFiles")
    void trustFileNotEntirelyReadable_isRefused(String name, String pem, String message) {
        AttestationException e = assertThrows(AttestationException.class, () -> PublicKey.allFromPem(pem, "trust.pem"), name);
        assertEquals("key", e.check());
        assertTrue(e.getMessage().startsWith("key: " + message), name + ": " + e.getMessage());
    }

    @Test
    void singleKeyReaders_refuseAFileOfSeveral() {
        AttestationException e = assertThrows(AttestationException.class, () -> PublicKey.fromPem(PUB1 + PUB2, "two.pem"));
        assertEquals("key: two.pem: holds 2 PEM blocks (expected exactly one public key)", e.getMessage());
        String priv = AttestationTest.KEY.toPkcs8Pem();
        e = assertThrows(AttestationException.class, () -> SigningKey.fromPem(priv + priv, "two.key"));
        assertEquals("key: two.key: holds 2 PEM blocks (expected exactly one private key)", e.getMessage());
    }
}
