package dev.toploc;

/**
 * The parameters a commit is taken with: the dtype the states are rounded to, k, and the decode chunk
 * size B. The encoding follows from the dtype ({@link CommitEncoding#forDtype}).
 *
 * @param dtype     commit dtype; fp32 states are rounded to it (RNE) before top-k
 * @param topK      values kept per chunk (k), 1..65497 for v1
 * @param chunkSize decode positions per chunk (B), 1 .. {@value #MAX_CHUNK_SIZE}
 */
public record CommitSpec(Dtype dtype, int topK, int chunkSize) {
    /** TOPLOC's defaults: bf16, k = 128, chunks of 32 positions. */
    public static final CommitSpec DEFAULT = new CommitSpec(Dtype.BF16, 128, 32);
    /**
     * The largest chunk size: the longest completion an attestation may carry (2^20 tokens), so a larger
     * chunk would change no plan, only the size of the buffers a hook allocates for it.
     */
    public static final int MAX_CHUNK_SIZE = 1 << 20;

    public CommitSpec {
        if (dtype == null) {
            throw new IllegalArgumentException("dtype is required (expected one of bf16, fp16, fp8-e4m3, fp8-e5m2, fp32)");
        }
        if (topK < 1 || topK > 65497) {
            throw new IllegalArgumentException("k = " + topK + " is out of range (expected 1..65497)");
        }
        if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk size = " + chunkSize + " is out of range (expected 1.." + MAX_CHUNK_SIZE + ")");
        }
    }

    public CommitEncoding encoding() {
        return CommitEncoding.forDtype(dtype);
    }
}
