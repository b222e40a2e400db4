package dev.toploc.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.io.UntrustedFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A calibrated policy file, format version 1 or {@value #VERSION} ({@code docs/policy-format.md}): the
 * {@link AcceptancePolicy} thresholds and the token-replay logit margin for one model's weights and one
 * commit dtype and k, as {@code toploc calibrate} writes it into the model folder as
 * {@value Policies#FILE_NAME}.
 *
 * <pre>{@code
 * {"version": 1, "model": {"configSha256": "<64 hex>", "weightsSha256": "<64 hex>"}, "dtype": "bf16", "topK": 128,
 *  "maxExpMismatches": 20, "maxMantErrMean": 5.95, "maxMantErrMedian": 3.0, "maxSignMismatches": 8,
 *  "maxAvgMantErrMean": 2.27, "logitMargin": 0.52, "source": "calibrated on ..."}
 * }</pre>
 *
 * <p>Parsing is strict: at most {@value #MAX_BYTES} bytes of a regular file; one JSON object with exactly
 * these fields (none missing, none unknown, none twice); integers where integers are due; every threshold
 * finite and in range ({@code 0 <= maxExpMismatches <= topK}, {@code -1 <= maxSignMismatches <= topK}, the
 * mantissa bounds and the margin {@code >= 0}); {@code maxAvgMantErrMean} is {@code null} when the sequence
 * bound is not checked and {@code maxSignMismatches} is {@code -1} when signs are not checked. Any fault
 * is a {@link PolicyFileException} naming the field. The same rules hold for the constructor, so the writer
 * never writes a file the reader refuses.
 *
 * @param policy        the thresholds; its {@link AcceptancePolicy#source() source} is the file's {@code source}
 * @param logitMargin   the token replay's margin in logits (finite, {@code >= 0})
 * @param dtype         the commit dtype the thresholds were measured for
 * @param topK          the commits' k
 * @param configSha256  hex sha256 of the calibrated model's {@code config.json}
 * @param weightsSha256 hex sha256 over the calibrated model's weight-file digests (as in the attestation)
 */
public record PolicyFile(AcceptancePolicy policy, double logitMargin, Dtype dtype, int topK, String configSha256, String weightsSha256) {
    /**
     * The newest format version: 2 adds {@code chunkKinds} (bounds of their own for the prefill chunk, full or
     * short decode chunks). Version 1 files are read as before; a policy without per-kind bounds is written
     * as version 1, byte for byte as before.
     */
    public static final int VERSION = 2;
    /** Files larger than this are refused before parsing. */
    public static final int MAX_BYTES = 64 << 10;
    /** Longest {@code source} accepted. */
    public static final int MAX_SOURCE_CHARS = 1000;

    static final List<String> FIELDS = List.of("version", "model", "dtype", "topK", "maxExpMismatches", "maxMantErrMean", "maxMantErrMedian",
            "maxSignMismatches", "maxAvgMantErrMean", "logitMargin", "source");
    /** Version 2's fields: version 1's and {@code chunkKinds}. */
    static final List<String> FIELDS_V2 = java.util.stream.Stream.concat(FIELDS.stream(), java.util.stream.Stream.of("chunkKinds")).toList();
    static final List<String> MODEL_FIELDS = List.of("configSha256", "weightsSha256");
    static final List<String> BOUNDS_FIELDS = List.of("maxExpMismatches", "maxMantErrMean", "maxMantErrMedian", "maxSignMismatches");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(MAX_BYTES).build())
            .build())
            .configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true)
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);

    public PolicyFile {
        if (policy == null || dtype == null || configSha256 == null || weightsSha256 == null) {
            throw new NullPointerException("policy, dtype and both digests are required");
        }
        String[] p = problem(policy, logitMargin, topK, configSha256, weightsSha256);
        if (p != null) {
            throw new IllegalArgumentException(p[0] + ": " + p[1]);
        }
    }

    /** The first rule the values break, as {field, message}; null when none. One rule set for reader and writer. */
    private static String[] problem(AcceptancePolicy p, double logitMargin, int topK, String configSha256, String weightsSha256) {
        if (topK < 1 || topK > 65497) {
            return new String[] {"topK", "topK " + topK + " is out of range (expected 1..65497)"};
        }
        if (p.maxExpMismatches() > topK) {
            return new String[] {"maxExpMismatches", "maxExpMismatches " + p.maxExpMismatches() + " is out of range (expected 0..topK = " + topK + ")"};
        }
        if (p.maxSignMismatches() < -1 || p.maxSignMismatches() > topK) {
            return new String[] {"maxSignMismatches", "maxSignMismatches " + p.maxSignMismatches()
                    + " is out of range (expected -1 for unchecked, or 0..topK = " + topK + ")"};
        }
        if (!Double.isFinite(p.maxMantErrMean())) {
            return new String[] {"maxMantErrMean", "maxMantErrMean " + p.maxMantErrMean() + " is not finite (expected a number >= 0)"};
        }
        if (!Double.isFinite(p.maxMantErrMedian())) {
            return new String[] {"maxMantErrMedian", "maxMantErrMedian " + p.maxMantErrMedian() + " is not finite (expected a number >= 0)"};
        }
        if (Double.isNaN(p.maxAvgMantErrMean()) || p.maxAvgMantErrMean() == Double.NEGATIVE_INFINITY) {
            return new String[] {"maxAvgMantErrMean", "maxAvgMantErrMean " + p.maxAvgMantErrMean() + " (expected a number >= 0, or unchecked)"};
        }
        for (var e : p.byKind().entrySet()) {
            String f = "chunkKinds." + e.getKey().wireName();
            AcceptancePolicy.ChunkBounds b = e.getValue();
            if (b.maxExpMismatches() > topK) {
                return new String[] {f + ".maxExpMismatches", f + ".maxExpMismatches " + b.maxExpMismatches() + " is out of range (expected 0..topK = "
                        + topK + ")"};
            }
            if (b.maxSignMismatches() < -1 || b.maxSignMismatches() > topK) {
                return new String[] {f + ".maxSignMismatches", f + ".maxSignMismatches " + b.maxSignMismatches()
                        + " is out of range (expected -1 for unchecked, or 0..topK = " + topK + ")"};
            }
        }
        if (!(logitMargin >= 0) || !Double.isFinite(logitMargin)) {
            return new String[] {"logitMargin", "logitMargin " + logitMargin + " is out of range (expected a finite number >= 0)"};
        }
        String s = p.source();
        if (s.length() > MAX_SOURCE_CHARS || s.chars().anyMatch(Character::isISOControl)) {
            return new String[] {"source", "source must be at most " + MAX_SOURCE_CHARS + " characters without control characters"};
        }
        if (!SHA256.matcher(configSha256).matches()) {
            return new String[] {"model.configSha256", "model.configSha256 '" + abbrev(configSha256) + "' is not a sha256 (expected 64 lowercase hex digits)"};
        }
        if (!SHA256.matcher(weightsSha256).matches()) {
            return new String[] {"model.weightsSha256", "model.weightsSha256 '" + abbrev(weightsSha256) + "' is not a sha256 (expected 64 lowercase hex digits)"};
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ reading

    /** Reads and strictly parses {@code file} (a regular file of at most {@link #MAX_BYTES} bytes). */
    public static PolicyFile read(Path file) throws IOException, PolicyFileException {
        byte[] bytes = UntrustedFiles.read(file, MAX_BYTES, "policy file");   // regular files only, bounded while reading
        return parse(bytes, "policy file " + file);
    }

    /** Strictly parses a policy file's bytes; {@code origin} names them in messages. */
    public static PolicyFile parse(byte[] json, String origin) throws PolicyFileException {
        if (json.length > MAX_BYTES) {
            throw new PolicyFileException("", origin + " exceeds the limit of " + MAX_BYTES + " bytes");
        }
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new PolicyFileException("", origin + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new PolicyFileException("", origin + " cannot be parsed: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new PolicyFileException("", origin + " is not a JSON object (expected a toploc policy file, version " + VERSION + ")");
        }
        // The version first: a file of another version gets that message, not one about its fields.
        JsonNode v = n.get("version");
        if (v == null) {
            throw new PolicyFileException("version", origin + ": field 'version' is missing (expected " + VERSION
                    + "; see docs/policy-format.md)");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1 || v.intValue() > VERSION) {
            throw new PolicyFileException("version", origin + ": version " + v + " is not supported (expected 1.." + VERSION + ")");
        }
        int version = v.intValue();
        onlyFields(n, version == 1 ? FIELDS : FIELDS_V2, "", origin);
        JsonNode model = required(n, "model", origin);
        if (!model.isObject()) {
            throw new PolicyFileException("model", origin + ": model must be an object with " + MODEL_FIELDS);
        }
        onlyFields(model, MODEL_FIELDS, "model.", origin);
        String config = text(model, "configSha256", "model.configSha256", origin);
        String weights = text(model, "weightsSha256", "model.weightsSha256", origin);
        String dtypeName = text(n, "dtype", "dtype", origin);
        Dtype dtype = null;
        for (Dtype d : Dtype.values()) {
            if (d.wireName().equals(dtypeName)) {
                dtype = d;
            }
        }
        if (dtype == null) {
            throw new PolicyFileException("dtype", origin + ": dtype '" + abbrev(dtypeName) + "' is not a commit dtype (expected one of "
                    + java.util.Arrays.stream(Dtype.values()).map(Dtype::wireName).toList() + ")");
        }
        int topK = integer(n, "topK", origin);
        int maxExp = integer(n, "maxExpMismatches", origin);
        double mean = number(n, "maxMantErrMean", origin);
        double median = number(n, "maxMantErrMedian", origin);
        int sign = integer(n, "maxSignMismatches", origin);
        JsonNode avgNode = required(n, "maxAvgMantErrMean", origin);
        double avg = avgNode.isNull() ? Double.POSITIVE_INFINITY : number(n, "maxAvgMantErrMean", origin);
        double margin = number(n, "logitMargin", origin);
        String source = text(n, "source", "source", origin);
        if (maxExp < 0) {
            throw new PolicyFileException("maxExpMismatches", origin + ": maxExpMismatches " + maxExp + " is out of range (expected 0..topK = " + topK + ")");
        }
        for (String f : new String[] {"maxMantErrMean", "maxMantErrMedian", "maxAvgMantErrMean", "logitMargin"}) {
            double d = f.equals("maxMantErrMean") ? mean : f.equals("maxMantErrMedian") ? median : f.equals("logitMargin") ? margin : avg;
            if (!(d >= 0)) {
                throw new PolicyFileException(f, origin + ": " + f + " " + d + " is out of range (expected a number >= 0)");
            }
        }
        if (source.isBlank()) {
            throw new PolicyFileException("source", origin + ": source is blank (expected where the thresholds come from)");
        }
        java.util.Map<AcceptancePolicy.ChunkKind, AcceptancePolicy.ChunkBounds> kinds = version == 1 ? java.util.Map.of() : kinds(n, origin);
        AcceptancePolicy p = new AcceptancePolicy(maxExp, mean, median, sign, avg, source, kinds);
        String[] bad = problem(p, margin, topK, config, weights);
        if (bad != null) {
            throw new PolicyFileException(bad[0], origin + ": " + bad[1]);
        }
        return new PolicyFile(p, margin, dtype, topK, config, weights);
    }

    /** Version 2's {@code chunkKinds}: a non-empty object whose keys are kind names, each with exactly {@link #BOUNDS_FIELDS}. */
    private static java.util.Map<AcceptancePolicy.ChunkKind, AcceptancePolicy.ChunkBounds> kinds(JsonNode n, String origin) throws PolicyFileException {
        JsonNode k = required(n, "chunkKinds", origin);
        List<String> names = java.util.Arrays.stream(AcceptancePolicy.ChunkKind.values()).map(AcceptancePolicy.ChunkKind::wireName).toList();
        if (!k.isObject() || k.isEmpty()) {
            throw new PolicyFileException("chunkKinds", origin + ": chunkKinds must be a non-empty object with some of " + names
                    + " (a policy without per-kind bounds is version 1)");
        }
        java.util.Map<AcceptancePolicy.ChunkKind, AcceptancePolicy.ChunkBounds> out = new java.util.EnumMap<>(AcceptancePolicy.ChunkKind.class);
        for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            String path = "chunkKinds." + name;
            AcceptancePolicy.ChunkKind kind = null;
            for (AcceptancePolicy.ChunkKind c : AcceptancePolicy.ChunkKind.values()) {
                if (c.wireName().equals(name)) {
                    kind = c;
                }
            }
            if (kind == null) {
                throw new PolicyFileException(path, origin + ": unknown chunk kind '" + abbrev(name) + "' (expected one of " + names + ")");
            }
            JsonNode b = k.get(name);
            if (!b.isObject()) {
                throw new PolicyFileException(path, origin + ": " + path + " must be an object with " + BOUNDS_FIELDS);
            }
            onlyFields(b, BOUNDS_FIELDS, path + ".", origin);
            int exp = integer(b, "maxExpMismatches", path + ".maxExpMismatches", origin);
            double mean = number(b, "maxMantErrMean", path + ".maxMantErrMean", origin);
            double median = number(b, "maxMantErrMedian", path + ".maxMantErrMedian", origin);
            int sign = integer(b, "maxSignMismatches", path + ".maxSignMismatches", origin);
            if (exp < 0) {
                throw new PolicyFileException(path + ".maxExpMismatches", origin + ": " + path + ".maxExpMismatches " + exp
                        + " is out of range (expected 0..topK)");
            }
            for (String f : new String[] {"maxMantErrMean", "maxMantErrMedian"}) {
                double d = f.equals("maxMantErrMean") ? mean : median;
                if (!(d >= 0)) {
                    throw new PolicyFileException(path + "." + f, origin + ": " + path + "." + f + " " + d + " is out of range (expected a number >= 0)");
                }
            }
            out.put(kind, new AcceptancePolicy.ChunkBounds(exp, mean, median, sign));
        }
        return out;
    }

    private static void onlyFields(JsonNode n, List<String> allowed, String prefix, String origin) throws PolicyFileException {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new PolicyFileException(prefix + f, origin + ": unknown field '" + prefix + abbrev(f) + "' (expected only " + allowed + ")");
            }
        }
        for (String f : allowed) {
            if (!n.has(f)) {
                throw new PolicyFileException(prefix + f, origin + ": field '" + prefix + f + "' is missing");
            }
        }
    }

    private static JsonNode required(JsonNode n, String f, String origin) throws PolicyFileException {
        JsonNode v = n.get(f);
        if (v == null) {
            throw new PolicyFileException(f, origin + ": field '" + f + "' is missing");
        }
        return v;
    }

    private static String text(JsonNode n, String f, String path, String origin) throws PolicyFileException {
        JsonNode v = n.get(f);
        if (v == null || !v.isTextual()) {
            throw new PolicyFileException(path, origin + ": " + path + " must be a string, not " + (v == null ? "missing" : v.getNodeType()));
        }
        return v.textValue();
    }

    private static int integer(JsonNode n, String f, String origin) throws PolicyFileException {
        return integer(n, f, f, origin);
    }

    /** Field {@code f} of {@code n}, named {@code path} in messages. */
    private static int integer(JsonNode n, String f, String path, String origin) throws PolicyFileException {
        JsonNode v = n.get(f);
        if (v == null) {
            throw new PolicyFileException(path, origin + ": field '" + path + "' is missing");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new PolicyFileException(path, origin + ": " + path + " must be an integer, not " + abbrev(v.toString()));
        }
        return v.intValue();
    }

    private static double number(JsonNode n, String f, String origin) throws PolicyFileException {
        return number(n, f, f, origin);
    }

    private static double number(JsonNode n, String f, String path, String origin) throws PolicyFileException {
        JsonNode v = n.get(f);
        if (v == null) {
            throw new PolicyFileException(path, origin + ": field '" + path + "' is missing");
        }
        if (!v.isNumber()) {
            throw new PolicyFileException(path, origin + ": " + path + " must be a number, not " + abbrev(v.toString()));
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            throw new PolicyFileException(path, origin + ": " + path + " " + abbrev(v.toString()) + " is not finite (expected a number >= 0)");
        }
        return d;
    }

    private static String abbrev(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** The file's bytes: pretty-printed UTF-8 JSON, fields in the documented order. */
    public byte[] toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("version", policy.byKind().isEmpty() ? 1 : 2);
        n.putObject("model").put("configSha256", configSha256).put("weightsSha256", weightsSha256);
        n.put("dtype", dtype.wireName());
        n.put("topK", topK);
        n.put("maxExpMismatches", policy.maxExpMismatches());
        n.put("maxMantErrMean", policy.maxMantErrMean());
        n.put("maxMantErrMedian", policy.maxMantErrMedian());
        n.put("maxSignMismatches", Math.max(-1, policy.maxSignMismatches()));
        if (Double.isInfinite(policy.maxAvgMantErrMean())) {
            n.putNull("maxAvgMantErrMean");
        } else {
            n.put("maxAvgMantErrMean", policy.maxAvgMantErrMean());
        }
        n.put("logitMargin", logitMargin);
        n.put("source", policy.source());
        if (!policy.byKind().isEmpty()) {
            ObjectNode k = n.putObject("chunkKinds");
            for (var e : policy.byKind().entrySet()) {
                AcceptancePolicy.ChunkBounds b = e.getValue();
                k.putObject(e.getKey().wireName()).put("maxExpMismatches", b.maxExpMismatches()).put("maxMantErrMean", b.maxMantErrMean())
                        .put("maxMantErrMedian", b.maxMantErrMedian()).put("maxSignMismatches", Math.max(-1, b.maxSignMismatches()));
            }
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bug: a policy tree did not serialize", e);
        }
    }

    /**
     * Writes the file as a new file: an existing {@code file} is never replaced
     * ({@link FileAlreadyExistsException}); on failure nothing is left behind.
     */
    public void write(Path file) throws IOException {
        byte[] bytes = toJson();
        boolean created = false;
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            created = true;
            out.write(bytes);
        } catch (IOException e) {
            if (created) {
                Files.deleteIfExists(file);
            }
            throw e;
        }
    }

    // ------------------------------------------------------------------------------------------------ binding

    /** Refuses the policy for commits of another dtype or k than it was calibrated for. */
    public void requireFits(CommitSpec spec) throws PolicyFileException {
        if (dtype != spec.dtype()) {
            throw new PolicyFileException("dtype", "the policy is for " + dtype.wireName() + " k=" + topK + " commits, these are "
                    + spec.dtype().wireName() + " k=" + spec.topK());
        }
        if (topK != spec.topK()) {
            throw new PolicyFileException("topK", "the policy is for " + dtype.wireName() + " k=" + topK + " commits, these are "
                    + spec.dtype().wireName() + " k=" + spec.topK());
        }
    }

    /** Refuses the policy for a model whose weights or config differ from the calibrated one's: its thresholds describe another model's noise. */
    public void requireModel(String modelConfigSha256, String modelWeightsSha256) throws PolicyFileException {
        if (!weightsSha256.equals(modelWeightsSha256)) {
            throw new PolicyFileException("model.weightsSha256", "the policy was calibrated for weights sha256 " + weightsSha256
                    + ", the model folder has " + modelWeightsSha256 + " (calibrate this model: toploc calibrate --model DIR)");
        }
        if (!configSha256.equals(modelConfigSha256)) {
            throw new PolicyFileException("model.configSha256", "the policy was calibrated for config.json sha256 " + configSha256
                    + ", the model folder has " + modelConfigSha256 + " (calibrate this model: toploc calibrate --model DIR)");
        }
    }

    /** Field names in the documented order (for the docs and tests). */
    public static List<String> fieldNames() {
        return FIELDS;
    }
}
