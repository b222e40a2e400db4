package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.Proofs;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * Stored proofs ({@code verify-rollouts}, {@code verify --proofs}): {@link Proofs#read} in every layout, for
 * the default spec (v1, k = 128) and for a small w32 one (fp32, k = 2: records short enough for the fuzzer to
 * build whole ones). Beyond "a value or a typed error": every commit read has the spec's k and encoding, the
 * layout reported is a concrete one, the reader holds no more commits than whole records fit in the input
 * (its allocation is bounded by the input), binary input is exactly the concatenation of the commits'
 * bytes, and the commits read back unchanged from their canonical base64, one per line.
 */
class ProofsFuzzTest {
    static final List<CommitSpec> SPECS = List.of(CommitSpec.DEFAULT, new CommitSpec(Dtype.FP32, 2, 32));

    static void body(byte[] data) throws Exception {
        for (CommitSpec spec : SPECS) {
            for (Proofs.Layout layout : Proofs.Layout.values()) {
                FuzzInvariant.typedOrValue(() -> check(data, layout, spec));
            }
        }
    }

    static void check(byte[] data, Proofs.Layout layout, CommitSpec spec) throws Exception {
        Proofs.Parsed p = Proofs.read(data, layout, spec, "fuzz");
        List<Commit> cs = p.commits();
        require(p.layout() != Proofs.Layout.AUTO, "reported layout auto");
        require(layout == Proofs.Layout.AUTO || layout == p.layout()
                || (layout == Proofs.Layout.BASE64_CONCATENATED && p.layout() == Proofs.Layout.LINES), "layout " + layout + " read as " + p.layout());
        long smallest = Math.min(Proofs.recordBytes(spec), Proofs.recordChars(spec));
        require(cs.size() * smallest <= data.length, cs.size() + " commits from " + data.length + " bytes");
        ByteArrayOutputStream bin = new ByteArrayOutputStream();
        StringBuilder lines = new StringBuilder();
        for (Commit c : cs) {
            require(c.k() == spec.topK() && c.encoding() == spec.encoding(), "a commit of k " + c.k() + " / " + c.encoding() + " for " + spec);
            bin.write(c.toBytes());
            lines.append(c.toBase64()).append('\n');
        }
        if (p.layout() == Proofs.Layout.BINARY) {
            require(java.util.Arrays.equals(bin.toByteArray(), data), "binary input is not the concatenation of the commits read");
        }
        List<Commit> again = Proofs.read(lines.toString().getBytes(StandardCharsets.US_ASCII), Proofs.Layout.LINES, spec, "again").commits();
        require(again.equals(cs), "commits changed through their base64");
    }

    static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("proofs reader: " + what);
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
