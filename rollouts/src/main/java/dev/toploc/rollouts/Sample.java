package dev.toploc.rollouts;

/**
 * One stored rollout sample as read from a file, nothing checked yet.
 *
 * @param index       0-based row of the file
 * @param prompt      prompt token ids (prime-rl {@code input_tokens})
 * @param completion  completion token ids (prime-rl {@code output_tokens})
 * @param proofs      the stored proofs as they were (binary records, base64 text or a JSON list; see
 *                    {@link dev.toploc.Proofs}); empty for prime-rl's {@code b""}
 * @param seed        the sample's sampling seed, null when the file has none
 * @param temperature the sampling temperature, null when the file has none
 */
public record Sample(int index, int[] prompt, int[] completion, byte[] proofs, Long seed, Double temperature) {
    public Sample {
        if (prompt == null || completion == null || proofs == null) {
            throw new IllegalArgumentException("prompt, completion and proofs are required (proofs may be empty)");
        }
    }
}
