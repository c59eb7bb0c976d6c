#!/usr/bin/env python3
"""Unit checks of the Ternary Bonsai numerics in reference-forward.py and of
the block encoders in tools/trit-gen-model.py, against hand-made cases.

- quantize_q8_0 rounds halves away from zero (roundf, ggml's generic
  quantize_row_q8_0_ref), not to even; 0.49999997 rounds to 0; the stored
  scale is fp16(amax / 127) rounded to nearest even; an all-zero block
  has d = 0 and q = 0.
- PTQ1_0: every 5-trit number v (0..242) stored as ceil(v * 256 / 243)
  decodes to its digits, most significant first; the element positions of
  ../shared/reference/bonsai-ternary.md s. 1.3 (0, 16, 80, 120, 121); the
  generator's blocks decode to the trits it encoded.
- Q2_0 (group 64 and 128, code 3 included) and Q1_0 encode / decode round
  trips, scales included.
- group_matmul equals a literal scalar transcription of ggml's generic
  ggml_vec_dot_q2_0_q8_0 loop (f32 steps) on random blocks.
Prints one line per check and "all ok".
"""
import importlib.util
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = load("reference_forward", os.path.join(HERE, "reference-forward.py"))
gen = load("trit_gen_model", os.path.join(HERE, "..", "..", "tools", "trit-gen-model.py"))


def expect(cond, what):
    if not cond:
        sys.exit("FAILED: " + what)


def check_q8_0():
    f = np.float32
    row = np.zeros(64, np.float32)
    # Block 0: amax 127 -> d = 1 and id = 1, so x * id = x.
    row[:12] = [127, 0.5, 2.5, -0.5, -2.5, 1.5, -1.5, 126.5, 0.49999997, -0.49999997,
                3.4999998, -127]
    # Block 1: all zero.
    q, d = ref.quantize_q8_0(row[None])
    expect(list(q[0, :12]) == [127, 1, 3, -1, -3, 2, -2, 127, 0, 0, 3, -127],
           "q8_0 halves away from zero: %s" % list(q[0, :12]))
    expect(d[0, 0] == 1.0 and d[0, 1] == 0.0 and not q[0, 32:].any(), "q8_0 scales 1 and 0")
    expect(np.round(np.float32(2.5)) == 2, "numpy rounds half to even (the trap avoided)")
    print("q8_0: halves round away from zero (0.5 -> 1, 2.5 -> 3, -2.5 -> -3), "
          "0.49999997 -> 0, zero block d = 0")
    # fp16(d), round to nearest even: d = 1 + 2^-11 (a tie) -> 1.0;
    # d = 1 + 3 * 2^-11 (a tie) -> 1 + 2^-9 (even mantissa); d = 1 + 2^-11 +
    # 2^-20 -> 1 + 2^-10 (above the tie).
    for dd, want in ((1 + 2 ** -11, 1.0), (1 + 3 * 2 ** -11, 1 + 2 ** -9),
                     (1 + 2 ** -11 + 2 ** -20, 1 + 2 ** -10)):
        x = np.zeros((1, 32), np.float32)
        x[0, 0] = f(f(dd) * f(127))
        expect(f(x[0, 0] / f(127)) == f(dd), "test value %r" % dd)
        _, d = ref.quantize_q8_0(x)
        expect(d[0, 0] == f(want), "fp16(%r) = %r, expected %r" % (dd, d[0, 0], want))
    print("q8_0: the scale is fp16(amax / 127), ties to even")


def check_ptq1_0():
    # Every 5-trit number: byte = ceil(v * 256 / 243) decodes to v's digits.
    v = np.arange(243)
    byte = ((v * 256 + 242) // 243).astype(np.uint8)
    digits = np.stack([ref.ptq1_0_trit(byte, n) for n in range(5)], axis=1)
    want = np.stack([(v // 3 ** (4 - n)) % 3 for n in range(5)], axis=1)
    expect((digits == want).all(), "ptq1_0 base-3 bytes")
    # Any byte decodes to trits.
    allb = np.arange(256, dtype=np.uint8)
    expect(all(set(ref.ptq1_0_trit(allb, n).tolist()) <= {0, 1, 2} for n in range(5)),
           "ptq1_0: every byte decodes to trits")
    print("ptq1_0: the 243 five-trit bytes decode to their digits; any byte decodes to trits")
    # Element positions: a block whose qs[0] holds digits (0, 1, 2, 2, 1), qs[16]
    # (2, 0, 0, 0, 0), qh[0] (2, 2, 0, 0) and qh[1] (0, 1, 1, 1); the rest 1 (zero).
    qs = np.full((1, 24), (121 * 256 + 242) // 243, np.uint8)      # 11111 base 3
    qh = np.full((1, 2), (40 * 3 * 256 + 242) // 243, np.uint8)    # 1111 base 3
    enc = lambda ds: ((sum(d * 3 ** (len(ds) - 1 - i) for i, d in enumerate(ds))
                       * (3 if len(ds) == 4 else 1) * 256 + 242) // 243)
    qs[0, 0], qs[0, 16] = enc([0, 1, 2, 2, 1]), enc([2, 0, 0, 0, 0])
    qh[0, 0], qh[0, 1] = enc([2, 2, 0, 0]), enc([0, 1, 1, 1])
    vals = ref.decode_ptq1_0(qs, qh)[0]
    got = {e: int(vals[e]) for e in np.flatnonzero(vals)}
    expect(got == {0: -1, 32: 1, 48: 1, 80: 1, 88: -1, 96: -1, 104: -1, 112: -1,
                   120: 1, 121: -1, 122: 1, 124: -1, 126: -1},
           "ptq1_0 element positions: %s" % got)
    print("ptq1_0: element 0 = trit 0 of qs[0], 16 = trit 1 of qs[0], 80 = trit 0 of "
          "qs[16], 120 = trit 0 of qh[0], 121 = trit 0 of qh[1]")


def weight(kind, packed, rows, cols):
    group, block = {"q2_0": (64, 18), "q2_0_g128": (128, 34), "pq2_0": (128, 34),
                    "ptq1_0": (128, 28), "q1_0": (128, 18)}[kind]
    return ref.GroupWeight(kind, packed, 0, rows, cols, group, block)


def random_scales(rng, rows, groups):
    m = rng.integers(1024, 2048, size=(rows, groups))
    return np.ldexp(m.astype(np.float32), -16).astype(np.float16)


def check_round_trips():
    rng = np.random.default_rng(7)
    rows, cols = 6, 512
    codes = rng.integers(0, 4, size=(rows, cols)).astype(np.uint8)     # code 3 too
    for kind, group in (("q2_0", 64), ("q2_0_g128", 128)):
        d = random_scales(rng, rows, cols // group)
        w = weight(kind, gen.pack_q2_0(codes, d, group), rows, cols)
        expect((w.values == codes.astype(np.int8) - 1).all(), kind + " values")
        expect((w.scales == d.astype(np.float32)).all(), kind + " scales")
        deq = w.dequantized_rows([1, 4])
        expect((deq == (codes[[1, 4]].astype(np.float32) - 1)
                * np.repeat(d[[1, 4]].astype(np.float32), group, axis=1)).all(),
               kind + " embedding rows")
    trits = rng.integers(0, 3, size=(rows, cols)).astype(np.uint8)
    d = random_scales(rng, rows, cols // 128)
    w = weight("ptq1_0", gen.pack_ptq1_0(trits, d), rows, cols)
    expect((w.values == trits.astype(np.int8) - 1).all() and
           (w.scales == d.astype(np.float32)).all(), "ptq1_0 round trip")
    bits = rng.integers(0, 2, size=(rows, cols)).astype(np.uint8)
    w = weight("q1_0", gen.pack_q1_0(bits, d), rows, cols)
    expect((w.values == bits.astype(np.int8) * 2 - 1).all() and
           (w.scales == d.astype(np.float32)).all(), "q1_0 round trip")
    print("round trips: q2_0 and q2_0_g128 (code 3 too), ptq1_0, q1_0, scales and "
          "embedding rows exact")


def check_dot():
    rng = np.random.default_rng(11)
    f = np.float32
    for kind, group in (("q2_0", 64), ("pq2_0", 128)):
        rows, cols, tokens = 5, 384, 3
        codes = rng.integers(0, 3, size=(rows, cols)).astype(np.uint8)
        d = random_scales(rng, rows, cols // group)
        w = weight(kind, gen.pack_q2_0(codes, d, group), rows, cols)
        x = (rng.standard_normal((tokens, cols)) * 3).astype(np.float32)
        q, dq = ref.quantize_q8_0(x)
        got = ref.group_matmul(q, dq, w)
        for t in range(tokens):
            for r in range(rows):
                sumf = f(0)
                for g in range(cols // group):
                    sumi = f(0)
                    for k in range(group // 32):
                        b = g * group // 32 + k
                        isum = sum((int(codes[r, b * 32 + j]) - 1) * int(q[t, b * 32 + j])
                                   for j in range(32))
                        sumi = f(sumi + f(f(dq[t, b]) * f(isum)))
                    sumf = f(sumf + f(f(d[r, g]) * sumi))
                expect(got[t, r] == sumf, "%s dot [%d, %d]: %r != %r"
                       % (kind, t, r, got[t, r], sumf))
    print("group_matmul equals the scalar generic loop (q2_0 and pq2_0)")


check_q8_0()
check_ptq1_0()
check_round_trips()
check_dot()
print("all ok")
