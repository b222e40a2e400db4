#!/usr/bin/env python3
"""Which indices torch's top-k picks where the k-th magnitude is tied, on the reference's workload.

Reads bf16 hidden states written by the project (`dev.toploc.vectors.RandnWorkload`: 1000 x 5120
standard-normal values rounded to bf16, little-endian 16-bit patterns, row-major) and runs the selection
of the reference TOPLOC v0.1.6 `build_proofs` exactly as it does for a 2-D tensor with skip_prefill=True
(the reference's benchmark call `build_proofs_base64(acts, 32, 128, skip_prefill=True)`):

    for i in range(0, len(activations), decode_batching_size):
        flat_view = torch.cat([i.view(-1) for i in activations[i : i + decode_batching_size]])
        topk_indices = flat_view.abs().topk(topk).indices

so chunk c covers rows [32c, min(32c + 32, 1000)): 31 chunks of 32 x 5120 values and a last one of
8 x 5120; no prefill chunk. The chosen indices (flat within the chunk, in torch's order) are written as
JSON beside the states' SHA-256, so a Java test can rebuild the states, build the commits from torch's
choice and check them without torch (test-vectors/torch-ties/README.md).

Needs torch (tested with Debian's python3-torch 1.13) and numpy. Usage:

    python3 scripts/torch-ties.py STATES.bf16 -o test-vectors/torch-ties/randn-1000x5120-bf16.json
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

ROWS, HIDDEN = 1000, 5120


def select(acts, batch, k):
    """The reference's decode-chunk selection (build_proofs, skip_prefill=True), indices as torch returns them."""
    out = []
    for i in range(0, len(acts), batch):
        flat_view = torch.cat([a.view(-1) for a in acts[i:i + batch]])
        out.append(flat_view.abs().topk(k).indices.tolist())
    return out


def lowest_index_rule(patterns, k):
    """Top-k by magnitude (bits & 0x7FFF), ties to the lower flat index: this project's rule, as a cross-check."""
    mags = (patterns & 0x7FFF).astype(np.int64)
    order = np.lexsort((np.arange(len(mags)), -mags))
    return set(order[:k].tolist())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("states", help="little-endian bf16 patterns, ROWS x HIDDEN, row-major (RandnWorkload's output)")
    ap.add_argument("-o", "--out", required=True, help="JSON file to write (refused if it exists, unless --force)")
    ap.add_argument("--rows", type=int, default=ROWS)
    ap.add_argument("--hidden", type=int, default=HIDDEN)
    ap.add_argument("--batch", type=int, default=32, help="decode_batching_size (default 32)")
    ap.add_argument("--k", type=int, default=128, help="topk (default 128)")
    ap.add_argument("--seed", type=int, required=True, help="the seed RandnWorkload used (recorded, not used)")
    ap.add_argument("--force", action="store_true", help="overwrite --out")
    a = ap.parse_args()

    if os.path.exists(a.out) and not a.force:
        sys.exit(f"error: {a.out} exists (pass --force to replace it)")
    raw = open(a.states, "rb").read()
    expected = a.rows * a.hidden * 2
    if len(raw) != expected:
        sys.exit(f"error: {a.states} has {len(raw)} bytes, expected {a.rows} x {a.hidden} x 2 = {expected}")
    sha = hashlib.sha256(raw).hexdigest()
    patterns = np.frombuffer(raw, dtype="<u2").copy()
    if np.any((patterns & 0x7FFF) >= 0x7F80):
        sys.exit("error: the states hold NaN or Inf")
    acts = torch.from_numpy(patterns.view(np.int16)).view(torch.bfloat16).view(a.rows, a.hidden)

    chosen = select(acts, a.batch, a.k)
    if select(acts, a.batch, a.k) != chosen:
        sys.exit("error: torch's top-k chose differently on a second run of the same states")

    chunks = []
    differs = 0
    worst = 0
    for c, idx in enumerate(chosen):
        r0, r1 = c * a.batch, min(c * a.batch + a.batch, a.rows)
        flat = patterns[r0 * a.hidden:r1 * a.hidden]
        mags = flat & 0x7FFF
        kth = int(mags[idx].min())
        tied_in_chunk = int(np.count_nonzero(mags == kth))
        above = int(np.count_nonzero(mags > kth))
        ours = lowest_index_rule(flat, a.k)
        diff = a.k - len(ours & set(idx))
        differs += diff > 0
        worst = max(worst, diff)
        chunks.append({
            "rows": [r0, r1],
            "kth_magnitude": kth,
            "above_kth": above,
            "tied_at_kth": tied_in_chunk,
            "lowest_index_rule_differs": diff,
            "indices": idx,
        })

    doc = {
        "what": "torch's top-k indices on the reference's workload, per chunk (flat within the chunk, torch's order)",
        "selection": "toploc v0.1.6 build_proofs, skip_prefill=True: flat_view.abs().topk(topk).indices "
                     "over rows [i, i + decode_batching_size) of the 2-D states",
        "states": {
            "generator": "dev.toploc.vectors.RandnWorkload (java.util.Random.nextGaussian -> fp32 -> bf16 RNE)",
            "seed": a.seed,
            "rows": a.rows,
            "hidden": a.hidden,
            "dtype": "bf16",
            "sha256": sha,
        },
        "decode_batching_size": a.batch,
        "topk": a.k,
        "skip_prefill": True,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "summary": {
            "chunks": len(chunks),
            "chunks_where_lowest_index_rule_differs": differs,
            "worst_positions_differing": worst,
        },
        "command": "python3 scripts/torch-ties.py STATES.bf16 --seed %d -o %s" % (a.seed, os.path.basename(a.out)),
        "chunks": chunks,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{a.out}: {len(chunks)} chunks, torch {torch.__version__} ({torch.get_num_threads()} threads); "
          f"a lowest-index tie rule differs in {differs} chunks, by up to {worst} positions")


if __name__ == "__main__":
    main()
