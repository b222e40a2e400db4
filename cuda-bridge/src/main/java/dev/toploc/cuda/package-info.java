/**
 * GPU support through the Foreign Function and Memory API (no JNI): {@link dev.toploc.cuda.CudaBackend}
 * binds {@code libtoploc_cuda.so} (built by nvcc with this module), reports why no device is usable when
 * there is none, and offers the exact top-k kernel to core as an accelerator. The GPU prefill is not
 * here yet (see the module's README section in the project README).
 */
package dev.toploc.cuda;
