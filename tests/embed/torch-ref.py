#!/usr/bin/python3
"""torch-ref.py: the PyTorch side of the embed-local parity tests and bench.

  torch-ref.py model DIR SHAPE SEED    writes a random BERT with
        all-MiniLM-L6-v2's tensor names to DIR/model.safetensors (written
        by hand: 8-byte header length, JSON header, raw little-endian F32),
        plus DIR/config.json. SHAPE is "small" or "minilm"; vocab.txt is
        the caller's. Add "f16" after SEED to store F16 tensors.
  torch-ref.py embed DIR BATCH < ids   one vector per line of token ids,
        computed with torch.nn.TransformerEncoderLayer (post-norm, exact
        GELU) loaded with the file's weights, batches padded to their
        longest text with a key padding mask, mean pooling, L2 norm.
  torch-ref.py compare A B             cosine and max |delta| per line of
        two vector files; exit 1 unless every line has cosine >= 0.99999
        and max |delta| <= 1e-4.
  torch-ref.py bench DIR BATCH SECONDS THREADS < ids   times embed.
"""
import json
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

SHAPES = {
    "small": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=128),
    "minilm": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                   intermediate_size=1536),
}


def write_model(d, shape, seed, f16=False):
    cfg = dict(SHAPES[shape], vocab_size=30522, max_position_embeddings=512,
               type_vocab_size=2, layer_norm_eps=1e-12, hidden_act="gelu",
               model_type="bert", architectures=["BertModel"])
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    rng = np.random.default_rng(seed)
    t = {}

    def normal(name, shape, std, mean=0.0):
        t[name] = (mean + std * rng.standard_normal(shape)).astype(np.float32)

    normal("embeddings.word_embeddings.weight", (cfg["vocab_size"], H), 0.5)
    normal("embeddings.position_embeddings.weight", (512, H), 0.2)
    normal("embeddings.token_type_embeddings.weight", (2, H), 0.2)
    normal("embeddings.LayerNorm.weight", (H,), 0.1, 1.0)
    normal("embeddings.LayerNorm.bias", (H,), 0.1)
    qk = 2.5 / np.sqrt(H)	# peaked attention, so the softmax matters
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        for n, std in (("query", qk), ("key", qk), ("value", 1 / np.sqrt(H))):
            normal(p + "attention.self.%s.weight" % n, (H, H), std)
            normal(p + "attention.self.%s.bias" % n, (H,), 0.1)
        normal(p + "attention.output.dense.weight", (H, H), 1 / np.sqrt(H))
        normal(p + "attention.output.dense.bias", (H,), 0.1)
        normal(p + "attention.output.LayerNorm.weight", (H,), 0.1, 1.0)
        normal(p + "attention.output.LayerNorm.bias", (H,), 0.1)
        normal(p + "intermediate.dense.weight", (I, H), 1 / np.sqrt(H))
        normal(p + "intermediate.dense.bias", (I,), 0.1)
        normal(p + "output.dense.weight", (H, I), 1 / np.sqrt(I))
        normal(p + "output.dense.bias", (H,), 0.1)
        normal(p + "output.LayerNorm.weight", (H,), 0.1, 1.0)
        normal(p + "output.LayerNorm.bias", (H,), 0.1)
    # all-MiniLM-L6-v2 also carries a pooler the embedder must ignore
    normal("pooler.dense.weight", (H, H), 0.05)
    normal("pooler.dense.bias", (H,), 0.05)
    write_safetensors(d + "/model.safetensors", t, f16)
    with open(d + "/config.json", "w") as f:
        json.dump(cfg, f, indent=2)


def write_safetensors(path, tensors, f16=False):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, a in tensors.items():
        if f16:
            a = a.astype(np.float16)
        b = a.astype("<f2" if f16 else "<f4").tobytes()
        header[name] = {"dtype": "F16" if f16 else "F32",
                        "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)	# keep the data 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, en = e["data_offsets"]
        dt = {"F32": "<f4", "F16": "<f2"}[e["dtype"]]
        a = np.frombuffer(data, dtype=dt, count=(en - b) // np.dtype(dt).itemsize,
                          offset=8 + n + b).reshape(e["shape"]).astype(np.float32)
        out[name] = torch.from_numpy(a.copy())
    return out


class Ref(torch.nn.Module):
    """BERT encoder from torch.nn.TransformerEncoderLayer."""

    def __init__(self, d):
        super().__init__()
        with open(d + "/config.json") as f:
            c = json.load(f)
        w = read_safetensors(d + "/model.safetensors")
        self.w, self.eps, H = w, c["layer_norm_eps"], c["hidden_size"]
        self.layers = torch.nn.ModuleList()
        for l in range(c["num_hidden_layers"]):
            p = "encoder.layer.%d." % l
            L = torch.nn.TransformerEncoderLayer(
                H, c["num_attention_heads"], c["intermediate_size"], dropout=0.0,
                activation="gelu", layer_norm_eps=self.eps, batch_first=True,
                norm_first=False)
            sd = {
                "self_attn.in_proj_weight": torch.cat([w[p + "attention.self.%s.weight" % n]
                                                       for n in ("query", "key", "value")]),
                "self_attn.in_proj_bias": torch.cat([w[p + "attention.self.%s.bias" % n]
                                                     for n in ("query", "key", "value")]),
                "self_attn.out_proj.weight": w[p + "attention.output.dense.weight"],
                "self_attn.out_proj.bias": w[p + "attention.output.dense.bias"],
                "norm1.weight": w[p + "attention.output.LayerNorm.weight"],
                "norm1.bias": w[p + "attention.output.LayerNorm.bias"],
                "linear1.weight": w[p + "intermediate.dense.weight"],
                "linear1.bias": w[p + "intermediate.dense.bias"],
                "linear2.weight": w[p + "output.dense.weight"],
                "linear2.bias": w[p + "output.dense.bias"],
                "norm2.weight": w[p + "output.LayerNorm.weight"],
                "norm2.bias": w[p + "output.LayerNorm.bias"],
            }
            L.load_state_dict(sd)
            self.layers.append(L)
        self.eval()

    def forward(self, ids, mask):
        w = self.w
        T = ids.shape[1]
        x = (w["embeddings.word_embeddings.weight"][ids] +
             w["embeddings.position_embeddings.weight"][:T].unsqueeze(0) +
             w["embeddings.token_type_embeddings.weight"][0])
        x = F.layer_norm(x, x.shape[-1:], w["embeddings.LayerNorm.weight"],
                         w["embeddings.LayerNorm.bias"], self.eps)
        for L in self.layers:
            x = L(x, src_key_padding_mask=~mask)
        m = mask.unsqueeze(-1).to(x.dtype)
        x = torch.nan_to_num(x) * m	# the fast path may leave padding rows empty
        pooled = x.sum(1) / m.sum(1)
        return F.normalize(pooled, p=2, dim=1)


def read_ids():
    return [[int(t) for t in line.split()] for line in sys.stdin if line.strip()]


def embed_batches(ref, seqs, batch):
    out = []
    with torch.no_grad():
        for i in range(0, len(seqs), batch):
            chunk = seqs[i:i + batch]
            T = max(len(s) for s in chunk)
            ids = torch.zeros((len(chunk), T), dtype=torch.long)
            mask = torch.zeros((len(chunk), T), dtype=torch.bool)
            for j, s in enumerate(chunk):
                ids[j, :len(s)] = torch.tensor(s)
                mask[j, :len(s)] = True
            out.append(ref(ids, mask))
    return torch.cat(out) if out else torch.zeros((0, 0))


def compare(a_path, b_path):
    a = np.loadtxt(a_path, ndmin=2)
    b = np.loadtxt(b_path, ndmin=2)
    if a.shape != b.shape or a.shape[0] == 0:
        print("compare: shapes differ or empty: %s vs %s" % (a.shape, b.shape))
        return 1
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    dmax = np.abs(a - b).max(1)
    bad = np.nonzero((cos < 0.99999) | (dmax > 1e-4))[0]
    print("compare: %d vectors of %d; min cosine %.8f; max |delta| %.3g; %d outside "
          "(cosine >= 0.99999, |delta| <= 1e-4)" % (a.shape[0], a.shape[1], cos.min(),
                                                   dmax.max(), len(bad)))
    for i in bad[:10]:
        print("  line %d: cosine %.8f, max |delta| %.3g" % (i + 1, cos[i], dmax[i]))
    return 1 if len(bad) else 0


def main():
    cmd = sys.argv[1]
    if cmd == "model":
        write_model(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                    len(sys.argv) > 5 and sys.argv[5] == "f16")
    elif cmd == "embed":
        torch.set_num_threads(1)
        v = embed_batches(Ref(sys.argv[2]), read_ids(), int(sys.argv[3]))
        np.savetxt(sys.stdout, v.numpy(), fmt="%.9g")
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    elif cmd == "bench":
        torch.set_num_threads(int(sys.argv[5]))
        ref, seqs = Ref(sys.argv[2]), read_ids()
        batch, seconds = int(sys.argv[3]), float(sys.argv[4])
        embed_batches(ref, seqs[:batch], batch)	# warm up
        done, t0, c0 = 0, time.monotonic(), time.process_time()
        while time.monotonic() - t0 < seconds:
            for i in range(0, len(seqs), batch):
                embed_batches(ref, seqs[i:i + batch], batch)
                done += len(seqs[i:i + batch])
                if time.monotonic() - t0 >= seconds:
                    break
        el, cpu = time.monotonic() - t0, time.process_time() - c0
        # cpu_s: all threads' CPU time (OpenMP's spin-waits included)
        print("embeddings=%d seconds=%.3f emb_per_s=%.1f cpu_s=%.3f emb_per_cpu_s=%.1f"
              % (done, el, done / el, cpu, done / cpu))
    else:
        sys.exit("torch-ref: unknown command " + cmd)


if __name__ == "__main__":
    main()
