package dev.toploc.cli;

import dev.toploc.Compute;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import dev.toploc.vectors.RandomModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code toploc bench prefill}: prefill throughput (tokens/s) per compute mode and thread count, on a
 * given model folder or on a random Llama of hidden 2048 (TinyLlama widths) written to a temp folder.
 */
@Command(name = "prefill", description = "Prefill throughput (tokens/s) for each compute mode, on 1 and all threads.")
final class BenchPrefillCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--model", paramLabel = "DIR", description = "model folder (default: a random 2048-wide Llama, see --layers)")
    Path model;

    @Option(names = "--layers", defaultValue = "8", description = "layers of the random model (default ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--tokens", defaultValue = "256", description = "prompt length (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--modes", defaultValue = "fp32,bf16,fp16", split = ",", description = "modes (default ${DEFAULT-VALUE})")
    List<String> modes;

    @Option(names = "--cpu-backend", defaultValue = "auto", paramLabel = "B", description = "auto, java or native: the CPU matmul kernels (default ${DEFAULT-VALUE})")
    String cpuBackend;

    @Option(names = "--runs", defaultValue = "3", description = "timed runs per cell, median reported (default ${DEFAULT-VALUE})")
    int runs;

    @Override
    public Integer call() throws Exception {
        if (tokens < 1 || runs < 1 || layers < 1) {
            throw new IllegalArgumentException("--tokens, --runs and --layers must be >= 1");
        }
        PrintWriter out = command.commandLine().getOut();
        Compute base = Device.select("cpu", cpuBackend, out).compute();   // prints "cpu backend: ..."
        Path dir = model;
        Path tmp = null;
        if (dir == null) {
            tmp = Files.createTempDirectory("toploc-bench-");
            dir = tmp.resolve("llama2048");
            out.printf(Locale.ROOT, "writing a random Llama (hidden 2048, 32 heads / 4 KV, MLP 5632, %d layers, bf16) to %s ...%n", layers, dir);
            RandomModel.write(dir, RandomModel.Shape.llama2048(layers, 4096), "BF16", 2026, 1);
        }
        try (Model m = Model.load(dir)) {
            int vocab = m.config().vocabSize();
            int[] ids = new int[tokens];
            for (int i = 0; i < tokens; i++) {
                ids[i] = (int) ((i * 2654435761L) % vocab);
            }
            out.printf(Locale.ROOT, "model: %s (%s, hidden %d, %d layers); %d tokens; %s; %d processors%n", dir.getFileName(),
                    m.config().architecture(), m.config().hiddenSize(), m.config().numLayers(), tokens, Compute.vectorPath(),
                    Runtime.getRuntime().availableProcessors());
            int all = Runtime.getRuntime().availableProcessors();
            for (String name : modes) {
                ComputeMode mode = ComputeMode.fromWireName(name);
                for (int threads : all > 1 ? new int[] {1, all} : new int[] {1}) {
                    Compute compute = base.withThreads(threads);
                    m.prefill(ids, mode, compute);         // warm-up (JIT, page cache, rounded weights)
                    double[] s = new double[runs];
                    for (int r = 0; r < runs; r++) {
                        long t0 = System.nanoTime();
                        m.prefill(ids, mode, compute);
                        s[r] = (System.nanoTime() - t0) / 1e9;
                    }
                    Arrays.sort(s);
                    out.printf(Locale.ROOT, "mode=%s threads=%d  %.1f tokens/s  (%.3f s per prefill, median of %d)%n",
                            mode.wireName(), threads, tokens / s[runs / 2], s[runs / 2], runs);
                }
            }
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
        return 0;
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
