/**
 * Calibrated policies on disk: the versioned policy-file format ({@link dev.toploc.policy.PolicyFile},
 * documented in {@code docs/policy-format.md}) with its strict reader and its writer, and the choice of
 * policy for a verification ({@link dev.toploc.policy.Policies}: the model folder's own file when present,
 * otherwise the reference thresholds, announced as such).
 *
 * <p>Unlike {@code dev.toploc}, this package reads files: only regular files, bounded in size.
 */
package dev.toploc.policy;
