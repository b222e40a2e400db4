package dev.toploc.cli;

import java.nio.charset.StandardCharsets;

/** Showing token ids of the byte-level models as text. */
final class Text {
    private Text() {
    }

    /** UTF-8 text when every id is a byte, quoted, with what {@link Terminal#escape} escapes escaped; else the ids. */
    static String show(int[] ids) {
        byte[] b = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] > 255) {
                return "[" + TokenIds.format(ids) + "]";
            }
            b[i] = (byte) ids[i];
        }
        StringBuilder sb = new StringBuilder("\"");
        new String(b, StandardCharsets.UTF_8).codePoints().forEach(c -> {
            if (c == '"') {
                sb.append("\\\"");
            } else {
                Terminal.append(sb, c);      // controls, bidi overrides and separators escaped
            }
        });
        return sb.append('"').toString();
    }
}
