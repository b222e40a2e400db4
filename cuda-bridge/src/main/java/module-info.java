/**
 * The GPU bridge through FFM: the CUDA library, device memory and streams, the device-side provider hook,
 * the fp32 prefill. Exported: {@code dev.toploc.cuda}. Its downcalls are restricted methods: a module-path
 * user starts java with {@code --enable-native-access=dev.toploc.cuda}.
 */
module dev.toploc.cuda {
    requires transitive dev.toploc.runtime;

    exports dev.toploc.cuda;
}
