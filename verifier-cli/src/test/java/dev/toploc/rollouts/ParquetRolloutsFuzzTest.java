package dev.toploc.rollouts;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.CommitFormatException;
import dev.toploc.CommitSpec;
import dev.toploc.Proofs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * Parquet rollout files ({@code verify-rollouts}, prime-rl's layout): {@link ParquetRollouts#read} on
 * arbitrary bytes (Apache Parquet's footer, page and record decoding included), then each good row's proofs
 * through {@link Proofs#read}, as the validator does before any model work. Beyond "a value or a typed
 * error" (the library's unchecked errors must arrive as {@link RolloutFormatException}): rows are numbered in
 * order, a bad row is a row with a problem, and every sample's token ids are {@code >= 0}. Seeds: a prime-rl
 * file (snappy) and a small uncompressed one with a 3-level and a 2-level list. (In this package because the
 * reader is package-private; the invariant is the one of {@code dev.toploc.fuzz.FuzzInvariant}.)
 */
class ParquetRolloutsFuzzTest {
    static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("toploc-fuzz-", ".parquet");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static void body(byte[] data) throws Exception {
        Files.write(FILE, data);
        List<Row> rows = new ArrayList<>();
        try {
            ParquetRollouts.read(FILE, Columns.PRIME_RL, rows::add);
        } catch (IOException | RolloutFormatException expected) {
            // typed rejection; rows read before it are still checked
        }
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            check(r.index() == i, "row " + i + " numbered " + r.index());
            Sample s = r.sample();
            if (s == null) {
                continue;
            }
            for (int[] ids : new int[][] {s.prompt(), s.completion()}) {
                for (int id : ids) {
                    check(id >= 0, "a negative token id " + id);
                }
            }
            try {
                Proofs.read(s.proofs(), Proofs.Layout.AUTO, CommitSpec.DEFAULT, "row " + i + " proofs");
            } catch (CommitFormatException expected) {
                // typed rejection
            }
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("Parquet rollouts: " + what);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void quick(byte[] data) throws Exception {
        body(data);
    }

    @Tag("long-fuzz")
    @FuzzTest(maxDuration = "10m")
    void long10m(byte[] data) throws Exception {
        body(data);
    }
}
