/**
 * GPU support through the Foreign Function and Memory API (no JNI), on {@code libtoploc_cuda.so} (built by
 * nvcc with this module): {@link dev.toploc.cuda.CudaBackend} reports why no device is usable when there is
 * none, offers the exact top-k kernel to core as an accelerator, and runs it on states already in device
 * memory ({@link dev.toploc.cuda.DeviceMemory}, {@link dev.toploc.cuda.CudaStream}); {@link
 * dev.toploc.cuda.DeviceCommitHook} is the provider hook for engines whose states stay on the GPU;
 * {@link dev.toploc.cuda.CudaPrefill} runs a model's fp32 prefill on the device for the verifier. The same
 * CUDA source runs on a CPU emulator in the tests; {@code cuda-bridge/device-check.sh} checks it on a GPU.
 * See docs/cuda.md.
 */
package dev.toploc.cuda;
