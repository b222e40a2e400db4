package dev.toploc.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the embedded tiny models are (the defaults of {@code demo}, {@code calibrate} and {@code bench verify}):
 * the folder named by {@code -Dtoploc.models=DIR}, which the launcher sets from its own location — the
 * checkout's {@code ./toploc} to {@code test-vectors/models}, a distribution's {@code bin/toploc} to its
 * {@code models/}, the build to {@code test-vectors/models} for the tests. Never searched for from the working
 * directory: the same command finds the same models wherever it is started.
 */
final class EmbeddedModels {
    static final String PROPERTY = "toploc.models";

    private EmbeddedModels() {
    }

    /** {@code DIR/NAME}; a bad-input error saying what to do when the property is unset or the model is not there. */
    static Path model(String name) {
        String dir = System.getProperty(PROPERTY);
        if (dir == null || dir.isBlank()) {
            throw new IllegalArgumentException("the embedded model " + name + " has no known location: -D" + PROPERTY
                    + " is not set (the toploc launcher sets it); start the command through bin/toploc or ./toploc, or name the models with --model DIR and --other-model DIR");
        }
        Path p = Path.of(dir).resolve(name);
        if (!Files.isRegularFile(p.resolve("config.json"))) {
            throw new IllegalArgumentException("the embedded model " + name + " is not in " + Path.of(dir).toAbsolutePath()
                    + " (-D" + PROPERTY + "): expected " + p.resolve("config.json") + "; name the models with --model DIR and --other-model DIR");
        }
        return p;
    }
}
