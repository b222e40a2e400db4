package dev.toploc.cli;

import dev.toploc.AcceptancePolicy;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.HiddenStates;
import dev.toploc.VerificationException;
import dev.toploc.VerificationReport;
import dev.toploc.Verifier;
import dev.toploc.policy.Policies;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toploc check}: commits against given hidden states, no model needed. */
@Command(name = "check", description = "Check base64 commits against hidden states (no model needed). Exit 0 accepted, 1 rejected, 2 bad input.")
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Mixin
    ActivationsOptions in;

    @Option(names = "--proofs", required = true, paramLabel = "FILE", description = "base64 commits, one per line")
    Path proofs;

    @Option(names = "--device", defaultValue = "auto", description = "cpu, cuda or auto (default ${DEFAULT-VALUE}): where the commits' top-k runs")
    String device;

    @Option(names = "--policy", paramLabel = "FILE", description = "calibrated policy (default: the reference's thresholds)")
    Path policyFile;

    @Option(names = "--json", description = "machine-readable report")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        try (Device dev = Device.select(device, command.commandLine().getErr())) {
            return check(out);
        }
    }

    private int check(PrintWriter out) throws Exception {
        HiddenStates s = in.states();
        CommitSpec spec = in.spec();
        List<String> lines = Inputs.proofs(proofs);
        List<Commit> commits = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            commits.add(Commit.fromBase64(lines.get(i), spec.encoding(), spec.topK(), "commit " + i + " (line " + (i + 1) + ")"));
        }
        Policies.Choice chosen = policyFile != null ? Policies.fromFileWithoutModel(policyFile, spec) : Policies.defaults(spec);
        AcceptancePolicy policy = chosen.policy();
        command.commandLine().getErr().println("policy: " + chosen.description());
        VerificationReport r = Verifier.check(s, in.plan(s), spec, commits, policy);
        if (json) {
            out.println(Report.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(Report.json(r)));
        } else {
            Report.table(out, r);
            out.println(r.accepted() ? "ACCEPTED" : "REJECTED");
        }
        if (!r.accepted()) {
            throw new VerificationException("rejected: " + r.rejection() + "; policy: " + policy.source(), r);
        }
        return 0;
    }
}
