package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.toploc.vectors.RandomModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way a model folder can be broken gets a ModelFormatException that names it. */
class LoaderErrorsTest {

    interface Breaker {
        void breakIt(Path dir) throws IOException;
    }

    static void rewriteConfig(Path dir, String from, String to) throws IOException {
        Path c = dir.resolve("config.json");
        String s = Files.readString(c);
        if (!s.contains(from)) {
            throw new IllegalStateException("config has no " + from);
        }
        Files.writeString(c, s.replace(from, to));
    }

    static byte[] header(String json) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    static Stream<Arguments> broken() {
        return Stream.<Arguments>of(
                Arguments.of("unsupported-architecture", (Breaker) d -> rewriteConfig(d, "\"model_type\" : \"mistral\"", "\"model_type\" : \"gpt2\""),
                        "model_type 'gpt2' is not supported (expected llama, mistral, qwen2, qwen3, qwen3_moe, mixtral, phi3, gemma2 or gemma3_text)"),
                Arguments.of("missing-config", (Breaker) d -> Files.delete(d.resolve("config.json")), "config.json: missing"),
                Arguments.of("bad-config-json", (Breaker) d -> Files.writeString(d.resolve("config.json"), "{\"model_type\": "), "config.json: not readable JSON"),
                Arguments.of("wrong-shape", (Breaker) d -> rewriteConfig(d, "\"intermediate_size\" : 1376", "\"intermediate_size\" : 1000"),
                        "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [1376, 512] (expected [1000, 512] from config.json)"),
                Arguments.of("missing-tensor", (Breaker) d -> rewriteConfig(d, "\"num_hidden_layers\" : 1", "\"num_hidden_layers\" : 2"),
                        "tensor 'model.layers.1.input_layernorm.weight' is missing from [model.safetensors]"),
                Arguments.of("truncated-file", (Breaker) d -> {
                    Path f = d.resolve("model.safetensors");
                    byte[] b = Files.readAllBytes(f);
                    Files.write(f, java.util.Arrays.copyOf(b, b.length - 100));
                }, "lie outside the"),
                Arguments.of("header-too-long", (Breaker) d -> Files.write(d.resolve("model.safetensors"),
                        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array()), "header length 1099511627776 is out of range"),
                Arguments.of("header-not-json", (Breaker) d -> Files.write(d.resolve("model.safetensors"), header("{\"a\": [1, 2")), "header is not valid JSON"),
                Arguments.of("unsupported-dtype", (Breaker) d -> Files.write(d.resolve("model.safetensors"),
                        header("{\"model.embed_tokens.weight\": {\"dtype\": \"I8\", \"shape\": [0], \"data_offsets\": [0, 0]}}")),
                        "tensor 'model.embed_tokens.weight' has shape [0] (expected [300, 512] from config.json)"),
                Arguments.of("config-too-large", (Breaker) d -> Files.writeString(d.resolve("config.json"), " ".repeat((1 << 20) + 1)),
                        "config.json: model config is 1048577 bytes, more than the limit of 1048576 bytes"),
                Arguments.of("config-too-deep", (Breaker) d -> Files.writeString(d.resolve("config.json"), "[".repeat(100) + "]".repeat(100)),
                        "config.json: not readable JSON"),
                Arguments.of("no-weights", (Breaker) d -> Files.delete(d.resolve("model.safetensors")), "no model.safetensors and no model.safetensors.index.json"),
                Arguments.of("offsets-disagree-with-shape", (Breaker) d -> Files.write(d.resolve("model.safetensors"),
                        header("{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 0]}}")), "data_offsets span 0 bytes but shape [4] of F32 needs 16"));
    }

    @ParameterizedTest(name = "model.{0}")
    @MethodSource("broken")
    void brokenFolder_throwsNamingTheProblem(String name, Breaker breaker, String expected, @TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("m");
        RandomModel.write(dir, RandomModel.Shape.mistralSmall(1, 300, 0), "BF16", 1, 1);
        breaker.breakIt(dir);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.load(dir).close());
        assertTrue(e.getMessage().contains(expected), () -> "message was: " + e.getMessage());
    }

    // ------------------------------------------------------------------ files that are not regular files

    /** Makes a FIFO with the real {@code mkfifo}. */
    static Path mkfifo(Path p) throws Exception {
        Process pr = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
        assertTrue(pr.waitFor(10, TimeUnit.SECONDS), "mkfifo hung");
        assumeTrue(pr.exitValue() == 0, "mkfifo is not available here");
        return p;
    }

    interface Replacer {
        void replace(Path file) throws Exception;
    }

    static Stream<Arguments> specialFiles() {
        Replacer fifo = f -> {
            Files.delete(f);
            mkfifo(f);
        };
        Replacer devZero = f -> {
            Files.delete(f);
            Files.createSymbolicLink(f, Path.of("/dev/zero"));
        };
        Replacer linkToFifo = f -> {
            Files.delete(f);
            Files.createSymbolicLink(f, mkfifo(f.resolveSibling(f.getFileName() + ".pipe")));
        };
        Replacer dir = f -> {
            Files.delete(f);
            Files.createDirectory(f);
        };
        return Stream.of(
                Arguments.of("config.json", "fifo", fifo, "config.json: model config is a FIFO (named pipe), not a regular file"),
                Arguments.of("config.json", "dev-zero", devZero, "config.json: model config is a character device, not a regular file"),
                Arguments.of("config.json", "link-to-fifo", linkToFifo, "config.json: model config is a FIFO (named pipe)"),
                Arguments.of("model.safetensors", "fifo", fifo, "model.safetensors: safetensors file is a FIFO (named pipe), not a regular file"),
                Arguments.of("model.safetensors", "dev-zero", devZero, "model.safetensors: safetensors file is a character device"),
                Arguments.of("model.safetensors", "link-to-fifo", linkToFifo, "model.safetensors: safetensors file is a FIFO"),
                Arguments.of("model.safetensors", "directory", dir, "model.safetensors: safetensors file is a directory"),
                Arguments.of("model.safetensors.index.json", "fifo", fifo, "model.safetensors.index.json: shard index is a FIFO (named pipe)"),
                Arguments.of("model.safetensors.index.json", "dev-zero", devZero, "model.safetensors.index.json: shard index is a character device"),
                Arguments.of("model.safetensors.index.json", "link-to-fifo", linkToFifo, "shard index is a FIFO"));
    }

    /** A device, a FIFO or a link to one in a model folder is refused by type, promptly: never read to exhaustion, never waited on. */
    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("specialFiles")
    void specialFile_inTheModelFolder_isRefusedByType(String file, String kind, Replacer replacer, String expected, @TempDir Path tmp)
            throws Exception {
        Path dir = tmp.resolve("m");
        RandomModel.write(dir, RandomModel.Shape.mistralSmall(1, 300, 0), "BF16", 1, 1);
        if (file.endsWith(".index.json")) {
            // a sharded folder: the index names the one shard
            Files.writeString(dir.resolve(file), "{\"weight_map\": {\"model.embed_tokens.weight\": \"model.safetensors\"}}");
            Model.load(dir).close();   // negative control: the index itself is fine
        }
        replacer.replace(dir.resolve(file));
        ModelFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(ModelFormatException.class, () -> Model.load(dir).close()), "hung on a " + kind);
        assertTrue(e.getMessage().contains(expected), () -> "message was: " + e.getMessage());
    }
}
