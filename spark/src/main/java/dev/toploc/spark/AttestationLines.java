package dev.toploc.spark;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitFormatException;
import dev.toploc.TopLocException;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.Attestations;
import dev.toploc.attest.PublicKey;
import dev.toploc.attest.Dsse;
import dev.toploc.attest.Claim;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.rollouts.SampleResult;
import dev.toploc.rollouts.Verdict;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Signed attestations, one DSSE envelope per line: each line checked as {@code toploc verify} checks one
 * attestation file (signature by a trusted key, the model's identity, the recomputed prefill against every
 * commit, the token replay and termination), its verdict a per-sample result. A well-formed claim that does
 * not hold (signature, trust, model, subject, null proof, commits or tokens off) is a reject; a line that is no
 * envelope or attestation is bad input, and the file goes on.
 */
final class AttestationLines {
    private AttestationLines() {
    }

    /** The file format's name in results. */
    static final String FORMAT = "dsse";

    /** Failed checks that mean the claim does not hold (as {@code toploc verify}'s exit code 1). */
    private static final Set<String> REJECTING = Set.of("signature", "trust", "model", "subject", "null-proof");

    /** Whether a JSON-lines file holds envelopes: its first non-blank line is an object with {@code payloadType} and {@code signatures}. */
    static boolean isEnvelopeFile(Path f) throws IOException {
        byte[] head;
        try (var in = dev.toploc.io.UntrustedFiles.newInputStream(f, Long.MAX_VALUE, "rollout file")) {
            head = in.readNBytes(Dsse.MAX_ENVELOPE_BYTES + 1);    // an envelope line is at most this long
        }
        String text = new String(head, StandardCharsets.UTF_8);
        for (String l : text.split("\n", -1)) {
            if (!l.isBlank()) {
                try {
                    var n = dev.toploc.rollouts.ResultJson.JSON.readTree(l);
                    return n != null && n.isObject() && n.has("payloadType") && n.has("signatures");
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    return false;
                }
            }
        }
        return false;
    }

    static List<PublicKey> keys(List<String> pems) throws AttestationException {
        List<PublicKey> out = new ArrayList<>();
        for (int i = 0; i < pems.size(); i++) {
            out.addAll(PublicKey.allFromPem(pems.get(i), "trusted key " + (i + 1)));
        }
        return out;
    }

    /** One line's verdict. */
    static SampleResult verify(IndexedLines.Line line, List<PublicKey> trusted, JobSettings js, Model model) {
        String where = "line " + line.lineNo() + ": ";
        byte[] env = line.text().getBytes(StandardCharsets.UTF_8);
        if (env.length > Dsse.MAX_ENVELOPE_BYTES) {
            return bad(line, where + env.length + " bytes, more than an envelope's " + Dsse.MAX_ENVELOPE_BYTES);
        }
        if (trusted.isEmpty()) {
            return bad(line, where + "no trusted keys given (an attestation is only as good as the key that signed it)");
        }
        InferenceAttestation a;
        try {
            a = Attestations.verify(env, trusted);
            InferenceVerifier.checkIdentity(Claim.of(a), model.identity());
        } catch (AttestationException e) {
            return new SampleResult(line.index(), REJECTING.contains(e.check()) ? Verdict.REJECT : Verdict.BAD_INPUT, false, null, FORMAT, 0, 0, 0,
                    0, null, null, null, null, where + e.getMessage(), null, 0, 0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);     // the executor's own model files: not the line's fault
        }
        int p = a.prompt().length;
        int n = a.completion().length;
        Long seed = a.sampling() == null ? null : a.sampling().seed();
        Double temp = a.sampling() == null ? null : a.sampling().temperature();
        AcceptancePolicy policy = a.commitSpec().equals(js.settings().spec()) ? js.policy() : AcceptancePolicy.defaults(a.commitSpec());
        long t0 = System.nanoTime();
        InferenceVerifier.Report r;
        String rejection = null;
        try {
            // the identity was checked above (a rejection there is the line's verdict, not an error)
            r = InferenceVerifier.builder().mode(js.mode()).policy(policy).build().verify(model, Claim.of(a).withoutModel());
        } catch (dev.toploc.runtime.ClaimRejectedException e) {
            r = e.claimReport();
            rejection = e.getMessage();
        } catch (TopLocException e) {
            boolean nullProof = e instanceof CommitFormatException c && c.nullProof();
            return new SampleResult(line.index(), nullProof ? Verdict.REJECT : Verdict.BAD_INPUT, false, a.positions(), FORMAT, p, n,
                    a.commits().size(), 0, null, null, seed, temp, where + e.getMessage(), null, 0, 0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long nanos = System.nanoTime() - t0;
        String reason = r.accepted()
                ? "signed by a trusted key, the model's identity, " + a.commits().size() + " commits and " + r.tokensReplayed() + " replayed tokens hold"
                : where + rejection;
        return new SampleResult(line.index(), r.accepted() ? Verdict.ACCEPT : Verdict.REJECT, true, a.positions(), FORMAT, p, n, a.commits().size(),
                r.commits().failures().size(), SampleResult.worst(r.commits()), SampleResult.worstStrict(r.commits()), seed, temp, reason, null,
                nanos, 0);
    }

    private static SampleResult bad(IndexedLines.Line line, String reason) {
        return new SampleResult(line.index(), Verdict.BAD_INPUT, false, null, FORMAT, 0, 0, 0, 0, null, null, null, null, reason, null, 0, 0);
    }
}
