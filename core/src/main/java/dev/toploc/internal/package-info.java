/**
 * Kernels behind the stable API: exact top-k ({@link dev.toploc.internal.TopK}), GF(65497) and generic
 * prime-field arithmetic with interpolation and evaluation ({@link dev.toploc.internal.Gf65497},
 * {@link dev.toploc.internal.PrimeField}), the Vector API switch ({@link dev.toploc.internal.Simd}) and
 * per-chunk parallelism ({@link dev.toploc.internal.Parallel}).
 *
 * <p>Every vector kernel has a scalar twin with bit-identical results (tests assert it). Arithmetic is
 * exact integer arithmetic; nothing here rounds. Not a public API: it may change without notice, and
 * nothing here validates user input beyond index checks (the callers in {@code dev.toploc} do).
 */
package dev.toploc.internal;
