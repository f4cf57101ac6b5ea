#!/usr/bin/env bash
# The C core's MSVC branches (_MSC_VER: __cpuidex/_xgetbv, Win32 threads,
# fp_contract pragma, no GCC builtins) through clang in MSVC mode, every
# source with the flags of its path.  A syntax and type check only: the
# Windows SDK is replaced by the few declarations in tools/msvc_stubs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "!!!!!!!! SKIPPED: msvc_check NOT RUN: clang missing !!!!!!!!"; exit 0; }
flags=(--target=x86_64-pc-windows-msvc -fms-extensions -fms-compatibility
       -fms-compatibility-version=19.40 -std=c11 -ffp-contract=off -Wall -Wextra
       -Wno-unused-function -Werror -isystem tools/msvc_stubs -Icsrc
       -DFI_HAVE_AVX2 -DFI_HAVE_AVX512 -fsyntax-only)
avx2=(-mavx2 -mfma)
avx512=("${avx2[@]}" -mavx512f -mavx512dq -mavx512bw -mavx512vl)
clang "${flags[@]}" csrc/dispatch.c
clang "${flags[@]}" csrc/pool.c
clang "${flags[@]}" csrc/path_baseline.c
clang "${flags[@]}" "${avx2[@]}" csrc/path_avx2.c
clang "${flags[@]}" "${avx512[@]}" csrc/path_avx512.c
echo "msvc_check: dispatch.c, pool.c and every path compile in MSVC mode (clang, _MSC_VER 1940)"
