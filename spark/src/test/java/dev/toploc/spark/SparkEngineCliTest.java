package dev.toploc.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.cli.Toploc;
import dev.toploc.rollouts.RolloutFixtures;
import dev.toploc.runtime.Model;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code toploc validate --engine spark} in this JVM: the same stdout and exit code as the default engine, and usage errors as exit 2. */
class SparkEngineCliTest {
    @TempDir
    static Path dir;
    static Path parquet;
    static Path jsonl;

    @BeforeAll
    static void files() throws Exception {
        try (Model tiny = Model.load(RolloutFixtures.TINY); Model tinyB = Model.load(RolloutFixtures.tinyB())) {
            parquet = dir.resolve("r.parquet");
            jsonl = dir.resolve("r.jsonl");
            RolloutFixtures.write(parquet, jsonl, tiny, tinyB);
        }
    }

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Toploc.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void sparkEngine_printsWhatTheDefaultEnginePrints() {
        String model = RolloutFixtures.TINY.toString();
        Run local = run("validate", "--json", "--model", model, parquet.toString(), jsonl.toString());
        Run spark = run("validate", "--json", "--engine", "spark", "--threads", "2", "--partitions", "3", "--model", model, parquet.toString(),
                jsonl.toString());
        assertEquals(1, local.code(), local.err());           // the fixture rejects some rows
        assertEquals(local.code(), spark.code(), spark.err());
        assertEquals(local.out(), spark.out());
        assertTrue(spark.err().contains("validating on spark (local[2])"), spark.err());
    }

    @Test
    void usageErrors_areExit2() {
        String model = RolloutFixtures.TINY.toString();
        Run none = run("validate", "--engine", "flink", "--model", model, parquet.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--engine flink: no such engine"), none.err());
        Run trust = run("validate", "--trust", "k.pem", "--model", model, parquet.toString());
        assertEquals(2, trust.code());
        Run noModel = run("validate", "--engine", "spark", "--model", dir.resolve("no-model").toString(), parquet.toString());
        assertEquals(2, noModel.code(), noModel.err());
        assertTrue(noModel.err().contains("no-model: not a directory"), noModel.err());
        assertTrue(!noModel.err().contains("\tat "), noModel.err());      // a message, not a stack trace
        // serve-validator names the served model whose folder (or policy) is wrong, before anything listens
        Run serve = run("serve-validator", "--storage", dir.toString(), "--model", "tiny=" + model, "--model", "gone=" + dir.resolve("no-model"),
                "--port", "0");
        assertEquals(2, serve.code(), serve.err());
        assertTrue(serve.err().contains("model gone (" + dir.resolve("no-model") + "): "), serve.err());
        assertTrue(serve.err().contains("policy for tiny: "), serve.err());
        Run otherWeights = run("serve-validator", "--storage", dir.toString(), "--model", "b=" + RolloutFixtures.tinyB(), "--policy",
                "b=" + RolloutFixtures.TINY.resolve("toploc-policy.json"), "--port", "0");
        assertEquals(2, otherWeights.code(), otherWeights.err());
        assertTrue(otherWeights.err().contains("model b ("), otherWeights.err());
    }
}
