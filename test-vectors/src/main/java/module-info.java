/**
 * Golden data and test-model writers: the reference implementation's vectors, the embedded tiny models,
 * {@code RandomModel} and {@code SafetensorsWriter} (used by the tests, the benchmarks, the calibration
 * library and the CLI's {@code bench}).
 */
module dev.toploc.vectors {
    requires com.fasterxml.jackson.databind;

    exports dev.toploc.vectors;
}
