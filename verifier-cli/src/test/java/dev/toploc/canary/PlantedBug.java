package dev.toploc.canary;

/**
 * The planted bug of the fuzzing canary, kept outside the fuzz tests' package on purpose: Jazzer's JUnit
 * integration instruments the test's own package by default, so finding this bug proves the configured
 * instrumentation (dev.toploc.**) reaches the code under test too. A crash behind a 4-byte tag, a length
 * check and a 32-bit magic number: about 2^80 inputs to hit blind.
 */
public final class PlantedBug {
    private PlantedBug() {
    }

    public static void parse(byte[] data) {
        if (data.length >= 12 && data[0] == 'T' && data[1] == 'O' && data[2] == 'P' && data[3] == 'L') {
            int len = data[4] & 0xFF;
            if (len == data.length - 5) {
                int magic = (data[5] & 0xFF) << 24 | (data[6] & 0xFF) << 16 | (data[7] & 0xFF) << 8 | (data[8] & 0xFF);
                if (magic == 0x0C0FFEE5) {
                    throw new IllegalStateException("planted bug reached");
                }
            }
        }
    }
}
