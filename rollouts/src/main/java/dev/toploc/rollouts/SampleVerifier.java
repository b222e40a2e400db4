package dev.toploc.rollouts;

import dev.toploc.ChunkPlan;
import dev.toploc.Compute;
import dev.toploc.Commit;
import dev.toploc.CommitFormatException;
import dev.toploc.HiddenStates;
import dev.toploc.InvalidStatesException;
import dev.toploc.PositionConvention;
import dev.toploc.Proofs;
import dev.toploc.VerificationReport;
import dev.toploc.Verifier;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks one stored sample's bare proofs (no attestation) against the verifier's own prefill.
 *
 * <p>In this order, so that nothing malformed costs a prefill: the ids against the model's vocabulary and
 * context; the proofs read in the settings' layout and split by the spec's record size; the commit count
 * against each convention's chunk plan (a count no convention expects is bad input); then one prefill over
 * prompt + completion (all but the last token), which serves both conventions; then every commit under each
 * convention left. Accepted iff the commits pass under one convention; the result names it.
 *
 * <p>Empty proofs for a completion of at most one token are what prime-rl stored ({@code b""}: its hook
 * commits nothing for such outputs): accepted with {@code checked = false} and said so in the result. Empty proofs for a longer completion are bad input.
 *
 * <p>Token choices are not replayed: the Python stack's sampling noise (TOPLOC2) is torch's CUDA Philox
 * stream, which cannot be replayed here (see {@code ../shared/ECOSYSTEM.md}).
 */
public final class SampleVerifier {
    private SampleVerifier() {
    }

    /** Verifies {@code s} on the CPU runtime with the default compute context; see {@link #verify(Sample, Settings, Model, InferenceVerifier.PrefillEngine, Compute)}. */
    public static SampleResult verify(Sample s, Settings st, Model model) {
        return verify(s, st, model, null, Compute.defaults());
    }

    /**
     * Verifies {@code s}; never throws for bad input (it is a {@link Verdict#BAD_INPUT} result). As
     * {@link InferenceVerifier}'s builder takes them: {@code engine} computes the prefill (a GPU; null, or
     * declining with null, leaves it to the CPU runtime), {@code compute} gives the CPU prefill its threads
     * and the commit check its threads and top-k device.
     */
    public static SampleResult verify(Sample s, Settings st, Model model, InferenceVerifier.PrefillEngine engine, Compute compute) {
        int p = s.prompt().length;
        int n = s.completion().length;
        int vocab = model.config().vocabSize();
        if (p < 1) {
            return SampleResult.badInput(s, null, 0, "the prompt has no tokens (expected at least 1)");
        }
        String ids = idsProblem(s.prompt(), "prompt", vocab);
        if (ids == null) {
            ids = idsProblem(s.completion(), "completion", vocab);
        }
        if (ids != null) {
            return SampleResult.badInput(s, null, 0, ids);
        }
        long positions = (long) p + n - 1;
        if (positions > model.config().contextLength()) {
            return SampleResult.badInput(s, null, 0, "prompt + completion need " + positions + " positions, more than the model's "
                    + model.config().contextLength());
        }
        Proofs.Parsed parsed;
        try {
            parsed = Proofs.read(s.proofs(), st.layout(), st.spec(), "proofs");
        } catch (CommitFormatException e) {
            // a null proof (all zero) is well-formed: the provider did not commit, a rejection
            return e.nullProof() ? SampleResult.rejected(s, e.getMessage()) : SampleResult.badInput(s, null, 0, e.getMessage());
        }
        List<Commit> commits = parsed.commits();
        String layout = parsed.layout().wireName();
        if (commits.isEmpty()) {
            if (n <= 1) {
                return new SampleResult(s.index(), Verdict.ACCEPT, false, null, layout, p, n, 0, 0, null, null, s.seed(), s.temperature(),
                        "nothing committed: a completion of " + n + " token(s) with empty proofs, as prime-rl stores them (not checked)", null, 0, 0);
            }
            return SampleResult.badInput(s, layout, 0, "no commits for a completion of " + n + " tokens");
        }
        if (n < 1) {
            return SampleResult.badInput(s, layout, commits.size(), commits.size() + " commits for an empty completion");
        }
        List<PositionConvention> fit = new ArrayList<>();
        List<ChunkPlan> plans = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        int hidden = model.config().hiddenSize();
        for (PositionConvention c : st.positions()) {
            ChunkPlan plan;
            try {
                plan = ChunkPlan.forSequence(p, n, c, st.prefillChunk(), st.spec().chunkSize());
            } catch (IllegalArgumentException e) {
                expected.add(c.wireName() + " expects none (" + e.getMessage() + ")");
                continue;
            }
            expected.add(c.wireName() + " expects " + plan.size());
            if (plan.size() == commits.size() && plan.chunks().stream().allMatch(ch -> (long) ch.rowCount() * hidden >= st.spec().topK())) {
                fit.add(c);
                plans.add(plan);
            }
        }
        if (fit.isEmpty()) {
            return SampleResult.badInput(s, layout, commits.size(), commits.size() + " commits fit no position convention for P = " + p
                    + ", N = " + n + (st.prefillChunk() ? " with a prefill chunk" : "") + ": " + String.join(", ", expected));
        }
        int[] seq = new int[p + n - 1];
        System.arraycopy(s.prompt(), 0, seq, 0, p);
        System.arraycopy(s.completion(), 0, seq, p, n - 1);
        long t0 = System.nanoTime();
        HiddenStates states = recompute(model, seq, st.mode(), engine, compute);
        long t1 = System.nanoTime();
        VerificationReport best = null;
        PositionConvention bestConv = null;
        List<String> why = new ArrayList<>();
        List<PositionConvention> passed = new ArrayList<>();
        for (int i = 0; i < fit.size(); i++) {
            VerificationReport r;
            try {
                r = check(states, plans.get(i), st, commits, compute);
            } catch (CommitFormatException | InvalidStatesException e) {
                return SampleResult.badInput(s, layout, commits.size(), fit.get(i).wireName() + ": " + e.getMessage());
            }
            if (r.accepted()) {
                passed.add(fit.get(i));
                if (bestConv == null || !best.accepted()) {
                    best = r;
                    bestConv = fit.get(i);
                }
            } else {
                why.add(fit.get(i).wireName() + ": " + r.rejection());
                if (best == null || (!best.accepted() && r.failures().size() < best.failures().size())) {
                    best = r;
                    bestConv = fit.get(i);
                }
            }
        }
        long prefillNanos = t1 - t0;
        long checkNanos = System.nanoTime() - t1;
        int failed = best.failures().size();
        if (!passed.isEmpty()) {
            String note = "commits pass with positions " + bestConv.wireName() + (passed.size() > 1 ? " (and also " + passed.get(1).wireName() + ")"
                    : fit.size() > 1 ? " (not " + fit.stream().filter(c -> !passed.contains(c)).findFirst().orElseThrow().wireName() + ")" : "");
            return new SampleResult(s.index(), Verdict.ACCEPT, true, bestConv, layout, p, n, commits.size(), 0, SampleResult.worst(best),
                    SampleResult.worstStrict(best), s.seed(), s.temperature(), note, best, prefillNanos, checkNanos);
        }
        return new SampleResult(s.index(), Verdict.REJECT, true, bestConv, layout, p, n, commits.size(), failed, SampleResult.worst(best),
                SampleResult.worstStrict(best), s.seed(), s.temperature(), "rejected: " + String.join("; ", why) + "; policy: " + st.policy().source(), best,
                prefillNanos, checkNanos);
    }

    /**
     * The one call into the prefill (switch here when InferenceVerifier's builder takes bare claims): final-norm
     * states of every position of {@code seq}, in the mode's dtype, from {@code engine} unless it is null or
     * declines, else from the CPU runtime on {@code compute}.
     */
    static HiddenStates recompute(Model model, int[] seq, ComputeMode mode, InferenceVerifier.PrefillEngine engine, Compute compute) {
        float[] hidden = engine == null ? null : engine.prefill(model, seq, mode);
        if (hidden == null) {
            hidden = model.prefill(seq, mode, compute);
        }
        return Model.toStates(hidden, seq.length, model.config().hiddenSize(), mode);
    }

    /** The commit check under one plan. */
    static VerificationReport check(HiddenStates states, ChunkPlan plan, Settings st, List<Commit> commits, Compute compute)
            throws CommitFormatException, InvalidStatesException {
        return Verifier.check(states, plan, st.spec(), commits, st.policy(), st.ties(), compute);
    }

    private static String idsProblem(int[] ids, String what, int vocab) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                return what + " token " + i + " is " + ids[i] + ", outside the model's vocabulary 0.." + (vocab - 1);
            }
        }
        return null;
    }
}
