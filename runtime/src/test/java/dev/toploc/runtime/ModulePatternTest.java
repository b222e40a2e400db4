package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.vectors.TestVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * {@link ModulePattern} against CPython's {@code re.match} (vectors made by {@code scripts/oracle/python_re.py}) and,
 * over a wider random sample of the syntax both share, against {@code java.util.regex} (lookingAt, UNIX_LINES).
 */
class ModulePatternTest {
    static final Path VECTORS = TestVectors.root().resolve("python-re/module-patterns.jsonl");

    static List<JsonNode> vectors() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(VECTORS)) {
            out.add(json.readTree(line));
        }
        return out;
    }

    static ModulePattern compiles(String p) {
        try {
            return ModulePattern.compile(p);
        } catch (ModulePattern.Unsupported e) {
            throw new AssertionError("Python compiles " + p + ", ModulePattern: " + e.getMessage(), e);
        }
    }

    static boolean match(ModulePattern p, String s) {
        long[] budget = {Long.MAX_VALUE};
        try {
            return p.lookingAt(s, budget);
        } catch (ModulePattern.BudgetSpent e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void agreesWithPythonsReMatch_onEveryVector() throws Exception {
        int matched = 0, refused = 0, cases = 0;
        for (JsonNode v : vectors()) {
            String p = v.get("p").asText();
            if (v.has("error") || v.has("python_accepts")) {
                assertThrows(ModulePattern.Unsupported.class, () -> ModulePattern.compile(p),
                        "pattern " + p + (v.has("error") ? " (Python: " + v.get("error").asText() + ")" : " (refused on purpose)"));
                refused++;
                continue;
            }
            ModulePattern m = compiles(p);
            for (int i = 0; i < v.get("s").size(); i++) {
                String s = v.get("s").get(i).asText();
                boolean expected = v.get("m").get(i).asInt() == 1;
                assertEquals(expected, match(m, s), "re.match(" + p + ", " + s + ")");
                matched += expected ? 1 : 0;
                cases++;
            }
        }
        assertTrue(cases > 10_000 && matched > 1000 && refused > 100, cases + " cases, " + matched + " matches, " + refused + " refused");
    }

    /**
     * Negative control: the vectors tell {@code re.match} from a search or a whole-name match, so an engine that
     * anchored differently would fail the test above.
     */
    @Test
    void theVectorsSeparateMatchFromSearchAndFullMatch() throws Exception {
        int searchDiffers = 0, fullDiffers = 0;
        for (JsonNode v : vectors()) {
            if (v.has("error") || v.has("python_accepts")) {
                continue;
            }
            ModulePattern m = ModulePattern.compile(v.get("p").asText());
            ModulePattern search = ModulePattern.compile(".*(?:" + v.get("p").asText() + ")");
            ModulePattern full = ModulePattern.compile("(?:" + v.get("p").asText() + ")$");
            for (JsonNode s : v.get("s")) {
                boolean one = match(m, s.asText());
                searchDiffers += one != match(search, s.asText()) ? 1 : 0;
                fullDiffers += one != match(full, s.asText()) && !s.asText().endsWith("\n") ? 1 : 0;
            }
        }
        assertTrue(searchDiffers > 100 && fullDiffers > 100, searchDiffers + " / " + fullDiffers);
    }

    /** A random pattern in the syntax Python, Java and ModulePattern read alike. */
    static String pattern(Random r, int depth) {
        String[] atoms = {"a", "b", "_", "0", "\\.", ".", "-", "[ab]", "[^a]", "[a-c_]", "[0-9]", "\\d", "\\D", "\\w", "\\W", "\\S", "[\\d.]", "\\\\", "\\n"};
        String[] quants = {"*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{0,2}", "{2,}", "{0}", "{1,2}?"};
        StringBuilder b = new StringBuilder();
        for (int n = 1 + r.nextInt(4); n > 0; n--) {
            String atom;
            if (depth < 3 && r.nextInt(6) == 0) {
                String inner = pattern(r, depth + 1) + (r.nextBoolean() ? "|" + pattern(r, depth + 1) : "");
                atom = (r.nextBoolean() ? "(?:" : "(") + inner + ")";
            } else {
                atom = atoms[r.nextInt(atoms.length)];
            }
            b.append(atom);
            if (r.nextInt(5) < 2) {
                b.append(quants[r.nextInt(quants.length)]);
            }
        }
        if (depth == 0 && r.nextInt(4) == 0) {
            b.insert(0, '^');
        }
        if (depth == 0 && r.nextInt(3) == 0) {
            b.append('$');
        }
        return b.toString();
    }

    @Property(tries = 400, seed = "20261201")
    void agreesWithJavaUtilRegex_onTheSharedSyntax(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        String p = pattern(r, 0);
        ModulePattern m = ModulePattern.compile(p);
        Pattern j = Pattern.compile(p, Pattern.UNIX_LINES);
        String alphabet = "ab_0.-\n7\\";
        for (int t = 0; t < 20; t++) {
            StringBuilder s = new StringBuilder();
            for (int n = r.nextInt(12); n > 0; n--) {
                s.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            assertEquals(j.matcher(s).lookingAt(), match(m, s.toString()), "pattern " + p + " on " + s);
        }
    }

    @Test
    void matchingTakesAtMostOneStepPerInstructionAndPosition() throws Exception {
        // exponential for a backtracking engine: (a*)*b on a^n, (.*?){12}Z on a module name
        for (String p : List.of("(a*)*b", "(.*?){12}Z", "(a|a)*c", "((a+)+)+b")) {
            ModulePattern m = ModulePattern.compile(p);
            String s = "a".repeat(2000);
            long[] budget = {Long.MAX_VALUE};
            assertEquals(false, m.lookingAt(s, budget));
            long steps = Long.MAX_VALUE - budget[0];
            assertTrue(steps <= (long) m.size() * (s.length() + 1), p + ": " + steps + " steps for " + m.size() + " instructions");
        }
    }

    @Test
    void aSpentBudgetStopsTheMatch() throws Exception {
        ModulePattern m = ModulePattern.compile("(.?){50}Z");
        assertThrows(ModulePattern.BudgetSpent.class, () -> m.lookingAt("model.layers.0.self_attn.q_proj", new long[] {100}));
    }

    @Test
    void refusals_nameTheConstructAndPosition() {
        assertMessage("((a{1000}){1000})", "the pattern expands to 1000001 instructions (at most 20000)");
        assertMessage("(a{1000}){1000}{1000}", "multiple repeat");
        assertMessage("a{1001}", "a repeat count of 1001 (at most 1000) at position 1");
        assertMessage("a{99999999999}", "a repeat count of 99999999999");
        assertMessage("(?<=x)y", "the group extension '(?<' (lookaround, named groups, flags and conditionals are not supported) at position 0");
        assertMessage("ab\\1", "the escape \\1 (supported:");
        assertMessage("[\\b]", "the escape \\b in a class");
        assertMessage("x(", "missing ), unterminated subpattern at position 1");
        // Jazzer's regex-injection probe: refused by the parser, never handed to java.util.regex
        assertMessage("\\E]\\E]]]]]]", "the escape \\E (supported:");
    }

    static void assertMessage(String p, String expected) {
        ModulePattern.Unsupported e = assertThrows(ModulePattern.Unsupported.class, () -> ModulePattern.compile(p));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
