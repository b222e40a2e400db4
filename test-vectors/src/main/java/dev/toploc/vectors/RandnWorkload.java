package dev.toploc.vectors;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/**
 * The reference's benchmark workload, regenerated deterministically: {@code rows x hidden} standard-normal
 * values rounded to bf16, row-major. The reference's own runs used {@code torch.randn(1000, 5120,
 * dtype=torch.bfloat16)}; torch's generator cannot be replayed here, so the values come from
 * {@link java.util.Random#nextGaussian()} (its algorithm is specified by the JDK: the polar method on
 * {@code StrictMath}, the same doubles on every JVM), each narrowed to fp32 and then rounded to bf16
 * (round to nearest even). The same seed gives the same bytes everywhere, so a test can rebuild the
 * 10 MB of states that {@code scripts/torch-ties.py} read instead of storing them
 * ({@code test-vectors/torch-ties/README.md}).
 *
 * <p>Run as a program to write the states for the script: {@code java -cp test-vectors/target/classes
 * dev.toploc.vectors.RandnWorkload OUT.bf16 [seed]} writes little-endian 16-bit patterns and prints their
 * SHA-256; it refuses to overwrite an existing file.
 */
public final class RandnWorkload {
    private RandnWorkload() {
    }

    /** Rows of the reference's workload. */
    public static final int ROWS = 1000;
    /** Row width of the reference's workload (Llama-2-13B / Qwen-14B class hidden size). */
    public static final int HIDDEN = 5120;
    /** The seed of the committed torch selection ({@code test-vectors/torch-ties/}). */
    public static final long SEED = 20250115L;

    /** {@code rows x hidden} bf16 patterns of standard-normal values from {@code seed}, row-major. */
    public static short[] bf16(long seed, int rows, int hidden) {
        if (rows <= 0 || hidden <= 0 || (long) rows * hidden > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(rows + " x " + hidden + " (expected positive sizes of at most 2^31 - 9 values)");
        }
        Random rnd = new Random(seed);
        short[] p = new short[rows * hidden];
        for (int i = 0; i < p.length; i++) {
            p[i] = toBf16((float) rnd.nextGaussian());
        }
        return p;
    }

    /** The committed workload: {@link #ROWS} x {@link #HIDDEN} from {@link #SEED}. */
    public static short[] bf16() {
        return bf16(SEED, ROWS, HIDDEN);
    }

    /** fp32 to bf16, round to nearest even; NaN stays a (quiet) NaN. Written here so this module depends on no other. */
    static short toBf16(float value) {
        int b = Float.floatToRawIntBits(value);
        if ((b & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((b >>> 16 & 0x8000) | 0x7FC0);
        }
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    /** The patterns as little-endian bytes, the layout the script reads. */
    public static byte[] littleEndian(short[] patterns) {
        ByteBuffer b = ByteBuffer.allocate(patterns.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(patterns);
        return b.array();
    }

    /** SHA-256 of {@link #littleEndian}, lower-case hex: what the committed selection records. */
    public static String sha256(short[] patterns) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(littleEndian(patterns)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /** {@code OUT [seed]}: writes the workload to a new file OUT and prints its SHA-256. */
    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: RandnWorkload OUT.bf16 [seed]   (writes " + ROWS + " x " + HIDDEN
                    + " bf16 patterns, little-endian; seed defaults to " + SEED + ")");
            System.exit(2);
        }
        long seed;
        try {
            seed = args.length == 2 ? Long.parseLong(args[1]) : SEED;
        } catch (NumberFormatException e) {
            System.err.println("error: seed '" + args[1] + "' is not an integer");
            System.exit(2);
            return;
        }
        short[] p = bf16(seed, ROWS, HIDDEN);
        Path out = Path.of(args[0]);
        try (OutputStream o = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            o.write(littleEndian(p));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            System.err.println("error: " + out + " exists (not overwritten)");
            System.exit(2);
        }
        System.out.println(out + ": " + ROWS + " x " + HIDDEN + " bf16, seed " + seed + ", sha256 " + sha256(p));
    }
}
