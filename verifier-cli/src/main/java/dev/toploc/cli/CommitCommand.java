package dev.toploc.cli;

import dev.toploc.ChunkPlan;
import dev.toploc.Commit;
import dev.toploc.CommitSpec;
import dev.toploc.Commits;
import dev.toploc.Dtype;
import dev.toploc.HiddenStates;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toploc commit}: commits from hidden states dumped by another engine, one base64 per line. */
@Command(name = "commit", description = "Build commits from hidden states (.npy rows x hidden, or .safetensors) and print one base64 commit per line.")
final class CommitCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--activations", required = true, paramLabel = "FILE", description = ".npy (<f4, <f2, <u2/<i2 patterns) or .safetensors")
    Path activations;

    @Option(names = "--tensor", paramLabel = "NAME", description = "safetensors: which tensor (default: the only 2-D one)")
    String tensor;

    @Option(names = "--patterns", defaultValue = "bf16", description = "what 16-bit integer patterns are: bf16 or fp16 (default ${DEFAULT-VALUE})")
    String patterns;

    @Option(names = "--prefill-rows", defaultValue = "0", description = "leading prompt rows committed as one chunk (default ${DEFAULT-VALUE}: none)")
    int prefillRows;

    @Option(names = "--chunk", defaultValue = "32", description = "decode rows per chunk (default ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--topk", defaultValue = "128", description = "k (default ${DEFAULT-VALUE})")
    int topk;

    @Option(names = "--dtype", defaultValue = "bf16", description = "commit dtype (default ${DEFAULT-VALUE})")
    String dtype;

    @Override
    public Integer call() throws Exception {
        HiddenStates s = Activations.read(activations, Dtype.fromWireName(patterns), tensor);
        if (prefillRows < 0 || prefillRows > s.rows()) {
            throw new IllegalArgumentException("--prefill-rows " + prefillRows + " is outside 0.." + s.rows() + " (the file's rows)");
        }
        CommitSpec spec = new CommitSpec(Dtype.fromWireName(dtype), topk, chunk);
        ChunkPlan plan = ChunkPlan.forRows(prefillRows, s.rows() - prefillRows, chunk);
        for (Commit c : Commits.commitAll(s, plan, spec)) {
            command.commandLine().getOut().println(c.toBase64());
        }
        return 0;
    }
}
