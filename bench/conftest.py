"""Opt-in 2^26 cases, truly fresh pages for the cold benchmarks, and no
spinning OpenMP workers."""
import ctypes
import os

# PyTorch's OpenMP workers spin for a while after each parallel call
# (libgomp's default wait policy); the next benchmark, often a 2-thread
# fastinit fill, then shares its cores with them (measured: bfloat16 normal
# at 2^20 on 2 threads, 996 M/s in the suite vs 1692 alone).  Passive
# waiting must be set before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

LARGE_HELP = "2^26-element fills: opt in with -m large or FASTINIT_BENCH_LARGE=1"


def _fresh_pages_for_big_buffers():
    # glibc raises its mmap threshold (up to 32 MiB) each time a big buffer is
    # freed, so the next "new" buffer of that size reuses already-touched heap
    # pages and a cold benchmark would time a warm buffer.  Pinning the
    # threshold at its default, 128 KiB, makes every big buffer a new mmap:
    # the first touch happens inside the fill, as at a model's first init.
    # Preallocated (warm) buffers are not affected.
    try:
        ctypes.CDLL(None).mallopt(-3, 128 * 1024)  # -3: M_MMAP_THRESHOLD
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to pin
        pass


def pytest_configure(config):
    config.addinivalue_line("markers", f"large: {LARGE_HELP}")
    _fresh_pages_for_big_buffers()


def pytest_collection_modifyitems(config, items):
    if os.environ.get("FASTINIT_BENCH_LARGE") or "large" in (config.getoption("-m") or ""):
        return
    kept = [item for item in items if "large" not in item.keywords]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if "large" in i.keywords])
        items[:] = kept


def pytest_benchmark_update_machine_info(config, machine_info):
    # timings on a small shared machine mean little without how busy it was
    machine_info["loadavg"] = os.getloadavg()
    from fastinit import _core  # the ratios mean little without the SIMD path either
    machine_info["fastinit_simd_path"] = _core.PATH
