package dev.toploc.cli;

import static dev.toploc.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.cli.CliTest.Run;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Issue 14 point 3: help for every command and subcommand, found by walking the command tree (a new command cannot miss it). */
class HelpCliTest {

    /** Every command path under {@code toploc}: [], [demo], …, [bench], [bench, core], …, [help]. */
    static Stream<List<String>> commandPaths() {
        List<List<String>> out = new ArrayList<>();
        walk(new CommandLine(new Toploc()), new ArrayList<>(), out);
        return out.stream();
    }

    private static void walk(CommandLine c, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        c.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandSpec().aliases().length == 0 || sub.getCommandName().equals(name)) {
                path.add(name);
                walk(sub, path, out);
                path.remove(path.size() - 1);
            }
        });
    }

    @Test
    void theTreeIsWhatTheDocsList() {
        List<String> names = commandPaths().map(p -> String.join(" ", p)).toList();
        assertTrue(names.containsAll(List.of("", "demo", "verify", "generate", "keygen", "commit", "check", "inspect", "prefill", "calibrate",
                "bench", "bench core", "bench prefill", "bench verify", "bench hook", "help")), names.toString());
    }

    @ParameterizedTest(name = "toploc {0}")
    @MethodSource("commandPaths")
    void helpOption_andHelpCommand_printUsage_andExit0(List<String> path) {
        String usage = "Usage: " + String.join(" ", Stream.concat(Stream.of("toploc"), path.stream()).toList()) + " ";
        for (String flag : new String[] {"--help", "-h"}) {
            List<String> args = new ArrayList<>(path);
            args.add(flag);
            Run r = run(args.toArray(String[]::new));
            assertEquals(0, r.code(), args + ": " + r.err());
            assertTrue(r.out().startsWith(usage), () -> args + ": " + r.out());
        }
        List<String> args = new ArrayList<>(List.of("help"));
        args.addAll(path);
        Run h = run(args.toArray(String[]::new));
        assertEquals(0, h.code(), args + ": " + h.err());
        assertTrue(h.out().startsWith(usage), () -> args + ": " + h.out());
        assertTrue(h.out().contains("--debug"), "every command documents --debug: " + h.out());
    }

    @Test
    void helpForAnUnknownCommand_isBadInput_namingTheChoices() {
        Run r = run("help", "bench", "gpu");
        assertEquals(Toploc.BAD_INPUT, r.code());
        assertTrue(r.err().contains("no command 'gpu' under 'toploc bench' (expected one of core, prefill, verify, hook)"), r.err());
        assertEquals(Toploc.BAD_INPUT, run("help", "nope").code());
    }
}
