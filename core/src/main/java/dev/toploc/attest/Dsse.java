package dev.toploc.attest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * DSSE (Dead Simple Signing Envelope) v1 with Ed25519 signatures.
 *
 * <p>Signatures cover {@code PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body}, where
 * LEN is the length in <b>bytes</b> as ASCII decimal and SP one space. Verification follows the spec's
 * order: decode the envelope, check a signature over the PAE with a trusted key, then check the payload
 * type, and only then hand out the exact bytes that were verified. {@code keyid} is a hint for choosing
 * keys, never a trust decision. The envelope, like the statement parsed from the payload, must be exactly
 * one JSON value: trailing data after it (a second object, garbage) is refused, so the bytes a
 * signature covers are all of the bytes parsed.
 */
public final class Dsse {
    private Dsse() {
    }

    public static final String IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
    /** Envelopes larger than this are refused before parsing. */
    public static final int MAX_ENVELOPE_BYTES = 16 << 20;
    /** At most this many signatures are considered. */
    public static final int MAX_SIGNATURES = 16;

    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(MAX_ENVELOPE_BYTES).build())
            .build()).configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true)
            // exactly one JSON value: an envelope or a signed statement followed by anything but whitespace is refused
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);

    /** One signature: the key id hint and the raw signature bytes. */
    public record Signature(String keyid, byte[] sig) {
    }

    /** A decoded envelope. */
    public record Envelope(String payloadType, byte[] payload, List<Signature> signatures) {
        public Envelope {
            signatures = List.copyOf(signatures);
        }

        /** The envelope's JSON form (payload and signatures in standard base64). */
        public byte[] toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("payloadType", payloadType);
            n.put("payload", Base64.getEncoder().encodeToString(payload));
            ArrayNode sigs = n.putArray("signatures");
            for (Signature s : signatures) {
                ObjectNode o = sigs.addObject();
                o.put("keyid", s.keyid() == null ? "" : s.keyid());
                o.put("sig", Base64.getEncoder().encodeToString(s.sig()));
            }
            try {
                return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The pre-authentication encoding. */
    public static byte[] pae(String payloadType, byte[] payload) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(type.length + payload.length + 32);
        out.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(type);
        out.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(payload);
        return out.toByteArray();
    }

    /** Signs {@code payload} with every key in {@code keys}. */
    public static Envelope sign(String payloadType, byte[] payload, List<SigningKey> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("at least one signing key is required");
        }
        byte[] pae = pae(payloadType, payload);
        List<Signature> sigs = new ArrayList<>();
        for (SigningKey k : keys) {
            sigs.add(new Signature(k.keyId(), k.sign(pae)));
        }
        return new Envelope(payloadType, payload.clone(), sigs);
    }

    /** Decodes an envelope's JSON; nothing in it is trusted yet. */
    public static Envelope parse(byte[] json) throws AttestationException {
        if (json.length > MAX_ENVELOPE_BYTES) {
            throw new AttestationException("size", "envelope of " + json.length + " bytes exceeds the limit of " + MAX_ENVELOPE_BYTES);
        }
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new AttestationException("envelope", "not valid JSON (" + firstLine(e.getMessage()) + ")", e);
        }
        if (n == null || !n.isObject()) {
            throw new AttestationException("envelope", "not a JSON object (expected a DSSE envelope)");
        }
        String type = text(n, "payloadType");
        byte[] payload = base64(text(n, "payload"), "payload");
        JsonNode sigs = n.get("signatures");
        if (sigs == null || !sigs.isArray() || sigs.isEmpty()) {
            throw new AttestationException("envelope", "signatures is missing or empty (expected at least one)");
        }
        if (sigs.size() > MAX_SIGNATURES) {
            throw new AttestationException("size", sigs.size() + " signatures exceed the limit of " + MAX_SIGNATURES);
        }
        List<Signature> out = new ArrayList<>();
        for (int i = 0; i < sigs.size(); i++) {
            JsonNode s = sigs.get(i);
            if (!s.isObject()) {
                throw new AttestationException("envelope", "signatures[" + i + "] is not an object");
            }
            JsonNode kid = s.get("keyid");
            out.add(new Signature(kid == null || kid.isNull() ? "" : kid.asText(), base64(text(s, "sig"), "signatures[" + i + "].sig")));
        }
        return new Envelope(type, payload, out);
    }

    /**
     * Verifies that a trusted key signed the envelope, then that its payload type is {@code expectedType};
     * returns the exact payload bytes that were verified.
     */
    public static byte[] verify(Envelope env, List<PublicKey> trusted, String expectedType) throws AttestationException {
        if (trusted.isEmpty()) {
            throw new AttestationException("trust", "no trusted keys given (expected at least one public key)");
        }
        byte[] pae = pae(env.payloadType(), env.payload());
        List<String> trustedIds = new ArrayList<>();
        for (PublicKey k : trusted) {
            trustedIds.add(k.keyId());
        }
        boolean hintMatched = false;
        for (Signature s : env.signatures()) {
            for (int i = 0; i < trusted.size(); i++) {
                if (trusted.get(i).verify(pae, s.sig())) {
                    if (!env.payloadType().equals(expectedType)) {
                        throw new AttestationException("payload-type", "payloadType '" + env.payloadType() + "' (expected '" + expectedType + "')");
                    }
                    return env.payload().clone();
                }
                hintMatched |= trustedIds.get(i).equals(s.keyid());
            }
        }
        if (hintMatched) {
            throw new AttestationException("signature", "the signature by trusted key " + shortId(env, trustedIds)
                    + " does not verify: the envelope was altered after signing");
        }
        List<String> ids = env.signatures().stream().map(s -> s.keyid().isEmpty() ? "(no keyid)" : s.keyid()).toList();
        throw new AttestationException("trust", "no signature verifies with a trusted key (signed by " + ids + ", trusted: " + trustedIds + ")");
    }

    private static String shortId(Envelope env, List<String> trustedIds) {
        for (Signature s : env.signatures()) {
            if (trustedIds.contains(s.keyid())) {
                return s.keyid();
            }
        }
        return "?";
    }

    private static String text(JsonNode n, String field) throws AttestationException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new AttestationException("envelope", field + " is " + (v == null ? "missing" : "not a string") + " (expected a string)");
        }
        return v.asText();
    }

    private static byte[] base64(String s, String field) throws AttestationException {
        try {
            return dev.toploc.internal.Base64s.decodeStrict(s);
        } catch (IllegalArgumentException e) {
            throw new AttestationException("envelope", field + " is " + e.getMessage(), e);
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
