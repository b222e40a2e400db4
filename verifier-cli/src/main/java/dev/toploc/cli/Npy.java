package dev.toploc.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files of 2-D arrays (rows x columns), version 1.0/2.0, C order, little-endian:
 * {@code <f4} (fp32), {@code <f2} (fp16), {@code <u2}/{@code <i2} (16-bit patterns, e.g. bf16).
 */
final class Npy {
    private Npy() {
    }

    /** Files larger than this are refused: the whole array is held in one Java array (2 GiB). */
    static final long MAX_FILE = Integer.MAX_VALUE - 16;

    /** Headers larger than this are refused. */
    static final int MAX_HEADER = 1 << 16;

    /** A parsed array: raw little-endian data, its NumPy dtype string, and shape. */
    record Array(String descr, long rows, long cols, ByteBuffer data) {
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(\\s*(\\d{1,18})\\s*,\\s*(\\d{1,18})\\s*,?\\s*\\)");

    static Array read(Path file) throws IOException {
        String where = file.getFileName().toString();
        byte[] all = Inputs.read(file, MAX_FILE, ".npy file");
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 10 || (all[0] & 0xFF) != 0x93 || !new String(all, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(where + ": not a .npy file (expected the \\x93NUMPY magic)");
        }
        int major = all[6];
        int headerLen;
        int start;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xFFFF;
            start = 10;
        } else if (major == 2 || major == 3) {
            if (all.length < 12) {
                throw new IOException(where + ": truncated header");
            }
            headerLen = b.getInt(8);
            start = 12;
        } else {
            throw new IOException(where + ": .npy version " + major + " is not supported (expected 1, 2 or 3)");
        }
        if (headerLen < 0 || headerLen > MAX_HEADER || start + headerLen > all.length) {
            throw new IOException(where + ": header length " + headerLen + " is out of range");
        }
        String header = new String(all, start, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IOException(where + ": header " + header.strip() + " is not a 2-D array description (expected descr, fortran_order and shape (rows, cols))");
        }
        if (f.group(1).equals("True")) {
            throw new IOException(where + ": Fortran-ordered arrays are not supported (save with np.ascontiguousarray)");
        }
        String descr = d.group(1);
        int width = switch (descr) {
            case "<f4" -> 4;
            case "<f2", "<u2", "<i2" -> 2;
            default -> throw new IOException(where + ": dtype '" + descr + "' is not supported (expected <f4, <f2, <u2 or <i2)");
        };
        long rows = Long.parseLong(s.group(1));
        long cols = Long.parseLong(s.group(2));
        int dataStart = start + headerLen;
        long need;
        try {
            need = Math.multiplyExact(Math.multiplyExact(rows, cols), width);
        } catch (ArithmeticException e) {
            throw new IOException(where + ": shape (" + rows + ", " + cols + ") is too large");
        }
        if (need != all.length - dataStart) {
            throw new IOException(where + ": shape (" + rows + ", " + cols + ") of " + descr + " needs " + need
                    + " data bytes, the file has " + (all.length - dataStart));
        }
        return new Array(descr, rows, cols, ByteBuffer.wrap(all, dataStart, (int) need).slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** Writes a 2-D array; {@code data} holds rows x cols elements of {@code descr} little-endian. */
    static void write(OutputStream out, String descr, int rows, int cols, byte[] data) throws IOException {
        String dict = String.format(Locale.ROOT, "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, rows, cols);
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer h = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        h.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.write(h.array());
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        out.write(data);
    }
}
