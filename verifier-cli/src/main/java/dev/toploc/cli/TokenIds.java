package dev.toploc.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/** Token ids from the command line: {@code 1,2,3} (commas and/or whitespace), a file of the same, or text (UTF-8 bytes). */
final class TokenIds {
    private TokenIds() {
    }

    /** Files of ids larger than this are refused. */
    static final long MAX_FILE = 64L << 20;

    static int[] parse(String text, String what) {
        String t = text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException(what + ": no token ids (expected e.g. 1,2,3)");
        }
        String[] parts = t.split("[,\\s]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + ": '" + parts[i] + "' at index " + i + " is not a token id (expected a non-negative integer)");
            }
            if (ids[i] < 0) {
                throw new IllegalArgumentException(what + ": " + ids[i] + " at index " + i + " is negative (expected a token id >= 0)");
            }
        }
        return ids;
    }

    static int[] fromFile(Path file) throws IOException {
        return parse(new String(Inputs.read(file, MAX_FILE, "ids file"), StandardCharsets.UTF_8), file.toString());
    }

    /** The tiny byte-level models' tokenizer: UTF-8 bytes are the ids. */
    static int[] fromText(String text) {
        return dev.toploc.calibration.Claims.bytes(text);
    }

    static String format(int[] ids) {
        return String.join(",", Arrays.stream(ids).mapToObj(Integer::toString).toList());
    }
}
