"""HF folder -> GGUF in F32 or BF16 for the llama.cpp peer: scripts/oracle/gguf.py's converter (its mapping,
its dummy vocabulary), with 2-D tensors stored as GGML BF16 (type 30; exact: the folder's weights are bf16)
and 1-D ones (norms) kept F32, as llama.cpp's own converter does for --outtype bf16.

  python3 to_gguf.py MODEL_DIR OUT.gguf F32|BF16
"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle"))
import gguf  # noqa: E402
import hf  # noqa: E402

GGML_BF16 = 30


class BF16Writer(gguf.Writer):
    def write(self, path):
        h = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv)))
        for k, t, v in self.kv:
            if k == "general.file_type":
                v = 32                      # LLAMA_FTYPE_MOSTLY_BF16
            h += gguf._s(k) + struct.pack("<I", t) + gguf._v(t, v)
        blobs, off = [], 0
        for name, a in self.tensors:
            bf = a.ndim >= 2
            data = hf.bf16_bits(a).tobytes() if bf else a.tobytes()
            dims = list(reversed(a.shape))
            h += gguf._s(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
            h += struct.pack("<IQ", GGML_BF16 if bf else gguf.F32, off)
            blobs.append(data)
            off += len(data) + (-len(data)) % gguf.ALIGN
        h += b"\0" * ((-len(h)) % gguf.ALIGN)
        with open(path, "wb") as f:
            f.write(h)
            for data in blobs:
                f.write(data + b"\0" * ((-len(data)) % gguf.ALIGN))


def main():
    folder, out, dtype = sys.argv[1], sys.argv[2], sys.argv[3]
    if dtype == "BF16":
        gguf.Writer = BF16Writer
    elif dtype != "F32":
        raise SystemExit("dtype F32 or BF16")
    gguf.convert(folder, out)


if __name__ == "__main__":
    main()
