/**
 * The model: {@link dev.toploc.runtime.Model} loads a HuggingFace Llama/Mistral/Qwen2/Qwen3/Qwen3-MoE/Mixtral/
 * Phi-3/Gemma 2/Gemma 3 folder (memory-mapped
 * safetensors; bf16/fp16/fp32 weights, or FP8 e4m3 ones as {@link dev.toploc.runtime.Quantization} describes) and runs its forward pass in a {@link dev.toploc.runtime.ComputeMode}; sessions decode with
 * a KV cache; {@link dev.toploc.runtime.Sampling} specifies token choice so it can be replayed;
 * {@link dev.toploc.runtime.Provider} and {@link dev.toploc.runtime.InferenceVerifier} (one entry point,
 * configured with a builder; rejects with {@link dev.toploc.runtime.ClaimRejectedException}) are the two
 * sides of an attestation on this engine. Threads come from the {@link dev.toploc.Compute} each call is given.
 * {@link dev.toploc.runtime.tokenizer.Tokenizer} turns text and conversations into the ids the provider's
 * stack would have used.
 *
 * <p>Lives here: the stable runtime API. Must not live here: kernels and file formats
 * ({@code dev.toploc.runtime.internal}), commit math (core), anything that writes files the user named
 * (the CLI does that, safely). Needs {@code --add-modules jdk.incubator.vector}.
 */
package dev.toploc.runtime;
