"""Threads, memory and sizes: the fill's resources, not its values (those are
pinned in test_stream.py)."""
import os
import signal
import subprocess
import sys
import textwrap
import time

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


# ---- the thread pool -------------------------------------------------------------------
# Threaded fills share one pool of threads, started on the first fill that
# wants them (csrc/pool.c).  A fill that finds the pool owned by another
# fill runs alone on its own thread; neither way may change a value.

POOL_N = 3 << 17        # large enough for three threads (2^17 elements each)


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/task"),
                                reason="counts threads through /proc")
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def test_concurrent_python_threads_get_their_own_values():
    # Four Python threads, each asking for two fill threads at once: at most
    # one of them holds the pool at a time, the others run alone.  Every
    # fill must hold exactly its own single-threaded values.
    import threading
    fills = [("uniform", np.float32), ("normal", np.float32), ("normal", np.float64),
             ("truncated_normal", np.float32)]
    expect = {(k, seed): getattr(fastinit, name)(shape=POOL_N, dtype=dt, seed=seed, threads=1)
              for k, (name, dt) in enumerate(fills) for seed in range(6)}
    errors = []

    def run(k):
        name, dt = fills[k]
        out = np.empty(POOL_N, dt)
        try:
            for rep in range(12):
                seed = rep % 6
                getattr(fastinit, name)(out, seed=seed, threads=2)
                if not np.array_equal(out, expect[k, seed]):
                    errors.append((name, seed, rep))
        except BaseException as e:   # noqa: BLE001 - reported below
            errors.append(e)

    workers = [threading.Thread(target=run, args=(k,)) for k in range(len(fills))]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a fill deadlocked"
    assert not errors


def test_fills_find_their_helpers_polling_or_asleep():
    # The pool's threads poll for about a millisecond after a fill, then
    # sleep: fills that come at once, within the poll and long after it
    # all get their helpers (no lost wake-up, no hang) and their values.
    expect = fastinit.normal(shape=POOL_N, dtype=np.float32, seed=3, threads=1)
    out = np.empty(POOL_N, np.float32)
    for gap in [0, 0, 2e-4, 5e-4, 3e-3, 0, 2e-2, 1e-3, 0]:
        time.sleep(gap)
        out[:] = 0
        fastinit.normal(out, seed=3, threads=3)
        np.testing.assert_array_equal(out, expect)


def test_an_idle_pool_stops_polling():
    # The poll is bounded: over 0.3 s of sleep after a 4-thread fill the
    # process spends a few milliseconds of CPU at most (a poll that never
    # ended would spend ~0.9 s: three threads spinning all along).  In a
    # fresh process: other tests leave threads of their own (torch, dask).
    code = """
        import time, fastinit
        fastinit.uniform(shape=%d, seed=0, threads=4)
        cpu = time.process_time()
        time.sleep(0.3)
        print(time.process_time() - cpu)
    """ % POOL_N
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert float(r.stdout) < 0.06, r.stdout


@needs_proc
def test_strided_fills_use_the_threads_they_ask_for():
    # Panelled fills (transposed, Fortran order) share their work in units
    # of a panel's rows; the thread count must still follow the element
    # count (a transposed (2048, 2048) once ran on one thread at threads=2).
    # Each fill that gets helpers grows the pool to them, in a fresh process.
    code = """
        import os, numpy as np, fastinit
        tasks = lambda: len(os.listdir("/proc/self/task"))
        start = tasks()
        counts = []
        for a in (np.empty((2048, 2048), np.float32).T,
                  np.empty((3, 3, 512, 512), np.float32).transpose(3, 2, 0, 1),
                  np.empty((1 << 20, 2), np.float64, order="F")):
            fastinit.uniform(a, seed=0, threads=2)
            counts.append(tasks() - start)
        fastinit.uniform(np.empty((64, 64, 512), np.float32, order="F"), seed=0, threads=4)
        counts.append(tasks() - start)
        print(*counts)
    """
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "1", "1", "3"], r.stdout


@needs_proc
def test_many_threaded_fills_start_no_more_threads():
    # the pool is as large as the most threads one fill asked for, and the
    # fills after that reuse it: no thread per fill, none left behind.  In
    # a fresh process, where no other test's threads come and go.
    code = """
        import os, numpy as np, fastinit
        a = np.empty(%d, np.float32)
        tasks = lambda: len(os.listdir("/proc/self/task"))
        start = tasks()
        fastinit.uniform(a, seed=0, threads=3)
        before = tasks()
        for i in range(300):
            fastinit.uniform(a, seed=i, threads=2 + i %% 2)
            fastinit.normal(shape=100, seed=i, threads=8)   # too small for the pool
        print(start, before, tasks())
    """ % POOL_N
    r = _run(code)
    assert r.returncode == 0, r.stderr
    start, before, after = map(int, r.stdout.split())
    assert before == start + 2 and after == before, r.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux signal masks")
def test_pool_threads_leave_signals_to_python():
    # A worker blocks every signal, so that Ctrl-C lands on a thread that
    # can act on it (the main thread's sleep or read is what it must cut
    # short).  The pool's threads are those the first threaded fill starts.
    code = """
        import os, numpy as np, fastinit
        before = set(os.listdir("/proc/self/task"))
        fastinit.uniform(np.empty(3 << 17, np.float32), seed=0, threads=3)
        for tid in sorted(set(os.listdir("/proc/self/task")) - before):
            with open(f"/proc/self/task/{tid}/status") as f:
                print([l.split()[1] for l in f if l.startswith("SigBlk:")][0])
    """
    r = _run(code)
    assert r.returncode == 0, r.stderr
    masks = [int(m, 16) for m in r.stdout.split()]
    sigint = 1 << (2 - 1)
    assert len(masks) == 2 and all(m & sigint for m in masks), r.stdout


_POOL_FORK = """
import os, sys, threading, numpy as np, fastinit
N = %d
expect = fastinit.normal(shape=N, seed=7, threads=1)
assert np.array_equal(fastinit.normal(shape=N, seed=7, threads=2), expect)  # pool is live
stop = False
def keep_busy():
    a = np.empty(N, np.float32)
    while not stop:
        fastinit.uniform(a, seed=1, threads=2)
t = threading.Thread(target=keep_busy)
if BUSY:
    t.start()
for k in range(6):
    pid = os.fork()
    if pid == 0:
        ok = np.array_equal(fastinit.normal(shape=N, seed=7, threads=3), expect)
        ok = ok and np.array_equal(fastinit.normal(shape=N, seed=7, threads=2), expect)
        # the fills above ran on a pool of the child's own: itself and two
        if os.path.isdir("/proc/self/task"):
            ok = ok and len(os.listdir("/proc/self/task")) == 3
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert status == 0, ("child", k, status)
stop = True
if BUSY:
    t.join()
assert np.array_equal(fastinit.normal(shape=N, seed=7, threads=2), expect)
print("ok")
"""


@needs_fork
@pytest.mark.parametrize("busy", [False, True], ids=["idle", "filling-meanwhile"])
def test_fork_child_fills_with_its_own_pool(busy):
    # The child of a fork has none of its parent's threads: its first
    # threaded fill builds a pool of its own.  "filling-meanwhile" forks
    # while another Python thread keeps the parent's pool busy, so a fork
    # can land in the middle of a hand-over.
    code = f"BUSY = {busy}\n" + _POOL_FORK % POOL_N
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


@pytest.mark.parametrize("code", [
    # the pool's threads sleep while the interpreter exits
    "fastinit.normal(shape=N, seed=1, threads=2)",
    # ... or are filling for a daemon thread when it does
    "import threading\n"
    "a = np.empty(64 * N, np.float32)\n"
    "fastinit.normal(shape=N, seed=1, threads=2)\n"
    "threading.Thread(target=lambda: [fastinit.normal(a, seed=s, threads=2) for s in range(99)],"
    " daemon=True).start()",
], ids=["idle", "daemon-filling"])
def test_exit_with_a_live_pool(code):
    full = f"import numpy as np, fastinit\nN = {POOL_N}\n{code}\nprint('done')\n"
    r = subprocess.run([sys.executable, "-c", full], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "done", (r.returncode, r.stderr)


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs POSIX signals")
def test_signal_handler_fill_inside_a_threaded_fill():
    # Python signal handlers run at the fill's interrupt checks, on the
    # thread that owns the pool: a threaded fill there finds the pool busy
    # and runs alone (waiting for the pool would wait for itself).
    import threading
    inner, filling = [], [False]

    def handler(signum, frame):
        inner.append((filling[0], fastinit.normal(shape=POOL_N, seed=4, threads=2)))

    old = signal.signal(signal.SIGUSR1, handler)
    timer = threading.Timer(0.02, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        filling[0] = True
        timer.start()
        out = fastinit.truncated_normal(shape=1 << 23, dtype=np.float64, std=1.0, a=40.0,
                                        b=41.0, seed=0, threads=2)
        filling[0] = False
        timer.join()
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, old)
    assert len(inner) == 1 and inner[0][0], "the handler did not run inside the fill"
    np.testing.assert_array_equal(inner[0][1], fastinit.normal(shape=POOL_N, seed=4, threads=1))
    np.testing.assert_array_equal(out[-1000:], fastinit.truncated_normal(
        shape=1000, dtype=np.float64, std=1.0, a=40.0, b=41.0, seed=0, offset=(1 << 23) - 1000))
