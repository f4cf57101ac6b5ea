"""Instructions per element of one fill in several layouts, counted by
valgrind's callgrind inside the C core's fi_fill (counts that machine noise
does not move), each against a contiguous fill of the same element count.

    python bench/instructions.py                 # every fill, the best path
    FASTINIT_CPU=avx2 python bench/instructions.py normal

Each case runs in its own process under callgrind, collecting only inside
fi_fill; cycles per element follow from a timing, which this does not do.
Memory traffic (cache misses of a scattered layout) is not counted either:
the timings of bench/test_bench_layouts.py show that part.
"""
import json
import os
import subprocess
import sys

REPS = 2
CASES = {
    # name: (fill, layout expression, fill kwargs)
    "contiguous (2048, 64)": ("np.empty((2048, 64), np.float32)", {}),
    "column block (2048, 64) of (2048, 4096)": (
        "np.empty((2048, 64), np.float32)", {"global_shape": (2048, 4096), "start": (0, 1000)}),
    "contiguous (2048, 512)": ("np.empty((2048, 512), np.float32)", {}),
    "column block (2048, 512) of (2048, 4096)": (
        "np.empty((2048, 512), np.float32)", {"global_shape": (2048, 4096), "start": (0, 1000)}),
    "contiguous (512, 1024)": ("np.empty((512, 1024), np.float32)", {}),
    "2-D block (512, 1024) of (2048, 4096)": (
        "np.empty((512, 1024), np.float32)", {"global_shape": (2048, 4096), "start": (700, 1500)}),
    "contiguous (2^21, 2)": ("np.empty((1 << 21, 2), np.float32)", {}),
    "Fortran order (2^21, 2)": ("np.empty((1 << 21, 2), np.float32, order='F')", {}),
    "contiguous (3, 3, 512, 512)": ("np.empty((3, 3, 512, 512), np.float32)", {}),
    "transposed kernel (512, 512, 3, 3)":
        ("np.empty((3, 3, 512, 512), np.float32).transpose(3, 2, 0, 1)", {}),
}

CHILD = """
import sys, numpy as np, fastinit
fill, layout, kw, reps = sys.argv[1], sys.argv[2], eval(sys.argv[3]), int(sys.argv[4])
out = eval(layout)
f = getattr(fastinit, fill)
f(out, seed=1, threads=1, **kw)
for _ in range(reps):
    f(out, seed=1, threads=1, **kw)
"""


def instructions(fill, layout, kw, reps):
    cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=fi_fill",
           "--callgrind-out-file=/dev/null", sys.executable, "-c", CHILD, fill, layout,
           repr(kw), str(reps)]
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    for line in err.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1])
    raise RuntimeError(err)


def main():
    fills = sys.argv[1:] or ["uniform", "normal", "truncated_normal"]
    rows = []
    for fill in fills:
        for name, (layout, kw) in CASES.items():
            n = eval(layout, {"np": __import__("numpy")}).size
            per = instructions(fill, layout, kw, REPS) / (REPS + 1)
            rows.append((fill, name, per / n))
    base = {}
    print(f"path: {os.environ.get('FASTINIT_CPU') or 'best'}")
    print(f"{'fill':<17} {'layout':<42} {'instr/elem':>10} {'vs contiguous':>13}")
    for fill, name, ipe in rows:
        if name.startswith("contiguous"):
            base[fill] = ipe
            ratio = 1.0
        else:
            ratio = ipe / base[fill]
        print(f"{fill:<17} {name:<42} {ipe:10.2f} {ratio:13.2f}")
    if os.environ.get("FASTINIT_JSON"):
        json.dump(rows, open(os.environ["FASTINIT_JSON"], "w"))


if __name__ == "__main__":
    main()
