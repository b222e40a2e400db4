package dev.toploc.internal;

import java.util.Base64;

/**
 * Strict base64 for untrusted text: the standard or the URL-safe alphabet (not both), padding optional,
 * and canonical, so that two different texts never decode to the same bytes (the decoders of the JDK
 * ignore non-zero padding bits).
 */
public final class Base64s {
    private Base64s() {
    }

    /** Decodes {@code text}; an {@link IllegalArgumentException} says what is wrong with it. */
    public static byte[] decodeStrict(String text) {
        boolean url = text.indexOf('-') >= 0 || text.indexOf('_') >= 0;
        if (url && (text.indexOf('+') >= 0 || text.indexOf('/') >= 0)) {
            throw new IllegalArgumentException("mixes the standard (+/) and URL-safe (-_) base64 alphabets");
        }
        byte[] bytes;
        try {
            bytes = (url ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not valid base64 (" + e.getMessage() + ")", e);
        }
        Base64.Encoder enc = url ? Base64.getUrlEncoder() : Base64.getEncoder();
        if (!enc.encodeToString(bytes).equals(text) && !enc.withoutPadding().encodeToString(bytes).equals(text)) {
            throw new IllegalArgumentException("not canonical base64 (non-zero padding bits)");
        }
        return bytes;
    }
}
