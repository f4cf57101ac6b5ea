#!/usr/bin/env bash
# CI step: the C core under AddressSanitizer + UndefinedBehaviorSanitizer.
#
# Builds the extension with -fsanitize=address,undefined (plus
# float-cast-overflow, which "undefined" leaves out in GCC and Clang) in a
# copy of the tree, so the project's own build is untouched, and runs the
# tests that reach every kernel once per SIMD path this CPU runs
# (test_stream: every distribution and dtype, offsets, slices, threads;
# test_hardening: the edges of issue 13), and test_fills (values, bounds,
# bad input; the longest) on the best path only.  Any report is
# fatal: -fno-sanitize-recover and halt_on_error kill the process, which
# fails the run even where pytest would have hidden the report's stderr.
#
# Needs: the Python environment of the tests (pytest, hypothesis, scipy,
# ml_dtypes), pip, and GCC or Clang with the sanitizer runtimes.
#   tools/ci_sanitize.sh                  # all paths
#   SANITIZE_PATHS="avx2" tools/ci_sanitize.sh
#   SANITIZE_TESTS="tests/test_stream.py" SANITIZE_TESTS_ONCE="" tools/ci_sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${CC:-gcc}
TESTS=${SANITIZE_TESTS-"tests/test_stream.py tests/test_hardening.py"}
TESTS_ONCE=${SANITIZE_TESTS_ONCE-"tests/test_fills.py"}
work=$(mktemp -d "${TMPDIR:-/tmp}/fastinit-sanitize.XXXXXX")
[ -n "${SANITIZE_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

# the tree as git sees it (tracked and not ignored), without build outputs
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard |
    tar --null -T - -cf - | tar -xf - -C "$work/src"

san="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all"
echo "== building with $san"
CC=$CC CFLAGS="$san -fno-omit-frame-pointer -g" LDFLAGS="$san" \
    python -m pip install -q --no-deps --target "$work/site" "$work/src"

# the ASan runtime must come first in a process that is not built with it
asan_rt=$("$CC" -print-file-name=libasan.so)
[ -f "$asan_rt" ] || { echo "no libasan.so from $CC" >&2; exit 1; }
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run() {   # python under the sanitizers, importing the sanitized build
    (cd "$work" && LD_PRELOAD="$asan_rt" PYTHONPATH="$work/site" "$@")
}
paths=${SANITIZE_PATHS:-$(run python -c "import fastinit; print(' '.join(fastinit._core.supported_paths()))")}
run python -c "import fastinit, sys; sys.exit('not the sanitized build' if '$work' not in fastinit.__file__ else 0)"

best=${paths##* }     # supported_paths() lists the best last
for path in $paths; do
    test_args=()
    tests="$TESTS"
    [ "$path" != "$best" ] || tests="$tests $TESTS_ONCE"
    for t in $tests; do test_args+=("$work/src/$t"); done
    echo "== FASTINIT_CPU=$path: $tests"
    # --capture=sys: the sanitizers write to file descriptor 2, which pytest
    # then leaves alone, so a report shows even though the process dies;
    # FASTINIT_FUZZ_EXAMPLES keeps a fuzz test, if listed, short
    if ! run env FASTINIT_CPU="$path" FASTINIT_FUZZ_EXAMPLES="${FASTINIT_FUZZ_EXAMPLES:-10}" \
            python -m pytest -q -x -p no:cacheprovider --capture=sys "${test_args[@]}"; then
        echo "== FAILED on FASTINIT_CPU=$path (a sanitizer report above, or a failed test)"
        exit 1
    fi
done
echo "== sanitizers: no report on paths: $paths"
