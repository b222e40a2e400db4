package dev.toploc.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The fuzzing canary: a target whose code under test ({@link dev.toploc.canary.PlantedBug}) hides a crash
 * only coverage guidance finds. Not run by the normal suite (its name does not end in Test);
 * {@link FuzzingIsCoverageGuidedTest} fuzzes it in a child JVM and expects the finding. If instrumentation
 * ever stops reaching the project's classes (class files Jazzer cannot read, a narrowed include list),
 * that test fails.
 */
class PlantedBugCanary {
    @FuzzTest(maxDuration = "60s")
    void canary(byte[] data) {
        dev.toploc.canary.PlantedBug.parse(data);
    }
}
