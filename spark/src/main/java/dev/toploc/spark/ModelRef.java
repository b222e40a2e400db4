package dev.toploc.spark;

import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelFormatException;
import dev.toploc.runtime.ModelIdentity;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model a job checks against, as shipped to executors: a folder every executor can read (a shared file
 * system, or the same path on each node) and the digests the driver found there. An executor whose copy
 * has other digests refuses to check anything with it ({@link ModelCache}).
 *
 * @param directory     the model folder (absolute, links resolved on the driver)
 * @param weightsDigest sha256 over the weight files' digests ({@link ModelIdentity#weightsDigest()})
 * @param configDigest  sha256 of {@code config.json}
 */
public record ModelRef(String directory, String weightsDigest, String configDigest) implements Serializable {
    private static final long serialVersionUID = 1L;

    public ModelRef {
        if (directory == null || weightsDigest == null || configDigest == null) {
            throw new IllegalArgumentException("a model reference needs its folder and both digests");
        }
    }

    /**
     * The reference to the model in {@code dir}, its identity taken from the cache's copy (loaded into this
     * JVM's {@link ModelCache}, so that in local mode the executors find it loaded).
     */
    public static ModelRef of(Path dir) throws ModelFormatException, IOException {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a directory (expected a HuggingFace model folder)");
        }
        Path real = dir.toRealPath();
        try (ModelCache.Lease lease = ModelCache.SHARED.acquireByPath(real)) {
            ModelIdentity id = lease.model().identity();
            return new ModelRef(real.toString(), id.weightsDigest(), id.configDigest());
        }
    }

    /** The same reference to a model already loaded: its folder and identity. */
    public static ModelRef of(Model model) throws IOException {
        ModelIdentity id = model.identity();
        return new ModelRef(model.directory().toRealPath().toString(), id.weightsDigest(), id.configDigest());
    }
}
