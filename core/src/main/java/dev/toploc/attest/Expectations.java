package dev.toploc.attest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * What the client asked for, to be found in the claim: the request's nonce, the prompt it sent and,
 * optionally, the completion it was given. A valid signature only says that the provider stated the
 * claim; these bind the verdict to <em>this</em> request (a re-signed answer to another request, another
 * prompt or another completion is rejected). Each field is checked only when set; {@link #NONE} checks
 * nothing. {@link #check} runs after the signature and before any computation (no prefill is spent on an
 * answer to another request); a mismatch is an {@link AttestationException} of check {@value #CHECK},
 * a rejection, whose message begins with the field that differs ({@code nonce}, {@code prompt},
 * {@code completion}).
 *
 * <pre>{@code
 * Expectations expected = Expectations.NONE.withNonce(requestNonce).withPrompt(promptIds);
 * verifier.verify(model, Claim.of(attestation), expected);
 * }</pre>
 *
 * <p>Immutable; the arrays are copied in and out.
 */
public final class Expectations {
    /** The {@link AttestationException#check()} of a mismatch. */
    public static final String CHECK = "request";

    /** Nothing expected: the claim is checked on its own (the nonce and prompt then prove nothing about a request). */
    public static final Expectations NONE = new Expectations(null, null, null);

    private static final int SHOWN = 80;

    private final String nonce;
    private final int[] prompt;
    private final int[] completion;

    private Expectations(String nonce, int[] prompt, int[] completion) {
        this.nonce = nonce;
        this.prompt = prompt;
        this.completion = completion;
    }

    /** These expectations and the request's nonce (the attested nonce must equal it, exactly). */
    public Expectations withNonce(String expected) {
        return new Expectations(Objects.requireNonNull(expected, "nonce"), prompt, completion);
    }

    /** These expectations and the prompt's token ids as the client's tokenizer produced them (equal, id by id). */
    public Expectations withPrompt(int[] expected) {
        return new Expectations(nonce, nonEmpty(expected, "prompt"), completion);
    }

    /** These expectations and the completion's token ids the client received (equal, id by id). */
    public Expectations withCompletion(int[] expected) {
        return new Expectations(nonce, prompt, nonEmpty(expected, "completion"));
    }

    private static int[] nonEmpty(int[] ids, String what) {
        Objects.requireNonNull(ids, what);
        if (ids.length == 0) {
            throw new IllegalArgumentException("expected " + what + " has no tokens (expected at least one)");
        }
        return ids.clone();
    }

    /** The expected nonce, when set. */
    public Optional<String> nonce() {
        return Optional.ofNullable(nonce);
    }

    /** The expected prompt ids (a copy). */
    public Optional<int[]> prompt() {
        return Optional.ofNullable(prompt).map(int[]::clone);
    }

    /** The expected completion ids (a copy). */
    public Optional<int[]> completion() {
        return Optional.ofNullable(completion).map(int[]::clone);
    }

    /** Whether nothing is expected. */
    public boolean isEmpty() {
        return nonce == null && prompt == null && completion == null;
    }

    /**
     * Checks {@code claim} against these expectations: nonce, then prompt, then completion.
     *
     * @throws AttestationException (check {@value #CHECK}) naming the first field that differs and how
     */
    public void check(Claim claim) throws AttestationException {
        if (nonce != null) {
            String got = claim.nonce().orElse(null);
            if (got == null) {
                throw new AttestationException(CHECK, "nonce: the claim carries no nonce (bare commits), expected the request's " + shown(nonce));
            }
            // constant time in the content: the nonce may be a secret the client shares with the provider only
            if (!MessageDigest.isEqual(got.getBytes(StandardCharsets.UTF_8), nonce.getBytes(StandardCharsets.UTF_8))) {
                throw new AttestationException(CHECK, "nonce: the attestation answers nonce " + shown(got) + ", not the request's " + shown(nonce)
                        + " (an answer to another request)");
            }
        }
        if (prompt != null) {
            ids("prompt", claim.prompt(), prompt);
        }
        if (completion != null) {
            ids("completion", claim.completion(), completion);
        }
    }

    private static void ids(String field, int[] got, int[] want) throws AttestationException {
        int i = Arrays.mismatch(got, want);
        if (i < 0) {
            return;
        }
        String where = i < got.length && i < want.length
                ? "token " + i + " is " + got[i] + ", the request's is " + want[i] + " (attested " + got.length + " tokens, expected " + want.length + ")"
                : "the attested " + field + " has " + got.length + " tokens, the request's " + want.length + " (equal up to index " + i + ")";
        throw new AttestationException(CHECK, field + ": " + where);
    }

    /** A quoted, length-bounded rendering (the value is untrusted; printers escape it further). */
    private static String shown(String s) {
        String t = s.length() > SHOWN ? s.substring(0, SHOWN) + "...(" + s.length() + " chars)" : s;
        return "'" + t + "'";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Expectations e && Objects.equals(nonce, e.nonce) && Arrays.equals(prompt, e.prompt) && Arrays.equals(completion, e.completion);
    }

    @Override
    public int hashCode() {
        return Objects.hash(nonce, Arrays.hashCode(prompt), Arrays.hashCode(completion));
    }

    @Override
    public String toString() {
        return "Expectations[nonce=" + (nonce == null ? "-" : shown(nonce)) + ", prompt=" + (prompt == null ? "-" : prompt.length + " tokens")
                + ", completion=" + (completion == null ? "-" : completion.length + " tokens") + "]";
    }
}
