#!/usr/bin/env bash
# Issue 18 item 1: the Llama-3-8B shape's prefill GFLOP/s against the 2048 shape's, per token count, on the
# backend `auto` picks (bf16 and fp32) and on the Java kernels (fp32, 256 tokens). Each model is written once
# (the 8B shape: 32 layers, 16 GB of weights, several minutes; needs ~17 GiB free for its non-streamed runs).
#
#   scripts/prefill-shapes.sh            (about 10 minutes on 2 idle cores; DIR=... for the models, default /tmp/toploc-shapes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${DIR:-/tmp/toploc-shapes}"
mkdir -p "$dir"
small="$dir/llama2048" big="$dir/llama8b"
[ -d "$small" ] || "$root/toploc" bench prefill --shape 2048 --random-dir "$small" --modes fp32 --threads 1 --runs 1 --warmup 0 --tokens 4 >/dev/null
[ -d "$big" ] || "$root/toploc" bench prefill --shape 8b --layers 32 --random-dir "$big" --modes fp32 --threads 1 --runs 1 --warmup 0 --tokens 4 >/dev/null
bench() { "$root/toploc" bench prefill --threads "${THREADS:-$(nproc)}" "$@" 2>&1 | grep "mode="; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) processors; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for T in 16 256 1024; do
  for m in "$small" "$big"; do
    echo "== $(basename "$m") T=$T"; bench --model "$m" --modes bf16,fp32 --runs 1 --warmup 1 --tokens "$T"
  done
done
for m in "$small" "$big"; do
  echo "== $(basename "$m") T=4096"; bench --model "$m" --modes bf16 --runs 1 --warmup 0 --tokens 4096
done
for m in "$small" "$big"; do
  echo "== java $(basename "$m") T=256"; bench --cpu-backend java --model "$m" --modes fp32 --runs 1 --warmup 1 --tokens 256
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
