#!/usr/bin/env bash
# Builds the native CPU matmul library from src/main/c/toploc_cpu.c.
#   build-native.sh OUTPUT_DIR   libtoploc_cpu.so with gcc (the Maven build passes
#                                target/classes/META-INF/native/linux-x86_64). Without gcc on the PATH, or off
#                                x86-64 Linux, it says so and exits 0: the Java side then reports "no native
#                                library" and the Vector API kernels run.
# The AVX-512 and AMX kernels are compiled for those instruction sets function by function (target pragmas); the
# library loads on any x86-64 CPU and the kernels are chosen at run time from CPUID, XCR0 and Linux's AMX permission.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build-native.sh OUTPUT_DIR}"
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1 || [ "$(uname -m)" != "x86_64" ] || [ "$(uname -s)" != "Linux" ]; then
  echo "runtime: no $cc on the PATH or not x86-64 Linux; not building libtoploc_cpu.so (the Java kernels are used)"
  exit 0
fi
mkdir -p "$out"
# -ffp-contract=off: no multiply-add contraction, every scalar * and + rounds as written (the documented order).
if ! "$cc" -std=c11 -O2 -ffp-contract=off -fno-fast-math -fPIC -shared -Wall -Wextra -Wno-unused-parameter \
    -o "$out/libtoploc_cpu.so" "$here/src/main/c/toploc_cpu.c"; then
  echo "runtime: $cc could not build libtoploc_cpu.so (a compiler without AVX-512 BF16 / AMX support?); the Java kernels are used"
  rm -f "$out/libtoploc_cpu.so"
  exit 0
fi
echo "runtime: built $out/libtoploc_cpu.so"
