#!/usr/bin/env bash
# Sets up the machine, builds Trit and runs every test: the lit + FileCheck
# suite (IR, passes, tools, docs) and the GoogleTest unit tests through ctest.
# Prints each runner's summary; exits non-zero if anything fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
export BUILD_DIR=$build_dir

# The host CPU first: the tests that run compiled code depend on its
# features (lit's host-* features; TRIT_HOST_CPU=znver3 or haswell makes it
# look like that CPU; docs/development.md).
model=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
features=$(grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null | cut -d: -f2- |
  tr ' ' '\n' | grep -xE 'sse4_[12]|avx2?|fma|f16c|bmi[12]|avx512.*|avx_vnni|gfni|vaes|vpclmulqdq|amx_.*|asimd|asimddp|i8mm|sve' |
  tr '\n' ' ')
echo "host CPU: ${model:-unknown} ($(uname -m))"
echo "features: ${features:-unknown}"
if [ -n "${TRIT_HOST_CPU:-}" ]; then
  echo "TRIT_HOST_CPU=$TRIT_HOST_CPU: the tests see the host as that CPU"
fi

bash "$root/scripts/setup.sh" || exit 1
bash "$root/scripts/build.sh" || { echo "test: build failed" >&2; exit 1; }

status=0
echo "== lit (FileCheck tests of IR and tools) =="
/usr/bin/python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv "$build_dir/test" || status=1

echo "== unit tests (GoogleTest via ctest) =="
ctest --test-dir "$build_dir" --output-on-failure || status=1

if [ "$status" -eq 0 ]; then
  echo "test: all tests passed"
else
  echo "test: FAILED" >&2
fi
exit "$status"
