package dev.toploc.rollouts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The per-sample table of one or more files' results, as Parquet (snappy) or JSON lines: one row per
 * sample with the fields of {@link ResultJson#sample} and the file it came from. Written to a stream the
 * caller opened (the CLI writes to a temporary file and moves it into place, never over an existing one).
 */
public final class ResultTable {
    private ResultTable() {
    }

    /** {@code parquet} for names ending {@code .parquet}, {@code jsonl} for {@code .jsonl}/{@code .ndjson}, else null. */
    public static String formatFor(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return n.endsWith(".parquet") ? "parquet" : n.endsWith(".jsonl") || n.endsWith(".ndjson") ? "jsonl" : null;
    }

    public static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message toploc_validate {
              required binary file (STRING);
              required int32 index;
              required binary verdict (STRING);
              required boolean checked;
              optional binary positions (STRING);
              optional binary layout (STRING);
              required int32 prompt_tokens;
              required int32 completion_tokens;
              required int32 commits;
              required int32 failed_chunks;
              optional int32 max_exp_mismatches;
              optional double max_mant_err_mean;
              optional double max_mant_err_median;
              optional int32 strict_max_exp_mismatches;
              optional double strict_max_mant_err_mean;
              optional double strict_max_mant_err_median;
              optional int64 seed;
              optional double temperature;
              required binary reason (STRING);
            }
            """);

    public static void writeJsonLines(OutputStream out, List<FileResult> files) throws IOException {
        for (FileResult f : files) {
            for (SampleResult r : f.results()) {
                ObjectNode o = ResultJson.JSON.createObjectNode();
                o.put("file", f.file());
                o.setAll(ResultJson.sample(r));
                out.write(ResultJson.JSON.writeValueAsBytes(o));
                out.write('\n');
            }
        }
    }

    public static void writeParquet(OutputStream out, List<FileResult> files) throws IOException {
        SimpleGroupFactory g = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new StreamOutputFile(out)).withConf(new PlainParquetConfiguration())
                .withType(SCHEMA).withCompressionCodec(CompressionCodecName.SNAPPY).build()) {
            for (FileResult f : files) {
                for (SampleResult r : f.results()) {
                    Group row = g.newGroup();
                    row.add("file", f.file());
                    row.add("index", r.index());
                    row.add("verdict", r.verdict().wireName());
                    row.add("checked", r.checked());
                    if (r.positions() != null) {
                        row.add("positions", r.positions().wireName());
                    }
                    if (r.layout() != null) {
                        row.add("layout", r.layout());
                    }
                    row.add("prompt_tokens", r.promptTokens());
                    row.add("completion_tokens", r.completionTokens());
                    row.add("commits", r.commits());
                    row.add("failed_chunks", r.failedChunks());
                    if (r.worst() != null) {
                        row.add("max_exp_mismatches", r.worst().expMismatches());
                        row.add("max_mant_err_mean", r.worst().mantErrMean());
                        row.add("max_mant_err_median", r.worst().mantErrMedian());
                    }
                    if (r.worstStrict() != null) {
                        row.add("strict_max_exp_mismatches", r.worstStrict().expMismatches());
                        row.add("strict_max_mant_err_mean", r.worstStrict().mantErrMean());
                        row.add("strict_max_mant_err_median", r.worstStrict().mantErrMedian());
                    }
                    if (r.seed() != null) {
                        row.add("seed", r.seed());
                    }
                    if (r.temperature() != null) {
                        row.add("temperature", r.temperature());
                    }
                    row.add("reason", r.reason());
                    w.write(row);
                }
            }
        }
    }

    /** Parquet output to a stream the caller owns: positions counted, close only flushes. */
    static final class StreamOutputFile implements OutputFile {
        private final OutputStream out;

        StreamOutputFile(OutputStream out) {
            this.out = out;
        }

        @Override
        public PositionOutputStream create(long blockSizeHint) {
            return new PositionOutputStream() {
                long pos;

                @Override
                public long getPos() {
                    return pos;
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                    pos++;
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    pos += len;
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }

                @Override
                public void close() throws IOException {
                    out.flush();   // the caller owns the stream
                }
            };
        }

        @Override
        public PositionOutputStream createOrOverwrite(long blockSizeHint) {
            return create(blockSizeHint);
        }

        @Override
        public boolean supportsBlockSize() {
            return false;
        }

        @Override
        public long defaultBlockSize() {
            return 0;
        }
    }
}
