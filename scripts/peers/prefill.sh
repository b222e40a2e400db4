#!/usr/bin/env bash
# Prefill throughput of this project against PyTorch and llama.cpp on the same CPU, the same random model
# (the 2048 shape of `toploc bench prefill`: hidden 2048, 32/4 heads, MLP 5632, vocab 4096, bf16 weights,
# 8 layers) and the same 256 token ids, interleaved: each round runs every engine once, in turn, as its own
# process (WARMUP untimed prefills, default 3, then the median of RUNS timed ones, default 3; the same for every
# engine, so each is measured warm: the JVM's JIT needs more than one prefill); the table shows each engine's
# median over the rounds.
# Peers are optional: an engine that is not installed is skipped with a note. Never run by the build.
#
#   scripts/peers/prefill.sh [ROUNDS]          (default 3; about 5-8 minutes on 2 cores with every peer)
#   WARMUP=1 RUNS=1 scripts/peers/prefill.sh 3   (one warm-up and one timed prefill per process, as before 2026-12-01)
#   ENGINES="toploc-fp32 torch-bf16" scripts/peers/prefill.sh 1     (a subset; names as in the table)
# toploc-fp32/-bf16 use the CPU backend `auto` picks (native AMX / AVX-512 BF16 where present), toploc-java-* the
# Java Vector API kernels.
#
# PyTorch's fp32 linear layers run on the system BLAS: with Debian's reference libblas3 (no OpenBLAS
# installed) they are ~50x slower than with OpenBLAS, and the script says so; apt-get install
# libopenblas0-pthread makes the peer a fair one (bf16 runs oneDNN's kernels either way).
#
# Needs: the project's JDK (the toploc script builds the CLI on first use); PyTorch 1.13 from Debian
# (apt-get install python3-torch; run by /usr/bin/python3); node-llama-cpp@3.21.1 in $NLC_DIR (npm i -E
# node-llama-cpp@3.21.1; default /work/scratch-models/node); numpy for the GGUF conversion. Scratch files go
# to $PEERS_DIR (default /tmp/toploc-peers): the model (~0.7 GB) and two GGUF files (~2.1 GB F32, ~1.1 GB BF16).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-3}"
dir="${PEERS_DIR:-/tmp/toploc-peers}"
nlc="${NLC_DIR:-/work/scratch-models/node}"
threads="${THREADS:-$(nproc)}"
warmup="${WARMUP:-3}"
timed="${RUNS:-3}"
T=256
mkdir -p "$dir"
model="$dir/llama2048"
[ -d "$model" ] || "$root/toploc" bench prefill --random-dir "$model" --modes fp32 --threads 1 --runs 1 --warmup 0 --tokens 4 >/dev/null
engines=(toploc-fp32 toploc-bf16 toploc-java-fp32 toploc-java-bf16)
notes=()
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  engines+=(torch-fp32 torch-bf16)
else
  notes+=("PyTorch skipped: /usr/bin/python3 has no torch (apt-get install python3-torch)")
fi
if [ -f "$nlc/node_modules/node-llama-cpp/package.json" ] && command -v node >/dev/null; then
  for t in F32 BF16; do
    [ -f "$dir/llama2048-$t.gguf" ] || python3 "$here/to_gguf.py" "$model" "$dir/llama2048-$t.gguf" "$t"
  done
  engines+=(llamacpp-F32 llamacpp-BF16)
else
  notes+=("llama.cpp skipped: no node-llama-cpp in $nlc (NLC_DIR)")
fi
if [ -n "${ENGINES:-}" ]; then
  keep=()
  for e in "${engines[@]}"; do
    case " $ENGINES " in *" $e "*) keep+=("$e") ;; esac
  done
  engines=("${keep[@]}")
fi
if [[ " ${engines[*]} " == *" torch-fp32 "* ]] && ! ls /usr/lib/x86_64-linux-gnu/libopenblas* /usr/lib/x86_64-linux-gnu/openblas*/libblas.so.3 >/dev/null 2>&1 \
   && [ "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null)" = /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 ]; then
  notes+=("torch-fp32 ran on the reference BLAS (libblas3, no OpenBLAS): not a fair peer; apt-get install libopenblas0-pthread")
fi
results="$dir/results.txt"
: > "$results"
run() {
  case "$1" in
    toploc-java-*) "$root/toploc" bench prefill --cpu-backend java --model "$model" --modes "${1#toploc-java-}" --threads "$threads" --runs "$timed" --warmup "$warmup" --tokens $T 2>/dev/null \
                | sed -n "s/^mode=\([a-z0-9]*\) .*  \([0-9.]*\) tokens\/s .*/toploc-java-\1 tokens\/s=\2/p" ;;
    toploc-*) "$root/toploc" bench prefill --model "$model" --modes "${1#toploc-}" --threads "$threads" --runs "$timed" --warmup "$warmup" --tokens $T 2>/dev/null \
                | sed -n "s/^mode=\([a-z0-9]*\) .*  \([0-9.]*\) tokens\/s .*/toploc-\1 tokens\/s=\2/p" ;;
    torch-*) /usr/bin/python3 "$here/torch_prefill.py" "$model" --dtype "${1#torch-}" --threads "$threads" --tokens $T --runs "$timed" --warmup "$warmup" ;;
    llamacpp-*) NLC_DIR="$nlc" node "$here/llamacpp_prefill.mjs" --model "$dir/llama2048-${1#llamacpp-}.gguf" --label "$1" \
                  --threads "$threads" --tokens $T --runs "$timed" --warmup "$warmup" --vocab "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['vocab_size'])" "$model/config.json")" 2>/dev/null ;;
  esac
}
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) processors, threads=$threads, per process $warmup warm-up + median of $timed timed; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  for e in "${engines[@]}"; do
    line="$(run "$e" || true)"
    echo "round $r: ${line:-$e failed}"
    [ -n "$line" ] && echo "$line" >> "$results"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$T" <<'PY'
import sys, statistics
res, T = {}, int(sys.argv[2])
for line in open(sys.argv[1]):
    name, tps = line.split()[0], float(line.split()[1].split("=")[1])
    res.setdefault(name, []).append(tps)
# FLOPs as toploc bench prefill counts them (BenchPrefillCommand.flops): 2 x matmul params x T + attention
d, q, kv, inter, L = 2048, 2048, 256, 5632, 8
flop = 2.0 * (d * q + 2 * d * kv + q * d + 3 * d * inter) * L * T + L * 4.0 * q * T * (T + 1) / 2
base = statistics.median(res["toploc-fp32"]) if "toploc-fp32" in res else None
print(f"{'engine':16} {'tokens/s':>10} {'GFLOP/s':>9} {'runs':>5}  {'toploc-fp32 / it':>16}  (medians; min-max)")
for name, v in res.items():
    m = statistics.median(v)
    print(f"{name:16} {m:10.1f} {flop * m / T / 1e9:9.1f} {len(v):5d}  {base / m if base else float('nan'):16.2f}  ({min(v):.1f}-{max(v):.1f})")
PY
for n in "${notes[@]}"; do echo "note: $n"; done
