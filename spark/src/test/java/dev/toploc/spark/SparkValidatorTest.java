package dev.toploc.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.FileResult;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.RolloutFixtures;
import dev.toploc.rollouts.RolloutValidator;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in local mode against the rollouts library on the same files: the same JSON per file
 * ({@code toploc validate --json}) with one task and with several, Parquet read by Spark's own reader and
 * JSON lines as Spark text; files Spark cannot read get the library's error; the model is loaded once.
 */
class SparkValidatorTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static Model tiny;
    static Path parquet;
    static Path jsonl;
    static ModelRef ref;

    @BeforeAll
    static void setUp() throws Exception {
        tiny = Model.load(RolloutFixtures.TINY);
        try (Model tinyB = Model.load(RolloutFixtures.tinyB())) {
            parquet = dir.resolve("rollouts.parquet");
            jsonl = dir.resolve("rollouts.jsonl");
            RolloutFixtures.write(parquet, jsonl, tiny, tinyB);
        }
        spark = LocalSpark.start(2);
        ref = ModelRef.of(RolloutFixtures.TINY);
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
        tiny.close();
    }

    static String json(FileResult r) throws Exception {
        return ResultJson.JSON.writeValueAsString(ResultJson.file(r));
    }

    List<FileResult> onSpark(List<Path> files, int partitions) throws Exception {
        return SparkValidator.fileResults(SparkValidator.plan(spark, files, Columns.PRIME_RL, RolloutFixtures.settings(), ref, partitions));
    }

    @Test
    void sameJsonAsTheLibrary_withOneTaskAndWithSeveral() throws Exception {
        Path missing = dir.resolve("missing.parquet");
        Path noColumn = dir.resolve("other.jsonl");
        Files.writeString(noColumn, "{\"a\": 1}\n");
        List<Path> files = List.of(parquet, jsonl, missing, noColumn);
        List<String> expected = new java.util.ArrayList<>();
        for (Path f : files) {
            expected.add(json(RolloutValidator.validate(f, Columns.PRIME_RL, RolloutFixtures.settings(), tiny)));
        }
        FileResult lib = RolloutValidator.validate(parquet, Columns.PRIME_RL, RolloutFixtures.settings(), tiny);
        assertEquals(RolloutFixtures.FAILING, lib.failingIndices());       // the fixture is not vacuous: accepts and rejects
        long loads = ModelCache.SHARED.loads();
        for (int partitions : new int[] {1, 3}) {
            List<FileResult> got = onSpark(files, partitions);
            for (int i = 0; i < files.size(); i++) {
                assertEquals(expected.get(i), json(got.get(i)), files.get(i) + " with " + partitions + " partitions");
            }
        }
        assertEquals(loads, ModelCache.SHARED.loads(), "the executors reuse the model the driver identified");
    }

    @Test
    void aParquetFileWhoseSchemaLacksAColumn_getsTheLibrarysError() throws Exception {
        Columns other = new Columns("prompt_ids", "output_tokens", "proofs", null, null);
        FileResult lib = RolloutValidator.validate(parquet, other, RolloutFixtures.settings(), tiny);
        FileResult got = SparkValidator.fileResults(SparkValidator.plan(spark, List.of(parquet), other, RolloutFixtures.settings(), ref, 2)).getFirst();
        assertTrue(lib.error().startsWith("column 'prompt_ids' not found"), lib.error());
        assertEquals(json(lib), json(got));
    }

    @Test
    void anExecutorWhoseWeightsDiffer_refusesToCheck() {
        ModelRef forged = new ModelRef(ref.directory(), "0".repeat(64), ref.configDigest());
        ModelCache cache = new ModelCache(1);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> cache.acquire(forged));
        assertTrue(e.getMessage().contains("the job expects " + "0".repeat(64)), e.getMessage());
        assertEquals(0, cache.size());
    }

    @Test
    void theCacheIsBounded_andClosesOnlyIdleModels() throws Exception {
        ModelCache cache = new ModelCache(1);
        ModelRef b = ModelRef.of(RolloutFixtures.tinyB());
        try (ModelCache.Lease l1 = cache.acquire(ref)) {
            try (ModelCache.Lease l2 = cache.acquire(b)) {     // the only slot is in use: b lives for this lease alone
                assertEquals(1, cache.size());
                assertNotEquals(l1.model(), l2.model());
                l1.model().prefill(new int[] {1, 2}, dev.toploc.runtime.ComputeMode.FP32);   // still mapped
            }
            try (ModelCache.Lease again = cache.acquire(ref)) {
                assertEquals(l1.model(), again.model());
            }
        }
        assertEquals(2, cache.loads());
        try (ModelCache.Lease l3 = cache.acquire(b)) {        // ref is idle now: evicted to make room
            assertEquals(1, cache.size());
        }
        assertEquals(3, cache.loads());
    }
}
