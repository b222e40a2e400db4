"""PyTorch peer of `toploc bench prefill`: the same random Llama folder, a 256-token prefill, fp32 or bf16.

  /usr/bin/python3 torch_prefill.py MODEL_DIR --dtype fp32|bf16 [--tokens 256] [--threads 2] [--runs 1] [--warmup 1]

A plain Llama forward pass in torch ops (RMSNorm, RoPE without scaling, grouped-query causal attention,
SwiGLU), written for timing, not as a correctness oracle (llama.cpp is the project's oracle). The weights
are the folder's bf16 values, widened to fp32 for --dtype fp32 (as the runtime's fp32 mode does) or kept in
bf16 (PyTorch's bf16 linear layers run oneDNN's AVX-512 BF16 / AMX kernels where the CPU has them).
Prints one line: `torch-<dtype> tokens/s=<x> seconds=<s>` (median of --runs).
"""
import argparse
import glob
import json
import os
import struct
import sys
import time

import numpy as np
import torch


def read_folder(folder):
    """Every tensor of the folder's safetensors files, as torch float32 (bf16 widened exactly)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            base = 8 + n
            for name, info in header.items():
                if name == "__metadata__":
                    continue
                a, b = info["data_offsets"]
                f.seek(base + a)
                raw = f.read(b - a)
                if info["dtype"] == "BF16":
                    v = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
                elif info["dtype"] == "F32":
                    v = np.frombuffer(raw, dtype=np.float32)
                else:
                    raise SystemExit(f"{name}: dtype {info['dtype']} not handled here")
                out[name] = torch.from_numpy(v.reshape(info["shape"]).copy())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--dtype", choices=["fp32", "bf16"], required=True)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    dt = torch.float32 if a.dtype == "fp32" else torch.bfloat16
    t = {k: v.to(dt) for k, v in read_folder(a.model).items()}
    d, L = cfg["hidden_size"], cfg["num_hidden_layers"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or d // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    T = a.tokens
    ids = torch.tensor([(i * 2654435761) % cfg["vocab_size"] for i in range(T)])
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    ang = torch.outer(torch.arange(T, dtype=torch.float32), inv)
    cos = torch.cat([ang.cos(), ang.cos()], -1).to(dt)
    sin = torch.cat([ang.sin(), ang.sin()], -1).to(dt)
    mask = torch.full((T, T), float("-inf")).triu(1).to(dt)
    F = torch.nn.functional

    def rms(x, w):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(dt) * w

    def rope(x):
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def forward():
        x = t["model.embed_tokens.weight"][ids]
        for l in range(L):
            p = f"model.layers.{l}."
            h = rms(x, t[p + "input_layernorm.weight"])
            q = F.linear(h, t[p + "self_attn.q_proj.weight"]).view(T, H, hd).transpose(0, 1)
            k = F.linear(h, t[p + "self_attn.k_proj.weight"]).view(T, KV, hd).transpose(0, 1)
            v = F.linear(h, t[p + "self_attn.v_proj.weight"]).view(T, KV, hd).transpose(0, 1)
            q, k = rope(q), rope(k)
            k = k.repeat_interleave(H // KV, 0)
            v = v.repeat_interleave(H // KV, 0)
            s = torch.softmax((q @ k.transpose(1, 2)) * hd ** -0.5 + mask, -1)
            o = (s @ v).transpose(0, 1).reshape(T, H * hd)
            x = x + F.linear(o, t[p + "self_attn.o_proj.weight"])
            h = rms(x, t[p + "post_attention_layernorm.weight"])
            g = F.linear(h, t[p + "mlp.gate_proj.weight"])
            u = F.linear(h, t[p + "mlp.up_proj.weight"])
            x = x + F.linear(F.silu(g) * u, t[p + "mlp.down_proj.weight"])
        return rms(x, t["model.norm.weight"])

    with torch.inference_mode():
        for _ in range(a.warmup):
            forward()
        s = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            y = forward()
            s.append(time.perf_counter() - t0)
        if not torch.isfinite(y.float()).all():
            raise SystemExit("non-finite output")
    s.sort()
    m = s[len(s) // 2]
    print(f"torch-{a.dtype} tokens/s={T / m:.1f} seconds={m:.3f}")


if __name__ == "__main__":
    sys.exit(main())
