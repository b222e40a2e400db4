package dev.toploc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.vectors.TestVectors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** Loads the golden vectors of {@code test-vectors/} for tests. */
final class Golden {
    private Golden() {
    }

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode json(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Path> referenceCases() {
        try (Stream<Path> s = Files.list(TestVectors.reference())) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(Path p, String sha256) {
        try {
            byte[] b = Files.readAllBytes(p);
            if (sha256 != null) {
                String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
                if (!got.equals(sha256)) {
                    throw new IllegalStateException(p + ": sha256 " + got + " != " + sha256);
                }
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static short[] shortsLE(byte[] b) {
        short[] s = new short[b.length / 2];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
        return s;
    }

    static float[] floatsLE(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Expected stats from JSON; "Infinity" strings become +Infinity. */
    static List<ChunkStats> stats(JsonNode array, int k) {
        List<ChunkStats> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(new ChunkStats(k, n.get("exp_mismatches").asInt(), n.get("sign_mismatches").asInt(),
                    number(n.get("mant_err_mean")), number(n.get("mant_err_median"))));
        }
        return out;
    }

    private static double number(JsonNode n) {
        return n.isTextual() && n.asText().equals("Infinity") ? Double.POSITIVE_INFINITY : n.asDouble();
    }

    static List<Commit> commits(List<String> base64, CommitEncoding enc, int k) throws CommitFormatException {
        List<Commit> out = new ArrayList<>();
        for (int i = 0; i < base64.size(); i++) {
            out.add(Commit.fromBase64(base64.get(i), enc, k, "commit " + i));
        }
        return out;
    }
}
