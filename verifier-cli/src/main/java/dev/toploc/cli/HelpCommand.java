package dev.toploc.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code toploc help [COMMAND [SUBCOMMAND…]]}: the usage of any command at any depth ({@code toploc help bench core});
 * picocli's own help command looks one level down only.
 */
@Command(name = "help", helpCommand = true, description = "Show the usage of a command or subcommand, e.g. 'toploc help verify' or 'toploc help bench core'.")
final class HelpCommand implements CommandLine.IHelpCommandInitializable2, Callable<Integer> {
    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "the command and subcommands, e.g. bench core")
    List<String> path = new ArrayList<>();

    private CommandLine self;
    private PrintWriter out;
    private CommandLine.Help.ColorScheme colors;

    @Override
    public void init(CommandLine helpCommandLine, CommandLine.Help.ColorScheme colorScheme, PrintWriter out, PrintWriter err) {
        this.self = helpCommandLine;
        this.colors = colorScheme;
        this.out = out;
    }

    @Override
    public Integer call() {
        CommandLine c = self.getParent();
        for (String name : path) {
            CommandLine sub = c.getSubcommands().get(name);
            if (sub == null) {
                throw new CommandLine.ParameterException(self, "no command '" + Terminal.escape(name) + "' under '"
                        + c.getCommandSpec().qualifiedName() + "' (expected one of " + String.join(", ", c.getSubcommands().keySet()) + ")");
            }
            c = sub;
        }
        c.usage(out, colors);
        out.flush();
        return Toploc.ACCEPTED;
    }
}
