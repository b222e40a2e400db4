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
        return markdown(r, machine, command, null, null);
    }

    /** The Markdown report with each family's figures embedded from {@code figures}, a folder relative to the report. */
    public static String markdown(CalibrationResult r, Machine machine, String command, String figures) {
        return markdown(r, machine, command, figures, null);
    }

    /**
     * The Markdown report with each family's {@linkplain CalibrationFigures figures} embedded from {@code figures},
     * a folder relative to the report (null: no figures); {@code previous} (may be null) is the policy file this run
     * replaces (the first family's model's), whose verdicts on the same runs the report adds.
     */
    public static String markdown(CalibrationResult r, Machine machine, String command, String figures, Thresholds previous) {
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
            sb.append(kinds(r, f, t)).append("\n\n");
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
        sb.append(serving(r));
        sb.append(whatCatches(r));
        sb.append(CalibrationMargins.markdown(r));
        sb.append(ties(r));
        if (previous != null) {
            sb.append(previous(r, previous));
        }
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

    private static final Map<AcceptancePolicy.ChunkKind, String> KIND_NAMES = Map.of(AcceptancePolicy.ChunkKind.PREFILL, "prefill chunk",
            AcceptancePolicy.ChunkKind.DECODE, "full decode chunks", AcceptancePolicy.ChunkKind.SHORT_DECODE, "short last decode chunks");

    /** The honest worst per kind of chunk on the calibration split, and the bounds of their own the policy took where they differ. */
    private static String kinds(CalibrationResult r, Family f, Thresholds t) {
        List<Measurement> honest = r.measurements().stream()
                .filter(m -> m.family().equals(f.name()) && m.honest() && m.calibrationSplit() && m.formatError() == null).toList();
        StringBuilder sb = new StringBuilder("Honest worst per kind of chunk (calibration split):");
        String sep = " ";
        for (AcceptancePolicy.ChunkKind k : AcceptancePolicy.ChunkKind.values()) {
            List<dev.toploc.ChunkStats> c = honest.stream().flatMap(m -> m.chunksOf(k).stream()).toList();
            sb.append(sep).append(KIND_NAMES.get(k)).append(" (").append(c.size()).append(" chunks)");
            if (!c.isEmpty()) {
                sb.append(String.format(Locale.ROOT, " exp %d, mean %s, median %s, sign %d", c.stream().mapToInt(dev.toploc.ChunkStats::expMismatches).max().getAsInt(),
                        Fmt.num(c.stream().mapToDouble(dev.toploc.ChunkStats::mantErrMean).max().getAsDouble()),
                        Fmt.num(c.stream().mapToDouble(dev.toploc.ChunkStats::mantErrMedian).max().getAsDouble()),
                        c.stream().mapToInt(dev.toploc.ChunkStats::signMismatches).max().getAsInt()));
            }
            sep = "; ";
        }
        sb.append(". ");
        AcceptancePolicy p = t.policy();
        if (p.byKind().isEmpty()) {
            sb.append("No kind with at least ").append(ThresholdRule.MIN_CHUNKS_PER_KIND).append(" honest chunks from at least ")
                    .append(ThresholdRule.MIN_PROMPTS_PER_KIND).append(" prompts gives other bounds than the pooled ones: one set of per-chunk bounds for every chunk.");
        } else {
            sb.append("Bounds of their own (the kind's honest worst, at least ").append(ThresholdRule.MIN_CHUNKS_PER_KIND).append(" chunks from at least ")
                    .append(ThresholdRule.MIN_PROMPTS_PER_KIND).append(" prompts, gives other bounds than the pooled ones; the other kinds are judged by the ")
                    .append("pooled bounds above):");
            sep = " ";
            for (var e : p.byKind().entrySet()) {
                AcceptancePolicy.ChunkBounds b = e.getValue();
                sb.append(sep).append(KIND_NAMES.get(e.getKey())).append(String.format(Locale.ROOT, " exp_mismatches ≤ %d, mant_err_mean ≤ %.3f, "
                        + "mant_err_median ≤ %s, sign_mismatches ≤ %d", b.maxExpMismatches(), b.maxMantErrMean(), Fmt.num(b.maxMantErrMedian()), b.maxSignMismatches()));
                sep = "; ";
            }
            sb.append('.');
        }
        return sb.toString();
    }

    /** The honest runs' false rejections per family, the rule of three, and each GPU-serving row's worst honest case. */
    private static String serving(CalibrationResult r) {
        StringBuilder sb = new StringBuilder("## Honest runs: GPU serving numerics and the false-rejection rate\n\n");
        sb.append("The `GPU:` rows are honest providers whose forward pass rounds as GPU serving kernels do (docs/runtime.md, \"Serving numerics\"); ")
                .append("their calibration-split runs are among those the thresholds are derived from. Per row, every run (both splits, all verifier modes): ")
                .append("how many the derived policy accepts, and the worst chunk seen.\n\n");
        sb.append("| family | honest row | accepted | worst: exp · mean · median · sign · avg · gap |\n|---|---|---|---|\n");
        for (Family f : r.plan().families()) {
            Thresholds t = r.thresholds().get(f.name());
            if (t == null) {
                continue;
            }
            for (var sc : byScenario(r, f).entrySet()) {
                List<Measurement> runs = sc.getValue();
                if (!runs.get(0).honest() || !sc.getKey().startsWith("GPU: ")) {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "| %s | %s | %d of %d | %s |%n", f.name(), sc.getKey(), count(runs, t::accepts), runs.size(),
                        summary(runs, true).replace(", ", " · ")));
            }
        }
        sb.append("\nFalse rejections on the evaluation split (honest runs the thresholds never saw, all rows, all verifier modes); with none of n ")
                .append("rejected, the rule of three puts the 95% upper bound on the false-rejection rate at 3/n:\n\n");
        sb.append("| family | honest evaluation runs | rejected | 95% upper bound on the false-rejection rate |\n|---|---|---|---|\n");
        long total = 0;
        long totalRejected = 0;
        for (Family f : r.plan().families()) {
            Thresholds t = r.thresholds().get(f.name());
            if (t == null) {
                continue;
            }
            List<Measurement> honest = r.measurements().stream().filter(m -> m.family().equals(f.name()) && m.honest() && !m.calibrationSplit()).toList();
            long rejected = count(honest, m -> !t.accepts(m));
            total += honest.size();
            totalRejected += rejected;
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %s |%n", f.name(), honest.size(), rejected, ruleOfThree(honest.size(), rejected)));
        }
        sb.append(String.format(Locale.ROOT, "| all families | %d | %d | %s |%n%n", total, totalRejected, ruleOfThree(total, totalRejected)));
        return sb.toString();
    }

    /** {@code 3/n = x%} when none of {@code n} was rejected; otherwise the observed rate (the rule of three does not apply). */
    static String ruleOfThree(long n, long rejected) {
        if (n == 0) {
            return "no runs";
        }
        if (rejected == 0) {
            return n < 3 ? String.format(Locale.ROOT, "3/%d: none (too few runs to bound it)", n) : String.format(Locale.ROOT, "3/%d = %.2f%%", n, 300.0 / n);
        }
        return String.format(Locale.ROOT, "observed %d/%d = %.2f%% (runs were rejected: the rule of three does not apply)", rejected, n, 100.0 * rejected / n);
    }

    /**
     * The tie-tolerant statistic ({@link Calibration#TIES}) as a calibration statistic: thresholds derived by the same
     * rule from the tolerant measurements of the calibration split, judged on the evaluation split, beside the strict ones.
     */
    private static String ties(CalibrationResult r) {
        StringBuilder sb = new StringBuilder("## The tie-tolerant statistic\n\n");
        sb.append("Every run is also measured with the tie-tolerant rule (`").append(Calibration.TIES.wireName())
                .append("`, docs/commit-format.md): thresholds derived by the same rule from those measurements of the calibration split, ")
                .append("judged on the evaluation split. It separates better if it rejects more attack runs without rejecting more honest ones.\n\n");
        sb.append("| family | statistic | exp_mismatches bound | honest accepted | attacks accepted |\n|---|---|---|---|---|\n");
        boolean anyBetter = false;
        for (Family f : r.plan().families()) {
            Thresholds strict = r.thresholds().get(f.name());
            if (strict == null) {
                continue;
            }
            List<Measurement> calib = r.measurements().stream()
                    .filter(m -> m.family().equals(f.name()) && m.honest() && m.calibrationSplit() && m.formatError() == null).map(Measurement::tieTolerant).toList();
            Thresholds tolerant = r.plan().rule().derive(calib, "tie-tolerant");
            List<Measurement> eval = r.measurements().stream().filter(m -> m.family().equals(f.name()) && !m.calibrationSplit()).toList();
            List<Measurement> honest = eval.stream().filter(Measurement::honest).toList();
            List<Measurement> attacks = eval.stream().filter(m -> !m.honest()).toList();
            long hs = count(honest, strict::accepts);
            long as = count(attacks, strict::accepts);
            long ht = count(honest, m -> tolerant.accepts(m.tieTolerant()));
            long at = count(attacks, m -> tolerant.accepts(m.tieTolerant()));
            sb.append(String.format(Locale.ROOT, "| %s | strict (the policy's) | %d | %d of %d | %d of %d |%n", f.name(), strict.policy().maxExpMismatches(), hs,
                    honest.size(), as, attacks.size()));
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %d of %d | %d of %d |%n", f.name(), Calibration.TIES.wireName(),
                    tolerant.policy().maxExpMismatches(), ht, honest.size(), at, attacks.size()));
            anyBetter |= ht >= hs && at < as;
        }
        sb.append('\n').append(anyBetter
                ? "The tie-tolerant statistic separates better on at least one family above; the policy format does not carry it yet, so the derived "
                        + "policy keeps the strict statistic."
                : "The tie-tolerant statistic does not separate better on any family: the policy keeps the strict, reference-compatible statistic.")
                .append("\n\n");
        return sb.toString();
    }

    /** The policy file this run replaces, on the same runs: the honest rows it would reject. */
    private static String previous(CalibrationResult r, Thresholds prev) {
        Family f = r.plan().families().get(0);
        AcceptancePolicy p = prev.policy();
        StringBuilder sb = new StringBuilder("## The policy this run replaces\n\n");
        sb.append(String.format(Locale.ROOT, "The policy file the run found for `%s` (%s: exp_mismatches ≤ %d, mant_err_mean ≤ %.3f, mant_err_median ≤ %s, "
                        + "sign_mismatches ≤ %d, average ≤ %.3f, logit gap ≤ %.3f) on this run's measurements of %s, both splits, all verifier modes:%n%n",
                f.name(), p.source(), p.maxExpMismatches(), p.maxMantErrMean(), Fmt.num(p.maxMantErrMedian()), p.maxSignMismatches(), p.maxAvgMantErrMean(),
                prev.logitMargin(), f.name()));
        List<Measurement> all = r.measurements().stream().filter(m -> m.family().equals(f.name())).toList();
        List<Measurement> honest = all.stream().filter(Measurement::honest).toList();
        List<Measurement> attacks = all.stream().filter(m -> !m.honest()).toList();
        sb.append(String.format(Locale.ROOT, "It accepts %d of %d honest runs and %d of %d attack runs.", count(honest, prev::accepts), honest.size(),
                count(attacks, prev::accepts), attacks.size()));
        Map<String, List<Measurement>> rejected = new LinkedHashMap<>();
        honest.stream().filter(m -> !prev.accepts(m)).forEach(m -> rejected.computeIfAbsent(m.scenario(), k -> new ArrayList<>()).add(m));
        if (rejected.isEmpty()) {
            sb.append(" It rejects no honest run.\n\n");
            return sb.toString();
        }
        sb.append(" Honest rows it rejects:\n\n");
        for (var e : rejected.entrySet()) {
            Measurement first = e.getValue().get(0);
            long of = honest.stream().filter(m -> m.scenario().equals(e.getKey())).count();
            sb.append(String.format(Locale.ROOT, "- %s: %d of %d runs rejected; e.g. verifier %s, prompt %d: %s%n", e.getKey(), e.getValue().size(), of,
                    first.mode().wireName(), first.prompt(), String.join("; ", prev.violations(first))));
        }
        return sb.append('\n').toString();
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
            if (!a.byKind().isEmpty()) {
                ObjectNode k = p.putObject("chunkKinds");
                for (var b : a.byKind().entrySet()) {
                    k.putObject(b.getKey().wireName()).put("maxExpMismatches", b.getValue().maxExpMismatches()).put("maxMantErrMean", b.getValue().maxMantErrMean())
                            .put("maxMantErrMedian", b.getValue().maxMantErrMedian()).put("maxSignMismatches", b.getValue().maxSignMismatches());
                }
            }
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
