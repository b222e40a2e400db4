package dev.toploc.vectors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Finds the project's golden data on disk: {@code test-vectors/reference/} (vectors from the reference
 * TOPLOC implementation) and {@code test-vectors/models/} (the embedded tiny trained models).
 *
 * <p>The directory is {@code -Dtoploc.testVectors=DIR} when set (the build sets it for tests), else the
 * first {@code test-vectors} directory found walking up from the working directory.
 */
public final class TestVectors {
    private TestVectors() {
    }

    /** The {@code test-vectors} directory; fails with a message saying how to point at it. */
    public static Path root() {
        String prop = System.getProperty("toploc.testVectors");
        if (prop != null && !prop.isBlank()) {
            Path p = Paths.get(prop);
            if (Files.isDirectory(p.resolve("reference"))) {
                return p;
            }
            throw new IllegalStateException("-Dtoploc.testVectors=" + prop + " has no reference/ directory");
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("test-vectors");
            if (Files.isDirectory(candidate.resolve("reference"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("test-vectors/ not found above " + Paths.get("").toAbsolutePath()
                + "; set -Dtoploc.testVectors=DIR");
    }

    /** {@code test-vectors/reference}. */
    public static Path reference() {
        return root().resolve("reference");
    }

    /** {@code test-vectors/models/NAME}, e.g. {@code tiny-fortunes-llama}. */
    public static Path model(String name) {
        return root().resolve("models").resolve(name);
    }
}
