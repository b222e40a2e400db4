package dev.toploc.runtime.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.io.UntrustedFiles;
import dev.toploc.runtime.ModelFormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped read-only: an 8-byte little-endian header length, a JSON
 * header mapping tensor names to {@code {dtype, shape, data_offsets}}, then the data. Nothing is copied
 * onto the heap. Every extent is checked against the file before it is mapped: header length within
 * {@link #MAX_HEADER_BYTES} and the file, offsets ordered and inside the data, byte length equal to the
 * shape's element count times the dtype's size (with overflow checks). Only a regular file is opened
 * (links followed, the target's type checked before the open: a FIFO or a device is refused, never mapped).
 */
public final class Safetensors {
    /** The largest header accepted (the format's own reader uses the same 100 MB bound). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxStringLength(1 << 20).build())
            .build()).configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true);

    /** A tensor's record in the header, and its data. */
    public record Entry(String name, String dtype, long[] shape, MemorySegment data) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Path path;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private Safetensors(Path path, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.entries = entries;
        this.metadata = metadata;
    }

    public Path path() {
        return path;
    }

    public Map<String, Entry> entries() {
        return Collections.unmodifiableMap(entries);
    }

    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** Bytes per element, or -1 for a dtype this library does not know. */
    public static int elementSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    /** Maps {@code file} into {@code arena} (which owns the mapping) and validates its header. */
    public static Safetensors open(Path file, Arena arena) throws ModelFormatException {
        String where = file.getFileName().toString();
        FileChannel opened;
        try {
            // a regular file only: a FIFO would block the open, a device has no end and cannot be mapped
            opened = UntrustedFiles.openChannel(file, Long.MAX_VALUE, "safetensors file");
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ModelFormatException(where + ": missing", e);
        } catch (java.nio.file.FileSystemException e) {
            throw new ModelFormatException(where + ": " + (e.getReason() != null ? e.getReason() : e.getMessage()), e);
        } catch (IOException e) {
            throw new ModelFormatException(where + ": cannot open (" + e.getMessage() + ")", e);
        }
        try (FileChannel ch = opened) {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(where + ": " + size + " bytes is too short for a safetensors file (expected at least 8)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                throw new ModelFormatException(where + ": header length " + Long.toUnsignedString(headerLen)
                        + " is out of range (expected 2.." + MAX_HEADER_BYTES + " bytes)");
            }
            if (8 + headerLen > size) {
                throw new ModelFormatException(where + ": header length " + headerLen + " runs past the end of the "
                        + size + "-byte file (truncated?)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            JsonNode root;
            try {
                root = JSON.readTree(header.array());
            } catch (IOException e) {
                throw new ModelFormatException(where + ": header is not valid JSON (" + e.getMessage() + ")", e);
            }
            if (root == null || !root.isObject()) {
                throw new ModelFormatException(where + ": header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    if (!f.getValue().isObject()) {
                        throw new ModelFormatException(where + ": __metadata__ is not an object of strings");
                    }
                    f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(f.getKey(), entry(where, f.getKey(), f.getValue(), mapped, dataStart, dataLen));
            }
            return new Safetensors(file, entries, metadata);
        } catch (IOException e) {
            throw new ModelFormatException(where + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static Entry entry(String where, String name, JsonNode n, MemorySegment mapped, long dataStart, long dataLen)
            throws ModelFormatException {
        String at = where + ": tensor '" + name + "'";
        if (!n.isObject() || !n.path("dtype").isTextual() || !n.path("shape").isArray() || !n.path("data_offsets").isArray()) {
            throw new ModelFormatException(at + ": expected {\"dtype\": string, \"shape\": [ints], \"data_offsets\": [begin, end]}");
        }
        String dtype = n.get("dtype").asText();
        int size = elementSize(dtype);
        if (size < 0) {
            throw new ModelFormatException(at + ": unknown dtype '" + dtype + "'");
        }
        JsonNode shapeNode = n.get("shape");
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw new ModelFormatException(at + ": shape[" + i + "] = " + d + " is not a non-negative integer");
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(at + ": shape " + shapeNode + " overflows 64 bits");
            }
        }
        JsonNode off = n.get("data_offsets");
        if (off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()
                || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()) {
            throw new ModelFormatException(at + ": data_offsets " + off + " is not [begin, end]");
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw new ModelFormatException(at + ": data_offsets [" + begin + ", " + end + "] lie outside the "
                    + dataLen + " data bytes of the file (truncated?)");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(elements, size);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(at + ": shape " + shapeNode + " overflows 64 bits");
        }
        if (end - begin != bytes) {
            throw new ModelFormatException(at + ": data_offsets span " + (end - begin) + " bytes but shape " + shapeNode
                    + " of " + dtype + " needs " + bytes);
        }
        return new Entry(name, dtype, shape, mapped.asSlice(dataStart + begin, bytes));
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }
}
