package dev.toploc.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * How a provider's forward pass rounds where GPU serving stacks round differently from {@code transformers}'
 * eager path: a compute option of the <em>provider</em> side only, passed explicitly to
 * {@link Model#session(ComputeMode, int, dev.toploc.Compute, ServingNumerics)} or
 * {@link Generator#generate(Model, int[], int, Sampling, java.util.Set, ComputeMode, Generator.HiddenListener,
 * dev.toploc.Compute, ServingNumerics)}. The verifier recomputes with {@link #DEFAULT} (the eager path), so
 * these variants measure the honest noise a calibrated policy must admit (docs/runtime.md, "Serving
 * numerics"). Each option is off in {@link #DEFAULT}; options combine.
 *
 * @param flashBlock   0: eager attention (scores rounded to the compute dtype, one softmax); else flash-style
 *                     attention over key blocks of this many positions: fp32 scores, an online softmax
 *                     (running max and sum), the probabilities rounded to {@code pRounding} before P·V, the
 *                     output divided by the running sum at the end. The cached positions and this pass's own
 *                     positions are blocked separately (as a kernel over a KV cache does), so chunked prefill
 *                     moves the block boundaries
 * @param pRounding    the dtype P is rounded to before P·V ({@link ComputeMode#BF16} or {@link ComputeMode#FP16});
 *                     null when {@code flashBlock == 0}
 * @param splitK       1: the default matmul kernel; 2..64: the dense layers' matmuls (not the MoE experts, not
 *                     lm_head) split the reduction dimension into this many contiguous slices, each summed in
 *                     fp32 by fused multiply-adds in increasing index, then the partials combined
 * @param pairwise     with {@code splitK > 1}: the partials are combined by a pairwise tree (adjacent pairs,
 *                     an odd one carried up) instead of in slice order
 * @param tf32         the dense layers' matmul inputs (activations and weights) rounded to TF32 (10 mantissa
 *                     bits, round to nearest even) before the fp32 accumulation, in the default kernel's order
 *                     (with split-K, in its order); only visible in fp32 compute (bf16 and fp16 values are exact in TF32)
 * @param fusedAddNorm fused residual-add + RMSNorm as vLLM's kernel: the residual stream held in bf16 (each
 *                     residual sum rounded to bf16, then to the compute dtype) and every RMSNorm's sum of
 *                     squares reduced as a block of threads does (below)
 * @param prefillChunk 0: the prompt in one pass; else the prompt runs through the KV cache in chunks of this
 *                     many tokens (rows are independent in the matmuls, so this only changes numerics together
 *                     with {@code flashBlock}, whose block boundaries follow the chunk start)
 */
public record ServingNumerics(int flashBlock, ComputeMode pRounding, int splitK, boolean pairwise, boolean tf32, boolean fusedAddNorm,
                              int prefillChunk) {
    /** The eager path: what the verifier computes. */
    public static final ServingNumerics DEFAULT = new ServingNumerics(0, null, 1, false, false, false, 0);

    /** Largest flash key block, split-K factor and prefill chunk accepted. */
    public static final int MAX_FLASH_BLOCK = 4096;
    public static final int MAX_SPLIT_K = 64;

    /** Threads of the emulated RMSNorm block: each sums the squares of elements {@code j, j+B, ...}, B = min(hidden, this). */
    public static final int NORM_THREADS = 1024;

    public ServingNumerics {
        if (flashBlock < 0 || flashBlock > MAX_FLASH_BLOCK) {
            throw new IllegalArgumentException("flash key block " + flashBlock + " (expected 0 for eager attention, or 1.." + MAX_FLASH_BLOCK + ")");
        }
        if ((flashBlock > 0) != (pRounding != null) || pRounding == ComputeMode.FP32) {
            throw new IllegalArgumentException("flash attention needs P rounded to bf16 or fp16, and only flash attention rounds P (block "
                    + flashBlock + ", P " + pRounding + ")");
        }
        if (splitK < 1 || splitK > MAX_SPLIT_K) {
            throw new IllegalArgumentException("split-K " + splitK + " (expected 1 for the default kernel, or 2.." + MAX_SPLIT_K + ")");
        }
        if (pairwise && splitK < 2) {
            throw new IllegalArgumentException("pairwise reduction of split-K partials needs split-K >= 2");
        }
        if (prefillChunk < 0) {
            throw new IllegalArgumentException("prefill chunk " + prefillChunk + " (expected 0 for one pass, or >= 1 tokens)");
        }
    }

    /** Flash-style attention with key blocks of {@code block}, P rounded to {@code p}. */
    public static ServingNumerics flash(int block, ComputeMode p) {
        return DEFAULT.withFlash(block, p);
    }

    /** Split-K matmuls in {@code splits} slices, the partials combined in order or by a pairwise tree. */
    public static ServingNumerics splitK(int splits, boolean pairwise) {
        return new ServingNumerics(0, null, splits, pairwise, false, false, 0);
    }

    public static ServingNumerics tf32Matmul() {
        return new ServingNumerics(0, null, 1, false, true, false, 0);
    }

    public static ServingNumerics fusedResidualNorm() {
        return new ServingNumerics(0, null, 1, false, false, true, 0);
    }

    public ServingNumerics withFlash(int block, ComputeMode p) {
        return new ServingNumerics(block, p, splitK, pairwise, tf32, fusedAddNorm, prefillChunk);
    }

    public ServingNumerics withSplitK(int splits, boolean pairwiseReduction) {
        return new ServingNumerics(flashBlock, pRounding, splits, pairwiseReduction, tf32, fusedAddNorm, prefillChunk);
    }

    public ServingNumerics withFusedAddNorm() {
        return new ServingNumerics(flashBlock, pRounding, splitK, pairwise, tf32, true, prefillChunk);
    }

    public ServingNumerics withPrefillChunk(int tokens) {
        return new ServingNumerics(flashBlock, pRounding, splitK, pairwise, tf32, fusedAddNorm, tokens);
    }

    /** The options in words, for reports: {@code eager} for {@link #DEFAULT}. */
    public String describe() {
        List<String> p = new ArrayList<>();
        if (flashBlock > 0) {
            p.add("flash attention (key blocks of " + flashBlock + ", P in " + pRounding.wireName() + ")");
        }
        if (splitK > 1) {
            p.add("split-K " + splitK + (pairwise ? " (pairwise)" : ""));
        }
        if (tf32) {
            p.add("TF32 matmul inputs");
        }
        if (fusedAddNorm) {
            p.add("fused residual+RMSNorm (bf16 residual)");
        }
        if (prefillChunk > 0) {
            p.add("prefill in chunks of " + prefillChunk);
        }
        return p.isEmpty() ? "eager" : String.join(", ", p);
    }
}
