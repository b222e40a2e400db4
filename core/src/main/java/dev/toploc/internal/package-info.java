/**
 * Kernels behind the stable API: exact top-k ({@link dev.toploc.internal.TopK}), GF(65497) and generic
 * prime-field arithmetic with interpolation and evaluation ({@link dev.toploc.internal.Gf65497},
 * {@link dev.toploc.internal.PrimeField}), strict base64 ({@link dev.toploc.internal.Base64s}), the Vector API switch
 * ({@link dev.toploc.internal.Simd}, described publicly by {@link dev.toploc.Compute#vectorPath()}). The one
 * reader of untrusted files and the size checks are public API ({@link dev.toploc.io.UntrustedFiles},
 * {@link dev.toploc.Sizes}). Parallelism and the top-k device are not
 * here: they are the caller's {@link dev.toploc.Compute} context.
 *
 * <p>Every vector kernel has a scalar twin with bit-identical results (tests assert it). The vector
 * kernels live in their own classes ({@code TopKVector}, {@code Gf65497Vector}) so that the scalar ones
 * load without the incubator module: the core library runs, scalar, without
 * {@code --add-modules jdk.incubator.vector} (tested). Arithmetic is
 * exact integer arithmetic; nothing here rounds. Not a public API: it may change without notice; the module {@code dev.toploc.core} exports it
 * only to {@code dev.toploc.runtime} (whose kernels follow the same Vector API switch), and
 * nothing here validates user input beyond index checks (the callers in {@code dev.toploc} do).
 */
package dev.toploc.internal;
