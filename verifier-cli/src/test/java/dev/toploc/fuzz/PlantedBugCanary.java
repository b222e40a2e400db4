package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * A fuzz target with a planted bug that only coverage guidance finds: a crash behind a 4-byte tag, a
 * length check and a 32-bit magic number (2^80 inputs to hit blind). Not run by the normal suite (its name
 * does not end in Test); {@link FuzzingIsCoverageGuidedTest} fuzzes it in a child JVM and expects the
 * finding. If instrumentation ever stops working (class files Jazzer cannot read, say), that test fails.
 */
class PlantedBugCanary {
    @FuzzTest(maxDuration = "60s")
    void canary(byte[] data) {
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
