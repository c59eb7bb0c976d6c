#!/usr/bin/env python3
"""An independent NumPy reference of a BitNet b1.58 forward pass.

Written from ../shared/reference/bitnet-models.md (sections 1.2, 1.3, 2.3
and 7), not from the compiler: it parses the GGUF file itself, decodes I2_S,
and follows bitnet.cpp / ggml's arithmetic (per-row int8 activations with a
double absmax, the exact integer dot, f32 post-scaling; RMSNorm with a double
sum; NeoX RoPE with iterated float theta; f16 KV cache, query, probabilities
and LM-head activation; softmax with a double sum).

Usage: reference-forward.py MODEL.gguf --prompt-tokens 1,2,3 -n 8
           [--dump-logits FILE] [--prompt-lut [--max-tokens N] [--lut-layout L]]
       reference-forward.py MODEL.gguf --perplexity TEXT --ctx 128 --chunks 8
Prints the greedy continuation's token ids on one line, like the compiled
model's harness, and writes float32 logits [positions x vocab].
"""
import argparse
import struct
import sys

import numpy as np

F32, F16, I2_S = 0, 1, 36


def read_gguf(path):
    data = np.memmap(path, dtype=np.uint8, mode="r")
    pos = 0

    def take(fmt):
        nonlocal pos
        size = struct.calcsize(fmt)
        value = struct.unpack_from("<" + fmt, data, pos)
        pos += size
        return value[0] if len(value) == 1 else value

    def string():
        nonlocal pos
        n = take("Q")
        s = bytes(data[pos:pos + n]).decode("utf-8")
        pos += n
        return s

    scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?",
              10: "Q", 11: "q", 12: "d"}

    def value(vtype):
        if vtype == 8:
            return string()
        if vtype == 9:
            etype, n = take("I"), take("Q")
            return [value(etype) for _ in range(n)]
        return take(scalar[vtype])

    if bytes(data[:4]) != b"GGUF":
        sys.exit(f"{path}: not a GGUF file")
    pos = 4
    _version, n_tensors, n_kv = take("I"), take("Q"), take("Q")
    meta = {}
    for _ in range(n_kv):
        key = string()
        meta[key] = value(take("I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        dims = [take("Q") for _ in range(take("I"))]
        infos.append((name, dims, take("I"), take("Q")))
    align = meta.get("general.alignment", 32)
    base = (pos + align - 1) // align * align
    tensors = {}
    for name, dims, ttype, offset in infos:
        count = int(np.prod(dims))
        start = base + offset
        shape = tuple(reversed(dims))  # torch order: rows, cols
        if ttype == F32:
            tensors[name] = np.frombuffer(data, np.float32, count, start).reshape(shape)
        elif ttype == F16:
            tensors[name] = np.frombuffer(data, np.float16, count, start).reshape(shape)
        elif ttype == I2_S:
            packed = np.frombuffer(data, np.uint8, count // 4, start)
            scale = np.frombuffer(data, np.float32, 1, start + count // 4)[0]
            # 128-element blocks of 32 bytes; byte j holds elements j, j+32,
            # j+64, j+96 in bits 7:6, 5:4, 3:2, 1:0; code c means c - 1.
            blocks = packed.reshape(-1, 32)
            codes = np.stack([(blocks >> s) & 3 for s in (6, 4, 2, 0)], axis=1)
            tensors[name] = (codes.reshape(shape).astype(np.int8) - 1, np.float32(scale))
        else:
            sys.exit(f"{path}: {name} has GGML type {ttype}; the reference reads F32, F16, I2_S")
    return meta, tensors


def rms_norm(x, w, eps):
    out = np.empty_like(x)
    for t in range(x.shape[0]):
        sq = (x[t] * x[t]).astype(np.float64)
        mean = np.float32(np.sum(sq) / x.shape[1])
        scale = np.float32(1.0) / np.sqrt(mean + np.float32(eps), dtype=np.float32)
        out[t] = (x[t] * scale) * w
    return out


def lookup_table_dot(codes, q):
    """tritc --prompt-lut's approximate sum of w * q (kernels.h): per
    192-weight group, the triples (j, j + 64, j + 128); each triple's sum E
    rescaled to a byte e = (2 E m + 16384) >> 15 with m from the token's
    largest triple sum, a negated code taking -e(-E); the sum of the e's
    scaled back in f32 and rounded half to even; the last cols % 192
    weights exact."""
    rows, cols = codes.shape
    groups = cols // 192
    x = q[:groups * 192].reshape(groups, 3, 64)
    largest = int(np.abs(x).sum(axis=1).max()) if groups else 0
    m = 16384 if largest <= 127 else 127 * 16384 // largest
    w = codes[:, :groups * 192].reshape(rows, groups, 3, 64).astype(np.int64)
    sums = (w * x[None]).sum(axis=2)
    positive = 9 * (w[:, :, 0] + 1) + 3 * (w[:, :, 1] + 1) + (w[:, :, 2] + 1) >= 13
    entry = lambda e: (2 * e * m + 16384) >> 15
    s = np.where(positive, entry(sums), -entry(-sums)).sum(axis=(1, 2))
    unscale = np.float32(16384) / np.float32(m)
    approx = np.rint(s.astype(np.float32) * unscale).astype(np.int64)
    return approx + codes[:, groups * 192:].astype(np.int64) @ q[groups * 192:]


def lanes_lookup_table_dot(codes, q):
    """The same for T3X5 with rows in lanes (kernels.h): the triples are
    columns (12Q + t, 12Q + 4 + t, 12Q + 8 + t) of rows padded with zeros
    to 24 columns, and every weight goes through the tables."""
    rows, cols = codes.shape
    padded = -cols % 24
    x = np.concatenate([q, np.zeros(padded, np.int64)]).reshape(-1, 3, 4)
    largest = int(np.abs(x).sum(axis=1).max())
    m = 16384 if largest <= 127 else 127 * 16384 // largest
    w = np.concatenate([codes, np.zeros((rows, padded), codes.dtype)], axis=1)
    w = w.reshape(rows, -1, 3, 4).astype(np.int64)
    sums = (w * x[None]).sum(axis=2)
    positive = 9 * (w[:, :, 0] + 1) + 3 * (w[:, :, 1] + 1) + (w[:, :, 2] + 1) >= 13
    entry = lambda e: (2 * e * m + 16384) >> 15
    s = np.where(positive, entry(sums), -entry(-sums)).sum(axis=(1, 2))
    unscale = np.float32(16384) / np.float32(m)
    return np.rint(s.astype(np.float32) * unscale).astype(np.int64)


# Which layout --prompt-lut's tables read: "auto" is tritc's default on an
# AVX-512 VBMI target (rows in lanes for weights of a multiple of 64 rows,
# T3X5 rows for the others), "rows" is --weight-packing=t3x5.
LUT_LAYOUT = "auto"


def bitlinear(x, weight, lut_rows=None):
    """`lut_rows`: which rows of x take the lookup-table dot."""
    codes, w_scale = weight
    lanes = LUT_LAYOUT == "lanes" or (LUT_LAYOUT == "auto" and codes.shape[0] % 64 == 0)
    out = np.empty((x.shape[0], codes.shape[0]), np.float32)
    for t in range(x.shape[0]):
        amax = max(float(np.max(np.abs(x[t].astype(np.float64)))), 1e-5)
        s = np.float32(127.0 / amax)
        q = np.clip(np.rint(x[t] * s), -128, 127).astype(np.int64)
        if lut_rows is not None and lut_rows[t]:
            dot = (lanes_lookup_table_dot if lanes else lookup_table_dot)(codes, q)
        else:
            dot = codes.astype(np.int64) @ q  # exact: sum of w * q
        out[t] = (dot.astype(np.float32) / s) * w_scale
    return out


def rope_tables(theta_base, head_dim, positions):
    half = head_dim // 2
    theta_scale = np.float32(np.power(np.float32(theta_base), np.float32(-2.0 / head_dim)))
    cos = np.empty((positions, half), np.float32)
    sin = np.empty((positions, half), np.float32)
    for p in range(positions):
        theta = np.float32(p)
        for i in range(half):
            cos[p, i] = np.cos(np.float64(theta))
            sin[p, i] = np.sin(np.float64(theta))
            theta = np.float32(theta * theta_scale)
    return cos, sin


def rope_neox(x, positions, head_dim, cos, sin):
    half = head_dim // 2
    out = x.copy()
    for t, p in enumerate(positions):
        for h in range(0, x.shape[1], head_dim):
            x0 = x[t, h:h + half]
            x1 = x[t, h + half:h + head_dim]
            out[t, h:h + half] = x0 * cos[p] - x1 * sin[p]
            out[t, h + half:h + head_dim] = x0 * sin[p] + x1 * cos[p]
    return out


def f16(x):
    return x.astype(np.float16).astype(np.float32)


class Reference:
    def __init__(self, path):
        self.meta, self.t = read_gguf(path)
        arch = self.meta["general.architecture"]
        if arch not in ("bitnet-b1.58", "bitnet-25", "bitnet-1.58"):
            sys.exit(f"the reference implements the ReLU^2 BitNet archs, not {arch}")
        m = lambda k: self.meta[f"{arch}.{k}"]
        self.layers = m("block_count")
        self.heads = m("attention.head_count")
        self.kv_heads = m("attention.head_count_kv")
        self.dim = m("embedding_length")
        self.head_dim = self.dim // self.heads
        self.eps = m("attention.layer_norm_rms_epsilon")
        ctx = m("context_length")
        self.cos, self.sin = rope_tables(m("rope.freq_base"), self.head_dim, ctx)
        self.embd = self.t["token_embd.weight"]
        self.vocab = self.embd.shape[0]
        self.k_cache = [[] for _ in range(self.layers)]
        self.v_cache = [[] for _ in range(self.layers)]
        self.prompt_lut = False
        self.max_tokens = 64

    def attention(self, layer, q, positions):
        hd, group = self.head_dim, self.heads // self.kv_heads
        scale = np.float32(1.0) / np.sqrt(np.float32(hd), dtype=np.float32)
        keys = np.array(self.k_cache[layer], np.float32)
        values = np.array(self.v_cache[layer], np.float32)
        out = np.zeros_like(q)
        for t, p in enumerate(positions):
            for h in range(self.heads):
                g = h // group
                qh = f16(q[t, h * hd:(h + 1) * hd])
                k = keys[:p + 1, g * hd:(g + 1) * hd]
                v = values[:p + 1, g * hd:(g + 1) * hd]
                scores = (k @ qh).astype(np.float32) * scale
                e = np.exp((scores - scores.max()).astype(np.float64)).astype(np.float32)
                total = np.sum(e.astype(np.float64))
                probs = f16(e * np.float32(1.0 / total))
                out[t, h * hd:(h + 1) * hd] = probs @ v
        return out

    def forward(self, tokens, start):
        t = self.t
        positions = list(range(start, start + len(tokens)))
        # --prompt-lut: the runtime evaluates a prompt max_tokens at a time,
        # and calls of 8 tokens or more (TRIT_LUT_MIN_TOKENS in
        # kernels/include/trit/kernels.h) take the lookup tables.
        lut = None
        if self.prompt_lut:
            lut = [min(self.max_tokens, len(tokens) - i // self.max_tokens * self.max_tokens) >= 8
                   for i in range(len(tokens))]
        linear = lambda v, name: bitlinear(v, t[name], lut)
        x = self.embd[tokens].astype(np.float32)
        for i in range(self.layers):
            b = f"blk.{i}."
            a = rms_norm(x, t[b + "attn_norm.weight"], self.eps)
            q = linear(a, b + "attn_q.weight")
            k = linear(a, b + "attn_k.weight")
            v = linear(a, b + "attn_v.weight")
            q = rope_neox(q, positions, self.head_dim, self.cos, self.sin)
            k = rope_neox(k, positions, self.head_dim, self.cos, self.sin)
            self.k_cache[i].extend(f16(k))
            self.v_cache[i].extend(f16(v))
            o = self.attention(i, q, positions)
            o = rms_norm(o, t[b + "attn_sub_norm.weight"], self.eps)
            x = x + linear(o, b + "attn_output.weight")
            f = rms_norm(x, t[b + "ffn_norm.weight"], self.eps)
            g = linear(f, b + "ffn_gate.weight")
            u = linear(f, b + "ffn_up.weight")
            r = np.maximum(g, np.float32(0))
            m = rms_norm((r * r) * u, t[b + "ffn_sub_norm.weight"], self.eps)
            x = x + linear(m, b + "ffn_down.weight")
        y = f16(rms_norm(x, t["output_norm.weight"], self.eps))
        table = self.embd.astype(np.float32)
        return (y.astype(np.float64) @ table.T.astype(np.float64)).astype(np.float32)


def perplexity(ref, path, ctx, max_chunks):
    """llama-perplexity's method, as trit-perplexity: chunks of ctx tokens
    starting with BOS, the second half of each scored."""
    import importlib.util
    import os
    spec = importlib.util.spec_from_file_location(
        "reference_tokenizer", os.path.join(os.path.dirname(__file__), "reference-tokenizer.py"))
    tok = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tok)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    tokens = tok.encode(text, ref.meta, True)
    bos = ref.meta["tokenizer.ggml.bos_token_id"]
    chunks = len(tokens) // ctx
    if max_chunks:
        chunks = min(chunks, max_chunks)
    nll, count = 0.0, 0
    for c in range(chunks):
        chunk = tokens[c * ctx:(c + 1) * ctx]
        chunk[0] = bos
        ref.k_cache = [[] for _ in range(ref.layers)]
        ref.v_cache = [[] for _ in range(ref.layers)]
        logits = ref.forward(chunk, 0).astype(np.float64)
        for j in range(ctx // 2, ctx - 1):
            row = logits[j]
            m = row.max()
            nll += np.log(np.exp(row - m).sum()) + m - row[tokens[c * ctx + j + 1]]
            count += 1
    return float(np.exp(nll / count))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--prompt-tokens")
    p.add_argument("-n", type=int, default=0)
    p.add_argument("--dump-logits")
    p.add_argument("--perplexity", metavar="TEXT",
                   help="print the perplexity of TEXT instead (see perplexity())")
    p.add_argument("--ctx", type=int, default=512)
    p.add_argument("--chunks", type=int, default=0)
    p.add_argument("--prompt-lut", action="store_true",
                   help="prompts through tritc --prompt-lut's lookup tables")
    p.add_argument("--max-tokens", type=int, default=64,
                   help="the compiled model's tokens per prompt call")
    p.add_argument("--lut-layout", choices=["auto", "rows", "lanes"], default="auto",
                   help="the T3X5 layout the tables read: auto (tritc's default "
                        "on AVX-512 VBMI: rows in lanes for weights of a multiple "
                        "of 64 rows), rows (--weight-packing=t3x5) or lanes")
    args = p.parse_args()
    global LUT_LAYOUT
    LUT_LAYOUT = args.lut_layout
    ref = Reference(args.model)
    ref.prompt_lut, ref.max_tokens = args.prompt_lut, args.max_tokens
    if args.perplexity:
        print("PPL = %.4f" % perplexity(ref, args.perplexity, args.ctx, args.chunks))
        return
    if not args.prompt_tokens:
        sys.exit("--prompt-tokens or --perplexity is required")
    prompt = [int(s) for s in args.prompt_tokens.split(",")]
    logits = [ref.forward(prompt, 0)]
    generated = []
    for _ in range(args.n):
        nxt = int(np.argmax(logits[-1][-1]))
        generated.append(nxt)
        logits.append(ref.forward([nxt], len(prompt) + len(generated) - 1))
    print(",".join(map(str, generated)))
    if args.dump_logits:
        np.concatenate(logits).astype(np.float32).tofile(args.dump_logits)


if __name__ == "__main__":
    main()
