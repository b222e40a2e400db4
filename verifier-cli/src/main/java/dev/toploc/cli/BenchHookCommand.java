package dev.toploc.cli;

import dev.toploc.Commit;
import dev.toploc.CommitHook;
import dev.toploc.CommitSpec;
import dev.toploc.Commits;
import dev.toploc.Dtype;
import dev.toploc.PositionConvention;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code toploc bench hook}: the provider hook's cost per generated token at real model widths: the time
 * {@code add(row)} takes on the engine's thread, and the commit building it causes per token (one chunk's
 * build divided by its 32 tokens), which runs on the hook's worker.
 */
@Command(name = "hook", description = "The commit hook's cost per token at hidden 4096 and 8192 (engine thread, and amortized commit building).")
final class BenchHookCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--tokens", defaultValue = "2048", description = "decode rows fed per measurement (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--hidden", defaultValue = "4096,8192", split = ",", description = "widths (default ${DEFAULT-VALUE})")
    List<Integer> widths;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        for (int hidden : widths) {
            Random r = new Random(hidden);
            float[][] rows = new float[64][hidden];
            for (float[] row : rows) {
                for (int i = 0; i < hidden; i++) {
                    row[i] = (float) (Math.exp(r.nextGaussian()) * (r.nextBoolean() ? 1 : -1));
                }
            }
            double addNs = 0;
            double finishMs = 0;
            try (CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, hidden, 1, 64)) {
                for (int round = 0; round < 3; round++) {             // the last round is measured; the first ones warm up
                    CommitHook.Sequence s = hook.open(1, PositionConvention.PRODUCED, false);
                    long[] t = new long[tokens];
                    for (int i = 0; i < tokens; i++) {
                        long t0 = System.nanoTime();
                        s.add(rows[i % rows.length]);
                        t[i] = System.nanoTime() - t0;
                    }
                    long f0 = System.nanoTime();
                    List<Commit> c = s.finish();
                    finishMs = (System.nanoTime() - f0) / 1e6;
                    Arrays.sort(t);
                    addNs = t[tokens / 2];
                    if (c.size() != (tokens + 31) / 32) {
                        throw new IllegalStateException("bug: " + c.size() + " commits");
                    }
                }
            }
            short[] chunk = new short[32 * hidden];
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = Dtype.floatToBf16(rows[(i / hidden) % rows.length][i % hidden]);
            }
            double[] build = new double[50];
            for (int i = 0; i < 450; i++) {                       // 400 warm-up builds, 50 measured
                long t0 = System.nanoTime();
                Commits.commitPatterns(chunk, 0, chunk.length, Dtype.BF16, 128);
                if (i >= 400) {
                    build[i - 400] = (System.nanoTime() - t0) / 1e3;
                }
            }
            Arrays.sort(build);
            out.printf(Locale.ROOT, "hidden=%d  engine thread add(): %.2f us/token (median)  commit building: %.1f us/chunk = %.2f us/token "
                    + "(worker)  finish() wait after the last row: %.2f ms%n", hidden, addNs / 1e3, build[25], build[25] / 32, finishMs);
        }
        return 0;
    }
}
