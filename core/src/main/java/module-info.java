/**
 * The core of toploc: commit math and formats, verification and acceptance policies, the provider hook,
 * attestations and policy files. Exported: {@code dev.toploc}, {@code dev.toploc.attest},
 * {@code dev.toploc.io}, {@code dev.toploc.policy} (the README's stable API). {@code dev.toploc.internal} (kernels) is exported only
 * to {@code dev.toploc.runtime}, whose kernels follow the same Vector API switch.
 *
 * <p>The Vector API is optional here ({@code requires static}): without
 * {@code --add-modules jdk.incubator.vector} the core runs its scalar kernels, bit-identical.
 */
module dev.toploc.core {
    requires static jdk.incubator.vector;
    requires com.fasterxml.jackson.databind;
    requires transitive org.bouncycastle.provider;   // the attest API takes and returns its Ed25519 key types
    requires org.bouncycastle.pkix;

    exports dev.toploc;
    exports dev.toploc.attest;
    exports dev.toploc.io;
    exports dev.toploc.policy;

    exports dev.toploc.internal to dev.toploc.runtime;
}
