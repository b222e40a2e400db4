package dev.toploc.rollouts;

import dev.toploc.runtime.ModelConfig;

/**
 * FLOPs as the protocol's validator reports them: 2 x parameters x tokens (a forward pass costs about two
 * FLOPs per parameter per token; attention's context-dependent part is not counted).
 */
public final class ModelFlops {
    private ModelFlops() {
    }

    /**
     * Parameters of a Llama-family model from its config: embeddings, per layer the q/k/v/o projections (and
     * q/k/v biases when the config has them), the three MLP matrices and two norms, the final norm, and the LM
     * head unless tied to the embeddings.
     */
    public static long parameters(ModelConfig c) {
        long h = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long layer = h * q + 2 * h * kv + q * h + 3 * h * c.intermediateSize() + 2 * h + (c.attentionBias() ? q + 2 * kv : 0);
        return c.vocabSize() * h * (c.tieWordEmbeddings() ? 1 : 2) + c.numLayers() * layer + h;
    }

    /** 2 x parameters x tokens. */
    public static double flops(long parameters, long tokens) {
        return 2.0 * parameters * tokens;
    }
}
