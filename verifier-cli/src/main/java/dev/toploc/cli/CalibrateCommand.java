package dev.toploc.cli;

import dev.toploc.calibration.Calibration;
import dev.toploc.calibration.CalibrationFigures;
import dev.toploc.calibration.CalibrationReport;
import dev.toploc.calibration.CalibrationResult;
import dev.toploc.calibration.Family;
import dev.toploc.calibration.Machine;
import dev.toploc.calibration.Plan;
import dev.toploc.calibration.Scenario;
import dev.toploc.calibration.Thresholds;
import dev.toploc.policy.PolicyFile;
import dev.toploc.policy.Policies;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code toploc calibrate}: the standard calibration plan of the {@code calibration} library on a model,
 * printed as it runs; writes the Markdown table with its figures (SVG, in the folder named after the report),
 * the raw results (JSON) and the model's policy file.
 */
@Command(name = "calibrate", description = "Measure honest noise and attacks, derive a per-model policy, write docs/calibration.md with its figures (docs/calibration/*.svg), JSON and the policy file.")
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

    @Option(names = "--policy-out", paramLabel = "FILE", description = "policy file (default: " + Policies.FILE_NAME + " in the model folder)")
    Path policyOut;

    @Option(names = "--force", description = "replace existing output files")
    boolean force;

    /** The figures' folder beside the report, relative to it: the report's name without ".md" (else with ".figures" added). */
    static String figureFolder(Path report) {
        String name = report.getFileName().toString();
        return name.endsWith(".md") && name.length() > 3 ? name.substring(0, name.length() - 3) : name + ".figures";
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        PrintWriter err = command.commandLine().getErr();
        boolean console = System.console() != null && System.console().isTerminal();
        Path a = model != null ? model : EmbeddedModels.model("tiny-fortunes-llama");
        Path b = other != null ? other : EmbeddedModels.model("tiny-fortunes-llama-b");
        Path policyPath = policyOut != null ? policyOut : a.resolve(Policies.FILE_NAME);
        Plan plan = Plan.standard(a, b, quick);
        String figureFolder = figureFolder(report);
        Path figures = report.toAbsolutePath().resolveSibling(figureFolder);
        List<Path> outputs = new ArrayList<>(List.of(report, json, policyPath));
        for (Family f : plan.families()) {
            for (CalibrationFigures.Stat s : CalibrationFigures.Stat.values()) {
                outputs.add(figures.resolve(CalibrationFigures.fileName(f.name(), s)));
            }
        }
        for (Path p : outputs) {
            if (!force && Files.exists(p)) {
                throw new java.nio.file.FileAlreadyExistsException(p.toString(), null, "refusing to overwrite an existing file (use --force)");
            }
        }
        Thresholds previous = previousPolicy(policyPath, err);
        CalibrationResult r = Calibration.run(plan, new Calibration.Progress() {
            @Override
            public void familyStarted(Family f) {
                out.println("== " + f.name() + " (" + f.prompts() + " prompts, " + f.maxTokens() + " tokens)");
            }

            private int index;
            private int count;

            @Override
            public void scenarioStarted(Family f, Scenario s, int index, int count) {
                this.index = index;
                this.count = count;
                err.printf(Locale.ROOT, "calibrate: %s: scenario %d/%d: %s ...%n", f.name(), index, count, s.name());
                err.flush();
            }

            @Override
            public void runDone(Family f, Scenario s, int run, int runs, double seconds) {
                // on a terminal one line rewritten in place; in a log one line per run
                err.printf(Locale.ROOT, console ? "\rcalibrate:   scenario %d/%d, run %d/%d (%.1f s)%s" : "calibrate:   scenario %d/%d, run %d/%d (%.1f s)%s",
                        index, count, run, runs, seconds, console ? (run == runs ? "\n" : "") : "\n");
                err.flush();
            }

            @Override
            public void scenarioDone(Family f, Scenario s, double seconds) {
                out.printf(Locale.ROOT, "  %-50s %.1f s%n", s.name(), seconds);
                out.flush();
            }
        });
        String md = CalibrationReport.markdown(r, Machine.current(), "./toploc calibrate" + (quick ? " --quick" : ""), figureFolder, previous);
        byte[] j = CalibrationReport.json(r);
        PolicyFile pf = r.policyFile(plan.families().get(0).name());
        SafeFiles.write(report, force, false, o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        SafeFiles.write(json, force, false, o -> o.write(j));
        SafeFiles.write(policyPath, force, false, o -> o.write(pf.toJson()));
        Map<String, byte[]> svgs = CalibrationFigures.svgs(r);
        Files.createDirectories(figures);
        for (var e : svgs.entrySet()) {
            SafeFiles.write(figures.resolve(e.getKey()), force, false, o -> o.write(e.getValue()));
        }
        out.printf(Locale.ROOT, "wrote %s, %s, %s and %d figures in %s (%.1f min)%n", report, json, policyPath, svgs.size(), figures, r.minutes());
        return 0;
    }

    /** The policy file this run will replace (its verdicts go into the report), or null when there is none or it cannot be read (said on stderr). */
    private static Thresholds previousPolicy(Path file, PrintWriter err) {
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try {
            PolicyFile pf = PolicyFile.read(file);
            return new Thresholds(pf.policy(), pf.logitMargin());
        } catch (java.io.IOException | dev.toploc.policy.PolicyFileException e) {
            err.println("calibrate: the existing " + file + " is not compared in the report: " + e.getMessage());
            return null;
        }
    }
}
