package dev.toploc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads stored proofs (lists of commits) in every layout the Python TOPLOC stack produced
 * ({@code ../shared/ECOSYSTEM.md}), splitting them by the spec's record size:
 *
 * <ul>
 *   <li>{@link Layout#LINES}: one base64 commit per line (this CLI's {@code commit} output; blank lines and
 *       lines starting with {@code #} are ignored);</li>
 *   <li>{@link Layout#BASE64_CONCATENATED}: the base64 texts of consecutive commits joined without separator
 *       (genesys / SYNTHETIC-1: 344 characters per commit for k = 128); several lines of it are read in order;</li>
 *   <li>{@link Layout#BINARY}: the wire bytes of consecutive commits (prime-rl's Parquet {@code proofs} column,
 *       the paper's {@code .bin} files: 258 bytes per commit for k = 128);</li>
 *   <li>{@link Layout#JSON_LIST}: a JSON array of base64 strings, one commit each (SGLang forks).</li>
 * </ul>
 *
 * A commit of k coefficients in encoding E is {@code E.byteLength(k)} bytes ({@link #recordBytes}) and
 * {@code 4 * ceil(bytes / 3)} base64 characters ({@link #recordChars}); anything that is not a whole number
 * of records is a {@link CommitFormatException} naming the source, the place and the record size expected,
 * and each record is parsed strictly ({@link Commit#fromBytes}). An empty input is an empty list: prime-rl
 * stores {@code b""} for completions of at most one token, and whether that is acceptable is the caller's
 * decision (the chunk plan's), not the reader's.
 *
 * <p>{@link Layout#AUTO} decides by content: a first non-blank character {@code [} is a JSON list; input that
 * is entirely base64 characters, whitespace and {@code #} comment lines is text (lines, each holding one or
 * more whole records); anything else is binary. A v1 commit's first byte is its modulus' high byte (at least
 * {@code 0x00}; 65497 is {@code 0xFF 0xD9}), so a binary record is never all base64 text in practice; give the
 * layout explicitly to remove any doubt.
 *
 * <p>Bounded: the reader never allocates more than a small multiple of its input, and the caller bounds the
 * input (the CLI reads at most {@link #MAX_BYTES}).
 */
public final class Proofs {
    private Proofs() {
    }

    /** The largest proofs input the CLI and the rollout validator read (64 MiB: about 260 000 commits of k = 128). */
    public static final long MAX_BYTES = 64L << 20;

    /** How a list of commits is stored. */
    public enum Layout {
        AUTO("auto"), LINES("lines"), BASE64_CONCATENATED("base64-concat"), BINARY("binary"), JSON_LIST("json");

        private final String wireName;

        Layout(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        public static Layout fromWireName(String name) {
            for (Layout l : values()) {
                if (l.wireName.equals(name)) {
                    return l;
                }
            }
            throw new IllegalArgumentException("unknown proofs layout '" + name + "' (expected auto, lines, base64-concat, binary or json)");
        }
    }

    /** Commits read, and the layout they were found in (never {@link Layout#AUTO}). */
    public record Parsed(List<Commit> commits, Layout layout) {
        public Parsed {
            commits = List.copyOf(commits);
        }
    }

    /** Bytes of one commit of {@code spec} on the wire (258 for v1, k = 128). */
    public static int recordBytes(CommitSpec spec) {
        return spec.encoding().byteLength(spec.topK());
    }

    /** Base64 characters of one commit of {@code spec}, padding included (344 for v1, k = 128). */
    public static int recordChars(CommitSpec spec) {
        return 4 * ((recordBytes(spec) + 2) / 3);
    }

    /**
     * Reads {@code data} in {@code layout} ({@link Layout#AUTO}: decided by content).
     *
     * @param source names the input in errors ({@code "proofs file p.txt"}, {@code "row 7 column proofs"})
     */
    public static Parsed read(byte[] data, Layout layout, CommitSpec spec, String source) throws CommitFormatException {
        if (data == null) {
            throw new CommitFormatException(source + ": missing (null)");
        }
        if (data.length > MAX_BYTES) {
            throw new CommitFormatException(source + ": " + data.length + " bytes exceeds the limit of " + MAX_BYTES);
        }
        Layout l = layout == Layout.AUTO ? detect(data) : layout;
        return switch (l) {
            case BINARY -> new Parsed(fromBinary(data, spec, source), Layout.BINARY);
            case JSON_LIST -> new Parsed(fromJsonList(text(data, source), spec, source), Layout.JSON_LIST);
            case LINES, BASE64_CONCATENATED -> {
                List<Commit> out = new ArrayList<>();
                boolean concatenated = fromText(text(data, source), spec, source, layout == Layout.LINES, out);
                yield new Parsed(out, concatenated ? Layout.BASE64_CONCATENATED : Layout.LINES);
            }
            case AUTO -> throw new IllegalStateException("unreachable");
        };
    }

    /** Consecutive wire records of {@code spec}, each parsed strictly. */
    public static List<Commit> fromBinary(byte[] data, CommitSpec spec, String source) throws CommitFormatException {
        int rec = recordBytes(spec);
        if (data.length % rec != 0) {
            throw new CommitFormatException(source + ": " + data.length + " bytes is not a whole number of " + rec + "-byte commits ("
                    + describe(spec) + "): " + data.length / rec + " commits and " + data.length % rec + " bytes left over");
        }
        List<Commit> out = new ArrayList<>(data.length / rec);
        for (int i = 0; i < data.length / rec; i++) {
            byte[] one = java.util.Arrays.copyOfRange(data, i * rec, (i + 1) * rec);
            out.add(parse(one, spec, "commit " + i + " (" + source + ", bytes " + (long) i * rec + ".." + ((long) (i + 1) * rec - 1) + ")"));
        }
        return out;
    }

    /** One base64 string holding one or more whole commits back to back (SYNTHETIC-1's layout). */
    public static List<Commit> fromBase64Concatenated(String text, CommitSpec spec, String source) throws CommitFormatException {
        List<Commit> out = new ArrayList<>();
        fromText(text, spec, source, false, out);
        return out;
    }

    /** A JSON array of base64 strings, one commit each. */
    public static List<Commit> fromJsonList(String json, CommitSpec spec, String source) throws CommitFormatException {
        List<Commit> out = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new CommitFormatException(source + ": not a JSON list (expected [\"<base64>\", ...])");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                int i = out.size();
                if (t != JsonToken.VALUE_STRING) {
                    throw new CommitFormatException(source + ": element " + i + " is " + (t == null ? "missing (truncated list)" : "a JSON " + kind(t))
                            + ", expected a base64 string of one commit (" + describe(spec) + ")");
                }
                out.add(fromBase64One(p.getText(), spec, "commit " + i + " (" + source + ", element " + i + ")"));
            }
            if (p.nextToken() != null) {
                throw new CommitFormatException(source + ": text after the end of the JSON list");
            }
        } catch (JsonProcessingException e) {
            throw new CommitFormatException(source + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new CommitFormatException(source + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).maxStringLength(1 << 20).build()).build();

    /**
     * Text: each non-blank, non-comment line holds one or more whole base64 records. Returns whether any
     * line held more than one (the concatenated layout).
     */
    private static boolean fromText(String text, CommitSpec spec, String source, boolean onePerLine, List<Commit> out)
            throws CommitFormatException {
        int chars = recordChars(spec);
        boolean concatenated = false;
        String[] lines = text.split("\n", -1);
        for (int ln = 0; ln < lines.length; ln++) {
            String t = lines[ln].strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String where = source + " line " + (ln + 1);
            if (t.length() % chars != 0) {
                throw new CommitFormatException(where + ": " + t.length() + " base64 characters is not a whole number of " + chars
                        + "-character commits (" + describe(spec) + ")" + (onePerLine ? "" : ": " + t.length() / chars
                        + " commits and " + t.length() % chars + " characters left over"));
            }
            int n = t.length() / chars;
            if (n > 1 && onePerLine) {
                throw new CommitFormatException(where + ": " + t.length() + " characters holds " + n
                        + " commits, expected one per line (layout lines; use base64-concat or auto)");
            }
            concatenated |= n > 1;
            for (int j = 0; j < n; j++) {
                int i = out.size();
                String what = "commit " + i + " (" + where + (n > 1 ? ", characters " + (j * chars) + ".." + ((j + 1) * chars - 1) : "") + ")";
                out.add(fromBase64One(t.substring(j * chars, (j + 1) * chars), spec, what));
            }
        }
        return concatenated;
    }

    private static Commit fromBase64One(String b64, CommitSpec spec, String what) throws CommitFormatException {
        return Commit.fromBase64(b64, spec.encoding(), spec.topK(), what);
    }

    private static Commit parse(byte[] one, CommitSpec spec, String what) throws CommitFormatException {
        return Commit.fromBytes(one, spec.encoding(), spec.topK(), what);
    }

    private static Layout detect(byte[] data) {
        int i = 0;
        while (i < data.length && isSpace(data[i])) {
            i++;
        }
        if (i < data.length && data[i] == '[') {
            return Layout.JSON_LIST;
        }
        boolean comment = false;
        for (byte b : data) {
            if (b == '\n') {
                comment = false;
            } else if (comment) {
                if (b < 0x20 && b != '\t' && b != '\r') {
                    return Layout.BINARY;
                }
            } else if (b == '#') {
                comment = true;
            } else if (!isSpace(b) && !isBase64(b)) {
                return Layout.BINARY;
            }
        }
        return Layout.LINES;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    private static boolean isBase64(byte b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '+' || b == '/' || b == '-' || b == '_' || b == '=';
    }

    private static String text(byte[] data, String source) throws CommitFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            throw new CommitFormatException(source + ": not UTF-8 text (expected base64 or a JSON list; binary commits need layout binary)", e);
        }
    }

    private static String kind(JsonToken t) {
        return switch (t) {
            case START_ARRAY -> "list";
            case START_OBJECT -> "object";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            default -> t.name().toLowerCase(Locale.ROOT);
        };
    }

    private static String describe(CommitSpec spec) {
        return "k = " + spec.topK() + ", " + spec.dtype().wireName() + ", " + spec.encoding().wireName() + ": " + recordBytes(spec)
                + " bytes, " + recordChars(spec) + " base64 characters each";
    }
}
