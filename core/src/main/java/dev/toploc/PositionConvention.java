package dev.toploc;

/**
 * Which positions' hidden states the decode chunks of a prompt of P tokens and a completion of N tokens
 * cover (0-based positions; the prompt is positions 0..P-1).
 */
public enum PositionConvention {
    /**
     * The state whose logits produced each completion token: positions P-1 .. P+N-2, N rows. Every
     * generated token is covered, the first included. This project's default.
     */
    PRODUCED("produced"),
    /**
     * What a vLLM / prime-rl decode hook sees, one state per decode step after the prefill: positions
     * P .. P+N-2, N-1 rows. Needed to check proofs made by the Python TOPLOC stack.
     */
    DECODE_STEPS("decode-steps");

    private final String wireName;

    PositionConvention(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static PositionConvention fromWireName(String name) {
        for (PositionConvention c : values()) {
            if (c.wireName.equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown position convention '" + name + "' (expected produced or decode-steps)");
    }
}
