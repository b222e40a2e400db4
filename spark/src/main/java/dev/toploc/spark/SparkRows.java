package dev.toploc.spark;

import dev.toploc.ChunkStats;
import dev.toploc.PositionConvention;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.Row;
import dev.toploc.rollouts.Sample;
import dev.toploc.rollouts.SampleResult;
import dev.toploc.rollouts.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Between Spark's rows and the rollouts library's values: a row Spark read from a rollout Parquet file as a
 * {@link Row} (with the messages of the library's own reader for missing values and negative ids), and a
 * {@link SampleResult} as a row of the per-sample result table ({@link #RESULT_SCHEMA}) and back.
 */
final class SparkRows {
    private SparkRows() {
    }

    /** A list with more ids than this is a malformed row (as in the library's Parquet reader). */
    static final int MAX_IDS = 1 << 24;

    /**
     * The per-sample table: the columns of {@code toploc validate -o} ({@link dev.toploc.rollouts.ResultTable#SCHEMA}),
     * then the format, the full worst-chunk statistics (k and sign mismatches) and the sample's prefill and check times.
     */
    static final StructType RESULT_SCHEMA = new StructType(new StructField[] {
        field("file", DataTypes.StringType, false),
        field("index", DataTypes.IntegerType, false),
        field("verdict", DataTypes.StringType, false),
        field("checked", DataTypes.BooleanType, false),
        field("positions", DataTypes.StringType, true),
        field("layout", DataTypes.StringType, true),
        field("prompt_tokens", DataTypes.IntegerType, false),
        field("completion_tokens", DataTypes.IntegerType, false),
        field("commits", DataTypes.IntegerType, false),
        field("failed_chunks", DataTypes.IntegerType, false),
        field("max_exp_mismatches", DataTypes.IntegerType, true),
        field("max_mant_err_mean", DataTypes.DoubleType, true),
        field("max_mant_err_median", DataTypes.DoubleType, true),
        field("strict_max_exp_mismatches", DataTypes.IntegerType, true),
        field("strict_max_mant_err_mean", DataTypes.DoubleType, true),
        field("strict_max_mant_err_median", DataTypes.DoubleType, true),
        field("seed", DataTypes.LongType, true),
        field("temperature", DataTypes.DoubleType, true),
        field("reason", DataTypes.StringType, false),
        field("format", DataTypes.StringType, false),
        field("k", DataTypes.IntegerType, true),
        field("max_sign_mismatches", DataTypes.IntegerType, true),
        field("strict_k", DataTypes.IntegerType, true),
        field("strict_max_sign_mismatches", DataTypes.IntegerType, true),
        field("prefill_nanos", DataTypes.LongType, false),
        field("check_nanos", DataTypes.LongType, false),
    });

    private static StructField field(String name, DataType t, boolean nullable) {
        return DataTypes.createStructField(name, t, nullable);
    }

    /** A result as a table row. */
    static org.apache.spark.sql.Row toSpark(String file, String format, SampleResult r) {
        ChunkStats w = r.worst();
        ChunkStats s = r.worstStrict();
        return RowFactory.create(file, r.index(), r.verdict().wireName(), r.checked(), r.positions() == null ? null : r.positions().wireName(),
                r.layout(), r.promptTokens(), r.completionTokens(), r.commits(), r.failedChunks(),
                w == null ? null : w.expMismatches(), w == null ? null : w.mantErrMean(), w == null ? null : w.mantErrMedian(),
                s == null ? null : s.expMismatches(), s == null ? null : s.mantErrMean(), s == null ? null : s.mantErrMedian(),
                r.seed(), r.temperature(), r.reason(), format,
                w == null ? null : w.k(), w == null ? null : w.signMismatches(), s == null ? null : s.k(), s == null ? null : s.signMismatches(),
                r.prefillNanos(), r.checkNanos());
    }

    /** A table row as the result it was (without the per-chunk report, which the CLI does not keep either). */
    static SampleResult fromSpark(org.apache.spark.sql.Row x) {
        ChunkStats w = x.isNullAt(10) ? null : new ChunkStats(x.getInt(20), x.getInt(10), x.getInt(21), x.getDouble(11), x.getDouble(12));
        ChunkStats s = x.isNullAt(13) ? null : new ChunkStats(x.getInt(22), x.getInt(13), x.getInt(23), x.getDouble(14), x.getDouble(15));
        return new SampleResult(x.getInt(1), Verdict.valueOf(x.getString(2).toUpperCase(Locale.ROOT).replace('-', '_')), x.getBoolean(3),
                x.isNullAt(4) ? null : PositionConvention.fromWireName(x.getString(4)), x.isNullAt(5) ? null : x.getString(5), x.getInt(6), x.getInt(7),
                x.getInt(8), x.getInt(9), w, s, x.isNullAt(16) ? null : x.getLong(16), x.isNullAt(17) ? null : x.getDouble(17), x.getString(18), null,
                x.getLong(24), x.getLong(25));
    }

    /** Where the columns of a projected rollout row are ({@code -1}: the file has no such column). */
    record Layout(String prompt, String completion, String proofs, String seed, int seedAt, String temperature, int temperatureAt, int rowIndexAt)
            implements java.io.Serializable {
    }

    /** A projected rollout row as the library's {@link Row}. */
    static Row toRow(org.apache.spark.sql.Row g, Layout l, StructType schema) {
        int index = (int) g.getLong(l.rowIndexAt());
        try {
            int[] p = ids(g, 0, l.prompt(), schema);
            int[] c = ids(g, 1, l.completion(), schema);
            byte[] proofs = proofs(g, 2, l.proofs(), schema);
            Long seed = l.seedAt() < 0 || g.isNullAt(l.seedAt()) ? null : integer(g, l.seedAt(), l.seed(), schema);
            Double temp = l.temperatureAt() < 0 || g.isNullAt(l.temperatureAt()) ? null : real(g, l.temperatureAt(), l.temperature(), schema);
            return new Row(index, new Sample(index, p, c, proofs, seed, temp), null);
        } catch (BadRow e) {
            return new Row(index, null, e.getMessage());
        }
    }

    /** A row field that is not what it must be. */
    static final class BadRow extends Exception {
        private static final long serialVersionUID = 1L;

        BadRow(String message) {
            super(message, null, false, false);
        }
    }

    private static int[] ids(org.apache.spark.sql.Row g, int at, String name, StructType schema) throws BadRow {
        if (g.isNullAt(at)) {
            throw new BadRow(name + " is null (expected a list of token ids)");
        }
        DataType t = schema.fields()[at].dataType();
        if (!(t instanceof ArrayType a)) {
            throw new BadRow(name + " has type " + t.simpleString() + ", expected a list of token ids");
        }
        DataType et = a.elementType();
        if (!(et.equals(DataTypes.IntegerType) || et.equals(DataTypes.LongType) || et.equals(DataTypes.ShortType) || et.equals(DataTypes.ByteType))) {
            throw new BadRow(name + " holds " + et.simpleString() + " values, expected integer token ids");
        }
        List<Object> values = g.getList(at);
        if (values.size() > MAX_IDS) {
            throw new BadRow(name + " has " + values.size() + " ids, more than " + MAX_IDS);
        }
        int[] out = new int[values.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = values.get(i);
            if (v == null) {
                throw new BadRow(name + " element " + i + " is null (expected a token id)");
            }
            long x = ((Number) v).longValue();
            if (x < 0 || x > Integer.MAX_VALUE) {
                throw new BadRow(name + " element " + i + " is " + x + " (expected a token id >= 0)");
            }
            out[i] = (int) x;
        }
        return out;
    }

    private static byte[] proofs(org.apache.spark.sql.Row g, int at, String name, StructType schema) throws BadRow {
        if (g.isNullAt(at)) {
            throw new BadRow(name + " is null (expected binary proofs; prime-rl stores b\"\" for outputs of at most one token)");
        }
        DataType t = schema.fields()[at].dataType();
        if (t.equals(DataTypes.BinaryType)) {
            return (byte[]) g.get(at);
        }
        if (t.equals(DataTypes.StringType)) {
            return g.getString(at).getBytes(StandardCharsets.UTF_8);
        }
        if (t instanceof ArrayType a && a.elementType().equals(DataTypes.StringType)) {
            // a list of base64 strings: read as the JSON list layout, as the library's reader builds it
            List<Object> list = g.getList(at);
            StringBuilder json = new StringBuilder("[");
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) == null) {
                    throw new BadRow(name + " element " + i + " is null (expected a base64 proof)");
                }
                json.append(i > 0 ? "," : "").append(ResultJson.JSON.valueToTree(list.get(i)).toString());
            }
            return json.append(']').toString().getBytes(StandardCharsets.UTF_8);
        }
        throw new BadRow(name + " has type " + t.simpleString() + ", expected binary (or a string, or a list of base64 strings)");
    }

    private static long integer(org.apache.spark.sql.Row g, int at, String name, StructType schema) throws BadRow {
        DataType t = schema.fields()[at].dataType();
        if (t.equals(DataTypes.LongType) || t.equals(DataTypes.IntegerType) || t.equals(DataTypes.ShortType) || t.equals(DataTypes.ByteType)) {
            return ((Number) g.get(at)).longValue();
        }
        throw new BadRow(name + " holds " + t.simpleString() + " values, expected integer token ids");
    }

    private static double real(org.apache.spark.sql.Row g, int at, String name, StructType schema) throws BadRow {
        DataType t = schema.fields()[at].dataType();
        if (t.equals(DataTypes.DoubleType)) {
            return g.getDouble(at);
        }
        if (t.equals(DataTypes.FloatType)) {
            return Double.parseDouble(Float.toString(g.getFloat(at)));   // the float as written (0.6, not 0.6000000238)
        }
        if (t.equals(DataTypes.IntegerType) || t.equals(DataTypes.LongType)) {
            return ((Number) g.get(at)).doubleValue();
        }
        throw new BadRow(name + " is " + t.simpleString() + ", expected a number");
    }
}
