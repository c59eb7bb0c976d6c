#!/usr/bin/env python3
"""An independent Llama 3 byte-level BPE encoder, for testing trit-run's.

Written from ../shared/reference/bitnet-models.md section 4 with Python's
`regex` module (Debian's python3-regex): special tokens are matched first,
the rest is split by the pre-tokenizer regex (Llama 3's, or Qwen2's single
digits for tokenizer.ggml.pre "qwen2"), each piece is mapped
through GPT-2's bytes-to-characters table and merged by rank (a piece that
is a token already is kept whole, as Llama 3 does). Reads the tokenizer from
a GGUF file with reference-forward.py's parser.

Merging repeatedly joins the adjacent pair of lowest rank, the leftmost of
equal ranks (`bpe_simple`, quadratic in the piece); `bpe` gives the same
with a heap of pairs, so that long pieces take seconds, not hours.
`--self-check` compares the two on random pieces of the model's vocabulary.

Invalid UTF-8 (text from a file, or bytes in the argument): as llama.cpp,
the regex sees U+FFFD for each invalid byte; unlike llama.cpp, the piece
keeps the byte, which merges with nothing and becomes its byte's token
(trit-run's documented behaviour).

Usage: reference-tokenizer.py MODEL.gguf (TEXT | --file PATH) [--no-bos]
Prints the token ids on one line, comma-separated.
"""
import argparse
import heapq
import importlib.util
import os
import random

import regex

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# Qwen2 / Qwen3 (tokenizer.ggml.pre "qwen2"): the same but single digits.
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
PATTERNS = {"llama-bpe": LLAMA3_PATTERN, "llama3": LLAMA3_PATTERN,
            "qwen2": QWEN2_PATTERN}


def load_gguf_reader():
    path = os.path.join(os.path.dirname(__file__), "reference-forward.py")
    spec = importlib.util.spec_from_file_location("reference_forward", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.read_gguf


def bytes_to_unicode():
    printable = (list(range(33, 127)) + list(range(161, 173)) +
                 list(range(174, 256)))
    table, extra = {}, 256
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(extra)
            extra += 1
    return table


def bpe_simple(symbols, ranks, fixed=()):
    """The definition: merge the lowest-ranked pair, leftmost first, until
    none is left. Symbols at `fixed` positions merge with nothing."""
    symbols = list(symbols)
    fixed = set(fixed)
    starts = list(range(len(symbols)))
    while len(symbols) > 1:
        pairs = [(ranks.get(symbols[i] + " " + symbols[i + 1]), i)
                 for i in range(len(symbols) - 1)
                 if starts[i] not in fixed and starts[i + 1] not in fixed]
        pairs = [p for p in pairs if p[0] is not None]
        if not pairs:
            break
        _, i = min(pairs)
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        del starts[i + 1]
    return symbols


def bpe(symbols, ranks, fixed=()):
    """bpe_simple's result: a heap of (rank, left position) over the pairs,
    entries checked against the current symbols when they come out."""
    text = list(symbols)           # text[i]: the symbol starting at i, or None
    nxt = list(range(1, len(text) + 1))
    prv = list(range(-1, len(text) - 1))
    fixed = set(fixed)
    heap = []

    def push(i):
        j = nxt[i] if i >= 0 else len(text)
        if i < 0 or j >= len(text) or i in fixed or j in fixed:
            return
        rank = ranks.get(text[i] + " " + text[j])
        if rank is not None:
            heapq.heappush(heap, (rank, i, text[i], text[j]))

    for i in range(len(text) - 1):
        push(i)
    while heap:
        rank, i, left, right = heapq.heappop(heap)
        j = nxt[i]
        if text[i] != left or j >= len(text) or text[j] != right:
            continue  # one of the two merged since
        text[i] = left + right
        text[j] = None
        nxt[i] = nxt[j]
        if nxt[j] < len(text):
            prv[nxt[j]] = i
        push(prv[i])
        push(i)
    return [s for s in text if s is not None]


# Surrogates (invalid bytes) to U+FFFD.
REPLACEMENT = {0xDC80 + b: 0xFFFD for b in range(128)}


def split_bytes(data):
    """`data` as text, each byte that is not valid UTF-8 one surrogate (Python's
    strict decoder follows Unicode's definition, as trit-run does; llama.cpp
    also takes overlong forms and surrogates as code points)."""
    return data.decode("utf-8", "surrogateescape")


_tables = {}


def tables(meta):
    """Ids by text, ranks by merge, specials longest first (once per model)."""
    if id(meta) not in _tables:
        tokens = meta["tokenizer.ggml.tokens"]
        types = meta.get("tokenizer.ggml.token_type", [1] * len(tokens))
        ids = {t: i for i, t in reversed(list(enumerate(tokens)))}
        ranks = {m: i for i, m in reversed(list(enumerate(meta["tokenizer.ggml.merges"])))}
        specials = sorted((i for i, t in enumerate(types) if t in (3, 4) and tokens[i]),
                          key=lambda i: (-len(tokens[i]), i))
        _tables[id(meta)] = (meta, ids, ranks, specials)
    return _tables[id(meta)][1:]


def encode(text, meta, add_bos):
    if isinstance(text, bytes):
        text = split_bytes(text)
    tokens = meta["tokenizer.ggml.tokens"]
    ids, ranks, specials = tables(meta)
    byte_char = bytes_to_unicode()
    out = []
    if add_bos and meta.get("tokenizer.ggml.add_bos_token", True):
        out.append(meta["tokenizer.ggml.bos_token_id"])

    def flush(segment):
        # The regex sees U+FFFD for invalid bytes (one per byte, as the
        # surrogates); the pieces keep the bytes.
        shown = segment.translate(REPLACEMENT)
        pattern = PATTERNS[meta.get("tokenizer.ggml.pre", "llama-bpe")]
        for match in regex.finditer(pattern, shown):
            piece = segment[match.start():match.end()]
            raw = piece.encode("utf-8", "surrogateescape")
            fixed = []
            at = 0
            for ch in piece:
                n = len(ch.encode("utf-8", "surrogateescape"))
                if "\udc80" <= ch <= "\udcff":
                    fixed.append(at)
                at += n
            mapped = [byte_char[b] for b in raw]
            if not fixed and "".join(mapped) in ids:
                out.append(ids["".join(mapped)])
                continue
            for symbol in bpe(mapped, ranks, fixed):
                if symbol in ids:
                    out.append(ids[symbol])
                else:
                    out.extend(ids[c] for c in symbol if c in ids)

    first_chars = {tokens[s][0] for s in specials}
    i = 0
    plain_start = 0
    while i < len(text):
        if text[i] not in first_chars:
            i += 1
            continue
        for s in specials:
            if text.startswith(tokens[s], i):
                flush(text[plain_start:i])
                out.append(s)
                i += len(tokens[s])
                plain_start = i
                break
        else:
            i += 1
    flush(text[plain_start:])
    return out


def self_check(meta, count=2000, seed=1):
    """bpe against bpe_simple on random runs of the vocabulary's symbols."""
    ranks = {m: i for i, m in enumerate(meta["tokenizer.ggml.merges"])}
    chars = sorted({c for m in ranks for c in m if c != " "})
    rng = random.Random(seed)
    for _ in range(count):
        alphabet = rng.sample(chars, min(len(chars), rng.randrange(1, 6)))
        piece = [rng.choice(alphabet) for _ in range(rng.randrange(1, 40))]
        fixed = [i for i in range(len(piece)) if rng.random() < 0.05]
        a, b = bpe(piece, ranks, fixed), bpe_simple(piece, ranks, fixed)
        if a != b:
            raise SystemExit("bpe differs from bpe_simple on %r: %r != %r" % (piece, a, b))
    print("bpe == bpe_simple on %d pieces" % count)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("text", nargs="?")
    p.add_argument("--file", help="read the text's bytes from this file")
    p.add_argument("--no-bos", action="store_true")
    p.add_argument("--self-check", action="store_true")
    a = p.parse_args()
    meta, _ = load_gguf_reader()(a.model)
    if a.self_check:
        self_check(meta)
        return
    if a.file:
        with open(a.file, "rb") as f:
            data = f.read()
    else:
        data = os.fsencode(a.text)  # the argument's bytes, invalid or not
    print(",".join(map(str, encode(data, meta, not a.no_bos))))


if __name__ == "__main__":
    main()
