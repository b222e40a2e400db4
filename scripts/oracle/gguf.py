"""HF folder -> GGUF v3 (F32 tensors) for llama.cpp, numpy only, per architecture.

GGUF layout (ggml docs/gguf.md): 'GGUF', u32 version 3, u64 tensor count, u64 key/value count; the
key/values; per tensor its name, u32 n_dims, u64 dims innermost first, u32 ggml type, u64 offset in the
data section; zero padding to the alignment (32); the tensors, each padded to the alignment.

Architecture mapping (what llama.cpp's own convert_hf_to_gguf.py does for these model types):
  llama, mixtral  -> 'llama'    q/k rows permuted from HF's rotate-half layout to llama.cpp's interleaved
                                pairs; mixtral's experts stacked as ffn_{gate,up,down}_exps
  qwen2           -> 'qwen2'    NEOX rope (no permutation), QKV biases
  qwen3           -> 'qwen3'    NEOX rope, per-head attn_q_norm / attn_k_norm, explicit key_length
  qwen3_moe       -> 'qwen3moe' as qwen3, plus ffn_gate_inp (router) and stacked experts
  phi3            -> 'phi3'     NEOX rope, fused attn_qkv (rows q, k, v) and ffn_up of 2 x intermediate rows
                                (gate then up: llama.cpp's SWIGLU takes silu of the first half); llama.cpp
                                3.21.1 ignores phi3's sliding window ("Phi SWA is currently disabled")
  gemma2          -> 'gemma2'   NEOX rope; every RMSNorm weight stored as 1 + w (llama.cpp multiplies by the
                                stored weight); post_attention_norm, ffn_norm (= pre_feedforward_layernorm),
                                post_ffw_norm; attn/final logit soft-capping and sliding_window as keys
                                (llama.cpp: windows on even layers; query scale 1/sqrt(head_dim) for a model
                                of unknown size, so query_pre_attn_scalar must equal head_dim)
  gemma3_text     -> 'gemma3'   as gemma2 plus attn_q_norm/attn_k_norm (1 + w), no soft-capping; llama.cpp
                                windows 5 of every 6 layers with rope base 10000, the global layers take
                                rope_theta and rope_scaling
general.name is a neutral 'random': llama.cpp special-cases some model names (a 'phi3' name makes its
vocabulary loader look up Phi-3's special tokens). rope_scaling: linear -> rope.scaling.type/factor; yarn -> rope.scaling.type/factor/original_context_length
and yarn_beta_fast/slow (llama.cpp multiplies cos/sin by 1 + 0.1 ln factor, as transformers' default
attention factor); longrope (phi3) -> rope_factors_short/long tensors and rope.scaling.attn_factor (llama.cpp
picks the short factors while the context fits original_context_length); dynamic (NTK) has no llama.cpp
counterpart: for a prefill of `positions` ids longer than max_position_embeddings, transformers uses one
rescaled base for the whole pass, which is written as rope.freq_base (the formula is transformers', the
rotation llama.cpp's).
A dummy SentencePiece vocabulary is written (node-llama-cpp needs a tokenizer to load a model): ids 0..255
byte tokens, 256/257 <s> and </s>, the rest <tN>; only ids are ever evaluated.

qwen2 with use_sliding_window -> 'granite_swa' (see the comment in convert), q/k rows and biases permuted.
An FP8 folder is converted from its dequantized weights (fp8.py); its `drop`s fp8_scales_ignored and
fp8_scales_shifted dequantize it wrongly. `drop` names deliberately wrong conversions (negative controls): 'unit_offset' stores Gemma's norm weights
without the + 1; 'embed_scale' divides the embeddings by sqrt(hidden) (cancelling Gemma's scale); 'swa' leaves the sliding window out;
'gate_up_order' swaps phi3's gate and up halves; 'kv_order' swaps phi3's k and v rows; 'qk_norm' converts a qwen3 folder as 'llama'
(q/k rows permuted; llama.cpp's qwen3 graph requires the norms, and its llama graph is the same without them).
"""
import os
import struct

import numpy as np

import hf

ALIGN = 32
F32 = 0
T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR = 4, 5, 6, 7, 8, 9
_FMT = {T_U32: "<I", T_I32: "<i", T_F32: "<f", T_BOOL: "<?"}


def _s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


def _v(t, v):
    if t == T_STR:
        return _s(v)
    if t == T_ARR:
        et, items = v
        out = struct.pack("<IQ", et, len(items))
        return out + (b"".join(_s(x) for x in items) if et == T_STR else b"".join(struct.pack(_FMT[et], x) for x in items))
    return struct.pack(_FMT[t], v)


class Writer:
    def __init__(self):
        self.kv, self.tensors = [], []

    def add(self, key, t, v):
        self.kv.append((key, t, v))

    def tensor(self, name, a):
        self.tensors.append((name, np.ascontiguousarray(a, dtype=np.float32)))

    def write(self, path):
        h = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv)))
        for k, t, v in self.kv:
            h += _s(k) + struct.pack("<I", t) + _v(t, v)
        off = 0
        for name, a in self.tensors:
            dims = list(reversed(a.shape))
            h += _s(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims) + struct.pack("<IQ", F32, off)
            off += a.nbytes + (-a.nbytes) % ALIGN
        h += b"\0" * ((-len(h)) % ALIGN)
        with open(path, "wb") as f:
            f.write(h)
            for _, a in self.tensors:
                f.write(a.tobytes() + b"\0" * ((-a.nbytes) % ALIGN))


def permute(w, n_head):
    """HF rotate-half rows (per head: first half, second half) -> interleaved pairs."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


GGUF_ARCH = {"llama": "llama", "mixtral": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "qwen3_moe": "qwen3moe", "phi3": "phi3",
             "gemma2": "gemma2", "gemma3_text": "gemma3"}


def convert(folder, out, drop=(), positions=0):
    cfg, t = hf.load(folder, drop)
    mt = cfg["model_type"]
    if mt not in GGUF_ARCH:
        raise SystemExit(f"model_type {mt}: no GGUF mapping in this converter")
    A = GGUF_ARCH[mt]
    qwen_window = mt == "qwen2" and cfg.get("use_sliding_window") and cfg.get("sliding_window")
    if qwen_window:
        A = "granite_swa"
    if "qk_norm" in drop:
        if A != "qwen3":
            raise SystemExit("drop qk_norm is for qwen3 folders")
        A = "llama"
    d, heads, layers, vocab = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"], cfg["vocab_size"]
    kvh = cfg.get("num_key_value_heads") or heads
    hd = cfg.get("head_dim") or d // heads
    w = Writer()
    w.add("general.architecture", T_STR, A)
    w.add("general.name", T_STR, "random")   # llama.cpp special-cases some names (phi3: looks up <|end|>)
    w.add("general.file_type", T_U32, 0)
    w.add("general.alignment", T_U32, ALIGN)
    for k, v in (("vocab_size", vocab), ("context_length", cfg.get("max_position_embeddings", 4096)),
                 ("embedding_length", d), ("block_count", layers), ("feed_forward_length", cfg["intermediate_size"]),
                 ("attention.head_count", heads), ("attention.head_count_kv", kvh), ("attention.key_length", hd),
                 ("attention.value_length", hd), ("rope.dimension_count", hd)):
        w.add(f"{A}.{k}", T_U32, int(v))
    theta = float(cfg.get("rope_theta", 10000.0))
    rs = cfg.get("rope_scaling") or {}
    rt = rs.get("rope_type", rs.get("type"))
    if rt == "dynamic":
        mp = cfg["max_position_embeddings"]
        if positions > mp:
            theta = theta * ((rs["factor"] * positions / mp) - (rs["factor"] - 1)) ** (hd / (hd - 2))
    elif rt == "linear":
        w.add(f"{A}.rope.scaling.type", T_STR, "linear")
        w.add(f"{A}.rope.scaling.factor", T_F32, float(rs["factor"]))
    elif rt == "yarn":
        w.add(f"{A}.rope.scaling.type", T_STR, "yarn")
        w.add(f"{A}.rope.scaling.factor", T_F32, float(rs["factor"]))
        w.add(f"{A}.rope.scaling.original_context_length", T_U32, int(rs["original_max_position_embeddings"]))
        w.add(f"{A}.rope.scaling.yarn_beta_fast", T_F32, float(rs.get("beta_fast", 32.0)))
        w.add(f"{A}.rope.scaling.yarn_beta_slow", T_F32, float(rs.get("beta_slow", 1.0)))
    elif rt == "longrope":
        orig = cfg["original_max_position_embeddings"]
        factor = cfg["max_position_embeddings"] / orig
        att = rs.get("attention_factor") or (1.0 if factor <= 1 else float(np.sqrt(1 + np.log(factor) / np.log(orig))))
        w.add(f"{A}.rope.scaling.attn_factor", T_F32, float(att))
        w.add(f"{A}.rope.scaling.original_context_length", T_U32, int(orig))
    elif rt not in (None, "default"):
        raise SystemExit(f"rope_scaling {rt}: no GGUF mapping in this converter")
    w.add(f"{A}.rope.freq_base", T_F32, theta)
    w.add(f"{A}.attention.layer_norm_rms_epsilon", T_F32, float(cfg.get("rms_norm_eps", 1e-6)))
    if qwen_window:
        # llama.cpp's qwen2 has no window; its Granite iSWA graph with every multiplier neutral, attention sinks
        # at -1e30 (no effect) and a per-layer window pattern is Qwen2 with windows on chosen layers
        windowed = [l >= cfg["max_window_layers"] for l in range(layers)]
        w.add(f"{A}.logit_scale", T_F32, 1.0)
        w.add(f"{A}.attention.sliding_window", T_U32, int(cfg["sliding_window"]))
        w.add(f"{A}.attention.sliding_window_pattern", T_ARR, (T_BOOL, windowed))
        w.add(f"{A}.deepstack_mapping", T_ARR, (T_I32, [-1] * layers))
    gemma = A in ("gemma2", "gemma3")
    if gemma:
        if cfg.get("query_pre_attn_scalar", hd) != hd:
            raise SystemExit("llama.cpp scales gemma queries by 1/sqrt(head_dim): query_pre_attn_scalar must equal head_dim")
        if cfg.get("sliding_window"):
            w.add(f"{A}.attention.sliding_window", T_U32, int(cfg["sliding_window"]))
        for k in ("attn_logit_softcapping", "final_logit_softcapping"):
            if cfg.get(k):
                w.add(f"{A}.{k}", T_F32, float(cfg[k]))
    moe = mt in ("qwen3_moe", "mixtral")
    if moe:
        ne = cfg.get("num_experts") or cfg.get("num_local_experts")
        w.add(f"{A}.expert_count", T_U32, int(ne))
        w.add(f"{A}.expert_used_count", T_U32, int(cfg["num_experts_per_tok"]))
        if mt == "qwen3_moe":
            w.add(f"{A}.expert_feed_forward_length", T_U32, int(cfg["moe_intermediate_size"]))
    toks = [f"<0x{i:02X}>" for i in range(256)] + ["<s>", "</s>"] + [f"<t{i}>" for i in range(258, vocab)]
    w.add("tokenizer.ggml.model", T_STR, "llama")
    w.add("tokenizer.ggml.tokens", T_ARR, (T_STR, toks))
    w.add("tokenizer.ggml.scores", T_ARR, (T_F32, [0.0] * vocab))
    w.add("tokenizer.ggml.token_type", T_ARR, (T_I32, [6] * 256 + [3, 3] + [1] * (vocab - 258)))
    w.add("tokenizer.ggml.bos_token_id", T_U32, 256)
    w.add("tokenizer.ggml.eos_token_id", T_U32, 257)
    w.add("tokenizer.ggml.add_bos_token", T_BOOL, False)

    perm = A in ("llama", "granite_swa")
    one = 0.0 if "unit_offset" in drop else 1.0

    def nrm(x):
        return x + one if gemma else x

    emb = t["model.embed_tokens.weight"]
    w.tensor("token_embd.weight", emb / np.float32(np.sqrt(d)) if "embed_scale" in drop else emb)
    for l in range(layers):
        p, b = f"model.layers.{l}.", f"blk.{l}."
        w.tensor(b + "attn_norm.weight", nrm(t[p + "input_layernorm.weight"]))
        if mt == "phi3":
            q, k, v = np.split(t[p + "self_attn.qkv_proj.weight"], [heads * hd, (heads + kvh) * hd])
            if "kv_order" in drop:
                k, v = np.split(t[p + "self_attn.qkv_proj.weight"][heads * hd:], 2)[::-1]
        else:
            q, k, v = (t[p + f"self_attn.{x}_proj.weight"] for x in "qkv")
        if A == "phi3":
            w.tensor(b + "attn_qkv.weight", np.concatenate([q, k, v]))
        else:
            w.tensor(b + "attn_q.weight", permute(q, heads) if perm else q)
            w.tensor(b + "attn_k.weight", permute(k, kvh) if perm else k)
            w.tensor(b + "attn_v.weight", v)
        for x, n in (("q", heads), ("k", kvh), ("v", None)):
            if p + f"self_attn.{x}_proj.bias" in t:
                bias = t[p + f"self_attn.{x}_proj.bias"]
                w.tensor(b + f"attn_{x}.bias", permute(bias, n) if perm and n else bias)
        if p + "self_attn.q_norm.weight" in t and "qk_norm" not in drop:
            w.tensor(b + "attn_q_norm.weight", nrm(t[p + "self_attn.q_norm.weight"]))
            w.tensor(b + "attn_k_norm.weight", nrm(t[p + "self_attn.k_norm.weight"]))
        w.tensor(b + "attn_output.weight", t[p + "self_attn.o_proj.weight"])
        if A == "granite_swa":
            w.tensor(b + "attn_sinks.weight", np.full(heads, -1e30, dtype=np.float32))
        if gemma:
            w.tensor(b + "post_attention_norm.weight", nrm(t[p + "post_attention_layernorm.weight"]))
            w.tensor(b + "ffn_norm.weight", nrm(t[p + "pre_feedforward_layernorm.weight"]))
            w.tensor(b + "post_ffw_norm.weight", nrm(t[p + "post_feedforward_layernorm.weight"]))
        else:
            w.tensor(b + "ffn_norm.weight", t[p + "post_attention_layernorm.weight"])
        if moe:
            ne = cfg.get("num_experts") or cfg.get("num_local_experts")
            if mt == "qwen3_moe":
                r, names = p + "mlp.gate.weight", [p + "mlp.experts.{}." + n for n in ("gate_proj", "up_proj", "down_proj")]
            else:
                r, names = p + "block_sparse_moe.gate.weight", [p + "block_sparse_moe.experts.{}." + n for n in ("w1", "w3", "w2")]
            w.tensor(b + "ffn_gate_inp.weight", t[r])
            for gg, name in zip(("ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"), names):
                w.tensor(b + gg + ".weight", np.stack([t[name.format(e) + ".weight"] for e in range(ne)]))
        elif mt == "phi3":
            g, u = np.split(t[p + "mlp.gate_up_proj.weight"], 2)
            if "gate_up_order" in drop:
                g, u = u, g
            w.tensor(b + "ffn_up.weight", np.concatenate([g, u]))   # llama.cpp's SWIGLU: silu of the first half
            w.tensor(b + "ffn_down.weight", t[p + "mlp.down_proj.weight"])
        else:
            w.tensor(b + "ffn_gate.weight", t[p + "mlp.gate_proj.weight"])
            w.tensor(b + "ffn_up.weight", t[p + "mlp.up_proj.weight"])
            w.tensor(b + "ffn_down.weight", t[p + "mlp.down_proj.weight"])
    if rt == "longrope":
        w.tensor("rope_factors_short.weight", np.asarray(rs["short_factor"], dtype=np.float32))
        w.tensor("rope_factors_long.weight", np.asarray(rs["long_factor"], dtype=np.float32))
    w.tensor("output_norm.weight", nrm(t["model.norm.weight"]))
    if "lm_head.weight" in t:
        w.tensor("output.weight", t["lm_head.weight"])
    w.write(out)
