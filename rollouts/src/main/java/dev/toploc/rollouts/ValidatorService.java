package dev.toploc.rollouts;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@code toploc serve-validator}: the protocol's TOPLOC validator API over HTTP, found with
 * {@link java.util.ServiceLoader} when the Spark module's jars are on the class path (its jobs run on Spark).
 */
public interface ValidatorService {
    /** A running server; {@link #close()} stops it (accepted jobs stay stored and run after the next start). */
    interface Running extends AutoCloseable {
        /** The port it listens on (the one asked for, or the one the system chose for 0). */
        int port();

        @Override
        void close() throws Exception;
    }

    /**
     * Starts serving files of {@code storage} against {@code models} (name to folder; all loaded before this
     * returns, a missing one named in the exception).
     *
     * @param settings each model's settings by the same names (its policy: calibrated for that model's weights)
     * @param token the Bearer token every request must carry, or null for none
     * @param threads Spark task threads
     */
    Running start(Path storage, Map<String, Path> models, Map<String, Settings> settings, String bind, int port, String token, int threads)
            throws Exception;
}
