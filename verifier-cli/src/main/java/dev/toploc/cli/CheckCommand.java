package dev.toploc.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkPlan;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.HiddenStates;
import dev.toploc.VerificationReport;
import dev.toploc.Verifier;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toploc check}: commits against given hidden states, no model needed. */
@Command(name = "check", description = "Check base64 commits against hidden states (no model needed). Exit 0 accepted, 1 rejected, 2 bad input.")
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--activations", required = true, paramLabel = "FILE", description = ".npy or .safetensors, rows x hidden")
    Path activations;

    @Option(names = "--tensor", paramLabel = "NAME", description = "safetensors: which tensor")
    String tensor;

    @Option(names = "--patterns", defaultValue = "bf16", description = "what 16-bit integer patterns are (default ${DEFAULT-VALUE})")
    String patterns;

    @Option(names = "--proofs", required = true, paramLabel = "FILE", description = "base64 commits, one per line")
    Path proofs;

    @Option(names = "--prefill-rows", defaultValue = "0", description = "leading rows committed as one chunk (default ${DEFAULT-VALUE})")
    int prefillRows;

    @Option(names = "--chunk", defaultValue = "32", description = "decode rows per chunk (default ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--topk", defaultValue = "128", description = "k (default ${DEFAULT-VALUE})")
    int topk;

    @Option(names = "--dtype", defaultValue = "bf16", description = "commit dtype (default ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--policy", paramLabel = "FILE", description = "calibrated policy (default: the reference's thresholds)")
    Path policyFile;

    @Option(names = "--json", description = "machine-readable report")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        HiddenStates s = Activations.read(activations, Dtype.fromWireName(patterns), tensor);
        CommitSpec spec = new CommitSpec(Dtype.fromWireName(dtype), topk, chunk);
        if (prefillRows < 0 || prefillRows > s.rows()) {
            throw new IllegalArgumentException("--prefill-rows " + prefillRows + " is outside 0.." + s.rows() + " (the file's rows)");
        }
        ChunkPlan plan = ChunkPlan.forRows(prefillRows, s.rows() - prefillRows, chunk);
        List<String> lines = Inputs.proofs(proofs);
        List<Commit> commits = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            commits.add(Commit.fromBase64(lines.get(i), spec.encoding(), topk, "commit " + i + " (line " + (i + 1) + ")"));
        }
        AcceptancePolicy policy = policyFile != null ? PolicyFile.read(policyFile).policy() : AcceptancePolicy.defaults(spec);
        VerificationReport r = Verifier.check(s, plan, spec, commits, policy);
        if (json) {
            ObjectNode n = Report.json(r);
            out.println(Report.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        } else {
            Report.table(out, r);
            out.println(r.accepted() ? "ACCEPTED" : "REJECTED");
        }
        if (!r.accepted()) {
            Verifier.verify(s, plan, spec, commits, policy);
        }
        return 0;
    }
}
