package dev.toploc;

/**
 * A device that selects a chunk's 16-bit top-k itself (the GPU backend), given to the library through a
 * {@link Compute} context ({@link Compute#withTopK}), never process-wide. It must return exactly what the
 * CPU kernels return: the k indices (relative to {@code off}) of the largest magnitudes
 * {@code a[i] & magMask}, ties to the lower index, in ascending order; or, when any magnitude is
 * {@code >= nonFinite} (NaN, Inf), the first such index. Callers have checked {@code 1 <= k <= len} and the
 * bounds.
 */
public interface TopKAccelerator {

    /**
     * Result of a selection: {@code indices} (ascending) on success, or the first non-finite index.
     *
     * @param indices        the k selected indices, or null when a non-finite value was found
     * @param firstNonFinite the first index whose magnitude is non-finite, or -1
     */
    record Result(int[] indices, int firstNonFinite) {
        public boolean ok() {
            return firstNonFinite < 0;
        }
    }

    /** Top-k of {@code a[off, off+len)} by magnitude {@code a[i] & magMask}; see the interface comment. */
    Result select16(short[] a, int off, int len, int k, int magMask, int nonFinite);

    /** What to call the device in messages. */
    String name();
}
