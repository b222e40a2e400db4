/**
 * The model runtime: HF safetensors and {@code config.json} loading, the forward pass on the Vector API,
 * sampling, the inference verifier, tokenizers and chat templates. Exported: {@code dev.toploc.runtime},
 * {@code dev.toploc.runtime.tokenizer}. {@code dev.toploc.runtime.internal} (kernels, the safetensors reader,
 * weights in place) is exported only to the GPU bridge (its prefill reads the weights and RoPE tables in place)
 * and to the calibration library (its weight edits decode and rewrite stored tensors).
 *
 * <p>The native CPU matmul ({@code libtoploc_cpu}, see {@code docs/runtime.md}) is called through FFM: a module-path
 * user starts java with {@code --enable-native-access=dev.toploc.runtime} (JDK 25 otherwise warns on first use).
 *
 * <p>DJL's tokenizers jar has no module descriptor: it is the automatic module {@code ai.djl.tokenizers}
 * (its manifest's {@code Automatic-Module-Name}); GraalJS comes as the named module {@code org.graalvm.polyglot}.
 */
module dev.toploc.runtime {
    requires transitive dev.toploc.core;
    requires jdk.incubator.vector;
    requires com.fasterxml.jackson.databind;
    requires ai.djl.tokenizers;
    requires org.graalvm.polyglot;

    exports dev.toploc.runtime;
    exports dev.toploc.runtime.tokenizer;

    exports dev.toploc.runtime.internal to dev.toploc.cuda, dev.toploc.calibration;
}
