package dev.toploc.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Whether the CPU prefill streams layers ({@code --stream-layers auto|on|off}): with streaming each layer's
 * mapped pages are handed back to the OS after use, so a model larger than memory runs with about one
 * layer resident (results identical). {@code auto} streams when the weight files are larger than the
 * memory the kernel reports available ({@code MemAvailable} of {@code /proc/meminfo}, which counts the
 * page cache it could reclaim); where that is unknown (not Linux) it does not stream. The choice is a value,
 * handed to the verifier explicitly, with the sentence that says why.
 */
record LayerStreaming(boolean stream, String reason) {

    /** Refuses an {@code option} other than auto, on or off (before anything is loaded). */
    static void check(String option) {
        if (!option.equals("auto") && !option.equals("on") && !option.equals("off")) {
            throw new IllegalArgumentException("--stream-layers " + option + " (expected auto, on or off)");
        }
    }

    /** The choice for {@code option} (auto, on or off), weights of {@code weightBytes} and {@code available} memory. */
    static LayerStreaming choose(String option, long weightBytes, OptionalLong available) {
        check(option);
        return switch (option) {
            case "on" -> new LayerStreaming(true, "streaming layers (--stream-layers on)");
            case "off" -> new LayerStreaming(false, "not streaming layers (--stream-layers off)");
            case "auto" -> {
                if (available.isEmpty()) {
                    yield new LayerStreaming(false, "not streaming layers (available memory unknown; --stream-layers on forces it)");
                }
                boolean stream = weightBytes > available.getAsLong();
                yield new LayerStreaming(stream, String.format(Locale.ROOT, "%s: the weights (%.1f GB) %s the available memory (%.1f GB)",
                        stream ? "streaming layers, one resident at a time" : "not streaming layers", weightBytes / 1e9,
                        stream ? "exceed" : "fit in", available.getAsLong() / 1e9));
            }
            default -> throw new AssertionError(option);
        };
    }

    /** {@code MemAvailable} from {@code /proc/meminfo}, in bytes; empty where there is no such file or line. */
    static OptionalLong memAvailable() {
        return memAvailable(Path.of("/proc/meminfo"));
    }

    static OptionalLong memAvailable(Path meminfo) {
        if (!Files.isReadable(meminfo)) {
            return OptionalLong.empty();
        }
        try (BufferedReader r = Files.newBufferedReader(meminfo)) {
            for (int i = 0; i < 256; i++) {          // the line is among the first few; never read an unbounded file
                String line = r.readLine();
                if (line == null) {
                    break;
                }
                if (line.startsWith("MemAvailable:")) {
                    String[] f = line.substring("MemAvailable:".length()).trim().split("\\s+");
                    if (f.length == 2 && f[1].equals("kB") && f[0].matches("[0-9]{1,15}")) {
                        return OptionalLong.of(Long.parseLong(f[0]) * 1024);
                    }
                    return OptionalLong.empty();
                }
            }
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }
}
