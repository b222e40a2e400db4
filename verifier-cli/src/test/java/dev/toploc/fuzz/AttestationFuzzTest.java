package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.CommitSpec;
import dev.toploc.attest.AttestationException;
import dev.toploc.attest.InferenceAttestation;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;

/**
 * The attestation predicate (an in-toto Statement), as parsed after a signature verified. Beyond "a value
 * or a typed error": every statement that parses is within the schema's bounds and consistent with its
 * own parameters (issue 13), re-encodes to an equal statement, and stops parsing once anything but
 * whitespace follows it.
 */
class AttestationFuzzTest {
    static void body(byte[] data) throws Exception {
        FuzzInvariant.typedOrValue(() -> {
            InferenceAttestation a = InferenceAttestation.parseStatement(data);
            InferenceAttestation.SamplingRef s = a.sampling();
            double t = s.temperature();
            check(t == 0 || (t >= InferenceAttestation.SamplingRef.MIN_TEMPERATURE && t <= InferenceAttestation.SamplingRef.MAX_TEMPERATURE),
                    "temperature " + t);
            check(s.maxTokens() >= 1 && s.maxTokens() <= InferenceAttestation.MAX_TOKENS, "maxTokens " + s.maxTokens());
            check(a.completion().length >= 1 && a.completion().length <= s.maxTokens(), "completion longer than maxTokens");
            check(a.prompt().length >= 1 && a.prompt().length <= InferenceAttestation.MAX_TOKENS, "prompt length");
            check(a.commitSpec().chunkSize() <= CommitSpec.MAX_CHUNK_SIZE, "chunk size");
            check(a.commits().size() <= InferenceAttestation.MAX_COMMITS, "commit count");
            check(!s.stop().equals("eos") || s.eosToken() >= 0, "eos stop without an eos token");
            check(InferenceAttestation.parseStatement(a.toStatementJson()).equals(a), "round trip changed the statement");
            byte[] trailing = Arrays.copyOf(data, data.length + 2);
            trailing[data.length] = ' ';
            trailing[data.length + 1] = '0';
            try {
                InferenceAttestation.parseStatement(trailing);
                throw new IllegalStateException("a statement followed by trailing data was accepted");
            } catch (AttestationException expected) {
                // exactly one JSON value
            }
        });
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("parsed a statement out of bounds: " + what);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void quick(byte[] data) throws Exception {
        body(data);
    }

    @Tag("long-fuzz")
    @FuzzTest(maxDuration = "10m")
    void long10m(byte[] data) throws Exception {
        body(data);
    }
}
