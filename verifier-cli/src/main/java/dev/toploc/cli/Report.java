package dev.toploc.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkStats;
import dev.toploc.VerificationReport;
import dev.toploc.runtime.InferenceVerifier;
import java.io.PrintWriter;
import java.util.Locale;

/** The per-chunk table and its JSON twin. */
final class Report {
    private Report() {
    }

    /**
     * JSON out: every non-ASCII character and DEL written as {@code \\uXXXX} (controls below U+0020 always
     * are), so a report printed to a terminal carries no raw control, bidi override or separator that an
     * attested string put there; the JSON itself is unchanged.
     */
    static final ObjectMapper JSON = new ObjectMapper(new com.fasterxml.jackson.core.JsonFactoryBuilder()
            .characterEscapes(new AsciiEscapes())
            .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII).build());

    /** Jackson's standard escapes plus DEL. */
    private static final class AsciiEscapes extends com.fasterxml.jackson.core.io.CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii;

        AsciiEscapes() {
            ascii = standardAsciiEscapesForJSON();
            ascii[0x7F] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public com.fasterxml.jackson.core.SerializableString getEscapeSequence(int ch) {
            return null;
        }
    }

    static void table(PrintWriter out, VerificationReport r) {
        out.println("chunk  rows          exp_mis  sign_mis  mant_mean  mant_median  verdict");
        for (VerificationReport.ChunkResult c : r.chunks()) {
            ChunkStats s = c.stats();
            String rows = (c.chunk().prefill() ? "P " : "D ") + c.chunk().firstRow() + ".." + (c.chunk().endRow() - 1);
            out.printf(Locale.ROOT, "%5d  %-12s  %7d  %8d  %9s  %11s  %s%n", c.chunk().index(), rows, s.expMismatches(), s.signMismatches(),
                    num(s.mantErrMean()), num(s.mantErrMedian()), c.passed() ? "pass" : "FAIL (" + Terminal.escape(String.join(", ", c.violations())) + ")");
        }
        double avg = r.chunks().stream().mapToDouble(c -> c.stats().mantErrMean()).average().orElse(0);
        out.printf(Locale.ROOT, "sequence: average mant_err_mean %s%s%n", num(avg),
                r.sequenceViolations().isEmpty() ? "" : "  FAIL (" + Terminal.escape(String.join(", ", r.sequenceViolations())) + ")");
        AcceptancePolicy p = r.policy();
        StringBuilder kinds = new StringBuilder();
        for (var e : p.byKind().entrySet()) {
            AcceptancePolicy.ChunkBounds b = e.getValue();
            kinds.append(String.format(Locale.ROOT, "; %s chunks: exp_mismatches <= %d, mant_err_mean <= %s, mant_err_median <= %s%s", e.getKey().wireName(),
                    b.maxExpMismatches(), num(b.maxMantErrMean()), num(b.maxMantErrMedian()),
                    b.maxSignMismatches() >= 0 ? ", sign_mismatches <= " + b.maxSignMismatches() : ""));
        }
        out.printf(Locale.ROOT, "policy: exp_mismatches <= %d, mant_err_mean <= %s, mant_err_median <= %s%s%s%s (%s)%n",
                p.maxExpMismatches(), num(p.maxMantErrMean()), num(p.maxMantErrMedian()),
                p.maxSignMismatches() >= 0 ? ", sign_mismatches <= " + p.maxSignMismatches() : "",
                Double.isInfinite(p.maxAvgMantErrMean()) ? "" : ", average mant_err_mean <= " + num(p.maxAvgMantErrMean()), kinds, Terminal.escape(p.source()));
    }

    static String num(double d) {
        return Double.isInfinite(d) ? "Infinity" : String.format(Locale.ROOT, "%.3f", d);
    }

    /**
     * {@code check --json}: the head ({@link JsonOutcome#head}: verdict, exit code, stage {@code commits}, the
     * rejection as message) and the report's fields.
     */
    static ObjectNode json(VerificationReport r) {
        return JsonOutcome.head(null, r.accepted() ? Toploc.ACCEPTED : Toploc.REJECTED, "commits", r.accepted() ? null : "commits",
                r.accepted() ? "accepted" : "rejected: " + r.rejection() + "; policy: " + r.policy().source(), body(r));
    }

    /** The policy's thresholds; one without a sequence-average limit has {@code maxAvgMantErrMean: null} ({@link #putNum}). */
    static ObjectNode policy(AcceptancePolicy policy) {
        ObjectNode p = JSON.createObjectNode();
        p.put("maxExpMismatches", policy.maxExpMismatches());
        putNum(p, "maxMantErrMean", policy.maxMantErrMean());
        putNum(p, "maxMantErrMedian", policy.maxMantErrMedian());
        p.put("maxSignMismatches", policy.maxSignMismatches());
        putNum(p, "maxAvgMantErrMean", policy.maxAvgMantErrMean());
        p.put("source", policy.source());
        if (!policy.byKind().isEmpty()) {        // a version-2 policy's bounds of their own, as in the policy file
            ObjectNode k = p.putObject("chunkKinds");
            for (var e : policy.byKind().entrySet()) {
                AcceptancePolicy.ChunkBounds b = e.getValue();
                k.putObject(e.getKey().wireName()).put("maxExpMismatches", b.maxExpMismatches()).put("maxMantErrMean", b.maxMantErrMean())
                        .put("maxMantErrMedian", b.maxMantErrMedian()).put("maxSignMismatches", b.maxSignMismatches());
            }
        }
        return p;
    }

    /** The commits' part of a report: accepted, policy, sequence violations, chunks. */
    static ObjectNode body(VerificationReport r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("accepted", r.accepted());
        n.set("policy", policy(r.policy()));
        ArrayNode seq = n.putArray("sequenceViolations");
        r.sequenceViolations().forEach(seq::add);
        ArrayNode chunks = n.putArray("chunks");
        for (VerificationReport.ChunkResult c : r.chunks()) {
            ObjectNode o = chunks.addObject();
            o.put("index", c.chunk().index());
            o.put("prefill", c.chunk().prefill());
            o.put("firstRow", c.chunk().firstRow());
            o.put("rows", c.chunk().rowCount());
            o.put("expMismatches", c.stats().expMismatches());
            o.put("signMismatches", c.stats().signMismatches());
            putNum(o, "mantErrMean", c.stats().mantErrMean());
            putNum(o, "mantErrMedian", c.stats().mantErrMedian());
            if (!c.strictStats().equals(c.stats())) {   // tie-tolerant: the reference-compatible statistics beside
                ObjectNode st = o.putObject("strict");
                st.put("expMismatches", c.strictStats().expMismatches());
                st.put("signMismatches", c.strictStats().signMismatches());
                putNum(st, "mantErrMean", c.strictStats().mantErrMean());
                putNum(st, "mantErrMedian", c.strictStats().mantErrMedian());
            }
            o.put("passed", c.passed());
            ArrayNode v = o.putArray("violations");
            c.violations().forEach(v::add);
        }
        return n;
    }

    /**
     * A number, never a non-finite one: JSON has no infinity or NaN, so {@code d} infinite or NaN is written as
     * {@code null} and named in the object's {@code nonFinite} field, {@code {"f": "Infinity"|"-Infinity"|"NaN"}}
     * (docs/cli.md, "JSON output").
     */
    static void putNum(ObjectNode o, String f, double d) {
        if (Double.isFinite(d)) {
            o.put(f, d);
        } else {
            o.putNull(f);
            (o.get("nonFinite") instanceof ObjectNode x ? x : o.putObject("nonFinite"))
                    .put(f, Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        }
    }

    static void tokens(PrintWriter out, InferenceVerifier.Report r) {
        if (r.tokensReplayed() == 0) {
            out.println("token replay: off");
            return;
        }
        out.printf(Locale.ROOT, "token replay: %d tokens, %d outside the margin (worst logit gap %.3f)%n", r.tokensReplayed(),
                r.tokens().size(), r.worstTokenGap());
        r.tokens().stream().limit(5).forEach(t -> out.println("  " + Terminal.escape(t.reason())));
        out.println("termination: " + (r.termination() == null ? "ok" : "FAIL (" + Terminal.escape(r.termination()) + ")"));
    }

    /** {@code verify --json}'s report fields (the head is added by the command, {@link JsonOutcome#head}). */
    static ObjectNode json(InferenceVerifier.Report r) {
        ObjectNode n = body(r.commits());
        n.put("accepted", r.accepted());
        n.put("modelChecked", r.modelChecked());
        ObjectNode t = n.putObject("tokenReplay");
        t.put("tokens", r.tokensReplayed());
        putNum(t, "worstLogitGap", r.worstTokenGap());
        ArrayNode f = t.putArray("failures");
        for (InferenceVerifier.TokenFailure x : r.tokens()) {
            ObjectNode o = f.addObject().put("index", x.index()).put("position", x.position()).put("token", x.token()).put("expected", x.expected());
            putNum(o, "gap", x.gap());
        }
        n.put("termination", r.termination() == null ? "ok" : r.termination());
        return n;
    }
}
