"""Dask arrays filled by fastinit: one task per chunk, each the block fill.

    import fastinit.dask
    w = fastinit.dask.normal((200_000, 50_000), chunks=(10_000, 10_000), seed=1)
    h = fastinit.dask.initialize((4096, 4096), "he_normal", chunks=1024, seed=1)

Every chunk is ``np.empty(chunk_shape, dtype)`` filled by one call of the
core fill (or scheme) with ``global_shape=shape`` and ``start=`` the chunk's
corner, so the element at global index ``i`` is the one a single-machine
fill of the whole array gives it: ``.compute()`` is bit for bit
``fastinit.normal(shape=shape, ...)`` whatever the chunking, scheduler or
number of workers.  The graph holds no array data: one small task per
chunk (the chunk's location, the fill, its scalar arguments).

Install with ``pip install "fastinit[dask]"`` (``dask[array]`` and
``distributed``).  Arguments are checked here, before any graph is built,
by the same core checks a fill runs (a zero-size dry run of the fill on a
block of the global shape), so a bad std or stream fails at the call, not
inside a worker.
"""
import functools
import warnings

import numpy as np

try:
    import dask.array as da
    from dask.array.core import normalize_chunks
    from dask.base import tokenize
except ImportError as e:  # pragma: no cover - depends on the environment
    # ModuleNotFoundError, as the missing module's own: importorskip skips on it
    raise ModuleNotFoundError("fastinit.dask needs Dask: pip install 'fastinit[dask]' "
                              "(dask[array] and distributed)", name=e.name) from e

from . import _core
from ._matrix import delta_orthogonal, orthogonal, sparse
from ._registry import _keras_orthogonal, get, is_random

__all__ = ["constant", "initialize", "normal", "ones", "random_bits", "truncated_normal",
           "uniform", "zeros"]

# Dask runs one task per core already; a fill's own threads (the core's
# default is every core) would oversubscribe them.  The bits do not depend on
# it, so threads= only trades speed: give it for few, large chunks.
_TASK_THREADS = 1

# Keywords that fastinit.dask sets per chunk or takes as its own arguments.
_OWN = ("out", "shape", "global_shape", "start")

# The schemes whose elements are not each a function of (seed, stream, index)
# alone.  fastinit cuts a block of them from the whole tensor computed in
# scratch: in Dask every chunk's task would compute and hold the whole
# tensor, which is what chunking is there to avoid -- refused instead.
_WHOLE_TENSOR = {
    orthogonal: "is the Q of a QR factorization of the whole matrix",
    _keras_orthogonal: "is the Q of a QR factorization of the whole matrix",
    delta_orthogonal: "holds the Q of a QR factorization of the whole (in, out) matrix",
    sparse: "chooses each column's (or row's) zeros by ranking keys along the whole "
            "column (row)",
}


def _block_refusal(fn, name):
    why = _WHOLE_TENSOR.get(fn)
    if why is None:
        return None
    return (f"{name!r} {why}, so a Dask chunk cannot be filled on its own (each "
            f"chunk's task would compute the whole tensor); fill it on one machine (e.g. fastinit.initialize(np.empty(shape, dtype), {name!r}, "
            f"...)) and wrap it with dask.array.from_array")


def _check_chunks(chunks, shape, dtype):
    """Dask's normalize_chunks, with what it lets through (a negative chunk
    that the others make up for) and what it raises (ZeroDivisionError for
    chunks=0...) as one ValueError naming chunks and shape.  Zero-length
    chunks are fine, as in Dask."""
    try:
        normal_chunks = normalize_chunks(chunks, shape, dtype=dtype)
    except Exception as e:  # Dask raises ValueError, TypeError or ZeroDivisionError
        raise ValueError(f"chunks={chunks!r} does not fit shape={shape}: {e}") from None
    for axis, (sizes, dim) in enumerate(zip(normal_chunks, shape)):
        if any(not isinstance(c, (int, np.integer)) or c < 0 for c in sizes) \
                or sum(sizes) != dim:
            raise ValueError(f"chunks={chunks!r} does not fit shape={shape}: axis {axis} "
                             f"gets chunks {sizes}")
    return normal_chunks


def _fill_chunk(fill, dtype, global_shape, kwargs, block_info=None):
    # the task: one block fill of the chunk Dask asks for
    info = block_info[None]
    out = np.empty(info["chunk-shape"], dtype)
    start = tuple(lo for lo, _ in info["array-location"])
    if isinstance(fill, str):
        fill = get(fill)     # resolved on the worker: registry names pickle small
    fill(out, global_shape=global_shape, start=start, **kwargs)
    return out


def _array(label, fill, shape, chunks, dtype, kwargs):
    """The Dask array of ``shape`` whose chunks are ``fill`` of their blocks,
    after a dry run of ``fill`` on a zero-size block (the checks, no work)."""
    shape = _core._shape_tuple(shape)
    for k in _OWN:
        if k in kwargs:
            raise TypeError(f"{k}= is not an argument of fastinit.dask.{label}: each chunk "
                            f"gets its own out, shape and start; give shape, chunks and "
                            f"dtype (and offset= to place the array in the stream)")
    fn = get(fill) if isinstance(fill, str) else fill
    try:
        with warnings.catch_warnings():
            # kaiming's "zero-element tensors" warning is about the probe, not the array
            warnings.simplefilter("ignore", UserWarning)
            # (a 0-d shape has no zero-size block: its probe fills its one element)
            probe = fn(None, shape=(0,) * len(shape), dtype=dtype, global_shape=shape,
                       start=(0,) * len(shape), **kwargs)
    except TypeError as e:
        if "global_shape" not in str(e):
            raise
        raise ValueError(f"{label!r} takes no global_shape=/start= (it has no block fill), "
                         f"so a Dask chunk cannot be filled on its own") from e
    dtype = probe.dtype
    chunks = _check_chunks(chunks, shape, dtype)
    token = tokenize(label, fill, shape, chunks, dtype.str, str(dtype),
                     sorted(kwargs.items()))
    task = functools.partial(_fill_chunk, fill, dtype, shape, kwargs)
    return da.map_blocks(task, chunks=chunks, dtype=dtype,
                         meta=np.empty((0,) * len(shape), dtype),
                         name=f"fastinit-{label}-{token}")


def _random(label, fill, shape, chunks, dtype, seed, stream, params):
    # seed=None: one seed for the whole array, drawn here, not one per chunk
    params = dict(params, seed=_core.check_seed(seed), stream=stream)
    params.setdefault("threads", _TASK_THREADS)
    return _array(label, fill, shape, chunks, dtype, params)


def uniform(shape, *, chunks="auto", dtype=None, seed=None, stream=0, **params):
    """A Dask array of ``fastinit.uniform(shape=shape, dtype=dtype, seed=seed,
    stream=stream, **params)`` (``low=``, ``high=``, ``offset=``, ``threads=``
    per task, default 1), in chunks of ``chunks`` (anything
    ``dask.array`` accepts); bit for bit the same for any chunking."""
    return _random("uniform", _core.uniform, shape, chunks, dtype, seed, stream, params)


def normal(shape, *, chunks="auto", dtype=None, seed=None, stream=0, **params):
    """A Dask array of ``fastinit.normal(shape=shape, ...)`` (``mean=``,
    ``std=``, ``offset=``, ``threads=``); see ``uniform``."""
    return _random("normal", _core.normal, shape, chunks, dtype, seed, stream, params)


def truncated_normal(shape, *, chunks="auto", dtype=None, seed=None, stream=0, **params):
    """A Dask array of ``fastinit.truncated_normal(shape=shape, ...)``
    (``mean=``, ``std=``, ``a=``, ``b=``, ``offset=``, ``threads=``); see
    ``uniform``."""
    return _random("truncated_normal", _core.truncated_normal, shape, chunks, dtype, seed,
                   stream, params)


def _bits(out=None, *, shape=None, dtype=None, **kw):
    # random_bits has no dtype: only uint32
    if dtype is not None and _core._resolve_dtype(dtype) != np.uint32:
        raise TypeError(f"dtype={dtype!r}: random_bits fills uint32 only")
    return _core.random_bits(out, shape=shape, **kw)


def random_bits(shape, *, chunks="auto", dtype=None, seed=None, stream=0, **params):
    """A Dask array of ``fastinit.random_bits(shape=shape, ...)``: the raw
    uint32 Philox words (``offset=``, ``threads=``); see ``uniform``."""
    return _random("random_bits", _bits, shape, chunks, dtype, seed, stream, params)


def constant(shape, value=0.0, *, chunks="auto", dtype=None):
    """A Dask array of ``fastinit.constant(shape=shape, value=value, dtype=dtype)``."""
    return _array("constant", _core.constant, shape, chunks, dtype, {"value": value})


def zeros(shape, *, chunks="auto", dtype=None):
    """A Dask array of ``fastinit.zeros(shape=shape, dtype=dtype)``."""
    return _array("zeros", _core.zeros, shape, chunks, dtype, {})


def ones(shape, *, chunks="auto", dtype=None):
    """A Dask array of ``fastinit.ones(shape=shape, dtype=dtype)``."""
    return _array("ones", _core.ones, shape, chunks, dtype, {})


def initialize(shape, name, *, chunks="auto", dtype=None, seed=None, stream=0, **kw):
    """A Dask array of the scheme ``name`` (any name ``fastinit.get`` knows
    but those below: the variance schemes under all their names, the plain
    fills, the constants, ``eye`` and ``dirac``), bit for
    bit ``fastinit.initialize(np.empty(shape, dtype), name, seed=seed,
    stream=stream, **kw)`` for any chunking.  Fans and bounds come from
    ``shape``, never from a chunk.

    ``orthogonal``, ``sparse`` and ``delta_orthogonal`` (and their aliases)
    raise ValueError: a chunk of them depends on the whole tensor, which every
    chunk's task would have to compute.  Schemes that draw nothing take no
    ``seed``/``stream``.
    """
    fn = get(name)
    label = name if isinstance(name, str) else getattr(name, "__name__", "scheme")
    refusal = _block_refusal(fn, label)
    if refusal is not None:
        raise ValueError(refusal)
    fill = name if isinstance(name, str) else fn
    if is_random(fn):
        return _random(label, fill, shape, chunks, dtype, seed, stream, kw)
    if seed is not None or stream != 0:
        raise TypeError(f"{label!r} draws no random numbers: it takes no seed= or stream= "
                        f"(got seed={seed!r}, stream={stream!r})")
    return _array(label, fill, shape, chunks, dtype, kw)
