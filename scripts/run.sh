#!/usr/bin/env bash
# The main job: set up, build, and show what Trit does today.
#
# Compiles the small trained model in models/trit-fortunes for this machine
# and generates text with it, with tokens/s, and its perplexity on held-out
# text; then generates a random model in the real file formats, shows its
# IR at each stage, and checks the compiled code against the NumPy
# reference of bitnet.cpp's arithmetic.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
export BUILD_DIR=$build_dir

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$build_dir/bin
trained=$root/models/trit-fortunes

echo
echo "== A small trained BitNet b1.58 model (models/trit-fortunes, learned from Debian's fortunes) =="
echo "\$ tritc models/trit-fortunes/trit-fortunes.gguf -o fortunes.trit"
"$bin/tritc" "$trained/trit-fortunes.gguf" -o "$work/fortunes.trit"
echo "\$ trit-run fortunes.trit -p \"The secret of a happy life is\" -n 60 -t 2 --temp 0.7 --seed 3"
"$bin/trit-run" "$work/fortunes.trit" -p "The secret of a happy life is" -n 60 -t 2 --temp 0.7 --seed 3
echo "\$ trit-run fortunes.trit -p \"A programmer\" -n 60 -t 2 --temp 0.8 --repeat-penalty 1.2 --seed 5"
"$bin/trit-run" "$work/fortunes.trit" -p "A programmer" -n 60 -t 2 --temp 0.8 --repeat-penalty 1.2 --seed 5
echo "\$ trit-perplexity fortunes.trit -f models/trit-fortunes/held-out.txt --ctx 256 -t 2 (held-out fortunes)"
"$bin/trit-perplexity" "$work/fortunes.trit" -f "$trained/held-out.txt" --ctx 256 -t 2 2>/dev/null | tail -1

echo
echo "== Generate a small random BitNet b1.58 model, as GGUF (I2_S) and as a Hugging Face folder =="
/usr/bin/python3 "$root/tools/trit-gen-model.py" "$work/model.gguf" --format gguf --preset small
/usr/bin/python3 "$root/tools/trit-gen-model.py" "$work/model-hf" --format hf --preset small

echo
echo "== Import it: tritc model.gguf --emit=summary =="
"$bin/tritc" "$work/model.gguf" --emit=summary > "$work/summary.txt"
head -8 "$work/summary.txt"
echo "..."
if diff <("$bin/tritc" "$work/model.gguf" --emit=summary | sed 's/ (.*)$//') \
        <("$bin/tritc" "$work/model-hf" --emit=summary | sed 's/ (.*)$//') > /dev/null; then
  echo "The GGUF file and the Hugging Face folder decode to the same model."
fi

echo
echo "== The imported model in the trit dialect: tritc model.gguf --emit=mlir (layer 0) =="
"$bin/tritc" "$work/model.gguf" --emit=mlir -o "$work/model.mlir"
echo "$(wc -c < "$work/model.mlir") bytes of IR; verified by trit-opt:"
"$bin/trit-opt" "$work/model.mlir" -o "$work/verified.mlir"
sed -n '/func.func private @forward/,/kv_store.*\[0\]/p' "$work/verified.mlir"
echo "  ..."

echo
echo "== After the trit passes for this CPU: tritc model.gguf --emit=opt-mlir (layer 0) =="
"$bin/tritc" "$work/model.gguf" --emit=opt-mlir -o "$work/opt.mlir"
grep -o 'trit.target = #trit.target<"[^"]*", "[^"]*"' "$work/opt.mlir"
sed -n '/func.func private @forward/,/fused_bitlinear.*gate relu2/p' "$work/opt.mlir" \
  | grep -E 'fused_bitlinear|trit.attention|kv_store' | sed 's/ norm(.*gate relu2/ ... gate relu2/; s/ norm(.*/ norm(...) weights(...)/; s/ : tensor.*//'
echo "  ..."

echo
echo "== Compile it for this CPU: tritc model.gguf --emit=obj (with --mlir-timing) =="
"$bin/tritc" "$work/model.gguf" --emit=obj -o "$work/model.o" --mlir-timing 2>&1 \
  | grep -E 'Total Execution|import|passes|llvm-' || true
echo "$(wc -c < "$work/model.o") bytes of object code exporting trit_prefill and trit_decode."
"$bin/tritc" "$work/model.gguf" --emit=asm -o "$work/model.s"
echo "Its BitLinear range functions, one per shape, and their dot-product instructions:"
grep -E '^trit\.bitlinear\.[a-z0-9_.x]+:' "$work/model.s" | sed 's/^/  /'
grep -oE '\b(vpdpbusd|vpmaddubsw|sdot)\b' "$work/model.s" | sort | uniq -c | sed 's/^/  /'

echo
echo "== Compile it into an artifact and run it: tritc model.gguf -o model.trit; trit-run =="
"$bin/tritc" "$work/model.gguf" -o "$work/model.trit"
echo "model.trit: $(wc -c < "$work/model.trit") bytes (header, code, weights mapped in place)."
prompt=1,17,42,99,200,7
echo "Greedy continuation of tokens $prompt (2 threads):"
"$bin/trit-run" "$work/model.trit" --prompt-tokens $prompt -n 24 -t 2 --ignore-eos \
  --print-token-ids --dump-logits "$work/compiled.logits" | tee "$work/compiled.ids"
echo "... and by the independent NumPy reference of bitnet.cpp's arithmetic:"
/usr/bin/python3 "$root/test/Inputs/reference-forward.py" "$work/model.gguf" \
  --prompt-tokens $prompt -n 24 --dump-logits "$work/reference.logits" | tee "$work/reference.ids"
if cmp -s "$work/compiled.ids" "$work/reference.ids"; then
  echo "Same tokens."
else
  echo "The tokens differ."
  exit 1
fi
/usr/bin/python3 "$root/test/Inputs/compare-logits.py" "$work/compiled.logits" \
  "$work/reference.logits" --vocab 2048

echo
echo "== Ship it: one program, and the same program for aarch64 (docs/shipping.md) =="
echo "\$ tritc models/trit-fortunes/trit-fortunes.gguf --emit=exe -o fortunes"
"$bin/tritc" "$trained/trit-fortunes.gguf" --emit=exe -o "$work/fortunes"
echo "fortunes: $(wc -c < "$work/fortunes") bytes; its libraries:"
ldd "$work/fortunes" | awk '{print "  " $1}'
echo "\$ ./fortunes -p \"A friend\" -n 24 --print-token-ids"
"$work/fortunes" -p "A friend" -n 24 --print-token-ids 2>/dev/null | tee "$work/x86.ids"
if [ -f "$build_dir/lib/trit/aarch64/libtrit-runtime.a" ] && command -v qemu-aarch64 >/dev/null; then
  echo "\$ tritc ... --emit=exe --target-triple=aarch64-linux-gnu --target-cpu=neoverse-n1 -o fortunes-arm64"
  "$bin/tritc" "$trained/trit-fortunes.gguf" --emit=exe --target-triple=aarch64-linux-gnu \
    --target-cpu=neoverse-n1 -o "$work/fortunes-arm64"
  echo "\$ qemu-aarch64 ./fortunes-arm64 -p \"A friend\" -n 24 --print-token-ids"
  qemu-aarch64 "$work/fortunes-arm64" -p "A friend" -n 24 --print-token-ids 2>/dev/null | tee "$work/arm.ids"
  cmp -s "$work/x86.ids" "$work/arm.ids" && echo "Same tokens on aarch64 (NEON dot products) as on x86-64."
fi

cat <<'MSG'

== Next ==
Measure speed against this machine's limits with
  build/bin/trit-bench MODEL.trit -p 128 -n 64 -t 1,2 --roofline
(docs/performance.md; tritc --lm-head=rerank for the fastest generation
with the exact head's greedy tokens, --prompt-lut for the fastest prompts
through lookup tables; on AVX-512 VNNI CPUs tritc stores ternary weights in
1.67 bits, T3X5).
MSG
