/** Locates the golden data of {@code test-vectors/} on disk for tests and benchmarks (the CLI finds the embedded models through its launcher's {@code -Dtoploc.models}). */
package dev.toploc.vectors;
