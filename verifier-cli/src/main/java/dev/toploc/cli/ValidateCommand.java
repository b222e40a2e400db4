package dev.toploc.cli;

import dev.toploc.policy.Policies;
import dev.toploc.CommitSpec;
import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.FileResult;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.ResultTable;
import dev.toploc.rollouts.RolloutValidator;
import dev.toploc.rollouts.SampleResult;
import dev.toploc.rollouts.ValidationEngine;
import dev.toploc.rollouts.Settings;
import dev.toploc.rollouts.Verdict;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code toploc validate}: rollout files of the Python stack (prime-rl Parquet, JSON lines, bare proofs)
 * against the verifier's own prefill; the work is the rollouts library's {@link RolloutValidator}.
 */
@Command(name = "validate", description = "Validate rollout files (Parquet, JSON lines, or bare proofs with --prompt-ids/--completion-ids) "
        + "by recomputing each sample's prefill. Exit 0 every sample accepted, 1 any rejected, 2 bad input (and none rejected).")
final class ValidateCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "rollout files")
    List<Path> files;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the weights you trust (HuggingFace folder)")
    Path model;

    @Option(names = "--json", description = "print one JSON object per file")
    boolean json;

    @Option(names = "-o", paramLabel = "FILE", description = "write the per-sample table (.parquet or .jsonl); never overwrites")
    Path output;

    @Option(names = "--prompt-column", defaultValue = "input_tokens", description = "prompt ids column (default ${DEFAULT-VALUE}, prime-rl)")
    String promptColumn;

    @Option(names = "--completion-column", defaultValue = "output_tokens", description = "completion ids column (default ${DEFAULT-VALUE})")
    String completionColumn;

    @Option(names = "--proofs-column", defaultValue = "proofs", description = "proofs column (default ${DEFAULT-VALUE})")
    String proofsColumn;

    @Option(names = "--seed-column", defaultValue = "seed", description = "seed column, read when present (default ${DEFAULT-VALUE})")
    String seedColumn;

    @Option(names = "--temperature-column", defaultValue = "temperature", description = "temperature column, read when present (default ${DEFAULT-VALUE})")
    String temperatureColumn;

    @Option(names = "--prompt-ids", paramLabel = "IDS", description = "bare proofs files: the sample's prompt ids")
    String promptIds;

    @Option(names = "--completion-ids", paramLabel = "IDS", description = "bare proofs files: the sample's completion ids")
    String completionIds;

    @Option(names = "--positions", defaultValue = "auto", description = "auto, produced or decode-steps (default ${DEFAULT-VALUE})")
    String positions;

    @Option(names = "--ties", defaultValue = "tolerant", description = "strict, tolerant or tolerant:W (default ${DEFAULT-VALUE})")
    String ties;

    @Option(names = "--proofs-layout", defaultValue = "auto", description = "auto, lines, base64-concat, binary or json (default ${DEFAULT-VALUE})")
    String proofsLayout;

    @Option(names = "--dtype", defaultValue = "bf16", description = "the proofs' dtype, bf16 or fp16 (default ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--topk", defaultValue = "128", description = "k (default ${DEFAULT-VALUE})")
    int topk;

    @Option(names = "--chunk", defaultValue = "32", description = "decode chunk size (default ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--prefill-chunk", description = "the first commit covers the prompt (skip_prefill=False)")
    boolean prefillChunk;

    @Option(names = "--mode", defaultValue = "fp32", description = "recompute in fp32, bf16 or fp16 (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--device", defaultValue = "auto", description = "cpu, cuda or auto (default ${DEFAULT-VALUE}): a GPU runs the commits' top-k and the fp32 prefill (--engine local; "
            + "cuda with another engine is refused)")
    String device;

    @Option(names = "--policy", paramLabel = "FILE", description = "calibrated policy (default: the reference's thresholds)")
    Path policyFile;

    @Option(names = "--engine", defaultValue = "local", description = "local (this process) or spark (Spark local[N] in this process; "
            + "also reads JSON lines of DSSE attestations); default ${DEFAULT-VALUE}")
    String engine;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "--engine spark: task threads (default: the machine's cores)")
    int threads;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N", description = "--engine spark: tasks per file (default: as many as threads)")
    int partitions;

    @Option(names = "--trust", paramLabel = "PUB.pem", description = "--engine spark: public keys attestation files may be signed with")
    List<Path> trust = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        PrintWriter err = command.commandLine().getErr();
        CommitSpec spec = new CommitSpec(VerifyCommand.proofsDtype(dtype), topk, chunk);
        String outFormat = null;
        if (output != null) {
            outFormat = ResultTable.formatFor(output.getFileName().toString());
            if (outFormat == null) {
                throw new IllegalArgumentException("-o " + output + ": the table is written as .parquet or .jsonl (by extension)");
            }
            if (java.nio.file.Files.exists(output)) {
                throw new java.nio.file.FileAlreadyExistsException(output.toString(), null, "refusing to overwrite an existing file");
            }
        }
        if ((promptIds == null) != (completionIds == null)) {
            throw new IllegalArgumentException("--prompt-ids and --completion-ids go together (for bare proofs files)");
        }
        Columns columns = new Columns(promptColumn, completionColumn, proofsColumn, seedColumn, temperatureColumn);
        List<FileResult> results = new ArrayList<>();
        if (engine.equals("local") && !trust.isEmpty()) {
            throw new IllegalArgumentException("--trust is for attestation files, which --engine spark reads");
        }
        if (!engine.equals("local") && device.equals("cuda")) {
            throw new IllegalArgumentException("--device cuda is for --engine local: the " + engine + " engine's tasks recompute on the CPU runtime");
        }
        try (Device dev = Device.select(device, err); Model mdl = Model.load(model)) {
            // --policy, else the model folder's toploc-policy.json, else the reference defaults; said which
            Policies.Choice chosen = Policies.select(policyFile, model, spec, mdl.identity().configDigest(), mdl.identity().weightsDigest());
            err.println("policy: " + Terminal.escape(chosen.description()));
            Settings settings = BareProofs.settings(spec, proofsLayout, positions, prefillChunk, ComputeMode.fromWireName(mode), chosen.policy(), ties);
            if (!engine.equals("local")) {
                results.addAll(onEngine(settings, columns, err));
                for (FileResult r : results) {
                    show(out, r, r.nanos() / 1e9);
                }
            } else {
                if (settings.mode() == ComputeMode.FP32) {
                    dev.prefillOn(mdl);
                }
                for (Path f : files) {
                    long t0 = System.nanoTime();
                    FileResult r = promptIds != null
                            ? RolloutValidator.validateProofs(f, TokenIds.parse(promptIds, "--prompt-ids"), TokenIds.parse(completionIds, "--completion-ids"),
                                    settings, mdl, dev.engine(), dev.compute())
                            : RolloutValidator.validate(f, columns, settings, mdl, dev.engine(), dev.compute());
                    results.add(r);
                    show(out, r, (System.nanoTime() - t0) / 1e9);
                }
            }
        }
        if (output != null) {
            String fmt = outFormat;
            SafeFiles.write(output, false, false, o -> {
                if (fmt.equals("parquet")) {
                    ResultTable.writeParquet(o, results);
                } else {
                    ResultTable.writeJsonLines(o, results);
                }
            });
        }
        boolean rejected = results.stream().anyMatch(FileResult::anyRejected);
        boolean bad = results.stream().anyMatch(FileResult::anyBadInput);
        return rejected ? Toploc.REJECTED : bad ? Toploc.BAD_INPUT : Toploc.ACCEPTED;
    }

    private void show(PrintWriter out, FileResult r, double secs) throws Exception {
        if (json) {
            out.println(ResultJson.JSON.writeValueAsString(JsonOutcome.finite(ResultJson.file(r))));
        } else {
            print(out, r, secs);
        }
    }

    /** Where the Spark module comes from, for the errors of {@code --engine spark} and {@code serve-validator} without it. */
    static final String SPARK_MISSING = "the Spark module is not on the class path: ./toploc in a checkout adds spark/target/lib for "
            + "--engine spark and serve-validator; the distribution archive leaves Spark's ~290 MB of jars out (docs/spark.md)";

    /** Another engine, found through {@link ValidationEngine}'s service loader (the Spark one is not on the default class path). */
    private List<FileResult> onEngine(Settings settings, Columns columns, PrintWriter err) throws Exception {
        if (promptIds != null) {
            throw new IllegalArgumentException("--prompt-ids/--completion-ids (bare proofs files) are read by --engine local");
        }
        if (threads < 0 || partitions < 0) {
            throw new IllegalArgumentException("--threads and --partitions are counts (0: the default)");
        }
        ValidationEngine found = null;
        for (ValidationEngine e : java.util.ServiceLoader.load(ValidationEngine.class)) {
            if (e.name().equals(engine)) {
                found = e;
            }
        }
        if (found == null) {
            throw new IllegalArgumentException("--engine " + engine + ": no such engine on the class path (local, or spark: " + SPARK_MISSING + ")");
        }
        List<String> pems = new ArrayList<>();
        for (Path p : trust) {
            pems.add(new String(dev.toploc.io.UntrustedFiles.read(p, 64 << 10, "trusted key"), java.nio.charset.StandardCharsets.UTF_8));
        }
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        err.printf("validating on %s (local[%d])%n", engine, n);
        return found.validate(files, columns, settings, model, pems, n, partitions);
    }

    private static void print(PrintWriter out, FileResult r, double secs) {
        long unchecked = r.results().stream().filter(s -> s.verdict() == Verdict.ACCEPT && !s.checked()).count();
        out.printf(Locale.ROOT, "%s: %s, %d samples, %d failing%s, input_flops %.3e, output_flops %.3e (%s, %.2f s: prefill %.2f s, "
                        + "commit checks %.2f s, reading %.2f s)%n", r.file(),
                r.status().toUpperCase(Locale.ROOT), r.samples(), r.failingIndices().size(),
                unchecked > 0 ? ", " + unchecked + " accepted unchecked (nothing committed)" : "", r.inputFlops(), r.outputFlops(), r.format(), secs,
                r.prefillNanos() / 1e9, r.checkNanos() / 1e9, (r.nanos() - r.prefillNanos() - r.checkNanos()) / 1e9);
        if (r.error() != null) {
            out.println("  error: " + r.error());
        }
        for (SampleResult s : r.results()) {
            if (s.verdict() != Verdict.ACCEPT) {
                out.printf("  sample %d: %s: %s%n", s.index(), s.verdict().wireName(), s.reason());
            }
        }
    }
}
