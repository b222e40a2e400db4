package dev.toploc.spark;

import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.FileResult;
import dev.toploc.rollouts.ModelFlops;
import dev.toploc.rollouts.RolloutValidator;
import dev.toploc.rollouts.Row;
import dev.toploc.rollouts.SampleResult;
import dev.toploc.rollouts.SampleVerifier;
import dev.toploc.rollouts.Settings;
import dev.toploc.rollouts.Verdict;
import dev.toploc.runtime.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * Validates rollout files on Spark: the rows are read by Spark (Parquet through its own reader, JSON lines as
 * text), spread over the tasks, and each task checks its rows with the rollouts library's
 * {@link SampleVerifier} against the model its JVM loaded once ({@link ModelCache}). The per-sample rows
 * ({@link SparkRows#RESULT_SCHEMA}) are the job's result; {@link #fileResults} folds them into the per-file
 * results {@code toploc validate} prints.
 *
 * <p>Identical to {@link RolloutValidator#validate} on the same input whatever the partitioning: a Parquet
 * row keeps its row index in the file ({@code _metadata.row_index}), a JSON line its rank among the file's
 * non-blank lines, and every verdict is a function of the row, the settings and the model alone. A file
 * Spark cannot read (missing, not a regular file, a corrupt footer, a missing column, a bare proofs file)
 * is read by the library on the driver, which gives its exact error.
 */
public final class SparkValidator {
    private SparkValidator() {
    }

    /** A file of the job: how the caller named it (the results' {@code file}) and how it is read. */
    record Planned(String name, Path path, String format) {
    }

    /**
     * Per-sample results of every file (Spark ones), plus the files the library read on the driver.
     *
     * @param samples  the per-sample rows Spark computes (lazy: an action runs the job)
     * @param onDriver files Spark could not read, validated by the library on the driver, by name
     * @param planned  every file in the order given, with its format
     */
    public record Job(Dataset<org.apache.spark.sql.Row> samples, Map<String, FileResult> onDriver, List<String> files, Map<String, String> formats,
                      long parameters) {
    }

    /**
     * Plans the job over {@code files}: {@code partitions} tasks per file (0: Spark's own splits, by size).
     * The model is referenced, not loaded here ({@link ModelRef#of(Path)} identifies it).
     */
    public static Job plan(SparkSession spark, List<Path> files, Columns columns, Settings settings, ModelRef model, int partitions)
            throws IOException, dev.toploc.TopLocException {
        return plan(spark, files, columns, settings, List.of(), model, partitions);
    }

    /**
     * As {@link #plan(SparkSession, List, Columns, Settings, ModelRef, int)}, files of DSSE envelopes (JSON lines whose
     * first line is an envelope) checked as attestations signed by one of {@code trustedKeys} (PEM text).
     */
    public static Job plan(SparkSession spark, List<Path> files, Columns columns, Settings settings, List<String> trustedKeys, ModelRef model,
                           int partitions) throws IOException, dev.toploc.TopLocException {
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions " + partitions + " (expected 0 for Spark's splits, or more)");
        }
        JobSettings js = JobSettings.of(settings, columns).withTrustedKeys(trustedKeys);
        AttestationLines.keys(trustedKeys);    // a key that does not parse is the caller's mistake, before any work
        Map<String, FileResult> onDriver = new LinkedHashMap<>();
        Map<String, String> formats = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        Dataset<org.apache.spark.sql.Row> all = spark.createDataFrame(List.of(), SparkRows.RESULT_SCHEMA);
        long parameters;
        try (ModelCache.Lease lease = ModelCache.SHARED.acquire(model)) {
            parameters = ModelFlops.parameters(lease.model().config());
            for (Path f : files) {
                String name = f.toString();
                names.add(name);
                Dataset<org.apache.spark.sql.Row> d = sparkFile(spark, f, name, js, model, partitions, formats);
                if (d == null) {
                    FileResult r = RolloutValidator.validate(f, columns, settings, lease.model());
                    onDriver.put(name, r);
                    formats.put(name, r.format());
                } else {
                    all = all.union(d);
                }
            }
        }
        return new Job(all, onDriver, names, formats, parameters);
    }

    /** The file's rows on Spark, or null when the library must read it on the driver. */
    private static Dataset<org.apache.spark.sql.Row> sparkFile(SparkSession spark, Path f, String name, JobSettings js, ModelRef model,
                                                               int partitions, Map<String, String> formats) throws IOException {
        if (!Files.isRegularFile(f) || !Files.isReadable(f) || !plainPath(f)) {
            return null;
        }
        RolloutValidator.Format format = RolloutValidator.detect(f);
        String uri = f.toAbsolutePath().normalize().toUri().toString();
        switch (format) {
            case PARQUET -> {
                Dataset<org.apache.spark.sql.Row> df;
                StructType schema;
                try {
                    df = spark.read().parquet(uri);
                    schema = df.schema();
                } catch (RuntimeException e) {   // a footer Spark cannot read: the library names why
                    return null;
                }
                List<String> have = Arrays.asList(schema.fieldNames());
                if (!have.contains(js.promptColumn()) || !have.contains(js.completionColumn()) || !have.contains(js.proofsColumn())) {
                    return null;
                }
                List<Column> cols = new ArrayList<>(List.of(col(js.promptColumn()), col(js.completionColumn()), col(js.proofsColumn())));
                int seedAt = -1;
                int tempAt = -1;
                if (js.seedColumn() != null && have.contains(js.seedColumn())) {
                    seedAt = cols.size();
                    cols.add(col(js.seedColumn()));
                }
                if (js.temperatureColumn() != null && have.contains(js.temperatureColumn())) {
                    tempAt = cols.size();
                    cols.add(col(js.temperatureColumn()));
                }
                int rowAt = cols.size();
                cols.add(functions.col("_metadata.row_index"));
                Dataset<org.apache.spark.sql.Row> rows = df.select(cols.toArray(Column[]::new));
                if (partitions > 0) {
                    rows = rows.repartition(partitions);
                }
                StructType projected = rows.schema();
                SparkRows.Layout layout = new SparkRows.Layout(js.promptColumn(), js.completionColumn(), js.proofsColumn(), js.seedColumn(), seedAt,
                        js.temperatureColumn(), tempAt, rowAt);
                String fmt = format.wireName();
                formats.put(name, fmt);
                JavaRDD<org.apache.spark.sql.Row> out = rows.javaRDD().mapPartitions(it -> verifyRows(name, fmt, js, model,
                        new MappedIterator<>(it, g -> SparkRows.toRow(g, layout, projected))));
                return spark.createDataFrame(out, SparkRows.RESULT_SCHEMA);
            }
            case JSONL -> {
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                JavaRDD<IndexedLines.Line> lines = IndexedLines.read(sc, uri, Math.max(partitions, 1));
                JavaRDD<IndexedLines.Line> spread = partitions > 0 ? lines.repartition(partitions) : lines;
                if (AttestationLines.isEnvelopeFile(f)) {
                    formats.put(name, AttestationLines.FORMAT);
                    JavaRDD<org.apache.spark.sql.Row> out = spread.mapPartitions(it -> verifyEnvelopes(name, js, model, it));
                    return spark.createDataFrame(out, SparkRows.RESULT_SCHEMA);
                }
                String fmt = format.wireName();
                formats.put(name, fmt);
                JavaRDD<org.apache.spark.sql.Row> out = spread.mapPartitions(it -> verifyRows(name, fmt, js, model,
                        new MappedIterator<>(it, t -> RolloutValidator.jsonLine(t.index(), t.lineNo(), t.text(), js.columns()))));
                return spark.createDataFrame(out, SparkRows.RESULT_SCHEMA);
            }
            default -> {
                return null;
            }
        }
    }

    /** Spark reads paths as Hadoop globs: a name with glob or URI characters is read by the library instead. */
    private static boolean plainPath(Path f) {
        String s = f.toAbsolutePath().toString();
        for (char c : new char[] {'*', '?', '[', ']', '{', '}', '\\', ',', ':', '%'}) {
            if (s.indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static Column col(String name) {
        return functions.col("`" + name.replace("`", "``") + "`");
    }

    /** One task: its rows checked against the model this JVM holds (loaded once, see {@link ModelCache}). */
    static Iterator<org.apache.spark.sql.Row> verifyRows(String file, String format, JobSettings js, ModelRef model, Iterator<Row> rows)
            throws Exception {
        Settings st = js.settings();
        List<org.apache.spark.sql.Row> out = new ArrayList<>();
        try (ModelCache.Lease lease = ModelCache.SHARED.acquire(model)) {
            Model m = lease.model();
            while (rows.hasNext()) {
                Row r = rows.next();
                FileResult one = RolloutValidator.validateRows(file, format, List.of(r), st, m);
                out.add(SparkRows.toSpark(file, format, one.results().getFirst()));
            }
        }
        return out.iterator();
    }

    /** One task of an attestation file: each envelope checked against the model this JVM holds. */
    static Iterator<org.apache.spark.sql.Row> verifyEnvelopes(String file, JobSettings js, ModelRef model, Iterator<IndexedLines.Line> lines)
            throws Exception {
        var keys = AttestationLines.keys(js.trustedKeys());
        List<org.apache.spark.sql.Row> out = new ArrayList<>();
        try (ModelCache.Lease lease = ModelCache.SHARED.acquire(model)) {
            while (lines.hasNext()) {
                out.add(SparkRows.toSpark(file, AttestationLines.FORMAT, AttestationLines.verify(lines.next(), keys, js, lease.model())));
            }
        }
        return out.iterator();
    }

    /**
     * The per-file results of a job, in the order the files were given, each exactly what
     * {@link RolloutValidator#validate} returns for the file (its {@code nanos} aside: the job's wall time
     * is not a file's). Collects every per-sample row to the driver: for the CLI and the server; a cluster job
     * writes the rows as a table instead ({@link ValidateJob}).
     */
    public static List<FileResult> fileResults(Job job) {
        Map<String, List<SampleResult>> byFile = new LinkedHashMap<>();
        job.files().forEach(f -> byFile.put(f, new ArrayList<>()));
        for (org.apache.spark.sql.Row x : job.samples().collectAsList()) {
            byFile.get(x.getString(0)).add(SparkRows.fromSpark(x));
        }
        List<FileResult> out = new ArrayList<>();
        for (String f : job.files()) {
            FileResult d = job.onDriver().get(f);
            if (d != null) {
                out.add(d);
                continue;
            }
            List<SampleResult> rs = byFile.get(f);
            rs.sort(Comparator.comparingInt(SampleResult::index));
            out.add(fold(f, job.formats().get(f), rs, job.parameters()));
        }
        return out;
    }

    /** A file's result from its rows, as the library's accumulation makes it. */
    static FileResult fold(String file, String format, List<SampleResult> rs, long parameters) {
        List<Integer> failing = new ArrayList<>();
        long p = 0;
        long c = 0;
        long nanos = 0;
        for (SampleResult r : rs) {
            if (r.verdict() != Verdict.ACCEPT) {
                failing.add(r.index());
            }
            p += r.promptTokens();
            c += r.completionTokens();
            nanos += r.prefillNanos() + r.checkNanos();
        }
        return new FileResult(file, format, failing.isEmpty(), rs.size(), failing, ModelFlops.flops(parameters, p), ModelFlops.flops(parameters, c),
                rs, null, nanos);
    }

    /** An iterator through a function (Spark's partitions are iterators; rows are converted one at a time). */
    record MappedIterator<A, B>(Iterator<A> in, java.util.function.Function<A, B> f) implements Iterator<B> {
        @Override
        public boolean hasNext() {
            return in.hasNext();
        }

        @Override
        public B next() {
            return f.apply(in.next());
        }
    }
}
