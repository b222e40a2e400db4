package dev.toploc.cli;

import dev.toploc.TopLocException;
import dev.toploc.VerificationException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code toploc} command. Exit codes: 0 success (accepted), 1 rejected, 2 bad input or usage,
 * 3 internal error.
 */
@Command(name = "toploc", mixinStandardHelpOptions = true, version = "toploc 0.1.0",
        description = "TOPLOC-style verifiable-inference commits: build, check and benchmark them.",
        subcommands = {DemoCommand.class, VerifyCommand.class, ValidateCommand.class, GenerateCommand.class, KeygenCommand.class, CommitCommand.class,
                CheckCommand.class, InspectCommand.class, PrefillCommand.class, CalibrateCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Toploc {
    public static final int ACCEPTED = 0;
    public static final int REJECTED = 1;
    public static final int BAD_INPUT = 2;
    public static final int INTERNAL_ERROR = 3;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Toploc());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(Toploc::exitCode);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            int code = exitCode(e);
            String prefix = code == REJECTED ? "REJECTED: " : code == INTERNAL_ERROR ? "internal error: " : "error: ";
            cmd.getErr().println(prefix + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (code == INTERNAL_ERROR) {
                e.printStackTrace(cmd.getErr());
            }
            return code;
        });
        return cl.execute(args);
    }

    static int exitCode(Throwable e) {
        if (e instanceof VerificationException) {
            return REJECTED;
        }
        if (e instanceof dev.toploc.attest.AttestationException a
                && java.util.Set.of("signature", "trust", "model", "subject").contains(a.check())) {
            return REJECTED;       // well-formed, but the claim does not hold
        }
        if (e instanceof TopLocException || e instanceof IllegalArgumentException || e instanceof java.io.IOException
                || e instanceof CommandLine.ParameterException) {
            return BAD_INPUT;
        }
        return INTERNAL_ERROR;
    }
}
