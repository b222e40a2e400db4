package dev.toploc.rollouts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.ChunkStats;

/**
 * The JSON form of results (the {@code --json} of {@code validate} and {@code verify --proofs}). Infinite
 * mantissa statistics (no exponent matched) are written as the string {@code "Infinity"}, as in the golden
 * vectors, since JSON has no infinity.
 */
public final class ResultJson {
    private ResultJson() {
    }

    public static final ObjectMapper JSON = new ObjectMapper();

    /** One sample: verdict, convention, counts, worst chunk statistics, seed/temperature when stored, reason. */
    public static ObjectNode sample(SampleResult r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("index", r.index());
        o.put("verdict", r.verdict().wireName());
        o.put("checked", r.checked());
        if (r.positions() != null) {
            o.put("positions", r.positions().wireName());
        } else {
            o.putNull("positions");
        }
        if (r.layout() != null) {
            o.put("layout", r.layout());
        } else {
            o.putNull("layout");
        }
        o.put("prompt_tokens", r.promptTokens());
        o.put("completion_tokens", r.completionTokens());
        o.put("commits", r.commits());
        o.put("failed_chunks", r.failedChunks());
        stats(o, "", r.worst());
        stats(o, "strict_", r.worstStrict());
        if (r.seed() != null) {
            o.put("seed", r.seed());
        }
        if (r.temperature() != null) {
            o.put("temperature", r.temperature());
        }
        o.put("reason", r.reason());
        return o;
    }

    /**
     * One file, as {@code validate --json} prints it: {@code file}, {@code status} (accept|reject), {@code samples},
     * {@code failing_indices}, {@code input_flops}, {@code output_flops}, {@code results} (per sample), and
     * {@code error} only when the file could not be read to its end.
     */
    public static ObjectNode file(FileResult f) {
        ObjectNode o = JSON.createObjectNode();
        o.put("file", f.file());
        o.put("status", f.status());
        o.put("samples", f.samples());
        var fi = o.putArray("failing_indices");
        f.failingIndices().forEach(fi::add);
        flops(o, "input_flops", f.inputFlops());
        flops(o, "output_flops", f.outputFlops());
        var rs = o.putArray("results");
        f.results().forEach(r -> rs.add(sample(r)));
        if (f.error() != null) {
            o.put("error", f.error());
        }
        return o;
    }

    /** FLOPs as an integer while exactly representable, else as a double. */
    private static void flops(ObjectNode o, String field, double v) {
        if (v < 0x1p53) {
            o.put(field, (long) v);
        } else {
            o.put(field, v);
        }
    }

    static void stats(ObjectNode o, String prefix, ChunkStats s) {
        if (s == null) {
            o.putNull(prefix + "max_exp_mismatches");
            o.putNull(prefix + "max_mant_err_mean");
            o.putNull(prefix + "max_mant_err_median");
            return;
        }
        o.put(prefix + "max_exp_mismatches", s.expMismatches());
        num(o, prefix + "max_mant_err_mean", s.mantErrMean());
        num(o, prefix + "max_mant_err_median", s.mantErrMedian());
    }

    static void num(ObjectNode o, String field, double d) {
        if (Double.isInfinite(d) || Double.isNaN(d)) {
            o.put(field, Double.isNaN(d) ? "NaN" : "Infinity");
        } else {
            o.put(field, d);
        }
    }
}
