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

The `qwen3` architecture (PrismML's Ternary Bonsai, written from
../shared/reference/bonsai-ternary.md) follows llama.cpp's GENERIC CPU code
for group-scaled ternary files. Every matrix (the token embedding used as
the LM head included) is Q2_0 (id 42, group 64, or the legacy group-128
block under id 42, told apart by the tensors' sizes), PQ2_0 (142), PTQ1_0
(143) or Q1_0 (41); norms are F32. What was checked where:

- Block layouts, and the Q8_0 activation quantizer and the dot products:
  ggml-org/ggml @ d99724f2 src/ggml-common.h, src/ggml-quants.c
  (quantize_row_q8_0_ref) and src/ggml-cpu/quants.c
  (ggml_vec_dot_q2_0_q8_0_generic, ggml_vec_dot_q1_0_q8_0_generic);
  PrismML-Eng/llama.cpp @ d1f53017 ggml/src/ggml-cpu/quants.c
  (ggml_vec_dot_pq2_0_q8_0_generic, ggml_vec_dot_ptq1_0_q8_0_generic and
  its stage walk {32, 16, 8}).
  * Activations in Q8_0 blocks of 32 per row: amax = max|x| (f32),
    d = amax / 127 (f32), id = d ? 1/d : 0, q = roundf(x * id) (halves away
    from zero); the block keeps fp16(d) (round to nearest even) and the dot
    uses that fp16 value (quantize_q8_0).
  * Per output, per weight group (64 or 128 weights, 2 or 4 Q8_0 blocks):
    sumi = 0 (f32); per block k: isum = the exact integer sum of value * q;
    sumi += fp16(d_y[k]) * (float)isum; then sumf += fp16(d_x) * sumi, the
    groups in order; each product and sum rounded to f32 separately (no
    FMA) (group_matmul). Values: Q2_0/PQ2_0 code - 1 (code 3 is +2),
    PTQ1_0 trit - 1, Q1_0 +1 for a set bit and -1 for a clear one.
  * x86 AVX2 and ARM NEON quantize Q8_0 with round-to-nearest-even and
    NEON accumulates Q2_0 differently, so llama.cpp on those machines can
    differ from this (the reference notes s. 1.5-1.6); this is the generic
    path, which mainline x86 uses for Q2_0 (no SIMD kernel).
- The embedding lookup is the exact dequantized row, value * fp16(d) in
  f32 (dequantize_row_q2_0 and the fork's dequantize_row_*).
- RMSNorm as for BitNet above (ggml ops.cpp ggml_compute_forward_rms_norm_f32:
  f32 squares summed in double, mean in f32, 1/sqrtf(mean + eps)), then
  times the weight. QK-norm: the same per head (head_dim values), times
  attn_q_norm / attn_k_norm, BEFORE RoPE (llama.cpp src/models/qwen3.cpp,
  per the reference notes s. 2.2).
- RoPE NeoX with the file's rope.freq_base (ggml ops.cpp
  ggml_compute_forward_rope_flt, ggml_rope_cache_init, rope_yarn): theta
  starts at the position and is multiplied by powf(base, -2/n_dims) in f32
  per pair; cos/sin are cosf/sinf (here correctly rounded) times mscale.
  With rope.scaling.type = yarn: freq_scale = 1/factor, ext_factor 1,
  beta_fast 32, beta_slow 1, n_ctx_orig = rope.scaling.original_context_length
  (ggml.c ggml_rope_yarn_corr_dims: corr_dim(b) = n_dims * logf(n_ctx_orig /
  (b * 2 * pi)) / (2 * logf(base)), start floor'ed and clamped at 0, end
  ceil'ed and clamped at n_dims - 1); per pair i0: ramp = 1 - clamp((i0/2 -
  start) / max(0.001, end - start), 0, 1), theta = (freq_scale * theta) *
  (1 - ramp) + theta * ramp, mscale = attn_factor * (1 + 0.1 logf(1 /
  freq_scale)). attn_factor is llama.cpp's cparams.yarn_attn_factor: 1.0
  times get_mscale(factor) = 1 + 0.1 logf(factor), times 1 / (1 + 0.1
  logf(factor)) (llama-context.cpp since llama.cpp PR 17945, read through
  the code search of a fork that carries it: it cancels ggml's own factor
  for ext_factor != 0), so in f32 about 1, and mscale about 1 + 0.1 ln
  factor. Every step is emulated in f32 without FMA (yarn_rope_cache).
- Attention as for BitNet above (f16 KV cache, f16 query, f16
  probabilities), GQA, scale 1/sqrt(head_dim) (key_length); SwiGLU
  silu(g) * u with silu(x) = x / (1 + expf(-x)); the FFN down input is
  quantized to Q8_0 again, like every matrix input, and so is the final
  norm's output for the LM head (output.weight, or token_embd when tied).
"""
import argparse
import struct
import sys

import numpy as np

F32, F16, I2_S = 0, 1, 36
Q1_0, Q2_0, PQ2_0, PTQ1_0 = 41, 42, 142, 143
# type id -> (weights per block, bytes per block); id 42 is decided per file.
GROUP_TYPES = {Q1_0: (128, 18), PQ2_0: (128, 34), PTQ1_0: (128, 28)}
Q2_0_LAYOUTS = {"q2_0": (64, 18), "q2_0_g128": (128, 34)}


class GroupWeight:
    """A group-scaled ternary matrix [rows, cols] in a GGUF file, decoded on
    first use: `values` int8 (code - 1, trit - 1 or +-1), `scales` float32
    [rows, cols / group] (the blocks' fp16 d, exactly)."""

    def __init__(self, kind, data, start, rows, cols, group, block):
        self.kind, self.data, self.start = kind, data, start
        self.rows, self.cols, self.group, self.block = rows, cols, group, block
        self.shape = (rows, cols)
        self._values = None
        self._scales = None

    def _decode(self):
        nb = self.rows * self.cols // self.group
        raw = np.frombuffer(self.data, np.uint8, nb * self.block, self.start)
        raw = raw.reshape(nb, self.block)
        if self.kind == "ptq1_0":
            d, values = raw[:, 26:28], decode_ptq1_0(raw[:, :24], raw[:, 24:26])
        elif self.kind == "q1_0":
            d = raw[:, :2]
            bits = np.unpackbits(raw[:, 2:], axis=1, bitorder="little")
            values = bits.astype(np.int8) * 2 - 1
        else:  # q2_0, q2_0_g128, pq2_0: element j at bits 2*(j%4) of byte j/4
            d = raw[:, :2]
            shifts = np.array([0, 2, 4, 6], np.uint8)
            codes = (raw[:, 2:, None] >> shifts) & 3
            values = codes.reshape(nb, self.group).astype(np.int8) - 1
        self._values = values.reshape(self.rows, self.cols)
        self._scales = (np.ascontiguousarray(d).view("<f2").astype(np.float32)
                        .reshape(self.rows, self.cols // self.group))

    @property
    def values(self):
        if self._values is None:
            self._decode()
        return self._values

    @property
    def scales(self):
        if self._scales is None:
            self._decode()
        return self._scales

    def dequantized_rows(self, ids):
        """Rows `ids` as float32: value * d, exact."""
        v = self.values[ids].astype(np.float32)
        d = np.repeat(self.scales[ids], self.group, axis=1)
        return v * d


def ptq1_0_trit(b, n):
    """Trit n (0 = most significant) of base-3 bytes b: ((uint8)(b * 3^n) *
    3) >> 8, in {0, 1, 2}."""
    v = (b.astype(np.uint16) * 3 ** n) & 0xFF
    return (v * 3) >> 8


def decode_ptq1_0(qs, qh):
    """PTQ1_0 values (trit - 1) in element order from qs [blocks, 24] and
    qh [blocks, 2]: the fork's walk over stages of 32, 16 and 8 bytes, each
    taken while it fits in the 24 qs bytes (so 16 then 8), element
    stage_start*5 + n*width + m = trit n of qs[stage_start + m]; then trit n
    of qh[h] is element 120 + 2n + h."""
    parts = []
    j = 0
    for width in (32, 16, 8):
        while j + width <= qs.shape[1]:
            for n in range(5):
                parts.append(ptq1_0_trit(qs[:, j:j + width], n))
            j += width
    for n in range(4):
        parts.append(ptq1_0_trit(qh, n))
    return np.concatenate(parts, axis=1).astype(np.int8) - 1


def q2_0_layout(infos, base, file_size, align):
    """Which block id 42 means in this file: "q2_0" (group 64, 18 bytes) if
    every id-42 tensor's bytes (up to the next tensor or the end of the file)
    fit that size plus alignment padding, "q2_0_g128" (the legacy PrismML
    block, 34 bytes per 128) if they fit that one; as PrismML's fork tells
    them apart by the offsets. Ambiguous (tiny tensors): group 64."""
    starts = sorted(base + info[3] for info in infos)
    ends = {s: e for s, e in zip(starts, starts[1:] + [file_size])}
    fits = set(Q2_0_LAYOUTS)
    for name, dims, ttype, offset in infos:
        if ttype != Q2_0:
            continue
        count = int(np.prod(dims))
        span = ends[base + offset] - (base + offset)
        ok = {k for k, (g, b) in Q2_0_LAYOUTS.items()
              if dims[0] % g == 0 and 0 <= span - count // g * b < align}
        if not ok:
            sys.exit(f"{name}: type 42 (Q2_0) with {span} bytes fits neither the group-64 "
                     f"({count // 64 * 18}) nor the legacy group-128 ({count // 128 * 34}) layout")
        fits &= ok
    if not fits:
        sys.exit("type 42 (Q2_0) tensors disagree on the group-64 and group-128 layouts")
    return "q2_0" if "q2_0" in fits else "q2_0_g128"


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
    layout42 = None
    if any(info[2] == Q2_0 for info in infos):
        layout42 = q2_0_layout(infos, base, len(data), align)
    tensors = {}
    for name, dims, ttype, offset in infos:
        count = int(np.prod(dims))
        start = base + offset
        shape = tuple(reversed(dims))  # torch order: rows, cols
        if ttype in GROUP_TYPES or ttype == Q2_0:
            kind = {Q1_0: "q1_0", PQ2_0: "pq2_0", PTQ1_0: "ptq1_0", Q2_0: layout42}[ttype]
            group, block = Q2_0_LAYOUTS[kind] if ttype == Q2_0 else GROUP_TYPES[ttype]
            if len(dims) != 2 or dims[0] % group:
                sys.exit(f"{path}: {name}: {dims} is not a matrix of rows of whole "
                         f"{group}-weight blocks")
            if start + count // group * block > len(data):
                sys.exit(f"{path}: {name}: data past the end of the file")
            tensors[name] = GroupWeight(kind, data, start, dims[1], dims[0], group, block)
        elif ttype == F32:
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
            sys.exit(f"{path}: {name} has GGML type {ttype}; the reference reads F32, F16, "
                     "I2_S, Q1_0, Q2_0, PQ2_0, PTQ1_0")
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
    def __init__(self, path, parsed=None):
        self.meta, self.t = parsed if parsed else read_gguf(path)
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


# ---------------------------------------------------------------------------
# qwen3 (Ternary Bonsai): group-scaled ternary through Q8_0 activations
# ---------------------------------------------------------------------------

def quantize_q8_0(x):
    """ggml's generic quantize_row_q8_0_ref per row of x (float32 [T, n],
    n a multiple of 32). Returns (q int8 [T, n], d float32 [T, n/32]) with
    d the fp16-rounded block scale the dot product uses."""
    x = np.asarray(x, np.float32)
    t, n = x.shape
    blocks = x.reshape(t, n // 32, 32)
    amax = np.max(np.abs(blocks), axis=2)
    d = amax / np.float32(127)
    inv = np.zeros_like(d)
    np.divide(np.float32(1), d, out=inv, where=d != 0)
    v = blocks * inv[..., None]                       # f32 products, as x*id
    # roundf: halves away from zero. v + 0.5 is exact in double, so
    # trunc(v +- 0.5) is roundf(v) for every f32 v.
    v64 = v.astype(np.float64)
    q = np.trunc(v64 + np.copysign(0.5, v64)).astype(np.int8)
    return q.reshape(t, n), d.astype(np.float16).astype(np.float32)


def group_matmul(q, dq, w, chunk_rows=2048):
    """out[t, r] = ggml_vec_dot_<type>_q8_0(row r of w, row t of the Q8_0
    activations (q, dq)), the generic code's float steps emulated in f32:
    per group g: sumi = sum over its Q8_0 blocks k of fp16(d_y[k]) * isum[k]
    (each product and sum rounded), sumf += fp16(d_x[g]) * sumi."""
    t, n = q.shape
    if n != w.cols:
        sys.exit(f"activation width {n} != weight columns {w.cols}")
    sub = w.group // 32
    qb = q.reshape(t, n // 32, 32).astype(np.float32)
    out = np.empty((t, w.rows), np.float32)
    for r0 in range(0, w.rows, chunk_rows):
        vals = w.values[r0:r0 + chunk_rows]
        r = vals.shape[0]
        # Integer sums of 32 products (|sum| <= 32 * 127 * 2): exact in f32
        # whatever the summation order.
        isum = np.einsum("rkj,tkj->trk", vals.reshape(r, n // 32, 32).astype(np.float32), qb)
        dx = w.scales[r0:r0 + r]
        sumf = np.zeros((t, r), np.float32)
        for g in range(n // w.group):
            sumi = np.zeros((t, r), np.float32)
            for k in range(g * sub, (g + 1) * sub):
                sumi = sumi + dq[:, k:k + 1] * isum[:, :, k]
            sumf = sumf + dx[None, :, g] * sumi
        out[:, r0:r0 + r] = sumf
    return out


def rms_norm_rows(x, w, eps):
    """rms_norm above, vectorized over the rows of x [rows, n]: f32 squares
    summed in double, mean rounded to f32, scale = 1/sqrtf(mean + eps),
    (x * scale) * w."""
    sq = (x * x).astype(np.float64)
    mean = (np.sum(sq, axis=1) / x.shape[1]).astype(np.float32)
    scale = np.float32(1.0) / np.sqrt(mean + np.float32(eps), dtype=np.float32)
    return (x * scale[:, None]) * w


def logf(x):
    """logf, correctly rounded (glibc's logf is within 0.82 ulp)."""
    return np.float32(np.log(np.float64(np.float32(x))))


def yarn_params(n_dims, freq_base, factor, n_ctx_orig):
    """(freq_scale, corr_dims, attn_factor) as llama.cpp computes them for a
    YaRN model (see the module docstring), each step in f32."""
    f = np.float32
    freq_scale = f(f(1.0) / f(factor))
    pi = f(np.pi)

    def corr_dim(n_rot):
        ratio = f(f(n_ctx_orig) / f(f(f(n_rot) * f(2)) * pi))
        return f(f(f(n_dims) * logf(ratio)) / f(f(2) * logf(freq_base)))

    start = np.floor(corr_dim(32.0))
    end = np.ceil(corr_dim(1.0))
    dims = (f(max(f(0), start)), f(min(f(n_dims - 1), end)))
    scale = f(f(1.0) / freq_scale)
    mscale = f(1.0) if scale <= 1 else f(f(f(0.1) * logf(scale)) + f(1.0))
    attn_factor = f(f(1.0) * mscale)
    attn_factor = f(attn_factor * f(f(1.0) / f(f(1.0) + f(f(0.1) * logf(scale)))))
    return freq_scale, dims, attn_factor


def rope_cache(position, n_dims, freq_base, yarn=None):
    """ggml_rope_cache_init for one position: (cos, sin) float32 [n_dims/2].
    `yarn`: (freq_scale, corr_dims, attn_factor), or None (ext_factor 0,
    freq_scale 1, mscale 1)."""
    f = np.float32
    half = n_dims // 2
    theta_scale = f(np.power(f(freq_base), f(f(-2.0) / f(n_dims))))
    cos = np.empty(half, np.float32)
    sin = np.empty(half, np.float32)
    theta_extrap = f(position)
    for i in range(half):
        if yarn is None:
            theta, mscale = theta_extrap, f(1.0)
        else:
            freq_scale, (low, high), attn_factor = yarn
            theta_interp = f(freq_scale * theta_extrap)
            y = f(f(f(i) - low) / max(f(0.001), f(high - low)))
            ramp_mix = f(f(1) - min(f(1), max(f(0), y)))      # times ext_factor 1
            theta = f(f(theta_interp * f(f(1) - ramp_mix)) + f(theta_extrap * ramp_mix))
            mscale = f(attn_factor * f(f(1.0) + f(f(0.1) * logf(f(f(1.0) / freq_scale)))))
        cos[i] = f(f(np.cos(np.float64(theta))) * mscale)
        sin[i] = f(f(np.sin(np.float64(theta))) * mscale)
        theta_extrap = f(theta_extrap * theta_scale)
    return cos, sin


def silu_f32(g):
    e = np.exp(-g.astype(np.float64)).astype(np.float32)
    return g / (np.float32(1) + e)


class Qwen3Reference(Reference):
    """llama.cpp's qwen3 graph (src/models/qwen3.cpp) on the generic CPU
    arithmetic described in the module docstring."""

    def __init__(self, path, parsed=None):
        self.meta, self.t = parsed if parsed else read_gguf(path)
        meta = self.meta
        if meta["general.architecture"] != "qwen3":
            sys.exit(f"{path}: not a qwen3 model")
        for key in meta:
            if key.startswith("prism.hadamard."):
                sys.exit(f"{path}: {key}: Hadamard-folded weights are not implemented")
        m = lambda k, default=None: meta.get("qwen3." + k, default)
        self.layers = m("block_count")
        self.heads = m("attention.head_count")
        self.kv_heads = m("attention.head_count_kv")
        self.dim = m("embedding_length")
        self.head_dim = m("attention.key_length", self.dim // self.heads)
        if m("attention.value_length", self.head_dim) != self.head_dim:
            sys.exit(f"{path}: value_length != key_length is not implemented")
        self.eps = m("attention.layer_norm_rms_epsilon")
        self.freq_base = m("rope.freq_base", 10000.0)
        scaling = m("rope.scaling.type", "none")
        self.yarn = None
        if scaling == "yarn":
            self.yarn = yarn_params(self.head_dim, self.freq_base, m("rope.scaling.factor"),
                                    m("rope.scaling.original_context_length", m("context_length")))
        elif scaling != "none":
            sys.exit(f"{path}: rope scaling {scaling} is not implemented")
        self.rope = {}
        for name, w in self.t.items():
            if w.__class__ is not GroupWeight and np.ndim(w) != 1:
                sys.exit(f"{path}: {name}: the qwen3 reference reads group-scaled ternary "
                         "matrices and F32 norms")
        self.embd = self.t["token_embd.weight"]
        self.output = self.t.get("output.weight", self.embd)
        self.vocab = self.output.rows
        self.k_cache = [[] for _ in range(self.layers)]
        self.v_cache = [[] for _ in range(self.layers)]
        self.prompt_lut = False
        self.max_tokens = 64

    def rope_neox(self, x, positions):
        hd, half = self.head_dim, self.head_dim // 2
        out = np.empty_like(x)
        for t, p in enumerate(positions):
            if p not in self.rope:
                self.rope[p] = rope_cache(p, hd, self.freq_base, self.yarn)
            cos, sin = self.rope[p]
            heads = x[t].reshape(-1, hd)
            x0, x1 = heads[:, :half], heads[:, half:]
            rot = np.concatenate([x0 * cos - x1 * sin, x0 * sin + x1 * cos], axis=1)
            out[t] = rot.reshape(-1)
        return out

    def head_norm(self, x, w):
        rows = x.reshape(-1, self.head_dim)
        return rms_norm_rows(rows, w, self.eps).reshape(x.shape)

    def forward(self, tokens, start):
        t = self.t
        positions = list(range(start, start + len(tokens)))
        linear = lambda act, name: group_matmul(*act, t[name])
        x = self.embd.dequantized_rows(tokens)
        for i in range(self.layers):
            b = f"blk.{i}."
            a = quantize_q8_0(rms_norm_rows(x, t[b + "attn_norm.weight"], self.eps))
            q = self.head_norm(linear(a, b + "attn_q.weight"), t[b + "attn_q_norm.weight"])
            k = self.head_norm(linear(a, b + "attn_k.weight"), t[b + "attn_k_norm.weight"])
            v = linear(a, b + "attn_v.weight")
            q = self.rope_neox(q, positions)
            k = self.rope_neox(k, positions)
            self.k_cache[i].extend(f16(k))
            self.v_cache[i].extend(f16(v))
            o = self.attention(i, q, positions)
            x = x + linear(quantize_q8_0(o), b + "attn_output.weight")
            f = quantize_q8_0(rms_norm_rows(x, t[b + "ffn_norm.weight"], self.eps))
            g = linear(f, b + "ffn_gate.weight")
            u = linear(f, b + "ffn_up.weight")
            x = x + linear(quantize_q8_0(silu_f32(g) * u), b + "ffn_down.weight")
        y = rms_norm_rows(x, t["output_norm.weight"], self.eps)
        return group_matmul(*quantize_q8_0(y), self.output)


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
    parsed = read_gguf(args.model)
    if parsed[0]["general.architecture"] == "qwen3":
        if args.prompt_lut:
            sys.exit("--prompt-lut applies to the BitNet architectures only")
        ref = Qwen3Reference(args.model, parsed)
    else:
        ref = Reference(args.model, parsed)
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
