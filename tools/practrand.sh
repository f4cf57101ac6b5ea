#!/usr/bin/env bash
# Statistical batteries on fastinit's raw stream (random_bits), not in CI:
# hours for a long run.
#
#   tools/practrand.sh [MODE...]      MODE: single, streams, seeds (default: all three)
#
#   single   stream 0 of seed 0
#   streams  streams 0..K-1 of seed 0, word-interleaved (neighbouring streams)
#   seeds    stream 0 of seeds 0..K-1, word-interleaved (neighbouring seeds)
#
# Environment:
#   K=4            sources interleaved in "streams"/"seeds"
#   LENGTH=64GB    PractRand: bytes to test (RNG_test -tlmax)
#   DIEHARDER="-a" dieharder: test selection (e.g. "-d 0 -d 15 -d 202")
#   LOG=dir        where the reports go (default: practrand-logs/)
#
# PractRand (preferred: it finds far more than dieharder does) is not
# packaged: get PractRand 0.95 from https://sourceforge.net/projects/pracrand/,
# unpack, and build RNG_test with
#   g++ -O3 -std=c++14 -Iinclude src/*.cpp src/RNGs/*.cpp src/RNGs/other/*.cpp \
#       tools/RNG_test.cpp -o RNG_test -pthread
# then put it on PATH (or PRACTRAND=/path/to/RNG_test).  Without it the script
# uses dieharder (Debian/Ubuntu: apt-get install dieharder), which reads the
# stream as raw input (-g 200); each dieharder run reads a few GB.
#
# Every report line says PASSED/WEAK/FAILED (dieharder) or "no anomalies"
# (PractRand); a FAILED, or a WEAK that repeats in a second run with another
# seed (SEED=1), is a finding.  One WEAK in ~100 p-values is expected.
set -euo pipefail
cd "$(dirname "$0")/.."
K=${K:-4}
LENGTH=${LENGTH:-64GB}
SEED=${SEED:-0}
LOG=${LOG:-practrand-logs}
PRACTRAND=${PRACTRAND:-$(command -v RNG_test || true)}
mkdir -p "$LOG"
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(single streams seeds)

for mode in "${modes[@]}"; do
    src=(python tools/stream_bits.py --mode "$mode" -k "$K" --seed "$SEED")
    if [ -n "$PRACTRAND" ]; then
        report="$LOG/practrand-$mode.txt"
        echo "== $mode: PractRand stdin32, up to $LENGTH -> $report"
        "${src[@]}" | "$PRACTRAND" stdin32 -tlmax "$LENGTH" -multithreaded | tee "$report"
    elif command -v dieharder >/dev/null; then
        report="$LOG/dieharder-$mode.txt"
        echo "== $mode: dieharder ${DIEHARDER:--a} -> $report"
        # shellcheck disable=SC2086
        "${src[@]}" | dieharder -g 200 ${DIEHARDER:--a} | tee "$report"
        if grep -q FAILED "$report"; then
            echo "== $mode: FAILED tests above"
        fi
    else
        echo "neither PractRand's RNG_test nor dieharder found (see the top of $0)" >&2
        exit 2
    fi
done
