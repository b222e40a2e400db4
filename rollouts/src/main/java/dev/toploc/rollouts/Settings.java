package dev.toploc.rollouts;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.Proofs;
import dev.toploc.TieRule;
import dev.toploc.runtime.ComputeMode;
import java.util.List;

/**
 * How stored proofs are checked: a value passed explicitly (no global state).
 *
 * @param spec         the commits' dtype, k and chunk size (prime-rl: bf16 or the checkpoint's fp16, 128, 32)
 * @param layout       how the proofs are stored ({@link Proofs.Layout#AUTO}: by content)
 * @param positions    the conventions to try, in order of preference; both is {@code auto}: accepted when
 *                     one passes, and the result says which
 * @param prefillChunk whether the first commit covers the prompt (the reference's {@code skip_prefill=False})
 * @param mode         the verifier's compute mode for the prefill
 * @param policy       the thresholds per chunk
 * @param ties         how a tie at the verifier's k-th magnitude is measured; {@link TieRule#TOLERANT} for the
 *                     Python stack, whose torch top-k breaks ties arbitrarily
 */
public record Settings(CommitSpec spec, Proofs.Layout layout, List<PositionConvention> positions, boolean prefillChunk,
                       ComputeMode mode, AcceptancePolicy policy, TieRule ties) {

    /** Both conventions, newer first (prime-rl after 2025-06-21 is {@code produced}). */
    public static final List<PositionConvention> AUTO = List.of(PositionConvention.PRODUCED, PositionConvention.DECODE_STEPS);

    public Settings {
        if (spec == null || layout == null || mode == null || policy == null || positions == null || positions.isEmpty() || ties == null) {
            throw new IllegalArgumentException("spec, layout, at least one position convention, mode, policy and tie rule are required");
        }
        positions = List.copyOf(positions);
        if (positions.size() != positions.stream().distinct().count()) {
            throw new IllegalArgumentException("position conventions repeat: " + positions);
        }
    }

    /** {@code auto}, {@code produced} or {@code decode-steps}. */
    public static List<PositionConvention> positions(String wireName) {
        return wireName.equals("auto") ? AUTO : List.of(PositionConvention.fromWireName(wireName));
    }
}
