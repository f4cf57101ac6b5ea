"""Blocks and strided layouts against a contiguous fill of the same size.

    pytest bench/test_bench_layouts.py --benchmark-timer=time.process_time \
        --benchmark-json=bench/results/layouts.json
    python bench/layout_ratios.py bench/results/layouts.json

(process time: on a shared machine a fill's wall time includes the time
other processes held its core.)

Each group holds one fill of one element count, in several layouts: a
contiguous array (the reference), a column block and a 2-D block of a
larger global tensor (one call each, global_shape=/start=), the same column
block filled the old way (one call per row, with offset=), and strided
destinations: Fortran order with a short last axis (also reversed), a
transposed conv kernel, a transposed square matrix, every second column of
a wider one, and a Fortran-order 3-D array.  float32 and float64.  Single thread, so
the ratios are per-core costs; test_layout_threads has the strided
layouts on all threads, each against its contiguous fill on as many, and
test_layout_memory_floor NumPy's fill() of the same views against its
fill() of the contiguous arrays.
"""
import time

import numpy as np
import pytest

import fastinit
from fastinit import _core

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


DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fill", ["uniform", "normal", "truncated_normal"])
@pytest.mark.parametrize("name, how", CASES)
def test_block(benchmark, fill, name, how, dtype):
    f = _fill(fill)
    shape, start = BLOCKS[name]
    benchmark.group = f"block {fill} {dtype} {name} {shape}"
    out = np.empty(shape, dtype)
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


LAYOUTS = {  # name: (group, array); each group's first is its contiguous reference
    # a flat array first: a C-order (N, 2) is itself a layout to check (it
    # walked row by row, x3 the flat fill, until the walk's advance was fixed)
    "contiguous_flat": ("n_by_2", lambda dt: np.empty(1 << 22, dt)),
    "rows_n_by_2": ("n_by_2", lambda dt: np.empty((1 << 21, 2), dt)),
    "rows_n_by_1": ("n_by_2", lambda dt: np.empty((1 << 22, 1), dt)),
    "fortran_n_by_2": ("n_by_2", lambda dt: np.empty((1 << 21, 2), dt, order="F")),
    "reversed_n_by_2": ("n_by_2", lambda dt: np.empty((1 << 21, 2), dt)[::-1]),
    "fortran_reversed_n_by_2": ("n_by_2", lambda dt: np.empty((1 << 21, 2), dt, order="F")[::-1]),
    "kernel_c_order": ("kernel", lambda dt: np.empty((3, 3, 512, 512), dt)),
    "kernel_transposed": ("kernel", lambda dt: np.empty((3, 3, 512, 512), dt).transpose(
        3, 2, 0, 1)),
    "square_c_order": ("square", lambda dt: np.empty((2048, 2048), dt)),
    "square_transposed": ("square", lambda dt: np.empty((2048, 2048), dt).T),
    "square_every_second_column": ("square", lambda dt: np.empty((2048, 4096), dt)[:, ::2]),
    "cube_c_order": ("cube", lambda dt: np.empty((64, 64, 512), dt)),
    "cube_fortran": ("cube", lambda dt: np.empty((64, 64, 512), dt, order="F")),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fill", ["uniform", "normal"])
@pytest.mark.parametrize("case", LAYOUTS)
def test_layout(benchmark, fill, case, dtype):
    group, make = LAYOUTS[case]
    out = make(dtype)
    benchmark.group = f"layout {fill} {dtype} {group} {out.size}"
    f = _fill(fill)
    bench(benchmark, lambda: f(out, seed=1, threads=1))


ALL = _core.DEFAULT_THREADS
STRIDED = ["fortran_n_by_2", "kernel_transposed", "square_transposed",
                  "square_every_second_column", "cube_fortran"]
ALTERNATE_CALLS = 15


def _alternate(benchmark, case, dtype, fill, group_name, kind, clock):
    """The layout against its group's contiguous array, call by call, so
    that both see the same minutes of a shared machine; the benchmark times
    a round, extra_info holds each side's median call and their ratio
    (which layout_ratios.py prints)."""
    group, make = LAYOUTS[case]
    ref_case = next(c for c, (g, _) in LAYOUTS.items() if g == group)
    out, ref = make(dtype), LAYOUTS[ref_case][1](dtype)
    times = {"ref": [], "layout": []}

    def round_():
        for _ in range(ALTERNATE_CALLS):
            for side, a in (("ref", ref), ("layout", out)):
                t = clock()
                fill(a)
                times[side].append(clock() - t)

    round_()  # warm-up: a pool starts, both arrays are touched
    for v in times.values():
        v.clear()
    benchmark.group = f"layout {group_name} {dtype} {group} {out.size}"
    benchmark.pedantic(round_, rounds=3)
    r, t = (float(np.median(times[k])) for k in ("ref", "layout"))
    benchmark.extra_info.update(kind=kind, ref_median=r, layout_median=t, ratio=t / r)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", STRIDED)
def test_layout_threads(benchmark, case, dtype):
    """A strided layout against its group's contiguous fill, both on all
    threads: uniform, the cheapest kernel, where a layout's cost shows
    most; wall time (process time adds up the threads)."""
    if ALL < 2:
        pytest.skip("one CPU: no threads to share a strided fill")
    _alternate(benchmark, case, dtype, lambda a: fastinit.uniform(a, seed=1, threads=ALL),
               f"threads t{ALL} uniform", "layout_threads", time.perf_counter)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", STRIDED)
def test_layout_memory_floor(benchmark, case, dtype):
    """NumPy's fill() of the same layout against its fill() of the
    contiguous array: what the memory system alone charges for the layout
    (every second column touches every line of an array twice the size),
    the floor under the fill's own ratio."""
    _alternate(benchmark, case, dtype, lambda a: a.fill(0.5), "memory floor numpy fill",
               "layout_floor", time.process_time)
