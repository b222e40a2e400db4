package dev.toploc.cli;

import dev.toploc.Commit;
import dev.toploc.Commits;
import dev.toploc.HiddenStates;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code toploc commit}: commits from hidden states dumped by another engine, one base64 per line. */
@Command(name = "commit", description = "Build commits from hidden states (.npy rows x hidden, or .safetensors) and print one base64 commit per line.")
final class CommitCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Mixin
    ActivationsOptions in;

    @Override
    public Integer call() throws Exception {
        HiddenStates s = in.states();
        for (Commit c : Commits.commitAll(s, in.plan(s), in.spec())) {
            command.commandLine().getOut().println(c.toBase64());
        }
        return 0;
    }
}
