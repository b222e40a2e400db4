package dev.toploc.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page hints on a real mapped file: they reach the kernel on Linux and never change what is read. */
class PagesTest {
    @Test
    void prefetchAndRelease_leaveTheValues_andPrefetchReachesTheKernelOnLinux(@TempDir Path d) throws Exception {
        Path f = d.resolve("w.bin");
        byte[] b = new byte[3 << 20];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + (i >>> 11));
        }
        Files.write(f, b);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, b.length, arena);
            MemorySegment slice = all.asSlice(12345, 2_000_000);     // not page-aligned, as tensors are
            boolean linux = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux");
            for (int round = 0; round < 2; round++) {
                assertEquals(linux, Pages.prefetch(slice), "madvise(MADV_WILLNEED) accepted on Linux");
                for (long i = 0; i < slice.byteSize(); i += 4099) {
                    assertEquals(b[(int) (12345 + i)], slice.get(ValueLayout.JAVA_BYTE, i));
                }
                Pages.release(slice);
            }
            assertFalse(Pages.prefetch(MemorySegment.ofArray(new float[4])));    // not mapped: ignored
            assertEquals(linux, Pages.canPrefetch());
        }
    }
}
