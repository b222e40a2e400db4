package dev.toploc;

/**
 * What checking one chunk's commit against recomputed states measured (DESIGN section 4).
 *
 * @param k              top-k size: the number of positions compared
 * @param expMismatches  positions whose exponent field differs from the commit's value there
 * @param signMismatches positions whose sign differs (the reference ignores signs; the policy may not)
 * @param mantErrMean    mean |Δ mantissa| over the positions whose exponent matches; +Infinity if none does
 * @param mantErrMedian  {@code sorted[n/2]} of the same errors (upper middle for even n, as the
 *                       reference's C path); +Infinity if no exponent matches
 */
public record ChunkStats(int k, int expMismatches, int signMismatches, double mantErrMean, double mantErrMedian) {
    /**
     * Counts lie in {@code 0..k}; the mantissa statistics are {@code >= 0} (+Infinity allowed, NaN not):
     * a measurement that is not one is a bug, refused here rather than compared.
     */
    public ChunkStats {
        if (k < 1 || expMismatches < 0 || expMismatches > k || signMismatches < 0 || signMismatches > k) {
            throw new IllegalArgumentException("chunk statistics out of range: k = " + k + ", exponent mismatches " + expMismatches
                    + ", sign mismatches " + signMismatches + " (expected k >= 1 and counts 0..k)");
        }
        if (!(mantErrMean >= 0) || !(mantErrMedian >= 0)) {
            throw new IllegalArgumentException("mantissa statistics must be >= 0 or +Infinity (mean " + mantErrMean + ", median "
                    + mantErrMedian + ")");
        }
    }

    /** Positions whose exponent matched: the sample the mantissa statistics are taken over. */
    public int expMatches() {
        return k - expMismatches;
    }
}
