package dev.toploc.rollouts;

import java.util.List;

/**
 * One rollout file's result: the object {@code toploc validate --json} prints per file.
 *
 * @param file           the file as named by the caller
 * @param format         parquet, jsonl or proofs
 * @param accepted       every sample accepted and the file read to its end (status {@code accept}, else {@code reject})
 * @param samples        rows read (samples and bad rows)
 * @param failingIndices the rows not accepted: rejected or bad input
 * @param inputFlops     2 x parameters x prompt tokens, summed over the rows whose ids could be read
 * @param outputFlops    2 x parameters x completion tokens, likewise
 * @param results        per row, in file order
 * @param error          why the file could not be read (to its end), or null
 * @param nanos          wall time of the whole file; minus the samples' prefill and check times, what reading took
 */
public record FileResult(String file, String format, boolean accepted, int samples, List<Integer> failingIndices, double inputFlops,
                         double outputFlops, List<SampleResult> results, String error, long nanos) {
    public FileResult {
        failingIndices = List.copyOf(failingIndices);
        results = List.copyOf(results);
    }

    /** {@code accept} or {@code reject}. */
    public String status() {
        return accepted ? "accept" : "reject";
    }

    /** Total prefill time over the samples. */
    public long prefillNanos() {
        return results.stream().mapToLong(SampleResult::prefillNanos).sum();
    }

    /** Total commit-check time over the samples. */
    public long checkNanos() {
        return results.stream().mapToLong(SampleResult::checkNanos).sum();
    }

    /** Any sample rejected. */
    public boolean anyRejected() {
        return results.stream().anyMatch(r -> r.verdict() == Verdict.REJECT);
    }

    /** Any row bad input, or the file unreadable. */
    public boolean anyBadInput() {
        return error != null || results.stream().anyMatch(r -> r.verdict() == Verdict.BAD_INPUT);
    }
}
