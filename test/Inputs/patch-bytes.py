#!/usr/bin/env python3
"""Copies a file with one deliberate corruption, for bad-input tests.

  patch-bytes.py IN OUT --truncate N          keep the first N bytes
  patch-bytes.py IN OUT --replace OLD NEW     replace every OLD by NEW (text)
  patch-bytes.py IN OUT --gguf-u32 KEY VALUE  set the uint32 value of GGUF
                                              metadata KEY (or the raw bits of
                                              a float32 value)
  patch-bytes.py IN OUT --tensor NAME OFFSET HEX
                                              overwrite bytes of tensor NAME
                                              (GGUF or safetensors) at OFFSET
                                              within its data
  patch-bytes.py IN OUT --gguf-type WHICH NEW set the ggml type id of GGUF
                                              tensor WHICH, or of every tensor
                                              of type OLD when WHICH is =OLD
                                              (the data stay as they are)
"""
import argparse
import json
import struct


def gguf_tensors(data):
    """Every tensor info of a GGUF file: (name, byte offset of its type
    field, type, offset of its data from the start of the file)."""
    pos = 8
    n_tensors, n_kv = struct.unpack_from("<QQ", data, pos)
    pos += 16
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def string(pos):
        n = struct.unpack_from("<Q", data, pos)[0]
        return data[pos + 8:pos + 8 + n].decode(), pos + 8 + n

    alignment = 32
    for _ in range(n_kv):
        key, pos = string(pos)
        vtype = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        if key == "general.alignment":
            alignment = struct.unpack_from("<I", data, pos)[0]
        if vtype == 8:
            _, pos = string(pos)
        elif vtype == 9:
            etype, count = struct.unpack_from("<IQ", data, pos)
            pos += 12
            for _ in range(count):
                if etype == 8:
                    _, pos = string(pos)
                else:
                    pos += sizes[etype]
        else:
            pos += sizes[vtype]
    infos = []
    for _ in range(n_tensors):
        tname, pos = string(pos)
        ndims = struct.unpack_from("<I", data, pos)[0]
        pos += 4 + 8 * ndims
        ttype, offset = struct.unpack_from("<IQ", data, pos)
        infos.append((tname, pos, ttype, offset))
        pos += 12
    start = (pos + alignment - 1) // alignment * alignment
    return [(n, at, t, start + off) for n, at, t, off in infos]


def gguf_tensor_start(data, name):
    """Byte offset of tensor NAME's data in a GGUF file."""
    return {n: start for n, _, _, start in gguf_tensors(data)}[name]


def safetensors_tensor_start(data, name):
    n = struct.unpack_from("<Q", data, 0)[0]
    header = json.loads(data[8:8 + n])
    return 8 + n + header[name]["data_offsets"][0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--truncate", type=int)
    ap.add_argument("--replace", nargs=2)
    ap.add_argument("--gguf-u32", nargs=2)
    ap.add_argument("--tensor", nargs=3)
    ap.add_argument("--gguf-type", nargs=2, metavar=("WHICH", "NEW"))
    ap.add_argument("--at", nargs=2, metavar=("OFFSET", "HEX"),
                    help="overwrite the bytes at a file offset")
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
    if a.tensor:
        name, offset, hexbytes = a.tensor
        find = gguf_tensor_start if data[:4] == b"GGUF" else safetensors_tensor_start
        at = find(bytes(data), name) + int(offset)
        patch = bytes.fromhex(hexbytes)
        data[at:at + len(patch)] = patch
    if a.gguf_type:
        which, new = a.gguf_type[0], int(a.gguf_type[1])
        changed = 0
        for name, at, ttype, _ in gguf_tensors(bytes(data)):
            if (which == name) or (which.startswith("=") and ttype == int(which[1:])):
                struct.pack_into("<I", data, at, new)
                changed += 1
        if not changed:
            raise SystemExit(f"{a.input}: no tensor {which} to retype")
    if a.at:
        at, patch = int(a.at[0]), bytes.fromhex(a.at[1])
        data[at:at + len(patch)] = patch
    open(a.output, "wb").write(data)


if __name__ == "__main__":
    main()
