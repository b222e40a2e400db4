package dev.toploc.calibration;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The machine a calibration ran on, read from the machine: the CPU model and its vector extensions from
 * {@code /proc/cpuinfo}, the processors the JVM may use, the memory from {@code /proc/meminfo}, the OS and
 * the JDK from the system properties. Whatever cannot be read is {@code "unknown"} (never guessed).
 *
 * @param cpu         the CPU model name
 * @param vector      the widest x86 vector extension the CPU reports (AVX-512, AVX2, ...), or "unknown"
 * @param processors  processors available to the JVM
 * @param memoryBytes physical memory; -1 unknown
 * @param os          OS name, version and architecture
 * @param jdk         the JDK's vendor, runtime name and version
 */
public record Machine(String cpu, String vector, int processors, long memoryBytes, String os, String jdk) {
    /** /proc files report size 0: read at most this much of each. */
    static final int MAX_PROC_BYTES = 1 << 20;

    /** This machine. */
    public static Machine current() {
        String cpuinfo = proc(Path.of("/proc/cpuinfo"));
        String meminfo = proc(Path.of("/proc/meminfo"));
        return new Machine(field(cpuinfo, "model name"), vector(field(cpuinfo, "flags")), Runtime.getRuntime().availableProcessors(),
                memTotal(meminfo), System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.name", "Java") + " "
                        + System.getProperty("java.runtime.version"));
    }

    /** One line for a report. */
    public String describe() {
        String mem = memoryBytes < 0 ? "unknown memory" : String.format(Locale.ROOT, "%.0f GiB", memoryBytes / (double) (1L << 30));
        return cpu + " (" + vector + "), " + processors + " processors available to the JVM, " + mem + ", " + os + "; " + jdk;
    }

    static String proc(Path p) {
        if (!Files.isRegularFile(p)) {
            return "";
        }
        try (InputStream in = Files.newInputStream(p)) {
            return new String(in.readNBytes(MAX_PROC_BYTES), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The value of the first {@code key : value} line. */
    static String field(String text, String key) {
        for (String line : text.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0 && line.substring(0, c).strip().equals(key)) {
                return line.substring(c + 1).strip();
            }
        }
        return "unknown";
    }

    static String vector(String flags) {
        if (flags.equals("unknown")) {
            return "vector extensions unknown";
        }
        java.util.Set<String> f = java.util.Set.of(flags.split("\\s+"));
        return f.contains("avx512f") ? "AVX-512" : f.contains("avx2") ? "AVX2" : f.contains("avx") ? "AVX" : f.contains("sse2") ? "SSE2" : "no AVX";
    }

    static long memTotal(String meminfo) {
        String v = field(meminfo, "MemTotal");
        String[] p = v.split("\\s+");
        try {
            return p.length == 2 && p[1].equals("kB") ? Long.parseLong(p[0]) * 1024 : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
