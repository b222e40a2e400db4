#!/usr/bin/env bash
# Builds libtoploc_cuda.so with nvcc into $1 (the Maven build passes target/classes/META-INF/native/linux-x86_64).
# Without nvcc on the PATH it says so and exits 0: the Java side then reports "no CUDA library" and falls back to the CPU.
set -euo pipefail
out="${1:?usage: build-native.sh OUTPUT_DIR}"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/src/main/cuda"
if ! command -v nvcc >/dev/null 2>&1; then
  echo "cuda-bridge: nvcc not on the PATH; not building libtoploc_cuda.so (the CPU path is used)"
  exit 0
fi
mkdir -p "$out"
# sm_80 (A100) and sm_90 (H100/H200) machine code, PTX for newer GPUs; cudart linked statically.
nvcc -O3 -shared -Xcompiler -fPIC -cudart static \
  -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
  -o "$out/libtoploc_cuda.so" "$src/toploc_cuda.cu"
echo "cuda-bridge: built $out/libtoploc_cuda.so"
