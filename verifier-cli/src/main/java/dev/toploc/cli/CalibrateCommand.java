package dev.toploc.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkPlan;
import dev.toploc.ChunkStats;
import dev.toploc.Commit;
import dev.toploc.CommitEncoding;
import dev.toploc.CommitFormatException;
import dev.toploc.CommitSpec;
import dev.toploc.Commits;
import dev.toploc.Dtype;
import dev.toploc.PositionConvention;
import dev.toploc.TopLocException;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.internal.Parallel;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Generator;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelIdentity;
import dev.toploc.runtime.Sampling;
import dev.toploc.runtime.internal.RandomModel;
import dev.toploc.runtime.internal.WeightEdits;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code toploc calibrate}: runs honest and attack scenarios, measures what verification sees in each
 * verifier compute mode, derives thresholds from the honest runs of half the prompts by a stated rule, and
 * reports pass rates on the other half. Writes the table (Markdown), the raw results (JSON) and a policy
 * file for the model.
 */
@Command(name = "calibrate", description = "Measure honest noise and attacks, derive a per-model policy, write docs/calibration.md, JSON and the policy file.")
final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--quick", description = "fewer prompts and no Llama-3-8B-width model (minutes instead of tens of minutes)")
    boolean quick;

    @Option(names = "--model", paramLabel = "DIR", description = "the model to calibrate (default: the embedded tiny-fortunes-llama)")
    Path model;

    @Option(names = "--other-model", paramLabel = "DIR", description = "another model of the same kind (substitution attack; default: tiny-fortunes-llama-b)")
    Path other;

    @Option(names = "--report", defaultValue = "docs/calibration.md", description = "Markdown report (default ${DEFAULT-VALUE})")
    Path report;

    @Option(names = "--json", defaultValue = "docs/calibration.json", description = "raw results (default ${DEFAULT-VALUE})")
    Path json;

    @Option(names = "--policy-out", paramLabel = "FILE", description = "policy file (default: toploc-policy.json in the model folder)")
    Path policyOut;

    @Option(names = "--force", description = "replace existing output files")
    boolean force;

    static final CommitSpec SPEC = CommitSpec.DEFAULT;
    static final ComputeMode[] MODES = {ComputeMode.FP32, ComputeMode.BF16, ComputeMode.FP16};
    static final String[] PROMPTS = {
            "Q: What is the secret of happiness?\nA:", "Q: Why do cats purr?\nA:", "Q: What is a computer?\nA:",
            "Q: How do I become rich?\nA:", "Q: What is love?\nA:", "Q: Why is the sky blue?\nA:",
            "Q: What should I eat today?\nA:", "Q: Who am I?\nA:", "Q: What is a friend?\nA:", "Q: Where do we go from here?\nA:",
            "Q: Is there life after death?\nA:", "Q: What is the meaning of life?\nA:"};
    static final String PREFIX = "You are a helpful assistant. Answer briefly.\n";

    /** One provider-side claim: the attestation (or why none could be made) and the verifier-side options. */
    record Claim(InferenceAttestation att, String formatError) {
    }

    /** A scenario: how the provider makes its claim for prompt i. */
    interface Scenario {
        Claim make(int i) throws Exception;
    }

    record Def(String family, String name, boolean honest, boolean stream, Scenario scenario) {
    }

    /** One measurement: the worst chunk's statistics and the worst token gap, or a format error. */
    record Sample(String family, String scenario, boolean honest, ComputeMode mode, int prompt, int worstExp, double worstMean,
                  double worstMedian, int worstSign, double worstGap, double avgMean, String formatError) {
        boolean passes(AcceptancePolicy p, double margin) {
            return formatError == null && worstExp <= p.maxExpMismatches() && worstMean <= p.maxMantErrMean() && avgMean <= p.maxAvgMantErrMean()
                    && worstMedian <= p.maxMantErrMedian() && (p.maxSignMismatches() < 0 || worstSign <= p.maxSignMismatches())
                    && worstGap <= margin;
        }
    }

    private PrintWriter out;
    private Path work;

    @Override
    public Integer call() throws Exception {
        out = command.commandLine().getOut();
        Path a = model != null ? model : EmbeddedModels.model("tiny-fortunes-llama");
        Path b = other != null ? other : EmbeddedModels.model("tiny-fortunes-llama-b");
        Path policyPath = policyOut != null ? policyOut : a.resolve("toploc-policy.json");
        for (Path p : new Path[] {report, json, policyPath}) {
            if (!force && Files.exists(p)) {
                throw new java.nio.file.FileAlreadyExistsException(p.toString(), null, "refusing to overwrite an existing file (use --force)");
            }
        }
        int prompts = quick ? 4 : PROMPTS.length;
        long t0 = System.nanoTime();
        work = Files.createTempDirectory("toploc-calibrate-");
        List<Sample> samples = new ArrayList<>();
        String tinyName = a.getFileName().toString();
        try {
            samples.addAll(family(tinyName, a, b, prompts, 64, true));
            Path qwen = work.resolve("qwen25-2l");
            Path qwenB = work.resolve("qwen25-2l-other-seed");
            RandomModel.write(qwen, RandomModel.Shape.qwen25(2, 1024), "BF16", 11, 1);
            RandomModel.write(qwenB, RandomModel.Shape.qwen25(2, 1024), "BF16", 12, 1);
            samples.addAll(family("random Qwen2.5-0.5B widths, 2 layers", qwen, qwenB, Math.min(prompts, 4), 48, false));
            if (!quick) {
                Path llama = work.resolve("llama3-8b-2l");
                Path llamaB = work.resolve("llama3-8b-2l-other-seed");
                RandomModel.write(llama, RandomModel.Shape.llama3_8b(2, 1024), "BF16", 21, 1);
                RandomModel.write(llamaB, RandomModel.Shape.llama3_8b(2, 1024), "BF16", 22, 1);
                samples.addAll(family("random Llama-3-8B widths, 2 layers", llama, llamaB, 2, 40, false));
            }
        } finally {
            BenchPrefillCommand.deleteTree(work);
        }
        double minutes = (System.nanoTime() - t0) / 60e9;

        // Thresholds per family from the honest runs on the calibration half (even prompts).
        Map<String, double[]> policies = new LinkedHashMap<>();
        for (Sample s : samples) {
            if (s.honest() && s.prompt() % 2 == 0 && s.formatError() == null) {
                double[] w = policies.computeIfAbsent(s.family(), k -> new double[6]);
                w[5] = Math.max(w[5], s.avgMean());
                w[0] = Math.max(w[0], s.worstExp());
                w[1] = Math.max(w[1], s.worstMean());
                w[2] = Math.max(w[2], s.worstMedian());
                w[3] = Math.max(w[3], s.worstSign());
                w[4] = Math.max(w[4], s.worstGap());
            }
        }
        Map<String, AcceptancePolicy> derived = new LinkedHashMap<>();
        Map<String, Double> margins = new LinkedHashMap<>();
        for (var e : policies.entrySet()) {
            double[] w = e.getValue();
            derived.put(e.getKey(), new AcceptancePolicy((int) Math.max(2, Math.ceil(1.5 * w[0])), Math.max(0.5, 1.5 * w[1]),
                    Math.max(1, Math.ceil(1.5 * w[2])), (int) Math.max(2, Math.ceil(1.5 * w[3])), Math.max(0.5, 1.5 * w[5]),
                    "calibrated on " + e.getKey() + ": honest worst x 1.5 (" + Instant.now().toString().substring(0, 10) + ")"));
            margins.put(e.getKey(), Math.max(0.05, 1.5 * w[4]));
        }
        String md = markdown(samples, derived, margins, prompts, minutes);
        ObjectNode j = jsonReport(samples, derived, margins);
        AcceptancePolicy tinyPolicy = derived.get(tinyName);
        ModelIdentity id;
        try (Model m = Model.load(a)) {
            id = m.identity();
        }
        PolicyFile pf = new PolicyFile(tinyPolicy, margins.get(tinyName), SPEC.dtype().wireName(), SPEC.topK(), id.configDigest(), id.weightsDigest());
        SafeFiles.write(report, force, false, o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        SafeFiles.write(json, force, false, o -> o.write(Report.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(j)));
        SafeFiles.write(policyPath, force, false, o -> o.write(Report.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(pf.toJson(Report.JSON))));
        out.printf(Locale.ROOT, "wrote %s, %s and %s (%.1f min)%n", report, json, policyPath, minutes);
        return 0;
    }

    // ------------------------------------------------------------------------------------------ scenarios

    private List<Sample> family(String family, Path a, Path b, int prompts, int maxTokens, boolean full) throws Exception {
        out.println("== " + family + " (" + prompts + " prompts, " + maxTokens + " tokens)");
        List<Sample> samples = new ArrayList<>();
        Path q8 = work.resolve(a.getFileName() + "-int8");
        Path q4 = work.resolve(a.getFileName() + "-int4-g32");
        Path noisy = work.resolve(a.getFileName() + "-noise1pct");
        WeightEdits.write(a, q8, WeightEdits.quantize(8, Integer.MAX_VALUE));
        WeightEdits.write(a, q4, WeightEdits.quantize(4, 32));
        WeightEdits.write(a, noisy, WeightEdits.noise(0.01, 5));
        try (Model ma = Model.load(a); Model mb = Model.load(b); Model m8 = Model.load(q8); Model m4 = Model.load(q4); Model mn = Model.load(noisy)) {
            int vocab = ma.config().vocabSize();
            List<Def> defs = new ArrayList<>();
            Sampling seeded = new Sampling(0.8, 7);
            defs.add(new Def(family, "provider bf16", true, false, i -> honest(ma, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.BF16, PositionConvention.PRODUCED, 0)));
            defs.add(new Def(family, "provider fp32", true, false, i -> honest(ma, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.FP32, PositionConvention.PRODUCED, 0)));
            defs.add(new Def(family, "provider bf16, greedy", true, false, i -> honest(ma, ma, prompt(i, vocab), maxTokens, Sampling.GREEDY, ComputeMode.BF16, PositionConvention.PRODUCED, 0)));
            if (full) {
                defs.add(new Def(family, "provider fp16", true, false, i -> honest(ma, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.FP16, PositionConvention.PRODUCED, 0)));
                defs.add(new Def(family, "provider bf16 on 1 thread (verifier on 2)", true, false, i -> honest(ma, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.BF16, PositionConvention.PRODUCED, 1)));
                defs.add(new Def(family, "provider bf16, verifier streams layers", true, true, i -> honest(ma, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.BF16, PositionConvention.PRODUCED, 0)));
                defs.add(new Def(family, "long prompt (>= 256 tokens), 16-token completion", true, false, i -> honest(ma, ma, longPrompt(i), 16, seeded, ComputeMode.BF16, PositionConvention.PRODUCED, 0)));
                defs.add(new Def(family, "short prompt, 200-token completion", true, false, i -> honest(ma, ma, TokenIds.fromText("Q:"), 200, new Sampling(0.8, 100 + i), ComputeMode.BF16, PositionConvention.PRODUCED, 0)));
                defs.add(new Def(family, "decode-steps positions", true, false, i -> honest(ma, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.BF16, PositionConvention.DECODE_STEPS, 0)));
            }
            defs.add(new Def(family, "another model (substitution)", false, false, i -> honest(mb, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.BF16, PositionConvention.PRODUCED, 0)));
            defs.add(new Def(family, "8-bit weights (per row)", false, false, i -> honest(m8, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.BF16, PositionConvention.PRODUCED, 0)));
            defs.add(new Def(family, "4-bit weights (group 32)", false, false, i -> honest(m4, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.BF16, PositionConvention.PRODUCED, 0)));
            defs.add(new Def(family, "weights x (1 + 1% noise)", false, false, i -> honest(mn, ma, prompt(i, vocab), maxTokens, seeded, ComputeMode.BF16, PositionConvention.PRODUCED, 0)));
            defs.add(new Def(family, "one prompt token changed", false, false, i -> promptChanged(ma, prompt(i, vocab), maxTokens, seeded)));
            if (full) {
                defs.add(new Def(family, "system prompt prefix added", false, false, i -> prefixed(ma, prompt(i, vocab), maxTokens, seeded, true)));
                defs.add(new Def(family, "system prompt prefix removed", false, false, i -> prefixed(ma, prompt(i, vocab), maxTokens, seeded, false)));
                defs.add(new Def(family, "commits from another completion (replay)", false, false, i -> replayed(ma, prompt(i, vocab), prompt(i + 1, vocab), maxTokens, seeded)));
                defs.add(new Def(family, "commits shifted by one position", false, false, i -> shifted(ma, prompt(i, vocab), maxTokens, seeded)));
                defs.add(new Def(family, "random commits", false, false, i -> randomCommits(ma, prompt(i, vocab), maxTokens, seeded, i)));
                defs.add(new Def(family, "all-zero commits", false, false, i -> zeroCommits()));
                defs.add(new Def(family, "fp16 provider claimed as bf16", false, false, i -> relabeled(ma, prompt(i, vocab), maxTokens, seeded, Dtype.FP16, Dtype.BF16)));
                defs.add(new Def(family, "bf16 provider claimed as fp16", false, false, i -> relabeled(ma, prompt(i, vocab), maxTokens, seeded, Dtype.BF16, Dtype.FP16)));
            }
            for (Def d : defs) {
                long t = System.nanoTime();
                for (int i = 0; i < prompts; i++) {
                    Claim c = d.scenario().make(i);
                    for (ComputeMode mode : MODES) {
                        samples.add(measure(d, c, ma, mode, i));
                    }
                }
                out.printf(Locale.ROOT, "  %-50s %.1f s%n", d.name(), (System.nanoTime() - t) / 1e9);
                out.flush();
            }
        }
        return samples;
    }

    static int[] prompt(int i, int vocab) {
        int[] ids = TokenIds.fromText(PROMPTS[i % PROMPTS.length]);
        for (int k = 0; k < ids.length; k++) {
            ids[k] %= vocab;
        }
        return ids;
    }

    static int[] longPrompt(int i) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; sb.length() < 256; k++) {
            sb.append(PROMPTS[(i + k) % PROMPTS.length]).append(" Because it is there.\n");
        }
        return TokenIds.fromText(sb.toString());
    }

    /** Generation on {@code engine}, claimed as the model the verifier holds; the claim's commits are the engine's. */
    static Claim honest(Model engine, Model claimed, int[] prompt, int maxTokens, Sampling s, ComputeMode mode, PositionConvention conv, int threads)
            throws Exception {
        int saved = Parallel.threads();
        if (threads > 0) {
            Parallel.setThreads(threads);
        }
        try {
            Generator.Generation g = Generator.generate(engine, prompt, maxTokens, s, -1, mode, null);
            return claim(claimed, g.prompt(), g.completion(), g.hidden(), engine.config().hiddenSize(), mode, conv, s, maxTokens, SPEC.dtype(), SPEC.dtype());
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** Commits from rows {@code [0, P+N-1)} of {@code hidden} (positions of the claimed sequence), in {@code commitDtype}, labelled {@code claimDtype}. */
    static Claim claim(Model claimed, int[] prompt, int[] completion, float[] hidden, int d, ComputeMode mode, PositionConvention conv, Sampling s,
                       int maxTokens, Dtype commitDtype, Dtype claimDtype) throws Exception {
        int rows = prompt.length + completion.length - 1;
        ChunkPlan plan = ChunkPlan.forSequence(prompt.length, completion.length, conv, true, SPEC.chunkSize());
        CommitSpec commitSpec = new CommitSpec(commitDtype, SPEC.topK(), SPEC.chunkSize());
        List<Commit> commits = Commits.commitAll(Model.toStates(Arrays.copyOf(hidden, rows * d), rows, d, mode), plan, commitSpec);
        return new Claim(attestation(claimed, prompt, completion, commits, new CommitSpec(claimDtype, SPEC.topK(), SPEC.chunkSize()), conv, s,
                maxTokens), null);
    }

    static InferenceAttestation attestation(Model claimed, int[] prompt, int[] completion, List<Commit> commits, CommitSpec spec,
                                            PositionConvention conv, Sampling s, int maxTokens) throws IOException {
        ModelIdentity id = claimed.identity();
        return new InferenceAttestation(new InferenceAttestation.ModelRef("claimed", id.weightFiles(), id.weightDigests(), id.weightsDigest(),
                id.configDigest()), prompt, completion, spec, conv, true, commits,
                new InferenceAttestation.SamplingRef(s.temperature(), s.seed(), maxTokens, -1, "length"), "bf16", "calibration", "");
    }

    static Claim promptChanged(Model m, int[] prompt, int maxTokens, Sampling s) throws Exception {
        int[] served = prompt.clone();
        int k = served.length / 2;
        served[k] = served[k] == 'e' ? 'a' : 'e';
        Generator.Generation g = Generator.generate(m, served, maxTokens, s, -1, ComputeMode.BF16, null);
        return claim(m, prompt, g.completion(), g.hidden(), m.config().hiddenSize(), ComputeMode.BF16, PositionConvention.PRODUCED, s, maxTokens,
                SPEC.dtype(), SPEC.dtype());
    }

    /** The provider ran with a system prefix added (or omitted) and claims the other prompt; its commits skip (or fake) the prefix rows. */
    static Claim prefixed(Model m, int[] prompt, int maxTokens, Sampling s, boolean added) throws Exception {
        int d = m.config().hiddenSize();
        int[] prefix = TokenIds.fromText(PREFIX);
        if (added) {
            int[] served = concat(prefix, prompt);
            Generator.Generation g = Generator.generate(m, served, maxTokens, s, -1, ComputeMode.BF16, null);
            float[] h = Arrays.copyOfRange(g.hidden(), prefix.length * d, g.hidden().length);
            return claim(m, prompt, g.completion(), h, d, ComputeMode.BF16, PositionConvention.PRODUCED, s, maxTokens, SPEC.dtype(), SPEC.dtype());
        }
        int[] claimedPrompt = concat(prefix, prompt);
        Generator.Generation g = Generator.generate(m, prompt, maxTokens, s, -1, ComputeMode.BF16, null);
        float[] prefixRows = m.prefill(prefix, ComputeMode.BF16);
        float[] h = new float[prefixRows.length + g.hidden().length];
        System.arraycopy(prefixRows, 0, h, 0, prefixRows.length);
        System.arraycopy(g.hidden(), 0, h, prefixRows.length, g.hidden().length);
        return claim(m, claimedPrompt, g.completion(), h, d, ComputeMode.BF16, PositionConvention.PRODUCED, s, maxTokens, SPEC.dtype(), SPEC.dtype());
    }

    static Claim replayed(Model m, int[] prompt, int[] otherPrompt, int maxTokens, Sampling s) throws Exception {
        Claim mine = honest(m, m, prompt, maxTokens, s, ComputeMode.BF16, PositionConvention.PRODUCED, 0);
        Claim theirs = honest(m, m, otherPrompt, maxTokens, s, ComputeMode.BF16, PositionConvention.PRODUCED, 0);
        InferenceAttestation a = mine.att();
        return new Claim(new InferenceAttestation(a.model(), a.prompt(), a.completion(), a.commitSpec(), a.positions(), a.prefillChunk(),
                theirs.att().commits(), a.sampling(), a.providerMode(), a.nonce(), a.timestamp()), null);
    }

    static Claim shifted(Model m, int[] prompt, int maxTokens, Sampling s) throws Exception {
        Generator.Generation g = Generator.generate(m, prompt, maxTokens, s, -1, ComputeMode.BF16, null);
        int d = m.config().hiddenSize();
        int[] all = concat(g.prompt(), g.completion());
        float[] full = m.prefill(all, ComputeMode.BF16);                 // P+N rows: one more than the claim needs
        float[] h = Arrays.copyOfRange(full, d, full.length);           // every row moved up by one position
        return claim(m, g.prompt(), g.completion(), h, d, ComputeMode.BF16, PositionConvention.PRODUCED, s, maxTokens, SPEC.dtype(), SPEC.dtype());
    }

    static Claim randomCommits(Model m, int[] prompt, int maxTokens, Sampling s, int seed) throws Exception {
        Claim c = honest(m, m, prompt, maxTokens, s, ComputeMode.BF16, PositionConvention.PRODUCED, 0);
        Random r = new Random(seed);
        List<Commit> random = new ArrayList<>();
        for (int k = 0; k < c.att().commits().size(); k++) {
            random.add(Commit.of(CommitEncoding.V1, 65497, r.longs(SPEC.topK(), 0, 65497).toArray()));
        }
        InferenceAttestation a = c.att();
        return new Claim(new InferenceAttestation(a.model(), a.prompt(), a.completion(), a.commitSpec(), a.positions(), a.prefillChunk(),
                random, a.sampling(), a.providerMode(), a.nonce(), a.timestamp()), null);
    }

    /** The reference's null proof goes through the same strict parser every attestation's commits do. */
    static Claim zeroCommits() {
        try {
            Commit.fromBase64(java.util.Base64.getEncoder().encodeToString(new byte[SPEC.encoding().byteLength(SPEC.topK())]),
                    SPEC.encoding(), SPEC.topK(), "commit 0");
            throw new IllegalStateException("bug: an all-zero commit parsed");
        } catch (CommitFormatException e) {
            return new Claim(null, e.getMessage());
        }
    }

    static Claim relabeled(Model m, int[] prompt, int maxTokens, Sampling s, Dtype actual, Dtype claimed) throws Exception {
        ComputeMode mode = actual == Dtype.FP16 ? ComputeMode.FP16 : ComputeMode.BF16;
        Generator.Generation g = Generator.generate(m, prompt, maxTokens, s, -1, mode, null);
        return claim(m, g.prompt(), g.completion(), g.hidden(), m.config().hiddenSize(), mode, PositionConvention.PRODUCED, s, maxTokens, actual, claimed);
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static Sample measure(Def d, Claim c, Model verifierModel, ComputeMode mode, int prompt) {
        if (c.formatError() != null) {
            return new Sample(d.family(), d.name(), d.honest(), mode, prompt, 0, 0, 0, 0, 0, 0, c.formatError());
        }
        AcceptancePolicy measureOnly = new AcceptancePolicy(Integer.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, -1, "measurement");
        try {
            InferenceVerifier.Report r = InferenceVerifier.check(c.att(), verifierModel, mode, measureOnly,
                    new InferenceVerifier.SamplingCheck(true, Double.MAX_VALUE, 0), d.stream());
            List<ChunkStats> stats = r.commits().chunks().stream().map(x -> x.stats()).toList();
            return new Sample(d.family(), d.name(), d.honest(), mode, prompt, stats.stream().mapToInt(ChunkStats::expMismatches).max().orElse(0),
                    stats.stream().mapToDouble(ChunkStats::mantErrMean).max().orElse(0), stats.stream().mapToDouble(ChunkStats::mantErrMedian).max().orElse(0),
                    stats.stream().mapToInt(ChunkStats::signMismatches).max().orElse(0), r.worstTokenGap(),
                    stats.stream().mapToDouble(ChunkStats::mantErrMean).average().orElse(0), null);
        } catch (TopLocException e) {
            return new Sample(d.family(), d.name(), d.honest(), mode, prompt, 0, 0, 0, 0, 0, 0, e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------ reports

    private static String cell(List<Sample> cell, AcceptancePolicy p, double margin) {
        List<Sample> eval = cell.stream().filter(s -> s.prompt() % 2 == 1).toList();
        if (eval.isEmpty()) {
            return "—";
        }
        long pass = eval.stream().filter(s -> s.passes(p, margin)).count();
        String rate = Math.round(100.0 * pass / eval.size()) + "%";
        if (eval.get(0).formatError() != null) {
            return rate + " · format error";
        }
        boolean honest = eval.get(0).honest();
        // honest: the worst sample (closest to failing); attack: the best-hidden sample (closest to passing)
        var pick = honest ? eval.stream().max((x, y) -> Double.compare(x.worstExp(), y.worstExp())).get()
                : eval.stream().min((x, y) -> Double.compare(x.worstExp(), y.worstExp())).get();
        double mean = honest ? eval.stream().mapToDouble(Sample::worstMean).max().getAsDouble() : eval.stream().mapToDouble(Sample::worstMean).min().getAsDouble();
        double median = honest ? eval.stream().mapToDouble(Sample::worstMedian).max().getAsDouble() : eval.stream().mapToDouble(Sample::worstMedian).min().getAsDouble();
        int sign = honest ? eval.stream().mapToInt(Sample::worstSign).max().getAsInt() : eval.stream().mapToInt(Sample::worstSign).min().getAsInt();
        double gap = honest ? eval.stream().mapToDouble(Sample::worstGap).max().getAsDouble() : eval.stream().mapToDouble(Sample::worstGap).min().getAsDouble();
        double avg = honest ? eval.stream().mapToDouble(Sample::avgMean).max().getAsDouble() : eval.stream().mapToDouble(Sample::avgMean).min().getAsDouble();
        return String.format(Locale.ROOT, "%s · exp %d · mean %s · med %s · sign %d · avg %.2f · gap %.2f", rate, pick.worstExp(),
                Report.num(mean).replace(".000", ""), Report.num(median).replace(".000", ""), sign, avg, gap);
    }

    private String markdown(List<Sample> samples, Map<String, AcceptancePolicy> policies, Map<String, Double> margins, int prompts, double minutes) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Calibration: what verification catches\n\n");
        sb.append("Written by `./toploc calibrate").append(quick ? " --quick" : "").append("` on ").append(Instant.now().toString(), 0, 10)
                .append(" (").append(String.format(Locale.ROOT, "%.1f", minutes)).append(" min) on the development machine: 2 vCPUs (AMD EPYC, AVX-512), 24 GiB, ")
                .append("Temurin JDK 25. Commits: bf16, k = 128, chunks of 32, prefill chunk on. Provider sampling: temperature 0.8, seed 7 ")
                .append("(one row greedy). Reproduce with the same command.\n\n");
        sb.append("**Method.** For each scenario a provider generates (or forges) a claim for each of ").append(prompts)
                .append(" prompts; the verifier recomputes it in each compute mode (columns) and measures every chunk and the token replay. ")
                .append("Thresholds come from the honest runs of the **even** prompts by the rule *honest worst × 1.5* (floors: 2 exponent or sign ")
                .append("mismatches, mantissa mean 0.5, median 1, logit gap 0.05); the table shows pass rates on the **odd** prompts, which the ")
                .append("thresholds never saw. A cell: pass rate · then, for honest rows, the worst chunk seen (the closest to failing) and, for attack ")
                .append("rows, the attack's best-hidden sample (the closest to passing): exponent mismatches, mantissa mean and median, sign ")
                .append("mismatches (each the worst chunk of a sequence), the sequence's average of chunk mantissa means (`avg`), and the ")
                .append("largest token-replay logit gap.\n\n");
        for (var e : policies.entrySet()) {
            AcceptancePolicy p = e.getValue();
            sb.append("## ").append(e.getKey()).append("\n\n");
            sb.append(String.format(Locale.ROOT, "Derived policy: per chunk exp_mismatches ≤ %d, mant_err_mean ≤ %.3f, mant_err_median ≤ %s, "
                            + "sign_mismatches ≤ %d; per sequence average mant_err_mean ≤ %.3f; token logit gap ≤ %.3f.%n%n",
                    p.maxExpMismatches(), p.maxMantErrMean(), Report.num(p.maxMantErrMedian()), p.maxSignMismatches(), p.maxAvgMantErrMean(),
                    margins.get(e.getKey())));
            sb.append("| scenario | must | verifier fp32 | verifier bf16 | verifier fp16 |\n|---|---|---|---|---|\n");
            Map<String, List<Sample>> byScenario = new LinkedHashMap<>();
            samples.stream().filter(s -> s.family().equals(e.getKey())).forEach(s -> byScenario.computeIfAbsent(s.scenario(), k -> new ArrayList<>()).add(s));
            for (var sc : byScenario.entrySet()) {
                boolean honest = sc.getValue().get(0).honest();
                sb.append("| ").append(sc.getKey()).append(" | ").append(honest ? "pass" : "fail");
                for (ComputeMode m : MODES) {
                    sb.append(" | ").append(cell(sc.getValue().stream().filter(s -> s.mode() == m).toList(), p, margins.get(e.getKey())));
                }
                sb.append(" |\n");
            }
            sb.append('\n');
        }
        sb.append(findings(samples, policies, margins));
        sb.append(DefaultPolicyNote.TEXT);
        return sb.toString();
    }

    /** Every cell that is not as it must be, and why. */
    private static String findings(List<Sample> samples, Map<String, AcceptancePolicy> policies, Map<String, Double> margins) {
        StringBuilder sb = new StringBuilder("## Cells that are not as they must be\n\n");
        Map<String, List<Sample>> cells = new LinkedHashMap<>();
        samples.stream().filter(s -> s.prompt() % 2 == 1)
                .forEach(s -> cells.computeIfAbsent(s.family() + " | " + s.scenario(), k -> new ArrayList<>()).add(s));
        int n = 0;
        for (var e : cells.entrySet()) {
            Sample first = e.getValue().get(0);
            AcceptancePolicy p = policies.get(first.family());
            long pass = e.getValue().stream().filter(s -> s.passes(p, margins.get(first.family()))).count();
            boolean wrong = first.honest() ? pass < e.getValue().size() : pass > 0;
            if (wrong) {
                n++;
                sb.append(String.format(Locale.ROOT, "- **%s**: %s passes %d of %d evaluation runs (all modes). %s%n", first.family(),
                        first.scenario(), pass, e.getValue().size(), WHY.getOrDefault(first.scenario(), "")));
            }
        }
        if (n == 0) {
            sb.append("None: every honest cell passes 100% and every attack cell 0%.\n");
        }
        sb.append('\n').append(CHANGES).append('\n');
        return sb.toString();
    }

    /** Why an attack can hide, for the scenarios where physics allows it. */
    static final Map<String, String> WHY = Map.of(
            "8-bit weights (per row)", "Per-row int8 moves each weight by at most half a step (about 0.4% of the row's largest weight); on a "
                    + "4-layer, 256-wide model that changes the final hidden states no more than computing in another precision does, so no "
                    + "threshold that accepts honest reruns can reject it. On the 896-wide random model the same quantization is caught.",
            "weights x (1 + 1% noise)", "Likewise: 1% multiplicative noise on this small trained model stays within the honest precision "
                    + "noise (average mantissa error 0.6–0.7 against 0.6 for an honest bf16 run); the wider random models reveal it.",
            "4-bit weights (group 32)", "4-bit weights shift every chunk a little (mantissa mean about 2.1–2.5 in every chunk) while the "
                    + "per-chunk bounds must admit honest outliers up to about 4 (long generations). The sequence-average check catches most "
                    + "runs; the rest sit just under its bound, which the longest honest generations set.",
            "one prompt token changed", "One byte changed in the middle of a short prompt; with sampling, the completion that follows is "
                    + "often the one the claimed prompt would give, and the states differ mainly in the prefill chunk, where honest noise "
                    + "is largest. Caught when the change moves the continuation.");

    static final String CHANGES = """
            What was changed in response: the per-chunk statistics alone let 4-bit weights through on the tiny model (its chunk
            statistics overlap the honest worst case), so the policy gained a sequence-level bound on the average of the chunks'
            mantissa means, which separates a steady shift from an honest outlier; the token replay (greedy or seeded sampling)
            was added beside the commits and is what catches a changed or hidden prompt prefix (logit gaps of 4–7 against an
            honest worst of about 0.4). What remains is physics: an attack that perturbs the hidden states less than a change of
            precision does cannot be told from one on a model this small; calibrate your own model and read its table.
            """;

    private static ObjectNode jsonReport(List<Sample> samples, Map<String, AcceptancePolicy> policies, Map<String, Double> margins) {
        ObjectNode n = Report.JSON.createObjectNode();
        ObjectNode ps = n.putObject("policies");
        for (var e : policies.entrySet()) {
            ObjectNode p = ps.putObject(e.getKey());
            p.put("maxExpMismatches", e.getValue().maxExpMismatches());
            p.put("maxMantErrMean", e.getValue().maxMantErrMean());
            p.put("maxMantErrMedian", e.getValue().maxMantErrMedian());
            p.put("maxSignMismatches", e.getValue().maxSignMismatches());
            p.put("maxAvgMantErrMean", e.getValue().maxAvgMantErrMean());
            p.put("logitMargin", margins.get(e.getKey()));
        }
        ArrayNode a = n.putArray("samples");
        for (Sample s : samples) {
            ObjectNode o = a.addObject();
            o.put("family", s.family());
            o.put("scenario", s.scenario());
            o.put("honest", s.honest());
            o.put("verifierMode", s.mode().wireName());
            o.put("prompt", s.prompt());
            o.put("split", s.prompt() % 2 == 0 ? "calibration" : "evaluation");
            if (s.formatError() != null) {
                o.put("formatError", s.formatError());
            } else {
                o.put("worstExpMismatches", s.worstExp());
                Report.putNum(o, "worstMantErrMean", s.worstMean());
                Report.putNum(o, "worstMantErrMedian", s.worstMedian());
                o.put("worstSignMismatches", s.worstSign());
                o.put("worstLogitGap", s.worstGap());
                Report.putNum(o, "avgMantErrMean", s.avgMean());
            }
            AcceptancePolicy p = policies.get(s.family());
            o.put("passes", p != null && s.passes(p, margins.get(s.family())));
        }
        return n;
    }

    /** The paragraph about the reference defaults, kept beside the table it cites. */
    static final class DefaultPolicyNote {
        static final String TEXT = """
                ## The default policy

                Without a policy file `toploc verify` uses the reference's thresholds (bf16, k = 128: exp_mismatches ≤ 38, mean ≤ 10,
                median ≤ 8), measured on 8B-class models, and says so. On the models above they are far looser than the honest noise
                requires: compare the derived policies. A model's own policy file (`toploc calibrate --model DIR`) is the way to use it.
                """;
    }
}
