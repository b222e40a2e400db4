package dev.toploc.rollouts;

import java.nio.file.Path;
import java.util.List;

/**
 * Another engine for {@code toploc validate --engine NAME}, found with {@link java.util.ServiceLoader} when its
 * jars are on the class path (the Spark engine is the {@code toploc-spark} module's, kept off the default
 * class path: Spark is ~290 MB of jars). An engine gives, file for file, what {@link RolloutValidator#validate}
 * gives.
 */
public interface ValidationEngine {
    /** The name {@code --engine} selects it by. */
    String name();

    /**
     * Validates {@code files}.
     *
     * @param model       the model folder (the engine loads it, once per JVM)
     * @param trustedKeys public keys (PEM text) that attestation files may be signed with
     * @param threads     worker threads in this JVM (an embedded engine's parallelism)
     * @param partitions  tasks per file, 0 for the engine's own split
     */
    List<FileResult> validate(List<Path> files, Columns columns, Settings settings, Path model, List<String> trustedKeys, int threads, int partitions)
            throws Exception;
}
