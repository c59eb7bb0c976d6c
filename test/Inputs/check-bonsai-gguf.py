#!/usr/bin/env python3
"""Checks that a qwen3 (Ternary Bonsai) GGUF file is what llama.cpp reads.

Parses the file on its own (not with reference-forward.py's reader) and
checks, exiting non-zero with a message on the first failure:
- the header (GGUF v3), the qwen3 metadata keys of
  ../shared/reference/bonsai-ternary.md s. 2.1 and the tokenizer keys
  (gpt2 / qwen2, token count = vocabulary rows, merges whose parts and
  concatenation are tokens, Qwen3's added tokens with llama.cpp's token
  types, eos <|im_end|>, padding and bos <|endoftext|>, no BOS added, a
  ChatML template);
- the tensor set (token_embd, output_norm, output.weight only when untied,
  11 per block) and every shape;
- every 2-D tensor in one group-scaled type, 1-D norms F32
  (attn_q_norm / attn_k_norm head_dim wide);
- data sizes: rows * cols / group * block bytes, offsets each the previous
  end padded to the alignment, the file ending with the last tensor's
  padding. Type 42 is Q2_0 (18 bytes per 64) when the sizes fit that, the
  legacy PrismML block (34 bytes per 128) when they fit that.

Prints a summary for FileCheck. --compare OTHER.gguf prints the ratio of
the two files' tensor data bytes.
"""
import argparse
import struct
import sys

TYPES = {0: ("F32", 1, 4), 41: ("Q1_0", 128, 18), 142: ("PQ2_0", 128, 34),
         143: ("PTQ1_0", 128, 28)}
Q2_0 = {"Q2_0": (64, 18), "Q2_0 legacy g128": (128, 34)}
SPECIAL_TYPES = {"<|endoftext|>": 3, "<|im_start|>": 3, "<|im_end|>": 3,
                 "<tool_call>": 4, "</tool_call>": 4, "<think>": 4, "</think>": 4}
TYPE_NAMES = {1: "normal", 3: "control", 4: "user-defined", 5: "unused"}


def fail(msg):
    sys.exit("check-bonsai-gguf: " + msg)


def parse(path):
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("Q")
        s = data[pos:pos + n].decode("utf-8")
        pos += n
        return s

    fmts = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q",
            11: "q", 12: "d"}

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("I"), take("Q")
            return [value(et) for _ in range(n)]
        return take(fmts[t])

    if data[:4] != b"GGUF":
        fail("not a GGUF file")
    pos = 4
    version, n_tensors, n_kv = take("I"), take("Q"), take("Q")
    if version != 3:
        fail("GGUF version %d, expected 3" % version)
    meta = {}
    for _ in range(n_kv):
        k = string()
        meta[k] = value(take("I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        dims = [take("Q") for _ in range(take("I"))]
        infos.append((name, dims, take("I"), take("Q")))
    align = meta.get("general.alignment", 32)
    base = (pos + align - 1) // align * align
    return meta, infos, base, len(data), align


def pad(n, a):
    return (n + a - 1) // a * a


def check(path):
    meta, infos, base, size, align = parse(path)
    if meta.get("general.architecture") != "qwen3":
        fail("general.architecture is %r" % meta.get("general.architecture"))
    need = ["block_count", "context_length", "embedding_length", "feed_forward_length",
            "attention.head_count", "attention.head_count_kv", "attention.key_length",
            "attention.value_length", "rope.freq_base", "attention.layer_norm_rms_epsilon"]
    for k in need:
        if "qwen3." + k not in meta:
            fail("missing qwen3.%s" % k)
    m = lambda k: meta["qwen3." + k]
    layers, dim, ffn = m("block_count"), m("embedding_length"), m("feed_forward_length")
    heads, kv, hd = m("attention.head_count"), m("attention.head_count_kv"), m("attention.key_length")
    if m("attention.value_length") != hd:
        fail("value_length != key_length")
    print("arch qwen3: layers %d, dim %d, ffn %d, heads %d/%d, head_dim %d, ctx %d"
          % (layers, dim, ffn, heads, kv, hd, m("context_length")))
    print("rope freq_base %g, rms eps %g" % (m("rope.freq_base"),
                                            m("attention.layer_norm_rms_epsilon")))
    if "qwen3.rope.scaling.type" in meta:
        print("rope scaling %s, factor %g, original context %d"
              % (m("rope.scaling.type"), m("rope.scaling.factor"),
                 m("rope.scaling.original_context_length")))
    for k in meta:
        if k.startswith("prism.hadamard."):
            print("has %s" % k)

    # Tokenizer.
    tokens = meta["tokenizer.ggml.tokens"]
    types = meta["tokenizer.ggml.token_type"]
    merges = meta["tokenizer.ggml.merges"]
    if (meta["tokenizer.ggml.model"], meta["tokenizer.ggml.pre"]) != ("gpt2", "qwen2"):
        fail("tokenizer %s/%s" % (meta["tokenizer.ggml.model"], meta["tokenizer.ggml.pre"]))
    if len(types) != len(tokens):
        fail("%d token types for %d tokens" % (len(types), len(tokens)))
    index = {t: i for i, t in enumerate(tokens)}
    if len(index) != len(tokens):
        fail("duplicate tokens")
    for merge in merges:
        a, b = merge.split(" ")
        if a not in index or b not in index or a + b not in index:
            fail("merge %r: its parts or result are not tokens" % merge)
    for name, t in SPECIAL_TYPES.items():
        if name not in index or types[index[name]] != t:
            fail("%s: not a token of type %d" % (name, t))
    n_regular = sum(1 for t in types if t == 1)
    if any(t != 1 for t in types[:n_regular]):
        fail("regular tokens are not first")
    eos = meta["tokenizer.ggml.eos_token_id"]
    padding = meta["tokenizer.ggml.padding_token_id"]
    bos = meta["tokenizer.ggml.bos_token_id"]
    if tokens[eos] != "<|im_end|>" or tokens[padding] != "<|endoftext|>" or bos != padding:
        fail("eos/padding/bos are %r/%r/%r" % (tokens[eos], tokens[padding], tokens[bos]))
    if meta["tokenizer.ggml.add_bos_token"] is not False:
        fail("add_bos_token is not false")
    template = meta["tokenizer.chat_template"]
    if "<|im_start|>" not in template or "<|im_end|>" not in template:
        fail("the chat template is not ChatML")
    print("tokenizer gpt2/qwen2: %d tokens, %d regular, %d merges, %d unused"
          % (len(tokens), n_regular, len(merges), sum(1 for t in types if t == 5)))
    print("eos %s = %d, padding and bos %s = %d, add_bos false, ChatML template"
          % (tokens[eos], eos, tokens[padding], padding))
    print("added: " + ", ".join("%s %s" % (n, TYPE_NAMES[types[index[n]]])
                                for n in ("<|endoftext|>", "<|im_start|>", "<|im_end|>",
                                          "<think>", "</think>")))

    # Tensors and shapes.
    vocab = len(tokens)
    names = {info[0]: info for info in infos}
    tied = "output.weight" not in names
    expect = {"token_embd.weight": [dim, vocab], "output_norm.weight": [dim]}
    if not tied:
        expect["output.weight"] = [dim, vocab]
    for i in range(layers):
        b = "blk.%d." % i
        expect.update({b + "attn_norm.weight": [dim], b + "attn_q.weight": [dim, heads * hd],
                       b + "attn_k.weight": [dim, kv * hd], b + "attn_v.weight": [dim, kv * hd],
                       b + "attn_output.weight": [heads * hd, dim],
                       b + "attn_q_norm.weight": [hd], b + "attn_k_norm.weight": [hd],
                       b + "ffn_norm.weight": [dim], b + "ffn_gate.weight": [dim, ffn],
                       b + "ffn_up.weight": [dim, ffn], b + "ffn_down.weight": [ffn, dim]})
    if set(names) != set(expect):
        fail("tensors %s missing, %s unexpected" % (sorted(set(expect) - set(names)),
                                                   sorted(set(names) - set(expect))))
    for name, shape in expect.items():
        if names[name][1] != shape:
            fail("%s has shape %s, expected %s" % (name, names[name][1], shape))

    # Types and sizes.
    matrix_types = {info[2] for info in infos if len(info[1]) == 2}
    if len(matrix_types) != 1:
        fail("the matrices have several types: %s" % sorted(matrix_types))
    mtype = matrix_types.pop()
    for name, dims, ttype, _ in infos:
        if len(dims) == 1 and ttype != 0:
            fail("%s: a norm of type %d, expected F32" % (name, ttype))
    starts = [base + info[3] for info in infos]
    ends = starts[1:] + [size]

    def fits(layouts):
        ok = set(layouts)
        for (name, dims, ttype, _), start, end in zip(infos, starts, ends):
            if ttype != mtype:
                continue
            n = dims[0] * dims[1]
            ok = {k for k in ok if dims[0] % layouts[k][0] == 0
                  and 0 <= end - start - n // layouts[k][0] * layouts[k][1] < align}
        return ok

    if mtype == 42:
        fit = fits(Q2_0)
        if not fit:
            fail("type 42 tensors fit neither Q2_0 layout")
        tname = "Q2_0" if "Q2_0" in fit else "Q2_0 legacy g128"
        group, block = Q2_0[tname]
    elif mtype in TYPES and mtype != 0:
        tname, group, block = TYPES[mtype]
    else:
        fail("matrix type %d is not group-scaled ternary" % mtype)
    offset = 0
    data_bytes = 0
    for name, dims, ttype, toff in infos:
        n = 1
        for d in dims:
            n *= d
        nbytes = n * 4 if ttype == 0 else n // group * block
        if toff != offset:
            fail("%s at offset %d, expected %d" % (name, toff, offset))
        offset = pad(toff + nbytes, align)
        data_bytes += nbytes
    if base + offset != size:
        fail("the file has %d bytes, the tensors end at %d" % (size, base + offset))
    print("tensors %d (%s): matrices %s (type %d, %d weights in %d bytes), norms F32"
          % (len(infos), "tied" if tied else "untied", tname, mtype, group, block))
    print("data %d bytes, offsets and sizes consistent" % data_bytes)
    return data_bytes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gguf")
    ap.add_argument("--compare", metavar="OTHER", help="print data bytes of GGUF / OTHER")
    args = ap.parse_args()
    data = check(args.gguf)
    if args.compare:
        other = check(args.compare)
        print("data ratio %.4f" % (data / other))
    print("ok")


if __name__ == "__main__":
    main()
