#!/usr/bin/env python3
"""Writes the whole forward pass of a BitNet b1.58 model (2B4T shape by
default) in the trit dialect: embedding, every decoder layer, final norm, tied
LM head, and prefill/decode entry points. A test fixture that shows the
dialect expresses the complete model; the frontends build the same structure
from a real model file."""
import argparse


def layer(out, i, a):
    d, f, hd = a.dim, a.ffn, a.head_dim
    kv = a.kv_heads * hd
    wq, wkv = f"tensor<{d}x{d}x!trit.ternary, #i2_s>", f"tensor<{kv}x{d}x!trit.ternary, #i2_s>"
    wup, wdown = f"tensor<{f}x{d}x!trit.ternary, #i2_s>", f"tensor<{d}x{f}x!trit.ternary, #i2_s>"
    act, actf = f"tensor<?x{d}xf32>", f"tensor<?x{f}xf32>"
    p = f"%l{i}_"
    h = "%h0" if i == 0 else f"%l{i - 1}_h2"
    c = "%cache" if i == 0 else f"%l{i - 1}_c"

    def w(name, typ):
        return f"trit.weight @blk.{i}.{name} : {typ}"

    def lin(res, q, qtype, name, wtype, outw):
        out.append(f"    {p}{res}w = {w(name + '.weight', wtype)}")
        out.append(f"    {p}{res}s = {w(name + '.scale', 'tensor<f32>')}")
        out.append(f"    {p}{res} = trit.bitlinear {q}, {p}{res}w, {p}{res}s : {qtype}, {wtype}, tensor<f32> -> tensor<?x{outw}xf32>")

    def norm(res, x, name, width):
        out.append(f"    {p}{res}g = {w(name + '.weight', f'tensor<{width}xf32>')}")
        out.append(f"    {p}{res} = trit.rms_norm {x}, {p}{res}g eps {a.eps:e} : tensor<?x{width}xf32>, tensor<{width}xf32>")

    def quant(res, x, width):
        out.append(f"    {p}{res} = trit.quantize {x} : tensor<?x{width}xf32> -> !trit.qact<?x{width}>")

    qd, qf = f"!trit.qact<?x{d}>", f"!trit.qact<?x{f}>"
    norm("a", h, "attn_norm", d)
    quant("qa", f"{p}a", d)
    lin("q", f"{p}qa", qd, "attn_q", wq, d)
    lin("k", f"{p}qa", qd, "attn_k", wkv, kv)
    lin("v", f"{p}qa", qd, "attn_v", wkv, kv)
    out.append(f"    {p}qr = trit.rope neox {p}q at %pos head_dim {hd} theta {a.theta} : {act}")
    out.append(f"    {p}kr = trit.rope neox {p}k at %pos head_dim {hd} theta {a.theta} : tensor<?x{kv}xf32>")
    out.append(f"    {p}c = trit.kv_store {p}kr, {p}v into {c}[{i}] at %pos : tensor<?x{kv}xf32>, tensor<?x{kv}xf32> -> !kv_cache")
    out.append(f"    {p}att = trit.attention {p}qr, {p}c[{i}] at %pos heads {a.heads} : {act}, !kv_cache")
    norm("on", f"{p}att", "attn_sub_norm", d)
    quant("qo", f"{p}on", d)
    lin("o", f"{p}qo", qd, "attn_output", wq, d)
    out.append(f"    {p}h1 = trit.add {h}, {p}o : {act}")
    norm("fn", f"{p}h1", "ffn_norm", d)
    quant("qf", f"{p}fn", d)
    lin("g", f"{p}qf", qd, "ffn_gate", wup, f)
    lin("u", f"{p}qf", qd, "ffn_up", wup, f)
    out.append(f"    {p}m = trit.gate relu2 {p}g, {p}u : {actf}")
    norm("dn", f"{p}m", "ffn_sub_norm", f)
    quant("qdn", f"{p}dn", f)
    lin("dd", f"{p}qdn", qf, "ffn_down", wdown, d)
    out.append(f"    {p}h2 = trit.add {p}h1, {p}dd : {act}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--layers", type=int, default=30)
    ap.add_argument("--dim", type=int, default=2560)
    ap.add_argument("--ffn", type=int, default=6912)
    ap.add_argument("--heads", type=int, default=20)
    ap.add_argument("--kv-heads", type=int, default=5)
    ap.add_argument("--vocab", type=int, default=128256)
    ap.add_argument("--theta", type=float, default=500000.0)
    ap.add_argument("--eps", type=float, default=1e-5)
    ap.add_argument("--file", default="model.gguf")
    a = ap.parse_args()
    a.head_dim = a.dim // a.heads
    d, f, v, kv = a.dim, a.ffn, a.vocab, a.kv_heads * a.head_dim
    out = [
        f"!kv_cache = !trit.kv_cache<layers = {a.layers}, kv_heads = {a.kv_heads}, head_dim = {a.head_dim}, element_type = f16>",
        "#i2_s = #trit.packing<i2_s>",
        "module {",
    ]

    def glob(name, typ, part=""):
        tensor = name if not part else name.rsplit(".", 1)[0] + ".weight"
        suffix = f", {part}" if part else ""
        out.append(f'  trit.global @{name} : {typ} = #trit.external<"{a.file}", "{tensor}"{suffix}>')

    glob("token_embd.weight", f"tensor<{v}x{d}xf16>")
    glob("output_norm.weight", f"tensor<{d}xf32>")
    shapes = {"attn_q": (d, d), "attn_k": (kv, d), "attn_v": (kv, d), "attn_output": (d, d),
              "ffn_gate": (f, d), "ffn_up": (f, d), "ffn_down": (d, f)}
    norms = {"attn_norm": d, "attn_sub_norm": d, "ffn_norm": d, "ffn_sub_norm": f}
    for i in range(a.layers):
        for name, width in norms.items():
            glob(f"blk.{i}.{name}.weight", f"tensor<{width}xf32>")
        for name, (rows, cols) in shapes.items():
            glob(f"blk.{i}.{name}.weight", f"tensor<{rows}x{cols}x!trit.ternary, #i2_s>")
            glob(f"blk.{i}.{name}.scale", "tensor<f32>", "scale")

    out.append(f"  func.func private @forward(%tokens: tensor<?xi32>, %pos: index, %cache: !kv_cache) -> (tensor<?x{v}xf32>, !kv_cache) {{")
    out.append(f"    %embd = trit.weight @token_embd.weight : tensor<{v}x{d}xf16>")
    out.append(f"    %h0 = trit.embedding %embd[%tokens] : tensor<{v}x{d}xf16>, tensor<?xi32> -> tensor<?x{d}xf32>")
    for i in range(a.layers):
        layer(out, i, a)
    last = a.layers - 1
    out.append(f"    %out_norm = trit.weight @output_norm.weight : tensor<{d}xf32>")
    out.append(f"    %y = trit.rms_norm %l{last}_h2, %out_norm eps {a.eps:e} : tensor<?x{d}xf32>, tensor<{d}xf32>")
    out.append(f"    %logits = trit.lm_head %y, %embd : tensor<?x{d}xf32>, tensor<{v}x{d}xf16> -> tensor<?x{v}xf32>")
    out.append(f"    return %logits, %l{last}_c : tensor<?x{v}xf32>, !kv_cache")
    out.append("  }")
    out.append(f"  func.func @prefill(%tokens: tensor<?xi32>, %pos: index, %cache: !kv_cache) -> (tensor<?x{v}xf32>, !kv_cache) {{")
    out.append(f"    %logits, %c = func.call @forward(%tokens, %pos, %cache) : (tensor<?xi32>, index, !kv_cache) -> (tensor<?x{v}xf32>, !kv_cache)")
    out.append(f"    return %logits, %c : tensor<?x{v}xf32>, !kv_cache")
    out.append("  }")
    out.append(f"  func.func @decode(%token: tensor<1xi32>, %pos: index, %cache: !kv_cache) -> (tensor<1x{v}xf32>, !kv_cache) {{")
    out.append("    %tokens = tensor.cast %token : tensor<1xi32> to tensor<?xi32>")
    out.append(f"    %logits, %c = func.call @forward(%tokens, %pos, %cache) : (tensor<?xi32>, index, !kv_cache) -> (tensor<?x{v}xf32>, !kv_cache)")
    out.append(f"    %row = tensor.cast %logits : tensor<?x{v}xf32> to tensor<1x{v}xf32>")
    out.append(f"    return %row, %c : tensor<1x{v}xf32>, !kv_cache")
    out.append("  }")
    out.append("}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
