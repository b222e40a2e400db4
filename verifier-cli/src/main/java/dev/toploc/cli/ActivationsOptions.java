package dev.toploc.cli;

import dev.toploc.ChunkPlan;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.HiddenStates;
import dev.toploc.runtime.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;
import dev.toploc.CommitsHeader;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The options {@code commit} and {@code check} share: which states, and how they are chunked and committed. */
final class ActivationsOptions {
    @Option(names = "--activations", required = true, paramLabel = "FILE", description = ".npy (<f4, <f2, <u2/<i2 patterns) or .safetensors, rows x hidden")
    Path activations;

    @Option(names = "--tensor", paramLabel = "NAME", description = "safetensors: which tensor (default: the only 2-D one)")
    String tensor;

    @Option(names = "--patterns", defaultValue = "bf16", description = "what 16-bit integer patterns are: bf16 or fp16 (default ${DEFAULT-VALUE})")
    String patterns;

    @Option(names = "--prefill-rows", defaultValue = "0", description = "leading prompt rows committed as one chunk (default: the proofs "
            + "file's header, else ${DEFAULT-VALUE}: none)")
    int prefillRows;

    @Option(names = "--chunk", defaultValue = "32", description = "decode rows per chunk (default: the proofs file's header, else ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--topk", defaultValue = "128", description = "k (default: the proofs file's header, else ${DEFAULT-VALUE})")
    int topk;

    @Option(names = "--dtype", description = "commit dtype (default: the proofs file's header, else the activations' dtype: fp16 states "
            + "commit in fp16, bf16 in bf16, fp32 in bf16)")
    String dtype;

    HiddenStates states() throws IOException, ModelFormatException {
        return Activations.read(activations, Dtype.fromWireName(patterns), tensor);
    }

    /** How the commits are (to be) made: the spec and the prefill rows. */
    record Setup(CommitSpec spec, int prefillRows) {
    }

    /**
     * The settings from the flags and, when the proofs file has one, its {@link CommitsHeader}: a flag given
     * on the command line that contradicts the header is bad input naming both; a flag not given takes the
     * header's value, else its default. Without a header and without {@code --dtype} the dtype is the
     * activations' own (bf16 for fp32 states); a commit dtype other than the states' 16-bit dtype is
     * warned about on {@code err}.
     */
    Setup setup(CommandSpec cmd, HiddenStates s, CommitsHeader header, String source, java.io.PrintWriter err) {
        var pr = cmd.commandLine().getParseResult();
        Dtype input = s.dtype();
        Dtype d;
        if (dtype != null) {
            d = Dtype.fromWireName(dtype);
            if (header != null && header.spec().dtype() != d) {
                throw contradiction("--dtype " + dtype, "dtype=" + header.spec().dtype().wireName(), source);
            }
        } else if (header != null) {
            d = header.spec().dtype();
        } else {
            d = input.bits() == 16 ? input : Dtype.BF16;
        }
        int k = pick(pr.hasMatchedOption("--topk"), "--topk", topk, header == null ? null : header.spec().topK(), "k", source);
        int c = pick(pr.hasMatchedOption("--chunk"), "--chunk", chunk, header == null ? null : header.spec().chunkSize(), "chunk", source);
        int p = pick(pr.hasMatchedOption("--prefill-rows"), "--prefill-rows", prefillRows, header == null ? null : header.prefillRows(),
                "prefill-rows", source);
        if (input.bits() == 16 && d != input) {
            err.println("warning: the activations are " + input.wireName() + " but the commits are " + d.wireName()
                    + (dtype != null ? " (--dtype " + dtype + ")" : " (the proofs file's header)")
                    + ": commits of a model's states are made in its own dtype");
        }
        return new Setup(new CommitSpec(d, k, c), p);
    }

    private static int pick(boolean given, String flag, int value, Integer fromHeader, String key, String source) {
        if (fromHeader == null) {
            return value;
        }
        if (given && value != fromHeader) {
            throw contradiction(flag + " " + value, key + "=" + fromHeader, source);
        }
        return fromHeader;
    }

    static IllegalArgumentException contradiction(String flag, String header, String source) {
        return new IllegalArgumentException(flag + " contradicts the header of " + source + " (" + header
                + "): drop the flag, or give the file its commits were made for");
    }

    /** The reference dump layout: {@code prefillRows} rows, then one decode row per remaining row. */
    static ChunkPlan plan(HiddenStates s, int prefillRows, int chunk) {
        if (prefillRows < 0 || prefillRows > s.rows()) {
            throw new IllegalArgumentException("--prefill-rows " + prefillRows + " is outside 0.." + s.rows() + " (the file's rows)");
        }
        return ChunkPlan.forRows(prefillRows, s.rows() - prefillRows, chunk);
    }
}
