package dev.toploc;

import java.util.Locale;

/**
 * The floating-point formats a commit can be taken in, with exact bit-level conversions.
 *
 * <p>A value of a format is handled as its bit <em>pattern</em> held in the low bits of an {@code int}
 * (16 bits for bf16/fp16, 8 for the fp8 formats, 32 for fp32). Conversions from {@code float} round to
 * nearest, ties to even (RNE), as IEEE 754 and PyTorch do; widening to {@code float} is exact.
 *
 * <pre>
 *   bf16      s eeeeeeee mmmmmmm             bias 127, Inf/NaN at e = 0xFF (same range as fp32)
 *   fp16      s eeeee mmmmmmmmmm             bias 15,  Inf/NaN at e = 0x1F
 *   fp8 e4m3  s eeee mmm                     bias 7,   no Inf; NaN = s.1111.111; max 448 (OCP "e4m3fn")
 *   fp8 e5m2  s eeeee mm                     bias 15,  Inf/NaN at e = 0x1F
 *   fp32      s eeeeeeee mmm...m (23)        bias 127
 * </pre>
 *
 * <p>Magnitude order is the unsigned order of {@code pattern & magnitudeMask()}: for every format here it
 * equals the order of absolute values on finite patterns, and every non-finite pattern has a magnitude
 * {@code >= nonFiniteMagnitude()} (Inf below NaN, NaN highest), which lets top-k detect NaN/Inf for free.
 *
 * <p>Overflow: formats with infinities round overflow to ±Inf; fp8 e4m3 has none and rounds values
 * beyond its range (|x| &gt; 464) to NaN, as PyTorch's {@code float8_e4m3fn} conversion does. A NaN
 * input gives the format's canonical quiet NaN with the input's sign.
 */
public enum Dtype {
    BF16("bf16", 8, 7, true),
    FP16("fp16", 5, 10, true),
    FP8_E4M3("fp8-e4m3", 4, 3, false),
    FP8_E5M2("fp8-e5m2", 5, 2, true),
    FP32("fp32", 8, 23, true);

    private final String wireName;
    private final int exponentBits;
    private final int mantissaBits;
    private final boolean hasInfinity;
    private final int bias;
    private final int bits;
    private final int magnitudeMask;
    private final int mantissaMask;
    private final int exponentMask;
    private final int nonFiniteMagnitude;
    private final int maxFiniteMagnitude;

    Dtype(String wireName, int exponentBits, int mantissaBits, boolean hasInfinity) {
        this.wireName = wireName;
        this.exponentBits = exponentBits;
        this.mantissaBits = mantissaBits;
        this.hasInfinity = hasInfinity;
        this.bias = (1 << (exponentBits - 1)) - 1;
        this.bits = 1 + exponentBits + mantissaBits;
        this.magnitudeMask = bits == 32 ? 0x7FFFFFFF : (1 << (bits - 1)) - 1;
        this.mantissaMask = (1 << mantissaBits) - 1;
        this.exponentMask = (1 << exponentBits) - 1;
        // IEEE-like: exponent all ones is Inf/NaN. e4m3fn: only all-ones exponent AND mantissa is NaN.
        this.nonFiniteMagnitude = hasInfinity ? exponentMask << mantissaBits : magnitudeMask;
        this.maxFiniteMagnitude = nonFiniteMagnitude - 1;
    }

    /** The name used in attestations, policy files and the CLI: {@code bf16}, {@code fp16}, {@code fp8-e4m3}, {@code fp8-e5m2}, {@code fp32}. */
    public String wireName() {
        return wireName;
    }

    /** Parses a wire name (case-insensitive; {@code bfloat16}, {@code float16}, {@code half}, {@code float32} also accepted). */
    public static Dtype fromWireName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Dtype d : values()) {
            if (d.wireName.equals(n)) {
                return d;
            }
        }
        return switch (n) {
            case "bfloat16" -> BF16;
            case "float16", "half" -> FP16;
            case "float32", "float" -> FP32;
            case "float8_e4m3fn", "e4m3" -> FP8_E4M3;
            case "float8_e5m2", "e5m2" -> FP8_E5M2;
            default -> throw new IllegalArgumentException(
                    "unknown dtype '" + name + "' (expected one of bf16, fp16, fp8-e4m3, fp8-e5m2, fp32)");
        };
    }

    /** Width of a pattern in bits (8, 16 or 32). */
    public int bits() {
        return bits;
    }

    public int exponentBits() {
        return exponentBits;
    }

    public int mantissaBits() {
        return mantissaBits;
    }

    /** Mask of the bits that order patterns by magnitude (all bits but the sign). */
    public int magnitudeMask() {
        return magnitudeMask;
    }

    /** Smallest magnitude that is Inf or NaN: a pattern is finite iff its magnitude is below this. */
    public int nonFiniteMagnitude() {
        return nonFiniteMagnitude;
    }

    /** Whether this format is carried by the 16-bit TOPLOC v1 commit field (everything but fp32). */
    public boolean fitsV1Field() {
        return bits <= 16;
    }

    /** Sign bit (0 or 1) of a pattern. */
    public int sign(int pattern) {
        return (pattern >>> (bits - 1)) & 1;
    }

    /** Biased exponent field of a pattern. */
    public int exponent(int pattern) {
        return (pattern >>> mantissaBits) & exponentMask;
    }

    /** Mantissa (fraction) field of a pattern. */
    public int mantissa(int pattern) {
        return pattern & mantissaMask;
    }

    public boolean isFinite(int pattern) {
        return (pattern & magnitudeMask) < nonFiniteMagnitude;
    }

    public boolean isNaN(int pattern) {
        int mag = pattern & magnitudeMask;
        return hasInfinity ? mag > nonFiniteMagnitude : mag == nonFiniteMagnitude;
    }

    public boolean isInfinite(int pattern) {
        return hasInfinity && (pattern & magnitudeMask) == nonFiniteMagnitude;
    }

    /** Rounds {@code value} to this format, round-to-nearest-even; returns the pattern in the low {@link #bits()} bits. */
    public int fromFloat(float value) {
        return switch (this) {
            case FP32 -> Float.floatToRawIntBits(value);
            case BF16 -> floatToBf16(value) & 0xFFFF;
            default -> narrow(value);
        };
    }

    /** Widens a pattern (low {@link #bits()} bits are used) to {@code float}; exact. */
    public float toFloat(int pattern) {
        return switch (this) {
            case FP32 -> Float.intBitsToFloat(pattern);
            case BF16 -> bf16ToFloat((short) pattern);
            default -> widen(pattern);
        };
    }

    // ---------------------------------------------------------------------------------------------
    // bf16: the hot conversion, written as the usual add-and-shift.
    //
    //   fp32  s eeeeeeee mmmmmmm|mmmmmmmmmmmmmmmm
    //                           ^ cut here; the low 16 bits decide rounding
    //   RNE:  add 0x7FFF + (bit 16) then shift: a low half above 0x8000 carries, exactly 0x8000 carries
    //         only when bit 16 is odd (ties to even); a carry out of the mantissa bumps the exponent,
    //         and from the largest finite value it lands on Inf, as it should.
    // ---------------------------------------------------------------------------------------------

    /** fp32 to bf16, round-to-nearest-even; NaN gives the canonical quiet NaN {@code 0x7FC0} with the input's sign. */
    public static short floatToBf16(float value) {
        int b = Float.floatToRawIntBits(value);
        if ((b & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((b >>> 16 & 0x8000) | 0x7FC0);
        }
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    /** bf16 to fp32, exact: the pattern becomes the high half of the fp32 pattern. */
    public static float bf16ToFloat(short pattern) {
        return Float.intBitsToFloat((pattern & 0xFFFF) << 16);
    }

    /** fp32 to fp16, round-to-nearest-even, subnormals kept, overflow to ±Inf. */
    public static short floatToFp16(float value) {
        return (short) FP16.narrow(value);
    }

    /** fp16 to fp32, exact. */
    public static float fp16ToFloat(short pattern) {
        return FP16.widen(pattern & 0xFFFF);
    }

    // ---------------------------------------------------------------------------------------------
    // Generic narrowing for the small formats (fp16, fp8), and an independent oracle for bf16 in tests.
    //
    // The fp32 input is split into sign, significand sig (24 bits with the hidden one; 23 for fp32
    // subnormals) and unbiased exponent e, so |x| = sig * 2^(e-23). The target keeps mantissaBits
    // fraction bits, so sig is shifted right by 23-mantissaBits, plus the distance below the target's
    // smallest normal exponent for a subnormal result. The shifted-out bits are rounded RNE. The rounded
    // significand is added to ((te-1) << mantissaBits), so a carry out of the mantissa moves the
    // exponent up by itself (and a subnormal that rounds up to 1 << mantissaBits is the smallest normal).
    // ---------------------------------------------------------------------------------------------

    private int narrow(float value) {
        int b = Float.floatToRawIntBits(value);
        int sign = (b >>> 31) << (bits - 1);
        int a = b & 0x7FFFFFFF;
        if (a >= 0x7F800000) {
            if (a > 0x7F800000 || !hasInfinity) {
                return sign | canonicalNaNMagnitude();
            }
            return sign | nonFiniteMagnitude;
        }
        int fe = a >>> 23;
        int sig = fe == 0 ? (a & 0x7FFFFF) : ((a & 0x7FFFFF) | 0x800000);
        int e = fe == 0 ? -126 : fe - 127;
        int te = e + bias;                       // target biased exponent if normal
        int shift = 23 - mantissaBits + (te >= 1 ? 0 : 1 - te);
        int magnitude;
        if (shift > 25) {
            magnitude = 0;                       // below half the smallest subnormal: rounds to zero
        } else {
            int kept = sig >>> shift;
            int rem = sig & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (kept & 1) != 0)) {
                kept++;
            }
            magnitude = te >= 1 ? ((te - 1) << mantissaBits) + kept : kept;
        }
        if (magnitude > maxFiniteMagnitude) {
            magnitude = hasInfinity ? nonFiniteMagnitude : canonicalNaNMagnitude();
        }
        return sign | magnitude;
    }

    private int canonicalNaNMagnitude() {
        return hasInfinity ? nonFiniteMagnitude | (1 << (mantissaBits - 1)) : magnitudeMask;
    }

    /** Widen by fields: normals by building the fp32 pattern, subnormals by an exact scale. */
    private float widen(int pattern) {
        int s = sign(pattern);
        int e = exponent(pattern);
        int m = mantissa(pattern);
        float magnitude;
        if (!isFinite(pattern)) {
            magnitude = isNaN(pattern) ? Float.NaN : Float.POSITIVE_INFINITY;
        } else if (e == 0) {
            magnitude = Math.scalb((float) m, 1 - bias - mantissaBits);
        } else {
            magnitude = Float.intBitsToFloat(((e - bias + 127) << 23) | (m << (23 - mantissaBits)));
        }
        return s == 0 ? magnitude : -magnitude;
    }

    /**
     * The generic RNE narrowing for any format but fp32, bf16 included. Production code uses
     * {@link #fromFloat}; this exists so tests can check the fast bf16 path against an independent one.
     */
    public int fromFloatGeneric(float value) {
        if (this == FP32) {
            return Float.floatToRawIntBits(value);
        }
        return narrow(value);
    }
}
