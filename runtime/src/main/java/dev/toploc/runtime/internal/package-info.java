/**
 * The runtime's kernels and file formats: the matmul ({@link dev.toploc.runtime.internal.Matmul}) and
 * attention ({@link dev.toploc.runtime.internal.Attention}) kernels with their scalar twins, the element-wise steps
 * ({@link dev.toploc.runtime.internal.Elementwise}: rounding, residual adds, SwiGLU, RMSNorm scaling; on lanes and in
 * parallel blocks, bit-identical to their twins) and {@code exp} with {@link Math#exp}'s exact results on vector lanes
 * ({@link dev.toploc.runtime.internal.VectorExp}), the native CPU matmul
 * ({@link dev.toploc.runtime.internal.NativeMatmul}, FFM to {@code libtoploc_cpu}) with its twin, weights read in
 * place ({@link dev.toploc.runtime.internal.Weight}: bf16, fp16, fp32 widened, FP8 e4m3 dequantized with its block scales)
 * and the page hints on them ({@link dev.toploc.runtime.internal.Pages}), the KV cache, RoPE, the safetensors reader and writer,
 * and the makers of random and edited models used by tests, benchmarks and calibration.
 *
 * <p>Reduction orders are fixed and documented on each kernel (see {@code docs/runtime.md}). Not a public
 * API: it may change without notice.
 */
package dev.toploc.runtime.internal;
