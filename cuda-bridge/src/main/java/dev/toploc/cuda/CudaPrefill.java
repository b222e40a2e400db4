package dev.toploc.cuda;

import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelConfig;
import dev.toploc.runtime.internal.Safetensors;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The fp32 prefill on the GPU: a {@link Model}'s bf16 weights, uploaded once straight from their
 * memory-mapped files (no copy on the Java heap), and {@code tl_prefill_f32} per call. Results agree with
 * the CPU runtime's fp32 mode to fp32 rounding (sums run in another order), which the commit tolerance
 * absorbs. Plugged into the verifier with {@link #asEngine}: fp32 requests go to the GPU, others stay on
 * the CPU.
 */
public final class CudaPrefill implements AutoCloseable {
    private static final String[] LAYER = {"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
            "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight",
            "mlp.up_proj.weight", "mlp.down_proj.weight"};

    private final Model model;
    private final MemorySegment handle;
    private final MethodHandle prefill;
    private final MethodHandle free;
    private final MethodHandle errorName;

    private CudaPrefill(Model model, MemorySegment handle, MethodHandle prefill, MethodHandle free, MethodHandle errorName) {
        this.model = model;
        this.handle = handle;
        this.prefill = prefill;
        this.free = free;
        this.errorName = errorName;
    }

    /** Uploads {@code model}'s weights to device 0. Needs bf16 weights, no QKV bias, no rope scaling or sliding window. */
    public static CudaPrefill upload(Model model) throws CudaException {
        ModelConfig c = model.config();
        if (c.attentionBias() || c.ropeScaling() != null || c.slidingWindow() > 0) {
            throw new CudaException("unsupported", "the GPU prefill covers Llama without QKV bias, rope scaling or sliding window (this is "
                    + c.architecture() + ")");
        }
        CudaBackend.open();     // a usable device, or a CudaException naming why not
        SymbolLookup syms = SymbolLookup.libraryLookup(CudaBackend.locate(), Arena.global());
        Linker linker = Linker.nativeLinker();
        MethodHandle create = linker.downcallHandle(sym(syms, "tl_model_create"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        MethodHandle run = linker.downcallHandle(sym(syms, "tl_prefill_f32"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        MethodHandle free = linker.downcallHandle(sym(syms, "tl_model_free"), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        MethodHandle name = linker.downcallHandle(sym(syms, "tl_error_name"), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cfg = a.allocate(7 * 4 + 2 * 4);
            int[] ints = {c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(), c.vocabSize()};
            for (int i = 0; i < ints.length; i++) {
                cfg.setAtIndex(ValueLayout.JAVA_INT, i, ints[i]);
            }
            cfg.set(ValueLayout.JAVA_FLOAT, 28, (float) c.ropeTheta());
            cfg.set(ValueLayout.JAVA_FLOAT, 32, (float) c.rmsNormEps());
            MemorySegment layers = a.allocate(ValueLayout.ADDRESS, 9L * c.numLayers());
            for (int l = 0; l < c.numLayers(); l++) {
                for (int j = 0; j < 9; j++) {
                    layers.setAtIndex(ValueLayout.ADDRESS, l * 9L + j, bf16(model, "model.layers." + l + "." + LAYER[j]));
                }
            }
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            int err = (int) create.invokeExact(cfg, bf16(model, "model.embed_tokens.weight"), layers, bf16(model, "model.norm.weight"), out);
            if (err != 0) {
                String en = name(name, err);
                throw new CudaException(en, "uploading the model to the GPU failed: " + en);
            }
            return new CudaPrefill(model, out.get(ValueLayout.ADDRESS, 0), run, free, name);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new CudaException("call", "tl_model_create failed: " + t);
        }
    }

    private static MemorySegment sym(SymbolLookup s, String n) throws CudaException {
        return s.find(n).orElseThrow(() -> new CudaException("symbol", "the CUDA library has no symbol " + n + " (rebuild the module)"));
    }

    private static MemorySegment bf16(Model m, String name) throws CudaException {
        Safetensors.Entry e = m.storedTensor(name).orElseThrow(() -> new CudaException("weights", "no tensor " + name));
        if (!e.dtype().equals("BF16") || !e.data().isNative()) {
            throw new CudaException("weights", "the GPU prefill takes bf16 weights; " + name + " is " + e.dtype());
        }
        return e.data();
    }

    private static String name(MethodHandle h, int err) {
        try {
            return ((MemorySegment) h.invokeExact(err)).reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "cudaError " + err;
        }
    }

    /** Final-norm hidden states of every position (fp32 mode math on the device). */
    public float[] prefill(int[] tokens) throws CudaException {
        int d = model.config().hiddenSize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ids = a.allocateFrom(ValueLayout.JAVA_INT, tokens);
            MemorySegment out = a.allocate(ValueLayout.JAVA_FLOAT, (long) tokens.length * d);
            int err = (int) prefill.invokeExact(handle, ids, tokens.length, out, MemorySegment.NULL);
            if (err != 0) {
                String en = name(errorName, err);
                throw new CudaException(en, "the GPU prefill failed: " + en);
            }
            return out.toArray(ValueLayout.JAVA_FLOAT);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new CudaException("call", "tl_prefill_f32 failed: " + t);
        }
    }

    /** This prefill as the verifier's engine: fp32 on the GPU, other modes declined (they run on the CPU). */
    public InferenceVerifier.PrefillEngine asEngine() {
        return (m, tokens, mode) -> {
            if (m != model || mode != ComputeMode.FP32) {
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
        try {
            free.invokeExact(handle);
        } catch (Throwable t) {
            throw new IllegalStateException("tl_model_free failed", t);
        }
    }
}
