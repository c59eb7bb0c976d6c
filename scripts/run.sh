#!/usr/bin/env bash
# The main job: set up, build, and show what Trit does today.
#
# Trit is being built in stages. Working now: the `trit` dialect, trit-opt,
# and importing GGUF / Hugging Face models with tritc. Not yet: compiling
# them and generating text; this script says so rather than pretending.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
export BUILD_DIR=$build_dir

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$build_dir/bin

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
"$bin/tritc" "$work/model.gguf" -o "$work/model.mlir"
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

cat <<'MSG'

== Not yet available ==
Lowering the optimized model to machine code and generating text are the
next stages (compiler lowering, runtime). When they land, this command will
compile the model for this CPU and generate text with it.
MSG
