#!/usr/bin/env bash
# The main job: set up, build, and show what Trit does today.
#
# Trit is being built in stages. Working now: the `trit` dialect and
# `trit-opt`. Not yet: importing model files, compiling them, and generating
# text; this script says so rather than pretending.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
export BUILD_DIR=$build_dir

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo
echo "== The whole BitNet b1.58 2B4T forward pass (30 layers) in the trit dialect =="
/usr/bin/python3 "$root/test/Inputs/bitnet-forward.py" > "$work/bitnet-2b4t.mlir"
"$build_dir/bin/trit-opt" "$work/bitnet-2b4t.mlir" -o "$work/verified.mlir"
echo "parsed and verified: $(grep -c 'trit.attention' "$work/verified.mlir") attention layers," \
     "$(grep -c 'trit.bitlinear' "$work/verified.mlir") BitLinears," \
     "$(wc -c < "$work/verified.mlir") bytes of IR for 2.4 B parameters"

echo
echo "== Decoder layer 0 after canonicalize + cse (from docs/dialect.md) =="
/usr/bin/python3 "$root/test/Inputs/extract-mlir-blocks.py" "$root/docs/dialect.md" \
  > "$work/docs.mlir"
"$build_dir/bin/trit-opt" "$work/docs.mlir" -split-input-file --canonicalize --cse \
  | sed -n '/func.func @decoder_layer_0/,/^  }/p'

cat <<'MSG'

== Not yet available ==
Importing GGUF / Hugging Face models, compiling them for a CPU, and generating
text are the next stages of the project (frontends, compiler, runtime). When
they land, this command will generate a small model, compile it for this
machine and generate text with it.
MSG
