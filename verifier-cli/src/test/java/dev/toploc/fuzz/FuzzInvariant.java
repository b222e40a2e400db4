package dev.toploc.fuzz;

import dev.toploc.TopLocException;
import java.io.IOException;

/**
 * The invariant of every fuzz target: a parser of untrusted input returns a value or throws a typed
 * exception. Anything else propagates and Jazzer reports it as a finding (as it does hangs and running
 * out of memory).
 */
final class FuzzInvariant {
    private FuzzInvariant() {
    }

    @FunctionalInterface
    interface Parser {
        void parse() throws Exception;
    }

    /** Runs {@code p}; typed rejections (checked {@link TopLocException}, {@link IOException}) are fine. */
    static void typedOrValue(Parser p) throws Exception {
        try {
            p.parse();
        } catch (TopLocException | IOException expected) {
            // a typed rejection naming the problem: the invariant holds
        }
    }
}
