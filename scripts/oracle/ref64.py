#!/usr/bin/env python3
"""A float64 numpy forward pass of the oracle's Gemma 2/3 models (transformers' eager semantics): a third
opinion where the runtime and llama.cpp disagree by more than their usual ~1e-6.

  python3 scripts/oracle/ref64.py CASE [toploc-states.npy]

Prints max |X - ref| / rms(ref) over the positions for llama.cpp's golden values and, when given, the
runtime's states (`toploc prefill --mode fp32` output; soft-capped first when the golden values are logits).
"""
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hf  # noqa: E402


def forward(cfg, t, ids, act="gelu_tanh", post_norms=True):
    """Final-norm states (n x hidden, float64). act / post_norms other than the defaults give the deliberately
    wrong variants used as negative controls (erf GELU or SiLU in the MLP; no post-attention/feed-forward norms)."""
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv, d = cfg["num_key_value_heads"], cfg["head_dim"]
    eps, L, n = cfg["rms_norm_eps"], cfg["num_hidden_layers"], len(ids)
    g3 = cfg["model_type"] == "gemma3_text"
    g = lambda k: t[k].astype(np.float64)  # noqa: E731

    def rms(x, w):
        return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * (1.0 + w)

    def tables(theta, factor):
        inv = 1.0 / theta ** (np.arange(0, d, 2, dtype=np.float64) / d) / factor
        a = np.arange(n, dtype=np.float64)[:, None] * inv[None, :]
        return np.cos(a), np.sin(a)

    rs = cfg.get("rope_scaling") or {}
    glob = tables(cfg["rope_theta"], rs.get("factor", 1.0) if rs.get("rope_type") == "linear" else 1.0)
    loc = tables(cfg.get("rope_local_base_freq", cfg["rope_theta"]), 1.0) if g3 else glob

    def rope(x, cs):
        c, s = cs[0][:, None, :], cs[1][:, None, :]
        a, b = x[..., : d // 2], x[..., d // 2:]
        return np.concatenate([a * c - b * s, b * c + a * s], axis=-1)

    pos = np.arange(n)
    causal = pos[None, :] <= pos[:, None]
    x = g("model.embed_tokens.weight")[np.asarray(ids)] * np.sqrt(H)
    cap = cfg.get("attn_logit_softcapping")
    for l in range(L):
        p = f"model.layers.{l}."
        sliding = (l % 2 == 0) if not g3 else ((l + 1) % cfg.get("sliding_window_pattern", 6) != 0)
        mask = causal & ((pos[:, None] - pos[None, :]) < cfg["sliding_window"]) if sliding else causal
        h = rms(x, g(p + "input_layernorm.weight"))
        q = (h @ g(p + "self_attn.q_proj.weight").T).reshape(n, nh, d)
        k = (h @ g(p + "self_attn.k_proj.weight").T).reshape(n, nkv, d)
        v = (h @ g(p + "self_attn.v_proj.weight").T).reshape(n, nkv, d)
        if g3:
            q, k = rms(q, g(p + "self_attn.q_norm.weight")), rms(k, g(p + "self_attn.k_norm.weight"))
        cs = loc if (g3 and sliding) else glob
        q, k = rope(q, cs), rope(k, cs)
        rep = nh // nkv
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        s = np.einsum("qhd,khd->hqk", q, k) * cfg["query_pre_attn_scalar"] ** -0.5
        if cap:
            s = cap * np.tanh(s / cap)
        s = np.where(mask[None], s, -np.inf)
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        o = np.einsum("hqk,khd->qhd", s, v).reshape(n, nh * d) @ g(p + "self_attn.o_proj.weight").T
        x = x + (rms(o, g(p + "post_attention_layernorm.weight")) if post_norms else o)
        h = rms(x, g(p + "pre_feedforward_layernorm.weight"))
        a = h @ g(p + "mlp.gate_proj.weight").T
        if act == "gelu_tanh":
            a = 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a ** 3)))
        elif act == "gelu_erf":
            a = 0.5 * a * (1 + np.vectorize(math.erf)(a / np.sqrt(2)))
        else:
            a = a / (1 + np.exp(-a))
        m = (a * (h @ g(p + "mlp.up_proj.weight").T)) @ g(p + "mlp.down_proj.weight").T
        x = x + (rms(m, g(p + "post_feedforward_layernorm.weight")) if post_norms else m)
    return rms(x, g("model.norm.weight"))


def main():
    case = sys.argv[1]
    folder = os.path.join(os.path.dirname(os.path.dirname(HERE)), "test-vectors", "oracle", case)
    cfg, t = hf.load(folder)
    with open(os.path.join(folder, "golden.json")) as f:
        meta = json.load(f)
    n, d = meta["positions"], meta["hidden"]
    ref = forward(cfg, t, meta["ids"])
    fc = cfg.get("final_logit_softcapping")
    if fc:
        ref = fc * np.tanh(ref / fc)
    rms = np.sqrt((ref ** 2).mean(axis=1))

    def rel(x):
        return float((np.abs(x - ref).max(axis=1) / rms).max())

    gold = np.fromfile(os.path.join(folder, meta["states"]), dtype="<f4").reshape(n, d).astype(np.float64)
    print(f"{case}: llama.cpp vs float64 reference {rel(gold):.2e}")
    if len(sys.argv) > 2:
        ours = np.load(sys.argv[2]).astype(np.float64)
        if fc:
            ours = fc * np.tanh(ours / fc)
        print(f"{case}: runtime vs float64 reference {rel(ours):.2e}; runtime vs llama.cpp {float((np.abs(ours - gold).max(axis=1) / rms).max()):.2e}")


if __name__ == "__main__":
    main()
