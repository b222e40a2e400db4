package dev.toploc.cli;

/**
 * Untrusted text on its way to a terminal. Key ids, model names, every attested field, file and tensor
 * names from input files, and exception messages that embed any of these pass through {@link #escape}
 * before they are printed, so that no one but the verifier writes a line: a raw carriage return, line
 * feed, ANSI escape sequence or bidirectional override in a claim could otherwise overwrite a
 * {@code REJECTED} line, print a fake {@code ACCEPTED} one, or hide text.
 */
final class Terminal {
    private Terminal() {
    }

    /** Whether {@code cp} is shown escaped: C0 and C1 controls, DEL, format characters (bidi overrides, zero-width), line and paragraph separators, lone surrogates. */
    static boolean unsafe(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SURROGATE -> true;
            default -> false;
        };
    }

    /**
     * {@code text} with every {@linkplain #unsafe unsafe} code point written as an escape: {@code \n},
     * {@code \r}, {@code \t}, {@code \xNN} for other ASCII controls and DEL, {@code \u2028}-style (or
     * {@code \U0001xxxx}) for the rest. Everything else, non-ASCII letters included, is kept. The result
     * is one line. {@code null} is shown as {@code null}.
     */
    static String escape(String text) {
        if (text == null) {
            return "null";
        }
        boolean clean = true;
        for (int i = 0; i < text.length() && clean; i++) {
            clean = !unsafe(text.charAt(i));
        }
        if (clean) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> append(sb, c));
        return sb.toString();
    }

    static void append(StringBuilder sb, int c) {
        if (!unsafe(c)) {
            sb.appendCodePoint(c);
        } else if (c == '\n') {
            sb.append("\\n");
        } else if (c == '\r') {
            sb.append("\\r");
        } else if (c == '\t') {
            sb.append("\\t");
        } else if (c < 0x80) {
            sb.append(String.format("\\x%02x", c));
        } else if (c <= 0xFFFF) {
            sb.append(String.format("\\u%04x", c));
        } else {
            sb.append(String.format("\\U%08x", c));
        }
    }
}
