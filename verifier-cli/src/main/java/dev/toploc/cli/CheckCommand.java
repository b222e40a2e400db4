package dev.toploc.cli;

import dev.toploc.AcceptancePolicy;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.Compute;
import dev.toploc.HiddenStates;
import dev.toploc.VerificationException;
import dev.toploc.VerificationReport;
import dev.toploc.Verifier;
import dev.toploc.policy.Policies;
import java.io.PrintWriter;
import java.nio.file.Path;
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

    @Option(names = "--proofs", required = true, paramLabel = "FILE", description = "commits: one base64 per line, concatenated base64, binary records or a JSON list")
    Path proofs;

    @Option(names = "--proofs-layout", defaultValue = "auto", description = "auto, lines, base64-concat, binary or json (default ${DEFAULT-VALUE})")
    String proofsLayout;

    @Option(names = "--ties", defaultValue = "tolerant", description = "strict, tolerant or tolerant:W (default ${DEFAULT-VALUE}: the prover's "
            + "choice among values tied at the k-th magnitude is not a mismatch; strict: the reference's measurement)")
    String ties;

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
            return check(out, dev.compute());
        }
    }

    private int check(PrintWriter out, Compute compute) throws Exception {
        HiddenStates s = in.states();
        byte[] data = Inputs.read(proofs, dev.toploc.Proofs.MAX_BYTES, "proofs file");
        String source = "proofs file " + proofs.getFileName();
        dev.toploc.CommitsHeader header = dev.toploc.CommitsHeader.find(data, source).orElse(null);
        ActivationsOptions.Setup setup = in.setup(command, s, header, source, command.commandLine().getErr());
        CommitSpec spec = setup.spec();
        List<Commit> commits = dev.toploc.Proofs.read(data, dev.toploc.Proofs.Layout.fromWireName(proofsLayout), spec, source).commits();
        dev.toploc.ChunkPlan plan = ActivationsOptions.plan(s, setup.prefillRows(), spec.chunkSize());
        SetupHints.requireCount(commits.size(), plan, s.rows(), setup.prefillRows(), spec.chunkSize(), header != null);
        Policies.Choice chosen = policyFile != null ? Policies.fromFileWithoutModel(policyFile, spec) : Policies.defaults(spec);
        AcceptancePolicy policy = chosen.policy();
        command.commandLine().getErr().println("policy: " + Terminal.escape(chosen.description()));
        dev.toploc.TieRule tieRule = dev.toploc.TieRule.fromWireName(ties);
        VerificationReport r = Verifier.check(s, plan, spec, commits, policy, tieRule, compute);
        if (!r.accepted()) {
            SetupHints.requireNotOtherDtype(s, plan, spec, commits, policy, tieRule, compute, header != null);
        }
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
