package dev.toploc.cli;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.attest.Claim;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.Provider;
import dev.toploc.runtime.Sampling;
import dev.toploc.vectors.RandomModel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code toploc bench verify}: how long generating a completion takes (the provider, bf16, with the hook)
 * against verifying it (the client, fp32: prefill, commits, token replay), both warmed up, in one JVM.
 */
@Command(name = "verify", description = "Generation time vs verification time for one completion (tiny model, or a random 2048-wide Llama).")
final class BenchVerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--model", paramLabel = "DIR", description = "model folder (default: the embedded tiny model; 'random' for a 2048-wide 8-layer Llama)")
    String model;

    @Option(names = "--tokens", defaultValue = "96", description = "completion length (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--runs", defaultValue = "3", description = "timed verifications, median reported (default ${DEFAULT-VALUE})")
    int runs;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        Path dir;
        Path tmp = null;
        if ("random".equals(model)) {
            tmp = Files.createTempDirectory("toploc-bench-");
            dir = tmp.resolve("llama2048");
            out.println("writing a random Llama (hidden 2048, 8 layers, bf16) ...");
            RandomModel.write(dir, RandomModel.Shape.llama2048(8, 4096), "BF16", 2026, 1);
        } else {
            dir = model != null ? Path.of(model) : EmbeddedModels.model("tiny-fortunes-llama");
        }
        try (Model m = Model.load(dir)) {
            int[] prompt = TokenIds.fromText("Q: What is the secret of happiness?\nA:");
            Provider.Request warm = new Provider.Request(prompt, 8, new Sampling(0.8, 7), -1, ComputeMode.BF16, CommitSpec.DEFAULT,
                    PositionConvention.PRODUCED, true, "bench");
            AcceptancePolicy loose = AcceptancePolicy.defaults(CommitSpec.DEFAULT);
            InferenceVerifier verifier = InferenceVerifier.builder().policy(loose).mode(ComputeMode.FP32).build();
            for (int i = 0; i < 3; i++) {       // warm up both paths
                timed(verifier, m, Provider.generate(m, "bench", warm));
            }
            Provider.Request req = new Provider.Request(prompt, tokens, new Sampling(0.8, 7), -1, ComputeMode.BF16, CommitSpec.DEFAULT,
                    PositionConvention.PRODUCED, true, "bench");
            long t0 = System.nanoTime();
            InferenceAttestation a = Provider.generate(m, "bench", req);
            double gen = (System.nanoTime() - t0) / 1e9;
            double[] ver = new double[runs];
            for (int r = 0; r < runs; r++) {
                long t1 = System.nanoTime();
                timed(verifier, m, a);
                ver[r] = (System.nanoTime() - t1) / 1e9;
            }
            Arrays.sort(ver);
            double v = ver[runs / 2];
            out.printf(Locale.ROOT, "model %s: prompt %d + completion %d tokens%n", dir.getFileName(), prompt.length, a.completion().length);
            out.printf(Locale.ROOT, "generate (bf16, KV cache, hook) %.3f s; verify (fp32 prefill, %d commits, token replay) %.3f s; verify is %.1fx faster%n",
                    gen, a.commits().size(), v, gen / v);
        } finally {
            if (tmp != null) {
                BenchPrefillCommand.deleteTree(tmp);
            }
        }
        return 0;
    }

    /** One verification as before the builder: the commits and tokens checked, the verdict not needed (a rejection costs the same). */
    private static void timed(InferenceVerifier verifier, Model m, InferenceAttestation a) throws Exception {
        try {
            verifier.verify(m, Claim.of(a).withoutModel());
        } catch (dev.toploc.runtime.ClaimRejectedException rejected) {
            // measured all the same
        }
    }
}
