package dev.toploc.rollouts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes rollout files in prime-rl's schema with the real Parquet writer (parquet-hadoop's example writer on
 * a LocalOutputFile, snappy as pyarrow's default): lists as pyarrow writes them (3-level LIST of
 * {@code element}), {@code proofs} binary, the text and reward columns beside.
 */
final class PrimeRlParquet {
    private PrimeRlParquet() {
    }

    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message schema {
              optional group input_tokens (LIST) { repeated group list { optional int32 element; } }
              optional group output_tokens (LIST) { repeated group list { optional int32 element; } }
              optional binary prompt (STRING);
              optional binary completion (STRING);
              optional float advantages;
              optional float rewards;
              optional float task_rewards;
              optional binary proofs;
              optional int32 step;
              optional binary task_type (STRING);
              optional int64 seed;
              optional float temperature;
            }
            """);

    /** One row; a null array or proofs leaves the field null (a malformed row). */
    record RowData(int[] prompt, int[] completion, byte[] proofs, long seed, float temperature) {
    }

    static void write(Path file, List<RowData> rows) throws IOException {
        SimpleGroupFactory f = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(file)).withConf(new PlainParquetConfiguration())
                .withType(SCHEMA).withCompressionCodec(CompressionCodecName.SNAPPY).withRowGroupSize(64L << 10).build()) {
            for (RowData r : rows) {
                Group g = f.newGroup();
                list(g, "input_tokens", r.prompt());
                list(g, "output_tokens", r.completion());
                g.add("prompt", "a prompt");
                g.add("completion", "a completion");
                g.add("advantages", 0.5f);
                g.add("rewards", 1.0f);
                g.add("task_rewards", 1.0f);
                if (r.proofs() != null) {
                    g.add("proofs", Binary.fromConstantByteArray(r.proofs()));
                }
                g.add("step", 3);
                g.add("task_type", "fortunes");
                g.add("seed", r.seed());
                g.add("temperature", r.temperature());
                w.write(g);
            }
        }
    }

    private static void list(Group g, String name, int[] ids) {
        if (ids == null) {
            return;
        }
        Group list = g.addGroup(name);
        for (int id : ids) {
            list.addGroup("list").append("element", id);
        }
    }
}
