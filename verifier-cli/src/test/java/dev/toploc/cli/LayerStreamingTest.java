package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerStreamingTest {
    private static final long GB = 1_000_000_000L;

    @Test
    void auto_streamsExactlyWhenTheWeightsExceedTheAvailableMemory() {
        LayerStreaming big = LayerStreaming.choose("auto", 16 * GB, OptionalLong.of(12 * GB));
        assertTrue(big.stream());
        assertEquals("streaming layers, one resident at a time: the weights (16.0 GB) exceed the available memory (12.0 GB)", big.reason());
        LayerStreaming small = LayerStreaming.choose("auto", 16 * GB, OptionalLong.of(20 * GB));
        assertFalse(small.stream());
        assertFalse(LayerStreaming.choose("auto", 16 * GB, OptionalLong.empty()).stream());
        assertTrue(LayerStreaming.choose("on", 1, OptionalLong.of(20 * GB)).stream());
        assertFalse(LayerStreaming.choose("off", 16 * GB, OptionalLong.of(GB)).stream());
        assertThrows(IllegalArgumentException.class, () -> LayerStreaming.choose("yes", 1, OptionalLong.empty()));
    }

    @Test
    void memAvailable_readsTheKernelsLine_andNothingElse(@TempDir Path d) throws Exception {
        Path f = d.resolve("meminfo");
        Files.writeString(f, "MemTotal:       24576000 kB\nMemFree:         1048576 kB\nMemAvailable:   13631488 kB\nBuffers:  10 kB\n");
        assertEquals(OptionalLong.of(13631488L * 1024), LayerStreaming.memAvailable(f));
        Files.writeString(f, "MemTotal:       24576000 kB\nMemFree:         1048576 kB\n");
        assertEquals(OptionalLong.empty(), LayerStreaming.memAvailable(f));
        Files.writeString(f, "MemAvailable:   -5 kB\n");
        assertEquals(OptionalLong.empty(), LayerStreaming.memAvailable(f));
        assertEquals(OptionalLong.empty(), LayerStreaming.memAvailable(d.resolve("absent")));
        if (Files.isReadable(Path.of("/proc/meminfo"))) {
            assertTrue(LayerStreaming.memAvailable().orElseThrow() > 0);
        }
    }
}
