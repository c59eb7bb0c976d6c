#!/usr/bin/env python3
"""Generate random (but not degenerate) ternary BitNet models in real file formats.

The models are meant for tests, benchmarks and for users who do not have a real
checkpoint.  One seed describes one model; the same seed written as a GGUF file
and as a Hugging Face folder gives exactly the same numbers after decoding.

Formats (byte layouts as in the BitNet reference notes, bitnet-models.md, s. 3, 4)
--------------------------------------------------------------------------------
GGUF (version 3, little-endian): header, metadata KV pairs, tensor infos, then a
data section aligned to `general.alignment` (32 unless --alignment says
otherwise), each tensor padded to the alignment.  ggml dimension order: ne0 is
the innermost dimension (in_features).  The 7 ternary linears per layer use one
of:
  I2_S  (type 36): 2-bit codes (t+1) of the row-major element stream in blocks
        of 128, byte j of a block = elements j, 32+j, 64+j, 96+j in bits
        7:6, 5:4, 3:2, 1:0 (MSB first); then the f32 scale at byte n/4, then zero
        padding; total n/4 + 32 bytes.
  TQ2_0 (type 35): per 256 weights 64 bytes of 2-bit codes (LSB first, stride 32
        inside each 128-element half) and an fp16 d.
  TQ1_0 (type 34): per 256 weights 48 bytes of 5 base-3 digits, 4 bytes of 4
        digits (scaled by 256/243, rounded up) and an fp16 d.
  F16 / F32: the dequantized values scale*t.
Norm weights are F32, the token embedding (and the llama output matrix) F16 or
F32.

Hugging Face: config.json, tokenizer.json, tokenizer_config.json,
generation_config.json and safetensors (written here, no safetensors package),
optionally sharded with model.safetensors.index.json.  Linears are either packed
(uint8 [out/4, in], byte P[r, c] holds rows r, r+R, r+2R, r+3R in bit pairs
1:0, 3:2, 5:4, 7:6, R = out/4, code = t+1, plus a bf16 `weight_scale` [1]) or
full bf16/f32 "master" weights t*scale.  Norms and embeddings are bf16.

Architectures
-------------
  bitnet-b1.58, bitnet-25: BitNet b1.58 2B4T graph (ReLU^2 gated FFN, attention
      and FFN sub-norms, tied embedding).  weight_scale is the multiplier.
  bitnet: 1bitLLM graph (SiLU gated FFN, sub-norms, tied embedding).
  llama: Llama-style 1.58-bit (SiLU, no sub-norms, untied output matrix).  GGUF
      q/k rows are permuted like llama.cpp's converter; the HF form holds the
      unpermuted rows.  For bitnet and llama the packed HF weight_scale is the
      inverse scale (1/s), as in the HF1BitLLM / Falcon packed checkpoints.
  qwen3: PrismML's Ternary Bonsai shape (../shared/reference/bonsai-ternary.md):
      Qwen3 graph (QK-norm, SiLU, no sub-norms, head_dim = key_length), GGUF
      only, every matrix -- embedding and head included -- group-scaled
      ternary in one --type: Q2_0 (id 42, fp16 d + 16 bytes per 64 weights),
      the legacy PrismML Q2_0 (id 42 with PQ2_0's block), PQ2_0 (id 142, fp16
      d + 32 bytes per 128), PTQ1_0 (id 143, 24 + 2 bytes of base-3 digits then
      the fp16 d per 128) or binary Q1_0 (id 41, fp16 d + 128 sign bits).
      Norms (attn_q_norm / attn_k_norm head_dim wide) are F32.  Tied unless
      --untied (or the bonsai-8b preset); --yarn writes YaRN rope scaling.
      The tokenizer is Qwen3-shaped (qwen2 pre-tokenizer, its 26 added tokens,
      ChatML template) with synthesized merges.  See Qwen3Model for the
      scales and codes, and one seed giving the same weights in every
      group-128 type.

Exactness rules (why the decoded numbers agree bit for bit across formats)
--------------------------------------------------------------------------
* Ternary scales are rounded to bf16 values (8 significant bits) in the fp16
  normal range, so they are exact in bf16, fp16 (TQ d) and f32 (I2_S).  For the
  inverse-scale archs (bitnet, llama) the scale is a power of two, so 1/scale is
  exact too (powers of two are the only values with s and 1/s both in bf16).
  Scales are gain/sqrt(in_features * 2/3), so each BitLinear output has std
  ~gain; see Model.__init__ for why the tied archs need gain > 1.
* Norm weights are bf16 values (written as f32 in GGUF, bf16 in HF).
* Embedding / output values are bf16 values with magnitudes below 2^-14 flushed
  to zero and clipped to the fp16 range, so they are exact in f16 and bf16.
* Master weights t*c use c = scale (a bf16 value), so t*c is exact in bf16.

Randomness
----------
Everything derives from numpy.random.default_rng(seed): it first draws a seed for
the tokenizer stream and one for the weight stream; the weight stream draws one
seed per tensor slot in a fixed order (global slots, then 11 slots per layer,
the same slots for every architecture).  Each tensor is generated from its own
slot generator, always in the same chunking, so a tensor can be produced in any
write order (GGUF order, sorted safetensors shards) with identical values, one
tensor at a time.

Tokenizer
---------
Llama-3-style byte-level BPE: ids 0..255 are the single bytes in GPT-2
bytes-to-unicode table order, followed by merges learned from a built-in English
text (until no pair occurs twice), followed by deterministic random merges of
existing tokens, then the special tokens in Llama-3 order (256 of them for a
128256 vocabulary, else 16).
"""

import argparse
import json
import math
import os
import re
import struct
import sys

import numpy as np

# ----------------------------------------------------------------------------
# Constants
# ----------------------------------------------------------------------------

ARCHS = ("bitnet-b1.58", "bitnet-25", "bitnet", "llama", "qwen3")

PRESETS = {
    "tiny": dict(layers=2, dim=256, ffn=512, heads=4, kv_heads=2, vocab=512, ctx=256),
    "small": dict(layers=4, dim=512, ffn=1536, heads=8, kv_heads=2, vocab=2048, ctx=512),
    "2b4t": dict(layers=30, dim=2560, ffn=6912, heads=20, kv_heads=5, vocab=128256, ctx=4096),
}

# --arch qwen3 (Ternary Bonsai) shapes: ../shared/reference/bonsai-ternary.md
# s. 2.1.  qwen3-tiny has head_dim != dim/heads, like the real models do not
# but llama.cpp allows (key_length), and every row length (256, 384, 640) a
# multiple of 128.
QWEN3_PRESETS = {
    "qwen3-tiny": dict(layers=2, dim=256, ffn=640, heads=4, kv_heads=2, head_dim=96,
                       vocab=512, ctx=512, untied=False),
    "bonsai-1.7b": dict(layers=28, dim=2048, ffn=6144, heads=16, kv_heads=8, head_dim=128,
                        vocab=151936, ctx=40960, untied=False),
    "bonsai-4b": dict(layers=36, dim=2560, ffn=9728, heads=32, kv_heads=8, head_dim=128,
                      vocab=151936, ctx=40960, untied=False),
    "bonsai-8b": dict(layers=36, dim=4096, ffn=12288, heads=32, kv_heads=8, head_dim=128,
                      vocab=151936, ctx=65536, untied=True),
}

# ggml tensor type ids (FORK ggml.h) and llama file types (FORK llama.h).
GGML_F32, GGML_F16, GGML_TQ1_0, GGML_TQ2_0, GGML_I2_S = 0, 1, 34, 35, 36
GGML_TYPE_OF = {"f32": GGML_F32, "f16": GGML_F16, "tq1_0": GGML_TQ1_0,
                "tq2_0": GGML_TQ2_0, "i2_s": GGML_I2_S}
FILE_TYPE_OF = {"f32": 0, "f16": 1, "tq1_0": 36, "tq2_0": 37, "i2_s": 40}
QK_K = 256          # TQ1_0 / TQ2_0 block size
QK_I2_S = 128       # I2_S block size

# GGUF metadata value types.
GGUF_U32, GGUF_I32, GGUF_F32, GGUF_BOOL, GGUF_STR, GGUF_ARR = 4, 5, 6, 7, 8, 9

# Largest bf16 value that is <= the fp16 maximum 65504.
F16_SAFE_MAX = 65280.0
F16_MIN_NORMAL = 2.0 ** -14

# Llama-3 pre-tokenizer regex (tokenizer.json spelling).
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# The same split for Python's `re`, which has no \p{..}: \p{L} ~ [^\W\d_],
# \p{N} ~ \d, "neither letter nor number" ~ [^\w] or "_".  Only used to learn
# merges from the built-in ASCII text below, where the two agree.
_PRESPLIT = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|(?:[^\r\n\w]|_)?[^\W\d_]+|\d{1,3}|"
                       r" ?(?:[^\s\w]|_)+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# BitNet b1.58 2B4T chat format: <|begin_of_text|>, then "Role: content<|eot_id|>"
# per message, then "Assistant: " for generation.  Plain if/elif (no filters
# beyond trim) so that small Jinja subsets can render it.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}System: "
    "{% elif message['role'] == 'user' %}User: "
    "{% else %}Assistant: {% endif %}"
    "{{ message['content'] | trim }}<|eot_id|>"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant: {% endif %}"
)

# Random merges never create tokens longer than this many characters (keeps
# the vocabulary word-sized instead of growing without bound).
MAX_RANDOM_TOKEN_CHARS = 16

# Rows per generated chunk of the embedding / output matrices.  Fixed, so the
# values do not depend on the output format.
MATRIX_CHUNK_ROWS = 4096

# Built-in text the first merges are learned from.
TRAINING_TEXT = """\
The keeper of the old lighthouse kept a notebook on the table by the window. Every
evening he wrote down the weather, the ships he had seen and the number of steps he
had climbed. There were 132 steps from the door to the lamp, and he climbed them four
times a day, so in one year he climbed more than 190,000 steps. He did not mind the
climbing. The stairs were quiet, the walls were thick, and from the top he could see
the whole bay.

In the winter the storms came from the north. The wind pushed the waves against the
rocks and the spray reached the glass of the lamp room. On those nights he did not
sleep. He watched the light turn, he listened to the wind, and he wrote short notes:
"Wind from the north, strong. Rain. No ships." When the morning came, the sea was
often calm again, as if nothing had happened.

In the summer the days were long and the nights were short. Children from the village
walked along the beach and asked him questions. How does the light work? Why does it
turn? What happens if it stops? He told them that the light was made of a lamp and a
large lens, that the lens turned on a bed of oil, and that the light must never stop,
because the ships depend on it. The children liked the answers, and they liked the
view from the top even more.

Years later the lighthouse was given an electric lamp and a small computer that
turned the lens and wrote the weather into a file. The keeper was still there. He
read the numbers on the screen, but he also kept writing in his notebook, because he
said that a machine can count the steps, but it cannot remember the storms. When he
retired, the village kept his notebooks in the library, and people still read them
on quiet evenings.

A model that only has three values for each weight, minus one, zero and plus one, can
still learn a great deal. It is small, it is fast, and it uses very little energy.
The weights are stored with two bits each, or even less, and the multiplications
become additions and subtractions. This text is only here to give the tokenizer a few
common English words, so that the random model has a vocabulary that looks a little
like the real one.
"""


# ----------------------------------------------------------------------------
# Errors and configuration
# ----------------------------------------------------------------------------

class UsageError(Exception):
    """A user error: reported as one line, without a traceback."""


class Config:
    """Model hyperparameters plus the output options that affect content."""

    def __init__(self, args):
        self.arch = args.arch
        self.qwen3 = args.arch == "qwen3"
        table = QWEN3_PRESETS if self.qwen3 else PRESETS
        preset = args.preset or ("qwen3-tiny" if self.qwen3 else "tiny")
        if preset not in table:
            raise UsageError("--preset %s does not apply to --arch %s (its presets: %s)"
                             % (preset, args.arch, ", ".join(table)))
        p = table[preset]
        self.preset = preset
        self.seed = args.seed
        self.layers = p["layers"] if args.layers is None else args.layers
        self.dim = p["dim"] if args.dim is None else args.dim
        self.ffn = p["ffn"] if args.ffn is None else args.ffn
        self.heads = p["heads"] if args.heads is None else args.heads
        self.kv_heads = p["kv_heads"] if args.kv_heads is None else args.kv_heads
        self.vocab = p["vocab"] if args.vocab is None else args.vocab
        self.ctx = p["ctx"] if args.ctx is None else args.ctx
        if self.qwen3:
            default_theta, default_eps = 1000000.0, 1e-6
        elif self.arch in ("bitnet-b1.58", "bitnet-25"):
            default_theta, default_eps = 500000.0, 1e-5
        else:
            default_theta, default_eps = 10000.0, 1e-5
        self.rope_theta = default_theta if args.rope_theta is None else args.rope_theta
        self.eps = default_eps if args.eps is None else args.eps
        qwen3_only = {"--head-dim": args.head_dim, "--untied": args.untied or None,
                      "--tied": args.tied or None, "--yarn": args.yarn,
                      "--code3": args.code3 or None}
        if self.qwen3:
            self.n_special = len(QWEN3_SPECIALS)
            self.head_dim = p["head_dim"] if args.head_dim is None else args.head_dim
            self.untied = args.untied or (p["untied"] and not args.tied)
            self.yarn = args.yarn
            self.code3 = args.code3
        else:
            for flag, value in qwen3_only.items():
                if value is not None:
                    raise UsageError("%s applies to --arch qwen3 only" % flag)
            self.n_special = 256 if self.vocab == 128256 else 16
        self.validate()
        if not self.qwen3:
            self.head_dim = self.dim // self.heads
        self.kv_dim = self.kv_heads * self.head_dim
        self.q_dim = self.heads * self.head_dim

    # Architecture traits.
    @property
    def relu2(self):
        return self.arch in ("bitnet-b1.58", "bitnet-25")

    @property
    def sub_norms(self):
        return self.arch not in ("llama", "qwen3")

    @property
    def tied(self):
        if self.qwen3:
            return not self.untied
        return self.arch != "llama"

    @property
    def inverse_scale(self):
        """Packed HF weight_scale holds 1/scale (old TF BitLinear convention)."""
        return self.arch in ("bitnet", "llama")

    @property
    def name(self):
        return "trit-random-%s-seed%d" % (self.preset, self.seed)

    def validate(self):
        for field in ("layers", "dim", "ffn", "heads", "kv_heads", "vocab", "ctx"):
            if getattr(self, field) <= 0:
                raise UsageError("--%s must be positive" % field.replace("_", "-"))
        if self.seed < 0:
            raise UsageError("--seed must be non-negative")
        if self.heads % self.kv_heads:
            raise UsageError("--heads (%d) must be a multiple of --kv-heads (%d)"
                             % (self.heads, self.kv_heads))
        if self.qwen3:
            if self.head_dim <= 0 or self.head_dim % 2:
                raise UsageError("--head-dim (%d) must be positive and even for RoPE"
                                 % self.head_dim)
            if self.yarn is not None and not (self.yarn > 1 and math.isfinite(self.yarn)):
                raise UsageError("--yarn FACTOR must be a number above 1")
            if self.yarn is not None and int(self.ctx / self.yarn) < 1:
                raise UsageError("--yarn %g leaves no original context of --ctx %d"
                                 % (self.yarn, self.ctx))
        else:
            if self.dim % self.heads:
                raise UsageError("--dim (%d) must be a multiple of --heads (%d)"
                                 % (self.dim, self.heads))
            if (self.dim // self.heads) % 2:
                raise UsageError("head dim (dim/heads = %d) must be even for RoPE"
                                 % (self.dim // self.heads))
        if self.vocab <= 256 + self.n_special:
            raise UsageError("--vocab (%d) must exceed 256 byte tokens + %d special tokens"
                             % (self.vocab, self.n_special))
        if not (self.rope_theta > 0 and math.isfinite(self.rope_theta)):
            raise UsageError("--rope-theta must be a positive number")
        if not (self.eps > 0 and math.isfinite(self.eps)):
            raise UsageError("--eps must be a positive number")


# ----------------------------------------------------------------------------
# Float helpers (exact representability)
# ----------------------------------------------------------------------------

def bf16_bits(x):
    """float32 array -> bf16 bit patterns (uint16), round to nearest even."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    u = u + (np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1)))
    return (u >> np.uint32(16)).astype(np.uint16)


def bf16_to_f32(bits):
    """bf16 bit patterns (uint16) -> float32 array."""
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)


def round_bf16(x):
    """Round float32 values to the nearest bf16 value (returned as float32)."""
    return bf16_to_f32(bf16_bits(x))


def f16_bf16_exact(x):
    """Make float32 values exact in both fp16 and bf16: round to bf16, flush
    magnitudes below the fp16 normal range to zero, clip to the fp16 range
    (a bf16 value in [2^-14, 65280] has 8 significant bits and fits fp16)."""
    y = round_bf16(x)
    y[np.abs(y) < F16_MIN_NORMAL] = 0.0
    np.clip(y, -F16_SAFE_MAX, F16_SAFE_MAX, out=y)
    return y


def scalar_bf16(v):
    return float(round_bf16(np.array([v], dtype=np.float32))[0])


# ----------------------------------------------------------------------------
# Tokenizer
# ----------------------------------------------------------------------------

def bytes_to_unicode():
    """GPT-2 byte-level alphabet: list of (byte, char) in table order.

    Printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the other
    68 bytes, in increasing order, map to U+0100, U+0101, ...  The list order is
    the token id order of the 256 byte tokens (so space -> 'Ġ' has id 220, as in
    GPT-2 and Llama 3)."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    table = [(b, chr(b)) for b in printable]
    n = 0
    for b in range(256):
        if b not in printable:
            table.append((b, chr(256 + n)))
            n += 1
    return table


def special_token_names(n_special):
    """Llama-3 order: begin/end of text, reserved 0..3, header ids, reserved 4,
    eot, then reserved 5, 6, ..."""
    fixed = ["<|begin_of_text|>", "<|end_of_text|>",
             "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
             "<|reserved_special_token_2|>", "<|reserved_special_token_3|>",
             "<|start_header_id|>", "<|end_header_id|>",
             "<|reserved_special_token_4|>", "<|eot_id|>"]
    names = fixed[:n_special]
    for i in range(len(names), n_special):
        names.append("<|reserved_special_token_%d|>" % (i - 5))
    return names


def learn_bpe(text, byte_char, max_merges, presplit=_PRESPLIT):
    """Classic BPE on the pre-split words of `text`: repeatedly merge the most
    frequent adjacent pair (ties: lexicographically smallest pair) until no pair
    occurs twice or max_merges is reached.  A pair whose concatenation already
    exists as a token is skipped, so every merge creates a new token."""
    counts = {}
    for piece in presplit.findall(text):
        word = tuple(byte_char[b] for b in piece.encode("utf-8"))
        counts[word] = counts.get(word, 0) + 1
    words = list(counts.items())
    known = set(byte_char)
    merges = []
    banned = set()
    while len(merges) < max_merges:
        pairs = {}
        for word, c in words:
            for pair in zip(word, word[1:]):
                if pair not in banned:
                    pairs[pair] = pairs.get(pair, 0) + c
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        (a, b), count = best
        if count < 2:
            break
        if a + b in known:
            banned.add((a, b))
            continue
        known.add(a + b)
        merges.append((a, b))
        new_words = []
        for word, c in words:
            out = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new_words.append((tuple(out), c))
        words = new_words
    return merges


class Tokenizer:
    """tokens: list of strings by id; merges: list of (left, right)."""

    def __init__(self, cfg, rng):
        byte_table = bytes_to_unicode()
        byte_char = [None] * 256
        for b, ch in byte_table:
            byte_char[b] = ch
        tokens = [ch for _, ch in byte_table]
        n_regular = cfg.vocab - cfg.n_special
        self.specials = special_token_names(cfg.n_special)
        merges = learn_bpe(TRAINING_TEXT, byte_char, n_regular - 256)
        tokens += [a + b for a, b in merges]
        known = set(tokens) | set(self.specials)
        used = set(merges)
        # Deterministic random merges of existing tokens.  Pairs are drawn in
        # fixed-size batches of raw integers and reduced modulo the current
        # vocabulary size, so the result depends only on the rng stream.
        while len(tokens) < n_regular:
            draws = rng.integers(0, 1 << 62, size=(4096, 2), dtype=np.int64)
            for i, j in draws.tolist():
                a = tokens[i % len(tokens)]
                b = tokens[j % len(tokens)]
                ab = a + b
                if len(ab) > MAX_RANDOM_TOKEN_CHARS or ab in known or (a, b) in used:
                    continue
                known.add(ab)
                used.add((a, b))
                merges.append((a, b))
                tokens.append(ab)
                if len(tokens) == n_regular:
                    break
        self.regular = tokens
        self.merges = merges
        self.tokens = tokens + self.specials
        self.bos_id = n_regular + 0
        self.eos_id = n_regular + 1
        self.eot_id = n_regular + 9 if cfg.n_special > 9 else self.eos_id


# ----------------------------------------------------------------------------
# Model content
# ----------------------------------------------------------------------------

# Tensor slots.  The same slots exist for every architecture (a slot that an
# architecture does not use simply is not generated), so the ternary weights of
# one seed agree across architectures of the same shape.
GLOBAL_SLOTS = ("embed", "output_norm", "output")
LAYER_SLOTS = ("attn_norm", "q", "k", "v", "o", "attn_sub_norm",
               "ffn_norm", "gate", "up", "down", "ffn_sub_norm")
LINEARS = ("q", "k", "v", "o", "gate", "up", "down")


def derive_seeds(cfg, layer_slots):
    """The tokenizer's generator and a seed per global and per layer slot,
    all from cfg.seed: each parameter has its own stream, so a shape change
    in one leaves the others' values alone."""
    main = np.random.default_rng(cfg.seed)
    tok_seed, weight_seed = (int(s) for s in main.integers(0, 1 << 63, size=2, dtype=np.int64))
    wrng = np.random.default_rng(weight_seed)
    g = wrng.integers(0, 1 << 63, size=len(GLOBAL_SLOTS), dtype=np.int64)
    global_seeds = {name: int(s) for name, s in zip(GLOBAL_SLOTS, g)}
    ls = wrng.integers(0, 1 << 63, size=(cfg.layers, len(layer_slots)), dtype=np.int64)
    layer_seeds = [{name: int(s) for name, s in zip(layer_slots, row)} for row in ls]
    return np.random.default_rng(tok_seed), global_seeds, layer_seeds


class Model:
    """Deterministic generator of every parameter of one random model."""

    def __init__(self, cfg):
        self.cfg = cfg
        tok_rng, self.global_seeds, self.layer_seeds = derive_seeds(cfg, LAYER_SLOTS)
        self.tokenizer = Tokenizer(cfg, tok_rng)
        # Residual-branch gain: each BitLinear maps unit-RMS inputs to outputs
        # of std ~gain.  With a tied LM head and a unit-std embedding e, the
        # input token's own logit is ~|e|^2/|h|*sqrt(dim) while the others are
        # ~sqrt(dim) noise, so unless the 2*layers residual branches (std gain
        # each, thanks to the sub-norms) carry ~dim/8 variance in total, greedy
        # decoding just repeats the input token (measured: gain 1 repeats it
        # 100% of the time for tiny/small).  Hence gain^2 = dim/(4*layers).
        # The untied llama needs no boost, and having no sub-norms its gains
        # would compound (o(v), down(silu(gate)*up)), so it keeps gain 1.
        if cfg.tied:
            self.gain = max(1.0, math.sqrt(cfg.dim / (4.0 * cfg.layers)))
        else:
            self.gain = 1.0

    def _rng(self, layer, slot):
        seed = self.global_seeds[slot] if layer is None else self.layer_seeds[layer][slot]
        return np.random.default_rng(seed)

    def linear_shape(self, role):
        c = self.cfg
        return {"q": (c.dim, c.dim), "k": (c.kv_dim, c.dim), "v": (c.kv_dim, c.dim),
                "o": (c.dim, c.dim), "gate": (c.ffn, c.dim), "up": (c.ffn, c.dim),
                "down": (c.dim, c.ffn)}[role]

    def norm_size(self, slot):
        return self.cfg.ffn if slot == "ffn_sub_norm" else self.cfg.dim

    def _linear_scale_from(self, rng, n_in):
        # E[t^2] = 2/3, so gain/sqrt(n_in*2/3) gives outputs of std ~gain for
        # unit-RMS inputs.  A little jitter makes the 7 scales differ.
        target = self.gain * rng.uniform(0.85, 1.15) / math.sqrt(n_in * 2.0 / 3.0)
        if self.cfg.inverse_scale:
            s = 2.0 ** round(math.log2(target))     # 1/s exact as well
        else:
            s = scalar_bf16(target)
        if not (F16_MIN_NORMAL <= s <= F16_SAFE_MAX):
            raise UsageError("weight scale %g outside the fp16 normal range" % s)
        return s

    def linear_scale(self, layer, role):
        """The multiplier s of a linear (w_real = s * t); cheap."""
        return self._linear_scale_from(self._rng(layer, role), self.linear_shape(role)[1])

    def linear_codes(self, layer, role):
        """(codes, scale): codes uint8 [out, in] = t + 1 in HF row order,
        uniform over {0, 1, 2} so P(t = 0) = 1/3."""
        rng = self._rng(layer, role)
        out_f, in_f = self.linear_shape(role)
        scale = self._linear_scale_from(rng, in_f)
        codes = rng.integers(0, 3, size=(out_f, in_f), dtype=np.uint8)
        return codes, scale

    def norm(self, layer, slot):
        """RMSNorm gamma: 1 + small noise, bf16 values (float32 array)."""
        rng = self._rng(layer, slot)
        n = self.norm_size(slot)
        v = 1.0 + 0.1 * rng.standard_normal(n, dtype=np.float32)
        return round_bf16(v)

    def matrix_chunks(self, slot):
        """Embedding ('embed') or untied output matrix ('output'): [vocab, dim]
        standard-normal values exact in f16 and bf16, yielded as float32 row
        chunks of MATRIX_CHUNK_ROWS rows."""
        rng = self._rng(None, slot)
        vocab, dim = self.cfg.vocab, self.cfg.dim
        for r0 in range(0, vocab, MATRIX_CHUNK_ROWS):
            rows = min(MATRIX_CHUNK_ROWS, vocab - r0)
            yield f16_bf16_exact(rng.standard_normal((rows, dim), dtype=np.float32))


# ----------------------------------------------------------------------------
# Packings (all vectorized; `codes` are uint8 t+1 in {0, 1, 2})
# ----------------------------------------------------------------------------

def pack_i2_s(codes, scale):
    """I2_S: row-major element stream in blocks of 128; byte j of a block holds
    elements j, 32+j, 64+j, 96+j in bits 7:6, 5:4, 3:2, 1:0.  Then the f32
    scale at byte n/4 and zero padding to a 32-byte tail."""
    c = codes.reshape(-1, 4, 32)
    packed = (c[:, 0] << 6) | (c[:, 1] << 4) | (c[:, 2] << 2) | c[:, 3]
    tail = np.zeros(32, dtype=np.uint8)
    tail[:4] = np.frombuffer(struct.pack("<f", scale), dtype=np.uint8)
    return [packed.reshape(-1), tail]


def _block_d(codes_blocks, scale):
    """fp16 d per 256-block: the scale, or 0 for an all-zero block (all codes 1)."""
    nonzero = (codes_blocks != 1).any(axis=1)
    return np.where(nonzero, np.float16(scale), np.float16(0)).astype("<f2")


def pack_tq2_0(codes, scale):
    """TQ2_0: per 256 weights 64 bytes qs + fp16 d.  Each 128-element half uses
    32 bytes; byte m holds elements m, m+32, m+64, m+96 of the half in bits
    1:0, 3:2, 5:4, 7:6 (LSB first)."""
    blocks = codes.reshape(-1, QK_K)
    c = blocks.reshape(-1, 2, 4, 32)
    qs = c[:, :, 0] | (c[:, :, 1] << 2) | (c[:, :, 2] << 4) | (c[:, :, 3] << 6)
    out = np.empty((blocks.shape[0], 66), dtype=np.uint8)
    out[:, :64] = qs.reshape(-1, 64)
    out[:, 64:] = _block_d(blocks, scale).view(np.uint8).reshape(-1, 2)
    return [out.reshape(-1)]


def _trits_to_byte(digits):
    """digits: [..., k] base-3 digits, first most significant; k = 5, or 4
    followed by an implicit 0 digit.  Returns ceil(q * 256 / 243) as uint8, so
    digit n is recovered as ((uint8)(b * 3^n) * 3) >> 8."""
    q = np.zeros(digits.shape[:-1], dtype=np.uint16)
    for n in range(digits.shape[-1]):
        q = q * 3 + digits[..., n]
    if digits.shape[-1] == 4:
        q = q * 3
    return ((q * 256 + 242) // 243).astype(np.uint8)


def pack_tq1_0(codes, scale):
    """TQ1_0: per 256 weights qs[48] + qh[4] + fp16 d.  qs[0:32]: byte m holds
    elements m + 32n (n = 0..4) of elements 0..159; qs[32:48]: byte m holds
    160 + m + 16n of elements 160..239; qh[0:4]: byte j holds 240 + j + 4n
    (n = 0..3) of the last 16."""
    blocks = codes.reshape(-1, QK_K).astype(np.uint16)
    nb = blocks.shape[0]
    a = blocks[:, :160].reshape(nb, 5, 32).transpose(0, 2, 1)        # [nb, m, n]
    b = blocks[:, 160:240].reshape(nb, 5, 16).transpose(0, 2, 1)
    h = blocks[:, 240:].reshape(nb, 4, 4).transpose(0, 2, 1)
    out = np.empty((nb, 54), dtype=np.uint8)
    out[:, 0:32] = _trits_to_byte(a)
    out[:, 32:48] = _trits_to_byte(b)
    out[:, 48:52] = _trits_to_byte(h)
    out[:, 52:54] = _block_d(blocks, scale).view(np.uint8).reshape(-1, 2)
    return [out.reshape(-1)]


def pack_hf(codes):
    """HF packed uint8 [out/4, in]: byte P[r, c] holds rows r, r+R, r+2R, r+3R
    (R = out/4) in bit pairs 1:0, 3:2, 5:4, 7:6."""
    out_f, in_f = codes.shape
    c = codes.reshape(4, out_f // 4, in_f)
    return c[0] | (c[1] << 2) | (c[2] << 4) | (c[3] << 6)


def dequant_table(codes, scale, dtype):
    """scale * (codes - 1) via a 3-entry lookup (exact: scale is bf16/fp16)."""
    table = np.array([-scale, 0.0, scale], dtype=np.float32)
    if dtype == "bf16":
        return bf16_bits(table)[codes]
    return table.astype(dtype)[codes]


def llama_permute(rows, n_head):
    """llama.cpp converter permute of q/k rows: (n_head, 2, hd/2, in) ->
    swap axes 1, 2 -> back.  Turns half-rotation (NeoX) row order into the
    adjacent-pair order of llama's NORM rope."""
    out_f, in_f = rows.shape
    return (rows.reshape(n_head, 2, out_f // n_head // 2, in_f)
            .swapaxes(1, 2).reshape(out_f, in_f))


# ----------------------------------------------------------------------------
# GGUF writer
# ----------------------------------------------------------------------------

def _gguf_str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


class GGUFMeta:
    """Collects KV pairs in insertion order and serializes them."""

    def __init__(self):
        self.parts = []
        self.count = 0

    def _key(self, key, vtype):
        self.parts.append(_gguf_str(key) + struct.pack("<I", vtype))
        self.count += 1

    def u32(self, key, v):
        self._key(key, GGUF_U32)
        self.parts.append(struct.pack("<I", v))

    def f32(self, key, v):
        self._key(key, GGUF_F32)
        self.parts.append(struct.pack("<f", v))

    def boolean(self, key, v):
        self._key(key, GGUF_BOOL)
        self.parts.append(struct.pack("<B", 1 if v else 0))

    def string(self, key, v):
        self._key(key, GGUF_STR)
        self.parts.append(_gguf_str(v))

    def str_array(self, key, values):
        self._key(key, GGUF_ARR)
        self.parts.append(struct.pack("<IQ", GGUF_STR, len(values)))
        self.parts.append(b"".join(_gguf_str(v) for v in values))

    def num_array(self, key, vtype, arr):
        self._key(key, GGUF_ARR)
        self.parts.append(struct.pack("<IQ", vtype, len(arr)))
        self.parts.append(arr.tobytes())

    def serialize(self):
        return b"".join(self.parts)


def gguf_nbytes(ggml_type, ne):
    n = 1
    for d in ne:
        n *= d
    if ggml_type == GGML_I2_S:
        return n // 4 + 32
    if ggml_type == GGML_TQ2_0:
        return n // QK_K * 66
    if ggml_type == GGML_TQ1_0:
        return n // QK_K * 54
    return n * (2 if ggml_type == GGML_F16 else 4)


def _pad(n, align):
    return (n + align - 1) // align * align


def gguf_tensors(model, wtype, etype):
    """[(name, ne, ggml_type, producer)] in file order; producer() yields the
    tensor's bytes (numpy arrays) without holding any other tensor."""
    cfg = model.cfg
    emb_t = GGML_TYPE_OF[etype]
    lin_t = GGML_TYPE_OF[wtype]
    np_e = "<f2" if etype == "f16" else "<f4"

    def matrix(slot):
        def produce():
            for chunk in model.matrix_chunks(slot):
                yield chunk.astype(np_e)
        return produce

    def norm(layer, slot):
        return lambda: iter([model.norm(layer, slot).astype("<f4")])

    def linear(layer, role):
        def produce():
            codes, scale = model.linear_codes(layer, role)
            if cfg.arch == "llama" and role in ("q", "k"):
                codes = llama_permute(codes, cfg.heads if role == "q" else cfg.kv_heads)
            if wtype == "i2_s":
                return iter(pack_i2_s(codes, scale))
            if wtype == "tq2_0":
                return iter(pack_tq2_0(codes, scale))
            if wtype == "tq1_0":
                return iter(pack_tq1_0(codes, scale))
            return iter([dequant_table(codes, scale, "<f2" if wtype == "f16" else "<f4")])
        return produce

    out = [("token_embd.weight", [cfg.dim, cfg.vocab], emb_t, matrix("embed")),
           ("output_norm.weight", [cfg.dim], GGML_F32, norm(None, "output_norm"))]
    if not cfg.tied:
        out.append(("output.weight", [cfg.dim, cfg.vocab], emb_t, matrix("output")))
    gguf_linear = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output",
                   "gate": "ffn_gate", "up": "ffn_up", "down": "ffn_down"}
    for i in range(cfg.layers):
        for slot in LAYER_SLOTS:
            name = "blk.%d.%s.weight" % (i, gguf_linear.get(slot, slot))
            if slot in LINEARS:
                o, n_in = model.linear_shape(slot)
                out.append((name, [n_in, o], lin_t, linear(i, slot)))
            elif slot.endswith("sub_norm") and not cfg.sub_norms:
                continue
            else:
                out.append((name, [model.norm_size(slot)], GGML_F32, norm(i, slot)))
    return out


def write_gguf(path, model, wtype, etype, alignment):
    cfg = model.cfg
    tok = model.tokenizer
    arch = cfg.arch
    meta = GGUFMeta()
    meta.string("general.architecture", arch)
    meta.string("general.name", cfg.name)
    if alignment != 32:
        meta.u32("general.alignment", alignment)
    meta.u32(arch + ".vocab_size", cfg.vocab)
    meta.u32(arch + ".context_length", cfg.ctx)
    meta.u32(arch + ".embedding_length", cfg.dim)
    meta.u32(arch + ".block_count", cfg.layers)
    meta.u32(arch + ".feed_forward_length", cfg.ffn)
    meta.u32(arch + ".rope.dimension_count", cfg.head_dim)
    meta.f32(arch + ".rope.freq_base", cfg.rope_theta)
    meta.u32(arch + ".attention.head_count", cfg.heads)
    meta.u32(arch + ".attention.head_count_kv", cfg.kv_heads)
    meta.f32(arch + ".attention.layer_norm_rms_epsilon", cfg.eps)
    meta.u32("general.file_type", FILE_TYPE_OF[wtype])
    meta.string("tokenizer.ggml.model", "gpt2")
    meta.string("tokenizer.ggml.pre", "llama-bpe")
    meta.str_array("tokenizer.ggml.tokens", tok.tokens)
    types = np.ones(cfg.vocab, dtype="<i4")
    types[len(tok.regular):] = 3                       # CONTROL
    meta.num_array("tokenizer.ggml.token_type", GGUF_I32, types)
    meta.num_array("tokenizer.ggml.scores", GGUF_F32, np.zeros(cfg.vocab, dtype="<f4"))
    meta.str_array("tokenizer.ggml.merges", ["%s %s" % m for m in tok.merges])
    meta.u32("tokenizer.ggml.bos_token_id", tok.bos_id)
    meta.u32("tokenizer.ggml.eos_token_id", tok.eos_id)
    meta.u32("tokenizer.ggml.eot_token_id", tok.eot_id)
    meta.boolean("tokenizer.ggml.add_bos_token", True)
    meta.string("tokenizer.chat_template", CHAT_TEMPLATE)
    meta.u32("general.quantization_version", 2)

    tensors = gguf_tensors(model, wtype, etype)
    infos = []
    offset = 0
    for name, ne, ttype, _ in tensors:
        infos.append(_gguf_str(name) + struct.pack("<I", len(ne))
                     + struct.pack("<%dQ" % len(ne), *ne) + struct.pack("<IQ", ttype, offset))
        offset += _pad(gguf_nbytes(ttype, ne), alignment)

    with open(path, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), meta.count))
        f.write(meta.serialize())
        f.write(b"".join(infos))
        f.write(b"\0" * (_pad(f.tell(), alignment) - f.tell()))
        for name, ne, ttype, produce in tensors:
            size = 0
            for part in produce():
                f.write(memoryview(np.ascontiguousarray(part)).cast("B"))
                size += part.nbytes
            expect = gguf_nbytes(ttype, ne)
            assert size == expect, (name, size, expect)
            f.write(b"\0" * (_pad(size, alignment) - size))
    return len(tensors)


# ----------------------------------------------------------------------------
# Hugging Face writer
# ----------------------------------------------------------------------------

ST_DTYPE_SIZE = {"U8": 1, "BF16": 2, "F16": 2, "F32": 4}


def hf_tensors(model, hf_weights):
    """{name: (dtype, shape, producer)}; producer() yields the bytes."""
    cfg = model.cfg
    out = {}

    def matrix(slot):
        return lambda: (bf16_bits(c) for c in model.matrix_chunks(slot))

    def norm(layer, slot):
        return lambda: iter([bf16_bits(model.norm(layer, slot))])

    def packed(layer, role):
        return lambda: iter([pack_hf(model.linear_codes(layer, role)[0])])

    def master(layer, role, dtype):
        # NB: an importer re-derives the scale of a master weight as absmean
        # mean|W| = c * (fraction of non-zeros), about 2/3 of c; the ternary
        # values round(W / mean|W|) clamped to [-1, 1] equal t again (|t|*1.5
        # rounds to 2 and clamps to 1), so master form and GGUF agree in t but
        # the master scale is derived, not stored.
        def produce():
            codes, scale = model.linear_codes(layer, role)
            return iter([dequant_table(codes, scale, dtype)])
        return produce

    def weight_scale(layer, role):
        def produce():
            s = model.linear_scale(layer, role)
            return iter([bf16_bits(np.array([1.0 / s if cfg.inverse_scale else s],
                                            dtype=np.float32))])
        return produce

    out["model.embed_tokens.weight"] = ("BF16", [cfg.vocab, cfg.dim], matrix("embed"))
    out["model.norm.weight"] = ("BF16", [cfg.dim], norm(None, "output_norm"))
    if not cfg.tied:
        out["lm_head.weight"] = ("BF16", [cfg.vocab, cfg.dim], matrix("output"))
    if cfg.arch == "bitnet":
        sub = {"attn_sub_norm": "self_attn.inner_attn_ln", "ffn_sub_norm": "mlp.ffn_layernorm"}
    else:
        sub = {"attn_sub_norm": "self_attn.attn_sub_norm", "ffn_sub_norm": "mlp.ffn_sub_norm"}
    lin = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj",
           "o": "self_attn.o_proj", "gate": "mlp.gate_proj", "up": "mlp.up_proj",
           "down": "mlp.down_proj"}
    for i in range(cfg.layers):
        pre = "model.layers.%d." % i
        out[pre + "input_layernorm.weight"] = ("BF16", [cfg.dim], norm(i, "attn_norm"))
        out[pre + "post_attention_layernorm.weight"] = ("BF16", [cfg.dim], norm(i, "ffn_norm"))
        if cfg.sub_norms:
            for slot, hf in sub.items():
                out[pre + hf + ".weight"] = ("BF16", [model.norm_size(slot)], norm(i, slot))
        for role, hf in lin.items():
            o, n_in = model.linear_shape(role)
            if hf_weights == "packed":
                out[pre + hf + ".weight"] = ("U8", [o // 4, n_in], packed(i, role))
                out[pre + hf + ".weight_scale"] = ("BF16", [1], weight_scale(i, role))
            elif hf_weights == "bf16":
                out[pre + hf + ".weight"] = ("BF16", [o, n_in], master(i, role, "bf16"))
            else:
                out[pre + hf + ".weight"] = ("F32", [o, n_in], master(i, role, "<f4"))
    return out


def _st_nbytes(dtype, shape):
    n = ST_DTYPE_SIZE[dtype]
    for d in shape:
        n *= d
    return n


def write_safetensors(path, names, tensors):
    """Write `names` (in this order) into one safetensors file: u64 header
    length, JSON header padded with spaces to 8 bytes, contiguous data."""
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name in names:
        dtype, shape, _ = tensors[name]
        size = _st_nbytes(dtype, shape)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (_pad(len(hjson), 8) - len(hjson))
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for name in names:
            dtype, shape, produce = tensors[name]
            size = 0
            for part in produce():
                f.write(memoryview(np.ascontiguousarray(part)).cast("B"))
                size += part.nbytes
            assert size == _st_nbytes(dtype, shape), name


def _write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_hf(folder, model, hf_weights, shards):
    cfg = model.cfg
    tok = model.tokenizer
    tensors = hf_tensors(model, hf_weights)       # lazy: nothing generated yet
    names = sorted(tensors)
    if shards > len(names):
        raise UsageError("--shards (%d) exceeds the number of tensors (%d)" % (shards, len(names)))
    os.makedirs(folder, exist_ok=True)

    # config.json
    if cfg.arch == "llama":
        arch_name, model_type = "LlamaForCausalLM", "llama"
    elif cfg.arch == "bitnet":
        arch_name, model_type = "BitnetForCausalLM", "bitnet"
    else:
        arch_name, model_type = "BitNetForCausalLM", "bitnet"
    config = {
        "architectures": [arch_name],
        "model_type": model_type,
        "hidden_size": cfg.dim,
        "intermediate_size": cfg.ffn,
        "num_hidden_layers": cfg.layers,
        "num_attention_heads": cfg.heads,
        "num_key_value_heads": cfg.kv_heads,
        "vocab_size": cfg.vocab,
        "max_position_embeddings": cfg.ctx,
        "rope_theta": cfg.rope_theta,
        "rms_norm_eps": cfg.eps,
        "hidden_act": "relu2" if cfg.relu2 else "silu",
        "tie_word_embeddings": cfg.tied,
        "bos_token_id": tok.bos_id,
        "eos_token_id": tok.eos_id,
        "torch_dtype": "bfloat16",
    }
    if hf_weights == "packed":
        if cfg.inverse_scale:
            config["quantization_config"] = {"quant_method": "bitnet",
                                             "modules_to_not_convert": ["lm_head"]}
        else:
            config["quantization_config"] = {"quant_method": "bitnet",
                                             "linear_class": "autobitlinear",
                                             "quantization_mode": "offline"}
    _write_json(os.path.join(folder, "config.json"), config)
    _write_json(os.path.join(folder, "generation_config.json"),
                {"bos_token_id": tok.bos_id, "eos_token_id": [tok.eos_id, tok.eot_id]})

    # tokenizer.json / tokenizer_config.json
    n_regular = len(tok.regular)
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": n_regular + i, "content": s, "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": False,
                          "special": True} for i, s in enumerate(tok.specials)],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_REGEX},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
             "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": {t: i for i, t in enumerate(tok.regular)},
                  "merges": ["%s %s" % m for m in tok.merges]},
    }
    _write_json(os.path.join(folder, "tokenizer.json"), tokenizer)
    _write_json(os.path.join(folder, "tokenizer_config.json"), {
        "bos_token": tok.tokens[tok.bos_id],
        "eos_token": tok.tokens[tok.eos_id],
        "add_bos_token": True,
        "chat_template": CHAT_TEMPLATE,
        "model_max_length": cfg.ctx,
        "tokenizer_class": "PreTrainedTokenizerFast",
    })

    # Weights.
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), names, tensors)
    else:
        # Contiguous runs of the sorted names with about equal byte sizes.
        sizes = [_st_nbytes(tensors[n][0], tensors[n][1]) for n in names]
        total = sum(sizes)
        groups = [[] for _ in range(shards)]
        acc = 0
        k = 0
        for idx, (name, size) in enumerate(zip(names, sizes)):
            left = len(names) - idx
            # Move on once this shard has its share, keeping one name for each
            # remaining shard.
            if groups[k] and (acc >= total * (k + 1) / shards or left <= shards - 1 - k):
                k += 1
            groups[k].append(name)
            acc += size
        weight_map = {}
        for k, group in enumerate(groups):
            fname = "model-%05d-of-%05d.safetensors" % (k + 1, shards)
            write_safetensors(os.path.join(folder, fname), group, tensors)
            for name in group:
                weight_map[name] = fname
        _write_json(os.path.join(folder, "model.safetensors.index.json"),
                    {"metadata": {"total_size": total}, "weight_map": weight_map})
    return len(names)


# ----------------------------------------------------------------------------
# Qwen3 / Ternary Bonsai (--arch qwen3)
# ----------------------------------------------------------------------------
#
# Written from ../shared/reference/bonsai-ternary.md (s. 1.2-1.4 block
# layouts, s. 2 metadata, tensors and tokenizer); block layouts checked in
# ggml-org/ggml's ggml-common.h and ggml-quants.c (Q1_0, Q2_0) and in
# PrismML's fork's quants.c (PQ2_0, PTQ1_0).

GGML_Q1_0, GGML_Q2_0, GGML_PQ2_0, GGML_PTQ1_0 = 41, 42, 142, 143

# name -> (ggml type id, weights per block, bytes per block, general.file_type).
# q2_0_g128 is the legacy PrismML layout stored under id 42: the PQ2_0 block
# (same bytes, 5.6% smaller than Q2_0's), told apart from Q2_0 by its size.
# File types as in PrismML's llama.h (LLAMA_FTYPE_MOSTLY_Q1_0 = 40, _Q2_0 =
# 41, _PQ2_0 = 141, _PTQ1_0 = 143); readers must not rely on them.
QWEN3_TYPES = {
    "q2_0": (GGML_Q2_0, 64, 18, 41),
    "q2_0_g128": (GGML_Q2_0, 128, 34, 41),
    "pq2_0": (GGML_PQ2_0, 128, 34, 141),
    "ptq1_0": (GGML_PTQ1_0, 128, 28, 143),
    "q1_0": (GGML_Q1_0, 128, 18, 40),
}
# The types whose 2-bit codec can hold code 3 (value +2): --code3.
QWEN3_CODE3_TYPES = ("q2_0", "q2_0_g128", "pq2_0")

# Qwen2/Qwen3 pre-split (tokenizer.ggml.pre "qwen2"): Llama 3's with single
# digits, in Python `re` spelling (see _PRESPLIT).
_QWEN_PRESPLIT = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|(?:[^\r\n\w]|_)?[^\W\d_]+|\d|"
                            r" ?(?:[^\s\w]|_)+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# Qwen3's added tokens in id order after the regular ones (151643 ... 151668
# in the real vocabulary), with the token type llama.cpp's converter gives
# them: CONTROL (3) for special tokens and for "<|...|>" names, USER_DEFINED
# (4) for the rest (<tool_call>, <think>, ...).  Pad entries "[PADn]" after
# them are UNUSED (5).
QWEN3_SPECIALS = (
    ("<|endoftext|>", 3), ("<|im_start|>", 3), ("<|im_end|>", 3),
    ("<|object_ref_start|>", 3), ("<|object_ref_end|>", 3), ("<|box_start|>", 3),
    ("<|box_end|>", 3), ("<|quad_start|>", 3), ("<|quad_end|>", 3),
    ("<|vision_start|>", 3), ("<|vision_end|>", 3), ("<|vision_pad|>", 3),
    ("<|image_pad|>", 3), ("<|video_pad|>", 3), ("<tool_call>", 4), ("</tool_call>", 4),
    ("<|fim_prefix|>", 3), ("<|fim_middle|>", 3), ("<|fim_suffix|>", 3),
    ("<|fim_pad|>", 3), ("<|repo_name|>", 3), ("<|file_sep|>", 3),
    ("<tool_response>", 4), ("</tool_response>", 4), ("<think>", 4), ("</think>", 4),
)
QWEN3_REGULAR = 151643          # regular tokens of the real vocabulary
TOKEN_NORMAL, TOKEN_UNUSED = 1, 5

# Qwen3-style ChatML: "<|im_start|>role\n...<|im_end|>\n" per message, the
# generation prompt "<|im_start|>assistant\n", and with thinking switched
# off the empty think block Qwen3's template pre-fills.
QWEN3_CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}"
    "{%- endif %}"
    "{%- endif %}"
)

QWEN3_LAYER_SLOTS = ("attn_norm", "q", "k", "v", "o", "q_norm", "k_norm",
                     "ffn_norm", "gate", "up", "down")
QWEN3_MATRICES = ("q", "k", "v", "o", "gate", "up", "down")
QWEN3_GGUF_NAMES = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output",
                    "q_norm": "attn_q_norm", "k_norm": "attn_k_norm", "gate": "ffn_gate",
                    "up": "ffn_up", "down": "ffn_down"}

# Rows per generated chunk of a matrix: fixed, so the values do not depend on
# the type, and small enough that the 8B preset's 622M-weight embedding is
# never in memory at once.
QWEN3_CHUNK_ROWS = 1024


class QwenTokenizer:
    """A Qwen2/Qwen3-shaped byte-level BPE vocabulary, synthesized quickly.

    256 byte tokens in GPT-2 order, merges learned from TRAINING_TEXT with the
    qwen2 pre-split, then random merges (any token + a short one, so tokens
    stay word-sized and few draws are rejected) up to the regular count
    (151643 for a 151936 vocabulary, so 151387 merges as in the real file),
    then QWEN3_SPECIALS, then "[PADn]" entries up to --vocab."""

    def __init__(self, cfg, rng):
        byte_char = [None] * 256
        for b, ch in bytes_to_unicode():
            byte_char[b] = ch
        tokens = [ch for b, ch in bytes_to_unicode()]
        n_real = min(cfg.vocab, QWEN3_REGULAR + len(QWEN3_SPECIALS))
        n_regular = n_real - len(QWEN3_SPECIALS)
        merges = learn_bpe(TRAINING_TEXT, byte_char, n_regular - 256, _QWEN_PRESPLIT)
        tokens += [a + b for a, b in merges]
        n_short = len(tokens)
        known = set(tokens) | {s for s, _ in QWEN3_SPECIALS}
        while len(tokens) < n_regular:
            draws = rng.integers(0, 1 << 62, size=(4096, 2), dtype=np.int64)
            for i, j in draws.tolist():
                a = tokens[i % len(tokens)]
                b = tokens[j % n_short]
                ab = a + b
                if len(ab) > MAX_RANDOM_TOKEN_CHARS or ab in known:
                    continue
                known.add(ab)
                merges.append((a, b))
                tokens.append(ab)
                if len(tokens) == n_regular:
                    break
        self.regular = tokens
        self.merges = merges
        self.specials = [s for s, _ in QWEN3_SPECIALS]
        self.tokens = tokens + self.specials + ["[PAD%d]" % i for i in range(n_real, cfg.vocab)]
        self.types = np.full(cfg.vocab, TOKEN_NORMAL, dtype="<i4")
        self.types[n_regular:n_real] = [t for _, t in QWEN3_SPECIALS]
        self.types[n_real:] = TOKEN_UNUSED
        self.endoftext_id = n_regular
        self.eos_id = n_regular + self.specials.index("<|im_end|>")


class Qwen3Model:
    """Deterministic generator of a random Ternary-Bonsai-shaped model.

    Slots as for the BitNet models (a seed per global slot, then one per
    QWEN3_LAYER_SLOTS entry per layer).  A matrix slot's generator draws the
    zero fraction, then independent seeds for the codes, the group-64 scales,
    the group-128 scales and the code-3 sprinkles: so one seed gives the same
    codes in every type, the same scales in every group-128 type (q2_0_g128,
    pq2_0, ptq1_0 decode to identical weights), and q1_0 the signs of the
    same draws.  Codes come from random bytes through a table: P(0) = p0 in
    [0.30, 0.40] per matrix (absmean ternarization of Gaussian weights gives
    about 0.31), -1 and +1 equally likely.  Scales are m * 2^(e-10) with m a
    random 11-bit mantissa in [1024, 2047], so they are fp16-exact and
    differ from group to group; e is chosen so the scales average about
    gain / sqrt(nonzero * fan_in): outputs of std ~gain for unit-RMS inputs.
    Gains: 1 for the layer matrices, 0.5 for the (tied) embedding, 2 for an
    untied output.  A tied head computes logits e_v . h: the input token's
    own logit grows with |e|^2 while the others grow with |e| |h|, so the
    embedding must be small against the residual branches or greedy decoding
    repeats the input token."""

    def __init__(self, cfg):
        self.cfg = cfg
        tok_rng, self.global_seeds, self.layer_seeds = derive_seeds(cfg, QWEN3_LAYER_SLOTS)
        self.tokenizer = QwenTokenizer(cfg, tok_rng)

    def _rng(self, layer, slot):
        seed = self.global_seeds[slot] if layer is None else self.layer_seeds[layer][slot]
        return np.random.default_rng(seed)

    def matrix_shape(self, slot):
        """(rows, cols) = (out, in); cols is ggml's ne0."""
        c = self.cfg
        return {"embed": (c.vocab, c.dim), "output": (c.vocab, c.dim),
                "q": (c.q_dim, c.dim), "k": (c.kv_dim, c.dim), "v": (c.kv_dim, c.dim),
                "o": (c.dim, c.q_dim), "gate": (c.ffn, c.dim), "up": (c.ffn, c.dim),
                "down": (c.dim, c.ffn)}[slot]

    def norm(self, layer, slot):
        """RMSNorm gamma (attn_q_norm / attn_k_norm are head_dim wide)."""
        rng = self._rng(layer, slot)
        n = self.cfg.head_dim if slot in ("q_norm", "k_norm") else self.cfg.dim
        return round_bf16(1.0 + 0.1 * rng.standard_normal(n, dtype=np.float32))

    def matrix_chunks(self, layer, slot, group, binary=False):
        """Yields (codes, d) per QWEN3_CHUNK_ROWS rows: codes uint8 [rows,
        cols] (value = code - 1; with `binary`, sign bits: 1 = +d), d float16
        [rows, cols / group]."""
        rng = self._rng(layer, slot)
        rows, cols = self.matrix_shape(slot)
        p0 = float(rng.uniform(0.30, 0.40))
        s_codes, s64, s128, s3 = (int(v) for v in
                                  rng.integers(0, 1 << 63, size=4, dtype=np.int64))
        gain = {"embed": 0.5, "output": 2.0}.get(slot, 1.0)
        nonzero = 1.0 if binary else 1.0 - p0
        exp = int(round(math.log2(gain / math.sqrt(nonzero * cols) / 1.5)))
        if not -14 <= exp <= 14:
            raise UsageError("group scales near 2^%d are outside the fp16 normal range" % exp)
        # Byte -> code: [0, t0) zero, [t0, t1) -1, [t1, 256) +1.  Binary: +1
        # for [t1, 256) and for the upper half of the zeros.
        t0 = int(round(p0 * 256))
        t1 = t0 + (256 - t0) // 2
        byte = np.arange(256)
        if binary:
            lut = ((byte >= t1) | ((byte >= t0 // 2) & (byte < t0))).astype(np.uint8)
        else:
            lut = np.where(byte < t0, 1, np.where(byte < t1, 0, 2)).astype(np.uint8)
        crng = np.random.default_rng(s_codes)
        srng = np.random.default_rng(s64 if group == 64 else s128)
        rng3 = np.random.default_rng(s3)
        for r0 in range(0, rows, QWEN3_CHUNK_ROWS):
            r = min(QWEN3_CHUNK_ROWS, rows - r0)
            u = np.frombuffer(crng.bytes(r * cols), dtype=np.uint8).reshape(r, cols)
            codes = lut[u]
            if self.cfg.code3 and not binary:
                codes[rng3.random((r, cols), dtype=np.float32) < np.float32(1 / 256)] = 3
            m = srng.integers(1024, 2048, size=(r, cols // group), dtype=np.int32)
            d = np.ldexp(m.astype(np.float32), exp - 10).astype(np.float16)
            yield codes, d


def _d_bytes(d, shape):
    return np.ascontiguousarray(d, dtype="<f2").view(np.uint8).reshape(shape + (2,))


def pack_q2_0(codes, d, group):
    """Q2_0 (group 64) and PQ2_0 / legacy Q2_0 (group 128): per group an fp16
    d, then group/4 bytes; element j is the 2-bit field at bits 2*(j%4) of
    byte j/4."""
    rows, cols = codes.shape
    ng = cols // group
    c = codes.reshape(rows, ng, group // 4, 4)
    out = np.empty((rows, ng, 2 + group // 4), dtype=np.uint8)
    out[..., :2] = _d_bytes(d, (rows, ng))
    out[..., 2:] = c[..., 0] | (c[..., 1] << 2) | (c[..., 2] << 4) | (c[..., 3] << 6)
    return out.reshape(-1)


def pack_ptq1_0(codes, d):
    """PTQ1_0: per 128 weights qs[24], qh[2], then the fp16 d.  qs[m] (m < 16)
    holds elements m + 16n, qs[16 + m] holds 80 + m + 8n (n = 0..4), qh[h]
    holds 120 + h + 2n (n = 0..3); digit n = 0 most significant (as TQ1_0,
    see _trits_to_byte)."""
    blocks = codes.reshape(-1, 128).astype(np.uint16)
    nb = blocks.shape[0]
    out = np.empty((nb, 28), dtype=np.uint8)
    out[:, 0:16] = _trits_to_byte(blocks[:, 0:80].reshape(nb, 5, 16).transpose(0, 2, 1))
    out[:, 16:24] = _trits_to_byte(blocks[:, 80:120].reshape(nb, 5, 8).transpose(0, 2, 1))
    out[:, 24:26] = _trits_to_byte(blocks[:, 120:128].reshape(nb, 4, 2).transpose(0, 2, 1))
    out[:, 26:28] = _d_bytes(d, (nb,))
    return out.reshape(-1)


def pack_q1_0(bits, d):
    """Q1_0: per 128 weights an fp16 d, then 16 bytes; bit j (LSB first) of
    byte j/8 set means +d, clear -d."""
    rows, cols = bits.shape
    ng = cols // 128
    out = np.empty((rows, ng, 18), dtype=np.uint8)
    out[..., :2] = _d_bytes(d, (rows, ng))
    out[..., 2:] = np.packbits(bits.reshape(rows, ng, 128), axis=-1, bitorder="little")
    return out.reshape(-1)


def qwen3_tensors(model, qtype):
    """[(name, ne, ggml_type, nbytes, producer)] in file order."""
    cfg = model.cfg
    type_id, group, block_bytes, _ = QWEN3_TYPES[qtype]
    binary = qtype == "q1_0"

    def matrix(layer, slot):
        rows, cols = model.matrix_shape(slot)

        def produce():
            for codes, d in model.matrix_chunks(layer, slot, group, binary):
                if binary:
                    yield pack_q1_0(codes, d)
                elif qtype == "ptq1_0":
                    yield pack_ptq1_0(codes, d)
                else:
                    yield pack_q2_0(codes, d, group)
        return ([cols, rows], type_id, rows * (cols // group) * block_bytes, produce)

    def norm(layer, slot):
        n = cfg.head_dim if slot in ("q_norm", "k_norm") else cfg.dim
        return ([n], GGML_F32, 4 * n, lambda: iter([model.norm(layer, slot).astype("<f4")]))

    out = [("token_embd.weight",) + matrix(None, "embed"),
           ("output_norm.weight",) + norm(None, "output_norm")]
    if not cfg.tied:
        out.append(("output.weight",) + matrix(None, "output"))
    for i in range(cfg.layers):
        for slot in QWEN3_LAYER_SLOTS:
            name = "blk.%d.%s.weight" % (i, QWEN3_GGUF_NAMES.get(slot, slot))
            if slot in QWEN3_MATRICES:
                out.append((name,) + matrix(i, slot))
            else:
                out.append((name,) + norm(i, slot))
    return out


def write_gguf_qwen3(path, model, qtype, alignment):
    """A qwen3 GGUF as llama.cpp's converter and quantizer write it (keys,
    key order and tensor names of s. 2.1-2.3), streamed tensor by tensor and
    chunk by chunk."""
    cfg = model.cfg
    tok = model.tokenizer
    meta = GGUFMeta()
    meta.string("general.architecture", "qwen3")
    meta.string("general.type", "model")
    meta.string("general.name", cfg.name)
    if alignment != 32:
        meta.u32("general.alignment", alignment)
    meta.u32("qwen3.block_count", cfg.layers)
    meta.u32("qwen3.context_length", cfg.ctx)
    meta.u32("qwen3.embedding_length", cfg.dim)
    meta.u32("qwen3.feed_forward_length", cfg.ffn)
    meta.u32("qwen3.attention.head_count", cfg.heads)
    meta.u32("qwen3.attention.head_count_kv", cfg.kv_heads)
    meta.f32("qwen3.rope.freq_base", cfg.rope_theta)
    meta.f32("qwen3.attention.layer_norm_rms_epsilon", cfg.eps)
    meta.u32("qwen3.attention.key_length", cfg.head_dim)
    meta.u32("qwen3.attention.value_length", cfg.head_dim)
    if cfg.yarn is not None:
        meta.string("qwen3.rope.scaling.type", "yarn")
        meta.f32("qwen3.rope.scaling.factor", cfg.yarn)
        meta.u32("qwen3.rope.scaling.original_context_length", int(cfg.ctx / cfg.yarn))
    meta.u32("general.file_type", QWEN3_TYPES[qtype][3])
    meta.string("tokenizer.ggml.model", "gpt2")
    meta.string("tokenizer.ggml.pre", "qwen2")
    meta.str_array("tokenizer.ggml.tokens", tok.tokens)
    meta.num_array("tokenizer.ggml.token_type", GGUF_I32, tok.types)
    meta.str_array("tokenizer.ggml.merges", ["%s %s" % m for m in tok.merges])
    meta.u32("tokenizer.ggml.eos_token_id", tok.eos_id)
    meta.u32("tokenizer.ggml.padding_token_id", tok.endoftext_id)
    meta.u32("tokenizer.ggml.bos_token_id", tok.endoftext_id)
    meta.boolean("tokenizer.ggml.add_bos_token", False)
    meta.string("tokenizer.chat_template", QWEN3_CHAT_TEMPLATE)
    meta.u32("general.quantization_version", 2)
    return _write_gguf_file(path, meta, qwen3_tensors(model, qtype), alignment)


def _write_gguf_file(path, meta, tensors, alignment):
    """Header, metadata, tensor infos, then each tensor's bytes from its
    producer, padded to the alignment.  tensors: [(name, ne, type, nbytes,
    producer)]."""
    infos = []
    offset = 0
    for name, ne, ttype, nbytes, _ in tensors:
        infos.append(_gguf_str(name) + struct.pack("<I", len(ne))
                     + struct.pack("<%dQ" % len(ne), *ne) + struct.pack("<IQ", ttype, offset))
        offset += _pad(nbytes, alignment)
    with open(path, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), meta.count))
        f.write(meta.serialize())
        f.write(b"".join(infos))
        f.write(b"\0" * (_pad(f.tell(), alignment) - f.tell()))
        for name, ne, ttype, nbytes, produce in tensors:
            size = 0
            for part in produce():
                f.write(memoryview(np.ascontiguousarray(part)).cast("B"))
                size += part.nbytes
            assert size == nbytes, (name, size, nbytes)
            f.write(b"\0" * (_pad(size, alignment) - size))
    return len(tensors)


# ----------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="trit-gen-model.py",
        description="Generate a random ternary model (deterministic per seed) as a "
                    "GGUF file or a Hugging Face safetensors folder.  The GGUF and HF forms "
                    "of one seed decode to exactly the same ternary weights, scales, norms, "
                    "embeddings and tokenizer.  --arch qwen3 writes Ternary-Bonsai-shaped "
                    "GGUF files (group-scaled ternary embedding, layers and head).",
        epilog="presets: tiny = 2 layers, dim 256, ffn 512, 4/2 heads, vocab 512, ctx 256; "
               "small = 4 layers, dim 512, ffn 1536, 8/2 heads, vocab 2048, ctx 512; "
               "2b4t = 30 layers, dim 2560, ffn 6912, 20/5 heads, vocab 128256, ctx 4096 "
               "(the BitNet b1.58 2B4T shape).  --arch qwen3: qwen3-tiny (default) = 2 "
               "layers, dim 256, ffn 640, 4/2 heads of 96, vocab 512, ctx 512; "
               "bonsai-1.7b = 28 layers, dim 2048, ffn 6144, 16/8 heads of 128; "
               "bonsai-4b = 36, 2560, 9728, 32/8 heads; bonsai-8b = 36, 4096, 12288, 32/8 "
               "heads, untied output (the three with Qwen3's 151936-entry vocabulary).  "
               "Examples: "
               "trit-gen-model.py tiny.gguf --format gguf --type tq2_0;  "
               "trit-gen-model.py tiny-hf --format hf --arch llama --shards 2;  "
               "trit-gen-model.py b.gguf --format gguf --arch qwen3 --preset bonsai-1.7b")
    ap.add_argument("out", metavar="OUT", help="output .gguf file (gguf) or folder (hf, created)")
    ap.add_argument("--format", required=True, choices=("gguf", "hf"), help="output format")
    ap.add_argument("--arch", default="bitnet-b1.58", choices=ARCHS,
                    help="architecture (default: %(default)s)")
    ap.add_argument("--preset", choices=tuple(PRESETS) + tuple(QWEN3_PRESETS),
                    help="base shape (default: tiny, qwen3-tiny for --arch qwen3); "
                         "explicit flags override it")
    g = ap.add_argument_group("shape overrides")
    g.add_argument("--layers", type=int, help="number of transformer blocks")
    g.add_argument("--dim", type=int, help="hidden size")
    g.add_argument("--ffn", type=int, help="FFN intermediate size")
    g.add_argument("--heads", type=int, help="attention heads")
    g.add_argument("--kv-heads", type=int, help="key/value heads (GQA)")
    g.add_argument("--head-dim", type=int,
                   help="qwen3: attention head size (key_length = value_length), "
                        "independent of dim/heads")
    g.add_argument("--vocab", type=int,
                   help="vocabulary size incl. special tokens (256 specials if 128256, else 16; "
                        "qwen3: Qwen3's 26 added tokens, then [PADn] entries past 151669)")
    g.add_argument("--ctx", type=int, help="context length")
    g.add_argument("--rope-theta", type=float,
                   help="RoPE base (default 500000 for bitnet-b1.58/bitnet-25, 1000000 for "
                        "qwen3, else 10000)")
    g.add_argument("--eps", type=float, help="RMSNorm epsilon (default 1e-5; qwen3 1e-6)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    g = ap.add_argument_group("gguf options")
    g.add_argument("--type", choices=tuple(GGML_TYPE_OF) + tuple(QWEN3_TYPES),
                   help="type of the 7 ternary linears per layer (default: i2_s); for "
                        "--arch qwen3 the type of every matrix, embedding and head included: "
                        "q2_0 (id 42, group 64; default), q2_0_g128 (the legacy PrismML "
                        "group-128 block under id 42), pq2_0 (142), ptq1_0 (143), q1_0 (41)")
    g.add_argument("--embd-type", choices=("f16", "f32"),
                   help="type of token_embd (and llama output) (default: f16)")
    g.add_argument("--alignment", type=int,
                   help="data alignment, a power of two (default: 32; general.alignment "
                        "is written only when it differs from 32)")
    g = ap.add_argument_group("qwen3 options")
    t = g.add_mutually_exclusive_group()
    t.add_argument("--untied", action="store_true",
                   help="write output.weight (default for bonsai-8b)")
    t.add_argument("--tied", action="store_true",
                   help="no output.weight: the head is token_embd (default but for bonsai-8b)")
    g.add_argument("--yarn", type=float, metavar="FACTOR",
                   help="write rope.scaling.type=yarn, rope.scaling.factor=FACTOR and "
                        "rope.scaling.original_context_length=ctx/FACTOR")
    g.add_argument("--code3", action="store_true",
                   help="fuzz case: sprinkle the legal but non-ternary code 3 (value +2) into "
                        "about 1/256 of the weights (q2_0, q2_0_g128, pq2_0)")
    g = ap.add_argument_group("hf options")
    g.add_argument("--hf-weights", choices=("packed", "bf16", "f32"),
                   help="packed = uint8 + weight_scale (default); bf16/f32 = master weights t*scale")
    g.add_argument("--shards", type=int,
                   help="number of safetensors files (default: 1; N>1 also writes the index)")
    return ap.parse_args(argv)


def check_options(args, cfg):
    """Format-specific option checks; fills defaults."""
    gguf_only = {"--type": args.type, "--embd-type": args.embd_type, "--alignment": args.alignment}
    hf_only = {"--hf-weights": args.hf_weights, "--shards": args.shards}
    wrong = hf_only if args.format == "gguf" else gguf_only
    for flag, value in wrong.items():
        if value is not None:
            raise UsageError("%s does not apply to --format %s" % (flag, args.format))
    if cfg.qwen3:
        if args.format != "gguf":
            raise UsageError("--arch qwen3 is written as GGUF only")
        if args.embd_type is not None:
            raise UsageError("--embd-type does not apply to --arch qwen3 (the embedding has "
                             "the --type of every matrix)")
        args.type = args.type or "q2_0"
        if args.type not in QWEN3_TYPES:
            raise UsageError("--type %s does not apply to --arch qwen3 (%s)"
                             % (args.type, ", ".join(QWEN3_TYPES)))
        if cfg.code3 and args.type not in QWEN3_CODE3_TYPES:
            raise UsageError("--code3 needs a 2-bit codec type (%s), not %s"
                             % (", ".join(QWEN3_CODE3_TYPES), args.type))
        args.alignment = 32 if args.alignment is None else args.alignment
        a = args.alignment
        if a <= 0 or a & (a - 1):
            raise UsageError("--alignment must be a positive power of two")
        group = QWEN3_TYPES[args.type][1]
        for what, v in (("--dim", cfg.dim), ("--ffn", cfg.ffn),
                        ("--heads * --head-dim", cfg.q_dim)):
            if v % group:
                raise UsageError("%s (%d) must be a multiple of %d for --type %s"
                                 % (what, v, group, args.type))
        return
    if args.type in QWEN3_TYPES:
        raise UsageError("--type %s applies to --arch qwen3 only" % args.type)
    if args.format == "gguf":
        args.type = args.type or "i2_s"
        args.embd_type = args.embd_type or "f16"
        args.alignment = 32 if args.alignment is None else args.alignment
        a = args.alignment
        if a <= 0 or a & (a - 1):
            raise UsageError("--alignment must be a positive power of two")
        block = {"i2_s": QK_I2_S, "tq1_0": QK_K, "tq2_0": QK_K}.get(args.type)
        if block:
            for flag, v in (("--dim", cfg.dim), ("--ffn", cfg.ffn)):
                if v % block:
                    raise UsageError("%s (%d) must be a multiple of %d for --type %s"
                                     % (flag, v, block, args.type))
    else:
        args.hf_weights = args.hf_weights or "packed"
        args.shards = 1 if args.shards is None else args.shards
        if args.shards < 1:
            raise UsageError("--shards must be at least 1")
        if args.hf_weights == "packed":
            for what, v in (("dim", cfg.dim), ("ffn", cfg.ffn), ("kv-heads*head_dim", cfg.kv_dim)):
                if v % 4:
                    raise UsageError("%s (%d) must be a multiple of 4 for packed HF weights"
                                     % (what, v))


def _path_size(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, f)) for f in sorted(os.listdir(path)))
    return os.path.getsize(path)


def main(argv=None):
    args = parse_args(argv)
    try:
        cfg = Config(args)
        check_options(args, cfg)
        if args.format == "gguf" and os.path.isdir(args.out):
            raise UsageError("%s is a directory; --format gguf writes a file" % args.out)
        if args.format == "hf" and os.path.exists(args.out) and not os.path.isdir(args.out):
            raise UsageError("%s exists and is not a directory" % args.out)
        if cfg.qwen3:
            model = Qwen3Model(cfg)
            n = write_gguf_qwen3(args.out, model, args.type, args.alignment)
        elif args.format == "gguf":
            model = Model(cfg)
            n = write_gguf(args.out, model, args.type, args.embd_type, args.alignment)
        else:
            model = Model(cfg)
            n = write_hf(args.out, model, args.hf_weights, args.shards)
    except UsageError as e:
        sys.exit("trit-gen-model.py: error: %s" % e)
    except OSError as e:
        sys.exit("trit-gen-model.py: error: %s" % e)
    size = _path_size(args.out)
    print("%s: %d bytes (%.1f MB), %d tensors" % (args.out, size, size / 1e6, n))


if __name__ == "__main__":
    main()
