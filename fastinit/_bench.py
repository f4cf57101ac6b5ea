"""``python -m fastinit bench``: fastinit's throughput against NumPy (and
PyTorch when installed), each filling the same preallocated buffer.

The full comparison (sizes, dtypes, SciPy, JAX, cold buffers) is the
pytest-benchmark suite in bench/ of the source tree.
"""
import os
import statistics
import time

import numpy as np

from . import _core

FILLS = ("uniform", "normal", "truncated_normal")
STD = 0.05
PROBE = 1 << 16   # elements of the first, cost-probing call
CALL_S = 0.5      # longest timed call: slower fills are timed on a prefix
CELL_S = 1.0      # timed seconds per cell, beyond MIN_REPEATS calls
MIN_REPEATS = 3


def _rate(fill, a, repeats):
    """M elements/s: the median of timed calls of fill(view)
    on a prefix view of ``a`` after a warm-up.  A fill too slow for the whole
    buffer in CALL_S is timed on a shorter prefix, so one slow competitor
    cannot blow the time budget."""
    probe = a[:PROBE]
    fill(probe)  # warm-up: lazy init, first-call costs
    t0 = time.perf_counter()
    fill(probe)
    per_element = (time.perf_counter() - t0) / probe.size
    view = a[:max(PROBE, int(CALL_S / max(per_element, 1e-12)))]
    fill(view)  # warm-up at the timed size
    times = []
    while len(times) < MIN_REPEATS or (len(times) < repeats and sum(times) < CELL_S):
        t0 = time.perf_counter()
        fill(view)
        times.append(time.perf_counter() - t0)
    return view.size / statistics.median(times) / 1e6


def _numpy(fill):
    draw = {"uniform": np.random.default_rng(1).random,
            # NumPy has no truncated normal: its plain normal is the floor any
            # truncation would build on.  Unscaled draws: NumPy's best case.
            "normal": np.random.default_rng(1).standard_normal}
    draw = draw["uniform" if fill == "uniform" else "normal"]
    return lambda v: draw(out=v, dtype=v.dtype)


def _torch(torch, fill):
    init = {"uniform": lambda t: torch.nn.init.uniform_(t, -STD, STD),
            "normal": lambda t: torch.nn.init.normal_(t, 0.0, STD),
            # torch's a, b are absolute bounds, fastinit's are in std units
            "truncated_normal": lambda t: torch.nn.init.trunc_normal_(t, 0.0, STD, -2 * STD, 2 * STD)}
    return lambda v: init[fill](torch.from_numpy(v))


def run(size=1 << 24, threads=None, repeats=5, dtypes=("float32", "float64"), out=print):
    """Print the table; return its rows as dicts of M elements/s."""
    from . import normal, truncated_normal, uniform
    fastinit = {"uniform": uniform, "normal": normal, "truncated_normal": truncated_normal}
    threads = threads or _core.DEFAULT_THREADS
    counts = sorted({1, threads})
    # PyTorch's OpenMP workers would otherwise spin on the cores the next
    # fill needs (libgomp's default wait policy); set before torch loads it
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
        torch_threads = torch.get_num_threads()
    except ImportError:
        torch = None

    out(f"fastinit {_core.PATH} path, {size:,} elements ({_log2(size)}), "
        f"M elements/s, median of up to {repeats} after a warm-up")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > 0.5 * (os.cpu_count() or 1):
        out(f"warning: load average {load:.1f} on {os.cpu_count()} CPUs: numbers will be noisy")
    head = ["fill", "dtype"] + [f"fastinit {t}T" for t in counts] + ["NumPy"]
    head += [f"x NumPy {t}T" for t in counts]
    if torch is not None:
        head += [f"torch {t}T" for t in counts] + [f"x torch {threads}T"]
    rows, lines = [], []
    try:
        for dtype in dtypes:
            a = np.empty(size, dtype)  # one buffer, shared by every fill of this dtype
            for fill in FILLS:
                fi = {t: _rate(lambda v, t=t: fastinit[fill](v, seed=1, threads=t), a, repeats)
                      for t in counts}
                row = {"fill": fill, "dtype": dtype, "fastinit": fi,
                       "numpy": _rate(_numpy(fill), a, repeats)}
                cells = [fill, dtype] + [fi[t] for t in counts] + [row["numpy"]]
                cells += [f"x{fi[t] / row['numpy']:.1f}" for t in counts]
                if torch is not None:
                    row["torch"] = {}
                    for t in counts:
                        torch.set_num_threads(t)
                        row["torch"][t] = _rate(_torch(torch, fill), a, repeats)
                    cells += [row["torch"][t] for t in counts]
                    cells.append(f"x{fi[threads] / row['torch'][threads]:.1f}")
                rows.append(row)
                lines.append(cells)
    finally:
        if torch is not None:
            torch.set_num_threads(torch_threads)
    _print_table(head, lines, out)
    if any(r["fill"] == "truncated_normal" for r in rows):
        out("NumPy has no truncated normal: its column there is the untruncated normal.")
    return rows


def _log2(n):
    return f"2^{n.bit_length() - 1}" if n & (n - 1) == 0 else f"~2^{n.bit_length() - 1}"


def _print_table(head, lines, out):
    text = [[c if isinstance(c, str) else f"{c:.0f}" if c >= 100 else f"{c:.3g}"
             for c in cells] for cells in lines]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(head)]
    for cells in [head] + text:
        out("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                      for i, (c, w) in enumerate(zip(cells, widths))))
