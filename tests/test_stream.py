"""The stream contract: Philox known answers, the C core against the NumPy
reference model bit for bit, and every value a pure function of (seed,
stream, logical index) whatever the slicing, offsets, threads or SIMD path."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastinit
from fastinit import _core

import reference as ref

# Random123's known-answer vectors (kat_vectors): counter, key -> output.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]
FILLS = {
    "uniform": lambda **kw: fastinit.uniform(low=-1.5, high=2.5, **kw),
    "normal": lambda **kw: fastinit.normal(mean=0.5, std=2.0, **kw),
    "truncated": lambda **kw: fastinit.truncated_normal(mean=-1.0, std=0.5, a=-1.0, b=3.0, **kw),
    "tail": lambda **kw: fastinit.truncated_normal(std=1.0, a=40.0, b=41.0, **kw),
}
DTYPES = [np.float32, np.float64, np.float16]


@pytest.mark.parametrize("ctr,key,expected", KAT)
def test_philox_known_answers(ctr, key, expected):
    assert _core._philox4x32_10(ctr, key) == expected
    assert tuple(ref.philox4x32_10(np.array([ctr], np.uint32), key)[0]) == expected


def test_random_bits_known_answer_through_the_stream():
    # block 0 of seed 0, stream 0 is the first known answer
    assert tuple(fastinit.random_bits(shape=4, seed=0)) == KAT[0][2]
    # counter (b, b, s, s): block b of stream s, seed k
    ctr, key, expected = KAT[2]
    seed = key[0] | key[1] << 32
    stream = ctr[2] | ctr[3] << 32
    block = ctr[0] | ctr[1] << 32
    # the vector's block is beyond a uint32 word offset; its low half is not
    out = fastinit.random_bits(shape=8, seed=seed, stream=stream, offset=4 * (block & 0xFFFFFFFF))
    assert tuple(out[:4]) == tuple(ref.blocks(seed, stream, block & 0xFFFFFFFF, 1)[0])


@pytest.mark.parametrize("seed,stream,offset,n", [
    (0, 0, 0, 1), (123, 7, 5, 100_003), (2**64 - 1, 2**64 - 1, 3, 4099),
    # the low counter word wraps inside this range (block 2^32 - 3 .. 2^32 + ...)
    (99, 1, 4 * (2**32 - 3) - 1, 5000),
    # the very end of the stream: the last word is offset + n - 1 = 2^64 - 1
    (5, 6, 2**64 - 4097, 4097),
])
def test_random_bits_match_reference(seed, stream, offset, n):
    got = fastinit.random_bits(shape=n, seed=seed, stream=stream, offset=offset)
    assert np.array_equal(got, ref.words(seed, stream, offset, n))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 1, 511, 2**33 + 7, 2**63 - 1000])
def test_uniform_matches_reference(dtype, offset):
    n = 3001
    got = fastinit.uniform(shape=n, dtype=dtype, low=-3.0, high=0.25, seed=42,
                           stream=9, offset=offset)
    assert np.array_equal(got, ref.uniform(42, 9, offset, n, -3.0, 0.25, dtype))


def test_uniform_reference_detects_an_off_by_one_counter():
    got = fastinit.uniform(shape=64, seed=1, stream=2, offset=1)
    assert not np.array_equal(got, ref.uniform(1, 2, 0, 64, -0.05, 0.05, np.float32))


@pytest.mark.parametrize("name", list(FILLS))
@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_slices_with_offsets_equal_the_whole(name, dtype, data):
    n = data.draw(st.integers(1, 3000))
    base = data.draw(st.sampled_from([0, 1, 2**32 - 100, 2**40 + 3]))
    whole = FILLS[name](shape=n, dtype=dtype, seed=77, stream=5, offset=base)
    a = data.draw(st.integers(0, n - 1))
    b = data.draw(st.integers(a + 1, n))
    part = FILLS[name](shape=b - a, dtype=dtype, seed=77, stream=5, offset=base + a)
    assert np.array_equal(part.view(np.uint8), whole[a:b].view(np.uint8))


@pytest.mark.parametrize("name", list(FILLS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_counts_give_identical_bits(name, dtype):
    n = (1 << 19) + 12345          # large enough for the threaded split
    ref1 = FILLS[name](shape=n, dtype=dtype, seed=3, stream="w", offset=11, threads=1)
    for t in (2, 3, 7, 64):
        got = FILLS[name](shape=n, dtype=dtype, seed=3, stream="w", offset=11, threads=t)
        assert np.array_equal(got.view(np.uint8), ref1.view(np.uint8)), t


def test_strided_and_threaded_fill_equals_contiguous():
    big = np.zeros((1100, 700), np.float32)
    view = big[::2, ::-3]                       # negative, non-unit strides
    fastinit.normal(view, seed=8, threads=4)
    expect = fastinit.normal(shape=view.shape, seed=8, threads=1)
    assert np.array_equal(view, expect)
    assert np.all(big[1::2] == 0)               # rows in between untouched


def test_shards_of_a_tensor_equal_the_tensor():
    full = fastinit.truncated_normal(shape=(64, 300), dtype=np.float64, seed=2, stream="layer")
    rows = [fastinit.truncated_normal(shape=(16, 300), dtype=np.float64, seed=2,
                                      stream="layer", offset=16 * 300 * k) for k in range(4)]
    assert np.array_equal(np.concatenate(rows), full)


def test_two_python_threads_match_serial():
    n = 1 << 20
    serial = [fastinit.normal(shape=n, seed=s, threads=2) for s in (1, 2)]
    outs = [np.empty(n, np.float32) for _ in range(2)]
    workers = [threading.Thread(target=fastinit.normal, args=(outs[i],),
                                kwargs=dict(seed=i + 1, threads=2)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(np.array_equal(a, b) for a, b in zip(outs, serial))


def test_streams_and_seeds_are_independent_sequences():
    a = fastinit.random_bits(shape=1000, seed=1, stream=0)
    assert not np.array_equal(a, fastinit.random_bits(shape=1000, seed=1, stream=1))
    assert not np.array_equal(a, fastinit.random_bits(shape=1000, seed=2, stream=0))
    assert not np.array_equal(a, fastinit.random_bits(shape=1000, seed=1 << 32, stream=0))
    assert not np.array_equal(a, fastinit.random_bits(shape=1000, seed=1, stream=1 << 32))


def test_string_streams_are_a_documented_hash():
    import hashlib
    name = "encoder.layer0.weight"
    digest = hashlib.sha256(name.encode()).digest()[:8]
    assert fastinit.stream_id(name) == int.from_bytes(digest, "little")
    assert np.array_equal(fastinit.normal(shape=100, seed=1, stream=name),
                          fastinit.normal(shape=100, seed=1, stream=fastinit.stream_id(name)))


@pytest.mark.parametrize("name", ["uniform", "normal", "truncated"])
def test_float16_is_float32_rounded_once(name):
    x32 = FILLS[name](shape=100_000, dtype=np.float32, seed=4)
    x16 = FILLS[name](shape=100_000, dtype=np.float16, seed=4)
    rounded = x32.astype(np.float16)
    differ = rounded != x16
    # only values clamped inside a bound after rounding may differ, by one ulp
    assert differ.mean() < 1e-3
    assert np.all(np.abs(rounded[differ].astype(np.float32) - x16[differ]) <=
                  np.spacing(np.abs(x16[differ])).astype(np.float32))


def test_bfloat16_is_float32_rounded_once():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x32 = fastinit.normal(shape=100_000, seed=4, std=3.0)
    xb = fastinit.normal(shape=100_000, dtype=ml_dtypes.bfloat16, seed=4, std=3.0)
    assert np.array_equal(x32.astype(ml_dtypes.bfloat16).view(np.uint16), xb.view(np.uint16))


def _digest_in_subprocess(path):
    code = (
        "import hashlib, numpy as np, fastinit\n"
        "h = hashlib.sha256()\n"
        "for dt in (np.float32, np.float64, np.float16):\n"
        "    for f, kw in [(fastinit.uniform, {}), (fastinit.normal, {}),\n"
        "                  (fastinit.truncated_normal, {}),\n"
        "                  (fastinit.truncated_normal, dict(a=5.0, b=6.0)),\n"
        "                  (fastinit.truncated_normal, dict(a=-12.0, b=-11.5)),\n"
        "                  (fastinit.truncated_normal, dict(a=-3.0, b=0.7)),\n"
        "                  (fastinit.truncated_normal, dict(std=1.0, a=1.0, b=1.0001))]:\n"
        "        h.update(f(shape=20011, dtype=dt, seed=11, stream=3, offset=7, **kw).tobytes())\n"
        "h.update(fastinit.random_bits(shape=4099, seed=5).tobytes())\n"
        "print(fastinit._core.PATH, h.hexdigest())\n")
    env = dict(os.environ, FASTINIT_CPU=path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[0] == path
    return out[1]


def test_every_supported_simd_path_gives_the_same_bits():
    paths = _core.supported_paths()
    assert "baseline" in paths
    digests = {p: _digest_in_subprocess(p) for p in paths}
    assert len(set(digests.values())) == 1, digests


def test_forcing_a_path_the_cpu_lacks_is_a_clear_error():
    missing = [p for p in ("avx2", "avx512", "neon") if p not in _core.supported_paths()]
    env = dict(os.environ, FASTINIT_CPU=missing[0] if missing else "sse9")
    r = subprocess.run([sys.executable, "-c", "import fastinit"], env=env,
                       capture_output=True, text=True)
    assert r.returncode != 0 and "FASTINIT_CPU" in r.stderr
