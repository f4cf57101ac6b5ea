"""Blocks and strided layouts against a contiguous fill of the same size.

    pytest bench/test_bench_layouts.py --benchmark-json=bench/results/layouts.json
    python bench/report.py bench/results/layouts.json

Each group holds one fill of one element count, in several layouts: a
contiguous array (the reference), a column block and a 2-D block of a
larger global tensor (one call each, global_shape=/start=), the same column
block filled the old way (one call per row, with offset=), and strided
destinations: Fortran order with a short last axis, a transposed conv kernel.
Single thread, so the ratios are per-core costs.
"""
import time

import numpy as np
import pytest

import fastinit

MIN_ROUNDS, BUDGET_S = 7, 0.3
ROWS, COLS = 2048, 4096          # the global weight of the block cases


def bench(benchmark, fn):
    t = time.perf_counter()
    fn()
    rounds = max(MIN_ROUNDS, min(200, int(BUDGET_S / max(time.perf_counter() - t, 1e-6))))
    benchmark.pedantic(fn, rounds=rounds, warmup_rounds=1)


def _fill(name):
    return getattr(fastinit, name)


BLOCKS = {  # name: (block shape, start) in the (ROWS, COLS) weight
    "column_64": ((ROWS, 64), (0, 1000)),
    "column_512": ((ROWS, 512), (0, 1000)),
    "block_2d": ((512, 1024), (700, 1500)),
}
# (block, how): "contiguous" is a plain array of the block's shape, "block"
# the one-call block fill, "per_row" one call per row with offset=
CASES = [(b, how) for b in BLOCKS for how in ("contiguous", "block")]
CASES.append(("column_512", "per_row"))


@pytest.mark.parametrize("fill", ["uniform", "normal", "truncated_normal"])
@pytest.mark.parametrize("name, how", CASES)
def test_block(benchmark, fill, name, how):
    f = _fill(fill)
    shape, start = BLOCKS[name]
    benchmark.group = f"block {fill} float32 {name} {shape}"
    out = np.empty(shape, np.float32)
    if how == "contiguous":
        fn = lambda: f(out, seed=1, threads=1)             # noqa: E731
    elif how == "per_row":
        def fn():
            for r in range(shape[0]):
                f(out[r], seed=1, threads=1, offset=(start[0] + r) * COLS + start[1])
    else:
        fn = lambda: f(out, seed=1, threads=1, global_shape=(ROWS, COLS),   # noqa: E731
                       start=start)
    bench(benchmark, fn)


LAYOUTS = {
    "c_order": lambda: np.empty((1 << 21, 2), np.float32),
    "fortran_n_by_2": lambda: np.empty((1 << 21, 2), np.float32, order="F"),
    "kernel_c_order": lambda: np.empty((3, 3, 512, 512), np.float32),
    "kernel_transposed": lambda: np.empty((3, 3, 512, 512), np.float32).transpose(3, 2, 0, 1),
}


@pytest.mark.parametrize("fill", ["uniform", "normal"])
@pytest.mark.parametrize("case", LAYOUTS)
def test_layout(benchmark, fill, case):
    out = LAYOUTS[case]()
    benchmark.group = f"layout {fill} float32 {out.size}"
    f = _fill(fill)
    bench(benchmark, lambda: f(out, seed=1, threads=1))
