#!/usr/bin/env python3
"""Copies a file with one deliberate corruption, for bad-input tests.

  patch-bytes.py IN OUT --truncate N          keep the first N bytes
  patch-bytes.py IN OUT --replace OLD NEW     replace every OLD by NEW (text)
  patch-bytes.py IN OUT --gguf-u32 KEY VALUE  set the uint32 value of GGUF
                                              metadata KEY
"""
import argparse
import struct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--truncate", type=int)
    ap.add_argument("--replace", nargs=2)
    ap.add_argument("--gguf-u32", nargs=2)
    a = ap.parse_args()
    data = bytearray(open(a.input, "rb").read())
    if a.truncate is not None:
        data = data[: a.truncate]
    if a.replace:
        old, new = (s.encode() for s in a.replace)
        if old not in data:
            raise SystemExit(f"{a.input}: {a.replace[0]!r} not found")
        data = data.replace(old, new)
    if a.gguf_u32:
        key = a.gguf_u32[0].encode()
        at = data.find(struct.pack("<Q", len(key)) + key)
        if at < 0:
            raise SystemExit(f"{a.input}: key {a.gguf_u32[0]} not found")
        value_at = at + 8 + len(key) + 4
        data[value_at:value_at + 4] = struct.pack("<I", int(a.gguf_u32[1]))
    open(a.output, "wb").write(data)


if __name__ == "__main__":
    main()
