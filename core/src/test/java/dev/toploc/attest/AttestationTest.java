package dev.toploc.attest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Commit;
import dev.toploc.CommitEncoding;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** DSSE, Ed25519 keys and the inference attestation: vectors, round trips and tampering. */
class AttestationTest {
    static final SigningKey KEY = SigningKey.generate(new SecureRandom(new byte[] {1}));
    static final SigningKey OTHER = SigningKey.generate(new SecureRandom(new byte[] {2}));

    static InferenceAttestation sample() throws Exception {
        Random r = new Random(5);
        long[] c = r.longs(128, 0, 65497).toArray();
        List<Commit> commits = List.of(Commit.of(CommitEncoding.V1, 65497, c), Commit.of(CommitEncoding.V1, 65496, c));
        return new InferenceAttestation(
                new InferenceAttestation.ModelRef("tiny-fortunes-llama", List.of("model.safetensors"),
                        List.of("e67d04cfc4da9f5a1d789b38cbd2046c522ebb03145d0bfac40e647d9dd4673f"),
                        "a".repeat(64), "44ff2dba0d751eba8d69bfbd2cc03226c1e494aef306e40347c57b42a2ac205e"),
                new int[] {81, 58, 32}, new int[] {65, 66, 67, 257}, CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, commits,
                new InferenceAttestation.SamplingRef(0.8, 42, 96, 257, "eos"), "bf16", "0123456789abcdef", "2026-11-28T19:00:00Z");
    }

    @Test
    void pae_matchesTheDsseSpecExample() {
        byte[] pae = Dsse.pae("http://example.com/HelloWorld", "hello world".getBytes(StandardCharsets.UTF_8));
        assertEquals("DSSEv1 29 http://example.com/HelloWorld 11 hello world", new String(pae, StandardCharsets.UTF_8));
    }

    @Test
    void pae_countsBytesNotCharacters() {
        byte[] pae = Dsse.pae("application/vnd.in-toto+json", "héllo €".getBytes(StandardCharsets.UTF_8));
        assertEquals("DSSEv1 28 application/vnd.in-toto+json 10 héllo €", new String(pae, StandardCharsets.UTF_8));
    }

    @Test
    void signedAttestation_roundTrips() throws Exception {
        InferenceAttestation a = sample();
        byte[] env = Attestations.sign(a, List.of(KEY));
        assertEquals(a, Attestations.verify(env, List.of(KEY.publicKey())));
        // two signers; trusting either one is enough
        byte[] two = Attestations.sign(a, List.of(OTHER, KEY));
        assertEquals(a, Attestations.verify(two, List.of(KEY.publicKey())));
    }

    @Test
    void untrustedKey_isRejectedAsTrust() throws Exception {
        byte[] env = Attestations.sign(sample(), List.of(OTHER));
        AttestationException e = assertThrows(AttestationException.class, () -> Attestations.verify(env, List.of(KEY.publicKey())));
        assertEquals("trust", e.check());
    }

    @Test
    void keyidIsOnlyAHint() throws Exception {
        byte[] env = Attestations.sign(sample(), List.of(KEY));
        String s = new String(env, StandardCharsets.UTF_8).replace(KEY.keyId(), "not-the-key-id");
        assertEquals(sample(), Attestations.verify(s.getBytes(StandardCharsets.UTF_8), List.of(KEY.publicKey())));
    }

    /** Every byte of the envelope outside the keyid hint matters: flipping one fails a named check. */
    @Property(tries = 400, seed = "20261128")
    void flippingAnyByte_failsVerification(@ForAll @IntRange(min = 0, max = 1_000_000) int where, @ForAll @IntRange(min = 0, max = 7) int bit)
            throws Exception {
        byte[] env = Attestations.sign(sample(), List.of(KEY));
        String text = new String(env, StandardCharsets.UTF_8);
        int kid = text.indexOf(KEY.keyId());
        int i = where % env.length;
        if (i >= kid && i < kid + 64) {
            return;                        // the keyid hint: covered by keyidIsOnlyAHint
        }
        env[i] ^= (byte) (1 << bit);
        AttestationException e = assertThrows(AttestationException.class, () -> Attestations.verify(env, List.of(KEY.publicKey())),
                "flipping bit " + bit + " of byte " + i + " ('" + text.charAt(i) + "') was not detected");
        assertTrue(List.of("envelope", "signature", "trust", "payload-type").contains(e.check()), e.getMessage());
    }

    /** Changing any commit (or anything else in the statement) and re-encoding it breaks the signature. */
    @Property(tries = 100, seed = "20261128")
    void tamperedPayload_failsTheSignature(@ForAll @IntRange(min = 0, max = 1_000_000) int where) throws Exception {
        byte[] env = Attestations.sign(sample(), List.of(KEY));
        Dsse.Envelope e = Dsse.parse(env);
        byte[] payload = e.payload();
        int i = where % payload.length;
        payload[i] ^= 1;
        byte[] forged = new Dsse.Envelope(e.payloadType(), payload, e.signatures()).toJson();
        AttestationException x = assertThrows(AttestationException.class, () -> Attestations.verify(forged, List.of(KEY.publicKey())));
        assertEquals("signature", x.check(), x.getMessage());
    }

    @Test
    void wrongPayloadType_isRejectedAfterTheSignature() throws Exception {
        byte[] env = Dsse.sign("text/plain", sample().toStatementJson(), List.of(KEY)).toJson();
        AttestationException e = assertThrows(AttestationException.class, () -> Attestations.verify(env, List.of(KEY.publicKey())));
        assertEquals("payload-type: payloadType 'text/plain' (expected 'application/vnd.in-toto+json')", e.getMessage());
    }

    @Test
    void unknownPredicateVersion_isRejected() throws Exception {
        String st = new String(sample().toStatementJson(), StandardCharsets.UTF_8).replace("inference/v1", "inference/v2");
        byte[] env = Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, st.getBytes(StandardCharsets.UTF_8), List.of(KEY)).toJson();
        AttestationException e = assertThrows(AttestationException.class, () -> Attestations.verify(env, List.of(KEY.publicKey())));
        assertEquals("predicate-type", e.check());
    }

    @Test
    void subjectMustMatchTheCompletion() throws Exception {
        String st = new String(sample().toStatementJson(), StandardCharsets.UTF_8)
                .replace(InferenceAttestation.completionDigest(new int[] {65, 66, 67, 257}), "b".repeat(64));
        byte[] env = Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, st.getBytes(StandardCharsets.UTF_8), List.of(KEY)).toJson();
        AttestationException e = assertThrows(AttestationException.class, () -> Attestations.verify(env, List.of(KEY.publicKey())));
        assertEquals("subject", e.check());
    }

    @Test
    void unknownFields_areIgnored() throws Exception {
        String st = new String(sample().toStatementJson(), StandardCharsets.UTF_8).replace("\"nonce\"", "\"futureField\" : [1, 2], \"nonce\"");
        byte[] env = Dsse.sign(Dsse.IN_TOTO_PAYLOAD_TYPE, st.getBytes(StandardCharsets.UTF_8), List.of(KEY)).toJson();
        assertEquals(sample(), Attestations.verify(env, List.of(KEY.publicKey())));
    }

    @Test
    void pemKeys_roundTrip_andWrongBlocksAreNamed() throws Exception {
        String priv = KEY.toPkcs8Pem();
        String pub = KEY.publicKey().toSpkiPem();
        assertTrue(priv.startsWith("-----BEGIN PRIVATE KEY-----"));
        assertEquals(KEY, SigningKey.fromPem(priv, "key.pem"));
        assertEquals(KEY.publicKey(), PublicKey.fromPem(pub, "key.pub"));
        AttestationException e = assertThrows(AttestationException.class, () -> PublicKey.fromPem(priv, "key.pem"));
        assertEquals("key: key.pem: PEM block is 'PRIVATE KEY' (expected 'PUBLIC KEY')", e.getMessage());
        e = assertThrows(AttestationException.class, () -> PublicKey.fromPem("hello", "x.pub"));
        assertTrue(e.getMessage().contains("no PEM block"));
    }

    @Test
    void limits_onUntrustedInput_areTypedErrors() throws Exception {
        byte[] huge = new byte[Dsse.MAX_ENVELOPE_BYTES + 1];
        assertEquals("size", assertThrows(AttestationException.class, () -> Dsse.parse(huge)).check());
        StringBuilder sigs = new StringBuilder();
        for (int i = 0; i <= Dsse.MAX_SIGNATURES; i++) {
            sigs.append(i == 0 ? "" : ",").append("{\"keyid\":\"\",\"sig\":\"AAAA\"}");
        }
        String many = "{\"payloadType\":\"t\",\"payload\":\"AAAA\",\"signatures\":[" + sigs + "]}";
        assertEquals("size", assertThrows(AttestationException.class, () -> Dsse.parse(many.getBytes(StandardCharsets.UTF_8))).check());
        String deep = "[".repeat(200) + "]".repeat(200);
        AttestationException d = assertThrows(AttestationException.class, () -> Dsse.parse(deep.getBytes(StandardCharsets.UTF_8)));
        assertTrue(d.getMessage().contains("nesting depth"), d.getMessage());
        String st = new String(sample().toStatementJson(), StandardCharsets.UTF_8);
        String ids = "0," .repeat(InferenceAttestation.MAX_TOKENS) + "0";
        String tooMany = st.replaceFirst("\"promptTokenIds\" : \\[[^\\]]*\\]", "\"promptTokenIds\" : [" + ids + "]");
        AttestationException t = assertThrows(AttestationException.class, () -> InferenceAttestation.parseStatement(tooMany.getBytes(StandardCharsets.UTF_8)));
        assertEquals("size", t.check(), t.getMessage());
    }

    @Test
    void nonCanonicalBase64_isRejected() {
        String env = "{\"payloadType\":\"t\",\"payload\":\"aGl=\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"" + Base64.getEncoder().encodeToString(new byte[64]) + "\"}]}";
        AttestationException e = assertThrows(AttestationException.class, () -> Dsse.parse(env.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("canonical"), e.getMessage());
    }
}
