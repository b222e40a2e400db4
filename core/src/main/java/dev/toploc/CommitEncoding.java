package dev.toploc;

/**
 * The byte encodings of a commit. An attestation names its encoding; it is never guessed from the bytes.
 *
 * <ul>
 *   <li>{@link #V1}: TOPLOC v1, byte-compatible with the reference: field GF(65497), modulus {@code m} as
 *       u16 big-endian, then k coefficients as u16 big-endian ({@code 2 + 2k} bytes). Carries bf16, fp16
 *       and the fp8 formats.</li>
 *   <li>{@link #W32}: this project's wide encoding for fp32 states at full precision: field
 *       GF(4294967291), {@code m} as u32 big-endian, then k coefficients as u32 big-endian
 *       ({@code 4 + 4k} bytes). See {@code docs/commit-format.md}.</li>
 * </ul>
 */
public enum CommitEncoding {
    V1("toploc-v1", 65497L, 2),
    W32("toploc-w32", 4294967291L, 4);

    private final String wireName;
    private final long prime;
    private final int wordBytes;

    CommitEncoding(String wireName, long prime, int wordBytes) {
        this.wireName = wireName;
        this.prime = prime;
        this.wordBytes = wordBytes;
    }

    public String wireName() {
        return wireName;
    }

    /** The field's prime, which is also the largest modulus {@code m} a commit may carry. */
    public long prime() {
        return prime;
    }

    /** Bytes per field element on the wire (2 or 4). */
    public int wordBytes() {
        return wordBytes;
    }

    /** Length in bytes of a commit with {@code k} coefficients. */
    public int byteLength(int k) {
        return wordBytes * (k + 1);
    }

    /** The encoding that carries commits taken in {@code dtype}. */
    public static CommitEncoding forDtype(Dtype dtype) {
        return dtype.fitsV1Field() ? V1 : W32;
    }

    public static CommitEncoding fromWireName(String name) {
        for (CommitEncoding e : values()) {
            if (e.wireName.equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown commit encoding '" + name + "' (expected toploc-v1 or toploc-w32)");
    }
}
