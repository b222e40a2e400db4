package dev.toploc.cli;

import dev.toploc.Compute;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.CpuBackends;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelConfig;
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
 * {@code toploc bench prefill}: prefill throughput (tokens/s and GFLOP/s) per compute mode and thread count,
 * on a given model folder or on a random Llama of the 2048 shape (TinyLlama widths) or the Llama-3-8B shape,
 * written to a temporary folder (or kept in {@code --random-dir}). The GFLOP count is {@link #flops}.
 */
@Command(name = "prefill", description = "Prefill throughput (tokens/s, GFLOP/s) for each compute mode and thread count.")
final class BenchPrefillCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--model", paramLabel = "DIR", description = "model folder (default: a random Llama of --shape, see --layers)")
    Path model;

    @Option(names = "--shape", defaultValue = "2048", description = "random model's shape: 2048 (hidden 2048, MLP 5632, 32/4 heads, vocab 4096) "
            + "or 8b (Llama-3-8B: hidden 4096, MLP 14336, 32/8 heads, vocab 128256) (default ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--layers", defaultValue = "8", description = "layers of the random model (default ${DEFAULT-VALUE}; 8b's own is 32)")
    int layers;

    @Option(names = "--random-dir", paramLabel = "DIR", description = "keep the random model here: written when DIR does not exist, "
            + "reused when it holds one of the same shape and layers (default: a temporary folder, deleted after)")
    Path randomDir;

    @Option(names = "--tokens", defaultValue = "256", description = "prompt length (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--modes", defaultValue = "fp32,bf16,fp16", split = ",", description = "modes (default ${DEFAULT-VALUE})")
    List<String> modes;

    @Option(names = "--cpu-backend", defaultValue = "auto", paramLabel = "B", description = "auto, java or native: the CPU matmul kernels (default ${DEFAULT-VALUE})")
    String cpuBackend;

    @Option(names = "--threads", split = ",", paramLabel = "N", description = "thread counts (default: 1 and all processors)")
    List<Integer> threads;

    @Option(names = "--runs", defaultValue = "3", description = "timed runs per cell, median reported (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "untimed runs first, per cell (JIT, page cache; default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--stream-layers", description = "release each layer's weights after use (as verify does for models larger than memory)")
    boolean streamLayers;

    @Override
    public Integer call() throws Exception {
        if (tokens < 1 || runs < 1 || layers < 1 || warmup < 0) {
            throw new IllegalArgumentException("--tokens, --runs and --layers must be >= 1, --warmup >= 0");
        }
        RandomModel.Shape random = switch (shape) {
            case "2048" -> RandomModel.Shape.llama2048(layers, 4096);
            case "8b" -> RandomModel.Shape.llama3_8b(layers, 128256);
            default -> throw new IllegalArgumentException("--shape " + shape + " (expected 2048 or 8b)");
        };
        int all = Runtime.getRuntime().availableProcessors();
        List<Integer> counts = threads != null ? threads : all > 1 ? List.of(1, all) : List.of(1);
        for (int n : counts) {
            if (n < 1 || n > 4096) {
                throw new IllegalArgumentException("--threads " + n + " (expected 1..4096)");
            }
        }
        PrintWriter out = command.commandLine().getOut();
        Compute base = Device.select("cpu", cpuBackend, out).compute();   // prints "cpu backend: ..."
        Path dir = model;
        Path tmp = null;
        if (dir == null) {
            if (randomDir != null && Files.exists(randomDir)) {
                dir = randomDir;
            } else {
                if (randomDir == null) {
                    tmp = Files.createTempDirectory("toploc-bench-");
                    dir = tmp.resolve("llama-" + shape);
                } else {
                    dir = randomDir;
                }
                out.printf(Locale.ROOT, "writing a random Llama (hidden %d, %d heads / %d KV, MLP %d, vocab %d, %d layers, bf16) to %s ...%n",
                        random.hidden(), random.heads(), random.kvHeads(), random.intermediate(), random.vocab(), layers, dir);
                out.flush();
                // shards of at most ~2 GB: the writer holds one shard's bytes at a time (the 2048 shape fits one file)
                long bytes = 2L * random.hidden() * ((long) random.vocab() * 2 + (long) layers * (2L * random.heads() * random.headDim()
                        + 2L * random.kvHeads() * random.headDim() + 3L * random.intermediate()));
                RandomModel.write(dir, random, "BF16", 2026, (int) Math.max(1, Math.min(layers, (bytes + (2L << 30) - 1) / (2L << 30))));
            }
        }
        try (Model m = Model.load(dir)) {
            ModelConfig c = m.config();
            if (model == null && (c.hiddenSize() != random.hidden() || c.numLayers() != layers || c.vocabSize() != random.vocab()
                    || c.intermediateSize() != random.intermediate())) {
                throw new IllegalArgumentException(dir + " holds a model of hidden " + c.hiddenSize() + ", MLP " + c.intermediateSize()
                        + ", " + c.numLayers() + " layers, vocab " + c.vocabSize() + ", not --shape " + shape + " with --layers " + layers);
            }
            int vocab = c.vocabSize();
            int[] ids = new int[tokens];
            for (int i = 0; i < tokens; i++) {
                ids[i] = (int) ((i * 2654435761L) % vocab);
            }
            double flops = flops(c, tokens);
            out.printf(Locale.ROOT, "model: %s (%s, hidden %d, MLP %d, %d/%d heads, %d layers, %.2f GB of weights); %d tokens; %.1f GFLOP per prefill%n",
                    dir.getFileName(), c.architecture(), c.hiddenSize(), c.intermediateSize(), c.numHeads(), c.numKvHeads(), c.numLayers(),
                    m.weightBytes() / 1e9, tokens, flops / 1e9);
            out.printf(Locale.ROOT, "backend: %s; java kernels: %s; %s; %d processors%s%n", CpuBackends.describe(base), Model.matmulBackend(), Compute.vectorPath(), all,
                    streamLayers ? "; layers streamed" : "");
            out.flush();
            for (String name : modes) {
                ComputeMode mode = ComputeMode.fromWireName(name);
                for (int n : counts) {
                    Compute compute = base.withThreads(n);
                    for (int r = 0; r < warmup; r++) {
                        m.prefill(ids, mode, streamLayers, null, compute);
                    }
                    double[] s = new double[runs];
                    for (int r = 0; r < runs; r++) {
                        long t0 = System.nanoTime();
                        m.prefill(ids, mode, streamLayers, null, compute);
                        s[r] = (System.nanoTime() - t0) / 1e9;
                    }
                    Arrays.sort(s);
                    double median = s[runs / 2];
                    out.printf(Locale.ROOT, "mode=%s threads=%d  %.1f tokens/s  %.1f GFLOP/s  (%.3f s per prefill, median of %d)%n",
                            mode.wireName(), n, tokens / median, flops / median / 1e9, median, runs);
                    out.flush();
                }
            }
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
        return 0;
    }

    /**
     * FLOPs of a prefill of {@code T} tokens, counted as {@code 2 x P x T + L x 4 x H x d x T(T+1)/2}: every
     * matrix parameter of the layers (q, k, v, o and the MLP's gate, up, down: P of them) is one multiply-add
     * per token; causal attention is one multiply-add per (query, key at or before it, head, head dimension)
     * for the scores and one for the weighted values. Not counted: the embedding lookup, norms, RoPE, softmax,
     * the MLP's activation (each under 1% at these widths) and the LM head (a prefill computes no logits).
     */
    static double flops(ModelConfig c, int T) {
        long d = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        double perLayer = d * q + 2.0 * d * kv + q * d + 3.0 * d * c.intermediateSize();
        double matmul = 2.0 * perLayer * c.numLayers() * T;
        double attention = c.numLayers() * 4.0 * q * (T * (T + 1.0) / 2);
        return matmul + attention;
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
