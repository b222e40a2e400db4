package dev.toploc.cli;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkPlan;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.Compute;
import dev.toploc.Dtype;
import dev.toploc.HiddenStates;
import dev.toploc.PositionConvention;
import dev.toploc.TieRule;
import dev.toploc.Verifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Setup mistakes told apart from rejections: commits counted against the plan before any work (a prefill
 * included), and a rejection that the other 16-bit dtype would accept. Each is bad input (exit 2) with a
 * hint saying which setting is probably wrong; neither ever turns a rejection into an acceptance.
 */
final class SetupHints {
    private SetupHints() {
    }

    /** Chunk sizes the Python stack and this CLI use, tried for a hint. */
    private static final int[] CHUNKS = {8, 16, 32, 64, 128, 256};

    /** {@code check}: {@code rows} rows of states, {@code prefillRows} of them the prefill chunk. */
    static void requireCount(int commits, ChunkPlan plan, int rows, int prefillRows, int chunk, boolean fromHeader) {
        if (commits == plan.size()) {
            return;
        }
        List<String> hints = new ArrayList<>();
        int decode = rows - prefillRows;
        if (prefillRows == 0 && commits > plan.size()) {
            hints.add("the first commit may cover the prompt: give --prefill-rows P (the prompt's rows)");
        }
        if (prefillRows > 0 && commits == plan.size() - 1) {
            hints.add("the file may have no prefill commit (skip_prefill): drop --prefill-rows");
        }
        for (int c : CHUNKS) {
            if (c != chunk && decodeChunks(decode, c) + (prefillRows > 0 ? 1 : 0) == commits) {
                hints.add("the commits may have been made with --chunk " + c);
            }
        }
        throw new IllegalArgumentException("the proofs file has " + commits + " commits, but " + rows + " rows (" + prefillRows
                + " prefill + " + decode + " decode in chunks of " + chunk + (fromHeader ? ", as its header says" : "") + ") give "
                + plan.size() + (hints.isEmpty() ? "" : ": " + String.join("; or ", hints)));
    }

    /** {@code verify --proofs}: a sequence of {@code prompt} + {@code completion} tokens; checked before the prefill. */
    static void requireCount(int commits, int prompt, int completion, PositionConvention positions, boolean prefillChunk, int chunk,
                             boolean fromHeader) {
        ChunkPlan plan;
        try {
            plan = ChunkPlan.forSequence(prompt, completion, positions, prefillChunk, chunk);
        } catch (IllegalArgumentException e) {
            return;      // the verifier's own message says why there is no plan
        }
        if (commits == plan.size()) {
            return;
        }
        List<String> hints = new ArrayList<>();
        for (boolean pre : new boolean[] {prefillChunk, !prefillChunk}) {
            for (PositionConvention pc : PositionConvention.values()) {
                for (int c : CHUNKS) {
                    if ((pre == prefillChunk && pc == positions && c == chunk) || !fits(commits, prompt, completion, pc, pre, c)) {
                        continue;
                    }
                    List<String> change = new ArrayList<>();
                    if (pre != prefillChunk) {
                        change.add(pre ? "--prefill-chunk" : "no --prefill-chunk");
                    }
                    if (pc != positions) {
                        change.add("--positions " + pc.wireName());
                    }
                    if (c != chunk) {
                        change.add("--chunk " + c);
                    }
                    hints.add(String.join(" ", change));
                }
            }
        }
        throw new IllegalArgumentException("the proofs file has " + commits + " commits, but a prompt of " + prompt + " and a completion of "
                + completion + " tokens (" + (prefillChunk ? "prefill chunk, " : "no prefill chunk, ") + positions.wireName() + ", chunks of "
                + chunk + (fromHeader ? ", as its header says" : "") + ") give " + plan.size()
                + (hints.isEmpty() ? "" : ": the commits fit " + String.join(", or ", hints.subList(0, Math.min(3, hints.size())))));
    }

    private static boolean fits(int commits, int prompt, int completion, PositionConvention pc, boolean pre, int chunk) {
        try {
            return ChunkPlan.forSequence(prompt, completion, pc, pre, chunk).size() == commits;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static int decodeChunks(int rows, int chunk) {
        return rows <= 0 ? 0 : (rows + chunk - 1) / chunk;
    }

    /**
     * After a rejection of 16-bit commits: when the same commits pass in the other 16-bit dtype (bf16 for
     * fp16, fp16 for bf16), the dtype was wrong, not the states: bad input naming the dtype that fits.
     */
    static void requireNotOtherDtype(HiddenStates s, ChunkPlan plan, CommitSpec spec, List<Commit> commits, AcceptancePolicy policy,
                                     TieRule ties, Compute compute, boolean fromHeader) throws Exception {
        Dtype other = spec.dtype() == Dtype.BF16 ? Dtype.FP16 : spec.dtype() == Dtype.FP16 ? Dtype.BF16 : null;
        if (other == null) {
            return;
        }
        CommitSpec alt = new CommitSpec(other, spec.topK(), spec.chunkSize());
        if (Verifier.check(s, plan, alt, commits, policy, ties, compute).accepted()) {
            throw new IllegalArgumentException("the commits do not match in " + spec.dtype().wireName()
                    + (fromHeader ? " (the proofs file's header)" : "") + " but do in " + other.wireName()
                    + ": they were made in " + other.wireName() + " (give --dtype " + other.wireName() + ")");
        }
    }
}
