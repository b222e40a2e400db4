package dev.toploc.calibration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.policy.Policies;
import dev.toploc.runtime.ComputeMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * The calibration report, rendered from a {@link CalibrationResult} and the {@link Machine} only: every
 * number in it is measured or is a parameter of the plan (the rule, the commit spec, the sampling). The
 * Markdown has one table per family (and, given a folder, its {@linkplain CalibrationFigures figures}) and the
 * attacks' margins; the JSON has the derived thresholds and every measurement.
 */
public final class CalibrationReport {
    private CalibrationReport() {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The Markdown report. {@code command} is how the run was started (shown so it can be repeated).
     */
    public static String markdown(CalibrationResult r, Machine machine, String command) {
        return markdown(r, machine, command, null);
    }

    /**
     * The Markdown report with each family's {@linkplain CalibrationFigures figures} embedded from {@code figures},
     * a folder relative to the report (null: no figures).
     */
    public static String markdown(CalibrationResult r, Machine machine, String command, String figures) {
        Plan plan = r.plan();
        CommitSpec spec = plan.spec();
        ThresholdRule rule = plan.rule();
        StringBuilder sb = new StringBuilder();
        sb.append("# Calibration: what verification catches\n\n");
        sb.append("Written by `").append(command).append("` on ").append(r.date()).append(" (").append(String.format(Locale.ROOT, "%.1f", r.minutes()))
                .append(" min) on ").append(machine.describe()).append(". Commits: ").append(spec.dtype().wireName()).append(", k = ").append(spec.topK())
                .append(", chunks of ").append(spec.chunkSize()).append(", prefill chunk on. Provider sampling: temperature ")
                .append(Fmt.plain(Scenario.Decoding.SEEDED.temperature())).append(", seed ").append(Scenario.Decoding.SEEDED.seed())
                .append(" unless the row says otherwise. Reproduce with the same command.\n\n");
        sb.append("**Method.** For each scenario a provider generates (or forges) a claim for each prompt of the family; the verifier recomputes ")
                .append("it in each compute mode (columns) and measures every chunk and the token replay. Thresholds come from the honest runs of the ")
                .append("**even** prompts by the rule *honest worst × ").append(Fmt.plain(rule.factor())).append("* (floors: ")
                .append(rule.minMismatches()).append(" exponent or sign mismatches, mantissa mean ").append(Fmt.plain(rule.minMantMean()))
                .append(", median ").append(Fmt.plain(rule.minMantMedian())).append(", sequence average ").append(Fmt.plain(rule.minAvgMantMean()))
                .append(", logit gap ").append(Fmt.plain(rule.minLogitMargin())).append("); the table shows pass rates on the **odd** prompts, which the ")
                .append("thresholds never saw. A cell: pass rate · then, for honest rows, the worst chunk seen (the closest to failing) and, for attack ")
                .append("rows, the attack's best-hidden sample (the closest to passing): exponent mismatches, mantissa mean and median, sign ")
                .append("mismatches (each the worst chunk of a sequence), the sequence's average of chunk mantissa means (`avg`), and the ")
                .append("largest token-replay logit gap.\n\n");
        for (Family f : plan.families()) {
            Thresholds t = r.thresholds().get(f.name());
            sb.append("## ").append(f.name()).append("\n\n");
            sb.append(describe(f)).append("\n\n");
            if (t == null) {
                sb.append("No honest run could be checked: no policy derived.\n\n");
                continue;
            }
            AcceptancePolicy p = t.policy();
            sb.append(String.format(Locale.ROOT, "Derived policy: per chunk exp_mismatches ≤ %d, mant_err_mean ≤ %.3f, mant_err_median ≤ %s, "
                            + "sign_mismatches ≤ %d; per sequence average mant_err_mean ≤ %.3f; token logit gap ≤ %.3f.%n%n",
                    p.maxExpMismatches(), p.maxMantErrMean(), Fmt.num(p.maxMantErrMedian()), p.maxSignMismatches(), p.maxAvgMantErrMean(), t.logitMargin()));
            sb.append("|").append(" scenario | must |");
            for (ComputeMode m : plan.verifierModes()) {
                sb.append(" verifier ").append(m.wireName()).append(" |");
            }
            sb.append("\n|---|---|").append("---|".repeat(plan.verifierModes().size())).append('\n');
            for (var sc : byScenario(r, f).entrySet()) {
                boolean honest = sc.getValue().get(0).honest();
                sb.append("| ").append(sc.getKey()).append(" | ").append(honest ? "pass" : "fail");
                for (ComputeMode m : plan.verifierModes()) {
                    sb.append(" | ").append(cell(sc.getValue().stream().filter(s -> s.mode() == m).toList(), t));
                }
                sb.append(" |\n");
            }
            sb.append('\n');
            if (figures != null) {
                sb.append(CalibrationFigures.markdown(r, f, figures));
            }
        }
        sb.append(findings(r));
        sb.append(whatCatches(r));
        sb.append(CalibrationMargins.markdown(r));
        sb.append(defaults(r));
        return sb.toString();
    }

    private static String describe(Family f) {
        return "Models: " + source(f.model()) + "; another model of the same kind (substitution): " + source(f.other()) + ". " + f.prompts()
                + " prompts (even: calibration, odd: evaluation), " + f.maxTokens() + " tokens per completion unless the row says otherwise.";
    }

    private static String source(Family.ModelSource s) {
        return switch (s) {
            case Family.ModelSource.Folder(java.nio.file.Path dir) -> "`" + dir.getFileName() + "`";
            case Family.ModelSource.Random(String name, var shape, String dtype, long seed) -> String.format(Locale.ROOT,
                    "random %s (hidden %d, MLP %d, %d layers, %d heads / %d KV heads, vocabulary %d, N(0, 0.02) weights, %s, seed %d)",
                    shape.modelType(), shape.hidden(), shape.intermediate(), shape.layers(), shape.heads(), shape.kvHeads(), shape.vocab(), dtype, seed);
        };
    }

    private static Map<String, List<Measurement>> byScenario(CalibrationResult r, Family f) {
        Map<String, List<Measurement>> m = new LinkedHashMap<>();
        r.measurements().stream().filter(s -> s.family().equals(f.name())).forEach(s -> m.computeIfAbsent(s.scenario(), k -> new ArrayList<>()).add(s));
        return m;
    }

    private static String cell(List<Measurement> cell, Thresholds t) {
        List<Measurement> eval = cell.stream().filter(s -> !s.calibrationSplit()).toList();
        if (eval.isEmpty()) {
            return "—";
        }
        long pass = eval.stream().filter(t::accepts).count();
        String rate = Math.round(100.0 * pass / eval.size()) + "%";
        if (eval.get(0).formatError() != null) {
            return rate + " · format error";
        }
        boolean honest = eval.get(0).honest();
        // honest: the worst sample (closest to failing); attack: the best-hidden sample (closest to passing)
        Measurement pick = honest ? eval.stream().max(Comparator.comparingDouble(Measurement::worstExp)).get()
                : eval.stream().min(Comparator.comparingDouble(Measurement::worstExp)).get();
        double mean = extreme(eval, Measurement::worstMean, honest);
        double median = extreme(eval, Measurement::worstMedian, honest);
        int sign = (int) extreme(eval, Measurement::worstSign, honest);
        double gap = extreme(eval, Measurement::worstGap, honest);
        double avg = extreme(eval, Measurement::avgMean, honest);
        return String.format(Locale.ROOT, "%s · exp %d · mean %s · med %s · sign %d · avg %.2f · gap %.2f", rate, pick.worstExp(),
                Fmt.num(mean).replace(".000", ""), Fmt.num(median).replace(".000", ""), sign, avg, gap);
    }

    /** The maximum (honest: closest to failing) or minimum (attack: closest to passing) of {@code f} over {@code runs}. */
    private static double extreme(List<Measurement> runs, ToDoubleFunction<Measurement> f, boolean max) {
        return max ? runs.stream().mapToDouble(f).max().getAsDouble() : runs.stream().mapToDouble(f).min().getAsDouble();
    }

    /** Every cell that is not as it must be, with the measurements that say why. */
    private static String findings(CalibrationResult r) {
        StringBuilder sb = new StringBuilder("## Cells that are not as they must be\n\n");
        Map<String, List<Measurement>> cells = new LinkedHashMap<>();
        r.measurements().stream().filter(s -> !s.calibrationSplit())
                .forEach(s -> cells.computeIfAbsent(s.family() + " | " + s.scenario(), k -> new ArrayList<>()).add(s));
        Map<String, Scenario> scenarios = new LinkedHashMap<>();
        r.plan().families().forEach(f -> f.scenarios().forEach(s -> scenarios.putIfAbsent(s.name(), s)));
        int n = 0;
        for (var e : cells.entrySet()) {
            Measurement first = e.getValue().get(0);
            Thresholds t = r.thresholds().get(first.family());
            if (t == null) {
                continue;
            }
            long pass = e.getValue().stream().filter(t::accepts).count();
            boolean wrong = first.honest() ? pass < e.getValue().size() : pass > 0;
            if (!wrong) {
                continue;
            }
            n++;
            sb.append(String.format(Locale.ROOT, "- **%s**: %s passes %d of %d evaluation runs (all modes). ", first.family(), first.scenario(), pass,
                    e.getValue().size()));
            if (first.honest()) {
                Measurement worst = e.getValue().stream().filter(m -> !t.accepts(m)).findFirst().orElseThrow();
                sb.append("A rejected run (").append(worst.mode().wireName()).append(", prompt ").append(worst.prompt()).append("): ")
                        .append(String.join("; ", t.violations(worst))).append(". The calibration split did not contain a run this noisy; ")
                        .append("more prompts or a larger factor would admit it.");
            } else {
                List<Measurement> passed = e.getValue().stream().filter(t::accepts).toList();
                sb.append("Its passing runs reach at most ").append(summary(passed, true)).append("; the family's honest evaluation runs reach ")
                        .append(summary(r.measurements().stream().filter(m -> m.family().equals(first.family()) && m.honest() && !m.calibrationSplit()
                                && m.formatError() == null).toList(), true)).append(".");
                long same = passed.stream().filter(m -> m.replayMismatches() == 0).count();
                if (same > 0) {
                    sb.append(' ').append(same).append(" of the passing runs carry exactly the tokens the replay chooses.");
                }
                Scenario s = scenarios.get(first.scenario());
                if (s != null && !s.note().isEmpty()) {
                    sb.append(' ').append(s.note());
                }
            }
            sb.append('\n');
        }
        if (n == 0) {
            sb.append("None: every honest cell passes 100% and every attack cell 0%.\n");
        }
        return sb.append('\n').toString();
    }

    /** The largest (or smallest) of each statistic over {@code runs}, in words. */
    private static String summary(List<Measurement> runs, boolean max) {
        if (runs.isEmpty()) {
            return "(no runs)";
        }
        return String.format(Locale.ROOT, "exp %d, mean %s, median %s, sign %d, avg %.2f, gap %.2f", (int) extreme(runs, Measurement::worstExp, max),
                Fmt.num(extreme(runs, Measurement::worstMean, max)), Fmt.num(extreme(runs, Measurement::worstMedian, max)),
                (int) extreme(runs, Measurement::worstSign, max), extreme(runs, Measurement::avgMean, max), extreme(runs, Measurement::worstGap, max));
    }

    /** Per family, which check rejects the attacks' evaluation runs: the chunk bounds, else the sequence bound, else the token replay. */
    private static String whatCatches(CalibrationResult r) {
        StringBuilder sb = new StringBuilder("## Which check catches the attacks\n\n");
        sb.append("Attack runs on the evaluation prompts (all modes), each counted once, by the first check that rejects it: a format error, ")
                .append("a per-chunk bound, the sequence-average bound (every chunk within its bounds), the token replay (the commits pass).\n\n");
        sb.append("| family | attack runs | format error | chunk bounds | sequence average only | token replay only | not caught |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (Family f : r.plan().families()) {
            Thresholds t = r.thresholds().get(f.name());
            if (t == null) {
                continue;
            }
            List<Measurement> attacks = r.measurements().stream().filter(m -> m.family().equals(f.name()) && !m.honest() && !m.calibrationSplit()).toList();
            long format = count(attacks, m -> m.formatError() != null);
            long chunk = count(attacks, m -> m.formatError() == null && !t.passesChunks(m));
            long seq = count(attacks, m -> t.passesChunks(m) && !t.passesCommits(m));
            long replay = count(attacks, m -> t.passesCommits(m) && !t.accepts(m));
            long none = count(attacks, t::accepts);
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d |%n", f.name(), attacks.size(), format, chunk, seq, replay, none));
        }
        return sb.append('\n').toString();
    }

    private static long count(List<Measurement> runs, Predicate<Measurement> p) {
        return runs.stream().filter(p).count();
    }

    /** What the reference defaults would have done with the same runs. */
    private static String defaults(CalibrationResult r) {
        CommitSpec spec = r.plan().spec();
        Thresholds ref = new Thresholds(AcceptancePolicy.defaults(spec), Policies.REFERENCE_LOGIT_MARGIN);
        AcceptancePolicy d = ref.policy();
        StringBuilder sb = new StringBuilder("## The default policy\n\n");
        sb.append(String.format(Locale.ROOT, "Without a policy file (none given, none in the model folder) `toploc verify` uses the reference's "
                        + "thresholds and says so: for %s, k = %d, exp_mismatches ≤ %d, mant_err_mean ≤ %s, mant_err_median ≤ %s, token logit gap ≤ %s "
                        + "(%s). On the same evaluation runs:%n%n", spec.dtype().wireName(), spec.topK(), d.maxExpMismatches(), Fmt.plain(d.maxMantErrMean()),
                Fmt.plain(d.maxMantErrMedian()), Fmt.plain(ref.logitMargin()), d.source()));
        sb.append("| family | honest runs accepted: derived / reference | attack runs accepted: derived / reference |\n|---|---|---|\n");
        for (Family f : r.plan().families()) {
            Thresholds t = r.thresholds().get(f.name());
            if (t == null) {
                continue;
            }
            List<Measurement> eval = r.measurements().stream().filter(m -> m.family().equals(f.name()) && !m.calibrationSplit()).toList();
            List<Measurement> honest = eval.stream().filter(Measurement::honest).toList();
            List<Measurement> attacks = eval.stream().filter(m -> !m.honest()).toList();
            sb.append(String.format(Locale.ROOT, "| %s | %d / %d of %d | %d / %d of %d |%n", f.name(), count(honest, t::accepts), count(honest, ref::accepts),
                    honest.size(), count(attacks, t::accepts), count(attacks, ref::accepts), attacks.size()));
        }
        sb.append("\nA model's own policy file (`toploc calibrate --model DIR` writes it into the folder, where `toploc verify` finds it) is the way ")
                .append("to use what this table measures.\n");
        sb.append("\nThe commits measured here are this project's (ties at the k-th magnitude to the lower index). Proofs of the Python stack ")
                .append("(torch's top-k breaks ties its own way) are checked with the tie-tolerant rule, the default of `check`, `verify --proofs` ")
                .append("and `validate`, under which torch's tie choice costs 0 mismatches; measured strictly it adds up to 5 exponent mismatches per ")
                .append("chunk on the reference's 1000 × 5120 bf16 workload (torch 1.13; `test-vectors/torch-ties`, docs/commit-format.md).\n");
        return sb.toString();
    }

    /** The JSON report: the derived thresholds by family and every measurement with its split and verdict. */
    public static byte[] json(CalibrationResult r) {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode ps = n.putObject("policies");
        for (var e : r.thresholds().entrySet()) {
            ObjectNode p = ps.putObject(e.getKey());
            AcceptancePolicy a = e.getValue().policy();
            p.put("maxExpMismatches", a.maxExpMismatches());
            p.put("maxMantErrMean", a.maxMantErrMean());
            p.put("maxMantErrMedian", a.maxMantErrMedian());
            p.put("maxSignMismatches", a.maxSignMismatches());
            p.put("maxAvgMantErrMean", a.maxAvgMantErrMean());
            p.put("logitMargin", e.getValue().logitMargin());
        }
        ArrayNode a = n.putArray("samples");
        for (Measurement s : r.measurements()) {
            ObjectNode o = a.addObject();
            o.put("family", s.family());
            o.put("scenario", s.scenario());
            o.put("honest", s.honest());
            o.put("verifierMode", s.mode().wireName());
            o.put("prompt", s.prompt());
            o.put("split", s.calibrationSplit() ? "calibration" : "evaluation");
            if (s.formatError() != null) {
                o.put("formatError", s.formatError());
            } else {
                o.put("worstExpMismatches", s.worstExp());
                putNum(o, "worstMantErrMean", s.worstMean());
                putNum(o, "worstMantErrMedian", s.worstMedian());
                o.put("worstSignMismatches", s.worstSign());
                o.put("worstLogitGap", s.worstGap());
                o.put("replayMismatches", s.replayMismatches());
                putNum(o, "avgMantErrMean", s.avgMean());
            }
            Thresholds t = r.thresholds().get(s.family());
            o.put("passes", t != null && t.accepts(s));
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bug: the report tree did not serialize", e);
        }
    }

    private static void putNum(ObjectNode o, String f, double d) {
        if (Double.isInfinite(d)) {
            o.put(f, "Infinity");
        } else {
            o.put(f, d);
        }
    }
}
