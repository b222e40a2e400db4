package dev.toploc.rollouts;

import dev.toploc.Compute;
import dev.toploc.Proofs;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Validates a rollout file: every row's proofs against the verifier's own prefill ({@link SampleVerifier}),
 * streamed (one Parquet row group, one JSON line at a time), with the per-file result the protocol's
 * validator reports ({@link FileResult}: status, failing indices, input and output FLOPs).
 *
 * <p>Formats: Parquet (found by its {@code PAR1} magic), JSON lines ({@code .jsonl}/{@code .ndjson}, or a
 * first non-blank character {@code &#123;}), and a bare proofs file of one sample
 * ({@link #validateProofs}, the ids given by the caller). Only regular files are read. A malformed row is a
 * per-sample bad-input result and reading goes on; a file that cannot be read (to its end) keeps the
 * results so far and names why in {@link FileResult#error()}.
 *
 * <p>Library code for every front end (the CLI's {@code validate}, a Spark job, an HTTP validator): no
 * output, no global state; settings and the model are passed in. Not thread-safe per call only in that
 * the model's prefill uses the machine's cores itself.
 */
public final class RolloutValidator {
    private RolloutValidator() {
    }

    /** How a file is stored. */
    public enum Format {
        PARQUET("parquet"), JSONL("jsonl"), PROOFS("proofs");

        private final String wireName;

        Format(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /** The file's format by content (Parquet magic, JSON object) and name. */
    public static Format detect(Path file) throws IOException {
        byte[] head = new byte[4096];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'A' && head[2] == 'R' && head[3] == '1') {
            return Format.PARQUET;
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return Format.JSONL;
        }
        for (int i = 0; i < n; i++) {
            if (head[i] != ' ' && head[i] != '\t' && head[i] != '\r' && head[i] != '\n') {
                return head[i] == '{' ? Format.JSONL : Format.PROOFS;
            }
        }
        return Format.PROOFS;
    }

    /** Validates a Parquet or JSON-lines rollout file on the CPU runtime with the default compute context. */
    public static FileResult validate(Path file, Columns columns, Settings settings, Model model) {
        return validate(file, columns, settings, model, null, Compute.defaults());
    }

    /**
     * Validates a Parquet or JSON-lines rollout file, each sample's prefill on {@code engine} (null, or declining:
     * the CPU runtime) and its checks on {@code compute}, as {@link SampleVerifier#verify(Sample, Settings, Model,
     * InferenceVerifier.PrefillEngine, Compute)}.
     */
    public static FileResult validate(Path file, Columns columns, Settings settings, Model model, InferenceVerifier.PrefillEngine engine,
                                      Compute compute) {
        String name = file.toString();
        String problem = regularFileProblem(file);
        if (problem != null) {
            return new Run(name, "unknown", settings, model, engine, compute).finish(problem);
        }
        Format f;
        try {
            f = detect(file);
        } catch (IOException e) {
            return new Run(name, "unknown", settings, model, engine, compute).finish("cannot read: " + e.getMessage());
        }
        Run run = new Run(name, f.wireName(), settings, model, engine, compute);
        try {
            switch (f) {
                case PARQUET -> ParquetRollouts.read(file, columns, run::accept);
                case JSONL -> JsonLinesRollouts.read(file, columns, run::accept);
                case PROOFS -> {
                    return run.finish("neither Parquet nor JSON lines: a bare proofs file needs the sample's token ids "
                            + "(--prompt-ids and --completion-ids)");
                }
            }
        } catch (RolloutFormatException e) {
            return run.finish(e.getMessage());
        } catch (IOException e) {
            return run.finish("cannot read: " + e.getMessage());
        }
        return run.finish(null);
    }

    /** Validates a bare proofs file (any {@link Proofs} layout) of one sample whose ids are given, on the CPU runtime. */
    public static FileResult validateProofs(Path file, int[] prompt, int[] completion, Settings settings, Model model) {
        return validateProofs(file, prompt, completion, settings, model, null, Compute.defaults());
    }

    /** As {@link #validateProofs(Path, int[], int[], Settings, Model)}, the prefill on {@code engine} and the checks on {@code compute}. */
    public static FileResult validateProofs(Path file, int[] prompt, int[] completion, Settings settings, Model model,
                                            InferenceVerifier.PrefillEngine engine, Compute compute) {
        Run run = new Run(file.toString(), Format.PROOFS.wireName(), settings, model, engine, compute);
        String problem = regularFileProblem(file);
        if (problem != null) {
            return run.finish(problem);
        }
        try {
            long size = Files.size(file);
            if (size > Proofs.MAX_BYTES) {
                return run.finish(size + " bytes exceeds the proofs limit of " + Proofs.MAX_BYTES);
            }
            run.accept(new Row(0, new Sample(0, prompt, completion, Files.readAllBytes(file), null, null), null));
        } catch (IOException e) {
            return run.finish("cannot read: " + e.getMessage());
        }
        return run.finish(null);
    }

    /** Validates rows read elsewhere (a Spark partition, an HTTP upload), as one file named {@code name}. */
    public static FileResult validateRows(String name, String format, Iterable<Row> rows, Settings settings, Model model) {
        Run run = new Run(name, format, settings, model, null, Compute.defaults());
        for (Row r : rows) {
            run.accept(r);
        }
        return run.finish(null);
    }

    /**
     * One line of a JSON-lines rollout file as a row, exactly as {@link #validate} reads it: {@code index} counts
     * the file's non-blank lines, {@code lineNo} is 1-based and names the line in messages. For readers that split
     * files themselves (a Spark job); a line longer than {@link #MAX_JSON_LINE} bytes is a bad row.
     */
    public static Row jsonLine(int index, int lineNo, String text, Columns columns) {
        if (text.length() > MAX_JSON_LINE || text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_JSON_LINE) {
            return Row.bad(index, "line " + lineNo + " is longer than " + MAX_JSON_LINE + " bytes");
        }
        return JsonLinesRollouts.toRow(index, lineNo, text, columns);
    }

    /** The longest JSON line read as a row (longer ones are bad rows). */
    public static final int MAX_JSON_LINE = JsonLinesRollouts.MAX_LINE;

    private static String regularFileProblem(Path file) {
        if (!Files.exists(file)) {
            return "not found";
        }
        if (!Files.isRegularFile(file)) {
            return "not a regular file";
        }
        return null;
    }

    /** One file's accumulation. */
    private static final class Run {
        final String name;
        final String format;
        final Settings settings;
        final Model model;
        final InferenceVerifier.PrefillEngine engine;
        final Compute compute;
        final long parameters;
        final List<SampleResult> results = new ArrayList<>();
        final List<Integer> failing = new ArrayList<>();
        long promptTokens;
        long completionTokens;
        final long started = System.nanoTime();

        Run(String name, String format, Settings settings, Model model, InferenceVerifier.PrefillEngine engine, Compute compute) {
            this.name = name;
            this.format = format;
            this.settings = settings;
            this.model = model;
            this.engine = engine;
            this.compute = compute;
            this.parameters = ModelFlops.parameters(model.config());
        }

        void accept(Row row) {
            SampleResult r;
            if (row.sample() == null) {
                r = new SampleResult(row.index(), Verdict.BAD_INPUT, false, null, null, 0, 0, 0, 0, null, null, null, null, row.problem(), null, 0, 0);
            } else {
                Sample s = row.sample();
                promptTokens += s.prompt().length;
                completionTokens += s.completion().length;
                r = SampleVerifier.verify(s, settings, model, engine, compute);
            }
            if (r.verdict() != Verdict.ACCEPT) {
                failing.add(row.index());
            }
            results.add(new SampleResult(r.index(), r.verdict(), r.checked(), r.positions(), r.layout(), r.promptTokens(), r.completionTokens(),
                    r.commits(), r.failedChunks(), r.worst(), r.worstStrict(), r.seed(), r.temperature(), r.reason(), null,   // reports not kept
                    r.prefillNanos(), r.checkNanos()));
        }

        FileResult finish(String error) {
            return new FileResult(name, format, error == null && failing.isEmpty(), results.size(), failing,
                    ModelFlops.flops(parameters, promptTokens), ModelFlops.flops(parameters, completionTokens), results, error,
                    System.nanoTime() - started);
        }
    }
}
