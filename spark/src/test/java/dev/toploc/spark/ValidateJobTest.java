package dev.toploc.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.Proofs;
import dev.toploc.TieRule;
import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.RolloutFixtures;
import dev.toploc.rollouts.RolloutValidator;
import dev.toploc.rollouts.Settings;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spark-submit entry point in local mode: the summary is the library's per-file JSON less results; the table has every row. */
class ValidateJobTest {
    @TempDir
    Path dir;

    @Test
    void summaryAndTable_matchTheLibrary() throws Exception {
        Path parquet = dir.resolve("r.parquet");
        Path jsonl = dir.resolve("r.jsonl");
        Path missing = dir.resolve("none.parquet");
        Settings defaults = new Settings(CommitSpec.DEFAULT, Proofs.Layout.AUTO, Settings.AUTO, false, ComputeMode.FP32,
                AcceptancePolicy.defaults(CommitSpec.DEFAULT), TieRule.TOLERANT);
        StringBuilder expected = new StringBuilder();
        try (Model tiny = Model.load(RolloutFixtures.TINY); Model tinyB = Model.load(RolloutFixtures.tinyB())) {
            RolloutFixtures.write(parquet, jsonl, tiny, tinyB);
            for (Path f : List.of(parquet, jsonl, missing)) {
                ObjectNode o = ResultJson.file(RolloutValidator.validate(f, Columns.PRIME_RL, defaults, tiny));
                o.remove("results");
                expected.append(ResultJson.JSON.writeValueAsString(o)).append('\n');
            }
        }
        Path out = dir.resolve("out");
        int code = ValidateJob.run(new String[] {"--master", "local[2]", "--partitions", "2", "--model", RolloutFixtures.TINY.toString(), "--out",
                out.toString(), parquet.toString(), jsonl.toString(), missing.toString()});
        assertEquals(1, code);
        assertEquals(expected.toString(), Files.readString(out.resolve("summary.jsonl")));
        SparkSession spark = LocalSpark.start(1);
        try {
            assertEquals(9 + 10, spark.read().parquet(out.resolve("samples").toString()).count());
        } finally {
            spark.stop();
        }
        assertThrows(java.io.IOException.class, () -> ValidateJob.run(new String[] {"--master", "local[1]", "--model", RolloutFixtures.TINY.toString(),
                "--out", out.toString(), parquet.toString()}));     // never over a previous result
    }
}
