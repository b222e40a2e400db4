"""HuggingFace folder I/O for the oracle tooling (numpy only): safetensors read/write, bf16 rounding, and
random-weight models of each architecture the runtime supports, with an identity LM head.

The identity head: lm_head = [I_hidden; 0] (vocab > hidden, untied), so the logits of a position are its
final-norm hidden state followed by zeros; any engine that returns logits (or probabilities) then shows
its hidden states. Gemma ties its head to the embeddings (llama.cpp ignores an output tensor there): the
embedding matrix is then [I_hidden; 0; R] (R random rows), so logits[:hidden] are still the states and
logits[hidden] is exactly 0; input ids are drawn from R's rows (first_input_id()). Everything else is random: weights N(0, gain^2 / fan_in), norms 1 + N(0, 0.2^2),
biases N(0, 0.5^2), from numpy's PCG64 seeded by `seed`, so a case regenerates byte for byte.
"""
import json
import os
import struct

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}


def bf16_bits(x):
    """float32 -> bf16 bit patterns, round to nearest even (inputs are finite)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    return ((u + (((u >> 16) & 1) + np.uint32(0x7FFF))) >> 16).astype(np.uint16)


def bf16_round(x):
    return (bf16_bits(x).astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors, dtype):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype=np.float32)
        data = bf16_bits(a).tobytes() if dtype == "BF16" else a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_stored(path):
    """name -> (dtype, array as stored): F32/F16 as float, BF16 as uint16 bits, F8_E4M3 as uint8 codes."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dt = info["dtype"]
        out[name] = (dt, np.frombuffer(body[a:b], dtype=np.uint8 if dt == "F8_E4M3" else DTYPES[dt]).reshape(info["shape"]))
    return out


def widen(dtype, raw):
    """A stored BF16/F16/F32 array as float32, exactly."""
    return (raw.astype(np.uint32) << 16).view(np.float32) if dtype == "BF16" else raw.astype(np.float32)


def read_safetensors(path):
    """name -> float32 array (bf16/f16 widened exactly)."""
    return {name: widen(dt, raw) for name, (dt, raw) in read_stored(path).items()}


def load(folder, drop=()):
    """config and name -> float32 tensors; an FP8 folder (quantization_config) is dequantized by fp8.py."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("quantization_config"):
        import fp8
        return cfg, fp8.dequantize(folder, cfg, drop)
    return cfg, read_safetensors(os.path.join(folder, "model.safetensors"))


HF_CLASS = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
            "qwen3_moe": "Qwen3MoeForCausalLM", "mixtral": "MixtralForCausalLM", "phi3": "Phi3ForCausalLM",
            "gemma2": "Gemma2ForCausalLM", "gemma3_text": "Gemma3ForCausalLM"}


def first_input_id(cfg):
    """The lowest token id whose embedding is a random row (all ids for an untied identity head)."""
    return cfg["hidden_size"] + 1 if cfg.get("tie_word_embeddings") else 0


def random_model(folder, arch, *, hidden=64, inter=128, layers=2, heads=4, kv_heads=2, head_dim=32, vocab=320,
                 rope_theta=10000.0, rms_eps=1e-6, seed=0, dtype="BF16", extra_config=None, experts=0, top_k=0,
                 moe_inter=0):
    """Writes config.json and model.safetensors of a random `arch` model into `folder`; returns the config."""
    if vocab <= hidden:
        raise ValueError("the identity head needs vocab > hidden")
    rng = np.random.default_rng(seed)
    t = {}

    def lin(o, i, gain=1.0):
        return rng.standard_normal((o, i), dtype=np.float32) * np.float32(gain / np.sqrt(i))

    gemma = arch in ("gemma2", "gemma3_text")

    def norm(n):   # Gemma's RMSNorm scales by (1 + w): the same spread around 1
        return ((0.0 if gemma else 1.0) + 0.2 * rng.standard_normal(n)).astype(np.float32)

    t["model.embed_tokens.weight"] = rng.standard_normal((vocab, hidden), dtype=np.float32)
    tied = gemma
    if tied:
        t["model.embed_tokens.weight"][:hidden + 1] = 0
        t["model.embed_tokens.weight"][np.arange(hidden), np.arange(hidden)] = 1.0
    for l in range(layers):
        p = f"model.layers.{l}."
        t[p + "input_layernorm.weight"] = norm(hidden)
        t[p + "post_attention_layernorm.weight"] = norm(hidden)
        t[p + "self_attn.q_proj.weight"] = lin(heads * head_dim, hidden, 1.5)
        t[p + "self_attn.k_proj.weight"] = lin(kv_heads * head_dim, hidden, 1.5)
        t[p + "self_attn.v_proj.weight"] = lin(kv_heads * head_dim, hidden)
        t[p + "self_attn.o_proj.weight"] = lin(hidden, heads * head_dim, 0.7)
        if arch == "qwen2":
            for x, n in (("q", heads), ("k", kv_heads), ("v", kv_heads)):
                t[p + f"self_attn.{x}_proj.bias"] = (0.5 * rng.standard_normal(n * head_dim)).astype(np.float32)
        if gemma:
            t[p + "pre_feedforward_layernorm.weight"] = norm(hidden)
            t[p + "post_feedforward_layernorm.weight"] = norm(hidden)
        if arch in ("qwen3", "qwen3_moe", "gemma3_text"):
            t[p + "self_attn.q_norm.weight"] = norm(head_dim)
            t[p + "self_attn.k_norm.weight"] = norm(head_dim)
        if arch == "phi3":   # fused projections: rows q, k, v and gate, up
            t[p + "self_attn.qkv_proj.weight"] = np.concatenate(
                [t.pop(p + f"self_attn.{x}_proj.weight") for x in "qkv"])
        if arch in ("qwen3_moe", "mixtral"):
            router = "mlp.gate.weight" if arch == "qwen3_moe" else "block_sparse_moe.gate.weight"
            t[p + router] = lin(experts, hidden, 3.0)
            for e in range(experts):
                if arch == "qwen3_moe":
                    q = p + f"mlp.experts.{e}."
                    t[q + "gate_proj.weight"] = lin(moe_inter, hidden)
                    t[q + "up_proj.weight"] = lin(moe_inter, hidden)
                    t[q + "down_proj.weight"] = lin(hidden, moe_inter, 0.7)
                else:
                    q = p + f"block_sparse_moe.experts.{e}."
                    t[q + "w1.weight"] = lin(moe_inter, hidden)
                    t[q + "w3.weight"] = lin(moe_inter, hidden)
                    t[q + "w2.weight"] = lin(hidden, moe_inter, 0.7)
        else:
            t[p + "mlp.gate_proj.weight"] = lin(inter, hidden)
            t[p + "mlp.up_proj.weight"] = lin(inter, hidden)
            t[p + "mlp.down_proj.weight"] = lin(hidden, inter, 0.7)
            if arch == "phi3":
                t[p + "mlp.gate_up_proj.weight"] = np.concatenate([t.pop(p + "mlp.gate_proj.weight"), t.pop(p + "mlp.up_proj.weight")])
    t["model.norm.weight"] = norm(hidden)
    head = np.zeros((vocab, hidden), dtype=np.float32)
    head[np.arange(hidden), np.arange(hidden)] = 1.0
    if not tied:
        t["lm_head.weight"] = head
    cfg = {"architectures": [HF_CLASS[arch]], "model_type": arch, "vocab_size": vocab, "hidden_size": hidden,
           "intermediate_size": inter, "num_hidden_layers": layers, "num_attention_heads": heads,
           "num_key_value_heads": kv_heads, "head_dim": head_dim, "max_position_embeddings": 4096,
           "rope_theta": rope_theta, "rms_norm_eps": rms_eps, "tie_word_embeddings": tied, "hidden_act": "silu",
           "attention_bias": False, "bos_token_id": 256, "eos_token_id": 257,
           "torch_dtype": {"BF16": "bfloat16", "F32": "float32"}[dtype]}
    if gemma:
        cfg.update({"hidden_activation": "gelu_pytorch_tanh", "hidden_act": "gelu_pytorch_tanh", "query_pre_attn_scalar": head_dim})
    if arch == "qwen3_moe":
        cfg.update({"num_experts": experts, "num_experts_per_tok": top_k, "moe_intermediate_size": moe_inter,
                    "norm_topk_prob": True, "decoder_sparse_step": 1, "mlp_only_layers": []})
    if arch == "mixtral":
        cfg.update({"num_local_experts": experts, "num_experts_per_tok": top_k, "intermediate_size": moe_inter})
    cfg.update(extra_config or {})
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(folder, "model.safetensors"), t, dtype)
    return cfg
