package dev.toploc.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Proves the fuzz setup is coverage-guided: fuzzing {@link PlantedBugCanary} in a child JVM (JUnit console
 * launcher, JAZZER_FUZZ=1) must find the planted bug in {@code dev.toploc.canary}, outside the test's package. Blind fuzzing would not in any practical time, so a
 * pass means Jazzer instruments this project's class files.
 */
class FuzzingIsCoverageGuidedTest {

    @Test
    void plantedBug_isFound() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path work = Files.createTempDirectory("toploc-canary-");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "org.junit.platform.console.ConsoleLauncher", "execute", "--disable-banner", "--details=none",
                "--select-method=dev.toploc.fuzz.PlantedBugCanary#canary(byte[])", "--include-classname=.*"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("JAZZER_FUZZ", "1");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the canary run did not end");
        String log = new String(out, StandardCharsets.UTF_8);
        assertTrue(log.contains("planted bug reached"), "Jazzer did not find the planted bug: fuzzing is not coverage-guided.\n"
                + log.substring(Math.max(0, log.length() - 4000)));
        // JDK 25's own classes (major version 69) are beyond Jazzer 0.24's ASM and only lose sanitizer hooks; ours must instrument.
        assertTrue(log.contains("Instrumented dev.toploc.canary.PlantedBug "), "the code under test was not instrumented:\n" + log);
        assertTrue(!log.contains("Failed to instrument dev/toploc"), "Jazzer could not instrument this project's classes:\n" + log);
    }
}
