package dev.toploc.cli;

import dev.toploc.Compute;
import dev.toploc.InvalidStatesException;
import dev.toploc.Sizes;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toploc prefill}: every position's final-norm hidden state, written as .npy, for comparing engines. */
@Command(name = "prefill", description = "Run a prefill and write every position's final-norm hidden state as .npy "
        + "(fp32 mode: <f4; bf16: <u2 bit patterns; fp16: <f2).")
final class PrefillCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HuggingFace model folder")
    Path model;

    static final class Input {
        @Option(names = "--ids", paramLabel = "IDS", description = "token ids, e.g. 1,2,3")
        String ids;
        @Option(names = "--ids-file", paramLabel = "FILE", description = "file of token ids (commas or whitespace)")
        Path idsFile;
        @Option(names = "--prompt", paramLabel = "TEXT", description = "text, tokenized by the model folder's tokenizer.json with its special tokens")
        String prompt;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--mode", defaultValue = "fp32", paramLabel = "MODE", description = "fp32, bf16 or fp16 (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "output .npy (not overwritten without --force)")
    Path output;

    @Option(names = "--force", description = "replace an existing output file")
    boolean force;

    @Option(names = "--stream-layers", description = "release each layer's weights after use (identical results)")
    boolean stream;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or auto (default ${DEFAULT-VALUE}); the GPU computes fp32 mode")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "threads (default: all processors)")
    Integer threads;

    @Option(names = "--cpu-backend", defaultValue = "auto", paramLabel = "B",
            description = "auto, java or native: the CPU matmul kernels (native: libtoploc_cpu, bf16 weights; default ${DEFAULT-VALUE})")
    String cpuBackend;

    @Override
    public Integer call() throws Exception {
        ComputeMode m = ComputeMode.fromWireName(mode);
        if (device.equals("cuda") && m != ComputeMode.FP32) {
            throw new IllegalArgumentException("--device cuda computes fp32 only (asked for " + m.wireName() + ")");
        }
        int[] ids = input.ids != null ? TokenIds.parse(input.ids, "--ids")
                : input.idsFile != null ? TokenIds.fromFile(input.idsFile) : Prompts.ids(model, input.prompt, null);
        try (Device dev = Device.select(m == ComputeMode.FP32 ? device : "cpu", cpuBackend, command.commandLine().getErr());
             Model mdl = Model.load(model)) {
            int d = mdl.config().hiddenSize();
            Compute compute = threads != null ? dev.compute().withThreads(threads) : dev.compute();
            dev.prefillOn(mdl);
            long t0 = System.nanoTime();
            var gpu = dev.prefill();
            float[] h = gpu != null ? gpu.prefill(ids) : mdl.prefill(ids, m, stream, null, compute);
            double secs = (System.nanoTime() - t0) / 1e9;
            for (int i = 0; i < h.length; i++) {
                if (!Float.isFinite(h[i])) {      // never write NaN or Inf states as if they were a result
                    throw new InvalidStatesException("the prefill produced " + h[i] + " at position " + i / d + ", column " + i % d
                            + " (the weights or config.json hold values the forward pass cannot compute with); nothing written");
                }
            }
            int bytes = Sizes.arrayLength("the .npy data of " + ids.length + " x " + d + " states", 1, h.length,
                    m == ComputeMode.FP32 ? 4 : 2);
            byte[] data;
            String descr;
            if (m == ComputeMode.FP32) {
                ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(h);
                data = b.array();
                descr = "<f4";
            } else {
                ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : h) {
                    b.putShort((short) m.dtype().fromFloat(f));
                }
                data = b.array();
                descr = m == ComputeMode.BF16 ? "<u2" : "<f2";
            }
            SafeFiles.write(output, force, false, out -> Npy.write(out, descr, ids.length, d, data));
            command.commandLine().getOut().printf("wrote %s: %d positions x %d (%s, %s) in %.2f s%n",
                    output, ids.length, d, m.wireName(), descr, secs);
        }
        return 0;
    }
}
