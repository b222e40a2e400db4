/**
 * GPU support through the Foreign Function and Memory API (no JNI): {@link dev.toploc.cuda.CudaBackend}
 * binds {@code libtoploc_cuda.so} (built by nvcc with this module), reports why no device is usable when
 * there is none, and offers the exact top-k kernel to core as an accelerator. The library's fp32 prefill
 * kernels are checked by {@code cuda-bridge/device-check.sh} but not bound here yet.
 */
package dev.toploc.cuda;
