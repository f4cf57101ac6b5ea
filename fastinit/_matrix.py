"""The schemes that are not element-wise: orthogonal, sparse, and the
structured eye, dirac and delta_orthogonal.

Every scheme fills ``out`` in place and returns it (or allocates from
``shape=``/``dtype=`` when ``out`` is None), takes the core's keyword-only
``seed``, ``stream``, ``offset`` and ``threads`` and hands them unchanged to
the core fill.  Every argument is checked before anything is written.
"""
import math

import numpy as np

from . import _core
from ._checks import Block, _real, _result, _rng, derived_stream
from ._core import _is_int
from ._fans import _check_layout

try:  # raw LAPACK (in place, no copies); NumPy ships it with numpy.linalg
    from numpy.linalg import lapack_lite as _lapack_lite
    if not (hasattr(_lapack_lite, "dgeqrf") and hasattr(_lapack_lite, "dorgqr")):
        _lapack_lite = None
except ImportError:  # pragma: no cover - every NumPy so far has it
    _lapack_lite = None


# ---- orthogonal ------------------------------------------------------------------------------

def _lapack_qr_inplace(buf, m, n):
    """Householder QR of the m x n (m >= n) column-major matrix held by the
    C-contiguous float64 array ``buf`` of shape (n, m), in place: afterwards
    buf holds Q (m x n, column-major).  Returns the signs of diag(R) (+1 for
    a zero diagonal)."""
    if _lapack_lite is not None:
        tau = np.empty(n)
        work = np.empty(1)
        _lapack_lite.dgeqrf(m, n, buf, m, tau, work, -1, 0)
        work = np.empty(max(1, n, int(work[0])))
        info = _lapack_lite.dgeqrf(m, n, buf, m, tau, work, work.size, 0)["info"]
        if info != 0:  # pragma: no cover - only for illegal arguments
            raise np.linalg.LinAlgError(f"dgeqrf failed (info={info})")
        signs = np.where(np.diagonal(buf) < 0, -1.0, 1.0)
        _lapack_lite.dorgqr(m, n, n, buf, m, tau, work[:1], -1, 0)
        work = np.empty(max(1, n, int(work[0])))
        info = _lapack_lite.dorgqr(m, n, n, buf, m, tau, work, work.size, 0)["info"]
        if info != 0:  # pragma: no cover
            raise np.linalg.LinAlgError(f"dorgqr failed (info={info})")
        return signs
    # Fallback (more memory: NumPy copies the matrix and allocates Q and R).
    q, r = np.linalg.qr(buf.T, mode="reduced")
    buf.T[...] = q
    del q
    return np.where(np.diagonal(r) < 0, -1.0, 1.0)


def _block_of_whole(scheme, out, arr, block, **kw):
    """A block of a scheme that is not element-wise: the whole tensor in
    scratch (its memory and time, on every process that fills a block), the
    block copied out of it.  The same bits as the whole fill, sliced (a
    seed of None is drawn here, once)."""
    kw["seed"] = _core.check_seed(kw["seed"])
    whole = scheme(shape=block.shape, dtype=arr.dtype, **kw)
    arr = _core.allocate(arr)
    np.copyto(arr, block.of(whole))
    return _result(out, arr)


def orthogonal(out=None, gain=1.0, *, layout="torch", column_axis=None, shape=None,
               dtype=None, seed=None, stream=0, offset=0, threads=None, global_shape=None,
               start=None):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013), as
    PyTorch's ``orthogonal_``.

    The weight is viewed as a matrix of ``rows x cols``: layout ``"torch"``:
    rows = shape[0], cols = the product of the rest; ``"keras"``/``"tf"``/
    ``"jax"``: rows = the product of shape[:-1], cols = shape[-1];
    ``column_axis=k`` (JAX): cols = shape[k], rows = the rest, the column
    axis moved back to k.  (For 2-D weights all agree.)

    G = ``normal(std=1)`` of shape (rows, cols) in float64 from the same
    seed/stream/offset; Q R = the QR factorization of G (of G^T when rows <
    cols); Q's columns are multiplied by the signs of diag(R) (a zero
    diagonal counts as +1, so Q stays orthonormal: PyTorch's and Keras'
    sign(0) = 0 would zero that column, JAX's d / |d| make it NaN -- a case
    of probability 0 for a Gaussian G), transposed back when rows < cols,
    times gain.  So rows are orthonormal when rows <= cols, columns when
    rows >= cols.  The QR runs in float64 whatever the dtype (PyTorch and
    Keras factor in the tensor's dtype), and the result is rounded once.

    Memory: one float64 rows x cols scratch besides ``out`` (none when
    ``out`` is float64 and already in the layout LAPACK wants); the QR runs
    in place in it (LAPACK dgeqrf + dorgqr).  A block (``global_shape=``,
    ``start=``) is cut from the whole matrix, computed in scratch.
    """
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    if block.kw:
        return _block_of_whole(orthogonal, out, arr, block, gain=gain, layout=layout,
                               column_axis=column_axis, seed=seed,
                               stream=stream, offset=offset, threads=threads)
    gain = _real("gain", gain)
    _check_gain(gain, arr.dtype)
    key = _check_layout(layout)
    if arr.ndim < 2:
        raise ValueError(f"orthogonal needs at least 2 dimensions, got out.shape={arr.shape}")
    if column_axis is not None:
        if not _is_int(column_axis):
            raise TypeError(f"column_axis must be an int or None, got {column_axis!r}")
        if not -arr.ndim <= column_axis < arr.ndim:
            raise ValueError(f"column_axis={column_axis} is out of range for "
                             f"out.shape={arr.shape}")
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, arr.size)
    arr = _core.allocate(arr)
    if column_axis is not None:
        target = np.moveaxis(arr, int(column_axis), -1)
        cols = target.shape[-1]
        rows = math.prod(target.shape[:-1])
    else:
        target = arr
        if key == "torch":
            rows = arr.shape[0]
            cols = math.prod(arr.shape[1:])
        else:
            rows = math.prod(arr.shape[:-1])
            cols = arr.shape[-1]
    if arr.size == 0:
        return _result(out, arr)

    tall = rows >= cols
    m, n = (rows, cols) if tall else (cols, rows)
    # buf: C-contiguous (n, m) float64 = the m x n matrix to factor, column-major.
    # tall: it holds G (buf = G^T in C order); wide: it holds G^T (buf = G).
    buf = None
    if arr.dtype == np.float64 and target is arr and arr.flags.aligned:
        if tall and arr.ndim == 2 and arr.T.flags.c_contiguous:
            buf = arr.T
        elif not tall and arr.flags.c_contiguous:
            buf = arr.reshape(rows, cols)
    in_place = buf is not None
    if not in_place:
        buf = np.empty((n, m), dtype=np.float64)
    g = buf.T if tall else buf          # the (rows, cols) view of G
    _core.normal(g, 0.0, 1.0, seed=seed, stream=stream, offset=offset, threads=threads)
    signs = _lapack_qr_inplace(buf, m, n)
    signs *= gain
    buf *= signs[:, None]               # Q[:, j] *= sign(R[j, j]) * gain
    if not in_place:
        w = buf.T if tall else buf      # the (rows, cols) result
        np.copyto(target, w.reshape(target.shape), casting="unsafe")
    return _result(out, arr)


# ---- sparse -----------------------------------------------------------------------------------

_SPARSE_CHUNK = 1 << 20   # keys per chunk of the zero-pattern pass


def _smallest_keys(seed, stream, first, count, length, offset, threads):
    """For ``count`` consecutive lines of ``length`` elements, starting at line
    ``first``: 64-bit keys, key of element (line l, position p) from words
    ``l * length + p + offset`` of the streams derived with tags "sparse.hi"
    and "sparse.lo"; returns (count, length) uint64."""
    kw = dict(shape=(count, length), seed=seed, offset=offset + first * length,
              threads=threads)
    hi = _core.random_bits(stream=derived_stream(stream, "sparse.hi"), **kw)
    lo = _core.random_bits(stream=derived_stream(stream, "sparse.lo"), **kw)
    keys = hi.astype(np.uint64)
    keys <<= np.uint64(32)
    keys |= lo
    return keys


def sparse(out=None, sparsity=None, std=0.01, *, connections=None, shape=None, dtype=None,
           seed=None, stream=0, offset=0, threads=None, global_shape=None, start=None):
    """A sparse 2-D weight (Martens 2010) whose non-zero entries are N(0, std^2).

    The values are ``normal(out, 0.0, std)`` with the same seed/stream/offset;
    then, with exactly one of:

    ``sparsity`` (in [0, 1]; PyTorch's ``sparse_``): in every column,
    ``ceil(sparsity * rows)`` entries are set to zero -- the rows with the
    smallest keys, where key(i, j) is the 64-bit word at column-major index
    ``j * rows + i + offset`` of the derived streams ``sparse.hi``/
    ``sparse.lo`` (a uniformly random subset, as PyTorch's ``randperm``).

    ``connections=k`` (0 <= k <= cols): every row -- every output unit of a
    torch-layout (out, in) weight -- keeps exactly k non-zero weights, the
    columns with the smallest keys at row-major index ``i * cols + j +
    offset``; the rest is zero.

    Unlike PyTorch, whose ``randperm`` ignores the generator, the zero pattern
    is reproducible from (seed, stream, offset).  A block (``global_shape=``,
    ``start=``) is cut from the whole weight, computed in scratch.
    """
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    if block.kw:
        return _block_of_whole(sparse, out, arr, block, sparsity=sparsity, std=std,
                               connections=connections, seed=seed,
                               stream=stream, offset=offset, threads=threads)
    if arr.ndim != 2:
        raise ValueError(f"sparse needs a 2-D out, got out.shape={arr.shape}")
    if (sparsity is None) == (connections is None):
        raise ValueError(f"give exactly one of sparsity= and connections=, got "
                         f"sparsity={sparsity!r}, connections={connections!r}")
    rows, cols = arr.shape
    if sparsity is not None:
        sparsity = _real("sparsity", sparsity, nonneg=True)
        if sparsity > 1:
            raise ValueError(f"sparsity={sparsity} must be in [0, 1]")
        nzero = int(math.ceil(sparsity * rows))
    else:
        if not _is_int(connections):
            raise TypeError(f"connections must be an int, got {connections!r}")
        connections = int(connections)
        if not 0 <= connections <= cols:
            raise ValueError(f"connections={connections} must be in [0, {cols}] "
                             f"(the number of columns of out.shape={arr.shape})")
    std = _real("std", std, nonneg=True)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, arr.size)
    if arr.size == 0:
        return _result(out, _core.allocate(arr))
    arr = _core.normal(arr, 0.0, std, seed=seed, stream=stream, offset=offset,
                       threads=threads)

    if sparsity is not None:          # per column: zero the nzero smallest keys
        if nzero == 0:
            return _result(out, arr)
        if nzero >= rows:
            arr[...] = 0
            return _result(out, arr)
        step = max(1, _SPARSE_CHUNK // rows)
        for j0 in range(0, cols, step):
            c = min(step, cols - j0)
            keys = _smallest_keys(seed, stream, j0, c, rows, offset, threads)
            zero_rows = np.argpartition(keys, nzero - 1, axis=1)[:, :nzero]
            arr[zero_rows, np.arange(j0, j0 + c)[:, None]] = 0
    else:                             # per row: keep the k smallest keys
        k = connections
        if k == cols:
            return _result(out, arr)
        if k == 0:
            arr[...] = 0
            return _result(out, arr)
        step = max(1, _SPARSE_CHUNK // cols)
        for i0 in range(0, rows, step):
            r = min(step, rows - i0)
            keys = _smallest_keys(seed, stream, i0, r, cols, offset, threads)
            zero_cols = np.argpartition(keys, k - 1, axis=1)[:, k:]
            arr[np.arange(i0, i0 + r)[:, None], zero_cols] = 0
    return _result(out, arr)


# ---- structured: eye, dirac ---------------------------------------------------------------

def _dtype_value(name, value, dt):
    with np.errstate(over="ignore"):
        v = np.asarray(value, dtype=np.float64).astype(dt)
    if not np.isfinite(v.astype(np.float64)):
        raise ValueError(f"{name}={value!r} is outside the range of {dt}")
    return v


def _check_gain(gain, dt):
    """The orthogonal schemes write gain * q with |q| <= 1 (q orthonormal,
    computed: within a few ulps of 1): refuse a gain for which that could
    round to inf in dt, before anything is written (as eye does)."""
    with np.errstate(over="ignore"):
        top = float(np.asarray(abs(gain) * (1 + 2.0 ** -20)).astype(dt))
    if math.isinf(top):
        raise ValueError(f"gain={gain!r} is outside the range of {dt}: the matrix "
                         f"would overflow it")


def eye(out=None, gain=1.0, *, shape=None, dtype=None, global_shape=None, start=None):
    """``gain`` on the main diagonal, 0 elsewhere; 2-D, rectangular allowed
    (PyTorch's ``eye_``, Keras' ``Identity(gain)``).  Alias: ``identity``.
    A block holds the part of the global diagonal that crosses it."""
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    gain = _real("gain", gain)
    if arr.ndim != 2:
        raise ValueError(f"eye needs a 2-D out, got out.shape={arr.shape}")
    g = _dtype_value("gain", gain, arr.dtype)
    arr = _core.allocate(arr)
    arr[...] = 0
    (r0, c0), (rows, cols) = block.start, arr.shape
    k = np.arange(max(r0, c0), min(r0 + rows, c0 + cols))
    arr[k - r0, k - c0] = g
    return _result(out, arr)


identity = eye


def dirac(out=None, groups=1, *, shape=None, dtype=None, global_shape=None, start=None):
    """The Dirac delta of PyTorch's ``dirac_``: for a 3-, 4- or 5-D
    convolution weight (out, in, *kernel) split into ``groups`` groups of
    out // groups output channels, ``out[g * (out // groups) + d, d, k1 // 2,
    ...] = 1`` for d < min(out // groups, in); 0 elsewhere.  ``out.shape[0]``
    must be divisible by ``groups``.  A block holds the ones that fall in it."""
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    if arr.ndim not in (3, 4, 5):
        raise ValueError(f"dirac needs a 3-, 4- or 5-D out, got out.shape={arr.shape}")
    if not _is_int(groups):
        raise TypeError(f"groups must be an int, got {groups!r}")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"groups={groups} must be a positive int")
    if block.shape[0] % groups != 0:
        raise ValueError(f"dim 0 of out.shape={block.shape} must be divisible by "
                         f"groups={groups}")
    arr = _core.allocate(arr)
    arr[...] = 0
    if arr.size == 0:
        return _result(out, arr)
    per_group = block.shape[0] // groups
    d = np.arange(min(per_group, block.shape[1]))
    rows = (np.arange(groups)[:, None] * per_group + d).ravel()
    ones = np.stack([rows, np.tile(d, groups)]
                    + [np.full(rows.size, k // 2) for k in block.shape[2:]], axis=1)
    lo, hi = np.array(block.start), np.array(block.start) + arr.shape
    ones = ones[np.all((ones >= lo) & (ones < hi), axis=1)] - lo
    arr[tuple(ones.T)] = 1
    return _result(out, arr)


def delta_orthogonal(out=None, gain=1.0, *, column_axis=-1, shape=None, dtype=None,
                     seed=None, stream=0, offset=0, threads=None, global_shape=None,
                     start=None):
    """JAX's ``delta_orthogonal`` (Xiao et al. 2018): for a 3-, 4- or 5-D
    convolution kernel in JAX/Keras layout (*kernel, in, out) with in <= out,
    zeros except at the kernel's centre ``((k1 - 1) // 2, ...)`` -- note:
    not dirac's ``k // 2`` for even k, as JAX -- which holds the (in, out)
    matrix ``orthogonal(shape=shape[-2:], gain, column_axis=column_axis)``
    drawn with the same seed/stream/offset (orthonormal rows).

    Raises ValueError for another rank, or when in > out.  A block is cut
    from the whole kernel, computed in scratch.
    """
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    if block.kw:
        return _block_of_whole(delta_orthogonal, out, arr, block, gain=gain,
                               column_axis=column_axis, seed=seed,
                               stream=stream, offset=offset, threads=threads)
    gain = _real("gain", gain)
    _check_gain(gain, arr.dtype)
    if arr.ndim not in (3, 4, 5):
        raise ValueError(f"delta_orthogonal supports only 3, 4 or 5 dimensions (a 3D, 4D "
                         f"or 5D shape), got out.shape={arr.shape} of rank {arr.ndim}")
    n_in, n_out = arr.shape[-2:]
    if n_in > n_out:
        raise ValueError(f"delta_orthogonal needs fan_in <= fan_out: out.shape={arr.shape} "
                         f"has in={n_in} > out={n_out} (layout (*kernel, in, out))")
    if not _is_int(column_axis):
        raise TypeError(f"column_axis must be an int, got {column_axis!r}")
    if not -2 <= column_axis < 2:
        raise ValueError(f"column_axis={column_axis} is out of range for the (in, out) "
                         f"matrix of shape {arr.shape[-2:]}")
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, arr.size)
    arr = _core.allocate(arr)
    if arr.size == 0:
        return _result(out, arr)
    q = orthogonal(shape=(n_in, n_out), dtype=np.float64, gain=gain,
                   column_axis=int(column_axis), seed=seed, stream=stream, offset=offset,
                   threads=threads)
    arr[...] = 0
    centre = tuple((k - 1) // 2 for k in arr.shape[:-2])
    np.copyto(arr[centre], q, casting="unsafe")
    return _result(out, arr)
