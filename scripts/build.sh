#!/usr/bin/env bash
# Configures (once) and builds Trit with clang-19, lld, ccache and Ninja.
#   BUILD_DIR=build        where to build
#   TRIT_SANITIZE=1        AddressSanitizer + UndefinedBehaviorSanitizer build
#   TRIT_WERROR=ON|OFF     warnings as errors (ON by default here, as in CI)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
sanitize=${TRIT_SANITIZE:-0}
werror=${TRIT_WERROR:-ON}

if [ ! -f "$build_dir/build.ninja" ]; then
  sanitizers=OFF
  [ "$sanitize" = 1 ] && sanitizers=ON
  cmake -G Ninja -S "$root" -B "$build_dir" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DTRIT_WERROR="$werror" -DTRIT_ENABLE_SANITIZERS="$sanitizers"
fi
cmake --build "$build_dir"
