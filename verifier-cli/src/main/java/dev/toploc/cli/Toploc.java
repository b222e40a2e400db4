package dev.toploc.cli;

import dev.toploc.CommitFormatException;
import dev.toploc.TopLocException;
import dev.toploc.VerificationException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code toploc} command. Exit codes: 0 success (accepted), 1 rejected, 2 bad input or usage,
 * 3 internal error. An internal error is anything unexpected, {@link OutOfMemoryError} and other
 * {@link Error}s included: one line on stderr, and the stack trace only with {@code --debug} or
 * {@code TOPLOC_DEBUG=1}. Exit 1 means only that the claim was checked and does not hold. A command given
 * {@code --json} prints exactly one JSON object on stdout on every exit path: its own report, or, for an exit
 * by an exception that printed none, {@code JsonOutcome.error} (verdict, exit code, stage, check, message and
 * what the command knew so far).
 */
@Command(name = "toploc", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, version = "toploc 0.1.0",
        description = "TOPLOC-style verifiable-inference commits: build, check and benchmark them.",
        subcommands = {DemoCommand.class, VerifyCommand.class, ValidateCommand.class, ServeValidatorCommand.class, GenerateCommand.class, KeygenCommand.class, CommitCommand.class,
                CheckCommand.class, InspectCommand.class, PrefillCommand.class, CalibrateCommand.class, BenchCommand.class,
                HelpCommand.class})
public final class Toploc {
    public static final int ACCEPTED = 0;
    public static final int REJECTED = 1;
    public static final int BAD_INPUT = 2;
    public static final int INTERNAL_ERROR = 3;

    /** The environment variable that, set to anything but {@code 0} or empty, prints internal errors' stack traces. */
    public static final String DEBUG_ENV = "TOPLOC_DEBUG";

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "on an internal error (exit 3), print its stack trace (also: TOPLOC_DEBUG=1)")
    boolean debug;

    public static void main(String[] args) {
        PrintWriter err = new PrintWriter(System.err, true);
        int code;
        try {
            code = run(args, new PrintWriter(System.out, true), err);
        } catch (Throwable t) {      // not even run() could report it (e.g. out of memory while reporting)
            code = INTERNAL_ERROR;
            try {
                err.println("internal error: " + t);
            } catch (Throwable ignored) {
                // the exit code still says what happened
            }
        }
        System.exit(code);
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Toploc());
        Tracked stdout = new Tracked(out);
        PrintWriter o = new PrintWriter(stdout, true);
        cl.setOut(o);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(Toploc::exitCode);
        cl.setParameterExceptionHandler((e, a) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("error: " + Terminal.escape(e.getMessage()));
            json(c, args, stdout, o, BAD_INPUT, "usage", null, e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, c.getErr());
            if (!c.getSubcommands().isEmpty() && c.getParseResult() != null && c.getParseResult().subcommand() == null) {
                c.usage(c.getErr());       // which command? show the list
            } else {
                c.getErr().println("(see: " + c.getCommandSpec().qualifiedName() + " --help)");
            }
            return BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            int code = report(e, cmd.getErr(), debugAsked(root(cmd)));
            json(cmd, args, stdout, o, code, e);
            return code;
        });
        try {
            return cl.execute(args);
        } catch (Throwable t) {
            // picocli hands only Exceptions to the handler: an Error (OutOfMemoryError, StackOverflowError)
            // escapes execute(); left to the JVM it would print a trace and exit 1, which means REJECTED.
            int code = report(t, err, debugAsked(cl));
            try {
                json(deepest(cl), args, stdout, o, code, t);
            } catch (Throwable ignored) {
                // the exit code still tells
            }
            return code;
        } finally {
            o.flush();
        }
    }

    /** Stdout, noting whether anything was written to it (a {@code --json} report already printed). */
    private static final class Tracked extends java.io.FilterWriter {
        private boolean written;

        Tracked(java.io.Writer w) {
            super(w);
        }

        @Override
        public void write(int c) throws java.io.IOException {
            written = true;
            super.write(c);
        }

        @Override
        public void write(char[] b, int off, int len) throws java.io.IOException {
            written |= len > 0;
            super.write(b, off, len);
        }

        @Override
        public void write(String str, int off, int len) throws java.io.IOException {
            written |= len > 0;
            super.write(str, off, len);
        }
    }

    private static CommandLine deepest(CommandLine root) {
        CommandLine c = root;
        try {
            for (CommandLine.ParseResult p = root.getParseResult(); p != null; p = p.subcommand()) {
                c = p.commandSpec().commandLine();
            }
        } catch (RuntimeException e) {
            // no parse result: the root
        }
        return c;
    }

    /** Whether {@code c} has a boolean {@code --json} flag and this command line gave it. */
    private static boolean jsonAsked(CommandLine c, String[] args) {
        CommandLine.Model.OptionSpec opt = c.getCommandSpec().findOption("--json");
        if (opt == null || !opt.typeInfo().isBoolean()) {
            return false;      // calibrate --json FILE names a file
        }
        try {
            if (c.getParseResult() != null && c.getParseResult().hasMatchedOption("--json")) {
                return true;
            }
        } catch (RuntimeException e) {
            // a parse that failed part-way: the arguments tell
        }
        return java.util.Arrays.asList(args).contains("--json");
    }

    /** The one {@code --json} object of an exit by exception: printed when {@code --json} was asked for and no report was printed. */
    private static void json(CommandLine cmd, String[] args, Tracked stdout, PrintWriter o, int code, Throwable e) {
        Throwable t = e instanceof CommandLine.ExecutionException && e.getCause() != null ? e.getCause() : e;
        JsonOutcome ctx = cmd.getCommand() instanceof JsonOutcome.Source s ? s.outcome() : null;
        String stage = ctx != null ? ctx.stage() : code == REJECTED ? "commits" : code == BAD_INPUT ? JsonOutcome.INPUT : "internal";
        String check = t instanceof dev.toploc.attest.AttestationException a ? a.check()
                : cause(t, CommitFormatException.class) instanceof CommitFormatException c && c.nullProof() ? "null-proof"
                : t instanceof VerificationException ? "commits" : null;
        String message = code == INTERNAL_ERROR
                ? "internal error: " + t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage())
                : t.getMessage() == null ? t.toString() : t.getMessage();
        json(cmd, args, stdout, o, code, stage, check, message, ctx);
    }

    private static void json(CommandLine cmd, String[] args, Tracked stdout, PrintWriter o, int code, String stage, String check, String message) {
        json(cmd, args, stdout, o, code, stage, check, message, cmd.getCommand() instanceof JsonOutcome.Source s ? s.outcome() : null);
    }

    private static void json(CommandLine cmd, String[] args, Tracked stdout, PrintWriter o, int code, String stage, String check, String message,
                             JsonOutcome ctx) {
        o.flush();
        if (stdout.written || !jsonAsked(cmd, args)) {
            return;
        }
        try {
            o.println(Report.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JsonOutcome.error(ctx, code, stage, check, message)));
            o.flush();
        } catch (Exception ignored) {
            // the exit code and the stderr line still tell
        }
    }

    private static CommandLine root(CommandLine c) {
        while (c.getParent() != null) {
            c = c.getParent();
        }
        return c;
    }

    /** Whether {@code --debug} was given to any command on the line, or the environment asks for traces. */
    static boolean debugAsked(CommandLine root) {
        String env = System.getenv(DEBUG_ENV);
        if (env != null && !env.isEmpty() && !env.equals("0")) {
            return true;
        }
        try {
            for (CommandLine.ParseResult p = root.getParseResult(); p != null; p = p.subcommand()) {
                if (p.hasMatchedOption("--debug")) {
                    return true;
                }
            }
        } catch (RuntimeException e) {
            // no parse result: nothing was asked
        }
        return false;
    }

    /** Prints one line for {@code e} (its message escaped: it may embed untrusted input) and returns its exit code. */
    static int report(Throwable e, PrintWriter err, boolean debug) {
        Throwable t = e instanceof CommandLine.ExecutionException && e.getCause() != null ? e.getCause() : e;
        int code = exitCode(t);
        try {
            String line;
            if (code == INTERNAL_ERROR) {
                Throwable oom = cause(t, OutOfMemoryError.class);
                line = oom != null
                        ? "internal error: out of memory (" + oom.getMessage() + "): give the JVM more heap (e.g. JAVA_TOOL_OPTIONS=-Xmx16g)"
                                + " or use smaller inputs"
                        : "internal error: " + t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage())
                                + " (a bug: please report it)";
                if (!debug) {
                    line += "; rerun with --debug or " + DEBUG_ENV + "=1 for the stack trace";
                }
            } else {
                line = (code == REJECTED ? "REJECTED: " : "error: ") + (t.getMessage() == null ? t.toString() : t.getMessage());
            }
            err.println(Terminal.escape(line));
            if (debug) {
                t.printStackTrace(err);
            }
            err.flush();
        } catch (Throwable ignored) {
            // reporting failed (out of memory again?): the exit code still tells
        }
        return code;
    }

    private static Throwable cause(Throwable t, Class<? extends Throwable> type) {
        for (int i = 0; t != null && i < 32; t = t.getCause(), i++) {
            if (type.isInstance(t)) {
                return t;
            }
        }
        return null;
    }

    static int exitCode(Throwable e) {
        if (e instanceof Error || cause(e, OutOfMemoryError.class) != null) {
            return INTERNAL_ERROR;
        }
        if (e instanceof VerificationException) {
            return REJECTED;
        }
        if (cause(e, CommitFormatException.class) instanceof CommitFormatException c && c.nullProof()) {
            return REJECTED;       // the provider sent the reference's error marker, not a commit: the claim does not hold
        }
        if (e instanceof dev.toploc.attest.AttestationException a
                && java.util.Set.of("signature", "trust", "model", "subject", "null-proof", dev.toploc.attest.Expectations.CHECK).contains(a.check())) {
            return REJECTED;       // well-formed, but the claim does not hold
        }
        if (e instanceof TopLocException || e instanceof IllegalArgumentException || e instanceof java.io.IOException
                || e instanceof CommandLine.ParameterException) {
            return BAD_INPUT;
        }
        return INTERNAL_ERROR;
    }
}
