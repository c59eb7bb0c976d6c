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


def gguf_seed(tensors, alignment=32, extra_kv=b"", extra_count=0):
    kv = b""
    kv += gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string("bitnet-b1.58")
    kv += gguf_string("bitnet-b1.58.block_count") + struct.pack("<II", 4, 1)
    kv += gguf_string("bitnet-b1.58.rope.freq_base") + struct.pack("<If", 6, 500000.0)
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
