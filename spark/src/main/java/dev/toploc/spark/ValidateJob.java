package dev.toploc.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.Proofs;
import dev.toploc.TieRule;
import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.FileResult;
import dev.toploc.rollouts.ModelFlops;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.Settings;
import dev.toploc.runtime.ComputeMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The {@code spark-submit} entry point: validates rollout (and attestation) files and writes
 * {@code OUT/samples} (the per-sample table, Parquet, written by Spark) and {@code OUT/summary.jsonl} (one line
 * per file with the fields of {@code toploc validate --json} but {@code results}, which is the table). The
 * summary is computed from the table as written, so the prefills run once.
 *
 * <pre>
 * ValidateJob --model DIR --out DIR [--trust PUB.pem]... [--partitions N] [--mode fp32|bf16|fp16] [--master URL] FILE...
 * </pre>
 * Settings are prime-rl's defaults (bf16 commits, k 128, chunks of 32, positions auto, tie-tolerant, the
 * reference's thresholds). Exit status as {@code toploc validate}: 0 all accepted, 1 any rejected, 2 bad input.
 */
public final class ValidateJob {
    private ValidateJob() {
    }

    public static void main(String[] args) throws Exception {
        int code;
        try {
            code = run(args);
        } catch (IllegalArgumentException | IOException | dev.toploc.TopLocException e) {
            System.err.println("error: " + e.getMessage());
            code = 2;
        }
        System.exit(code);
    }

    /** Runs the job; the exit status. */
    public static int run(String[] args) throws Exception {
        Path model = null;
        Path out = null;
        String master = null;
        int partitions = 0;
        ComputeMode mode = ComputeMode.FP32;
        List<String> trusted = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--model" -> model = Path.of(value(args, ++i, a));
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--master" -> master = value(args, ++i, a);
                case "--partitions" -> partitions = Integer.parseInt(value(args, ++i, a));
                case "--mode" -> mode = ComputeMode.fromWireName(value(args, ++i, a));
                case "--trust" -> trusted.add(new String(dev.toploc.io.UntrustedFiles.read(Path.of(value(args, ++i, a)), 64 << 10, "trusted key"),
                        StandardCharsets.UTF_8));
                default -> {
                    if (a.startsWith("--")) {
                        throw new IllegalArgumentException("unknown option " + a);
                    }
                    files.add(Path.of(a));
                }
            }
        }
        if (model == null || out == null || files.isEmpty()) {
            throw new IllegalArgumentException("usage: ValidateJob --model DIR --out DIR [--trust PUB.pem]... [--partitions N] [--mode M] [--master URL] FILE...");
        }
        if (Files.exists(out)) {
            throw new IOException(out + " exists: the job never writes over a previous result");
        }
        Settings settings = new Settings(CommitSpec.DEFAULT, Proofs.Layout.AUTO, Settings.AUTO, false, mode, AcceptancePolicy.defaults(CommitSpec.DEFAULT),
                TieRule.TOLERANT);
        SparkSession.Builder b = SparkSession.builder().appName("toploc validate");
        if (master != null) {
            b.master(master);
        }
        SparkSession spark = b.getOrCreate();
        try {
            SparkValidator.Job job = SparkValidator.plan(spark, files, Columns.PRIME_RL, settings, trusted, ModelRef.of(model), partitions);
            String table = out.resolve("samples").toAbsolutePath().toUri().toString();
            job.samples().write().parquet(table);
            List<ObjectNode> summary = summarize(spark.read().parquet(table), job);
            boolean rejected = false;
            boolean bad = false;
            for (ObjectNode o : summary) {
                rejected |= o.path("rejected").asInt() > 0;
                bad |= o.path("bad_input").asInt() > 0 || o.has("error");
                o.remove("rejected");
                o.remove("bad_input");
            }
            StringBuilder text = new StringBuilder();
            for (ObjectNode o : summary) {
                text.append(ResultJson.JSON.writeValueAsString(o)).append('\n');
            }
            Files.writeString(out.resolve("summary.jsonl"), text, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW);
            return rejected ? 1 : bad ? 2 : 0;
        } finally {
            spark.stop();
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /**
     * Per file, in the order given, from the table: what {@code toploc validate --json} prints less {@code results}
     * (and, for the exit status, {@code rejected} and {@code bad_input} counts, removed before writing).
     */
    static List<ObjectNode> summarize(Dataset<Row> table, SparkValidator.Job job) {
        Map<String, Row> agg = new LinkedHashMap<>();
        Dataset<Row> g = table.groupBy("file").agg(
                functions.count(functions.lit(1)).as("samples"),
                functions.sum("prompt_tokens").as("p"),
                functions.sum("completion_tokens").as("c"),
                functions.sort_array(functions.collect_list(functions.when(functions.col("verdict").notEqual("accept"), functions.col("index")))).as("failing"),
                functions.sum(functions.when(functions.col("verdict").equalTo("reject"), 1).otherwise(0)).as("rejected"),
                functions.sum(functions.when(functions.col("verdict").equalTo("bad-input"), 1).otherwise(0)).as("bad"));
        for (Row r : g.collectAsList()) {
            agg.put(r.getString(0), r);
        }
        List<ObjectNode> out = new ArrayList<>();
        for (String f : job.files()) {
            FileResult d = job.onDriver().get(f);
            ObjectNode o;
            if (d != null) {
                o = ResultJson.file(d);
                o.put("rejected", d.anyRejected() ? 1 : 0);
                o.put("bad_input", d.anyBadInput() ? 1 : 0);
            } else {
                Row r = agg.get(f);
                List<Integer> failing = r == null ? List.of() : r.<Integer>getList(4);
                long p = r == null ? 0 : r.getLong(2);
                long c = r == null ? 0 : r.getLong(3);
                FileResult fr = new FileResult(f, job.formats().get(f), failing.isEmpty(), r == null ? 0 : (int) r.getLong(1), failing,
                        ModelFlops.flops(job.parameters(), p), ModelFlops.flops(job.parameters(), c), List.of(), null, 0);
                o = ResultJson.file(fr);
                o.put("rejected", r == null ? 0 : r.getLong(5));
                o.put("bad_input", r == null ? 0 : r.getLong(6));
            }
            o.remove("results");
            out.add(o);
        }
        return out;
    }
}
