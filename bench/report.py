"""Markdown table and plot from a pytest-benchmark JSON of bench/test_bench_fills.py
(and bench/test_bench_dask.py: its "dask-cluster" rows, no plot).

Usage:
    pytest bench --benchmark-json=bench/results/run.json
    python bench/report.py bench/results/run.json [--md FILE] [--png FILE] [--no-plot]

Prints one row per benchmark group and writes it to FILE (default: the JSON's
name with .md): throughput in M elements/s from each benchmark's median, and
fastinit's speed-up over each competitor in the group ("x2.0": fastinit is
twice as fast).  The PNG (default: the JSON's name with .png; needs
matplotlib) plots throughput against size for each fill and dtype.
"""
import argparse
import json
import sys
from pathlib import Path

LIBS = {"fastinit": "fastinit", "numpy": "NumPy", "torch": "PyTorch", "jax": "JAX",
        "scipy": "SciPy", "dask": "Dask"}
ORDER = {"variant": ["warm", "cold"], "fill": ["uniform", "normal", "truncated_normal"],
         "dtype": ["float32", "float64", "float16", "bfloat16"]}
NOTES = """\
NumPy: `Generator.random` for uniform and `standard_normal` for normal and for
truncated normal (NumPy has no truncated normal: the untruncated draw is a
floor), unscaled; float16/bfloat16 are drawn as float32 and cast into the
buffer.  SciPy: `truncnorm.rvs` cast into the buffer.  NumPy and SciPy run on
one thread in every group.  JAX allocates its output on every call (no
in-place fill) and runs only in the all-threads groups.  "cold" allocates the
buffer inside the timing (fastinit `shape=`, NumPy `np.empty` + fill,
PyTorch `torch.empty` + init)."""


def load(path):
    """{group key: {lib: M elements/s}} from the benchmarks' medians."""
    data = json.loads(Path(path).read_text())
    groups = {}
    for b in data["benchmarks"]:
        info = b.get("extra_info") or {}
        if info.get("kind") == "scaling":  # test_thread_scaling: alternating pairs
            SCALING[(info["fill"], info["dtype"], info["threads"])] = info["scaling"]
            continue
        if "lib" not in info:  # not one of ours
            continue
        key = tuple(info[k] for k in ("variant", "fill", "dtype", "size", "threads"))
        groups.setdefault(key, {})[info["lib"]] = info["size"] / b["stats"]["median"] / 1e6
    return data.get("machine_info", {}), groups


# (fill, dtype, threads): median one-thread time over median many-thread
# time of test_thread_scaling's alternating pairs (filled in by load)
SCALING = {}


def _sort_key(key):
    variant, fill, dtype, size, threads = key
    rank = [ORDER[k].index(v) if v in ORDER[k] else 99
            for k, v in (("variant", variant), ("fill", fill), ("dtype", dtype))]
    return rank[0], rank[1], rank[2], size, threads


def _rate(x):
    return "" if x is None else f"{x:.0f}" if x >= 100 else f"{x:.3g}"


def table(groups):
    rivals = [lib for lib in LIBS if lib != "fastinit"
              and any(lib in rates for rates in groups.values())]
    head = ["variant", "fill", "dtype", "size", "threads", "fastinit M/s"]
    for lib in rivals:
        head += [f"{LIBS[lib]} M/s", f"vs {LIBS[lib]}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in sorted(groups, key=_sort_key):
        variant, fill, dtype, size, threads = key
        rates = groups[key]
        fi = rates.get("fastinit")
        label = f"2^{size.bit_length() - 1}" if size & (size - 1) == 0 else str(size)
        row = [variant, fill, dtype, label, str(threads), _rate(fi)]
        for lib in rivals:
            other = rates.get(lib)
            ratio = f"x{fi / other:.1f}" if fi and other else ""
            row += [_rate(other), ratio]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


# Issue 14's targets, one thread: (label, fill, dtype, rival fill or None for
# fastinit's own uniform of the dtype, rival lib, least ratio).
TARGETS = [
    ("uniform float32 vs NumPy", "uniform", "float32", "uniform", "numpy", 3.0),
    ("normal float32 vs NumPy", "normal", "float32", "normal", "numpy", 7.0),
    ("normal float32 vs PyTorch normal_", "normal", "float32", "normal", "torch", 3.0),
    ("truncated ±2σ float32 vs NumPy normal", "truncated_normal", "float32", "truncated_normal",
     "numpy", 5.0),
    ("truncated ±2σ float32 vs PyTorch trunc_normal_", "truncated_normal", "float32",
     "truncated_normal", "torch", 50.0),
    ("normal float64 vs NumPy float64", "normal", "float64", "normal", "numpy", 4.0),
    ("normal / uniform float32 (fastinit)", "normal", "float32", None, "fastinit", 0.7),
    ("truncated / uniform float32 (fastinit)", "truncated_normal", "float32", None, "fastinit", 0.6),
]


def targets(groups):
    """The speed targets at each size measured on one thread, and the thread
    scaling of fastinit's fills at 2^20: "met" against each least ratio."""
    sizes = sorted({k[3] for k in groups if k[0] == "warm" and k[4] == 1 and k[3] >= 1 << 20})
    lines = ["| target | size | ratio | least | met |", "|---|---|---|---|---|"]
    for label, fill, dtype, rival, lib, least in TARGETS:
        for size in sizes:
            mine = groups.get(("warm", fill, dtype, size, 1), {}).get("fastinit")
            theirs = groups.get(("warm", rival or "uniform", dtype, size, 1), {}).get(lib)
            if mine and theirs:
                r = mine / theirs
                lines.append(f"| {label} | 2^{size.bit_length() - 1} | {r:.2f} | {least:g} | "
                             f"{'yes' if r >= least else 'no'} |")
    # thread scaling: from the alternating pairs where they ran, else from
    # the two groups (timed apart, so noisier)
    scaling = dict(SCALING)
    for key in sorted(k for k in groups if k[0] == "warm" and k[3] == 1 << 20 and k[4] > 1):
        one = groups.get(key[:4] + (1,), {}).get("fastinit")
        many = groups[key].get("fastinit")
        if one and many:
            scaling.setdefault((key[1], key[2], key[4]), many / one)
    for (fill, dtype, threads), r in sorted(scaling.items()):
        how = " (alternating)" if (fill, dtype, threads) in SCALING else ""
        lines.append(f"| {fill} {dtype}: {threads} threads / 1{how} | 2^20 | {r:.2f} | 1.8 | "
                     f"{'yes' if r >= 1.8 else 'no'} |")
    return "\n".join(lines)


def plot(groups, png):
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: matplotlib is not installed (pip install matplotlib): no plot",
              file=sys.stderr)
        return False
    warm = {k: v for k, v in groups.items() if k[0] == "warm"}
    fills = [f for f in ORDER["fill"] if any(k[1] == f for k in warm)]
    # half dtypes are measured at one size only: a single point is no curve
    dtypes = [d for d in ORDER["dtype"] if len({k[3] for k in warm if k[2] == d}) > 1]
    if not fills or not dtypes:
        print("report.py: fewer than two sizes per dtype: no plot", file=sys.stderr)
        return False
    fig, axes = plt.subplots(len(dtypes), len(fills), squeeze=False, sharex=True,
                             figsize=(4.5 * len(fills), 3.5 * len(dtypes)))
    for (i, dtype), (j, fill) in ((a, b) for a in enumerate(dtypes) for b in enumerate(fills)):
        ax = axes[i][j]
        cells = sorted((k for k in warm if k[1] == fill and k[2] == dtype), key=_sort_key)
        for color, lib in enumerate(LIBS):
            for threads in sorted({k[4] for k in cells}):
                pts = [(k[3], warm[k][lib]) for k in cells if k[4] == threads and lib in warm[k]]
                if pts and not (lib in ("numpy", "scipy") and threads > 1):  # 1 thread anyway
                    ax.plot(*zip(*pts), marker="o", color=f"C{color}",
                            linestyle="-" if threads == 1 else "--",
                            label=f"{LIBS[lib]} t{threads}")
        ax.set_xscale("log", base=2)
        ax.set(yscale="log", title=f"{fill} {dtype}")
        if i == len(dtypes) - 1:
            ax.set_xlabel("elements")
        if j == 0:
            ax.set_ylabel("M elements/s (median)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="x-small")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    return True


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("json", help="output of pytest --benchmark-json=FILE")
    p.add_argument("--md", help="markdown output (default: JSON name with .md)")
    p.add_argument("--png", help="plot output (default: JSON name with .png)")
    p.add_argument("--no-plot", action="store_true")
    args = p.parse_args(argv)
    machine, groups = load(args.json)
    if not groups and not SCALING:
        sys.exit(f"report.py: no fastinit bench results in {args.json}")
    cpu = (machine.get("cpu") or {}).get("brand_raw", machine.get("processor", "?"))
    busy = machine.get("loadavg")  # set by bench/conftest.py: how busy the machine was
    busy = f"; load average {', '.join(f'{x:.1f}' for x in busy)}" if busy else ""
    path = machine.get("fastinit_simd_path", "?")
    md = (f"CPU: {cpu}; fastinit SIMD path: {path}; Python "
          f"{machine.get('python_version', '?')}{busy}\n\n"
          f"{table(groups)}\n\n{targets(groups)}\n\n{NOTES}\n")
    print(md)
    Path(args.md or Path(args.json).with_suffix(".md")).write_text(md)
    png = args.png or Path(args.json).with_suffix(".png")
    if not args.no_plot and plot(groups, png):
        print(f"plot: {png}", file=sys.stderr)


if __name__ == "__main__":
    main()
