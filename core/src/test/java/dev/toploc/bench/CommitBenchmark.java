package dev.toploc.bench;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkPlan;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.Commits;
import dev.toploc.Compute;
import dev.toploc.Dtype;
import dev.toploc.HiddenStates;
import dev.toploc.VerificationReport;
import dev.toploc.Verifier;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reference's workload: 1000 decode rows x 5120 bf16, k = 128, chunks of 32 (32 commits). Build all
 * commits; check all commits (statistics only, states given). Run with {@code scripts/jmh.sh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class CommitBenchmark {

    @Param({"1", "2"})
    int threads;

    Compute compute;
    HiddenStates states;
    ChunkPlan plan;
    List<Commit> commits;
    final CommitSpec spec = CommitSpec.DEFAULT;
    final AcceptancePolicy policy = AcceptancePolicy.defaults(CommitSpec.DEFAULT);

    @Setup
    public void setup() throws Exception {
        compute = Compute.defaults().withThreads(threads);
        int rows = 1000;
        int hidden = 5120;
        Random r = new Random(2026);
        short[] a = new short[rows * hidden];
        for (int i = 0; i < a.length; i++) {
            a[i] = Dtype.floatToBf16((float) (Math.exp(r.nextGaussian()) * (r.nextBoolean() ? 1 : -1)));
        }
        states = HiddenStates.ofPatterns(a, Dtype.BF16, rows, hidden);
        plan = ChunkPlan.forRows(0, rows, spec.chunkSize());
        commits = Commits.commitAll(states, plan, spec, compute);
    }

    @Benchmark
    public List<Commit> buildAll() throws Exception {
        return Commits.commitAll(states, plan, spec, compute);
    }

    @Benchmark
    public VerificationReport verifyAll() throws Exception {
        return Verifier.check(states, plan, spec, commits, policy, dev.toploc.TieRule.STRICT, compute);
    }
}
