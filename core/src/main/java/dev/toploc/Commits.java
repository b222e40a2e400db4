package dev.toploc;

import dev.toploc.internal.Gf65497;
import dev.toploc.internal.PrimeField;
import dev.toploc.internal.TopK;
import java.util.Arrays;
import java.util.List;

/**
 * Building commits from hidden states and measuring a commit against recomputed states
 * (DESIGN sections 3 and 4). Stateless and thread-safe. Every operation has a form taking the
 * {@link Compute} context (threads, top-k device); the others use {@link Compute#defaults()}. The
 * context never changes a result.
 *
 * <p>Per chunk: values are rounded to the commit dtype (RNE) when they are held in another format; NaN or
 * Inf anywhere is an {@link InvalidStatesException}; the top-k by magnitude is taken with ties to the
 * lower flat index; {@code m} is the largest modulus not above the field's prime under which the k flat
 * indices stay distinct; and the polynomial through {@code (index mod m, pattern mod p)} is interpolated.
 *
 * <p>Usage (provider side; the {@code Attester} hook wraps this for engines):
 * <pre>{@code
 * HiddenStates states = HiddenStates.ofPatterns(bf16, Dtype.BF16, promptLen + completionLen, hidden);
 * ChunkPlan plan = ChunkPlan.forSequence(promptLen, completionLen, PositionConvention.PRODUCED, true, 32);
 * List<Commit> commits = Commits.commitAll(states, plan, CommitSpec.DEFAULT);
 * }</pre>
 */
public final class Commits {
    private Commits() {
    }

    /** Commits to every chunk of {@code plan}, in plan order, with the default {@link Compute}. */
    public static List<Commit> commitAll(HiddenStates states, ChunkPlan plan, CommitSpec spec) throws InvalidStatesException {
        return commitAll(states, plan, spec, Compute.defaults());
    }

    /** Commits to every chunk of {@code plan}, in plan order (chunks are built on {@code compute}'s threads; results are not order-dependent). */
    public static List<Commit> commitAll(HiddenStates states, ChunkPlan plan, CommitSpec spec, Compute compute) throws InvalidStatesException {
        checkShape(states, plan, spec);
        Commit[] out = compute.map(plan.size(), new Commit[plan.size()], i -> commitChunk(states, plan.chunk(i), spec, compute));
        return List.of(out);
    }

    /** Commits to one chunk of {@code states}. */
    public static Commit commitChunk(HiddenStates states, ChunkPlan.Chunk chunk, CommitSpec spec) throws InvalidStatesException {
        return commitChunk(states, chunk, spec, Compute.defaults());
    }

    /** Commits to one chunk of {@code states}, its top-k on {@code compute}'s device. */
    public static Commit commitChunk(HiddenStates states, ChunkPlan.Chunk chunk, CommitSpec spec, Compute compute) throws InvalidStatesException {
        ChunkValues v = ChunkValues.of(states, chunk, spec);
        int[] idx = v.topK(spec.topK(), compute);
        return v.interpolate(idx);
    }

    /** Commits to a flat chunk of 16-bit (or 8-bit) patterns of {@code dtype}: {@code patterns[off, off+len)}. */
    public static Commit commitPatterns(short[] patterns, int off, int len, Dtype dtype, int k) throws InvalidStatesException {
        return commitPatterns(patterns, off, len, dtype, k, Compute.defaults());
    }

    /** As {@link #commitPatterns(short[], int, int, Dtype, int)}, the top-k on {@code compute}'s device. */
    public static Commit commitPatterns(short[] patterns, int off, int len, Dtype dtype, int k, Compute compute) throws InvalidStatesException {
        ChunkValues v = ChunkValues.ofPatterns(patterns, off, len, dtype, "chunk", 0);
        return v.interpolate(v.topK(k, compute));
    }

    /** As {@link #commitPatterns(short[], int, int, Dtype, int)}, naming the chunk and its row width in errors. */
    static Commit commitPatterns(short[] patterns, int off, int len, Dtype dtype, int k, String name, int hidden, Compute compute)
            throws InvalidStatesException {
        ChunkValues v = ChunkValues.ofPatterns(patterns, off, len, dtype, name, hidden);
        return v.interpolate(v.topK(k, compute));
    }

    /** As {@link #commitFloats(float[], int, int, Dtype, int)}, naming the chunk and its row width in errors. */
    static Commit commitFloats(float[] values, int off, int len, Dtype dtype, int k, String name, int hidden, Compute compute)
            throws InvalidStatesException {
        ChunkValues v = ChunkValues.ofFloats(values, off, len, dtype, name, hidden);
        return v.interpolate(v.topK(k, compute));
    }

    /**
     * Commits to a chunk whose top-k was selected elsewhere (on a GPU, next to the states): {@code indices}
     * are the chunk's k flat indices in ascending order and {@code patterns} the 16-bit (or 8-bit) patterns
     * of {@code dtype} at those indices. The result is the commit that {@link #commitPatterns} gives for the
     * whole chunk when the selection is its top-k; that the selection is the top-k is the caller's to ensure.
     *
     * @throws InvalidStatesException if a pattern is NaN or Inf
     * @throws IllegalArgumentException if the arrays differ in length or are empty, or the indices are not
     *                                  ascending, distinct and non-negative, or dtype is fp32
     */
    public static Commit commitSelection(int[] indices, short[] patterns, Dtype dtype) throws InvalidStatesException {
        if (!dtype.fitsV1Field()) {
            throw new IllegalArgumentException(dtype.wireName() + " selections are not 16-bit patterns");
        }
        if (indices.length != patterns.length || indices.length == 0) {
            throw new IllegalArgumentException(indices.length + " indices and " + patterns.length + " patterns (expected the same k >= 1)");
        }
        int mask = dtype.bits() == 8 ? 0xFF : 0xFFFF;
        int[] y = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || (i > 0 && indices[i] <= indices[i - 1])) {
                throw new IllegalArgumentException("selected indices must be ascending, distinct and non-negative: index " + i + " is "
                        + indices[i] + (i > 0 ? " after " + indices[i - 1] : ""));
            }
            int bits = patterns[i] & mask;
            if ((bits & dtype.magnitudeMask()) >= dtype.nonFiniteMagnitude()) {
                throw new InvalidStatesException("selection: " + (dtype.isNaN(bits) ? "NaN" : "Inf") + " at flat index " + indices[i]
                        + "; hidden states must be finite");
            }
            y[i] = bits;
        }
        return interpolateV1(indices, y, "selection");
    }

    /** Commits to a flat chunk of fp32 values, first rounded to {@code dtype} (RNE) unless it is fp32. */
    public static Commit commitFloats(float[] values, int off, int len, Dtype dtype, int k) throws InvalidStatesException {
        ChunkValues v = ChunkValues.ofFloats(values, off, len, dtype, "chunk", 0);
        return v.interpolate(v.topK(k, Compute.defaults()));
    }

    /** Measures {@code commit} against one chunk of recomputed {@code states} (no verdict: see {@link Verifier}). */
    public static ChunkStats checkChunk(HiddenStates states, ChunkPlan.Chunk chunk, CommitSpec spec, Commit commit) throws InvalidStatesException {
        return checkChunk(states, chunk, spec, commit, Compute.defaults());
    }

    /** As {@link #checkChunk(HiddenStates, ChunkPlan.Chunk, CommitSpec, Commit)}, the top-k on {@code compute}'s device. */
    public static ChunkStats checkChunk(HiddenStates states, ChunkPlan.Chunk chunk, CommitSpec spec, Commit commit, Compute compute)
            throws InvalidStatesException {
        ChunkValues v = ChunkValues.of(states, chunk, spec);
        return v.stats(v.topK(commit.k(), compute), commit);
    }

    /**
     * Measures {@code commit} against one chunk of recomputed {@code states} under {@code ties}: the strict
     * (reference-compatible) statistics and, when the rule is tolerant, the tie-tolerant ones
     * ({@link TieRule}); for a strict rule both are the same.
     */
    public static Measured checkChunk(HiddenStates states, ChunkPlan.Chunk chunk, CommitSpec spec, Commit commit, TieRule ties)
            throws InvalidStatesException {
        return checkChunk(states, chunk, spec, commit, ties, Compute.defaults());
    }

    /** As {@link #checkChunk(HiddenStates, ChunkPlan.Chunk, CommitSpec, Commit, TieRule)}, the top-k on {@code compute}'s device. */
    public static Measured checkChunk(HiddenStates states, ChunkPlan.Chunk chunk, CommitSpec spec, Commit commit, TieRule ties,
                                      Compute compute) throws InvalidStatesException {
        ChunkValues v = ChunkValues.of(states, chunk, spec);
        return v.measure(v.topK(commit.k(), compute), commit, ties);
    }

    /** As {@link #checkChunk(HiddenStates, ChunkPlan.Chunk, CommitSpec, Commit, TieRule)} on a flat chunk of patterns of {@code dtype}. */
    public static Measured checkPatterns(short[] patterns, int off, int len, Dtype dtype, Commit commit, TieRule ties) throws InvalidStatesException {
        ChunkValues v = ChunkValues.ofPatterns(patterns, off, len, dtype, "chunk", 0);
        return v.measure(v.topK(commit.k(), Compute.defaults()), commit, ties);
    }

    /**
     * A chunk measured both ways.
     *
     * @param strict    the verifier's own top-k (ties to the lower index), as the reference measures
     * @param tolerant  the best over the top-k sets the tie admits ({@link TieRule}); equals {@code strict}
     *                  under a strict rule or when there is no tie
     * @param tiedSlots r: the positions filled from the tie window (0 under a strict rule)
     * @param window    how many indices of the chunk were in the tie window (0 under a strict rule)
     */
    public record Measured(ChunkStats strict, ChunkStats tolerant, int tiedSlots, int window) {
    }

    /** Tie windows with more indices than this are not searched: the strict statistics are used (never more lenient). */
    static final int MAX_WINDOW_INDICES = 1 << 16;

    /** Measures {@code commit} against a flat chunk of patterns of {@code dtype}. */
    public static ChunkStats checkPatterns(short[] patterns, int off, int len, Dtype dtype, Commit commit) throws InvalidStatesException {
        return checkPatterns(patterns, off, len, dtype, commit, Compute.defaults());
    }

    /** As {@link #checkPatterns(short[], int, int, Dtype, Commit)}, the top-k on {@code compute}'s device. */
    public static ChunkStats checkPatterns(short[] patterns, int off, int len, Dtype dtype, Commit commit, Compute compute)
            throws InvalidStatesException {
        ChunkValues v = ChunkValues.ofPatterns(patterns, off, len, dtype, "chunk", 0);
        return v.stats(v.topK(commit.k(), compute), commit);
    }

    /** Measures {@code commit} against a flat chunk of fp32 values, rounded to {@code dtype} first unless it is fp32. */
    public static ChunkStats checkFloats(float[] values, int off, int len, Dtype dtype, Commit commit) throws InvalidStatesException {
        ChunkValues v = ChunkValues.ofFloats(values, off, len, dtype, "chunk", 0);
        return v.stats(v.topK(commit.k(), Compute.defaults()), commit);
    }

    static void checkShape(HiddenStates states, ChunkPlan plan, CommitSpec spec) throws InvalidStatesException {
        if (states.rows() < plan.rows()) {
            throw new InvalidStatesException("states have " + states.rows() + " rows but the chunk plan reads " + plan.rows()
                    + " (expected one row per position)");
        }
        for (ChunkPlan.Chunk c : plan.chunks()) {
            long values = (long) c.rowCount() * states.hidden();
            if (values < spec.topK()) {
                throw new InvalidStatesException("chunk " + c.index() + " has " + values + " values (" + c.rowCount() + " x "
                        + states.hidden() + "), fewer than k = " + spec.topK());
            }
        }
    }

    /** The v1 commit of the k (index, pattern) pairs: indices ascending, reduced by the largest modulus that keeps them distinct. */
    private static Commit interpolateV1(int[] idx, int[] patterns, String name) throws InvalidStatesException {
        int k = idx.length;
        int m = findModulus(idx, Gf65497.P, name);
        int[] x = new int[k];
        int[] y = new int[k];
        for (int i = 0; i < k; i++) {
            x[i] = idx[i] % m;
            y[i] = patterns[i] % Gf65497.P;
        }
        int[] c = Gf65497.interpolate(x, y, k);
        long[] coeffs = new long[k];
        for (int j = 0; j < k; j++) {
            coeffs[j] = c[j];
        }
        return Commit.ofTrusted(CommitEncoding.V1, m, coeffs);
    }

    /** Largest m <= maxM with all idx mod m distinct; below k no m can be (pigeonhole). */
    private static int findModulus(int[] idx, int maxM, String name) throws InvalidStatesException {
        int k = idx.length;
        if (idx[k - 1] < maxM) {           // idx ascending and all below maxM: already distinct
            return maxM;
        }
        long[] seen = new long[(maxM >>> 6) + 1];
        for (int m = maxM; m >= k; m--) {
            int i = 0;
            for (; i < k; i++) {
                int r = idx[i] % m;
                long bit = 1L << r;
                if ((seen[r >>> 6] & bit) != 0) {
                    break;
                }
                seen[r >>> 6] |= bit;
            }
            for (int j = 0; j < Math.min(i + 1, k); j++) {
                int r = idx[j] % m;
                seen[r >>> 6] &= ~(1L << r);
            }
            if (i == k) {
                return m;
            }
        }
        throw new InvalidStatesException(name + ": no modulus in " + k + ".." + maxM + " keeps the " + k + " top-k indices distinct");
    }

    /**
     * One chunk's values in the commit dtype: a view of 16-bit patterns ({@code pat}) or of fp32 values
     * ({@code flt}), plus what error messages need to name it.
     */
    private record ChunkValues(Dtype dtype, short[] pat, float[] flt, int off, int len, String name, int hidden) {

        static ChunkValues of(HiddenStates s, ChunkPlan.Chunk c, CommitSpec spec) {
            String name = c.label();
            int off = c.firstRow() * s.hidden();
            int len = c.rowCount() * s.hidden();
            Dtype want = spec.dtype();
            if (s.dtype() == want) {
                return want == Dtype.FP32
                        ? new ChunkValues(want, null, s.floatsUnsafe(), off, len, name, s.hidden())
                        : new ChunkValues(want, s.patternsUnsafe(), null, off, len, name, s.hidden());
            }
            if (want == Dtype.FP32) {          // narrower patterns widen exactly
                float[] f = new float[len];
                short[] p = s.patternsUnsafe();
                for (int i = 0; i < len; i++) {
                    f[i] = s.dtype().toFloat(p[off + i] & 0xFFFF);
                }
                return new ChunkValues(want, null, f, 0, len, name, s.hidden());
            }
            short[] p = new short[len];         // round to the commit dtype (RNE), via exact fp32
            if (s.dtype() == Dtype.FP32) {
                float[] f = s.floatsUnsafe();
                for (int i = 0; i < len; i++) {
                    p[i] = (short) want.fromFloat(f[off + i]);
                }
            } else {
                short[] src = s.patternsUnsafe();
                for (int i = 0; i < len; i++) {
                    p[i] = (short) want.fromFloat(s.dtype().toFloat(src[off + i] & 0xFFFF));
                }
            }
            return new ChunkValues(want, p, null, 0, len, name, s.hidden());
        }

        static ChunkValues ofPatterns(short[] patterns, int off, int len, Dtype dtype, String name, int hidden) {
            if (!dtype.fitsV1Field()) {
                throw new IllegalArgumentException(dtype.wireName() + " values are passed as floats");
            }
            java.util.Objects.checkFromIndexSize(off, len, patterns.length);
            return new ChunkValues(dtype, patterns, null, off, len, name, hidden);
        }

        static ChunkValues ofFloats(float[] values, int off, int len, Dtype dtype, String name, int hidden) {
            java.util.Objects.checkFromIndexSize(off, len, values.length);
            if (dtype == Dtype.FP32) {
                return new ChunkValues(dtype, null, values, off, len, name, hidden);
            }
            short[] p = new short[len];
            for (int i = 0; i < len; i++) {
                p[i] = (short) dtype.fromFloat(values[off + i]);
            }
            return new ChunkValues(dtype, p, null, 0, len, name, hidden);
        }

        int pattern(int i) {
            return pat != null ? pat[off + i] & (dtype.bits() == 8 ? 0xFF : 0xFFFF) : Float.floatToRawIntBits(flt[off + i]);
        }

        int[] topK(int k, Compute compute) throws InvalidStatesException {
            if (len == 0) {
                throw new InvalidStatesException(name + ": empty (no values to commit to)");
            }
            if (k > len) {
                throw new InvalidStatesException(name + " has " + len + " values, fewer than k = " + k);
            }
            if (k < 1) {
                throw new IllegalArgumentException("k = " + k + " (expected >= 1)");
            }
            TopKAccelerator.Result r = pat != null
                    ? compute.select16(pat, off, len, k, dtype.magnitudeMask(), dtype.nonFiniteMagnitude())
                    : TopK.select32(flt, off, len, k);
            if (!r.ok()) {
                int i = r.firstNonFinite();
                int bits = pattern(i);
                String where = hidden > 0 ? " at row " + (i / hidden) + " of the chunk, column " + (i % hidden) : " at flat index " + i;
                throw new InvalidStatesException(name + ": " + (dtype.isNaN(bits) ? "NaN" : "Inf") + where + " ("
                        + dtype.wireName() + " pattern 0x" + Integer.toHexString(bits).toUpperCase(java.util.Locale.ROOT)
                        + "); hidden states must be finite");
            }
            return r.indices();
        }

        Commit interpolate(int[] idx) throws InvalidStatesException {
            int k = idx.length;
            if (pat != null) {
                int[] y = new int[k];
                for (int i = 0; i < k; i++) {
                    y[i] = pattern(idx[i]);
                }
                return interpolateV1(idx, y, name);
            }
            PrimeField f = PrimeField.W32;
            // Flat indices are < 2^31 < p, so the largest injective modulus is p itself.
            long[] x = new long[k];
            long[] y = new long[k];
            for (int i = 0; i < k; i++) {
                x[i] = idx[i];
                y[i] = Integer.toUnsignedLong(pattern(idx[i])) % f.prime();
            }
            return Commit.ofTrusted(CommitEncoding.W32, f.prime(), f.interpolate(x, y, k));
        }


        ChunkStats stats(int[] idx, Commit commit) {
            return summarize(idx, claimed(idx, commit));
        }

        /** The commit's values {@code P(i mod m)} at each of {@code idx}. */
        int[] claimed(int[] idx, Commit commit) {
            int k = idx.length;
            int[] claimed = new int[k];
            long[] c = commit.coefficientsUnsafe();
            if (commit.encoding() == CommitEncoding.V1) {
                int m = (int) commit.modulus();
                int[] xs = new int[k];
                int[] ci = new int[c.length];
                for (int i = 0; i < k; i++) {
                    xs[i] = idx[i] % m;
                }
                for (int j = 0; j < c.length; j++) {
                    ci[j] = (int) c[j];
                }
                Gf65497.evaluateMany(ci, xs, k, claimed);
            } else {
                PrimeField f = new PrimeField(commit.encoding().prime());
                for (int i = 0; i < k; i++) {
                    claimed[i] = (int) f.evaluate(c, idx[i] % commit.modulus());
                }
            }
            return claimed;
        }

        long magnitude(int i) {
            return Integer.toUnsignedLong(pattern(i)) & (dtype == Dtype.FP32 ? 0x7FFFFFFFL : dtype.magnitudeMask());
        }

        /**
         * Strict and (under a tolerant rule) tie-tolerant statistics: {@code idx} is the verifier's own top-k.
         * The window is every index whose magnitude lies in {@code [t - w, t + w]} for the k-th magnitude t;
         * positions of {@code idx} above it are compared as always, and the other r are the best r window
         * indices: exponent matches first (smallest mantissa error, then matching sign, then lower index),
         * then mismatches (matching sign, then lower index).
         */
        Measured measure(int[] idx, Commit commit, TieRule ties) {
            int k = idx.length;
            int[] claimedTop = claimed(idx, commit);
            ChunkStats strict = summarize(idx, claimedTop);
            if (!ties.tolerant()) {
                return new Measured(strict, strict, 0, 0);
            }
            long t = Long.MAX_VALUE;
            for (int i : idx) {
                t = Math.min(t, magnitude(i));
            }
            long lo = Math.max(0, t - ties.window());
            long hi = t + ties.window();
            int above = 0;
            for (int i : idx) {
                if (magnitude(i) > hi) {
                    above++;
                }
            }
            int r = k - above;
            int count = 0;
            for (int i = 0; i < len; i++) {
                long mg = magnitude(i);
                if (mg >= lo && mg <= hi) {
                    count++;
                }
            }
            if (count == r || count > MAX_WINDOW_INDICES) {
                return new Measured(strict, strict, r, count);
            }
            int[] cand = new int[count];
            for (int i = 0, n = 0; i < len; i++) {
                long mg = magnitude(i);
                if (mg >= lo && mg <= hi) {
                    cand[n++] = i;
                }
            }
            int[] cl = claimed(cand, commit);
            int bits = dtype.bits();
            long validMask = bits == 32 ? 0xFFFFFFFFL : (1L << bits) - 1;
            long[] keys = new long[count];
            for (int j = 0; j < count; j++) {
                int own = pattern(cand[j]);
                int theirs = cl[j];
                boolean valid = (Integer.toUnsignedLong(theirs) & ~validMask) == 0;
                boolean expMatch = valid && dtype.exponent(own) == dtype.exponent(theirs);
                boolean signMatch = valid && dtype.sign(own) == dtype.sign(theirs);
                long err = expMatch ? Math.abs(dtype.mantissa(own) - dtype.mantissa(theirs)) : 0;
                // primary: exponent match; then mantissa error (< 2^24); then sign; then the candidate's rank j (< 2^17)
                keys[j] = ((expMatch ? 0L : 1L) << 62) | (err << 24) | ((signMatch ? 0L : 1L) << 23) | j;
            }
            Arrays.sort(keys);
            int[] pos = new int[k];
            int[] cla = new int[k];
            int n = 0;
            for (int i = 0; i < k; i++) {
                if (magnitude(idx[i]) > hi) {
                    pos[n] = idx[i];
                    cla[n++] = claimedTop[i];
                }
            }
            for (int j = 0; j < r; j++) {
                int c = (int) (keys[j] & ((1 << 23) - 1));
                pos[n] = cand[c];
                cla[n++] = cl[c];
            }
            return new Measured(strict, summarize(pos, cla), r, count);
        }

        /** Statistics of the k positions {@code idx} (chunk-relative) against the commit's values {@code claimed} there. */
        ChunkStats summarize(int[] idx, int[] claimed) {
            int k = idx.length;
            int bits = dtype.bits();
            long validMask = bits == 32 ? 0xFFFFFFFFL : (1L << bits) - 1;
            int expMismatches = 0;
            int signMismatches = 0;
            int[] errs = new int[k];
            int n = 0;
            for (int i = 0; i < k; i++) {
                int own = pattern(idx[i]);
                int theirs = claimed[i];
                if ((Integer.toUnsignedLong(theirs) & ~validMask) != 0) {   // not even a pattern of this dtype
                    expMismatches++;
                    signMismatches++;
                    continue;
                }
                if (dtype.sign(own) != dtype.sign(theirs)) {
                    signMismatches++;
                }
                if (dtype.exponent(own) != dtype.exponent(theirs)) {
                    expMismatches++;
                } else {
                    errs[n++] = Math.abs(dtype.mantissa(own) - dtype.mantissa(theirs));
                }
            }
            if (n == 0) {
                return new ChunkStats(k, expMismatches, signMismatches, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
            }
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += errs[i];
            }
            Arrays.sort(errs, 0, n);
            return new ChunkStats(k, expMismatches, signMismatches, (double) sum / n, errs[n / 2]);
        }
    }
}
