/**
 * The stable API of TOPLOC-style commits: number formats ({@link dev.toploc.Dtype}), what is committed
 * ({@link dev.toploc.CommitSpec}, {@link dev.toploc.ChunkPlan}), the commit value type
 * ({@link dev.toploc.Commit}), building ({@link dev.toploc.Commits}) and checking
 * ({@link dev.toploc.Verifier}) against a policy ({@link dev.toploc.AcceptancePolicy}), on an explicit
 * compute context ({@link dev.toploc.Compute}: threads, top-k device; no process-wide switch), with ties at
 * the k-th magnitude measured strictly or tolerantly ({@link dev.toploc.TieRule}); stored proofs in every
 * layout of the Python stack ({@link dev.toploc.Proofs}, from bytes the caller read), and the header line of a
 * commits file that describes itself ({@link dev.toploc.CommitsHeader}).
 *
 * <p>Lives here: value types with validating factories, the checked exceptions, the entry points.
 * Must not live here: kernels and field arithmetic ({@code dev.toploc.internal}), model code (the
 * {@code runtime} module), anything that reads files or the network.
 */
package dev.toploc;
