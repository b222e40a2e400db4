package dev.toploc.cli;

import dev.toploc.Commit;
import dev.toploc.Commits;
import dev.toploc.CommitsHeader;
import dev.toploc.HiddenStates;
import dev.toploc.PositionConvention;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code toploc commit}: commits from hidden states dumped by another engine: a {@link CommitsHeader} line
 * saying how they were made, then one base64 commit per line.
 */
@Command(name = "commit", description = "Build commits from hidden states (.npy rows x hidden, or .safetensors): a header line "
        + "('# toploc-commits v1 dtype=… k=… chunk=… prefill-rows=… positions=…') that check and verify --proofs read, then one base64 commit per line.")
final class CommitCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Mixin
    ActivationsOptions in;

    @Option(names = "--positions", defaultValue = "decode-steps", description = "which positions the decode rows are, recorded in the header: "
            + "decode-steps (one row per decode step after the prefill, as the Python stack's hooks dump them) or produced "
            + "(the states that produced each completion token; default ${DEFAULT-VALUE})")
    String positions;

    @Option(names = "--no-header", description = "plain one-per-line base64, no header line (for readers that do not skip # lines)")
    boolean noHeader;

    @Override
    public Integer call() throws Exception {
        PositionConvention pos = PositionConvention.fromWireName(positions);
        HiddenStates s = in.states();
        PrintWriter err = command.commandLine().getErr();
        ActivationsOptions.Setup setup = in.setup(command, s, null, in.activations.toString(), err);
        var commits = Commits.commitAll(s, ActivationsOptions.plan(s, setup.prefillRows(), setup.spec().chunkSize()), setup.spec());
        PrintWriter out = command.commandLine().getOut();
        if (!noHeader) {
            out.println(new CommitsHeader(setup.spec(), setup.prefillRows(), pos).line());
        }
        for (Commit c : commits) {
            out.println(c.toBase64());
        }
        return 0;
    }
}
