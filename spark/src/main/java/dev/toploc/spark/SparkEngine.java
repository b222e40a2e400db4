package dev.toploc.spark;

import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.FileResult;
import dev.toploc.rollouts.Settings;
import dev.toploc.rollouts.ValidationEngine;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * {@code toploc validate --engine spark}: the job in {@code local[threads]} inside the calling JVM, nothing to
 * set up. Registered in {@code META-INF/services}; the CLI finds it when this module's jars are on its class path.
 */
public final class SparkEngine implements ValidationEngine {
    @Override
    public String name() {
        return "spark";
    }

    @Override
    public List<FileResult> validate(List<Path> files, Columns columns, Settings settings, Path model, List<String> trustedKeys, int threads,
                                     int partitions) throws Exception {
        ModelRef ref = ModelRef.of(model);
        SparkSession spark = LocalSpark.start(threads);
        try {
            return SparkValidator.fileResults(SparkValidator.plan(spark, files, columns, settings, trustedKeys, ref,
                    partitions > 0 ? partitions : threads));
        } finally {
            spark.stop();
        }
    }
}
