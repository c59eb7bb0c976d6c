#!/usr/bin/env bash
# Installs Trit's build and test dependencies from Debian 12 packages.
# Idempotent and non-interactive: packages already present are skipped without
# touching apt. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # LLVM/MLIR 19: libmlir-19-dev does not pull mlir-19-tools (mlir-tblgen).
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
  clang-19 lld-19 libclang-rt-19-dev
  cmake ninja-build ccache
  libflatbuffers-dev flatbuffers-compiler
  libfmt-dev libgtest-dev libgmock-dev libpcre2-dev libbenchmark-dev
  python3-numpy python3-regex pkg-config
  # The server (trit-server, ./model --serve): HTTP and JSON (dpkg-dev's
  # dpkg-source unpacks cpp-httplib's source package, below).
  libcpp-httplib-dev nlohmann-json3-dev dpkg-dev
  # aarch64: the cross toolchain and qemu, to test the NEON kernels and
  # cross-compiled executables on x86 hosts. Executables link Debian's cross
  # libstdc++ and arm64 PCRE2 and run under qemu with the arm64 C and C++
  # libraries (multiarch: qemu-user 7.2 hangs on threads with the
  # -cross C library).
  qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
  libpcre2-dev:arm64 libstdc++6:arm64
)

# scripts/setup.sh --training adds what tools/train/train-bitnet.py needs:
# PyTorch, the fortunes text it learns from, and OpenBLAS (Debian's PyTorch
# uses the reference BLAS otherwise, 25x slower).
if [ "${1:-}" = "--training" ]; then
  packages+=(python3-torch fortunes libopenblas0-pthread)
fi

# Debian's libcpp-httplib-dev ships httplib.h split into declarations and a
# shared library that needs OpenSSL, zlib and brotli. The server is also
# linked into the programs tritc --emit=exe writes, which must need only the
# C and C++ libraries (and build for aarch64), so it uses the same version as
# one header: the Debian source package's httplib.h with Debian's patches,
# kept in $httplib_dir (runtime/CMakeLists.txt looks there).
httplib_dir=/usr/local/share/trit/cpp-httplib-0.11.4
fetch_httplib() {
  [ -f "$httplib_dir/httplib.h" ] && return 0
  local work
  work=$(mktemp -d)
  chmod 755 "$work" # apt downloads as _apt
  mkdir -p "$work/lists/partial"
  printf 'deb-src http://deb.debian.org/debian bookworm main\ndeb-src http://deb.debian.org/debian-security bookworm-security main\n' > "$work/sources.list"
  # A private source list and index: the system's apt setup is left alone.
  local apt=(apt-get -qq -o Dir::Etc::SourceList="$work/sources.list"
             -o Dir::Etc::SourceParts=/nonexistent
             -o Dir::State::Lists="$work/lists")
  echo "setup: fetching the cpp-httplib 0.11.4 Debian source for its single header"
  (cd "$work" && $sudo "${apt[@]}" update && $sudo "${apt[@]}" source --download-only cpp-httplib=0.11.4+ds-1+deb12u1 \
     && dpkg-source --no-check -x cpp-httplib_0.11.4+ds-1+deb12u1.dsc src >/dev/null)
  $sudo mkdir -p "$httplib_dir"
  $sudo cp "$work/src/httplib.h" "$work/src/LICENSE" "$httplib_dir/"
  rm -rf "$work"
}

# The official OpenAI Node SDK, for the server's tests (test/server), when npm
# is there and the registry answers; without it those tests are UNSUPPORTED.
npm_dir=/usr/local/share/trit/npm
install_openai_node() {
  [ -d "$npm_dir/node_modules/openai" ] && return 0
  command -v npm >/dev/null || return 0
  $sudo mkdir -p "$npm_dir"
  (cd "$npm_dir" && $sudo npm install --no-audit --no-fund --silent openai@4 >/dev/null 2>&1) ||
    echo "setup: could not install npm's openai; the tests that use it are skipped"
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo=""
if [ ${#missing[@]} -eq 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  fetch_httplib
  install_openai_node
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The :arm64 packages need the architecture enabled in dpkg.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $sudo dpkg --add-architecture arm64
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fetch_httplib
install_openai_node
echo "setup: done"
