package dev.toploc.cuda;

import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelConfig;
import dev.toploc.runtime.internal.Rope;
import dev.toploc.runtime.internal.Safetensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The fp32 prefill on the GPU: a {@link Model}'s weights (bf16, fp16 or fp32, all of one dtype), uploaded once
 * straight from their memory-mapped files (no copy on the Java heap), and {@code tl_prefill_f32} per call.
 * Rotary frequencies come from the runtime's {@link Rope}, so Llama 3.1 rope scaling carries over; QKV bias
 * (Qwen2), per-head q/k RMSNorm (Qwen3) and per-layer sliding windows (Mistral, Qwen2's
 * {@code max_window_layers}) run on the device as the runtime computes them. Results
 * agree with the CPU runtime's fp32 mode to fp32 rounding (sums run in another order: see
 * {@code toploc_cuda.cu}), which the commit tolerance absorbs. Plugged into the verifier with
 * {@link #asEngine}: fp32 requests go to the GPU, others stay on the CPU.
 */
public final class CudaPrefill implements AutoCloseable {
    /** A layer's tensors in {@code tl_model_create}'s order: 9 every model has, then the QKV biases and the q/k norms. */
    private static final String[] LAYER = {"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
            "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight",
            "mlp.up_proj.weight", "mlp.down_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias",
            "self_attn.q_norm.weight", "self_attn.k_norm.weight"};
    private static final int BIAS = 9;
    private static final int QK_NORM = 12;

    private final Model model;
    private final Native lib;
    private final MemorySegment handle;
    private final int maxTokens;
    private boolean closed;

    private CudaPrefill(Model model, Native lib, MemorySegment handle, int maxTokens) {
        this.model = model;
        this.lib = lib;
        this.handle = handle;
        this.maxTokens = maxTokens;
    }

    /** Uploads {@code model}'s weights to device 0 of the default library. */
    public static CudaPrefill upload(Model model) throws CudaException {
        return upload(CudaBackend.open(), model);
    }

    /**
     * Uploads {@code model}'s weights to {@code backend}'s device 0. Covers llama, mistral, qwen2 and qwen3
     * (QKV bias, per-head q/k RMSNorm, any {@code head_dim}, sliding windows per layer) with rope scaling
     * llama3 or linear and bf16, fp16 or fp32 weights; other models are a {@link CudaException} (error name
     * {@code unsupported}) saying what is not covered.
     */
    public static CudaPrefill upload(CudaBackend backend, Model model) throws CudaException {
        ModelConfig c = model.config();
        if (c.ropeScaling() != null && c.ropeScaling().type() != ModelConfig.RopeScaling.Type.LLAMA3
                && c.ropeScaling().type() != ModelConfig.RopeScaling.Type.LINEAR) {
            throw new CudaException("unsupported", "the GPU prefill takes rope_scaling llama3 or linear (this is " + c.ropeScaling().type() + ")");
        }
        if (c.gemma() != null) {
            throw new CudaException("unsupported", "the GPU prefill has no Gemma layers (this is " + c.architecture() + ")");
        }
        if (c.moe() != null || c.architecture() == ModelConfig.Architecture.PHI3) {
            throw new CudaException("unsupported", "the GPU prefill has no " + (c.moe() != null ? "mixture of experts" : "fused projections")
                    + " (this is " + c.architecture() + ")");
        }
        Safetensors.Entry embed = tensor(model, "model.embed_tokens.weight");
        int dtype = switch (embed.dtype()) {
            case "BF16" -> 0;
            case "F16" -> 1;
            case "F32" -> 2;
            default -> throw new CudaException("unsupported", "the GPU prefill takes bf16, fp16 or fp32 weights; model.embed_tokens.weight is "
                    + embed.dtype());
        };
        Native lib = backend.natives();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cfg = a.allocate(7 * 4 + 2 * 4);
            int[] ints = {c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(), c.vocabSize()};
            for (int i = 0; i < ints.length; i++) {
                cfg.setAtIndex(ValueLayout.JAVA_INT, i, ints[i]);
            }
            cfg.set(ValueLayout.JAVA_FLOAT, 28, (float) c.ropeTheta());
            cfg.set(ValueLayout.JAVA_FLOAT, 32, (float) c.rmsNormEps());
            // the optional tensors exactly where the runtime's forward pass uses them (NULL elsewhere), so the two compute the same thing
            MemorySegment layers = a.allocate(ValueLayout.ADDRESS, (long) LAYER.length * c.numLayers());
            int[] windows = new int[c.numLayers()];
            for (int l = 0; l < c.numLayers(); l++) {
                for (int j = 0; j < LAYER.length; j++) {
                    boolean used = j < BIAS || (j < QK_NORM ? c.attentionBias() : c.qkNorm());
                    layers.setAtIndex(ValueLayout.ADDRESS, (long) l * LAYER.length + j,
                            used ? data(model, "model.layers." + l + "." + LAYER[j], embed.dtype()) : MemorySegment.NULL);
                }
                windows[l] = c.windowOf(l);
            }
            MemorySegment invFreq = a.allocateFrom(ValueLayout.JAVA_FLOAT, new Rope(c).invFreq());
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            lib.check((int) lib.modelCreate.invokeExact(cfg, dtype, embed.data(), layers, data(model, "model.norm.weight", embed.dtype()),
                    invFreq, a.allocateFrom(ValueLayout.JAVA_INT, windows), out), "uploading the model to the GPU");
            MemorySegment handle = out.get(ValueLayout.ADDRESS, 0);
            return new CudaPrefill(model, lib, handle, (int) lib.modelMaxTokens.invokeExact(handle));
        } catch (Throwable t) {
            throw Native.callFailed("tl_model_create", t);
        }
    }

    private static Safetensors.Entry tensor(Model m, String name) throws CudaException {
        Safetensors.Entry e = m.storedTensor(name).orElseThrow(() -> new CudaException("weights", "no tensor " + name));
        if (!e.data().isNative()) {
            throw new CudaException("weights", name + " is not in native memory (the GPU upload reads mapped files)");
        }
        return e;
    }

    private static MemorySegment data(Model m, String name, String dtype) throws CudaException {
        Safetensors.Entry e = tensor(m, name);
        if (!e.dtype().equals(dtype)) {
            throw new CudaException("unsupported", "the GPU prefill takes weights of one dtype; " + name + " is " + e.dtype()
                    + ", model.embed_tokens.weight " + dtype);
        }
        return e.data();
    }

    /** The longest prompt {@link #prefill} takes on this device. */
    public int maxTokens() {
        return maxTokens;
    }

    /** Final-norm hidden states of every position (fp32 mode math on the device), {@code tokens.length x hidden}. */
    public float[] prefill(int[] tokens) throws CudaException {
        if (closed) {
            throw new IllegalStateException("this GPU prefill was closed");
        }
        if (tokens.length == 0 || tokens.length > maxTokens) {
            throw new IllegalArgumentException(tokens.length + " tokens (the GPU prefill takes 1.." + maxTokens + " on this device)");
        }
        int vocab = model.config().vocabSize();
        for (int t = 0; t < tokens.length; t++) {
            if (tokens[t] < 0 || tokens[t] >= vocab) {
                throw new IllegalArgumentException("token " + tokens[t] + " at position " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        int d = model.config().hiddenSize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ids = a.allocateFrom(ValueLayout.JAVA_INT, tokens);
            MemorySegment out = a.allocate(ValueLayout.JAVA_FLOAT, (long) tokens.length * d);
            lib.check((int) lib.prefill.invokeExact(handle, ids, tokens.length, out, MemorySegment.NULL), "the GPU prefill");
            return out.toArray(ValueLayout.JAVA_FLOAT);
        } catch (Throwable t) {
            throw Native.callFailed("tl_prefill_f32", t);
        }
    }

    /** This prefill as the verifier's engine: fp32 on the GPU, other modes and longer prompts declined (they run on the CPU). */
    public InferenceVerifier.PrefillEngine asEngine() {
        return (m, tokens, mode) -> {
            if (m != model || mode != ComputeMode.FP32 || tokens.length > maxTokens) {
                return null;
            }
            try {
                return prefill(tokens);
            } catch (CudaException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        };
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lib.modelFree.invokeExact(handle);
        } catch (Throwable t) {
            throw new IllegalStateException("tl_model_free failed", t);
        }
    }
}
