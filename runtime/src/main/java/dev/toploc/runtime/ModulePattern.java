package dev.toploc.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A compressed-tensors {@code re:} target, matched as Python's {@code re.match} (anchored at the start of the
 * module name, any end) by a Thompson automaton of its own: the pattern comes from an untrusted
 * {@code config.json}, so it never reaches {@code java.util.regex} (which backtracks, and whose parser is one
 * more attack surface). Matching simulates every thread at once (Pike's VM without captures): time is linear in
 * program size times name length, whatever the pattern, and each step counts against a caller's budget.
 *
 * <p>The syntax is the part of Python's {@code re} that module patterns use: literals, {@code .}, classes
 * {@code [a-z_]}, {@code [^...]}, escapes of punctuation, {@code \d \D \w \W \s \S} (Unicode, as Python's str
 * patterns), groups {@code (...)} and {@code (?:...)}, alternation, {@code * + ?} and {@code {m}}, {@code {m,}},
 * {@code {,n}}, {@code {m,n}} (each also lazy with a trailing {@code ?}, which changes which match is found,
 * never whether one is), {@code ^}, and {@code $} (the end, or before a final newline). A {@code {} that
 * does not start a repeat is a literal, as in Python. Backreferences, lookaround, named groups, inline flags
 * and other escapes are refused with {@link Unsupported}, naming the construct and its position; so is a
 * pattern that expands to more than {@link #MAX_PROGRAM} instructions. Characters are UTF-16 units (Python
 * reads code points; the two differ only beyond the BMP, and module names are ASCII).
 */
final class ModulePattern {
    /** The most instructions a pattern may compile to (real targets compile to under a hundred). */
    static final int MAX_PROGRAM = 20_000;
    /** The largest count in {@code {m,n}} (Python allows more, the program bound applies anyway). */
    static final int MAX_REPEAT = 1000;

    /** A pattern this matcher does not accept, with what was wrong and where. */
    static final class Unsupported extends Exception {
        Unsupported(String what, int at) {
            super(what + " at position " + at);
        }
    }

    /** Thrown by {@link #lookingAt} when the budget is spent. */
    static final class BudgetSpent extends Exception {
        BudgetSpent() {
            super("pattern budget spent", null, false, false);
        }
    }

    // instructions
    private static final int CHAR = 0, SPLIT = 1, JMP = 2, BOL = 3, EOL = 4, MATCH = 5;

    private final int[] op;
    private final int[] x;
    private final int[] y;
    private final CharClass[] cls;

    private ModulePattern(int[] op, int[] x, int[] y, CharClass[] cls) {
        this.op = op;
        this.x = x;
        this.y = y;
        this.cls = cls;
    }

    /** Compiles {@code pattern} (without the {@code re:} prefix). */
    static ModulePattern compile(String pattern) throws Unsupported {
        Parser p = new Parser(pattern);
        Node n = p.alternation();
        if (p.i < pattern.length()) {
            throw new Unsupported("unbalanced ')'", p.i);
        }
        long size = n.size() + 1;
        if (size > MAX_PROGRAM) {
            throw new Unsupported("the pattern expands to " + (size >= Long.MAX_VALUE / 4 ? "too many" : String.valueOf(size))
                    + " instructions (at most " + MAX_PROGRAM + ")", 0);
        }
        Emitter e = new Emitter((int) size);
        n.emit(e);
        e.add(MATCH, 0, 0, null);
        return new ModulePattern(e.op, e.x, e.y, e.cls);
    }

    /** The number of instructions (for tests and budgets). */
    int size() {
        return op.length;
    }

    /**
     * Whether a prefix of {@code s} matches ({@code re.match}). Every thread step takes one from
     * {@code budget[0]}; when it runs out, {@link BudgetSpent}.
     */
    boolean lookingAt(String s, long[] budget) throws BudgetSpent {
        int n = op.length;
        int[] cur = new int[n];
        int[] next = new int[n];
        int[] seen = new int[n];
        int[] stack = new int[2 * n + 1]; // each instruction is expanded once per step and pushes at most two
        int gen = 1;
        int curLen = add(cur, 0, 0, s, seen, gen, stack, budget);
        for (int pos = 0; ; pos++) {
            for (int t = 0; t < curLen; t++) {
                if (op[cur[t]] == MATCH) {
                    return true;
                }
            }
            if (pos == s.length() || curLen == 0) {
                return false;
            }
            char c = s.charAt(pos);
            gen++;
            int nextLen = 0;
            for (int t = 0; t < curLen; t++) {
                int pc = cur[t];
                if (op[pc] == CHAR && cls[pc].test(c)) {
                    nextLen = addTo(next, nextLen, pc + 1, pos + 1, s, seen, gen, stack, budget);
                }
            }
            int[] swap = cur;
            cur = next;
            next = swap;
            curLen = nextLen;
        }
    }

    private int add(int[] list, int len, int pc, String s, int[] seen, int gen, int[] stack, long[] budget) throws BudgetSpent {
        return addTo(list, len, pc, 0, s, seen, gen, stack, budget);
    }

    /** Adds the closure of {@code start} at {@code pos} over SPLIT, JMP and the assertions; an explicit stack, left branch first. */
    private int addTo(int[] list, int len, int start, int pos, String s, int[] seen, int gen, int[] stack, long[] budget) throws BudgetSpent {
        int sp = 0;
        stack[sp++] = start;
        while (sp > 0) {
            int pc = stack[--sp];
            if (seen[pc] == gen) {
                continue;
            }
            seen[pc] = gen;
            if (--budget[0] < 0) {
                throw new BudgetSpent();
            }
            switch (op[pc]) {
                case SPLIT -> {
                    stack[sp++] = y[pc];
                    stack[sp++] = x[pc];
                }
                case JMP -> stack[sp++] = x[pc];
                case BOL -> {
                    if (pos == 0) {
                        stack[sp++] = pc + 1;
                    }
                }
                case EOL -> {
                    if (pos == s.length() || (pos == s.length() - 1 && s.charAt(pos) == '\n')) {
                        stack[sp++] = pc + 1;
                    }
                }
                default -> list[len++] = pc;
            }
        }
        return len;
    }

    /** One character's test: ranges, Python's Unicode classes, negation. */
    record CharClass(boolean negated, char[] ranges, int classes) {
        static final int DIGIT = 1, NOT_DIGIT = 2, WORD = 4, NOT_WORD = 8, SPACE = 16, NOT_SPACE = 32, DOT = 64;

        static CharClass of(char c) {
            return new CharClass(false, new char[] {c, c}, 0);
        }

        boolean test(char c) {
            boolean in = false;
            for (int i = 0; i < ranges.length && !in; i += 2) {
                in = c >= ranges[i] && c <= ranges[i + 1];
            }
            in |= (classes & DIGIT) != 0 && digit(c) || (classes & NOT_DIGIT) != 0 && !digit(c)
                    || (classes & WORD) != 0 && word(c) || (classes & NOT_WORD) != 0 && !word(c)
                    || (classes & SPACE) != 0 && space(c) || (classes & NOT_SPACE) != 0 && !space(c)
                    || (classes & DOT) != 0 && c != '\n';
            return in != negated;
        }

        /** Python's {@code \d}: Unicode decimal digits (category Nd). */
        static boolean digit(char c) {
            return Character.isDigit(c);
        }

        /** Python's {@code \w}: {@code str.isalnum()} or underscore. */
        static boolean word(char c) {
            if (c == '_' || Character.isLetterOrDigit(c)) {
                return true;
            }
            int t = Character.getType(c);
            return t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
        }

        /** Python's {@code \s}: {@code str.isspace()} (Java's whitespace, the space separators, and U+0085). */
        static boolean space(char c) {
            return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
        }
    }

    private static final class Emitter {
        final int[] op;
        final int[] x;
        final int[] y;
        final CharClass[] cls;
        int n;

        Emitter(int size) {
            op = new int[size];
            x = new int[size];
            y = new int[size];
            cls = new CharClass[size];
        }

        int add(int o, int a, int b, CharClass c) {
            op[n] = o;
            x[n] = a;
            y[n] = b;
            cls[n] = c;
            return n++;
        }
    }

    /** The parsed pattern. {@link #size} saturates, so a nested repeat's size is known before anything is emitted. */
    private sealed interface Node {
        long size();

        void emit(Emitter e);
    }

    private record Chars(CharClass c) implements Node {
        public long size() {
            return 1;
        }

        public void emit(Emitter e) {
            e.add(CHAR, 0, 0, c);
        }
    }

    private record Assert(int kind) implements Node {
        public long size() {
            return 1;
        }

        public void emit(Emitter e) {
            e.add(kind, 0, 0, null);
        }
    }

    private record Concat(List<Node> parts) implements Node {
        public long size() {
            long s = 0;
            for (Node p : parts) {
                s = sat(s + p.size());
            }
            return s;
        }

        public void emit(Emitter e) {
            for (Node p : parts) {
                p.emit(e);
            }
        }
    }

    /** {@code a|b|c}: SPLIT a, next; a; JMP end; ... the last alternative plain. */
    private record Alt(List<Node> alts) implements Node {
        public long size() {
            long s = 0;
            for (Node a : alts) {
                s = sat(s + a.size() + 2);
            }
            return s - 2;
        }

        public void emit(Emitter e) {
            List<Integer> jumps = new ArrayList<>();
            for (int i = 0; i < alts.size(); i++) {
                if (i == alts.size() - 1) {
                    alts.get(i).emit(e);
                } else {
                    int split = e.add(SPLIT, 0, 0, null);
                    e.x[split] = e.n;
                    alts.get(i).emit(e);
                    jumps.add(e.add(JMP, 0, 0, null));
                    e.y[split] = e.n;
                }
            }
            for (int j : jumps) {
                e.x[j] = e.n;
            }
        }
    }

    /** {@code body{min,max}} ({@code max} -1: unbounded): the body {@code min} times, then a loop or {@code max - min} optional copies. */
    private record Repeat(Node body, int min, int max) implements Node {
        public long size() {
            long b = body.size();
            long s = sat(b * min);
            return max < 0 ? sat(s + b + 2) : sat(s + sat((b + 1) * (max - min)));
        }

        public void emit(Emitter e) {
            for (int i = 0; i < min; i++) {
                body.emit(e);
            }
            if (max < 0) {
                int split = e.add(SPLIT, 0, 0, null);
                e.x[split] = e.n;
                body.emit(e);
                e.add(JMP, split, 0, null);
                e.y[split] = e.n;
            } else {
                int[] splits = new int[max - min];
                for (int i = 0; i < splits.length; i++) {
                    splits[i] = e.add(SPLIT, 0, 0, null);
                    e.x[splits[i]] = e.n;
                    body.emit(e);
                }
                for (int s : splits) {
                    e.y[s] = e.n;
                }
            }
        }
    }

    private static long sat(long v) {
        return Math.min(v, Long.MAX_VALUE / 4);
    }

    /** Recursive descent over the pattern; group nesting is bounded by the pattern's length (at most {@code MAX_NAME}). */
    private static final class Parser {
        final String s;
        int i;

        Parser(String s) {
            this.s = s;
        }

        Node alternation() throws Unsupported {
            List<Node> alts = new ArrayList<>();
            alts.add(concat());
            while (i < s.length() && s.charAt(i) == '|') {
                i++;
                alts.add(concat());
            }
            return alts.size() == 1 ? alts.get(0) : new Alt(alts);
        }

        Node concat() throws Unsupported {
            List<Node> parts = new ArrayList<>();
            while (i < s.length() && s.charAt(i) != '|' && s.charAt(i) != ')') {
                parts.add(repeat());
            }
            return new Concat(parts);
        }

        Node repeat() throws Unsupported {
            int at = i;
            Node atom = atom();
            if (i >= s.length()) {
                return atom;
            }
            int[] range = quantifier();
            if (range == null) {
                return atom;
            }
            if (atom instanceof Assert) {
                throw new Unsupported("nothing to repeat", at);
            }
            if (i < s.length() && s.charAt(i) == '?') {
                i++; // lazy: the same set of matches
            }
            if (i < s.length() && quantifierAhead()) {
                throw new Unsupported("multiple repeat", i);
            }
            return new Repeat(atom, range[0], range[1]);
        }

        private boolean quantifierAhead() throws Unsupported {
            int save = i;
            int[] q = quantifier();
            i = save;
            return q != null;
        }

        /** {@code * + ?} or a well-formed {@code {m,n}}, consumed; null (nothing consumed) otherwise. */
        int[] quantifier() throws Unsupported {
            char c = s.charAt(i);
            switch (c) {
                case '*' -> {
                    i++;
                    return new int[] {0, -1};
                }
                case '+' -> {
                    i++;
                    return new int[] {1, -1};
                }
                case '?' -> {
                    i++;
                    return new int[] {0, 1};
                }
                case '{' -> {
                    int j = i + 1;
                    int m0 = j;
                    while (j < s.length() && isAsciiDigit(s.charAt(j))) {
                        j++;
                    }
                    String lo = s.substring(m0, j);
                    String hi = lo;
                    if (j < s.length() && s.charAt(j) == ',') {
                        int h0 = ++j;
                        while (j < s.length() && isAsciiDigit(s.charAt(j))) {
                            j++;
                        }
                        hi = s.substring(h0, j);
                    } else if (lo.isEmpty()) {
                        return null;
                    }
                    if (j >= s.length() || s.charAt(j) != '}') {
                        return null; // Python: a literal '{'
                    }
                    int min = lo.isEmpty() ? 0 : count(lo, i);
                    int max = hi.isEmpty() ? -1 : count(hi, i);
                    if (max >= 0 && max < min) {
                        throw new Unsupported("min repeat greater than max repeat", i);
                    }
                    i = j + 1;
                    return new int[] {min, max};
                }
                default -> {
                    return null;
                }
            }
        }

        private static int count(String digits, int at) throws Unsupported {
            if (digits.length() > 4 || Integer.parseInt(digits) > MAX_REPEAT) {
                throw new Unsupported("a repeat count of " + digits + " (at most " + MAX_REPEAT + ")", at);
            }
            return Integer.parseInt(digits);
        }

        private static boolean isAsciiDigit(char c) {
            return c >= '0' && c <= '9';
        }

        Node atom() throws Unsupported {
            int at = i;
            char c = s.charAt(i++);
            switch (c) {
                case '(' -> {
                    if (i < s.length() && s.charAt(i) == '?') {
                        if (i + 1 < s.length() && s.charAt(i + 1) == ':') {
                            i += 2;
                        } else {
                            throw new Unsupported("the group extension '(?" + (i + 1 < s.length() ? s.charAt(i + 1) : "")
                                    + "' (lookaround, named groups, flags and conditionals are not supported)", at);
                        }
                    }
                    Node inner = alternation();
                    if (i >= s.length() || s.charAt(i) != ')') {
                        throw new Unsupported("missing ), unterminated subpattern", at);
                    }
                    i++;
                    return inner;
                }
                case '[' -> {
                    return new Chars(charClass(at));
                }
                case '.' -> {
                    return new Chars(new CharClass(false, new char[0], CharClass.DOT));
                }
                case '^' -> {
                    return new Assert(BOL);
                }
                case '$' -> {
                    return new Assert(EOL);
                }
                case '\\' -> {
                    return new Chars(escape(at, false));
                }
                case '*', '+', '?' -> throw new Unsupported("nothing to repeat", at);
                default -> {
                    if (c == '{' && quantifierAt(at)) {
                        throw new Unsupported("nothing to repeat", at);
                    }
                    return new Chars(CharClass.of(c));
                }
            }
        }

        private boolean quantifierAt(int at) throws Unsupported {
            int save = i;
            i = at;
            int[] q = quantifier();
            i = save;
            return q != null;
        }

        /** After a backslash at {@code at}: a class escape, a control escape, or escaped punctuation. */
        CharClass escape(int at, boolean inClass) throws Unsupported {
            if (i >= s.length()) {
                throw new Unsupported("bad escape (end of pattern)", at);
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'd': return new CharClass(false, new char[0], CharClass.DIGIT);
                case 'D': return new CharClass(false, new char[0], CharClass.NOT_DIGIT);
                case 'w': return new CharClass(false, new char[0], CharClass.WORD);
                case 'W': return new CharClass(false, new char[0], CharClass.NOT_WORD);
                case 's': return new CharClass(false, new char[0], CharClass.SPACE);
                case 'S': return new CharClass(false, new char[0], CharClass.NOT_SPACE);
                case 't': return CharClass.of('\t');
                case 'n': return CharClass.of('\n');
                case 'r': return CharClass.of('\r');
                case 'f': return CharClass.of('\f');
                case 'v': return CharClass.of('\u000b');
                default:
                    if (e < 128 && !Character.isLetterOrDigit(e)) {
                        return CharClass.of(e);
                    }
                    throw new Unsupported("the escape \\" + e + (inClass ? " in a class" : "")
                            + " (supported: \\d \\D \\w \\W \\s \\S \\t \\n \\r \\f \\v and escaped punctuation)", at);
            }
        }

        /** After {@code [} at {@code at}: Python's rules ({@code ]} first is literal, {@code -} first or last is literal). */
        CharClass charClass(int at) throws Unsupported {
            boolean negated = i < s.length() && s.charAt(i) == '^';
            if (negated) {
                i++;
            }
            StringBuilder ranges = new StringBuilder();
            int classes = 0;
            boolean first = true;
            while (true) {
                if (i >= s.length()) {
                    throw new Unsupported("unterminated character set", at);
                }
                char c = s.charAt(i);
                if (c == ']' && !first) {
                    i++;
                    break;
                }
                first = false;
                int itemAt = i++;
                char lo;
                if (c == '\\') {
                    CharClass e = escape(itemAt, true);
                    if (e.classes() != 0) {
                        if (i + 1 < s.length() && s.charAt(i) == '-' && s.charAt(i + 1) != ']') {
                            throw new Unsupported("bad character range " + s.substring(itemAt, Math.min(s.length(), i + 3)), itemAt);
                        }
                        classes |= e.classes();
                        continue;
                    }
                    lo = e.ranges()[0];
                } else if (c == '[' && i < s.length() && (s.charAt(i) == ':' || s.charAt(i) == '=' || s.charAt(i) == '.')) {
                    throw new Unsupported("a POSIX class or nested set '[" + s.charAt(i) + "'", itemAt);
                } else {
                    lo = c;
                }
                char hi = lo;
                if (i + 1 < s.length() && s.charAt(i) == '-' && s.charAt(i + 1) != ']') {
                    int rangeAt = i++;
                    char h = s.charAt(i++);
                    if (h == '\\') {
                        CharClass e = escape(i - 1, true);
                        if (e.classes() != 0) {
                            throw new Unsupported("bad character range", rangeAt);
                        }
                        h = e.ranges()[0];
                    }
                    if (h < lo) {
                        throw new Unsupported("bad character range " + lo + "-" + h, rangeAt);
                    }
                    hi = h;
                }
                ranges.append(lo).append(hi);
            }
            char[] r = new char[ranges.length()];
            ranges.getChars(0, r.length, r, 0);
            return new CharClass(negated, r, classes);
        }
    }

    @Override
    public String toString() {
        return "ModulePattern[" + op.length + " instructions " + Arrays.toString(Arrays.copyOf(op, Math.min(op.length, 16))) + "]";
    }
}
