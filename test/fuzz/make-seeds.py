#!/usr/bin/env python3
"""Writes the small seed corpora of the fuzzers (a few hundred bytes each, so
that libFuzzer mutates structure rather than bulk data). Run from the repo
root: /usr/bin/python3 test/fuzz/make-seeds.py"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_seed(tensors, alignment=32, extra_kv=b"", extra_count=0, arch="bitnet-b1.58"):
    kv = b""
    kv += gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string(arch)
    kv += gguf_string(arch + ".block_count") + struct.pack("<II", 4, 1)
    kv += gguf_string(arch + ".rope.freq_base") + struct.pack("<If", 6, 500000.0)
    kv += gguf_string("tokenizer.ggml.add_bos_token") + struct.pack("<IB", 7, 1)
    tokens = ["a", "b", "\u0120the"]
    kv += gguf_string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, len(tokens))
    kv += b"".join(gguf_string(t) for t in tokens)
    kv += gguf_string("tokenizer.ggml.token_type") + struct.pack("<IIQ3i", 9, 5, 3, 1, 1, 3)
    count = 6 + extra_count
    if alignment != 32:
        kv += gguf_string("general.alignment") + struct.pack("<II", 4, alignment)
        count += 1
    kv += extra_kv
    infos, data = b"", b""
    for name, dims, ttype, payload in tensors:
        offset = len(data)
        infos += gguf_string(name) + struct.pack("<I", len(dims))
        infos += b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", ttype, offset)
        data += payload + b"\0" * (-len(payload) % alignment)
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), count) + kv + infos
    head += b"\0" * (-len(head) % alignment)
    return head + data


def write(folder, name, data):
    path = os.path.join(HERE, "corpus", folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    f32 = struct.pack("<4f", 1, 2, 3, 4)
    i2s = bytes([0x55, 0xAA, 0x16, 0x94] * 8) + struct.pack("<f", 0.5) + b"\0" * 28
    tq2 = bytes(range(64)) + struct.pack("<e", 0.25)
    tq1 = bytes(range(48)) + bytes(4) + struct.pack("<e", 0.25)
    write("gguf", "tensors.gguf", gguf_seed([
        ("output_norm.weight", [4], 0, f32),
        ("blk.0.attn_q.weight", [128, 1], 36, i2s),
        ("blk.0.ffn_up.weight", [256, 1], 35, tq2),
        ("blk.0.ffn_down.weight", [256, 1], 34, tq1),
        ("token_embd.weight", [4, 1], 1, struct.pack("<4e", 1, -1, 0.5, 2)),
    ]))
    write("gguf", "aligned64.gguf", gguf_seed([("x", [2, 2], 0, f32)], alignment=64))

    # Ternary Bonsai (qwen3): a 1-layer model that imports, one matrix of
    # each group-scaled type (d = 2^-4 .. 2^-1, codes of every value, Q2_0's
    # code 3 included), F16 norms and YaRN keys; and id 42's two layouts.
    state = [12345]

    def noise(n):
        out = bytearray()
        for _ in range(n):
            state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
            out.append(state[0] >> 16 & 0xFF)
        return out

    def grouped(rows, cols, group, block, scale_at):
        data = noise(rows * cols // group * block)
        for at in range(scale_at, len(data), block):
            data[at:at + 2] = struct.pack("<e", 2.0 ** -(1 + data[at] % 4))
        return bytes(data)

    q2_0 = lambda r, c: grouped(r, c, 64, 18, 0)
    pq2_0 = lambda r, c: grouped(r, c, 128, 34, 0)
    ptq1_0 = lambda r, c: grouped(r, c, 128, 28, 26)
    q1_0 = lambda r, c: grouped(r, c, 128, 18, 0)
    norm = lambda n: struct.pack("<%de" % n, *([1.0] * n))
    qwen3_kv, qwen3_count = b"", 0
    for key, fmt, vtype, value in [
            ("qwen3.context_length", "<I", 4, 64), ("qwen3.embedding_length", "<I", 4, 128),
            ("qwen3.feed_forward_length", "<I", 4, 128), ("qwen3.attention.head_count", "<I", 4, 2),
            ("qwen3.attention.head_count_kv", "<I", 4, 1), ("qwen3.attention.key_length", "<I", 4, 64),
            ("qwen3.attention.value_length", "<I", 4, 64), ("qwen3.rope.scaling.factor", "<f", 6, 4.0),
            ("qwen3.rope.scaling.original_context_length", "<I", 4, 32)]:
        qwen3_kv += gguf_string(key) + struct.pack("<I", vtype) + struct.pack(fmt, value)
        qwen3_count += 1
    qwen3_kv += gguf_string("qwen3.rope.scaling.type") + struct.pack("<I", 8) + gguf_string("yarn")
    qwen3_count += 1
    write("gguf", "qwen3.gguf", gguf_seed([
        ("token_embd.weight", [128, 3], 41, q1_0(3, 128)),
        ("output_norm.weight", [128], 1, norm(128)),
        ("blk.0.attn_norm.weight", [128], 1, norm(128)),
        ("blk.0.attn_q.weight", [128, 128], 143, ptq1_0(128, 128)),
        ("blk.0.attn_k.weight", [128, 64], 142, pq2_0(64, 128)),
        ("blk.0.attn_v.weight", [128, 64], 42, q2_0(64, 128)),
        ("blk.0.attn_output.weight", [128, 128], 41, q1_0(128, 128)),
        ("blk.0.attn_q_norm.weight", [64], 1, norm(64)),
        ("blk.0.attn_k_norm.weight", [64], 1, norm(64)),
        ("blk.0.ffn_norm.weight", [128], 1, norm(128)),
        ("blk.0.ffn_gate.weight", [128, 128], 41, q1_0(128, 128)),
        ("blk.0.ffn_up.weight", [128, 128], 41, q1_0(128, 128)),
        ("blk.0.ffn_down.weight", [128, 128], 41, q1_0(128, 128)),
    ], arch="qwen3", extra_kv=qwen3_kv, extra_count=qwen3_count))
    # 4096 weights: 1152 bytes in 64-weight blocks, 1088 in the legacy
    # group-128 ones; the 128-weight tensor fits either.
    write("gguf", "q2_0-layouts.gguf", gguf_seed([
        ("legacy", [4096, 1], 42, pq2_0(1, 4096)),
        ("small", [128, 1], 42, pq2_0(1, 128)),
        ("after", [4], 0, f32),
    ]))
    write("gguf", "empty.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 0))

    def safetensors(entries):
        header, data = {"__metadata__": {"format": "pt"}}, b""
        for name, dtype, shape, payload in entries:
            header[name] = {"dtype": dtype, "shape": shape,
                            "data_offsets": [len(data), len(data) + len(payload)]}
            data += payload
        text = json.dumps(header, sort_keys=True).encode()
        return struct.pack("<Q", len(text)) + text + data

    write("safetensors", "packed.safetensors", safetensors([
        ("model.layers.0.self_attn.q_proj.weight", "U8", [1, 8], bytes(range(8))),
        ("model.layers.0.self_attn.q_proj.weight_scale", "BF16", [1], b"\x80\x3f"),
        ("model.norm.weight", "F32", [2], struct.pack("<2f", 1, 1)),
    ]))
    write("safetensors", "empty.safetensors", safetensors([]))

    config = {"architectures": ["BitNetForCausalLM"], "hidden_size": 64,
              "intermediate_size": 128, "num_hidden_layers": 1,
              "num_attention_heads": 2, "num_key_value_heads": 1,
              "vocab_size": 8, "max_position_embeddings": 32,
              "rope_theta": 500000.0, "rms_norm_eps": 1e-5, "hidden_act": "relu2",
              "tie_word_embeddings": True, "bos_token": "<|begin_of_text|>",
              "quantization_config": {"quant_method": "bitnet",
                                      "linear_class": "autobitlinear"}}
    tokenizer = {"added_tokens": [{"id": 6, "content": "<|begin_of_text|>", "special": True},
                                  {"id": 7, "content": "<|eot_id|>", "special": True}],
                 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3},
                           "merges": ["a b", ["\u0120", "a"]]},
                 "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)"}}}
    write("hf-config", "bitnet.json", json.dumps(config).encode() + b"\0" +
          json.dumps(tokenizer).encode())

    # Tokenizer inputs: a mode byte, then text (TokenizerFuzzer.cpp).
    write("tokenizer", "words.txt",
          b"\x00Hello world, it's DON'T 1234567 \xe6\x97\xa5 \xf0\x9f\x99\x82\n\n  x\t\r\n")
    write("tokenizer", "specials.txt",
          b"\x01<|begin_of_text|>User: hi<|eot_id|>Assistant: <tool><|x<|")
    write("tokenizer", "invalid.txt",
          b"\x00hel\xfflo \xe6\x97 \xe6\x97x \xc0\xaf \xed\xa0\x80 \x80\x80 a\x00b \xff\xff")
    write("tokenizer", "sentencepiece.txt", b"\x02hello world aaaa \xe6\x97\xa5 \xff<s>")
    # Runs: (count, byte) pairs, each byte (count + 1)^2 times (4 KiB in all).
    write("tokenizer", "runs.txt", b"\xfc\x3fa\x1f \x1f1\x0f\n\x0f\xff\x10\xe6\x1fb")
    write("tokenizer", "merges.txt", b"\x04a b\nab c\n!x y\nnospace\na  b\nab ab\x01abcabab xy")


if __name__ == "__main__":
    main()
