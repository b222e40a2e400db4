"""FP8 (OCP E4M3) checkpoints for the oracle tooling, numpy only and written from the specifications, not from
the Java: quantize an HF folder's projection matrices to e4m3 with scales, and dequantize such a folder back to
float32 for the GGUF converter (llama.cpp then computes with exactly the values the runtime must use).

E4M3 ("e4m3fn", OCP 8-bit Floating Point Specification v1.0): sign, 4 exponent bits (bias 7), 3 mantissa bits;
exponent 0 is subnormal (m/8 * 2^-6), S.1111.111 is NaN, no infinities; largest finite 448 (0x7E).
Quantization: q = e4m3(w / s), rounded to nearest even, saturated to +-448 (as torch's float8_e4m3fn cast of a
clamped value); dequantized value = decode(q) * s in float32 (one rounding: both factors are exact in float32).

Layouts (the field names real checkpoints use):
  block   quant_method "fp8" (DeepSeek-V3, Qwen3-FP8): {"quant_method": "fp8", "fmt": "e4m3",
          "activation_scheme": "dynamic", "weight_block_size": [128, 128]}; W.weight F8_E4M3 and
          W.weight_scale_inv (ceil(rows/128) x ceil(cols/128)), s = amax(block) / 448
  ct      compressed-tensors "float-quantized": one group per strategy (self_attn: "tensor", weight_scale [1];
          mlp: "channel", weight_scale [rows, 1]), dynamic per-token input activations, ignore ["lm_head"];
          s = amax / 448
Scales are stored as `scale_dtype` (F32 or BF16: a BF16 scale is the rounded amax/448, and quantization divides
by the rounded value, as a checkpoint that stores BF16 scales must).

`drop` (negative controls) for dequantize: "fp8_scales_ignored" (every scale 1), "fp8_scales_shifted" (each block
takes the scale of the next block column, or per channel of the next row, cyclically).
"""
import json
import os
import struct

import numpy as np

import hf

MAX = 448.0


def decode_table():
    """The 256 e4m3 values by bit pattern (NaN at 0x7F and 0xFF), from the specification's formula."""
    v = np.empty(256, dtype=np.float64)
    for b in range(256):
        s, e, m = b >> 7, (b >> 3) & 0xF, b & 7
        if e == 0xF and m == 7:
            v[b] = np.nan
        elif e == 0:
            v[b] = (-1) ** s * (m / 8) * 2.0 ** -6
        else:
            v[b] = (-1) ** s * (1 + m / 8) * 2.0 ** (e - 7)
    return v


TABLE = decode_table()
_POS = TABLE[:0x7F]          # 0x00..0x7E: 0, the subnormals, the normals up to 448, increasing


def encode(x):
    """float -> e4m3 bit patterns (uint8): nearest even, saturated to +-448; -0 and +0 both encode as 0x00."""
    x = np.asarray(x, dtype=np.float64)
    a = np.minimum(np.abs(x), MAX)
    i = np.searchsorted(_POS, a)                       # _POS[i-1] < a <= _POS[i]
    i = np.clip(i, 1, len(_POS) - 1)
    lo, hi = _POS[i - 1], _POS[i]
    pick_hi = (a - lo > hi - a) | ((a - lo == hi - a) & (i % 2 == 0))   # tie: the even pattern (mantissa lsb 0)
    code = np.where(pick_hi, i, i - 1).astype(np.uint8)
    code = np.where(a == 0, 0, code).astype(np.uint8)
    return np.where((x < 0) & (code != 0), code | 0x80, code).astype(np.uint8)


def decode(codes):
    return TABLE[np.asarray(codes, dtype=np.uint8)].astype(np.float32)


def _scale_dtype_round(s, scale_dtype):
    s = np.asarray(s, dtype=np.float32)
    return hf.bf16_round(s) if scale_dtype == "BF16" else s


def _amax_scale(a):
    return np.where(a > 0, a / np.float32(MAX), np.float32(1.0)).astype(np.float32)


def quantize_block(w, br, bc, scale_dtype):
    rows, cols = w.shape
    gr, gc = -(-rows // br), -(-cols // bc)
    s = np.empty((gr, gc), dtype=np.float32)
    for i in range(gr):
        for j in range(gc):
            s[i, j] = np.abs(w[i * br:(i + 1) * br, j * bc:(j + 1) * bc]).max()
    s = _scale_dtype_round(_amax_scale(s), scale_dtype)
    full = np.repeat(np.repeat(s, br, 0), bc, 1)[:rows, :cols]
    return encode(w.astype(np.float64) / full), s


def quantize_channel(w, scale_dtype):
    s = _scale_dtype_round(_amax_scale(np.abs(w).max(axis=1, keepdims=True)), scale_dtype)
    return encode(w.astype(np.float64) / s), s


def quantize_tensor(w, scale_dtype):
    s = _scale_dtype_round(_amax_scale(np.array([np.abs(w).max()], dtype=np.float32)), scale_dtype)
    return encode(w.astype(np.float64) / s[0]), s


def is_projection(name):
    """The decoder's Linear layers a provider's FP8 checkpoint quantizes (not embeddings, norms, routers, lm_head)."""
    return (name.startswith("model.layers.") and name.endswith("_proj.weight")) or (".experts." in name and name.endswith(".weight"))


def write_mixed(path, tensors):
    """name -> (dtype, array): F32 / BF16 from float arrays, F8_E4M3 from uint8 codes."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        dt, a = tensors[name]
        if dt == "F8_E4M3":
            data = np.ascontiguousarray(a, dtype=np.uint8).tobytes()
        elif dt == "BF16":
            data = hf.bf16_bits(np.ascontiguousarray(a, dtype=np.float32)).tobytes()
        else:
            data = np.ascontiguousarray(a, dtype=np.float32).tobytes()
        header[name] = {"dtype": dt, "shape": list(np.shape(a)), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def quantize_folder(folder, layout, scale_dtype="F32", block=(128, 128)):
    """Rewrites folder/model.safetensors (bf16, from hf.random_model) with FP8 projections; updates config.json."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    t = hf.read_safetensors(os.path.join(folder, "model.safetensors"))
    out = {}
    for name, w in t.items():
        if not is_projection(name):
            out[name] = ("BF16", w)
            continue
        module = name[:-len(".weight")]
        if layout == "block":
            q, s = quantize_block(w, block[0], block[1], scale_dtype)
            out[module + ".weight_scale_inv"] = (scale_dtype, s)
        elif ".self_attn." in name:
            q, s = quantize_tensor(w, scale_dtype)
            out[module + ".weight_scale"] = (scale_dtype, s)
        else:
            q, s = quantize_channel(w, scale_dtype)
            out[module + ".weight_scale"] = (scale_dtype, s)
        out[name] = ("F8_E4M3", q)
    if layout == "block":
        cfg["quantization_config"] = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                      "weight_block_size": list(block)}
    else:
        act = {"num_bits": 8, "type": "float", "symmetric": True, "strategy": "token", "dynamic": True}
        cfg["quantization_config"] = {
            "quant_method": "compressed-tensors", "format": "float-quantized", "quantization_status": "compressed",
            "ignore": ["lm_head"], "kv_cache_scheme": None,
            "config_groups": {
                "group_0": {"targets": ["re:.*self_attn\\.(q|k|v|o)_proj$"], "input_activations": act, "output_activations": None,
                            "weights": {"num_bits": 8, "type": "float", "symmetric": True, "strategy": "tensor", "dynamic": False}},
                "group_1": {"targets": ["re:.*mlp\\..*_proj$"], "input_activations": act, "output_activations": None,
                            "weights": {"num_bits": 8, "type": "float", "symmetric": True, "strategy": "channel", "dynamic": False}}}}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")
    write_mixed(os.path.join(folder, "model.safetensors"), out)
    return cfg


def read_raw(path):
    """name -> (dtype, array): F8_E4M3 as uint8 codes, BF16/F32 widened to float32."""
    return {name: (dt, raw if dt == "F8_E4M3" else hf.widen(dt, raw)) for name, (dt, raw) in hf.read_stored(path).items()}


def dequantize(folder, cfg, drop=()):
    """name -> float32 of an FP8 folder: every F8_E4M3 weight times its scales (float32 products)."""
    q = cfg["quantization_config"]
    raw = read_raw(os.path.join(folder, "model.safetensors"))
    out = {}
    for name, (dt, a) in raw.items():
        if name.endswith(".weight_scale_inv") or name.endswith(".weight_scale"):
            continue
        if dt != "F8_E4M3":
            out[name] = a
            continue
        module = name[:-len(".weight")]
        v = decode(a)
        rows, cols = v.shape
        if q["quant_method"] == "fp8":
            s = raw[module + ".weight_scale_inv"][1]
            br, bc = q["weight_block_size"]
            if "fp8_scales_shifted" in drop:
                s = np.roll(s, -1, axis=1) if s.shape[1] > 1 else np.roll(s, -1, axis=0)
            full = np.repeat(np.repeat(s, br, 0), bc, 1)[:rows, :cols]
        else:
            s = raw[module + ".weight_scale"][1]
            if "fp8_scales_shifted" in drop and s.size > 1:
                s = np.roll(s, -1, axis=0)
            full = np.broadcast_to(s.reshape(-1, 1) if s.size > 1 else s.reshape(1, 1), v.shape)
        if "fp8_scales_ignored" in drop:
            full = np.ones_like(v)
        out[name] = (v * full.astype(np.float32)).astype(np.float32)
    return out
