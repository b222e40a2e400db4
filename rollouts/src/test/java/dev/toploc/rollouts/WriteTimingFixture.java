package dev.toploc.rollouts;

import dev.toploc.PositionConvention;
import dev.toploc.runtime.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an honest prime-rl Parquet file of N samples from the tiny model, for the timing in
 * docs/runtime.md ({@code java -cp … dev.toploc.rollouts.WriteTimingFixture OUT.parquet N COMPLETION_TOKENS}).
 * Not a test: a tool the measurement uses.
 */
public final class WriteTimingFixture {
    private WriteTimingFixture() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        int tokens = Integer.parseInt(args[2]);
        List<PrimeRlParquet.RowData> rows = new ArrayList<>();
        try (Model tiny = Model.load(Fixtures.TINY)) {
            for (int i = 0; i < n; i++) {
                String[] t = Fixtures.TEXTS[i % Fixtures.TEXTS.length];
                int[] p = Fixtures.bytes(t[0]);
                StringBuilder c = new StringBuilder();
                while (c.length() < tokens) {
                    c.append(t[1]);
                }
                int[] ids = Fixtures.bytes(c.substring(0, tokens));
                ids[0] = 'a' + i % 26;   // no two samples alike
                PositionConvention conv = i % 2 == 0 ? PositionConvention.PRODUCED : PositionConvention.DECODE_STEPS;
                rows.add(new PrimeRlParquet.RowData(p, ids, Fixtures.proofs(tiny, p, ids, conv, 0), 1000 + i, 0.6f));
            }
        }
        PrimeRlParquet.write(out, rows);
    }
}
