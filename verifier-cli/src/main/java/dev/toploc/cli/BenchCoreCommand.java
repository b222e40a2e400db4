package dev.toploc.cli;

import dev.toploc.Compute;
import dev.toploc.ChunkPlan;
import dev.toploc.Commit;
import dev.toploc.Commits;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.HiddenStates;
import dev.toploc.Verifier;
import dev.toploc.AcceptancePolicy;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import java.io.PrintWriter;

/**
 * {@code toploc bench core}: times building and checking all commits of the reference workload
 * (1000 decode rows x 5120 bf16, k = 128, chunks of 32: 32 commits), on 1 thread and on all.
 */
@Command(name = "core", description = "Build and verify the commits of 1000 x 5120 bf16 states (the reference's workload).")
final class BenchCoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec command;

    @Option(names = "--rows", defaultValue = "1000", description = "decode rows (default ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--hidden", defaultValue = "5120", description = "hidden size (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--iterations", defaultValue = "200", description = "timed iterations per measurement (default ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--warmup", defaultValue = "300", description = "untimed warm-up iterations (default ${DEFAULT-VALUE})")
    int warmup;

    @Override
    public Integer call() throws Exception {
        if (rows < 1 || hidden < 1 || iterations < 1 || warmup < 0) {
            throw new IllegalArgumentException("--rows, --hidden and --iterations must be >= 1, --warmup >= 0");
        }
        PrintWriter out = command.commandLine().getOut();
        CommitSpec spec = CommitSpec.DEFAULT;
        HiddenStates states = HiddenStates.ofPatterns(activations(rows, hidden, 2026), Dtype.BF16, rows, hidden);
        ChunkPlan plan = ChunkPlan.forRows(0, rows, spec.chunkSize());
        AcceptancePolicy policy = AcceptancePolicy.defaults(spec);
        out.printf(Locale.ROOT, "workload: %d x %d bf16, k = %d, chunks of %d -> %d commits; %s; %d processors%n",
                rows, hidden, spec.topK(), spec.chunkSize(), plan.size(), Compute.vectorPath(), Runtime.getRuntime().availableProcessors());
        double build = 0;
        double verify = 0;
        int all = Runtime.getRuntime().availableProcessors();
        for (int threads : all > 1 ? new int[] {1, all} : new int[] {1}) {
            Compute compute = Compute.defaults().withThreads(threads);
            List<Commit> commits = Commits.commitAll(states, plan, spec, compute);
            build = median(warmup, iterations, () -> Commits.commitAll(states, plan, spec, compute));
            verify = median(warmup, iterations, () -> {
                if (!Verifier.check(states, plan, spec, commits, policy, dev.toploc.TieRule.STRICT, compute).accepted()) {
                    throw new IllegalStateException("bug: self-check rejected");
                }
            });
            out.printf(Locale.ROOT, "threads=%d  build_ms=%.3f  verify_ms=%.3f  (median of %d)%n",
                    threads, build, verify, iterations);
        }
        out.printf(Locale.ROOT, "build_ms=%.3f verify_ms=%.3f%n", build, verify);
        return 0;
    }

    /** Activation-like bf16 states: lognormal magnitudes with random signs, fixed seed. */
    static short[] activations(int rows, int hidden, long seed) {
        Random r = new Random(seed);
        short[] a = new short[rows * hidden];
        for (int i = 0; i < a.length; i++) {
            a[i] = Dtype.floatToBf16((float) (Math.exp(r.nextGaussian()) * (r.nextBoolean() ? 1 : -1)));
        }
        return a;
    }

    interface Body {
        void run() throws Exception;
    }

    static double median(int warmup, int iterations, Body body) throws Exception {
        for (int i = 0; i < warmup; i++) {
            body.run();
        }
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            body.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[iterations / 2];
    }
}
