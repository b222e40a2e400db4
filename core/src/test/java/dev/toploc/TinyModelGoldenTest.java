package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The embedded tiny trained model's golden states (PyTorch): the reference commits made from its bf16
 * states are reproduced byte for byte from the same states, under both position conventions, wherever
 * the chunk has no tie at its k-th magnitude (7 of the 14 chunks; real bf16 states tie often), and checking them
 * against PyTorch's fp32 states gives exactly the statistics the reference recorded.
 */
class TinyModelGoldenTest {

    static Stream<Arguments> sequences() {
        return Stream.of("seq1", "seq2", "seq3").flatMap(s -> Stream.of(
                Arguments.of(s, PositionConvention.PRODUCED), Arguments.of(s, PositionConvention.DECODE_STEPS)));
    }

    /** Whether the k-th and (k+1)-th largest magnitudes of the chunk are equal. */
    static boolean tiedAtK(HiddenStates s, ChunkPlan.Chunk c, int k) {
        int n = c.rowCount() * s.hidden();
        int[] mags = new int[n];
        for (int i = 0; i < n; i++) {
            mags[i] = s.patternsUnsafe()[c.firstRow() * s.hidden() + i] & 0x7FFF;
        }
        java.util.Arrays.sort(mags);
        return n > k && mags[n - k] == mags[n - k - 1];
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("sequences")
    void referenceCommits_reproducedAndCheckedAgainstFp32States(String seq, PositionConvention convention) throws Exception {
        Path dir = TestVectors.model("tiny-fortunes-llama").resolve("golden");
        JsonNode n = Golden.json(dir.resolve(seq + ".json"));
        int p = n.get("P").asInt();
        int count = n.get("N").asInt();
        int hidden = n.get("hidden").asInt();
        int rows = n.get("rows").asInt();
        JsonNode ref = n.get("commits_" + convention.wireName());
        CommitSpec spec = new CommitSpec(Dtype.BF16, ref.get("topk").asInt(), ref.get("chunk").asInt());
        ChunkPlan plan = ChunkPlan.forSequence(p, count, convention, false, spec.chunkSize());
        List<String> expected = Golden.strings(ref.get("commits_base64"));

        JsonNode states = n.get("states");
        HiddenStates bf16 = HiddenStates.ofPatterns(Golden.shortsLE(Golden.bytes(dir.resolve(states.get("bf16").get("file").asText()),
                states.get("bf16").get("sha256").asText())), Dtype.BF16, rows, hidden);
        List<String> ours = Commits.commitAll(bf16, plan, spec).stream().map(Commit::toBase64).toList();
        for (int i = 0; i < plan.size(); i++) {
            ChunkPlan.Chunk c = plan.chunk(i);
            if (!tiedAtK(bf16, c, spec.topK())) {   // a tie leaves torch's choice arbitrary: only tie-free chunks are determined
                assertEquals(expected.get(i), ours.get(i), seq + " " + convention + " chunk " + i);
            }
        }

        HiddenStates fp32 = HiddenStates.ofFloats(Golden.floatsLE(Golden.bytes(dir.resolve(states.get("fp32").get("file").asText()),
                states.get("fp32").get("sha256").asText())), rows, hidden);
        List<Commit> commits = Golden.commits(expected, CommitEncoding.V1, spec.topK());
        VerificationReport report = Verifier.verify(fp32, plan, spec, commits, AcceptancePolicy.defaults(spec));
        ReferenceVectorsTest.assertStats(Golden.stats(ref.get("verified_against_fp32_states"), spec.topK()), report);
    }
}
