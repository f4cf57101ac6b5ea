"""fastinit.dask: every chunking, scheduler and worker count gives the bits
of the single-machine fill of the whole array."""
import logging
import pickle
import numpy as np
import pytest

da = pytest.importorskip("dask.array")
import dask  # noqa: E402

import fastinit  # noqa: E402
import fastinit.dask as fd  # noqa: E402
from fastinit import _core  # noqa: E402

DTYPES = [np.float32, np.float64, np.float16] + (
    ["bfloat16"] if _core.BFLOAT16 is not None else [])

SHAPE = (13, 11)
CHUNKINGS = [
    5,                              # regular, ragged last chunk
    (13, 1),                        # columns of width 1
    ((1, 12), (4, 0, 7)),           # irregular, with a zero-width chunk
    ((13,), (11,)),                 # one chunk
    "auto",
]

FILLS = {   # name: (dask fill, whole fill, params)
    "uniform": (fd.uniform, fastinit.uniform, dict(low=-2.0, high=3.0)),
    "normal": (fd.normal, fastinit.normal, dict(mean=1.0, std=2.0)),
    "truncated_normal": (fd.truncated_normal, fastinit.truncated_normal,
                         dict(mean=0.5, std=1.5, a=-1.0, b=2.5)),
}


def threads(x):
    return x.compute(scheduler="threads")


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# ---- bits: threaded scheduler ------------------------------------------------------

@pytest.mark.parametrize("chunks", CHUNKINGS, ids=repr)
@pytest.mark.parametrize("fill", sorted(FILLS))
def test_fill_equals_whole_fill(fill, chunks):
    dask_fill, whole_fill, params = FILLS[fill]
    x = dask_fill(SHAPE, chunks=chunks, seed=42, stream="w", **params)
    assert isinstance(x, da.Array) and x.shape == SHAPE
    assert same_bits(threads(x), whole_fill(shape=SHAPE, seed=42, stream="w", **params))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("fill", sorted(FILLS))
def test_every_dtype(fill, dtype):
    dask_fill, whole_fill, params = FILLS[fill]
    shape = (4, 5, 6)
    x = dask_fill(shape, chunks=((1, 3), (2, 2, 1), (6,)), dtype=dtype, seed=3, **params)
    want = whole_fill(shape=shape, dtype=dtype, seed=3, **params)
    assert x.dtype == want.dtype
    assert same_bits(threads(x), want)


def test_random_bits_and_offset():
    shape = (6, 9)
    x = fd.random_bits(shape, chunks=(4, 2), seed=5, stream=7, offset=1000)
    assert x.dtype == np.uint32
    assert same_bits(threads(x), fastinit.random_bits(shape=shape, seed=5, stream=7,
                                                      offset=1000))


@pytest.mark.parametrize("name,value", [("zeros", 0.0), ("ones", 1.0), ("constant", 2.5)])
def test_constants(name, value):
    args = (value,) if name == "constant" else ()
    x = getattr(fd, name)((5, 4), *args, chunks=(2, 3), dtype=np.float64)
    assert same_bits(threads(x), np.full((5, 4), value))


def test_rechunked_and_sliced_agree():
    x = fd.normal((40, 30), chunks=(7, 11), seed=9)
    whole = fastinit.normal(shape=(40, 30), seed=9)
    assert same_bits(threads(x.rechunk((13, 4))), whole)
    assert same_bits(threads(x[3:17, 5:29]), whole[3:17, 5:29])


def test_zero_d_empty_and_int_shapes():
    assert same_bits(threads(fd.normal((), seed=1)), fastinit.normal(shape=(), seed=1))
    assert same_bits(threads(fd.normal(np.int64(10), chunks=3, seed=1)),
                     fastinit.normal(shape=10, seed=1))
    assert same_bits(threads(fd.uniform((0, 5), chunks=2, seed=1)), np.empty((0, 5), np.float32))


def test_seed_none_draws_one_seed_for_all_chunks():
    x = fd.normal((32, 32), chunks=8, seed=None)
    a = threads(x)
    # the seed is in the graph, not drawn per task: any chunking of this array,
    # and a second compute, agree
    assert same_bits(threads(x.rechunk(5)), a)
    assert same_bits(threads(x), a)
    assert not same_bits(threads(fd.normal((32, 32), chunks=8, seed=None)), a)


def test_threaded_persist():
    x = fd.uniform((30, 30), chunks=7, seed=5).persist(scheduler="threads")
    assert len(x.__dask_graph__()) == x.npartitions     # chunks in memory, no fill tasks
    assert same_bits(x.compute(), fastinit.uniform(shape=(30, 30), seed=5))


def test_threads_per_task_do_not_change_bits():
    x = fd.normal((64, 64), chunks=32, seed=2, threads=2)
    assert same_bits(threads(x), fastinit.normal(shape=(64, 64), seed=2))


def test_different_arguments_get_different_graph_names():
    a = fd.normal((8, 8), chunks=4, seed=1)
    assert a.name == fd.normal((8, 8), chunks=4, seed=1).name
    for b in (fd.normal((8, 8), chunks=4, seed=2), fd.normal((8, 8), chunks=4, seed=1, std=1.0),
              fd.normal((8, 8), chunks=4, seed=1, stream=1), fd.uniform((8, 8), chunks=4, seed=1)):
        assert b.name != a.name


# ---- schemes by name ------------------------------------------------------------------

REFUSED = ["orthogonal", "orthogonal_", "Orthogonal", "OrthogonalInitializer", "sparse",
           "sparse_", "delta_orthogonal"]
ELEMENTWISE = [n for n in fastinit.names() if n not in REFUSED]


def test_the_refused_list_is_every_non_elementwise_scheme():
    # a new registry name must land in one list or the other, knowingly
    for name in fastinit.names():
        refused = fd._block_refusal(fastinit.get(name), name) is not None
        assert refused == (name in REFUSED), name


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_scheme_equals_whole_scheme(name):
    shape = (12, 10, 3)     # 3-D: fans differ per layout, and from any chunk's
    chunks = ((5, 7), (4, 6), (1, 2))
    if fastinit.get(name) is fastinit.eye:
        shape, chunks = shape[:2], chunks[:2]
    kw = dict(seed=11, stream="layer") if fastinit.is_random(name) else {}
    x = fd.initialize(shape, name, chunks=chunks, dtype=np.float64, **kw)
    want = fastinit.initialize(np.empty(shape, np.float64), name, **kw)
    assert same_bits(threads(x), want)


def test_scheme_fans_come_from_the_global_shape():
    # column chunks of width 8 of a (64, 32) weight: the bound is sqrt(6 / 32),
    # the whole weight's, not sqrt(6 / 8), a chunk's
    x = fd.initialize((64, 32), "kaiming_uniform", chunks=(64, 8), seed=1)
    bound = np.sqrt(6.0 / 32)
    a = threads(x)
    assert np.abs(a).max() < bound and np.abs(a).max() > np.sqrt(6.0 / 64)
    assert same_bits(a, fastinit.uniform(shape=(64, 32), low=-bound, high=bound, seed=1))


@pytest.mark.parametrize("name,shape,chunks,kw", [
    ("eye", (9, 14), ((2, 3, 4), (5, 0, 9)), dict(gain=2.0)),
    ("Identity", (14, 9), 4, {}),
    ("dirac", (6, 4, 3, 3), ((2, 4), 3, (1, 2), 2), dict(groups=2)),
    ("dirac_", (4, 5, 2, 4, 3), 2, {}),
])
def test_deterministic_structures_per_chunk(name, shape, chunks, kw):
    x = fd.initialize(shape, name, chunks=chunks, dtype=np.float64, **kw)
    want = fastinit.initialize(np.empty(shape, np.float64), name, **kw)
    assert np.count_nonzero(want) > 0
    assert same_bits(threads(x), want)


@pytest.mark.parametrize("name", REFUSED)
def test_non_elementwise_schemes_refuse_up_front(name):
    kw = dict(seed=1) if fastinit.is_random(name) else {}
    with pytest.raises(ValueError, match=f"'{name}'.*cannot be filled on its own"):
        fd.initialize((8, 8, 3), name, chunks=4, **kw)


def test_scheme_errors():
    with pytest.raises(ValueError, match="unknown initializer 'he_nromal'"):
        fd.initialize((4, 4), "he_nromal", seed=1)
    with pytest.raises(TypeError, match="'zeros' draws no random numbers.*seed=1"):
        fd.initialize((4, 4), "zeros", seed=1)
    with pytest.raises(TypeError, match="name must be a str or a callable"):
        fd.initialize((4, 4), 3)


def test_a_callable_scheme():
    def half_normal(out=None, **kw):
        return fastinit.normal(out, 0.0, 0.5, **kw)
    x = fd.initialize((9, 7), half_normal, chunks=4, seed=3)
    assert same_bits(threads(x), fastinit.normal(shape=(9, 7), std=0.5, seed=3))


def test_a_callable_without_block_fill_is_refused_up_front():
    def whole_only(out=None, *, seed=None, stream=0, shape=None, dtype=None, threads=None):
        return fastinit.normal(out, shape=shape, dtype=dtype, seed=seed)
    with pytest.raises(ValueError, match="'whole_only' takes no global_shape=/start="):
        fd.initialize((8, 8), whole_only, chunks=4, seed=1)


# ---- bad input: clear errors at the call, before any graph -----------------------------

@pytest.mark.parametrize("kwargs,error,match", [
    (dict(shape=(4, -1)), ValueError, r"shape=\(4, -1\) has a negative dimension"),
    (dict(shape="ab"), TypeError, "shape must be an int or a tuple of ints"),
    (dict(chunks=0), ValueError, "chunks=0 does not fit shape=.4, 6."),
    (dict(chunks=((2, 3), 6)), ValueError, r"chunks=\(\(2, 3\), 6\) does not fit"),
    (dict(chunks=((2, -1, 3), 6)), ValueError, r"axis 0 gets chunks \(2, -1, 3\)"),
    (dict(chunks=(2,)), ValueError, r"chunks=\(2,\) does not fit shape=\(4, 6\)"),
    (dict(chunks="lots"), ValueError, "chunks='lots' does not fit"),
    (dict(dtype=np.int8), TypeError, "dtype=int8 is not supported"),
    (dict(dtype="nonsense"), TypeError, "dtype='nonsense' is not a NumPy dtype"),
    (dict(seed=-1), ValueError, "seed=-1 is outside"),
    (dict(seed=1.5), TypeError, "seed must be an int"),
    (dict(stream=[1]), TypeError, "stream must be an int"),
    (dict(std=-1.0), ValueError, "std=-1.0 is negative"),
    (dict(offset=2**64 - 3), ValueError, "offset=.* exceeds 2\\*\\*64"),
    (dict(threads=0), ValueError, "threads=0"),
    (dict(sdt=1.0), TypeError, "sdt"),
    (dict(out=np.empty(3)), TypeError, "out= is not an argument of fastinit.dask.normal"),
    (dict(start=(0, 0)), TypeError, "start= is not an argument"),
    (dict(global_shape=(4, 6)), TypeError, "global_shape= is not an argument"),
])
def test_bad_input(kwargs, error, match):
    kwargs = dict(dict(shape=(4, 6), chunks=2, seed=1), **kwargs)
    with pytest.raises(error, match=match):
        fd.normal(kwargs.pop("shape"), **kwargs)


def test_random_bits_is_uint32_only():
    with pytest.raises(TypeError, match="random_bits fills uint32 only"):
        fd.random_bits((4,), dtype=np.float32, seed=1)
    assert fd.random_bits((4,), dtype="uint32", seed=1).dtype == np.uint32


# ---- the graph: one small task per chunk, no data, only what is needed ------------------

def test_graph_is_one_small_task_per_chunk_whatever_the_size():
    sizes = []
    for n in (10**3, 10**6):     # 4 MB and 4 TB of float32, never computed
        x = fd.normal((n, n), chunks=n // 10, seed=1)
        graph = dict(x.__dask_graph__())
        assert len(graph) == x.npartitions == 100
        sizes.append(len(pickle.dumps(graph)))
    assert sizes[1] < 100 * 400            # a few hundred bytes a task: no array in it
    assert abs(sizes[1] - sizes[0]) < 100 * 20   # only the digits of the sizes differ


def test_slicing_fills_only_the_chunks_it_needs(monkeypatch):
    starts = []
    real = _core.normal

    def counting(out=None, *args, **kw):
        if out is not None:      # not the zero-size argument check at the call
            starts.append(kw["start"])
        return real(out, *args, **kw)

    monkeypatch.setattr(_core, "normal", counting)
    x = fd.normal((100, 100), chunks=10, seed=4)
    starts.clear()
    part = x[15:25, 93:].compute(scheduler="sync")
    assert sorted(starts) == [(10, 90), (20, 90)]
    assert same_bits(part, real(shape=(100, 100), seed=4)[15:25, 93:])


def test_dask_own_rng_depends_on_the_chunking():
    # dask/dask#1684: the same seed, another chunking, other values -- ours do not move
    def theirs(chunks):
        return da.random.default_rng(7).normal(size=(64, 64), chunks=chunks).compute()
    assert not np.array_equal(theirs(16), theirs(32))
    assert same_bits(threads(fd.normal((64, 64), chunks=16, seed=7)),
                     threads(fd.normal((64, 64), chunks=32, seed=7)))


# ---- a real cluster: worker processes ------------------------------------------------

@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        # not the default scheduler: the other tests here stay on threads
        with distributed.Client(cluster, set_as_default=False) as c:
            c.wait_for_workers(2, timeout=60)
            yield c


@pytest.mark.parametrize("chunks", [(16, 16), ((5, 27, 0, 8), (33, 7)), (40, 1)], ids=repr)
def test_cluster_equals_whole_fill(client, chunks):
    x = fd.truncated_normal((40, 40), chunks=chunks, seed=8, stream="c", std=0.1)
    got = client.compute(x).result()
    assert same_bits(got, fastinit.truncated_normal(shape=(40, 40), seed=8, stream="c",
                                                    std=0.1))


def test_cluster_each_worker_alone_gives_the_same_bits(client):
    x = fd.normal((24, 24), chunks=(5, 7), seed=10)
    whole = fastinit.normal(shape=(24, 24), seed=10)
    workers = sorted(client.scheduler_info()["workers"])
    assert len(workers) == 2
    for w in workers:
        assert same_bits(client.compute(x, workers=[w]).result(), whole)


def test_cluster_bfloat16(client):
    x = fd.uniform((30, 20), chunks=(7, 6), dtype=DTYPES[-1], seed=1)
    assert same_bits(client.compute(x).result(),
                     fastinit.uniform(shape=(30, 20), dtype=DTYPES[-1], seed=1))


def test_cluster_persist(client):
    x = client.persist(fd.normal((50, 30), chunks=(10, 15), seed=6))
    assert len(x.__dask_graph__()) == x.npartitions     # in memory now: no fill tasks
    whole = fastinit.normal(shape=(50, 30), seed=6)
    assert same_bits(client.compute(x).result(), whole)
    assert same_bits(client.compute(x[7:33, ::4]).result(), whole[7:33, ::4])
    # a reduction sums in Dask's order (per chunk, then a tree): close, not equal bits
    np.testing.assert_allclose(client.compute(x.sum(axis=0)).result(),
                               whole.sum(axis=0, dtype=np.float64), rtol=1e-5, atol=1e-6)


def test_cluster_to_zarr(client, tmp_path):
    zarr = pytest.importorskip("zarr")
    from dask.core import get_dependencies
    shape, chunks = (256, 192), (64, 48)      # 16 chunks of 12 KiB
    x = fd.normal(shape, chunks=chunks, seed=12, stream="emb")
    store = str(tmp_path / "w.zarr")
    job = da.to_zarr(x, store, compute=False)
    # bounded memory: no task takes more than one other task's chunk, so a
    # worker holds the chunks it is filling and storing, never the array
    graph = dict(job.__dask_graph__())
    assert len(graph) <= 2 * x.npartitions + 2
    assert max(len(get_dependencies(graph, k)) for k in graph) <= 1
    assert len(pickle.dumps(graph)) < x.npartitions * 2000
    client.compute(job).result()
    z = zarr.open_array(store, mode="r")
    assert z.chunks == chunks
    assert same_bits(z[...], fastinit.normal(shape=shape, seed=12, stream="emb"))


def test_threaded_to_zarr(tmp_path):
    zarr = pytest.importorskip("zarr")
    x = fd.initialize((40, 24), "uniform_", chunks=(8, 8), seed=2)
    with dask.config.set(scheduler="threads"):
        da.to_zarr(x, str(tmp_path / "u.zarr"))
    got = zarr.open_array(str(tmp_path / "u.zarr"), mode="r")[...]
    assert same_bits(got, fastinit.initialize(np.empty((40, 24), np.float32), "uniform_",
                                              seed=2))
