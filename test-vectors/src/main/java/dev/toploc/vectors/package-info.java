/**
 * Golden data and test models: locates the golden data of {@code test-vectors/} on disk for tests,
 * benchmarks (the CLI finds the embedded models through its launcher's {@code -Dtoploc.models}) ({@link dev.toploc.vectors.TestVectors}, {@link dev.toploc.vectors.GoldenSequence}),
 * and writes test models ({@link dev.toploc.vectors.RandomModel}: random models of real architectures'
 * shapes; {@link dev.toploc.vectors.SafetensorsWriter}) for the runtime's and the GPU bridge's tests, the
 * benchmarks and calibration. {@link dev.toploc.vectors.RandnWorkload} rebuilds the reference's 1000 x 5120 bf16 randn
 * workload from a seed, for the torch tie choice recorded in {@code test-vectors/torch-ties/}. Depends on no other module, so the writers are independent of the reader
 * they test.
 */
package dev.toploc.vectors;
