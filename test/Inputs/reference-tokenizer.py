#!/usr/bin/env python3
"""An independent Llama 3 byte-level BPE encoder, for testing trit-run's.

Written from ../shared/reference/bitnet-models.md section 4 with Python's
`regex` module (Debian's python3-regex): special tokens are matched first,
the rest is split by the Llama 3 pre-tokenizer regex, each piece is mapped
through GPT-2's bytes-to-characters table and merged by rank (a piece that
is a token already is kept whole, as Llama 3 does). Reads the tokenizer from
a GGUF file with reference-forward.py's parser.

Usage: reference-tokenizer.py MODEL.gguf TEXT [--no-bos]
Prints the token ids on one line, comma-separated.
"""
import argparse
import importlib.util
import os

import regex

PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
           r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


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


def bpe(piece, ranks):
    symbols = list(piece)
    while len(symbols) > 1:
        pairs = [(ranks.get(symbols[i] + " " + symbols[i + 1]), i)
                 for i in range(len(symbols) - 1)]
        pairs = [p for p in pairs if p[0] is not None]
        if not pairs:
            break
        _, i = min(pairs)
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
    return symbols


def encode(text, meta, add_bos):
    tokens = meta["tokenizer.ggml.tokens"]
    types = meta.get("tokenizer.ggml.token_type", [1] * len(tokens))
    ids = {t: i for i, t in reversed(list(enumerate(tokens)))}
    ranks = {m: i for i, m in reversed(list(enumerate(meta["tokenizer.ggml.merges"])))}
    specials = sorted((i for i, t in enumerate(types) if t in (3, 4) and tokens[i]),
                      key=lambda i: (-len(tokens[i]), i))
    byte_char = bytes_to_unicode()
    out = []
    if add_bos and meta.get("tokenizer.ggml.add_bos_token", True):
        out.append(meta["tokenizer.ggml.bos_token_id"])
    plain = ""

    def flush(segment):
        for piece in regex.findall(PATTERN, segment):
            mapped = "".join(byte_char[b] for b in piece.encode("utf-8"))
            if mapped in ids:
                out.append(ids[mapped])
                continue
            for symbol in bpe(mapped, ranks):
                if symbol in ids:
                    out.append(ids[symbol])
                else:
                    out.extend(ids[c] for c in symbol)

    i = 0
    while i < len(text):
        for s in specials:
            if text.startswith(tokens[s], i):
                flush(plain)
                plain = ""
                out.append(s)
                i += len(tokens[s])
                break
        else:
            plain += text[i]
            i += 1
    flush(plain)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("text")
    p.add_argument("--no-bos", action="store_true")
    a = p.parse_args()
    meta, _ = load_gguf_reader()(a.model)
    print(",".join(map(str, encode(a.text, meta, not a.no_bos))))


if __name__ == "__main__":
    main()
