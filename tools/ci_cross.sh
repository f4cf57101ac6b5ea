#!/usr/bin/env bash
# CI: the golden digests on other targets (tools/cross_check.py): aarch64
# under qemu-user, x86-64 Windows (mingw-w64) under wine, i686 with SSE2
# maths, and the MSVC branches through clang.  Installs the toolchains with
# apt-get (~1 min); where apt-get cannot run, says so LOUDLY and checks only
# the targets whose tools are already there.  Needs the installed fastinit
# (the plan parameters come from its binding) in the active Python.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user gcc-i686-linux-gnu
      libc6-dev-i386-cross gcc-mingw-w64-x86-64 wine64 clang)
require=()
start=$SECONDS
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] \
   && apt-get update -qq >/dev/null 2>&1 \
   && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${pkgs[@]}" >/dev/null 2>&1; then
    echo "ci_cross: toolchains installed in $((SECONDS - start)) s"
    require=(--require aarch64 --require mingw64 --require i686)
else
    echo "!!!!!!!! ci_cross: apt-get unavailable or failed: cross targets whose"
    echo "!!!!!!!! toolchain is missing are SKIPPED, NOT VERIFIED (see below)"
fi
python tools/cross_check.py "${require[@]}" native aarch64 mingw64 i686
tools/msvc_check.sh
echo "ci_cross: done in $((SECONDS - start)) s"
