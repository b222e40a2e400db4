package dev.toploc;

import java.util.List;

/**
 * Checks a sequence's commits against hidden states the verifier computed itself (DESIGN section 4).
 *
 * <p><b>Security guarantees.</b> Every commit is checked; a commit list whose length, encoding or k does
 * not match the plan and spec is a {@link CommitFormatException}, never a partial pass. The states must
 * be the verifier's own recomputation with the claimed weights and tokens: checking commits against
 * states the prover supplied proves nothing. What acceptance does and does not prove is in
 * {@code docs/threat-model.md}.
 *
 * <p>Usage (client side):
 * <pre>{@code
 * HiddenStates mine = ...;   // the runtime's prefill over prompt + completion
 * ChunkPlan plan = ChunkPlan.forSequence(p, n, PositionConvention.PRODUCED, true, 32);
 * try {
 *     VerificationReport shown = Verifier.verify(mine, plan, CommitSpec.DEFAULT, commits, policy);
 * } catch (VerificationException rejected) {
 *     System.err.println(rejected.getMessage());   // names the failing chunk and check
 * }
 * }</pre>
 */
public final class Verifier {
    private Verifier() {
    }

    /**
     * Measures every chunk and applies {@code policy}; returns the report whatever the verdict (for
     * display). Prefer {@link #verify}, whose verdict cannot be ignored.
     */
    public static VerificationReport check(HiddenStates states, ChunkPlan plan, CommitSpec spec, List<Commit> commits,
                                           AcceptancePolicy policy) throws CommitFormatException, InvalidStatesException {
        return check(states, plan, spec, commits, policy, TieRule.STRICT, Compute.defaults());
    }

    /**
     * As {@link #check(HiddenStates, ChunkPlan, CommitSpec, List, AcceptancePolicy)}, measuring ties at the
     * k-th magnitude by {@code ties}: under a tolerant rule the policy judges the tie-tolerant statistics and
     * each chunk keeps the strict ones beside them ({@link VerificationReport.ChunkResult#strictStats()}).
     */
    public static VerificationReport check(HiddenStates states, ChunkPlan plan, CommitSpec spec, List<Commit> commits,
                                           AcceptancePolicy policy, TieRule ties) throws CommitFormatException, InvalidStatesException {
        return check(states, plan, spec, commits, policy, ties, Compute.defaults());
    }

    /**
     * As {@link #check(HiddenStates, ChunkPlan, CommitSpec, List, AcceptancePolicy, TieRule)}, on {@code compute}
     * (the report does not depend on it).
     */
    public static VerificationReport check(HiddenStates states, ChunkPlan plan, CommitSpec spec, List<Commit> commits,
                                           AcceptancePolicy policy, TieRule ties, Compute compute) throws CommitFormatException, InvalidStatesException {
        if (commits.size() != plan.size()) {
            long prefill = plan.chunks().stream().filter(ChunkPlan.Chunk::prefill).count();
            throw new CommitFormatException("commit count " + commits.size() + " does not match the chunk plan's "
                    + plan.size() + " chunks (" + (prefill > 0 ? "1 prefill + " : "") + (plan.size() - prefill)
                    + " decode chunks of up to " + spec.chunkSize() + " positions)");
        }
        for (int i = 0; i < commits.size(); i++) {
            Commit c = commits.get(i);
            if (c.encoding() != spec.encoding()) {
                throw new CommitFormatException("commit " + i + ": encoding " + c.encoding().wireName() + " does not match "
                        + spec.encoding().wireName() + " (the encoding of " + spec.dtype().wireName() + " commits)");
            }
            if (c.k() != spec.topK()) {
                throw new CommitFormatException("commit " + i + ": has k = " + c.k() + " coefficients, expected k = " + spec.topK());
            }
        }
        Commits.checkShape(states, plan, spec);
        VerificationReport.ChunkResult[] results = compute.map(plan.size(), new VerificationReport.ChunkResult[plan.size()], i -> {
            Commits.Measured m = Commits.checkChunk(states, plan.chunk(i), spec, commits.get(i), ties, compute);
            return new VerificationReport.ChunkResult(plan.chunk(i), m.tolerant(), policy.violations(AcceptancePolicy.ChunkKind.of(plan.chunk(i), spec.chunkSize()), m.tolerant()), m.strict());
        });
        List<VerificationReport.ChunkResult> list = List.of(results);
        return new VerificationReport(list, policy.sequenceViolations(list.stream().map(VerificationReport.ChunkResult::stats).toList()), policy);
    }

    /**
     * Checks and decides: returns the report when every chunk passes, throws {@link VerificationException}
     * naming the first failing chunk and its failed checks otherwise.
     */
    public static VerificationReport verify(HiddenStates states, ChunkPlan plan, CommitSpec spec, List<Commit> commits,
                                            AcceptancePolicy policy) throws TopLocException {
        return verify(states, plan, spec, commits, policy, Compute.defaults());
    }

    /** As {@link #verify(HiddenStates, ChunkPlan, CommitSpec, List, AcceptancePolicy)}, on {@code compute} (the verdict does not depend on it). */
    public static VerificationReport verify(HiddenStates states, ChunkPlan plan, CommitSpec spec, List<Commit> commits,
                                            AcceptancePolicy policy, Compute compute) throws TopLocException {
        VerificationReport report = check(states, plan, spec, commits, policy, TieRule.STRICT, compute);
        if (!report.accepted()) {
            throw new VerificationException("rejected: " + report.rejection() + "; policy: " + policy.source(), report);
        }
        return report;
    }
}
