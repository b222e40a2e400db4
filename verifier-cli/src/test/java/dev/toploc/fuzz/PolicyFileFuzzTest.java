package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.AcceptancePolicy;
import dev.toploc.policy.PolicyFile;
import dev.toploc.policy.PolicyFileException;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;

/**
 * Policy files ({@code toploc-policy.json}, {@code --policy}): {@link PolicyFile#parse}. Beyond "a value or a
 * typed error": every policy that parses is within the format's bounds (every threshold and the margin
 * finite and in range, k in 1..65497, both digests 64 lowercase hex digits), re-encodes to an equal policy,
 * and refuses trailing data after its object.
 */
class PolicyFileFuzzTest {
    static void body(byte[] data) throws Exception {
        FuzzInvariant.typedOrValue(() -> {
            PolicyFile f = PolicyFile.parse(data, "fuzz policy");
            AcceptancePolicy p = f.policy();
            check(f.topK() >= 1 && f.topK() <= 65497, "topK " + f.topK());
            check(p.maxExpMismatches() >= 0 && p.maxExpMismatches() <= f.topK(), "maxExpMismatches " + p.maxExpMismatches());
            check(p.maxSignMismatches() >= -1 && p.maxSignMismatches() <= f.topK(), "maxSignMismatches " + p.maxSignMismatches());
            check(Double.isFinite(p.maxMantErrMean()) && p.maxMantErrMean() >= 0, "maxMantErrMean " + p.maxMantErrMean());
            check(Double.isFinite(p.maxMantErrMedian()) && p.maxMantErrMedian() >= 0, "maxMantErrMedian " + p.maxMantErrMedian());
            check(!Double.isNaN(p.maxAvgMantErrMean()) && p.maxAvgMantErrMean() >= 0, "maxAvgMantErrMean " + p.maxAvgMantErrMean());
            check(Double.isFinite(f.logitMargin()) && f.logitMargin() >= 0, "logitMargin " + f.logitMargin());
            check(f.configSha256().matches("[0-9a-f]{64}") && f.weightsSha256().matches("[0-9a-f]{64}"), "a digest");
            check(p.source().length() <= PolicyFile.MAX_SOURCE_CHARS && p.source().chars().noneMatch(Character::isISOControl), "source");
            check(PolicyFile.parse(f.toJson(), "again").equals(f), "round trip changed the policy");
            byte[] trailing = Arrays.copyOf(data, data.length + 2);
            trailing[data.length] = ' ';
            trailing[data.length + 1] = '0';
            try {
                PolicyFile.parse(trailing, "trailing");
                throw new IllegalStateException("a policy followed by trailing data was accepted");
            } catch (PolicyFileException expected) {
                // exactly one JSON value
            }
        });
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("parsed a policy out of bounds: " + what);
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
