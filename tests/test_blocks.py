"""Block fills: any block [start, start + shape) of a global C-order tensor,
filled in one call, equals that block of the whole fill, bit for bit; the
schemes take their fans from the global shape; bad blocks are refused
before anything is written."""
import math
import os
import signal
import threading

import numpy as np
import pytest

import fastinit
from fastinit._core import BFLOAT16

SENTINEL = 7.0
FLOATS = [np.float32, np.float64, np.float16] + ([BFLOAT16] if BFLOAT16 is not None else [])

FILLS = {
    "uniform": (fastinit.uniform, dict(low=-1.0, high=2.0)),
    "normal": (fastinit.normal, dict(mean=0.5, std=2.0)),
    "truncated_normal": (fastinit.truncated_normal, dict(std=1.0, a=-1.5, b=0.5)),
    "truncated_far_tail": (fastinit.truncated_normal, dict(std=1.0, a=40.0, b=41.0)),
}


def random_partition(rng, shape):
    """Cut points per axis: 0 = c_0 <= c_1 <= ... <= c_k = n, some cuts
    repeated (size-0 blocks) and uneven."""
    cuts = []
    for n in shape:
        k = int(rng.integers(0, 4))
        inner = np.sort(rng.integers(0, n + 1, size=k))
        cuts.append([0, *inner.tolist(), n])
    return cuts


def blocks_of(cuts):
    """Every block (start, block shape) of a partition given by its cuts."""
    if not cuts:
        yield (), ()
        return
    head, *rest = cuts
    for a, b in zip(head[:-1], head[1:]):
        for start, shape in blocks_of(rest):
            yield (a, *start), (b - a, *shape)


def assemble(fill, kwargs, global_shape, dtype, cuts, **kw):
    whole = np.full(global_shape, SENTINEL, dtype)
    count = 0
    for start, shape in blocks_of(cuts):
        block = np.full(shape, SENTINEL, dtype)
        assert fill(block, **kwargs, **kw, global_shape=global_shape, start=start) is block
        whole[tuple(slice(s, s + n) for s, n in zip(start, shape))] = block
        count += 1
    return whole, count


SHAPES = [(37,), (23, 45), (7, 33, 18), (3, 4, 5, 17)]


@pytest.mark.parametrize("name", FILLS)
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("global_shape", SHAPES, ids=str)
def test_any_partition_assembles_to_the_whole_fill(name, dtype, global_shape):
    fill, kwargs = FILLS[name]
    kw = dict(seed=11, stream=3, offset=5)
    expect = fill(shape=global_shape, dtype=dtype, **kwargs, **kw)
    rng = np.random.default_rng(abs(hash((name, global_shape))) % 2**32)
    for _ in range(3):
        cuts = random_partition(rng, global_shape)
        got, count = assemble(fill, kwargs, global_shape, dtype, cuts, **kw)
        assert count >= 1
        np.testing.assert_array_equal(got.view(np.uint8), expect.view(np.uint8))


def test_random_bits_partition_and_threads():
    g = (64, 3000)
    expect = fastinit.random_bits(shape=g, seed=2, stream=9)
    for threads in (1, 2):
        got, _ = assemble(lambda out, **kw: fastinit.random_bits(out, **kw), {}, g,
                          np.uint32, [[0, 5, 64], [0, 1000, 1001, 3000]], seed=2, stream=9,
                          threads=threads)
        np.testing.assert_array_equal(got, expect)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_large_blocks_with_threads(threads):
    # blocks large enough that the fill is split over threads
    g = (700, 1100)
    expect = fastinit.normal(shape=g, seed=5, std=1.0)
    for start, shape in [((0, 0), (700, 600)), ((0, 600), (700, 500)), ((350, 1), (350, 1099))]:
        block = np.empty(shape, np.float32)
        fastinit.normal(block, seed=5, std=1.0, global_shape=g, start=start, threads=threads)
        np.testing.assert_array_equal(block, expect[start[0]:start[0] + shape[0],
                                                    start[1]:start[1] + shape[1]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_strided_block_destination(dtype):
    # the block may itself be a non-contiguous view (e.g. a column slice of a
    # Fortran-order buffer): only its logical position matters
    g = (40, 50)
    expect = fastinit.uniform(shape=g, dtype=dtype, seed=1)
    buf = np.full((30, 60), SENTINEL, dtype, order="F")
    view = buf[::2, 5:25][:, ::-1]                     # shape (15, 20), odd strides
    fastinit.uniform(view, seed=1, global_shape=g, start=(10, 30))
    np.testing.assert_array_equal(view, expect[10:25, 30:50])
    mask = np.ones(buf.shape, bool)
    mask[::2, 5:25] = False
    assert np.all(buf[mask] == SENTINEL)


def test_whole_array_as_its_own_block_and_offset_composition():
    g = (8, 9)
    whole = fastinit.normal(shape=g, seed=4, offset=100)
    same = fastinit.normal(shape=g, seed=4, offset=100, global_shape=g)
    np.testing.assert_array_equal(whole, same)
    # element j of a block gets offset + ravel(start + j, global_shape)
    one = fastinit.normal(shape=(1, 1), seed=4, offset=100, global_shape=g, start=(3, 7))
    flat = fastinit.normal(shape=1, seed=4, offset=100 + 3 * 9 + 7)
    assert one[0, 0] == flat[0]


def test_zero_size_block_writes_nothing_and_is_checked():
    out = np.empty((0, 4), np.float32)
    fastinit.normal(out, seed=0, global_shape=(10, 4), start=(10, 0))
    with pytest.raises(ValueError, match=r"does not fit"):
        fastinit.normal(out, seed=0, global_shape=(10, 4), start=(11, 0))


# ---- bad blocks: a clear error, nothing written -------------------------------------------

BAD = [
    (dict(global_shape=(10, 5), start=(6, 0)), ValueError, r"does not fit in global_shape"),
    (dict(global_shape=(10, 5), start=(0, 1)), ValueError, r"does not fit in global_shape"),
    (dict(global_shape=(10,), start=(0,)), ValueError, r"^global_shape=\(10,\) has 1 dim"),
    (dict(global_shape=(10, 5), start=(0,)), ValueError, r"^start=\(0,\) has 1 entries"),
    (dict(global_shape=(10, 5), start=(-1, 0)), ValueError, r"^start=\(-1, 0\) has a neg"),
    (dict(global_shape=(10, -5), start=(0, 0)), ValueError, r"^global_shape=.* negative"),
    (dict(start=(0, 0)), ValueError, r"^start=\(0, 0\) needs global_shape="),
    (dict(global_shape="ab"), TypeError, r"^global_shape must be an int or a tuple"),
    (dict(global_shape=(10, 5), start=(0.5, 0)), TypeError, r"^start must be an int or"),
    (dict(global_shape=(10, 5), start=(0, None)), TypeError, r"^start must be an int or"),
    (dict(global_shape=(2**40, 2**24), offset=1), ValueError,
     r"^offset=1 plus the global_shape's size 18446744073709551616 exceeds 2\*\*64"),
]

ALL_FILLS = [fastinit.uniform, fastinit.normal, fastinit.truncated_normal,
             fastinit.constant, fastinit.zeros, fastinit.ones]


@pytest.mark.parametrize("kw, exc, match", BAD)
@pytest.mark.parametrize("fill", ALL_FILLS, ids=lambda f: f.__name__)
def test_bad_blocks_raise_before_writing(fill, kw, exc, match):
    if "offset" in kw and fill in (fastinit.constant, fastinit.zeros, fastinit.ones):
        pytest.skip("constants take no offset")
    out = np.full((5, 5), SENTINEL, np.float32)
    kw = dict(kw)
    if fill not in (fastinit.constant, fastinit.zeros, fastinit.ones):
        kw["seed"] = 0
    with pytest.raises(exc, match=match):
        fill(out, **kw)
    assert np.all(out == SENTINEL)


def test_end_of_stream_block():
    # the last elements of the stream, as a block: offset + global size == 2**64
    g = (4, 8)
    off = 2**64 - 32
    whole = fastinit.random_bits(shape=g, seed=1, offset=off)
    block = fastinit.random_bits(shape=(2, 3), seed=1, offset=off, global_shape=g, start=(2, 5))
    np.testing.assert_array_equal(block, whole[2:, 5:])


# ---- schemes: fans from the global shape ---------------------------------------------------

ELEMENTWISE = ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
               "lecun_uniform", "lecun_normal", "variance_scaling", "uniform", "normal",
               "truncated_normal", "xavier_uniform_", "kaiming_normal_", "uniform_",
               "normal_", "trunc_normal_", "GlorotUniform", "GlorotNormal", "HeNormal",
               "LecunUniform", "VarianceScaling", "RandomNormal", "RandomUniform",
               "TruncatedNormal", "orthogonal", "Orthogonal", "sparse", "eye", "identity",
               "zeros", "ones", "constant"]


def scheme_kwargs(name):
    return {"sparse": dict(sparsity=0.3)}.get(name, {})


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_scheme_blocks_equal_the_whole_scheme(name):
    fn = fastinit.get(name)
    g = (48, 40)
    rand = fastinit.is_random(name)
    kw = dict(scheme_kwargs(name), **(dict(seed=3, stream="w", offset=2) if rand else {}))
    whole = fn(np.full(g, SENTINEL, np.float32), **kw)
    got = np.full(g, SENTINEL, np.float32)
    for (r0, r1) in [(0, 17), (17, 48)]:
        for (c0, c1) in [(0, 1), (1, 33), (33, 40)]:
            block = np.full((r1 - r0, c1 - c0), SENTINEL, np.float32)
            fn(block, **kw, global_shape=g, start=(r0, c0))
            got[r0:r1, c0:c1] = block
    np.testing.assert_array_equal(got, whole)


def test_column_shard_gets_the_bound_of_the_whole_weight():
    g = (64, 4096)
    shard = fastinit.xavier_uniform(np.empty((64, 512), np.float32), seed=0,
                                    global_shape=g, start=(0, 1024))
    bound = math.sqrt(6.0 / (64 + 4096))
    assert np.abs(shard).max() < bound
    # the shard's own width would give a bound 2.6 times larger: the samples show it
    assert np.abs(shard).max() > 0.95 * bound


@pytest.mark.parametrize("name, shape", [("delta_orthogonal", (3, 3, 8, 16)),
                                         ("dirac", (8, 4, 3, 3)), ("dirac", (6, 6, 5))])
def test_conv_scheme_blocks_equal_the_whole(name, shape):
    fn = fastinit.get(name)
    kw = dict(seed=1) if fastinit.is_random(name) else {}
    whole = fn(np.full(shape, SENTINEL, np.float32), **kw)
    got = np.full(shape, SENTINEL, np.float32)
    cuts = [[0, n // 2, n] for n in shape]
    for start, bshape in blocks_of(cuts):
        block = np.full(bshape, SENTINEL, np.float32)
        fn(block, **kw, global_shape=shape, start=start)
        got[tuple(slice(s, s + n) for s, n in zip(start, bshape))] = block
    np.testing.assert_array_equal(got, whole)


def test_torch_default_bias_has_its_own_block():
    g = (12, 30)
    w, b = np.empty(g, np.float32), np.empty(12, np.float32)
    fastinit.torch_default(w, b, seed=7, stream="fc")
    ws, bs = np.empty((4, 30), np.float32), np.empty(4, np.float32)
    fastinit.torch_default(ws, bs, seed=7, stream="fc", global_shape=g, start=(8, 0),
                           bias_global_shape=(12,), bias_start=(8,))
    np.testing.assert_array_equal(ws, w[8:])
    np.testing.assert_array_equal(bs, b[8:])
    # the same shard by offsets: the bias's offset is its own (8), not the weight's
    ws2, bs2 = np.empty((4, 30), np.float32), np.empty(4, np.float32)
    fastinit.torch_default(ws2, bs2, seed=7, stream="fc", offset=8 * 30, bias_offset=8,
                           fan_in=30)
    np.testing.assert_array_equal(ws2, w[8:])
    np.testing.assert_array_equal(bs2, b[8:])
    # a bias alone, from fan_in
    b_alone = np.empty(12, np.float32)
    fastinit.torch_default(None, b_alone, fan_in=30, seed=7, stream="fc")
    np.testing.assert_array_equal(b_alone, b)


# ---- layouts: strided fills equal contiguous ones ---------------------------------------

@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_transposed_and_fortran_layouts(dtype):
    k = np.empty((3, 3, 40, 50), dtype)
    kt = k.transpose(3, 2, 0, 1)
    f = np.empty((5000, 2), dtype, order="F")
    for arr in (kt, f, f[::3], kt[:, ::-1]):
        fastinit.normal(arr, seed=9, std=1.0)
        expect = fastinit.normal(np.empty(arr.shape, dtype), seed=9, std=1.0)
        np.testing.assert_array_equal(arr.view(np.uint8) if arr.flags.c_contiguous else
                                      np.ascontiguousarray(arr).view(np.uint8),
                                      expect.view(np.uint8))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_panels_of_a_large_transposed_kernel(threads, dtype):
    # large enough for several threads, and the transposed axis (130) is not
    # a multiple of any panel width
    kt = np.empty((3, 3, 100, 130), dtype).transpose(3, 2, 0, 1)[:, :, ::-1]
    fastinit.uniform(kt, seed=2, threads=threads)
    expect = fastinit.uniform(shape=kt.shape, dtype=dtype, seed=2, threads=1)
    np.testing.assert_array_equal(kt, expect)
    blk = np.empty((5, 7, 3, 3), dtype, order="F")[:, :, :, ::-1]
    fastinit.uniform(blk, seed=2, global_shape=kt.shape, start=(120, 93, 0, 0))
    np.testing.assert_array_equal(blk, expect[120:125, 93:100])


# ---- Ctrl-C ------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt",
                    reason="needs POSIX signals")
@pytest.mark.parametrize("threads", [1, 2])
def test_sigint_stops_a_long_fill(threads):
    # the far-tail sampler: seconds for the whole 512 MiB here, so a fill
    # that only noticed the signal at its end would have written everything
    out = np.full(1 << 26, SENTINEL, np.float64)
    # Python's own handler, whatever this process inherited: a shell without
    # job control starts a background job with SIGINT ignored, and Python then
    # installs none (the fill ran to its end, 26 s, in such a job)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fastinit.truncated_normal(out, std=1.0, a=40.0, b=41.0, seed=0, threads=threads)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    # it stopped early: what was written has its value, the rest is as it was
    written = out != SENTINEL
    assert not written.all()
    expect = fastinit.truncated_normal(shape=1 << 16, dtype=np.float64, std=1.0, a=40.0,
                                       b=41.0, seed=0, threads=1)
    head = written[:1 << 16]
    np.testing.assert_array_equal(out[:1 << 16][head], expect[head])


# ---- short runs in one kernel call (fi_runs_fn) ------------------------------------------

SHORT_WIDTHS = [1, 3, 4, 7, 8, 31, 32, 33, 64, 65, 127, 255, 256, 257, 511, 513]


@pytest.mark.parametrize("name", ["uniform", "normal", "truncated_normal", "truncated_far_tail"])
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_column_blocks_of_every_width_and_start(name, dtype):
    # rows of every width around the group and tile sizes, starting on and
    # off Philox blocks, into contiguous, padded and reversed destinations
    fill, kwargs = FILLS[name]
    g = (9, 1100)
    expect = fill(shape=g, dtype=dtype, seed=3, stream=1, **kwargs)
    for w in SHORT_WIDTHS:
        for c0 in (0, 1, 2, 3, 5, 1100 - w):
            want = expect[1:, c0:c0 + w]
            for out in (np.full((8, w), SENTINEL, dtype),
                        np.full((8, w + 5), SENTINEL, dtype)[:, 2:2 + w],
                        np.full((8, w), SENTINEL, dtype)[::-1]):
                fill(out, seed=3, stream=1, global_shape=g, start=(1, c0), **kwargs)
                np.testing.assert_array_equal(out.view(np.uint8) if out.flags.c_contiguous else
                                              np.ascontiguousarray(out).view(np.uint8),
                                              np.ascontiguousarray(want).view(np.uint8))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_blocks_with_threads_and_3d(threads, dtype):
    g = (6, 700, 300)
    expect = fastinit.normal(shape=g, dtype=dtype, seed=8, std=1.0)
    for start, shape in [((0, 0, 37), (6, 700, 64)), ((1, 3, 0), (5, 697, 299)),
                         ((0, 0, 1), (6, 700, 1))]:
        block = np.empty(shape, dtype)
        fastinit.normal(block, seed=8, std=1.0, global_shape=g, start=start, threads=threads)
        sl = tuple(slice(s, s + n) for s, n in zip(start, shape))
        np.testing.assert_array_equal(block, expect[sl])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_short_runs_across_the_low_counter_word(dtype):
    # rows whose Philox blocks straddle block 2^32 (a vector pass must not
    # carry into the high word): element 2^34 (float32) or 2^33 (float64)
    g = (16, 1000)
    epb = 4 if dtype == np.float32 else 2
    off = (1 << 32) * epb - 7 * 1000 - 500
    expect = fastinit.uniform(shape=g, dtype=dtype, seed=6, offset=off)
    block = np.empty((16, 96), dtype)
    fastinit.uniform(block, seed=6, offset=off, global_shape=g, start=(0, 452))
    np.testing.assert_array_equal(block, expect[:, 452:548])


# ---- panels: short view runs generated as one run, chunk-major order ---------------------

@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_fortran_order_with_short_last_axes(threads, dtype):
    # (N, P) in Fortran order is P interleaved logical columns: N not a
    # multiple of any panel width, P around the panel limits; large enough
    # for two threads at P = 2
    for n, p in [(300001, 2), (5001, 1), (4099, 3), (2053, 7), (1031, 63), (1031, 64),
                 (517, 100), (257, 255), (129, 256)]:
        f = np.full((n, p), SENTINEL, dtype, order="F")
        fastinit.uniform(f, seed=4, stream=2, offset=3, threads=threads)
        expect = fastinit.uniform(shape=(n, p), dtype=dtype, seed=4, stream=2, offset=3)
        np.testing.assert_array_equal(f.view(np.uint8) if f.flags.c_contiguous else
                                      np.ascontiguousarray(f).view(np.uint8),
                                      expect.view(np.uint8))
    f3 = np.empty((1001, 3, 5), dtype, order="F")
    fastinit.normal(f3, seed=4, threads=threads)
    np.testing.assert_array_equal(f3, fastinit.normal(shape=f3.shape, dtype=dtype, seed=4))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["uniform", "normal"])
def test_panels_along_an_axis_that_runs_backwards(threads, dtype, name):
    # the memory-innermost axis has stride -itemsize (a reversed Fortran
    # (N, P), a transposed kernel reversed along its input channels): row
    # counts that are not a multiple of 4 (the unzip's remainder), views
    # inside a larger buffer, whose other elements stay untouched
    fill, kwargs = FILLS[name]
    for n, p in [(300001, 2), (4099, 2), (4098, 2), (4099, 3), (1031, 64)]:
        for step in (-1, 1):
            base = np.full((n + 2, p), SENTINEL, dtype, order="F")
            v = base[-2:0:-1] if step < 0 else base[1:-1]
            fill(v, seed=8, stream=3, offset=1, threads=threads, **kwargs)
            expect = fill(shape=v.shape, dtype=dtype, seed=8, stream=3, offset=1, **kwargs)
            np.testing.assert_array_equal(v, expect)
            assert (base[[0, -1]] == SENTINEL).all()
    kt = np.empty((3, 3, 60, 130), dtype).transpose(3, 2, 0, 1)[::-1]
    fill(kt, seed=8, threads=threads, **kwargs)
    np.testing.assert_array_equal(kt, fill(shape=kt.shape, dtype=dtype, seed=8, **kwargs))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["uniform", "normal"])
def test_panels_of_whole_columns(threads, dtype, name):
    # a memory-innermost axis short enough to go whole into one panel (a
    # Fortran 3-D array, a transposed kernel with few outputs), its length
    # not a multiple of 4 (the 4 x 4 gather's remainder rows), views inside
    # a larger buffer: each equals its C-order fill, nothing else is written
    fill, kwargs = FILLS[name]
    for shape in [(63, 50, 70), (64, 9, 41), (5, 300, 3), (129, 40, 33)]:
        base = np.full((shape[0] + 3,) + shape[1:], SENTINEL, dtype, order="F")
        for v in (base[1:-2], base[-3:0:-1]):
            fill(v, seed=6, stream=4, offset=7, threads=threads, **kwargs)
            expect = fill(shape=v.shape, dtype=dtype, seed=6, stream=4, offset=7, **kwargs)
            np.testing.assert_array_equal(v, expect)
        assert (base[[0, -2, -1]] == SENTINEL).all()
    kt = np.empty((3, 3, 300, 101), dtype).transpose(3, 2, 0, 1)
    fill(kt, seed=6, threads=threads, **kwargs)
    np.testing.assert_array_equal(kt, fill(shape=kt.shape, dtype=dtype, seed=6, **kwargs))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["uniform", "normal"])
def test_panels_over_two_memory_axes(threads, dtype, name):
    # a short column whose memory goes on along a second axis (Fortran
    # order): the panel rows span both axes, several values of the second
    # per panel and panels ending inside one, forwards and both backwards;
    # a 4-D array, and a block of a global tensor
    fill, kwargs = FILLS[name]
    for shape in [(63, 50, 70), (8, 16, 3, 100), (3, 1000, 65)]:
        base = np.full(shape, SENTINEL, dtype, order="F")
        for v in (base, base[::-1, ::-1]):
            fill(v, seed=2, stream=5, offset=9, threads=threads, **kwargs)
            expect = fill(shape=v.shape, dtype=dtype, seed=2, stream=5, offset=9, **kwargs)
            np.testing.assert_array_equal(v, expect)
    g = (70, 40, 300)
    whole = fill(shape=g, dtype=dtype, seed=2, **kwargs)
    blk = np.empty((64, 40, 200), dtype, order="F")
    fill(blk, seed=2, threads=threads, global_shape=g, start=(5, 0, 100), **kwargs)
    np.testing.assert_array_equal(blk, whole[5:69, :, 100:])


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["uniform", "normal"])
def test_large_panels(threads, dtype, name):
    # fills of several MiB per thread take their panels from one heap
    # buffer per thread, wider than the stack's: whole columns of up to
    # 8 KiB (transposed matrix and kernel), KiB of longer ones (a Fortran
    # cube, a long transposed column), a column block, and reversed; each
    # equals its C-order fill and writes nothing outside the view
    fill, kwargs = FILLS[name]
    k = 8 // np.dtype(dtype).itemsize                   # the same bytes in float64
    shapes = [(1024 // k, 2304), (4096 // k, 600)]
    for shape in shapes:
        base = np.full((shape[1] + 2, shape[0]), SENTINEL, dtype)
        for v in (base[1:-1].T, base[-2:0:-1, ::-1].T):
            fill(v, seed=3, stream=2, offset=5, threads=threads, **kwargs)
            expect = fill(shape=v.shape, dtype=dtype, seed=3, stream=2, offset=5, **kwargs)
            np.testing.assert_array_equal(v, expect)
        assert (base[[0, -1]] == SENTINEL).all()
    kt = np.empty((3, 3, 300 // k, 1100), dtype).transpose(3, 2, 0, 1)
    cube = np.empty((64, 64, 600 // k), dtype, order="F")
    for v in (kt, cube):
        fill(v, seed=3, threads=threads, **kwargs)
        np.testing.assert_array_equal(v, fill(shape=v.shape, dtype=dtype, seed=3, **kwargs))
    g = (2300, 1100)
    blk = np.empty((2200, 1024 // k), dtype, order="F")
    fill(blk, seed=3, threads=threads, global_shape=g, start=(50, 70), **kwargs)
    np.testing.assert_array_equal(blk, fill(shape=g, dtype=dtype, seed=3, **kwargs)[50:2250, 70:70 + 1024 // k])


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", ["uniform", "normal", "truncated_normal"])
def test_transposed_kernels_of_uneven_sizes(threads, name):
    # view sizes that are not a multiple of a chunk, blocks of a transposed
    # global tensor, and a block starting off a Philox block
    fill, kwargs = FILLS[name]
    for shape in [(3, 3, 200, 130), (5, 1, 77, 300), (3, 3, 512, 64)]:
        for dtype in (np.float32, np.float64):
            kt = np.empty(shape, dtype).transpose(3, 2, 0, 1)
            fill(kt, seed=5, threads=threads, **kwargs)
            expect = fill(shape=kt.shape, dtype=dtype, seed=5, **kwargs)
            np.testing.assert_array_equal(kt, expect)
            g = kt.shape
            blk = np.empty((g[0] - 3, g[1] - 1, g[2], g[3]), dtype, order="F")
            fill(blk, seed=5, threads=threads, global_shape=g, start=(3, 1, 0, 0), **kwargs)
            np.testing.assert_array_equal(blk, expect[3:, 1:])


# ---- short memory-contiguous rows in a strided view: copied row by row ----------------

@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["uniform", "normal", "truncated_normal"])
def test_short_rows_of_reversed_and_strided_views(threads, dtype, name):
    """Views whose last axis is short and contiguous but whose rows are not
    (reversed, every other row, a row slice, 3-D with a carry into the
    first axis): each equals the fill of a C-order array of its shape, and
    nothing outside the view is written."""
    fill = getattr(fastinit, name)
    views = [lambda a: a[::-1], lambda a: a[::2], lambda a: a[1:-1], lambda a: a[::-3]]
    for shape in [(300001, 2), (1001, 4), (1001, 3), (513, 8), (7, 1), (5, 16)]:
        for view in views:
            base = np.full(shape, SENTINEL, dtype)
            v = view(base)
            fill(v, seed=3, stream=1, offset=5, threads=threads)
            expect = fill(shape=v.shape, dtype=dtype, seed=3, stream=1, offset=5)
            np.testing.assert_array_equal(v, expect)
            untouched = np.ones(shape, bool)
            view(untouched)[...] = False
            assert (base[untouched] == SENTINEL).all()
    cube = np.full((6, 5, 2), SENTINEL, dtype)[::-1, ::-1]
    fill(cube, seed=3, threads=threads)
    np.testing.assert_array_equal(cube, fill(shape=cube.shape, dtype=dtype, seed=3))
