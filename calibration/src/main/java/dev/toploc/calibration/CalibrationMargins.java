package dev.toploc.calibration;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The report's margins: for each attack and family, how far the attack's evaluation run closest to passing
 * is beyond the derived thresholds. A run's margin is its largest ratio of a statistic to its bound (the
 * check it fails most clearly); the cell is the smallest margin over the runs, with the statistic that sets
 * it, so every run of the cell exceeds some bound at least that many times.
 */
final class CalibrationMargins {
    private CalibrationMargins() {
    }

    /** A run's margin and the statistic that gives it. */
    record Margin(double ratio, String stat) {
    }

    /** {@code m}'s margin under {@code t}: a format error is an infinite margin. */
    static Margin of(Measurement m, Thresholds t) {
        if (m.formatError() != null) {
            return new Margin(Double.POSITIVE_INFINITY, "format");
        }
        Margin best = new Margin(0, "none");
        for (CalibrationFigures.Stat s : CalibrationFigures.Stat.values()) {
            double bound = s.bound.applyAsDouble(t);
            if (bound < 0) {
                continue;       // a check the policy turns off
            }
            double v = s.value.applyAsDouble(m);
            double ratio = Double.isNaN(v) ? Double.POSITIVE_INFINITY : v / bound;
            if (ratio > best.ratio()) {
                best = new Margin(ratio, s.key);
            }
        }
        return best;
    }

    static String markdown(CalibrationResult r) {
        List<Family> families = r.plan().families().stream().filter(f -> r.thresholds().containsKey(f.name())).toList();
        Set<String> attacks = new LinkedHashSet<>();
        families.forEach(f -> f.scenarios().stream().filter(s -> !s.honest()).forEach(s -> attacks.add(s.name())));
        StringBuilder sb = new StringBuilder("## How far each attack is from passing\n\n");
        sb.append("For each attack's evaluation runs (all modes): a run's margin is the largest ratio of one of its statistics to the derived ")
                .append("bound (`exp`, `mean`, `median`, `sign`, `avg`, `gap` as in the tables); the cell is the smallest margin of its runs ")
                .append("and the statistic giving it, so every run exceeds a bound at least that many times. A cell where runs pass says how many.\n\n");
        sb.append("| attack |");
        families.forEach(f -> sb.append(' ').append(f.name()).append(" |"));
        sb.append("\n|---|").append("---|".repeat(families.size())).append('\n');
        for (String a : attacks) {
            sb.append("| ").append(a).append(" |");
            for (Family f : families) {
                Thresholds t = r.thresholds().get(f.name());
                List<Measurement> runs = r.measurements().stream().filter(m -> m.family().equals(f.name()) && m.scenario().equals(a) && !m.calibrationSplit())
                        .toList();
                sb.append(' ').append(cell(runs, t)).append(" |");
            }
            sb.append('\n');
        }
        return sb.append('\n').toString();
    }

    private static String cell(List<Measurement> runs, Thresholds t) {
        if (runs.isEmpty()) {
            return "—";
        }
        long pass = runs.stream().filter(t::accepts).count();
        if (pass > 0) {
            return "**passes " + pass + " of " + runs.size() + "**";
        }
        List<Margin> margins = new ArrayList<>();
        runs.forEach(m -> margins.add(of(m, t)));
        Margin min = margins.stream().min(java.util.Comparator.comparingDouble(Margin::ratio)).orElseThrow();
        if (min.stat().equals("format")) {
            return "format error";
        }
        return Double.isInfinite(min.ratio()) ? "× ∞ (" + min.stat() + ")" : String.format(Locale.ROOT, "× %.2f (%s)", min.ratio(), min.stat());
    }
}
