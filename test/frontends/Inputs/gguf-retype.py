#!/usr/bin/env python3
"""Copies a GGUF file with the ggml type id of some tensors rewritten (the
data stay as they are), for bad-input tests of the reader's sizes.

  gguf-retype.py IN OUT --from OLD --to NEW       every tensor of type OLD
  gguf-retype.py IN OUT --tensor NAME --to NEW    one tensor
"""
import argparse
import struct

SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def tensor_type_offsets(data):
    """(name, byte offset of its type field, type) of every tensor info."""
    pos = 8
    n_tensors, n_kv = struct.unpack_from("<QQ", data, pos)
    pos += 16

    def string(pos):
        n = struct.unpack_from("<Q", data, pos)[0]
        return data[pos + 8:pos + 8 + n].decode(), pos + 8 + n

    for _ in range(n_kv):
        _, pos = string(pos)
        vtype = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        if vtype == 8:
            _, pos = string(pos)
        elif vtype == 9:
            etype, count = struct.unpack_from("<IQ", data, pos)
            pos += 12
            for _ in range(count):
                if etype == 8:
                    _, pos = string(pos)
                else:
                    pos += SCALAR_SIZES[etype]
        else:
            pos += SCALAR_SIZES[vtype]
    infos = []
    for _ in range(n_tensors):
        name, pos = string(pos)
        ndims = struct.unpack_from("<I", data, pos)[0]
        pos += 4 + 8 * ndims
        infos.append((name, pos, struct.unpack_from("<I", data, pos)[0]))
        pos += 4 + 8
    return infos


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--from", dest="old", type=int)
    which.add_argument("--tensor")
    ap.add_argument("--to", type=int, required=True)
    a = ap.parse_args()
    data = bytearray(open(a.input, "rb").read())
    changed = 0
    for name, at, ttype in tensor_type_offsets(data):
        if (a.tensor is not None and name == a.tensor) or (a.old is not None and ttype == a.old):
            struct.pack_into("<I", data, at, a.to)
            changed += 1
    if not changed:
        raise SystemExit(f"{a.input}: no tensor to retype")
    open(a.output, "wb").write(data)


if __name__ == "__main__":
    main()
