package dev.toploc.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.attest.Attestations;
import dev.toploc.attest.SigningKey;
import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.FileResult;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.RolloutFixtures;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.Provider;
import dev.toploc.runtime.Sampling;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JSON lines of DSSE envelopes on Spark: an honest attestation, one of another model's outputs, one signed by an
 * untrusted key, and a line that is no envelope; verdicts as the library's attestation check gives them, the same
 * with one task and with several.
 */
class AttestationLinesTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path file;
    static SigningKey trusted = SigningKey.generate(new SecureRandom(new byte[] {1}));
    static SigningKey stranger = SigningKey.generate(new SecureRandom(new byte[] {2}));
    static byte[] honest;

    static byte[] line(Model m, String name, SigningKey key, String prompt, int seed) throws Exception {
        var a = Provider.generate(m, name, new Provider.Request(prompt.chars().toArray(), 40, new Sampling(0.8, seed), -1, ComputeMode.BF16,
                CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, "nonce-" + seed));
        return ResultJson.JSON.readTree(Attestations.sign(a, List.of(key))).toString().getBytes(StandardCharsets.UTF_8);
    }

    @BeforeAll
    static void setUp() throws Exception {
        try (Model tiny = Model.load(RolloutFixtures.TINY); Model tinyB = Model.load(RolloutFixtures.tinyB())) {
            honest = line(tiny, "tiny-fortunes-llama", trusted, "Q: What is a friend?\nA:", 7);
            String text = new String(honest, StandardCharsets.UTF_8) + "\n"
                    + new String(line(tinyB, "tiny-fortunes-llama", trusted, "Q: Is it raining?\nA:", 8), StandardCharsets.UTF_8) + "\n\n"
                    + new String(line(tiny, "tiny-fortunes-llama", stranger, "Q: Why?\nA:", 9), StandardCharsets.UTF_8) + "\n"
                    + "{\"payloadType\": 3}\n";
            file = dir.resolve("attestations.jsonl");
            Files.writeString(file, text);
        }
        spark = LocalSpark.start(2);
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    @Test
    void eachLineIsAnAttestationVerdict_whateverThePartitioning() throws Exception {
        ModelRef ref = ModelRef.of(RolloutFixtures.TINY);
        String pem = trusted.publicKey().toSpkiPem();
        String first = null;
        for (int partitions : new int[] {1, 3}) {
            FileResult r = SparkValidator.fileResults(SparkValidator.plan(spark, List.of(file), Columns.PRIME_RL, RolloutFixtures.settings(),
                    List.of(pem), ref, partitions)).getFirst();
            assertEquals("dsse", r.format());
            assertEquals(4, r.samples());
            assertEquals(List.of(1, 2, 3), r.failingIndices(), r.results().toString());
            assertEquals("accept", r.results().get(0).verdict().wireName());
            assertTrue(r.results().get(1).reason().contains("weights sha256"), r.results().get(1).reason());
            assertEquals("reject", r.results().get(2).verdict().wireName(), r.results().get(2).reason());
            assertEquals("bad-input", r.results().get(3).verdict().wireName());
            assertTrue(r.results().get(3).reason().startsWith("line 5: "), r.results().get(3).reason());
            String json = ResultJson.JSON.writeValueAsString(ResultJson.file(r));
            if (first == null) {
                first = json;
            }
            assertEquals(first, json);
        }
        // the accepted line as the library checks one attestation
        try (Model tiny = Model.load(RolloutFixtures.TINY)) {
            var a = Attestations.verify(honest, List.of(trusted.publicKey()));
            assertTrue(InferenceVerifier.builder().mode(ComputeMode.FP32).policy(RolloutFixtures.settings().policy()).build()
                    .verify(tiny, a).accepted());
        }
    }

    @Test
    void withoutTrustedKeys_everyLineIsBadInput() throws Exception {
        FileResult r = SparkValidator.fileResults(SparkValidator.plan(spark, List.of(file), Columns.PRIME_RL, RolloutFixtures.settings(),
                List.of(), ModelRef.of(RolloutFixtures.TINY), 2)).getFirst();
        assertEquals(List.of(0, 1, 2, 3), r.failingIndices());
        assertTrue(r.results().get(0).reason().contains("no trusted keys"), r.results().get(0).reason());
    }
}
