package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MachineTest {
    static final String CPUINFO = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9B14\nflags\t\t: fpu sse2 avx avx2 avx512f\n\n"
            + "processor\t: 1\nmodel name\t: AMD EPYC 9B14\n";

    @Test
    void parsesWhatTheKernelWrites() {
        assertEquals("AMD EPYC 9B14", Machine.field(CPUINFO, "model name"));
        assertEquals("AVX-512", Machine.vector(Machine.field(CPUINFO, "flags")));
        assertEquals("AVX2", Machine.vector("fpu sse2 avx avx2"));
        assertEquals("unknown", Machine.field("", "model name"));
        assertEquals(24L * 1024 * 1024 * 1024, Machine.memTotal("MemTotal:       25165824 kB\nMemFree: 1 kB\n"));
        assertEquals(-1, Machine.memTotal("MemTotal: lots\n"));
    }

    @Test
    void current_readsThisMachine() {
        Machine m = Machine.current();
        assertEquals(Runtime.getRuntime().availableProcessors(), m.processors());
        assertTrue(m.jdk().contains(System.getProperty("java.runtime.version")), m.jdk());
        if (Files.isRegularFile(Path.of("/proc/cpuinfo")) && Machine.proc(Path.of("/proc/cpuinfo")).contains("model name")) {
            assertNotEquals("unknown", m.cpu());
            assertTrue(m.describe().startsWith(m.cpu()), m.describe());
        }
    }
}
