/**
 * GPU support through the Foreign Function and Memory API (no JNI): {@link dev.toploc.cuda.CudaBackend}
 * binds {@code libtoploc_cuda.so} (built by nvcc with this module), reports why no device is usable when
 * there is none, and offers the exact top-k kernel to core as an accelerator; {@link dev.toploc.cuda.CudaPrefill}
 * runs a model's fp32 prefill on the device for the verifier. Checked on a GPU by {@code cuda-bridge/device-check.sh}.
 */
package dev.toploc.cuda;
