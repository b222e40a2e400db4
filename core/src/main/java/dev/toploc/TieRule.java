package dev.toploc;

/**
 * How the verifier treats a tie at its own k-th magnitude (specified in {@code docs/commit-format.md},
 * "Ties at the k-th magnitude").
 *
 * <p>{@link #STRICT} is the reference-compatible measurement: the positions compared are the verifier's own
 * top-k with ties to the lower flat index, so where the prover chose other tied indices (torch's top-k
 * breaks ties arbitrarily) each of the verifier's tied picks the prover did not commit counts as a
 * mismatch. {@link #TOLERANT} compares instead the best of every top-k set the tie admits: the values
 * strictly above the window are compared as always, and the remaining {@code r} positions are filled from
 * the window (all indices of the chunk whose magnitude is within {@code window} magnitude steps of the
 * verifier's k-th magnitude), choosing those where the commit reproduces the verifier's own exponent,
 * then the smallest mantissa errors. Still exactly k positions are compared, each at an index of the
 * verifier's own values, so a tolerated position is one where the commit holds the verifier's own value
 * (exponent) of a tied index: a prover gains only the freedom the tie rule leaves. Guarantees, per chunk:
 * {@code strict.expMismatches - r <= tolerant.expMismatches <= strict.expMismatches}, and the two are equal
 * when the window holds exactly {@code r} indices (no tie).
 *
 * @param tolerant whether ties are tolerated
 * @param window   magnitude steps (units in the last place of the commit dtype, as magnitude patterns)
 *                 either side of the k-th magnitude that count as tied: 0 is exact ties in the verifier's
 *                 own values; a larger window also covers ranks an honest recomputation can swap, and a
 *                 policy must then be calibrated with the same window
 */
public record TieRule(boolean tolerant, int window) {
    /** Reference-compatible: the verifier's own tie choice (lower index). */
    public static final TieRule STRICT = new TieRule(false, 0);
    /** Exact ties in the verifier's own values are tolerated. */
    public static final TieRule TOLERANT = new TieRule(true, 0);

    /** Windows larger than this are refused: they would no longer describe ties. */
    public static final int MAX_WINDOW = 64;

    public TieRule {
        if (window < 0 || window > MAX_WINDOW || (!tolerant && window != 0)) {
            throw new IllegalArgumentException("tie window " + window + " (expected 0.." + MAX_WINDOW + ", and 0 when strict)");
        }
    }

    /** Tolerant within {@code window} magnitude steps of the k-th magnitude. */
    public static TieRule tolerant(int window) {
        return new TieRule(true, window);
    }

    /** {@code strict}, {@code tolerant} or {@code tolerant:W}. */
    public String wireName() {
        return !tolerant ? "strict" : window == 0 ? "tolerant" : "tolerant:" + window;
    }

    public static TieRule fromWireName(String name) {
        if (name.equals("strict")) {
            return STRICT;
        }
        if (name.equals("tolerant")) {
            return TOLERANT;
        }
        if (name.startsWith("tolerant:")) {
            try {
                return tolerant(Integer.parseInt(name.substring("tolerant:".length())));
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("unknown tie rule '" + name + "' (expected strict, tolerant or tolerant:W with W in 0.." + MAX_WINDOW + ")");
    }
}
