#!/usr/bin/env bash
# The GPU device check (run on a machine with an NVIDIA GPU, nvcc and python3; no JDK needed):
#   cuda-bridge/device-check.sh
# Builds libtoploc_cuda.so and a C driver, then checks the device top-k against a CPU reference on every
# chunk of the reference vectors, one line per check with the device time. With a jlink runtime carried
# along (cuda-bridge/make-runtime.sh on the development machine), it also runs the Java GPU tests.
# Not yet here: the GPU prefill kernels (see the project's README); this script says so in its last line.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$(mktemp -d)"
command -v nvcc >/dev/null || { echo "device-check: nvcc not found"; exit 2; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
bash "$here/build-native.sh" "$out" || exit 2
gcc -O2 -o "$out/check_topk" "$here/src/test/c/check_topk.c" -L"$out" -ltoploc_cuda -Wl,-rpath,"$out" || exit 2
status=0
for json in "$root"/test-vectors/reference/bf16-*.json; do
  args=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); p=0 if d['skip_prefill'] else d['prefill_rows']; print(d['activations_file'], p+d['decode_rows'], d['hidden'], d['decode_batching_size'], d['topk'], p)" "$json")
  set -- $args
  "$out/check_topk" "$root/test-vectors/reference/$1" "$2" "$3" "$4" "$5" "$6" || status=1
done
if [ -x "$root/target/jlink-runtime/bin/java" ]; then
  echo "java: $("$root/target/jlink-runtime/bin/java" -version 2>&1 | head -n 1)"
  "$root/target/jlink-runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -Dtoploc.cuda.library="$out/libtoploc_cuda.so" -Dtoploc.testVectors="$root/test-vectors" \
    -cp "$root/target/jlink-runtime/lib/toploc/*" org.junit.platform.console.ConsoleLauncher execute \
    --select-class=dev.toploc.cuda.CudaBackendTest --details=tree || status=1
fi
echo "prefill on the GPU: not implemented yet (no check)"
exit $status
