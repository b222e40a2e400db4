/** Locates the golden data of {@code test-vectors/} on disk for tests, benchmarks and the demo. */
package dev.toploc.vectors;
