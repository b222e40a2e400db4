#!/usr/bin/env bash
# The device check, one line per check, exit status 0 when all pass.
#   cuda-bridge/device-check.sh              on a machine with an NVIDIA GPU, nvcc and python3 (no JDK needed)
#   cuda-bridge/device-check.sh --emulator   the same checks on the CPU emulator (g++ and python3; the Maven
#                                            build runs this, so the script itself is tested before a GPU run)
# Builds the library and C drivers, then checks:
#  - the emulator's self-test: the kernel bugs it claims to catch fail, correct kernels pass (--emulator);
#  - top-k (host input, and device input on a stream) with the gather against a CPU reference, on every
#    chunk of the reference vectors and on synthetic ties and non-finite values;
#  - the fp32 prefill of the embedded tiny model against PyTorch's golden fp32 states (3 sequences), and of
#    the oracle's Qwen2 (QKV bias, windows on layers 1-2) and Qwen3 (q/k norms, head_dim != hidden/heads)
#    against llama.cpp's states, each with its features dropped as negative controls (which must be far);
#  - prefill throughput on a random 4096-wide, 2-layer Llama with 512 tokens, beside PyTorch on the same GPU
#    and shape (on the emulator: a 256-wide model and 64 tokens, to run the path, not to time it).
# With the jlink runtime carried along (make it here with cuda-bridge/make-runtime.sh: target/jlink-runtime,
# about 50 MiB, is the path to carry), it also runs the Java GPU tests. About a minute on an H100-class machine.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
emulator=0
[ "${1:-}" = "--emulator" ] && emulator=1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
command -v python3 >/dev/null || { echo "device-check: python3 not found (it reads the vectors' JSON)"; exit 2; }
if [ $emulator = 1 ]; then
  command -v g++ >/dev/null || { echo "device-check: g++ not found"; exit 2; }
  bash "$here/build-native.sh" --emulator "$out" >/dev/null || exit 2
  [ -f "$out/libtoploc_cuda_emu.so" ] || { echo "device-check: the emulator was not built"; exit 2; }
  lib=toploc_cuda_emu
  echo "device: toploc CPU emulator (times below are CPU times of the emulation, not GPU figures)"
  g++ -std=c++17 -O2 -pthread -x c++ -I"$here/src/test/emu" -o "$out/emu_selftest" "$here/src/test/emu/emu_selftest.cpp" || exit 2
else
  command -v nvcc >/dev/null || { echo "device-check: nvcc not found"; exit 2; }
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
  bash "$here/build-native.sh" "$out" || exit 2
  lib=toploc_cuda
fi
gcc -O2 -o "$out/check_topk" "$here/src/test/c/check_topk.c" -L"$out" -l$lib -Wl,-rpath,"$out" || exit 2
gcc -O2 -o "$out/check_prefill" "$here/src/test/c/check_prefill.c" -L"$out" -l$lib -Wl,-rpath,"$out" -lm || exit 2
status=0
if [ $emulator = 1 ]; then
  "$out/emu_selftest" 2>/dev/null || status=1
fi
for json in "$root"/test-vectors/reference/bf16-*.json; do
  args=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); p=0 if d['skip_prefill'] else d['prefill_rows']; print(d['activations_file'], p+d['decode_rows'], d['hidden'], d['decode_batching_size'], d['topk'], p)" "$json")
  set -- $args
  "$out/check_topk" "$root/test-vectors/reference/$1" "$2" "$3" "$4" "$5" "$6" || status=1
done
"$out/check_topk" synthetic || status=1
model="$root/test-vectors/models/tiny-fortunes-llama"
cfg=$(python3 -c "import json; c=json.load(open('$model/config.json')); print(c['hidden_size'], c['intermediate_size'], c['num_hidden_layers'], c['num_attention_heads'], c['num_key_value_heads'], c['head_dim'], c['vocab_size'], c['rope_theta'], c['rms_norm_eps'])")
for seq in seq1 seq2 seq3; do
  python3 -c "import json; d=json.load(open('$model/golden/$seq.json')); print(' '.join(map(str, d['prompt_ids'] + d['completion_ids'])))" > "$out/$seq.tokens"
  "$out/check_prefill" golden "$model/model.safetensors" $cfg "$out/$seq.tokens" "$model/golden/$seq.fp32.bin" || status=1
done
# config fields, then each layer's window (transformers' Qwen2 rule: layers from max_window_layers on slide)
oracle_cfg='import json, sys; c = json.load(open(sys.argv[1])); L = c["num_hidden_layers"]
w = (c.get("sliding_window") or 0) if c.get("use_sliding_window") else 0
print(c["hidden_size"], c["intermediate_size"], L, c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["vocab_size"],
      c["rope_theta"], c["rms_norm_eps"], ",".join(str(w if l >= c.get("max_window_layers", 0) else 0) for l in range(L)) if w else "-")'
for case in qwen2-window-layers:bias,window qwen3:qk-norm; do
  dir="$root/test-vectors/oracle/${case%%:*}"
  set -- $(python3 -c "$oracle_cfg" "$dir/config.json")
  python3 -c "import json, sys; print(' '.join(map(str, json.load(open(sys.argv[1]))['ids'])))" "$dir/golden.json" > "$out/oracle.tokens"
  "$out/check_prefill" golden "$dir/model.safetensors" "${@:1:9}" "$out/oracle.tokens" "$dir/llamacpp.fp32.bin" "${10}" || status=1
  drops=${case#*:}
  for d in ${drops//,/ }; do
    "$out/check_prefill" golden "$dir/model.safetensors" "${@:1:9}" "$out/oracle.tokens" "$dir/llamacpp.fp32.bin" "${10}" "$d" || status=1
  done
done
if [ $emulator = 1 ]; then
  "$out/check_prefill" random 256 688 2 8 4 32 64 || status=1
  [ $status = 0 ] && echo "device-check: all checks passed" || echo "device-check: SOME CHECKS FAILED"
  exit $status
fi
# throughput: a random 4096-wide Llama (32 heads, 8 KV heads, MLP 14336), 2 layers, 512 tokens; then PyTorch on the same shape
"$out/check_prefill" random 4096 14336 2 32 8 128 512 || status=1
python3 - <<'PY' || echo "pytorch: not available for the comparison"
import time, torch
assert torch.cuda.is_available()
d, f, L, H, KV, hd, T = 4096, 14336, 2, 32, 8, 128, 512
dev = "cuda"
for dtype in (torch.float32, torch.bfloat16):
    g = torch.Generator(device=dev).manual_seed(0)
    W = lambda *s: (torch.rand(*s, device=dev, generator=g) * 0.06 - 0.03).to(dtype)
    layers = [dict(q=W(H*hd, d), k=W(KV*hd, d), v=W(KV*hd, d), o=W(d, H*hd), g=W(f, d), u=W(f, d), dn=W(d, f)) for _ in range(L)]
    x0 = torch.randn(T, d, device=dev, dtype=dtype)
    inv = 1.0 / (10000 ** (torch.arange(0, hd, 2, device=dev).float() / hd))
    ang = torch.arange(T, device=dev).float()[:, None] * inv[None]
    cos, sin = torch.cat([ang.cos()] * 2, -1).to(dtype), torch.cat([ang.sin()] * 2, -1).to(dtype)
    def rope(x):
        x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
        return x * cos[:, None] + torch.cat([-x2, x1], -1) * sin[:, None]
    def norm(x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-5)).to(dtype)
    mask = torch.full((T, T), float("-inf"), device=dev).triu(1)
    def fwd(x):
        for p in layers:
            h = norm(x)
            q = rope((h @ p["q"].T).view(T, H, hd)); k = rope((h @ p["k"].T).view(T, KV, hd)); v = (h @ p["v"].T).view(T, KV, hd)
            k = k.repeat_interleave(H // KV, 1); v = v.repeat_interleave(H // KV, 1)
            s = torch.einsum("thd,shd->hts", q, k) / hd ** 0.5 + mask
            a = torch.einsum("hts,shd->thd", s.float().softmax(-1).to(dtype), v).reshape(T, H * hd)
            x = x + a @ p["o"].T
            h = norm(x)
            x = x + (torch.nn.functional.silu(h @ p["g"].T) * (h @ p["u"].T)) @ p["dn"].T
        return norm(x)
    with torch.no_grad():
        fwd(x0); torch.cuda.synchronize()
        t0 = time.time(); fwd(x0); torch.cuda.synchronize(); dt = time.time() - t0
    print(f"pytorch {torch.__version__} {str(dtype)[6:]} prefill hidden {d} x {L} layers, {T} tokens: {dt*1000:.3f} ms = {T/dt:.0f} tokens/s")
PY
if [ -x "$root/target/jlink-runtime/bin/java" ]; then
  echo "java: $("$root/target/jlink-runtime/bin/java" -version 2>&1 | head -n 1)"
  "$root/target/jlink-runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -Dtoploc.cuda.library="$out/libtoploc_cuda.so" -Dtoploc.testVectors="$root/test-vectors" \
    -cp "$root/target/jlink-runtime/lib/toploc/*" org.junit.platform.console.ConsoleLauncher execute \
    --select-class=dev.toploc.cuda.CudaBackendTest --select-class=dev.toploc.cuda.CudaPrefillTest \
    --select-class=dev.toploc.cuda.DeviceCommitHookTest --select-class=dev.toploc.cuda.DeviceTopKPropertiesTest --details=tree || status=1
fi
[ $status = 0 ] && echo "device-check: all checks passed" || echo "device-check: SOME CHECKS FAILED"
exit $status
