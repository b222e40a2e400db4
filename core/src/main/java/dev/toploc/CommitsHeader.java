package dev.toploc;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The first line of a commits file that describes itself:
 * {@code # toploc-commits v1 dtype=bf16 k=128 chunk=32 prefill-rows=P positions=decode-steps}. It says how
 * the commits were made (commit dtype, k, decode chunk size, how many leading rows the prefill commit
 * covers, 0 for none, and which positions the decode rows are), so a reader need not be told again. It is
 * a {@code #} comment line, which every text layout of {@link Proofs} skips: files with a header stay
 * readable by readers that do not know it, and files without one (plain one-per-line base64, the Python
 * stack's layouts) are read as before.
 *
 * <p>Parsing is strict: a line starting with {@value #MAGIC} must be a complete header of a known version,
 * every field once, every value in range; anything else is a {@link CommitFormatException}, never a
 * header silently ignored.
 *
 * @param spec        dtype, k and chunk size
 * @param prefillRows leading rows committed as one prefill chunk (0: none)
 * @param positions   which positions the decode rows are
 */
public record CommitsHeader(CommitSpec spec, int prefillRows, PositionConvention positions) {
    /** How a header line starts. */
    public static final String MAGIC = "# toploc-commits";
    /** The one version this reader knows. */
    public static final String VERSION = "v1";
    /** Longest header line considered (characters). */
    public static final int MAX_LINE = 512;

    public CommitsHeader {
        java.util.Objects.requireNonNull(spec, "spec");
        java.util.Objects.requireNonNull(positions, "positions");
        if (prefillRows < 0) {
            throw new IllegalArgumentException("prefill-rows " + prefillRows + " is negative");
        }
    }

    /** The header line, without a line break. */
    public String line() {
        return MAGIC + " " + VERSION + " dtype=" + spec.dtype().wireName() + " k=" + spec.topK() + " chunk=" + spec.chunkSize()
                + " prefill-rows=" + prefillRows + " positions=" + positions.wireName();
    }

    /**
     * The header of {@code data}, when its first line (leading whitespace skipped) starts with {@value #MAGIC};
     * empty for any other file. {@code source} names the file in errors.
     */
    public static Optional<CommitsHeader> find(byte[] data, String source) throws CommitFormatException {
        int i = 0;
        while (i < data.length && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')) {
            i++;
        }
        byte[] magic = MAGIC.getBytes(StandardCharsets.US_ASCII);
        if (data.length - i < magic.length || !java.util.Arrays.equals(data, i, i + magic.length, magic, 0, magic.length)) {
            return Optional.empty();
        }
        int end = i;
        while (end < data.length && data[end] != '\n' && end - i <= MAX_LINE) {
            end++;
        }
        if (end - i > MAX_LINE) {
            throw new CommitFormatException(source + ": header line is longer than " + MAX_LINE + " characters");
        }
        String line = new String(data, i, end - i, StandardCharsets.US_ASCII).strip();
        return Optional.of(parse(line, source));
    }

    /** Parses one header line (as {@link #line} writes it). */
    public static CommitsHeader parse(String line, String source) throws CommitFormatException {
        String expected = " (expected '" + MAGIC + " " + VERSION + " dtype=bf16|fp16|... k=K chunk=C prefill-rows=P positions=produced|decode-steps')";
        String[] words = line.strip().split("[ \t]+");
        if (words.length < 3 || !(words[0] + " " + words[1]).equals(MAGIC)) {
            throw new CommitFormatException(source + ": malformed header '" + clip(line) + "'" + expected);
        }
        if (!words[2].equals(VERSION)) {
            throw new CommitFormatException(source + ": header version '" + clip(words[2]) + "' is not one this reader knows" + expected);
        }
        Map<String, String> kv = new LinkedHashMap<>();
        for (int w = 3; w < words.length; w++) {
            int eq = words[w].indexOf('=');
            if (eq <= 0) {
                throw new CommitFormatException(source + ": header field '" + clip(words[w]) + "' is not key=value" + expected);
            }
            String k = words[w].substring(0, eq);
            if (!java.util.Set.of("dtype", "k", "chunk", "prefill-rows", "positions").contains(k)) {
                throw new CommitFormatException(source + ": unknown header field '" + clip(k) + "'" + expected);
            }
            if (kv.put(k, words[w].substring(eq + 1)) != null) {
                throw new CommitFormatException(source + ": header field '" + k + "' appears twice");
            }
        }
        for (String k : new String[] {"dtype", "k", "chunk", "prefill-rows", "positions"}) {
            if (!kv.containsKey(k)) {
                throw new CommitFormatException(source + ": header has no '" + k + "'" + expected);
            }
        }
        try {
            Dtype dtype = Dtype.fromWireName(kv.get("dtype"));
            int k = bounded(kv.get("k"), "k", 1, 65497, source);
            int chunk = bounded(kv.get("chunk"), "chunk", 1, CommitSpec.MAX_CHUNK_SIZE, source);
            int prefill = bounded(kv.get("prefill-rows"), "prefill-rows", 0, Integer.MAX_VALUE, source);
            return new CommitsHeader(new CommitSpec(dtype, k, chunk), prefill, PositionConvention.fromWireName(kv.get("positions")));
        } catch (IllegalArgumentException e) {
            throw new CommitFormatException(source + ": header: " + e.getMessage(), e);
        }
    }

    private static int bounded(String v, String key, int min, int max, String source) throws CommitFormatException {
        if (!v.matches("[0-9]{1,10}")) {
            throw new CommitFormatException(source + ": header " + key + "='" + clip(v) + "' is not a number");
        }
        long n = Long.parseLong(v);
        if (n < min || n > max) {
            throw new CommitFormatException(source + ": header " + key + "=" + n + " is out of range (expected " + min + ".." + max + ")");
        }
        return (int) n;
    }

    private static String clip(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
