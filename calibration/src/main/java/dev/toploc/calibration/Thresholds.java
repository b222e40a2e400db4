package dev.toploc.calibration;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkStats;
import java.util.ArrayList;
import java.util.List;

/**
 * A policy as verification applies it: the {@link AcceptancePolicy} for the commits and the token replay's
 * logit margin. {@link #accepts} is the verifier's decision on a measurement, made by the policy's own checks.
 */
public record Thresholds(AcceptancePolicy policy, double logitMargin) {
    public Thresholds {
        if (policy == null || !(logitMargin >= 0)) {
            throw new IllegalArgumentException("thresholds need a policy and a logit margin >= 0 (not NaN), got " + logitMargin);
        }
    }

    /** Every check {@code m} fails under these thresholds (empty: accepted). A format error fails. */
    public List<String> violations(Measurement m) {
        List<String> v = new ArrayList<>();
        if (m.formatError() != null) {
            v.add("format error: " + m.formatError());
            return v;
        }
        for (int i = 0; i < m.chunks().size(); i++) {
            ChunkStats c = m.chunks().get(i);
            for (String s : policy.violations(m.kinds().get(i), c)) {
                v.add("chunk " + i + ": " + s);
            }
        }
        v.addAll(policy.sequenceViolations(m.chunks()));
        if (!(m.worstGap() <= logitMargin)) {
            v.add("token logit gap " + m.worstGap() + " > " + logitMargin);
        }
        return v;
    }

    /** Whether the verifier accepts {@code m}: the policy's chunk and sequence checks and the token replay all pass. */
    public boolean accepts(Measurement m) {
        return violations(m).isEmpty();
    }

    /** Whether {@code m}'s commits pass every chunk bound (not the sequence bound, not the replay). */
    boolean passesChunks(Measurement m) {
        if (m.formatError() != null) {
            return false;
        }
        for (int i = 0; i < m.chunks().size(); i++) {
            if (!policy.violations(m.kinds().get(i), m.chunks().get(i)).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code m}'s commits pass the policy entirely (chunks and sequence), whatever the replay says. */
    boolean passesCommits(Measurement m) {
        return passesChunks(m) && policy.sequenceViolations(m.chunks()).isEmpty();
    }
}
