#!/usr/bin/env bash
# Builds the native library from src/main/cuda/toploc_cuda.cu.
#   build-native.sh OUTPUT_DIR              libtoploc_cuda.so with nvcc (the Maven build passes
#                                           target/classes/META-INF/native/linux-x86_64). Without nvcc on the
#                                           PATH it says so and exits 0: the Java side then reports "no CUDA
#                                           library" and falls back to the CPU.
#   build-native.sh --emulator OUTPUT_DIR   libtoploc_cuda_emu.so: the same source compiled with g++ against
#                                           src/test/emu/cuda_emu.h, which runs the kernels on the CPU (tests
#                                           without a GPU). Without g++ (or off x86-64) it says so and exits 0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/src/main/cuda"
if [ "${1:-}" = "--emulator" ]; then
  out="${2:?usage: build-native.sh --emulator OUTPUT_DIR}"
  if ! command -v g++ >/dev/null 2>&1 || [ "$(uname -m)" != "x86_64" ]; then
    echo "cuda-bridge: no g++ on the PATH or not x86-64; not building the CPU emulator (its tests are skipped)"
    exit 0
  fi
  mkdir -p "$out"
  g++ -std=c++17 -O2 -g -ffp-contract=off -fPIC -shared -pthread -Wall -Wno-unused-function -x c++ -DTOPLOC_EMULATE \
    -I"$here/src/test/emu" -o "$out/libtoploc_cuda_emu.so" "$src/toploc_cuda.cu"
  echo "cuda-bridge: built $out/libtoploc_cuda_emu.so (CPU emulator)"
  exit 0
fi
out="${1:?usage: build-native.sh [--emulator] OUTPUT_DIR}"
if ! command -v nvcc >/dev/null 2>&1; then
  echo "cuda-bridge: nvcc not on the PATH; not building libtoploc_cuda.so (the CPU path is used)"
  exit 0
fi
mkdir -p "$out"
# sm_80 (A100) and sm_90 (H100/H200) machine code, PTX for newer GPUs; cudart linked statically.
# --fmad=false: no multiply-add contraction, so every * and + rounds as written (fmaf where the source says
# so); the emulator build uses -ffp-contract=off for the same arithmetic.
nvcc -O3 --fmad=false -shared -Xcompiler -fPIC -cudart static \
  -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
  -o "$out/libtoploc_cuda.so" "$src/toploc_cuda.cu"
echo "cuda-bridge: built $out/libtoploc_cuda.so"
