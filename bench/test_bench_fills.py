"""fastinit against NumPy, SciPy, PyTorch and JAX on the same fills.

    pytest bench                                  # 100, 2^10 and 2^20, ~2 min
    pytest bench -m large                         # 2^24 and 2^26 only
    FASTINIT_BENCH_LARGE=1 pytest bench --benchmark-json=bench/results/run.json
    python bench/report.py bench/results/run.json

Each benchmark group is one (variant, fill, dtype, size, threads): fastinit at
that thread count and its competitors.  "warm" fills a preallocated buffer;
"cold" allocates a new one per call, so the page faults of the first touch
are inside the timing.  NumPy and SciPy are single-threaded whatever group
they sit in; PyTorch gets torch.set_num_threads(threads).
"""
import time

import numpy as np
import pytest

import fastinit
from fastinit import _core

try:
    import torch
except ImportError:
    torch = None
try:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)  # else float64 silently becomes float32
except ImportError:
    jax = None
try:
    from scipy.stats import truncnorm
except ImportError:
    truncnorm = None

LOW, HIGH, STD = -0.05, 0.05, 0.05  # fastinit's defaults, given to everyone
FILLS = ("uniform", "normal", "truncated_normal")
F32, F64, F16 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)
HALF = [F16] + ([_core.BFLOAT16] if _core.BFLOAT16 is not None else [])
ALL = _core.DEFAULT_THREADS
SCIPY_MAX = 1 << 20  # truncnorm.rvs runs at ~5 M/s: larger sizes cost minutes

# pedantic settings: every benchmark takes the median of >= MIN_ROUNDS rounds
# in about BUDGET_S; tiny fills repeat inside a round so it lasts >= ROUND_S.
MIN_ROUNDS, MAX_ROUNDS, BUDGET_S, ROUND_S = 5, 200, 0.2, 1e-4


def fastinit_fill(fill, dtype, n, threads, cold):
    f = getattr(fastinit, fill)
    if cold:
        return lambda: f(shape=n, dtype=dtype, seed=1, threads=threads)
    a = np.empty(n, dtype)
    return lambda: f(a, seed=1, threads=threads)


def numpy_fill(fill, dtype, n, threads, cold):
    rng = np.random.default_rng(1)
    # NumPy has no truncated normal: its untruncated normal is the floor any
    # truncation would build on.  It also gets the unscaled draw (no *std,
    # no low + (high-low)*u): a lower bound on what a user would pay.
    draw = rng.random if fill == "uniform" else rng.standard_normal
    if cold:
        return lambda: draw(out=np.empty(n, dtype), dtype=dtype)
    a = np.empty(n, dtype)
    if dtype in (F32, F64):
        return lambda: draw(out=a, dtype=dtype)
    # The Generator makes only float32/float64: for float16/bfloat16 draw
    # float32 and cast it into the buffer (.astype, minus its temporary).
    tmp = np.empty(n, np.float32)
    return lambda: np.copyto(a, draw(out=tmp, dtype=np.float32), casting="unsafe")


def scipy_fill(fill, dtype, n, threads, cold):
    rng = np.random.default_rng(1)
    a = np.empty(n, dtype)

    def fn():
        a[...] = truncnorm.rvs(-2.0, 2.0, scale=STD, size=n, random_state=rng)
    return fn


def torch_fill(fill, dtype, n, threads, cold):
    init = {
        "uniform": lambda t: torch.nn.init.uniform_(t, LOW, HIGH),
        "normal": lambda t: torch.nn.init.normal_(t, 0.0, STD),
        # torch's a, b are absolute bounds, fastinit's are in std units
        "truncated_normal": lambda t: torch.nn.init.trunc_normal_(t, 0.0, STD, -2 * STD, 2 * STD),
    }[fill]
    torch.set_num_threads(threads)
    if cold:
        tdtype = getattr(torch, dtype.name)
        return lambda: init(torch.empty(n, dtype=tdtype))
    t = torch.from_numpy(np.empty(n, dtype))
    return lambda: init(t)


def jax_fill(fill, dtype, n, threads, cold):
    # JAX arrays are immutable, so every call allocates its output: there is
    # no same-buffer variant.  XLA sizes its own thread pool, so JAX sits in
    # the all-threads groups only.
    jdtype = jnp.dtype(dtype)
    gen = {
        "uniform": lambda k: jax.random.uniform(k, (n,), jdtype, LOW, HIGH),
        "normal": lambda k: STD * jax.random.normal(k, (n,), jdtype),
        "truncated_normal": lambda k: STD * jax.random.truncated_normal(k, -2.0, 2.0, (n,), jdtype),
    }[fill]
    fn, key = jax.jit(gen), jax.random.key(1)
    return lambda: fn(key).block_until_ready()


LIBS = {"fastinit": (fastinit, fastinit_fill), "numpy": (np, numpy_fill),
        "scipy": (truncnorm, scipy_fill), "torch": (torch, torch_fill),
        "jax": (jax, jax_fill)}


def _cases():
    """Only the meaningful combinations, so a run lists no pointless skips."""
    for size in (100, 1 << 10, 1 << 20, 1 << 24, 1 << 26):
        # a 100-element fill is about per-call cost: one thread is enough
        for threads in [1] if size == 100 else sorted({1, ALL}):
            for fill in FILLS:
                for dtype in [F32, F64] + (HALF if size == 1 << 20 else []):
                    libs = ["fastinit", "numpy"]
                    if dtype in (F32, F64, F16):  # torch.from_numpy has no bfloat16
                        libs.append("torch")
                    if threads == ALL:
                        libs.append("jax")
                    if fill == "truncated_normal" and size <= SCIPY_MAX and dtype in (F32, F64):
                        libs.append("scipy")
                    for lib in libs:
                        yield "warm", fill, dtype, size, threads, lib
                    # cold needs a buffer big enough to be mmapped (see conftest)
                    if size >= 1 << 20 and fill != "truncated_normal" and dtype in (F32, F64):
                        for lib in ("fastinit", "numpy", "torch"):
                            yield "cold", fill, dtype, size, threads, lib


def _param(case):
    variant, fill, dtype, size, threads, lib = case
    return pytest.param(*case, id=f"{variant}-{fill}-{dtype}-{size_label(size)}-t{threads}-{lib}",
                        marks=[pytest.mark.large] if size > 1 << 20 else [])


def size_label(size):
    """2^k for powers of two, else the number."""
    return f"2^{size.bit_length() - 1}" if size & (size - 1) == 0 else str(size)


@pytest.mark.parametrize("variant,fill,dtype,size,threads,lib", map(_param, _cases()))
def test_fill(benchmark, variant, fill, dtype, size, threads, lib):
    module, factory = LIBS[lib]
    if module is None:
        pytest.skip(f"{lib} is not installed")
    fn = factory(fill, dtype, size, threads, variant == "cold")
    fn()  # warm-up: JIT compile, lazy init, first touch of a warm buffer
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    iterations = max(1, int(ROUND_S / once))
    rounds = min(MAX_ROUNDS, max(MIN_ROUNDS, int(BUDGET_S / (once * iterations))))
    benchmark.group = f"{variant} {fill} {dtype} {size_label(size)} t{threads}"
    benchmark.extra_info.update(variant=variant, fill=fill, dtype=str(dtype), size=size,
                                threads=threads, lib=lib)
    benchmark.pedantic(fn, rounds=rounds, iterations=iterations)


SCALING_ROUNDS, SCALING_BLOCK = 40, 8


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("fill", FILLS)
def test_thread_scaling(benchmark, fill, dtype):
    """A 2^20-element fill on all threads against one thread: blocks of
    back-to-back fills of each in alternation, so that both see the same
    minutes of a shared machine (as two groups timed apart, the ratio came
    out x1.07-3.06 from one run to the next here).  Blocks, not single
    calls: the pool's threads poll for ~1 ms after a fill, then sleep, and
    a one-thread fill between every two would put each 2-thread fill of a
    slow kernel behind a wake-up.  The benchmark times a round (a block of
    each); extra_info holds each side's median call and their ratio, which
    report.py's targets use."""
    if ALL < 2:
        pytest.skip("one CPU: nothing to scale to")
    f = getattr(fastinit, fill)
    a = np.empty(1 << 20, dtype)
    times = {1: [], ALL: []}

    def round_():
        for threads in (1, ALL):
            for _ in range(SCALING_BLOCK):
                t = time.perf_counter()
                f(a, seed=1, threads=threads)
                times[threads].append(time.perf_counter() - t)

    round_()  # warm-up: the pool's threads start, the buffer is touched
    times[1].clear()
    times[ALL].clear()
    benchmark.group = f"scaling {fill} {dtype} 2^20 t{ALL}"
    benchmark.pedantic(round_, rounds=SCALING_ROUNDS)
    one, many = (float(np.median(times[k])) for k in (1, ALL))
    benchmark.extra_info.update(kind="scaling", fill=fill, dtype=str(dtype), size=1 << 20,
                                threads=ALL, t1_median=one, tn_median=many, scaling=one / many)
