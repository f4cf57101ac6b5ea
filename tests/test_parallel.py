"""Threads, memory and sizes: the fill's resources, not its values (those are
pinned in test_stream.py)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastinit
from fastinit import _core


def _run(code, **env):
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                       env=dict(os.environ, **env), capture_output=True, text=True)
    return r


def test_num_threads_environment_sets_the_default():
    r = _run("import fastinit._core as c; print(c.DEFAULT_THREADS)", FASTINIT_NUM_THREADS="3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3"


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_bad_num_threads_environment_is_a_clear_error(value):
    r = _run("import fastinit", FASTINIT_NUM_THREADS=value)
    assert r.returncode != 0 and "FASTINIT_NUM_THREADS" in r.stderr


def test_show_config_names_path_threads_and_flags(capsys):
    fastinit.show_config()
    text = capsys.readouterr().out
    assert _core.PATH in text and str(_core.DEFAULT_THREADS) in text
    # the flag that keeps the paths bit-identical, in GCC/Clang or MSVC spelling
    assert "-ffp-contract=off" in text or "/fp:precise" in text


@pytest.mark.parametrize("threads, exc", [(0, ValueError), (-1, ValueError),
                                         (1.5, TypeError), ("2", TypeError), (True, TypeError)])
def test_bad_threads_argument(threads, exc):
    a = np.full(10, 7.0, np.float32)
    with pytest.raises(exc, match="threads"):
        fastinit.normal(a, seed=1, threads=threads)
    assert np.all(a == 7.0)


# peak_bytes(): the process's peak resident memory in bytes.  ru_maxrss is
# KiB on Linux but bytes on macOS; Windows has no resource module and reports
# the peak working set through psapi.
_PEAK_BYTES = textwrap.dedent("""
    import sys
    try:
        import resource
    except ImportError:
        import ctypes
        from ctypes import wintypes

        class _Counters(ctypes.Structure):
            _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD)] + [
                (f, ctypes.c_size_t) for f in (
                    "PeakWorkingSetSize", "WorkingSetSize", "QuotaPeakPagedPoolUsage",
                    "QuotaPagedPoolUsage", "QuotaPeakNonPagedPoolUsage",
                    "QuotaNonPagedPoolUsage", "PagefileUsage", "PeakPagefileUsage")]

        def peak_bytes():
            c = _Counters()
            c.cb = ctypes.sizeof(c)
            k32, psapi = ctypes.windll.kernel32, ctypes.windll.psapi
            k32.GetCurrentProcess.restype = wintypes.HANDLE
            psapi.GetProcessMemoryInfo.argtypes = [wintypes.HANDLE, ctypes.c_void_p,
                                                   wintypes.DWORD]
            assert psapi.GetProcessMemoryInfo(k32.GetCurrentProcess(), ctypes.byref(c), c.cb)
            return c.PeakWorkingSetSize
    else:
        _unit = 1 if sys.platform == "darwin" else 1024

        def peak_bytes():
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _unit
""")


def test_peak_memory_of_a_large_fill_is_the_array_alone():
    # A 256 MiB float32 normal fill on every thread: the fill itself may use
    # its stack tiles (a few KiB per thread) but no heap buffer as large as
    # a chunk of the output.  ru_maxrss counts every page the process ever
    # held, so the array's own pages are subtracted.
    code = """
        import numpy as np, fastinit
        n = 64 << 20
        a = np.empty(n, np.float32)               # not touched yet
        fastinit.normal(shape=16, seed=0)          # lazy start-up costs
        before = peak_bytes()
        fastinit.normal(a, seed=1, threads=2)
        after = peak_bytes()
        print(after - before - a.nbytes)
    """
    r = _run(_PEAK_BYTES + textwrap.dedent(code))
    assert r.returncode == 0, r.stderr
    extra = int(r.stdout.strip())
    assert extra <= 1 << 20, f"{extra} bytes beyond the array"


@pytest.mark.parametrize("name", ["uniform", "normal", "truncated_normal"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_index_arithmetic_across_2_to_the_32(name, dtype):
    # Elements 2^32 - 5 .. 2^32 + 5 (and the float64 word pairs around word
    # 2^32) computed alone equal the same elements of a longer fill: nothing
    # truncates an index to 32 bits.
    fill = getattr(fastinit, name)
    for edge in (1 << 31, 1 << 32, 1 << 33):
        whole = fill(shape=4099, dtype=dtype, seed=9, stream=1, offset=edge - 2048)
        for k in (-5, -1, 0, 1, 5):
            one = fill(shape=1, dtype=dtype, seed=9, stream=1, offset=edge + k)
            assert one[0] == whole[2048 + k]
        assert not np.array_equal(whole[:2048], whole[2048:4096])


def test_small_fills_start_no_thread():
    # below the threading threshold every thread count gives one pass on the
    # calling thread: identical results and no failure with absurd counts
    a = fastinit.normal(shape=100, seed=3, threads=1)
    b = fastinit.normal(shape=100, seed=3, threads=256)
    assert np.array_equal(a, b)
