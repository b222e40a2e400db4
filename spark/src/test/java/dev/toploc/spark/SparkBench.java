package dev.toploc.spark;

import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.FileResult;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.RolloutFixtures;
import dev.toploc.rollouts.RolloutValidator;
import dev.toploc.rollouts.Settings;
import dev.toploc.runtime.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * Timing harness for docs/performance.md (not a test: speed is never asserted): one JVM, the library and the
 * Spark engine on the same rollout file, after a warm-up, with the session start timed apart.
 * {@code java ... dev.toploc.spark.SparkBench FILE WARMUP_FILE [MODEL_DIR [N]]} (with N: a random 2048-wide model written to
 * MODEL_DIR, N samples written to FILE from it; the reference's default thresholds)
 */
public final class SparkBench {
    private SparkBench() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Path warm = Path.of(args[1]);
        Path modelDir = args.length > 2 ? Path.of(args[2]) : RolloutFixtures.TINY;
        if (args.length > 3) {      // DIR for a random 2048-wide Llama (8 layers), and the files written from it
            dev.toploc.vectors.RandomModel.write(modelDir, dev.toploc.vectors.RandomModel.Shape.llama2048(8, 4096), "BF16", 2026, 1);
            try (Model m = Model.load(modelDir)) {
                int n = Integer.parseInt(args[3]);
                RolloutFixtures.writeTiming(file, m, n, 256);
                RolloutFixtures.writeTiming(warm, m, 2, 256);
            }
            System.out.println("wrote " + modelDir + " and " + file);
        }
        Settings st = args.length > 2 ? new Settings(dev.toploc.CommitSpec.DEFAULT, dev.toploc.Proofs.Layout.AUTO, Settings.AUTO, false,
                dev.toploc.runtime.ComputeMode.FP32, dev.toploc.AcceptancePolicy.defaults(dev.toploc.CommitSpec.DEFAULT), dev.toploc.TieRule.TOLERANT)
                : RolloutFixtures.settings();
        ModelRef ref = ModelRef.of(modelDir);
        String expected;
        try (Model m = Model.load(modelDir)) {
            RolloutValidator.validate(warm, Columns.PRIME_RL, st, m);
            long t0 = System.nanoTime();
            FileResult r = RolloutValidator.validate(file, Columns.PRIME_RL, st, m);
            double s = (System.nanoTime() - t0) / 1e9;
            expected = ResultJson.JSON.writeValueAsString(ResultJson.file(r));
            report("library", r, s, load());
        }
        for (int threads : args.length > 2 ? new int[] {1, 2} : new int[] {1, 2, 1, 2}) {
            String l = load();
            long t0 = System.nanoTime();
            SparkSession spark = LocalSpark.start(threads);
            double start = (System.nanoTime() - t0) / 1e9;
            SparkValidator.fileResults(SparkValidator.plan(spark, List.of(warm), Columns.PRIME_RL, st, ref, threads));
            long t1 = System.nanoTime();
            FileResult r = SparkValidator.fileResults(SparkValidator.plan(spark, List.of(file), Columns.PRIME_RL, st, ref, threads)).getFirst();
            double s = (System.nanoTime() - t1) / 1e9;
            spark.stop();
            report(String.format(Locale.ROOT, "local[%d] (session start %.2f s)", threads, start), r, s, l);
            if (!ResultJson.JSON.writeValueAsString(ResultJson.file(r)).equals(expected)) {
                throw new AssertionError("local[" + threads + "] differs from the library");
            }
        }
    }

    static String load() throws Exception {
        return java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    static void report(String what, FileResult r, double secs, String loadBefore) throws Exception {
        System.out.printf(Locale.ROOT, "%-32s %d samples in %6.2f s = %6.2f samples/s (prefill %.2f s summed over tasks, checks %.2f s); load %s -> %s%n",
                what, r.samples(), secs, r.samples() / secs, r.prefillNanos() / 1e9, r.checkNanos() / 1e9, loadBefore, load());
    }
}
