package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The one escaping function for untrusted text on a terminal. */
class TerminalTest {

    /** Strings dense in what matters: controls, C1, bidi and separators, mixed with text and astral characters. */
    @Provide
    Arbitrary<String> hostile() {
        Arbitrary<Integer> cp = Arbitraries.oneOf(Arbitraries.integers().between(0, 0x20), Arbitraries.integers().between(0x7F, 0xA0),
                Arbitraries.of(0x200B, 0x200E, 0x200F, 0x202A, 0x202E, 0x2066, 0x2069, 0x2028, 0x2029, 0xFEFF, 0xD800, 0xDFFF, 0x1F600, 0xE0001),
                Arbitraries.integers().between(0x20, 0x7E), Arbitraries.integers().between(0xA1, 0x2FFF));
        return cp.list().ofMaxSize(40).map(l -> {
            StringBuilder sb = new StringBuilder();
            l.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    @Property(tries = 2000, seed = "13")
    void escaped_hasNoUnsafeCodePoint_andIsOneLine(@ForAll("hostile") String s) {
        String e = Terminal.escape(s);
        assertTrue(e.codePoints().noneMatch(Terminal::unsafe), e);
        assertFalse(e.contains("\n") || e.contains("\r"));
    }

    @Property(tries = 2000, seed = "13")
    void safeText_isUnchanged(@ForAll("hostile") String s) {
        String safe = s.codePoints().filter(c -> !Terminal.unsafe(c))
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        assertEquals(safe, Terminal.escape(safe));
    }

    @org.junit.jupiter.api.Test
    void table() {
        assertEquals("\\x1b[2K\\rACCEPTED", Terminal.escape("\u001b[2K\rACCEPTED"));
        assertEquals("a\\nb\\tc\\x00\\x7f\\u0085\\u202e\\u2028\\U000e0001", Terminal.escape("a\nb\tc\u0000\u007f\u0085\u202e\u2028\uDB40\uDC01"));
        assertEquals("Grüße, 日本, 😀", Terminal.escape("Grüße, 日本, 😀"));
        assertEquals("null", Terminal.escape(null));
    }
}
