package dev.toploc.calibration;

import java.util.Locale;

/** Number formatting of the report (as the CLI's tables: three decimals, Infinity spelled out). */
final class Fmt {
    private Fmt() {
    }

    static String num(double d) {
        return Double.isInfinite(d) ? "Infinity" : String.format(Locale.ROOT, "%.3f", d);
    }

    /** A value as short as it reads exactly: 1.5, 2, 0.05. */
    static String plain(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }
}
