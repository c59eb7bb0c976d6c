#!/usr/bin/env python3
"""Shrinks a compiled artifact (.trit) into a seed for trit-fuzz-artifact:
the prefix and the FlatBuffer header as tritc wrote them (target, model,
memory plan, tokenizer, weight table), but the code cut to its first 64 bytes
and each weight to at most 64, with the offsets, sizes and checksum
rewritten to match. The fuzzer checks everything up to loading the code and
reads no weight, so the seed opens exactly as the whole artifact does, in a
few kilobytes instead of hundreds: libFuzzer copies, mutates and the
sanitizers track every input byte, and a 200 KB input ran 20 times slower.

  shrink-artifact.py IN.trit OUT.trit [--flatc FLATC] [--schema artifact.fbs]

flatc (flatbuffers-compiler, which the build needs too) converts the header
to JSON and back.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "runtime", "schema", "artifact.fbs")
PREFIX = "<8sIIQQQQ16s"  # artifact::Prefix, 64 bytes
ALIGN = 64               # artifact::kAlignment
KEEP = 64                # bytes kept of the code and of each weight
MASK = (1 << 64) - 1


def align(v):
    return (v + ALIGN - 1) // ALIGN * ALIGN


def checksum(data):
    """artifact::checksum (ArtifactFormat.h)."""
    p1, p2 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F

    def mix(h, w):
        h ^= (w * p2) & MASK
        h = ((h << 31) | (h >> 33)) & MASK
        return (h * p1) & MASK

    lanes = [p1, p2, ~p1 & MASK, ~p2 & MASK]
    blocks = len(data) // 32
    for b in range(blocks):
        words = struct.unpack_from("<4Q", data, 32 * b)
        lanes = [mix(lanes[i], words[i]) for i in range(4)]
    h = (len(data) * p1) & MASK
    for lane in lanes:
        h = mix(h, lane)
    for byte in data[32 * blocks:]:
        h = mix(h, byte)
    return h ^ (h >> 29)


def container_checksum(data):
    """artifact::containerChecksum: one chunk (16 MB) is all a seed has."""
    assert len(data) <= 16 << 20
    return checksum(struct.pack("<Q", checksum(data)))


def flatc(args, flatc_path):
    subprocess.run([flatc_path] + args, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--flatc", default="flatc")
    parser.add_argument("--schema", default=SCHEMA)
    args = parser.parse_args()

    data = open(args.input, "rb").read()
    magic, version, reserved, header_offset, header_size, file_size, _, pad = \
        struct.unpack_from(PREFIX, data)
    if magic != b"TRITMODL" or file_size != len(data):
        sys.exit(f"{args.input}: not a whole Trit artifact")

    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "header.bin")
        with open(raw, "wb") as f:
            f.write(data[header_offset:header_offset + header_size])
        flatc(["--json", "--raw-binary", "--strict-json", "--natural-utf8",
               "-o", tmp, args.schema, "--", raw], args.flatc)
        header = json.load(open(os.path.join(tmp, "header.json")))
        pieces = [(header, "code_offset", "code_size")] + \
                 [(w, "offset", "size") for w in header["weights"]]
        sources = [(obj[off], obj.get(size, 0)) for obj, off, size in pieces]

        def build(start):
            """The header with the pieces laid out from `start`."""
            at = start
            for (obj, off, size), (_, length) in zip(pieces, sources):
                if length == 0:  # no code: a linked model's weights
                    continue
                obj[off], obj[size] = at, min(length, KEEP)
                at = align(at + obj[size])
            path = os.path.join(tmp, "shrunk.json")
            json.dump(header, open(path, "w"))
            flatc(["--binary", "-o", tmp, args.schema, path], args.flatc)
            return open(os.path.join(tmp, "shrunk.trit"), "rb").read()

        # Offsets do not change the header's size unless one is 0 (then
        # FlatBuffers leaves it out): lay out, measure, lay out again.
        start = align(64 + len(build(1 << 20)))
        new_header = build(start)
        assert align(64 + len(new_header)) == start, "the header changed size"

    body = bytearray(new_header + bytes(start - 64 - len(new_header)))
    for (obj, off, size), (src, length) in zip(pieces, sources):
        if length == 0:
            continue
        body += bytes(obj[off] - 64 - len(body))
        body += data[src:src + obj[size]]
    prefix = struct.pack(PREFIX, magic, version, reserved, 64, len(new_header),
                         64 + len(body), container_checksum(bytes(body)), pad)
    with open(args.output, "wb") as f:
        f.write(prefix + body)
    print(f"{args.output}: {64 + len(body)} bytes (from {len(data)})")


if __name__ == "__main__":
    main()
