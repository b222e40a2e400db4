package dev.toploc.cli;

import dev.toploc.ChunkPlan;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.HiddenStates;
import dev.toploc.runtime.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options {@code commit} and {@code check} share: which states, and how they are chunked and committed. */
final class ActivationsOptions {
    @Option(names = "--activations", required = true, paramLabel = "FILE", description = ".npy (<f4, <f2, <u2/<i2 patterns) or .safetensors, rows x hidden")
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

    HiddenStates states() throws IOException, ModelFormatException {
        return Activations.read(activations, Dtype.fromWireName(patterns), tensor);
    }

    CommitSpec spec() {
        return new CommitSpec(Dtype.fromWireName(dtype), topk, chunk);
    }

    /** The reference dump layout: {@code --prefill-rows} rows, then one decode row per remaining row. */
    ChunkPlan plan(HiddenStates s) {
        if (prefillRows < 0 || prefillRows > s.rows()) {
            throw new IllegalArgumentException("--prefill-rows " + prefillRows + " is outside 0.." + s.rows() + " (the file's rows)");
        }
        return ChunkPlan.forRows(prefillRows, s.rows() - prefillRows, chunk);
    }
}
