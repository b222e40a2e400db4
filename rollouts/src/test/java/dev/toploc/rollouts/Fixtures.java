package dev.toploc.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkPlan;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.Commits;
import dev.toploc.HiddenStates;
import dev.toploc.PositionConvention;
import dev.toploc.Proofs;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import dev.toploc.vectors.TestVectors;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Honest and attacked samples made the way the Python hooks made them, from the embedded tiny models. */
final class Fixtures {
    private Fixtures() {
    }

    static final Path TINY = TestVectors.model("tiny-fortunes-llama");
    static final Path TINY_B = TestVectors.model("tiny-fortunes-llama-b");

    /** The tiny model's calibrated policy (test-vectors), read as stored. */
    static AcceptancePolicy policy() {
        try {
            JsonNode j = new ObjectMapper().readTree(TINY.resolve("toploc-policy.json").toFile());
            return new AcceptancePolicy(j.get("maxExpMismatches").asInt(), j.get("maxMantErrMean").asDouble(), j.get("maxMantErrMedian").asDouble(),
                    j.get("maxSignMismatches").asInt(), j.get("maxAvgMantErrMean").asDouble(), j.get("source").asText());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Settings settings(List<PositionConvention> positions) {
        return new Settings(CommitSpec.DEFAULT, Proofs.Layout.AUTO, positions, false, ComputeMode.FP32, policy(), dev.toploc.TieRule.TOLERANT);
    }

    static int[] bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xFF;
        }
        return ids;
    }

    static final String[][] TEXTS = {
            {"Q: What is a dog?\nA:", " A dog is a loyal friend who will eat your homework and then look sorry about it for exactly one minute."},
            {"Q: Is it raining?\nA:", " Yes, but only on Tuesdays, and only when the moon is looking the other way. Bring a hat and a good book."},
            {"Q: Why is the sky blue?\nA:", " Because the sky read a sad book once and never got over it, so it stays blue all day long."}};

    /**
     * Commits as the provider's hook made them: its own bf16 prefill over prompt + completion (all but the
     * last token), rows under {@code conv}, binary 258-byte records (prime-rl's column). {@code rowShift}
     * moves every chunk by that many rows (a preempted sequence that lost a row).
     */
    static byte[] proofs(Model provider, int[] prompt, int[] completion, PositionConvention conv, int rowShift) throws Exception {
        int[] seq = new int[prompt.length + completion.length - 1];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(completion, 0, seq, prompt.length, completion.length - 1);
        HiddenStates states = provider.prefillStates(seq, ComputeMode.BF16);
        ChunkPlan plan = ChunkPlan.forSequence(prompt.length, completion.length, conv, false, 32);
        if (rowShift != 0) {
            List<ChunkPlan.Chunk> moved = plan.chunks().stream()
                    .map(c -> new ChunkPlan.Chunk(c.index(), c.firstRow() + rowShift, Math.min(c.rowCount(), seq.length - c.firstRow() - rowShift), c.prefill()))
                    .toList();
            plan = new ChunkPlan(moved, plan.rows());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Commit c : Commits.commitAll(states, plan, CommitSpec.DEFAULT)) {
            out.writeBytes(c.toBytes());
        }
        return out.toByteArray();
    }

    static int[] changed(int[] ids, int at, int to) {
        int[] c = Arrays.copyOf(ids, ids.length);
        c[at] = to;
        return c;
    }
}
