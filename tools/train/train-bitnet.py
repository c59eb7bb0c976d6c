#!/usr/bin/env python3
"""Train a small BitNet b1.58 model (the 2B4T architecture) on English text.

The model Trit's first-time users run and its quality measurements use: it
has learned something, so its text reads as language and its perplexity
means something. Everything comes from Debian packages (python3-torch, the
`fortunes` data; scripts/setup.sh --training installs them), no download.

Architecture, as BitNet b1.58 2B4T: ternary weights with absmean
quantization-aware training, per-token int8 activation quantization (both
with straight-through gradients), ReLU^2 gating, attention and FFN
sub-norms, NeoX RoPE, grouped-query attention, tied embeddings.

Data: the English fortune cookie files of Debian's `fortunes` package
(/usr/share/games/fortunes, without the art files): short, varied,
well-edited English prose, quotations, jokes and poems, 2.4 MB, under free
licenses. Every 20th fortune is held out for evaluation and written next to
the model. The tokenizer is a byte-level BPE (Llama 3 pre-tokenizer, GPT-2
byte alphabet) trained on the training fortunes.

The export uses the project's own writers (tools/trit-gen-model.py) to write
the model as GGUF (I2_S weights, f16 embedding) and as a Hugging Face folder
(packed ternary weights, bf16).

Usage: train-bitnet.py OUT_DIR [--minutes 35] [--seed 1]
"""
import argparse
import collections
import glob
import importlib.util
import json
import math
import os
import random
import sys
import time

import numpy as np
import regex
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FORTUNES = "/usr/share/games/fortunes"
SKIPPED = {"art", "ascii-art"}  # drawings, not prose

# Shape: the 2B4T architecture, scaled down (rows multiple of 128 for I2_S).
LAYERS, DIM, FFN, HEADS, KV_HEADS, VOCAB, CTX = 5, 256, 640, 4, 2, 3072, 512
N_SPECIAL = 16
THETA, EPS = 500000.0, 1e-5
SEQ, BATCH = 256, 16


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "trit_gen_model", os.path.join(HERE, "..", "trit-gen-model.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen


# ----------------------------------------------------------------------------
# Data and tokenizer
# ----------------------------------------------------------------------------

def read_fortunes():
    files = sorted(f for f in glob.glob(os.path.join(FORTUNES, "*"))
                   if "." not in os.path.basename(f) and os.path.basename(f) not in SKIPPED)
    if not files:
        sys.exit("no fortune files in %s: install Debian's fortunes package "
                 "(scripts/setup.sh --training)" % FORTUNES)
    fortunes = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for entry in f.read().split("\n%\n"):
                entry = entry.strip("\n%")
                if entry.strip():
                    fortunes.append(entry.replace("\t", "    "))
    return files, fortunes


def train_bpe(text, byte_char, n_merges, pattern):
    """Byte-level BPE with incremental pair counts: merge the most frequent
    adjacent pair (ties: the smallest pair) n_merges times."""
    words = collections.Counter(regex.findall(pattern, text))
    seqs = [[byte_char[b] for b in w.encode("utf-8")] for w in words]
    freqs = list(words.values())
    pairs = collections.Counter()
    where = collections.defaultdict(set)
    for i, s in enumerate(seqs):
        for a, b in zip(s, s[1:]):
            pairs[(a, b)] += freqs[i]
            where[(a, b)].add(i)
    merges = []
    for _ in range(n_merges):
        if not pairs:
            break
        best = max(pairs, key=lambda p: (pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        a, b = best
        for i in list(where[best]):
            s, f = seqs[i], freqs[i]
            for x, y in zip(s, s[1:]):
                pairs[(x, y)] -= f
                if pairs[(x, y)] <= 0:
                    del pairs[(x, y)]
            out, k = [], 0
            while k < len(s):
                if k + 1 < len(s) and s[k] == a and s[k + 1] == b:
                    out.append(a + b)
                    k += 2
                else:
                    out.append(s[k])
                    k += 1
            seqs[i] = out
            for x, y in zip(out, out[1:]):
                pairs[(x, y)] += f
                where[(x, y)].add(i)
        del where[best]
    return merges


def encode(text, ids, ranks, byte_char, pattern):
    out = []
    for piece in regex.findall(pattern, text):
        mapped = "".join(byte_char[b] for b in piece.encode("utf-8"))
        if mapped in ids:
            out.append(ids[mapped])
            continue
        symbols = list(mapped)
        while len(symbols) > 1:
            cands = [(ranks.get((symbols[i], symbols[i + 1])), i) for i in range(len(symbols) - 1)]
            cands = [c for c in cands if c[0] is not None]
            if not cands:
                break
            _, i = min(cands)
            symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        out.extend(ids[s] for s in symbols)
    return out


# ----------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------

def ternary(w):
    """absmean: w ~ s * clamp(round(w / s), -1, 1), s = mean|w|."""
    s = w.abs().mean().clamp(min=1e-5)
    return (w / s).round().clamp(-1, 1) * s


def quantize_activations(x):
    """Per token int8: 127 / max|x|, round, clamp (straight-through)."""
    s = 127.0 / x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
    return (x * s).round().clamp(-128, 127) / s


class BitLinear(torch.nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(n_out, n_in) / math.sqrt(n_in))

    def forward(self, x):
        xq = x + (quantize_activations(x) - x).detach()
        wq = self.weight + (ternary(self.weight) - self.weight).detach()
        return F.linear(xq, wq)


class RMSNorm(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(n))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    x0, x1 = x[..., :half], x[..., half:]
    return torch.cat([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        hd = DIM // HEADS
        self.attn_norm, self.attn_sub_norm = RMSNorm(DIM), RMSNorm(DIM)
        self.ffn_norm, self.ffn_sub_norm = RMSNorm(DIM), RMSNorm(FFN)
        self.q, self.k, self.v = BitLinear(DIM, DIM), BitLinear(DIM, KV_HEADS * hd), BitLinear(DIM, KV_HEADS * hd)
        self.o = BitLinear(DIM, DIM)
        self.gate, self.up, self.down = BitLinear(DIM, FFN), BitLinear(DIM, FFN), BitLinear(FFN, DIM)

    def forward(self, h, cos, sin):
        b, t, _ = h.shape
        hd = DIM // HEADS
        a = self.attn_norm(h)
        q = self.q(a).view(b, t, HEADS, hd).transpose(1, 2)
        k = self.k(a).view(b, t, KV_HEADS, hd).transpose(1, 2)
        v = self.v(a).view(b, t, KV_HEADS, hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
        v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        o = scores.masked_fill(mask, float("-inf")).softmax(-1) @ v
        o = o.transpose(1, 2).reshape(b, t, DIM)
        h = h + self.o(self.attn_sub_norm(o))
        f = self.ffn_norm(h)
        m = F.relu(self.gate(f)).square() * self.up(f)
        return h + self.down(self.ffn_sub_norm(m))


class BitNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        # Unit-variance logits at the start: the head is tied.
        self.embed = torch.nn.Parameter(torch.randn(VOCAB, DIM) / math.sqrt(DIM))
        self.layers = torch.nn.ModuleList(Layer() for _ in range(LAYERS))
        self.norm = RMSNorm(DIM)
        hd = DIM // HEADS
        inv = THETA ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        ang = torch.arange(CTX, dtype=torch.float64)[:, None] * inv[None]
        self.register_buffer("cos", ang.cos().float(), persistent=False)
        self.register_buffer("sin", ang.sin().float(), persistent=False)

    def forward(self, tokens):
        t = tokens.shape[1]
        h = self.embed[tokens]
        cos, sin = self.cos[:t], self.sin[:t]
        for layer in self.layers:
            h = layer(h, cos, sin)
        return self.norm(h) @ self.embed.t()


# ----------------------------------------------------------------------------
# Export through the project's writers
# ----------------------------------------------------------------------------

def trained_model_class(gen):
    """What tools/trit-gen-model.py's writers read, from trained weights: its
    Model's shapes, with the parameters taken from the network."""

    class TrainedModel(gen.Model):
        def __init__(self, cfg, net, tokens, merges, specials):  # pylint: disable=super-init-not-called
            self.gen, self.cfg = gen, cfg
            self.tokenizer = type("Tok", (), {})()
            tok = self.tokenizer
            tok.regular = tokens
            tok.merges = merges
            tok.specials = specials
            tok.tokens = tokens + specials
            tok.bos_id, tok.eos_id, tok.eot_id = len(tokens), len(tokens) + 1, len(tokens) + 9
            self.state = {k: v.detach().float().numpy() for k, v in net.state_dict().items()}

        def _weight(self, layer, role):
            return self.state["layers.%d.%s.weight" % (layer, role)]

        def linear_scale(self, layer, role):
            w = self._weight(layer, role)
            return self.gen.scalar_bf16(max(float(np.abs(w).mean()), 1e-5))

        def linear_codes(self, layer, role):
            w = self._weight(layer, role)
            s = max(float(np.abs(w).mean()), 1e-5)
            t = np.clip(np.rint(w / s), -1, 1)
            return (t + 1).astype(np.uint8), self.linear_scale(layer, role)

        def norm(self, layer, slot):
            if layer is None:
                v = self.state["norm.weight"]
            else:
                v = self.state["layers.%d.%s.weight" % (layer, slot)]
            return self.gen.round_bf16(v.astype(np.float32))

        def matrix_chunks(self, slot):
            assert slot == "embed"
            e = self.state["embed"].astype(np.float32)
            for r0 in range(0, e.shape[0], 1024):
                yield self.gen.f16_bf16_exact(e[r0:r0 + 1024])

    return TrainedModel


# ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="output folder")
    ap.add_argument("--minutes", type=float, default=35.0, help="training time budget")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    gen = load_generator()
    os.makedirs(args.out, exist_ok=True)

    files, fortunes = read_fortunes()
    held_out = fortunes[19::20]
    train_fortunes = [f for i, f in enumerate(fortunes) if i % 20 != 19]
    with open(os.path.join(args.out, "held-out.txt"), "w", encoding="utf-8") as f:
        f.write("\n\n".join(held_out) + "\n")
    print("fortunes: %d files, %d entries (%d held out)" % (len(files), len(fortunes), len(held_out)))

    byte_table = gen.bytes_to_unicode()
    byte_char = [None] * 256
    for b, ch in byte_table:
        byte_char[b] = ch
    text = "\n\n".join(train_fortunes)
    t0 = time.time()
    merges = train_bpe(text, byte_char, VOCAB - N_SPECIAL - 256, gen.LLAMA3_REGEX)
    tokens = [ch for _, ch in byte_table] + [a + b for a, b in merges]
    pad = VOCAB - N_SPECIAL - len(tokens)
    if pad:
        sys.exit("the text yields only %d merges; lower VOCAB" % len(merges))
    specials = gen.special_token_names(N_SPECIAL)
    ids = {t: i for i, t in enumerate(tokens)}
    ranks = {m: i for i, m in enumerate(merges)}
    eos = len(tokens) + 1
    stream = []
    for f in train_fortunes:
        stream += encode(f, ids, ranks, byte_char, gen.LLAMA3_REGEX) + [eos]
    held = []
    for f in held_out:
        held += encode(f, ids, ranks, byte_char, gen.LLAMA3_REGEX) + [eos]
    data = torch.tensor(stream, dtype=torch.long)
    held = torch.tensor(held, dtype=torch.long)
    print("tokenizer: %d merges in %.0f s; %d training tokens, %d held out"
          % (len(merges), time.time() - t0, len(data), len(held)))

    net = BitNet()
    decay = [p for n, p in net.named_parameters() if p.dim() == 2]
    other = [p for n, p in net.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": other, "weight_decay": 0.0}],
                            lr=2e-3, betas=(0.9, 0.95))
    budget = args.minutes * 60
    start = time.time()
    # A first timing decides the number of steps, so that the cosine schedule
    # ends when the budget does.
    step, steps = 0, None
    log = []
    while True:
        if steps is not None and step >= steps:
            break
        if steps is None and step == 20:
            per_step = (time.time() - start) / 20
            steps = max(40, int(budget / per_step))
            print("%.2f s/step: %d steps" % (per_step, steps))
        total = steps or 10 ** 9
        warm = 100
        lr = 2e-3 * min(1.0, (step + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total))))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(data) - SEQ - 1, (BATCH,))
        x = torch.stack([data[s:s + SEQ] for s in starts])
        y = torch.stack([data[s + 1:s + SEQ + 1] for s in starts])
        loss = F.cross_entropy(net(x).view(-1, VOCAB), y.view(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or (steps and step == steps - 1):
            with torch.no_grad():
                n = (len(held) - 1) // SEQ * SEQ
                hx = held[:n].view(-1, SEQ)
                hy = held[1:n + 1].view(-1, SEQ)
                hl = F.cross_entropy(net(hx).view(-1, VOCAB), hy.view(-1)).item()
            log.append({"step": step, "train_loss": loss.item(), "held_out_loss": hl,
                        "minutes": (time.time() - start) / 60})
            print("step %5d  lr %.5f  loss %.3f  held-out %.3f (ppl %.1f)  %.1f min"
                  % (step, lr, loss.item(), hl, math.exp(hl), (time.time() - start) / 60), flush=True)
        step += 1

    # Export through the project's writers.
    gen_args = gen.parse_args(["unused", "--format", "gguf", "--preset", "tiny",
                               "--layers", str(LAYERS), "--dim", str(DIM), "--ffn", str(FFN),
                               "--heads", str(HEADS), "--kv-heads", str(KV_HEADS),
                               "--vocab", str(VOCAB), "--ctx", str(CTX), "--seed", str(args.seed)])

    class Config(gen.Config):
        @property
        def name(self):
            return "trit-fortunes"

    cfg = Config(gen_args)
    model = trained_model_class(gen)(cfg, net, tokens, merges, specials)
    gguf = os.path.join(args.out, "trit-fortunes.gguf")
    hf = os.path.join(args.out, "trit-fortunes-hf")
    gen.write_gguf(gguf, model, "i2_s", "f16", 32)
    gen.write_hf(hf, model, "packed", 1)
    with open(os.path.join(args.out, "training-log.json"), "w") as f:
        json.dump({"seed": args.seed, "minutes": args.minutes, "steps": step,
                   "shape": {"layers": LAYERS, "dim": DIM, "ffn": FFN, "heads": HEADS,
                             "kv_heads": KV_HEADS, "vocab": VOCAB, "ctx": CTX},
                   "batch": [BATCH, SEQ], "training_tokens": len(data),
                   "held_out_tokens": len(held), "log": log}, f, indent=1)
    print("wrote %s (%d bytes) and %s" % (gguf, os.path.getsize(gguf), hf))


if __name__ == "__main__":
    main()
