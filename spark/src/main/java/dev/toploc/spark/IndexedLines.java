package dev.toploc.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * A JSON-lines file as Spark text, each non-blank line with the index the rollouts library gives it (its rank
 * among the file's non-blank lines) and its 1-based line number, whatever the split: a first pass counts each
 * split's lines and non-blank lines, the driver adds them up, a second pass numbers the lines.
 */
final class IndexedLines {
    private IndexedLines() {
    }

    /** A non-blank line. */
    record Line(int index, int lineNo, String text) implements Serializable {
    }

    static JavaRDD<Line> read(JavaSparkContext sc, String uri, int minPartitions) {
        JavaRDD<String> text = sc.textFile(uri, minPartitions);
        List<long[]> counts = text.mapPartitionsWithIndex((part, it) -> {
            long lines = 0;
            long nonBlank = 0;
            while (it.hasNext()) {
                lines++;
                if (!it.next().isBlank()) {
                    nonBlank++;
                }
            }
            return List.of(new long[] {part, lines, nonBlank}).iterator();
        }, true).collect();
        int parts = text.getNumPartitions();
        long[] firstLine = new long[parts];
        long[] firstIndex = new long[parts];
        long[][] byPart = new long[parts][];
        for (long[] c : counts) {
            byPart[(int) c[0]] = c;
        }
        long l = 0;
        long n = 0;
        for (int p = 0; p < parts; p++) {
            firstLine[p] = l;
            firstIndex[p] = n;
            l += byPart[p][1];
            n += byPart[p][2];
        }
        if (l > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(uri + ": " + l + " lines, more than " + Integer.MAX_VALUE);
        }
        Broadcast<long[][]> offsets = sc.broadcast(new long[][] {firstLine, firstIndex});
        return text.mapPartitionsWithIndex((part, it) -> {
            long line = offsets.value()[0][part];
            long index = offsets.value()[1][part];
            List<Line> out = new ArrayList<>();
            while (it.hasNext()) {
                String s = it.next();
                line++;
                if (!s.isBlank()) {
                    out.add(new Line((int) index++, (int) line, s));
                }
            }
            return out.iterator();
        }, true);
    }

}
