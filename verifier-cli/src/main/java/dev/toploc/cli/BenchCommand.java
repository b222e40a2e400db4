package dev.toploc.cli;

import picocli.CommandLine.Command;

/** {@code toploc bench core|prefill}. */
@Command(name = "bench", description = "Benchmarks: core (commits), prefill (the Java forward pass), verify (generation vs verification).",
        subcommands = {BenchCoreCommand.class, BenchPrefillCommand.class, BenchVerifyCommand.class, BenchHookCommand.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec command;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(command.commandLine(), "which benchmark? (expected one of: " + String.join(", ", command.commandLine().getSubcommands().keySet()) + ")");
    }
}
