package dev.toploc.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.vectors.TestVectors;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyFileTest {
    static final String CFG = "a".repeat(64);
    static final String W = "b".repeat(64);
    static final PolicyFile GOOD = new PolicyFile(new AcceptancePolicy(20, 5.9, 3.0, 8, 2.25, "calibrated on test"), 0.52, Dtype.BF16, 128, CFG, W);

    @TempDir
    Path dir;

    static String json(PolicyFile p) {
        return new String(p.toJson(), StandardCharsets.UTF_8);
    }

    @Test
    void writeThenRead_isTheSameValue_andTheSameBytes() throws Exception {
        Path f = dir.resolve("p.json");
        GOOD.write(f);
        PolicyFile back = PolicyFile.read(f);
        assertEquals(GOOD, back);
        assertArrayEquals(Files.readAllBytes(f), back.toJson());
        assertThrows(FileAlreadyExistsException.class, () -> GOOD.write(f), "an existing file is never replaced");
        PolicyFile unchecked = new PolicyFile(new AcceptancePolicy(3, 1, 1, -1, "x"), 0, Dtype.FP16, 64, CFG, W);
        assertTrue(json(unchecked).contains("\"maxAvgMantErrMean\" : null"));
        assertEquals(unchecked, PolicyFile.parse(unchecked.toJson(), "t"));
    }

    @Test
    void theShippedPolicy_parses_andIsBoundToTheTinyModel() throws Exception {
        Path f = TestVectors.model("tiny-fortunes-llama").resolve(Policies.FILE_NAME);
        PolicyFile p = PolicyFile.read(f);
        assertArrayEquals(Files.readAllBytes(f), p.toJson(), "the writer writes the shipped file byte for byte");
        assertEquals(Dtype.BF16, p.dtype());
        assertEquals(128, p.topK());
        assertTrue(p.policy().source().startsWith("calibrated on tiny-fortunes-llama"), p.policy().source());
    }

    static final PolicyFile KINDS = new PolicyFile(new AcceptancePolicy(20, 5.9, 3.0, 8, 2.25, "calibrated on test",
            java.util.Map.of(AcceptancePolicy.ChunkKind.PREFILL, new AcceptancePolicy.ChunkBounds(30, 7.5, 4.0, 9),
                    AcceptancePolicy.ChunkKind.SHORT_DECODE, new AcceptancePolicy.ChunkBounds(12, 2.5, 2.0, -1))), 0.52, Dtype.BF16, 128, CFG, W);

    @Test
    void perKindBounds_areVersion2_andRoundTrip_whileAPolicyWithoutThemStaysVersion1() throws Exception {
        assertTrue(json(GOOD).contains("\"version\" : 1,") && !json(GOOD).contains("chunkKinds"), json(GOOD));
        String v2 = json(KINDS);
        assertTrue(v2.contains("\"version\" : 2,") && v2.contains("\"prefill\"") && v2.contains("\"shortDecode\""), v2);
        PolicyFile back = PolicyFile.parse(KINDS.toJson(), "t");
        assertEquals(KINDS, back);
        assertArrayEquals(KINDS.toJson(), back.toJson());
        AcceptancePolicy p = back.policy();
        assertEquals(30, p.bounds(AcceptancePolicy.ChunkKind.PREFILL).maxExpMismatches());
        assertEquals(20, p.bounds(AcceptancePolicy.ChunkKind.DECODE).maxExpMismatches(), "a kind without an entry: the policy's own bounds");
        dev.toploc.ChunkStats s = new dev.toploc.ChunkStats(128, 25, 0, 1, 1);
        assertTrue(p.violations(AcceptancePolicy.ChunkKind.PREFILL, s).isEmpty());
        assertEquals(1, p.violations(AcceptancePolicy.ChunkKind.DECODE, s).size());
        assertEquals(1, p.violations(AcceptancePolicy.ChunkKind.SHORT_DECODE, s).size());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"prefill\" : {|\"preFill\" : {|chunkKinds.preFill",
            "\"maxExpMismatches\" : 30,|\"maxExpMismatches\" : 129,|chunkKinds.prefill.maxExpMismatches",
            "\"maxExpMismatches\" : 30,|\"maxExpMismatches\" : -1,|chunkKinds.prefill.maxExpMismatches",
            "\"maxExpMismatches\" : 30,|\"maxExpMismatches\" : 30.5,|chunkKinds.prefill.maxExpMismatches",
            "\"maxExpMismatches\" : 30,|DELETE|chunkKinds.prefill.maxExpMismatches",
            "\"maxMantErrMean\" : 7.5,|\"maxMantErrMean\" : -7.5,|chunkKinds.prefill.maxMantErrMean",
            "\"maxMantErrMean\" : 7.5,|\"maxMantErrMean\" : 1e999,|chunkKinds.prefill.maxMantErrMean",
            "\"maxMantErrMedian\" : 4.0,|\"maxMantErrMedian\" : \"4\",|chunkKinds.prefill.maxMantErrMedian",
            "\"maxSignMismatches\" : 9|\"maxSignMismatches\" : 9, \"x\" : 1|chunkKinds.prefill.x",
            "\"maxSignMismatches\" : 9|\"maxSignMismatches\" : -2|chunkKinds.prefill.maxSignMismatches",
            "\"version\" : 2,|\"version\" : 1,|chunkKinds",
    })
    void anEditedKindBound_isRefused_byName(String from, String to, String field) {
        String good = json(KINDS);
        assertTrue(good.contains(from), "the test edits a field that is there: " + from);
        String bad = good.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to.equals("DELETE") ? "" : to));
        PolicyFileException e = assertThrows(PolicyFileException.class, () -> PolicyFile.parse(bad.getBytes(StandardCharsets.UTF_8), "t"), bad);
        assertEquals(field, e.field(), e.getMessage());
    }

    /** Each edit of a good file must be refused, naming the field. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"topK\" : 128,|\"topK\" : 128, \"extra\" : 1,|extra",
            "\"topK\" : 128,|DELETE|topK",
            "\"maxExpMismatches\" : 20,|\"maxExpMismatches\" : 20.0,|maxExpMismatches",
            "\"maxExpMismatches\" : 20,|\"maxExpMismatches\" : -1,|maxExpMismatches",
            "\"maxExpMismatches\" : 20,|\"maxExpMismatches\" : 129,|maxExpMismatches",
            "\"maxExpMismatches\" : 20,|\"maxExpMismatches\" : \"20\",|maxExpMismatches",
            "\"maxMantErrMean\" : 5.9,|\"maxMantErrMean\" : \"NaN\",|maxMantErrMean",
            "\"maxMantErrMean\" : 5.9,|\"maxMantErrMean\" : 1e999,|maxMantErrMean",
            "\"maxMantErrMean\" : 5.9,|\"maxMantErrMean\" : -0.5,|maxMantErrMean",
            "\"maxMantErrMedian\" : 3.0,|\"maxMantErrMedian\" : null,|maxMantErrMedian",
            "\"maxSignMismatches\" : 8,|\"maxSignMismatches\" : -2,|maxSignMismatches",
            "\"maxAvgMantErrMean\" : 2.25,|\"maxAvgMantErrMean\" : -1,|maxAvgMantErrMean",
            "\"maxAvgMantErrMean\" : 2.25,|DELETE|maxAvgMantErrMean",
            "\"logitMargin\" : 0.52,|\"logitMargin\" : -0.1,|logitMargin",
            "\"logitMargin\" : 0.52,|\"logitMargin\" : 1e400,|logitMargin",
            "\"dtype\" : \"bf16\",|\"dtype\" : \"bfloat16\",|dtype",
            "\"version\" : 1,|\"version\" : 2,|chunkKinds",
            "\"version\" : 1,|\"version\" : 3,|version",
            "\"version\" : 1,|\"version\" : 0,|version",
            "\"source\" : \"calibrated on test\"|\"source\" : \"calibrated on test\", \"chunkKinds\" : {}|chunkKinds",
            "\"version\" : 1,|DELETE|version",
            "\"weightsSha256\" : \"bbbb|\"weightsSha256\" : \"BBBB|model.weightsSha256",
            "\"configSha256\" : \"aaaa|\"configSha256\" : \"aaa|model.configSha256",
            "\"configSha256\" : \"aaaa|\"other\" : 1, \"configSha256\" : \"aaaa|model.other",
            "\"source\" : \"calibrated on test\"|\"source\" : \" \"|source",
            "\"source\" : \"calibrated on test\"|\"source\" : 7|source",
    })
    void anEditedField_isRefused_byName(String from, String to, String field) {
        String good = json(GOOD);
        assertTrue(good.contains(from), "the test edits a field that is there: " + from);
        String bad = good.replace(from, to.equals("DELETE") ? "" : to);
        PolicyFileException e = assertThrows(PolicyFileException.class, () -> PolicyFile.parse(bad.getBytes(StandardCharsets.UTF_8), "t"), bad);
        assertEquals(field, e.field(), e.getMessage());
    }

    @Test
    void wholeFileFaults_areRefused() throws Exception {
        String good = json(GOOD);
        for (String bad : new String[] {"[]", "", "{", good + " {}", good.replace("\"topK\" : 128,", "\"topK\" : 128, \"topK\" : 128,")}) {
            assertThrows(PolicyFileException.class, () -> PolicyFile.parse(bad.getBytes(StandardCharsets.UTF_8), "t"), bad);
        }
        Path big = dir.resolve("big.json");
        Files.writeString(big, good.replace("{", "{" + " ".repeat(PolicyFile.MAX_BYTES)));
        assertTrue(assertThrows(java.io.IOException.class, () -> PolicyFile.read(big)).getMessage().contains("more than the limit of " + PolicyFile.MAX_BYTES));
        assertThrows(java.io.IOException.class, () -> PolicyFile.read(dir), "a directory is not a policy file");
        // negative control: the same file without the padding parses
        Files.writeString(dir.resolve("ok.json"), good);
        assertEquals(GOOD, PolicyFile.read(dir.resolve("ok.json")));
    }

    @Test
    void theConstructor_keepsTheReadersRules() {
        assertThrows(IllegalArgumentException.class, () -> new PolicyFile(new AcceptancePolicy(200, 1, 1, 1, "x"), 0.5, Dtype.BF16, 128, CFG, W));
        assertThrows(IllegalArgumentException.class, () -> new PolicyFile(GOOD.policy(), Double.NaN, Dtype.BF16, 128, CFG, W));
        assertThrows(IllegalArgumentException.class, () -> new PolicyFile(GOOD.policy(), 0.5, Dtype.BF16, 128, CFG, "x"));
        assertThrows(IllegalArgumentException.class, () -> new PolicyFile(new AcceptancePolicy(1, Double.POSITIVE_INFINITY, 1, 1, "x"), 0.5,
                Dtype.BF16, 128, CFG, W));
    }

    @Test
    void binding_refusesOtherCommitsAndOtherWeights() throws Exception {
        GOOD.requireFits(CommitSpec.DEFAULT);
        GOOD.requireModel(CFG, W);
        assertEquals("topK", assertThrows(PolicyFileException.class, () -> GOOD.requireFits(new CommitSpec(Dtype.BF16, 64, 32))).field());
        assertEquals("dtype", assertThrows(PolicyFileException.class, () -> GOOD.requireFits(new CommitSpec(Dtype.FP16, 128, 32))).field());
        assertEquals("model.weightsSha256", assertThrows(PolicyFileException.class, () -> GOOD.requireModel(CFG, "c".repeat(64))).field());
        assertEquals("model.configSha256", assertThrows(PolicyFileException.class, () -> GOOD.requireModel("c".repeat(64), W)).field());
    }

    @Test
    void forModel_usesTheFolderPolicy_orAnnouncesTheDefaults() throws Exception {
        Policies.Choice none = Policies.forModel(dir, CommitSpec.DEFAULT, CFG, W);
        assertFalse(none.fromFile());
        assertNull(none.file());
        assertEquals(AcceptancePolicy.defaults(CommitSpec.DEFAULT).maxExpMismatches(), none.policy().maxExpMismatches());
        assertTrue(none.description().contains("reference TOPLOC defaults") && none.description().contains("no toploc-policy.json"), none.description());

        GOOD.write(dir.resolve(Policies.FILE_NAME));
        Policies.Choice own = Policies.forModel(dir, CommitSpec.DEFAULT, CFG, W);
        assertTrue(own.fromFile());
        assertEquals(20, own.policy().maxExpMismatches());
        assertEquals(0.52, own.logitMargin());
        assertTrue(own.description().contains(dir.resolve(Policies.FILE_NAME).toString()) && own.description().contains("calibrated on test"));

        // fails closed: a folder policy for other weights, or a broken one, is an error, not the defaults
        assertThrows(PolicyFileException.class, () -> Policies.forModel(dir, CommitSpec.DEFAULT, CFG, "c".repeat(64)));
        Files.writeString(dir.resolve(Policies.FILE_NAME), json(GOOD).replace("\"version\" : 1", "\"version\" : 1, \"x\" : 2"));
        assertThrows(PolicyFileException.class, () -> Policies.forModel(dir, CommitSpec.DEFAULT, CFG, W));
        Policies.Choice explicit = Policies.fromFileWithoutModel(writeGood("explicit.json"), CommitSpec.DEFAULT);
        assertTrue(explicit.description().contains("not checked: no model given"), explicit.description());
    }

    private Path writeGood(String name) throws Exception {
        Path f = dir.resolve(name);
        GOOD.write(f);
        return f;
    }
}
