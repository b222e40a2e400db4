#!/usr/bin/env python3
"""Golden vectors from llama.cpp for the runtime's architectures, and a comparison with `toploc prefill`.

  NLC_DIR=DIR python3 scripts/oracle/golden.py make    [--cases a,b] [--work SCRATCH]
  NLC_DIR=DIR python3 scripts/oracle/golden.py compare [--cases a,b] [--work SCRATCH] [--toploc ./toploc]

make: for each case writes a random model (hf.random_model, seeded) to test-vectors/oracle/CASE/
(config.json, model.safetensors), converts it to an F32 GGUF in SCRATCH (gguf.convert), runs llama.cpp on
the case's ids (peer.mjs: one batched prefill, KV cache F32, flash attention off) and recovers every
position's final-norm hidden state from the identity head: logits = (h, 0, ..., 0), so
h[i] = log p[i] - log p[hidden] (p float32; the recovery costs ~1e-6 of the rms). Written:
  llamacpp.fp32.bin         positions x hidden float32 LE, the golden states
  reference64.fp32.bin      (Gemma) ref64.py's float64 forward pass of the same ids, rounded to float32: a
                            tighter second reference where llama.cpp itself is approximate (see GEMMA_BOUND)
  llamacpp-NEG.fp32.bin     the same from a deliberately wrong conversion (a feature dropped): the negative
                            control; the runtime must be far from it
  golden.json               ids, sizes, negative controls, the engine and the command that made them;
                            "values": "logits" when the model soft-caps its logits (Gemma 2): the recovered
                            values are then llama.cpp's logits of the identity head, cap * tanh(h / cap), and the
                            Java test compares the runtime's logits
compare: runs `toploc prefill --mode fp32` on each case's folder and ids and prints max|error|/rms per
position against the golden states (worst position, median) and against each negative control.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import fp8  # noqa: E402
import gguf  # noqa: E402
import hf  # noqa: E402
import ref64  # noqa: E402

POSITIONS = 256
# llama.cpp's Gemma path is not fp32-exact: against ref64's float64 forward it is off by 2.9e-4 (gemma2)
# and 4.9e-4 (gemma3) of the rms, the runtime by 2.4e-6 / 1.7e-6. Mostly ggml's CPU GELU, an fp16 lookup
# table (GGML_GELU_FP16): the float64 reference with that table emulated is within 3.5e-5 / 1.8e-4 of
# llama.cpp. Gemma cases are therefore held to 1e-3 against llama.cpp and, in addition, to 1e-5 against
# the float64 reference (reference64.fp32.bin).
GEMMA_BOUND = {"bound": 1e-3, "reference64_bound": 1e-5,
               "why": "llama.cpp's gemma path is 3-5e-4 of the rms from a float64 forward pass (scripts/oracle/ref64.py), "
                      "mostly its fp16-table GELU; the runtime is within 2.5e-6 of the float64 pass"}
# case -> (arch, random_model kwargs, negative controls, what it covers). A negative control is either
# {"drop": [...]}: llama.cpp's states of a deliberately wrong conversion (gguf.convert's drop), stored beside
# the golden ones, or {"config": {...}}: config.json keys the Java test overrides before running the runtime
# (the runtime with the feature switched off). Either way the runtime's states must be far from the golden.
CASES = {
    "qwen3": ("qwen3", dict(hidden=64, inter=128, layers=2, heads=4, kv_heads=2, head_dim=32, rope_theta=1000000.0,
                            rms_eps=1e-6, seed=31),
              {"no-qk-norm": {"drop": ["qk_norm"]}},
              "per-head q/k RMSNorm, head_dim 32 with 4 heads over hidden 64 (heads x head_dim != hidden), GQA 4/2"),
    "qwen3-moe": ("qwen3_moe", dict(hidden=64, inter=128, layers=2, heads=4, kv_heads=2, head_dim=32, rope_theta=1000000.0,
                                    rms_eps=1e-6, seed=32, experts=8, top_k=2, moe_inter=48),
                  {"no-topk-norm": {"config": {"norm_topk_prob": False}}, "top-1": {"config": {"num_experts_per_tok": 1}}},
                  "8 experts, 2 per token, norm_topk_prob, q/k norms, every layer sparse"),
    "mixtral": ("mixtral", dict(hidden=64, layers=2, heads=4, kv_heads=2, head_dim=16, rope_theta=1000000.0,
                                rms_eps=1e-5, seed=33, experts=8, top_k=2, moe_inter=48),
                {"top-1": {"config": {"num_experts_per_tok": 1}}},
                "8 experts, 2 per token (always renormalized), llama rope layout"),
    "phi3": ("phi3", dict(hidden=64, inter=128, layers=2, heads=4, kv_heads=2, head_dim=16, rope_theta=10000.0,
                          rms_eps=1e-5, seed=34, extra_config={"sliding_window": 2047}),
             {"kv-swapped": {"drop": ["kv_order"]}, "gate-up-swapped": {"drop": ["gate_up_order"]}},
             "fused qkv_proj and gate_up_proj, GQA 4/2, sliding_window 2047 as Phi-3-mini-4k (beyond the sequence)"),
    "qwen2-window-layers": ("qwen2", dict(hidden=64, inter=128, layers=3, heads=4, kv_heads=2, head_dim=16,
                                          rope_theta=1000000.0, rms_eps=1e-6, seed=41, extra_config={
                                              "use_sliding_window": True, "sliding_window": 32, "max_window_layers": 1,
                                              "attention_bias": True}),
                            {"no-window": {"config": {"use_sliding_window": False}},
                             "every-layer-windowed": {"config": {"max_window_layers": 0}}},
                            "Qwen2's use_sliding_window with max_window_layers 1: layer 0 full, layers 1-2 window 32; QKV bias"),
    "llama-linear": ("llama", dict(seed=35, extra_config={"rope_scaling": {"rope_type": "linear", "factor": 4.0}}),
                     {"no-scaling": {"config": {"rope_scaling": None}}}, "rope_scaling linear, factor 4"),
    "llama-dynamic": ("llama", dict(seed=36, extra_config={"max_position_embeddings": 128,
                                                           "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}),
                      # without the scaling the context is max_position_embeddings: widen it (plain RoPE ignores it)
                      {"no-scaling": {"config": {"rope_scaling": None, "max_position_embeddings": 4096}}},
                      "rope_scaling dynamic (NTK), factor 2, 256 positions beyond max_position_embeddings 128"),
    "llama-yarn": ("llama", dict(seed=37, extra_config={"rope_scaling": {"rope_type": "yarn", "factor": 4.0,
                                                                         "original_max_position_embeddings": 4096}}),
                   {"no-scaling": {"config": {"rope_scaling": None}}},
                   "rope_scaling yarn, factor 4 over 4096 (beta 32/1, attention factor 1 + 0.1 ln 4)"),
    "phi3-longrope": ("phi3", dict(seed=38, head_dim=16, extra_config={
        "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
        "rope_scaling": {"type": "longrope", "short_factor": [1.0 + 0.25 * i for i in range(8)],
                         "long_factor": [2.0 + 3.0 * i for i in range(8)]}}),
        {"no-scaling": {"config": {"rope_scaling": None}}},
        "rope_scaling longrope (Phi-3-128k style, 32x over 4096): short factors within the pre-training context, "
        "cos/sin times sqrt(1 + ln 32 / ln 4096)"),
    "gemma2": ("gemma2", dict(hidden=64, inter=128, layers=2, heads=4, kv_heads=2, head_dim=32, rope_theta=10000.0,
                              rms_eps=1e-6, seed=39, extra_config={"sliding_window": 32, "attn_logit_softcapping": 20.0,
                                                                   "final_logit_softcapping": 15.0}),
               {"norms-without-unit-offset": {"drop": ["unit_offset"]}, "no-embedding-scale": {"drop": ["embed_scale"]},
                "no-attn-softcap": {"config": {"attn_logit_softcapping": None}},
                "no-final-softcap": {"config": {"final_logit_softcapping": None}},
                "no-window": {"config": {"sliding_window": 4096}},
                "query-scalar-4x": {"config": {"query_pre_attn_scalar": 128}}},
               "embedding scale, (1+w) RMSNorms, pre/post feed-forward norms, GeGLU (tanh GELU), attention soft-cap 20, "
               "final logit soft-cap 15 (the golden values are llama.cpp's logits of the identity head: soft-capped "
               "states), window 32 on layer 0, full attention on layer 1"),
    "gemma3": ("gemma3_text", dict(hidden=64, inter=96, layers=6, heads=4, kv_heads=1, head_dim=32, rope_theta=1000000.0,
                                   rms_eps=1e-6, seed=40, extra_config={
                                       "sliding_window": 32, "sliding_window_pattern": 6, "rope_local_base_freq": 10000.0,
                                       "rope_scaling": {"rope_type": "linear", "factor": 8.0},
                                       "attn_logit_softcapping": None, "final_logit_softcapping": None}),
               {"norms-without-unit-offset": {"drop": ["unit_offset"]}, "no-window": {"config": {"sliding_window": 4096}},
                "one-rope-base": {"config": {"rope_local_base_freq": 1000000.0}},
                "no-global-rope-scaling": {"config": {"rope_local_base_freq": 10000.0, "rope_scaling": None}}},
               "Gemma 3 1B's layout: q/k (1+w) norms, 5 windowed layers (window 32, rope base 1e4) to 1 global "
               "(rope base 1e6, linear scaling 8), MQA 4/1"),
    # FP8 checkpoints: a random bf16 model quantized by fp8.py (kw "fp8": layout, scale dtype); llama.cpp runs the
    # float32 dequantized weights, so the runtime must dequantize exactly (fp8 x scale, one float32 rounding)
    "llama-fp8-block": ("llama", dict(hidden=256, inter=320, layers=2, heads=8, kv_heads=4, head_dim=32, seed=42,
                                      fp8=("block", "F32")),
                        {"scales-ignored": {"drop": ["fp8_scales_ignored"]},
                         "scales-of-the-next-block": {"drop": ["fp8_scales_shifted"]}},
                        "quant_method fp8 (DeepSeek-V3 / Qwen3-FP8 layout): e4m3 projections with F32 weight_scale_inv per "
                        "128 x 128 block; hidden 256 (2 block columns), MLP 320 (a partial block row and column)"),
    "qwen3-fp8-ct": ("qwen3", dict(hidden=64, inter=128, layers=2, heads=4, kv_heads=2, head_dim=32, rope_theta=1000000.0,
                                   rms_eps=1e-6, seed=43, fp8=("ct", "BF16")),
                     {"scales-ignored": {"drop": ["fp8_scales_ignored"]},
                      "scales-of-the-next-row": {"drop": ["fp8_scales_shifted"]}},
                     "compressed-tensors float-quantized: attention e4m3 with one BF16 weight_scale per tensor, MLP one per "
                     "channel (row), dynamic per-token activations declared, lm_head ignored; qwen3 q/k norms"),
}


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")
    return r.stdout


def ids_of(case, cfg):
    rng = np.random.default_rng(1000 + sum(map(ord, case)))
    return rng.integers(hf.first_input_id(cfg), cfg["vocab_size"], POSITIONS).tolist()


def llama_states(folder, work, name, ids, hidden, drop=(), zero_rows=True):
    g = os.path.join(work, name + ".f32.gguf")
    gguf.convert(folder, g, drop, positions=len(ids))
    idf = os.path.join(work, name + ".ids.txt")
    with open(idf, "w") as f:
        f.write(",".join(map(str, ids)))
    out = os.path.join(work, name + ".probs.f32")
    info = json.loads(sh(["node", os.path.join(HERE, "peer.mjs"), "probs", "--model", g, "--ids-file", idf, "--out", out]).strip().splitlines()[-1])
    p = np.fromfile(out, dtype="<f4").reshape(len(ids), info["vocab"]).astype(np.float64)
    lp = np.log(p)
    if not np.all(np.isfinite(lp)) or (zero_rows and not np.all(lp[:, hidden:] == lp[:, hidden:hidden + 1])):
        raise SystemExit(f"{name}: the zero rows of the identity head do not share one probability")
    return (lp[:, :hidden] - lp[:, hidden:hidden + 1]).astype(np.float32)


def per_pos(ref, h):
    rms = np.sqrt((ref.astype(np.float64) ** 2).mean(axis=1))
    return np.abs(h.astype(np.float64) - ref).max(axis=1) / rms


def make(case, work):
    arch, kw, negs, note = CASES[case]
    folder = os.path.join(REPO, "test-vectors", "oracle", case)
    kw = dict(kw)
    quant = kw.pop("fp8", None)
    cfg = hf.random_model(folder, arch, **kw)
    if quant:
        cfg = fp8.quantize_folder(folder, quant[0], quant[1])
    ids = ids_of(case, cfg)
    untied = not cfg.get("tie_word_embeddings")
    h = llama_states(folder, work, case, ids, cfg["hidden_size"], zero_rows=untied)
    h.astype("<f4").tofile(os.path.join(folder, "llamacpp.fp32.bin"))
    neg = {}
    for name, spec in negs.items():
        if "config" in spec:
            neg[name] = {"config": spec["config"]}
            continue
        hn = llama_states(folder, work, case + "-" + name, ids, cfg["hidden_size"], spec["drop"], zero_rows=untied)
        hn.astype("<f4").tofile(os.path.join(folder, f"llamacpp-{name}.fp32.bin"))
        neg[name] = {"file": f"llamacpp-{name}.fp32.bin", "dropped": spec["drop"],
                     "golden_vs_this_max_err_over_rms": float(per_pos(h, hn).max())}
    extra = {}
    if arch in ("gemma2", "gemma3_text"):
        r = ref64.forward(cfg, hf.load(folder)[1], ids)
        fc = cfg.get("final_logit_softcapping")
        if fc:
            r = fc * np.tanh(r / fc)
        r.astype("<f4").tofile(os.path.join(folder, "reference64.fp32.bin"))
        # variants of the float64 pass with one Gemma feature wrong: the runtime must be far from them
        # (10x the float64 bound), so a runtime with that mistake would fail the float64 check
        for name, kw in (("reference64-erf-gelu", {"act": "gelu_erf"}), ("reference64-silu", {"act": "silu"}),
                         ("reference64-no-post-norms", {"post_norms": False})):
            rv = ref64.forward(cfg, hf.load(folder)[1], ids, **kw)
            if fc:
                rv = fc * np.tanh(rv / fc)
            rv.astype("<f4").tofile(os.path.join(folder, name + ".fp32.bin"))
            neg[name] = {"file": name + ".fp32.bin", "float64 variant": kw, "min": 10 * GEMMA_BOUND["reference64_bound"],
                         "reference64_vs_this_max_err_over_rms": float(per_pos(r.astype(np.float32), rv.astype(np.float32)).max())}
        extra = dict(GEMMA_BOUND, reference64="reference64.fp32.bin",
                     llamacpp_vs_reference64_max_err_over_rms=float(per_pos(r.astype(np.float32), h).max()))
    meta = {"case": case, "architecture": arch, "covers": note, "positions": len(ids), "hidden": cfg["hidden_size"], **extra,
            "ids": ids, "states": "llamacpp.fp32.bin", "negative_controls": neg,
            "values": "logits" if cfg.get("final_logit_softcapping") else "states",
            "engine": "llama.cpp through node-llama-cpp@3.21.1 (prebuilt CPU), F32 GGUF, KV cache F32, flash attention off",
            "command": f"NLC_DIR=<node-llama-cpp dir> python3 scripts/oracle/golden.py make --cases {case}"}
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"{case}: {len(ids)} positions, hidden {cfg['hidden_size']}; negative controls "
          + ", ".join(f"{k} (config)" if "file" not in v else
                      f"{k} {v.get('golden_vs_this_max_err_over_rms', v.get('reference64_vs_this_max_err_over_rms')):.2e}"
                      for k, v in neg.items()))


def compare(case, work, toploc):
    folder = os.path.join(REPO, "test-vectors", "oracle", case)
    with open(os.path.join(folder, "golden.json")) as f:
        meta = json.load(f)
    n, d = meta["positions"], meta["hidden"]
    idf = os.path.join(work, case + ".ids.txt")
    with open(idf, "w") as f:
        f.write(",".join(map(str, meta["ids"])))
    if meta.get("values") == "logits":
        print(f"{case}: golden values are soft-capped logits; `toploc prefill` writes states (the Java test compares logits)")
        return
    out = os.path.join(work, case + ".toploc.npy")
    sh([toploc, "prefill", "--model", folder, "--ids-file", idf, "--mode", "fp32", "-o", out, "--force"])
    h = np.load(out).astype(np.float32)
    ref = np.fromfile(os.path.join(folder, meta["states"]), dtype="<f4").reshape(n, d)
    r = per_pos(ref, h)
    line = f"{case}: max|err|/rms {r.max():.2e} (position {r.argmax()}), median {np.median(r):.2e}"
    for name, v in meta["negative_controls"].items():
        if "file" not in v:
            continue
        rn = per_pos(np.fromfile(os.path.join(folder, v["file"]), dtype="<f4").reshape(n, d), h)
        line += f"; vs {name}: {rn.max():.2e}"
    print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["make", "compare"])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--work", default=os.path.join(REPO, "target", "oracle-work"))
    ap.add_argument("--toploc", default=os.path.join(REPO, "toploc"))
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    for c in a.cases.split(","):
        make(c, a.work) if a.what == "make" else compare(c, a.work, a.toploc)


if __name__ == "__main__":
    main()
