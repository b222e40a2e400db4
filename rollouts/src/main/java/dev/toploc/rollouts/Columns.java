package dev.toploc.rollouts;

/**
 * Which columns (Parquet) or fields (JSON lines) of a rollout file hold what. The defaults are prime-rl's
 * rollout schema ({@code ../shared/ECOSYSTEM.md}); a column given as null is not read.
 *
 * @param prompt      prompt token ids, a list of integers (prime-rl {@code input_tokens})
 * @param completion  completion token ids (prime-rl {@code output_tokens})
 * @param proofs      the proofs: binary (concatenated 258-byte records), a base64 string (one or
 *                    concatenated), or in JSON lines a list of base64 strings (prime-rl {@code proofs})
 * @param seed        the sample's sampling seed, optional (prime-rl {@code seed})
 * @param temperature the sampling temperature, optional (prime-rl {@code temperature})
 */
public record Columns(String prompt, String completion, String proofs, String seed, String temperature) {
    /** prime-rl's rollout Parquet. */
    public static final Columns PRIME_RL = new Columns("input_tokens", "output_tokens", "proofs", "seed", "temperature");

    public Columns {
        if (prompt == null || completion == null || proofs == null) {
            throw new IllegalArgumentException("the prompt, completion and proofs columns must be named");
        }
    }
}
