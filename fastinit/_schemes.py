"""Initialization schemes on top of the core fills, and lookup by name.

Every scheme fills ``out`` in place and returns it (or allocates from
``shape=``/``dtype=`` when ``out`` is None), takes the core's keyword-only
``seed``, ``stream``, ``offset`` and ``threads`` and hands them unchanged to
the core fill, so that e.g. ``xavier_normal(w, seed=1)`` is bit for bit
``normal(w, 0.0, std, seed=1)`` with the Xavier std.  Every argument is
checked before anything is written to ``out``.

Layout: the fan-based schemes read fans in PyTorch's layout (out, in,
*kernel) unless told ``layout="keras"`` (*kernel, in, out), ``"jax"``, or
explicit ``in_axis``/``out_axis``/``batch_axis`` -- see ``compute_fans``.
The Keras class names in the registry (``get("HeNormal")``...) give Keras'
behaviour: Keras layout and Keras' (truncated) distributions.

Derived streams: where a scheme needs random numbers besides the values
(the zero pattern of ``sparse``; the bias of ``torch_default``) it draws
them from the stream ``derived_stream(stream, tag)`` =
``stream_id(f"fastinit.derived/{tag}/{stream_id(stream)}")``, with the same
seed, so the whole result is a function of (seed, stream, offset).
"""
import difflib
import math
import numbers
import warnings

import numpy as np

from . import _core
from ._core import _choice, _is_int
from ._fans import _axes, _check_layout, calculate_gain, compute_fans

try:  # raw LAPACK (in place, no copies); NumPy ships it with numpy.linalg
    from numpy.linalg import lapack_lite as _lapack_lite
    if not (hasattr(_lapack_lite, "dgeqrf") and hasattr(_lapack_lite, "dorgqr")):
        _lapack_lite = None
except ImportError:  # pragma: no cover - every NumPy so far has it
    _lapack_lite = None

__all__ = [
    "TRUNCATED_NORMAL_STD", "derived_stream",
    "xavier_uniform", "glorot_uniform", "xavier_normal", "glorot_normal",
    "kaiming_uniform", "he_uniform", "kaiming_normal", "he_normal",
    "lecun_uniform", "lecun_normal", "variance_scaling", "orthogonal", "sparse",
    "delta_orthogonal", "eye", "identity", "dirac", "torch_default", "get", "initialize",
    "names",
]

#: Standard deviation of N(0, 1) truncated to [-2, 2]: the constant Keras and
#: JAX divide by so that a +-2 sigma truncated normal keeps the target variance.
TRUNCATED_NORMAL_STD = 0.87962566103423978


_FAN_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "untruncated_normal", "uniform")


# ---- argument checks ----------------------------------------------------------

def _real(name, value, *, nonneg=False, positive=False):
    """A finite real number as a float, or TypeError/ValueError naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} "
                        f"of type {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name}={value!r} must be finite")
    if positive and not v > 0:
        raise ValueError(f"{name}={value!r} must be positive")
    if nonneg and v < 0:
        raise ValueError(f"{name}={value!r} must not be negative")
    return v


def _bound(name, value):
    """A real number or +-inf (a truncation bound) as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} "
                        f"of type {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name}={value!r} is NaN")
    return v


def _interval(lo_name, lo, hi_name, hi):
    """(lo, hi) as floats, finite, lo <= hi."""
    lo, hi = _real(lo_name, lo), _real(hi_name, hi)
    if lo > hi:
        raise ValueError(f"{lo_name}={lo!r} is greater than {hi_name}={hi!r}")
    return lo, hi


def _bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _rng(seed, stream, offset, threads, size):
    """The core's checks of seed/stream/offset/threads, done up front (for
    schemes that fill more than once); seed=None draws one seed here, so that
    every fill of one call shares it."""
    return (_core.check_seed(seed), _core.stream_id(stream),
            _core._check_offset(offset, size),
            None if threads is None else _core._check_threads(threads))


def derived_stream(stream, tag):
    """The stream a scheme uses for its secondary random numbers:
    ``stream_id(f"fastinit.derived/{tag}/{stream_id(stream)}")``."""
    return _core.stream_id(f"fastinit.derived/{tag}/{_core.stream_id(stream)}")


def _fan_override(name, value):
    return None if value is None else _real(name, value, positive=True)


def _fans(arr, need_in, need_out, fan_in, fan_out, layout, in_axis, out_axis, batch_axis):
    """(fan_in, fan_out) of arr, explicit overrides first; a fan that is not
    needed and not given is None.  Fans from the shape are ints, overrides
    floats."""
    fan_in = _fan_override("fan_in", fan_in)
    fan_out = _fan_override("fan_out", fan_out)
    _check_layout(layout)
    if (need_in and fan_in is None) or (need_out and fan_out is None):
        fi, fo = compute_fans(arr.shape, layout, in_axis=in_axis, out_axis=out_axis,
                              batch_axis=batch_axis)
        fan_in = fi if fan_in is None else fan_in
        fan_out = fo if fan_out is None else fan_out
    return fan_in, fan_out


def _result(out, arr):
    return out if out is not None else arr


# ---- the fill of a scaled distribution ----------------------------------------

def _fill(arr, dist, scale, seed, stream, offset, threads):
    """dist 'uniform': U[-scale, scale); 'normal': N(0, scale^2);
    'truncated_normal': N(0, scale^2) cut at +-2 scale."""
    kw = dict(seed=seed, stream=stream, offset=offset, threads=threads)
    if dist == "uniform":
        _core.uniform(arr, -scale if scale else 0.0, scale, **kw)
    elif dist == "normal":
        _core.normal(arr, 0.0, scale, **kw)
    else:
        _core.truncated_normal(arr, 0.0, scale, -2.0, 2.0, **kw)


def _normal_dist(truncated):
    return "truncated_normal" if truncated else "normal"


# ---- Xavier / Glorot ---------------------------------------------------------------

def xavier_uniform(out=None, gain=1.0, *, fan_in=None, fan_out=None, layout="torch",
                   in_axis=None, out_axis=None, batch_axis=(), shape=None, dtype=None,
                   seed=None, stream=0, offset=0, threads=None):
    """Glorot & Bengio (2010), uniform: U[-bound, bound) with
    ``bound = gain * sqrt(6 / (fan_in + fan_out))`` (computed as PyTorch's
    ``xavier_uniform_`` does: ``sqrt(3) * gain * sqrt(2 / (fan_in + fan_out))``).

    Alias: ``glorot_uniform``.  Fans from ``compute_fans(out.shape, layout,
    in_axis=..., out_axis=..., batch_axis=...)`` unless ``fan_in``/``fan_out``
    are given (which then allow any rank).  ``gain`` must be >= 0.
    """
    arr = _core.prepare_out(out, shape, dtype)
    gain = _real("gain", gain, nonneg=True)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, arr.size)
    fi, fo = _fans(arr, True, True, fan_in, fan_out, layout, in_axis, out_axis, batch_axis)
    if arr.size == 0:
        return _result(out, arr)
    std = gain * math.sqrt(2.0 / float(fi + fo))
    bound = math.sqrt(3.0) * std
    _fill(arr, "uniform", bound, seed, stream, offset, threads)
    return _result(out, arr)


def xavier_normal(out=None, gain=1.0, *, truncated=False, fan_in=None, fan_out=None,
                  layout="torch", in_axis=None, out_axis=None, batch_axis=(), shape=None,
                  dtype=None, seed=None, stream=0, offset=0, threads=None):
    """Glorot & Bengio (2010), normal: N(0, std^2) with
    ``std = gain * sqrt(2 / (fan_in + fan_out))`` (PyTorch's ``xavier_normal_``).

    ``truncated=True`` gives the Keras/JAX ``glorot_normal`` form: a normal
    cut at +-2 of its own sigma, with sigma = std / 0.87962566103423978 so
    that the truncated result still has standard deviation ``std``.
    Alias: ``glorot_normal`` (same defaults; ``get("GlorotNormal")`` is the
    truncated, Keras-layout one).  ``gain`` must be >= 0.
    """
    arr = _core.prepare_out(out, shape, dtype)
    gain = _real("gain", gain, nonneg=True)
    truncated = _bool("truncated", truncated)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, arr.size)
    fi, fo = _fans(arr, True, True, fan_in, fan_out, layout, in_axis, out_axis, batch_axis)
    if arr.size == 0:
        return _result(out, arr)
    std = gain * math.sqrt(2.0 / float(fi + fo))
    if truncated:
        std = std / TRUNCATED_NORMAL_STD
    _fill(arr, _normal_dist(truncated), std, seed, stream, offset, threads)
    return _result(out, arr)


glorot_uniform = xavier_uniform
glorot_normal = xavier_normal


# ---- Kaiming / He ----------------------------------------------------------------------

def _kaiming_std(arr, a, mode, nonlinearity, fan_in, fan_out, layout, in_axis, out_axis,
                 batch_axis):
    a = _real("a", a)
    mode = _choice("mode", mode, ("fan_in", "fan_out"))
    gain = calculate_gain(nonlinearity, a)
    fi, fo = _fans(arr, mode == "fan_in", mode == "fan_out", fan_in, fan_out, layout,
                   in_axis, out_axis, batch_axis)
    fan = fi if mode == "fan_in" else fo
    return gain, fan


def _gain_squared(nonlinearity, a, gain):
    """gain ** 2 without the rounding of gain: 2 / (1 + a^2) for relu and
    leaky_relu (so that a=0 gives exactly 2.0, Keras' and JAX's he_normal
    scale), gain * gain otherwise."""
    name = nonlinearity.lower()
    if name == "relu":
        return 2.0
    if name == "leaky_relu":
        return 2.0 / (1 + a ** 2)
    return gain * gain


def _warn_zero_element():
    # PyTorch's kaiming_uniform_/kaiming_normal_ warn so (UserWarning)
    warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)


def kaiming_uniform(out=None, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *,
                    fan_in=None, fan_out=None, layout="torch", in_axis=None,
                    out_axis=None, batch_axis=(), shape=None, dtype=None, seed=None,
                    stream=0, offset=0, threads=None):
    """He et al. (2015), uniform: U[-bound, bound) with
    ``bound = sqrt(3) * gain / sqrt(fan)``, ``gain = calculate_gain(nonlinearity, a)``
    and fan = fan_in or fan_out by ``mode`` (PyTorch's ``kaiming_uniform_``;
    with the defaults a=0, "leaky_relu" the gain is sqrt(2), as for relu).

    Alias: ``he_uniform``.  A zero-size ``out`` is left as it is, with
    PyTorch's UserWarning "Initializing zero-element tensors is a no-op"
    (after the arguments are checked).
    """
    arr = _core.prepare_out(out, shape, dtype)
    gain, fan = _kaiming_std(arr, a, mode, nonlinearity, fan_in, fan_out, layout,
                             in_axis, out_axis, batch_axis)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, arr.size)
    if arr.size == 0:
        _warn_zero_element()
        return _result(out, arr)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    _fill(arr, "uniform", bound, seed, stream, offset, threads)
    return _result(out, arr)


def kaiming_normal(out=None, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *,
                   truncated=False, fan_in=None, fan_out=None, layout="torch",
                   in_axis=None, out_axis=None, batch_axis=(), shape=None, dtype=None,
                   seed=None, stream=0, offset=0, threads=None):
    """He et al. (2015), normal: N(0, std^2) with ``std = gain / sqrt(fan)``
    (PyTorch's ``kaiming_normal_``).

    ``truncated=True``: the Keras/JAX ``he_normal`` form, a normal cut at +-2
    sigma with ``sigma = sqrt(gain^2 / fan) / 0.87962566103423978``, where
    gain^2 = 2 / (1 + a^2) for relu/leaky_relu (so that with the defaults it
    is bit for bit Keras' ``sqrt(2.0 / fan_in) / 0.8796...``).
    Alias: ``he_normal``.  A zero-size ``out`` warns as ``kaiming_uniform``.
    """
    arr = _core.prepare_out(out, shape, dtype)
    truncated = _bool("truncated", truncated)
    gain, fan = _kaiming_std(arr, a, mode, nonlinearity, fan_in, fan_out, layout,
                             in_axis, out_axis, batch_axis)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, arr.size)
    if arr.size == 0:
        _warn_zero_element()
        return _result(out, arr)
    if truncated:
        std = math.sqrt(_gain_squared(nonlinearity, float(a), gain) / fan)
        std = std / TRUNCATED_NORMAL_STD
    else:
        std = gain / math.sqrt(fan)
    _fill(arr, _normal_dist(truncated), std, seed, stream, offset, threads)
    return _result(out, arr)


he_uniform = kaiming_uniform
he_normal = kaiming_normal


# ---- variance scaling (Keras / JAX) and LeCun -------------------------------------------

def _keras_axes_fans(arr, input_axes, output_axes, fan_in, fan_out):
    """Keras 3's ``compute_fans(shape, input_axes, output_axes)``: the product
    of the sizes of the input axes and of the output axes (no receptive
    field: the other axes do not count); returns (fan_in, fan_out) to use as
    explicit fans."""
    if input_axes is None and output_axes is None:
        return fan_in, fan_out
    if input_axes is None or output_axes is None:
        raise ValueError(f"give both input_axes= and output_axes= (Keras ignores one "
                         f"alone), got input_axes={input_axes!r}, "
                         f"output_axes={output_axes!r}")
    if fan_in is not None or fan_out is not None:
        raise ValueError(f"give either input_axes=/output_axes= or fan_in=/fan_out=, not "
                         f"both (got fan_in={fan_in!r}, fan_out={fan_out!r})")
    ins = _axes("input_axes", input_axes, arr.ndim)
    outs = _axes("output_axes", output_axes, arr.ndim)
    if set(ins) & set(outs):
        raise ValueError(f"input_axes={input_axes!r} and output_axes={output_axes!r} "
                         f"overlap for out.shape={arr.shape}")
    return (math.prod(arr.shape[a] for a in ins), math.prod(arr.shape[a] for a in outs))


def _variance_scaling(out, scale, mode, distribution, fan_in, fan_out, layout, in_axis,
                      out_axis, batch_axis, shape, dtype, seed, stream, offset, threads,
                      keras=False, input_axes=None, output_axes=None):
    """keras=True: Keras 3's VarianceScaling -- modes fan_in/fan_out/fan_avg
    only, distribution "normal" means "truncated_normal", input_axes/
    output_axes as Keras, and the denominator is max(1.0, n)."""
    arr = _core.prepare_out(out, shape, dtype)
    scale = _real("scale", scale, positive=True)
    mode = _choice("mode", mode, _FAN_MODES[:3] if keras else _FAN_MODES)
    if keras and isinstance(distribution, str) and distribution.lower() == "normal":
        distribution = "truncated_normal"
    distribution = _choice("distribution", distribution, _DISTRIBUTIONS)
    if keras:
        fan_in, fan_out = _keras_axes_fans(arr, input_axes, output_axes, fan_in, fan_out)
        if arr.size == 0:     # Keras' fans of an empty weight may be 0
            fan_in = None if fan_in == 0 else fan_in
            fan_out = None if fan_out == 0 else fan_out
    fi, fo = _fans(arr, mode != "fan_out", mode != "fan_in", fan_in, fan_out, layout,
                   in_axis, out_axis, batch_axis)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, arr.size)
    if arr.size == 0:
        return _result(out, arr)
    if mode == "fan_in":
        denominator = fi
    elif mode == "fan_out":
        denominator = fo
    elif mode == "fan_avg":
        denominator = (fi + fo) / 2.0
    else:
        denominator = (fi * fo) ** 0.5
    if keras:
        denominator = max(1.0, denominator)
    variance = scale / denominator
    if distribution == "truncated_normal":
        _fill(arr, "truncated_normal", math.sqrt(variance) / TRUNCATED_NORMAL_STD,
              seed, stream, offset, threads)
    elif distribution == "uniform":
        _fill(arr, "uniform", math.sqrt(3.0 * variance), seed, stream, offset, threads)
    else:
        _fill(arr, "normal", math.sqrt(variance), seed, stream, offset, threads)
    return _result(out, arr)


def variance_scaling(out=None, scale=1.0, mode="fan_in", distribution="truncated_normal",
                     *, fan_in=None, fan_out=None, layout="torch", in_axis=None,
                     out_axis=None, batch_axis=(), shape=None, dtype=None, seed=None,
                     stream=0, offset=0, threads=None):
    """Keras/JAX ``variance_scaling``: variance = scale / n, n by ``mode``:
    ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` = (fan_in + fan_out) / 2,
    ``"fan_geo_avg"`` = sqrt(fan_in * fan_out) (JAX only).

    distribution:
    ``"truncated_normal"`` -- cut at +-2 sigma, sigma = sqrt(variance) /
    0.87962566103423978 (so the result has the target variance);
    ``"normal"`` or ``"untruncated_normal"`` -- N(0, variance), untruncated,
    as in JAX (Keras 3 maps ``"normal"`` to ``"truncated_normal"``; the
    registry's ``"VarianceScaling"`` does that);
    ``"uniform"`` -- U[-limit, limit), limit = sqrt(3 * variance).

    ``scale`` must be > 0.  Fans as ``compute_fans``; note the default
    ``layout="torch"`` (Keras and JAX use ``layout="keras"``/``"jax"``).
    """
    return _variance_scaling(out, scale, mode, distribution, fan_in, fan_out, layout,
                             in_axis, out_axis, batch_axis, shape, dtype, seed, stream,
                             offset, threads)


def lecun_uniform(out=None, *, fan_in=None, layout="torch", in_axis=None, out_axis=None,
                  batch_axis=(), shape=None, dtype=None, seed=None, stream=0, offset=0,
                  threads=None):
    """LeCun uniform: U[-limit, limit), ``limit = sqrt(3 / fan_in)``
    (``variance_scaling(1.0, "fan_in", "uniform")``)."""
    return _variance_scaling(out, 1.0, "fan_in", "uniform", fan_in, None, layout, in_axis,
                             out_axis, batch_axis, shape, dtype, seed, stream, offset,
                             threads)


def lecun_normal(out=None, *, truncated=False, fan_in=None, layout="torch", in_axis=None,
                 out_axis=None, batch_axis=(), shape=None, dtype=None, seed=None,
                 stream=0, offset=0, threads=None):
    """LeCun normal: variance 1 / fan_in; N(0, 1/fan_in), or with
    ``truncated=True`` the Keras/JAX form (cut at +-2 sigma, sigma =
    sqrt(1/fan_in) / 0.87962566103423978)."""
    truncated = _bool("truncated", truncated)
    return _variance_scaling(out, 1.0, "fan_in", _normal_dist(truncated), fan_in, None,
                             layout, in_axis, out_axis, batch_axis, shape, dtype, seed,
                             stream, offset, threads)


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


def orthogonal(out=None, gain=1.0, *, layout="torch", column_axis=None, shape=None,
               dtype=None, seed=None, stream=0, offset=0, threads=None):
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
    in place in it (LAPACK dgeqrf + dorgqr).
    """
    arr = _core.prepare_out(out, shape, dtype)
    gain = _real("gain", gain)
    key = _check_layout(layout)
    if arr.ndim < 2:
        raise ValueError(f"orthogonal needs at least 2 dimensions, got out.shape={arr.shape}")
    if column_axis is not None:
        if not _is_int(column_axis):
            raise TypeError(f"column_axis must be an int or None, got {column_axis!r}")
        if not -arr.ndim <= column_axis < arr.ndim:
            raise ValueError(f"column_axis={column_axis} is out of range for "
                             f"out.shape={arr.shape}")
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
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, arr.size)
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
           seed=None, stream=0, offset=0, threads=None):
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
    is reproducible from (seed, stream, offset).
    """
    arr = _core.prepare_out(out, shape, dtype)
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
        return _result(out, arr)
    _core.normal(arr, 0.0, std, seed=seed, stream=stream, offset=offset, threads=threads)

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


def eye(out=None, gain=1.0, *, shape=None, dtype=None):
    """``gain`` on the main diagonal, 0 elsewhere; 2-D, rectangular allowed
    (PyTorch's ``eye_``, Keras' ``Identity(gain)``).  Alias: ``identity``."""
    arr = _core.prepare_out(out, shape, dtype)
    gain = _real("gain", gain)
    if arr.ndim != 2:
        raise ValueError(f"eye needs a 2-D out, got out.shape={arr.shape}")
    g = _dtype_value("gain", gain, arr.dtype)
    arr[...] = 0
    d = np.arange(min(arr.shape))
    arr[d, d] = g
    return _result(out, arr)


identity = eye


def dirac(out=None, groups=1, *, shape=None, dtype=None):
    """The Dirac delta of PyTorch's ``dirac_``: for a 3-, 4- or 5-D
    convolution weight (out, in, *kernel) split into ``groups`` groups of
    out // groups output channels, ``out[g * (out // groups) + d, d, k1 // 2,
    ...] = 1`` for d < min(out // groups, in); 0 elsewhere.  ``out.shape[0]``
    must be divisible by ``groups``."""
    arr = _core.prepare_out(out, shape, dtype)
    if arr.ndim not in (3, 4, 5):
        raise ValueError(f"dirac needs a 3-, 4- or 5-D out, got out.shape={arr.shape}")
    if not _is_int(groups):
        raise TypeError(f"groups must be an int, got {groups!r}")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"groups={groups} must be a positive int")
    if arr.shape[0] % groups != 0:
        raise ValueError(f"dim 0 of out.shape={arr.shape} must be divisible by "
                         f"groups={groups}")
    arr[...] = 0
    if arr.size == 0:
        return _result(out, arr)
    per_group = arr.shape[0] // groups
    d = np.arange(min(per_group, arr.shape[1]))
    centre = tuple(k // 2 for k in arr.shape[2:])
    for g in range(groups):
        arr[(g * per_group + d, d) + centre] = 1
    return _result(out, arr)


def delta_orthogonal(out=None, gain=1.0, *, column_axis=-1, shape=None, dtype=None,
                     seed=None, stream=0, offset=0, threads=None):
    """JAX's ``delta_orthogonal`` (Xiao et al. 2018): for a 3-, 4- or 5-D
    convolution kernel in JAX/Keras layout (*kernel, in, out) with in <= out,
    zeros except at the kernel's centre ``((k1 - 1) // 2, ...)`` -- note:
    not dirac's ``k // 2`` for even k, as JAX -- which holds the (in, out)
    matrix ``orthogonal(shape=shape[-2:], gain, column_axis=column_axis)``
    drawn with the same seed/stream/offset (orthonormal rows).

    Raises ValueError for another rank, or when in > out.
    """
    arr = _core.prepare_out(out, shape, dtype)
    gain = _real("gain", gain)
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
    if arr.size == 0:
        return _result(out, arr)
    q = orthogonal(shape=(n_in, n_out), dtype=np.float64, gain=gain,
                   column_axis=int(column_axis), seed=seed, stream=stream, offset=offset,
                   threads=threads)
    arr[...] = 0
    centre = tuple((k - 1) // 2 for k in arr.shape[:-2])
    np.copyto(arr[centre], q, casting="unsafe")
    return _result(out, arr)


# ---- PyTorch's default Linear/Conv initialization -----------------------------------------

def torch_default(weight, bias=None, *, seed=None, stream=0, offset=0, threads=None):
    """What ``nn.Linear`` / ``nn.ConvNd`` ``reset_parameters`` do: weight =
    ``kaiming_uniform(weight, a=sqrt(5))`` (i.e. U[-1/sqrt(fan_in),
    1/sqrt(fan_in)) up to rounding); bias = U[-b, b) with b =
    ``1 / sqrt(fan_in)`` (fan_in of the weight, torch layout), or 0 when
    fan_in is 0.

    The weight uses ``stream``; the bias the derived stream
    ``derived_stream(stream, "bias")``, same seed and offset.  Returns
    ``(weight, bias)`` (bias None when not given).
    """
    if weight is None:
        raise TypeError("weight must be an array to fill, got None")
    w = _core.prepare_out(weight)
    b = None if bias is None else _core.prepare_out(bias)
    fan_in, _ = compute_fans(w.shape, "torch")
    seed, stream, offset, threads = _rng(seed, stream, offset, threads,
                                         max(w.size, 0 if b is None else b.size))
    kaiming_uniform(w, a=math.sqrt(5), seed=seed, stream=stream, offset=offset,
                    threads=threads)
    if b is not None:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        _core.uniform(b, -bound if bound else 0.0, bound, seed=seed,
                      stream=derived_stream(stream, "bias"), offset=offset, threads=threads)
    return weight, bias


# ---- PyTorch- and Keras-named variants for the registry ----------------------------------

def _named(name, doc):
    def deco(fn):
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = doc
        return fn
    return deco


@_named("uniform_", "PyTorch's ``uniform_(tensor, a=0, b=1)``: U[a, b).")
def _torch_uniform(out=None, a=0.0, b=1.0, **kw):
    a, b = _interval("a", a, "b", b)
    return _core.uniform(out, a, b, **kw)


@_named("normal_", "PyTorch's ``normal_(tensor, mean=0, std=1)``: N(mean, std^2).")
def _torch_normal(out=None, mean=0.0, std=1.0, **kw):
    return _core.normal(out, _real("mean", mean), _real("std", std, nonneg=True), **kw)


@_named("trunc_normal_", "PyTorch's ``trunc_normal_(tensor, mean=0, std=1, a=-2, b=2)``: "
        "N(mean, std^2) restricted to [a, b] -- a and b are absolute bounds, not in "
        "units of std; either may be infinite; std must be > 0 and a < b.  Exact "
        "(inverse CDF), so unlike PyTorch it does not warn when mean is more than "
        "2 std outside [a, b].")
def _torch_trunc_normal(out=None, mean=0.0, std=1.0, a=-2.0, b=2.0, **kw):
    arr = _core.prepare_out(out, kw.pop("shape", None), kw.pop("dtype", None))
    mean = _real("mean", mean)
    std = _real("std", std, positive=True)
    a = _bound("a", a)
    b = _bound("b", b)
    if not a < b:
        raise ValueError(f"a={a!r} must be less than b={b!r} (absolute bounds)")
    za, zb = (a - mean) / std, (b - mean) / std
    if not za < zb:
        raise ValueError(f"[a, b] = [{a!r}, {b!r}] is empty in units of std={std!r} "
                         f"around mean={mean!r}")
    _core.truncated_normal(arr, mean, std, za, zb, **kw)
    return _result(out, arr)


@_named("constant_", "PyTorch's ``constant_(tensor, val)``.")
def _torch_constant(out=None, val=0.0, **kw):
    return _core.constant(out, _real("val", val), **kw)


@_named("RandomNormal", "Keras' ``RandomNormal(mean=0.0, stddev=0.05)``.")
def _keras_random_normal(out=None, mean=0.0, stddev=0.05, **kw):
    return _core.normal(out, _real("mean", mean), _real("stddev", stddev, nonneg=True), **kw)


@_named("RandomUniform", "Keras' ``RandomUniform(minval=-0.05, maxval=0.05)``: "
        "U[minval, maxval).")
def _keras_random_uniform(out=None, minval=-0.05, maxval=0.05, **kw):
    minval, maxval = _interval("minval", minval, "maxval", maxval)
    return _core.uniform(out, minval, maxval, **kw)


@_named("TruncatedNormal", "Keras' ``TruncatedNormal(mean=0.0, stddev=0.05)``: "
        "N(mean, stddev^2) cut at mean +- 2 stddev (no variance correction).")
def _keras_truncated_normal(out=None, mean=0.0, stddev=0.05, **kw):
    return _core.truncated_normal(out, _real("mean", mean),
                                  _real("stddev", stddev, nonneg=True), -2.0, 2.0, **kw)


_KERAS_VS_DOC = (
    "Keras 3's behaviour: ``layout='keras'`` (*kernel, in, out); "
    "``input_axes=``/``output_axes=`` (both or neither) as Keras' ``compute_fans``: "
    "fan_in = the product of the input axes' sizes, fan_out that of the output "
    "axes' (the other axes do not count, unlike JAX's in_axis/out_axis); the "
    "variance is scale / max(1.0, n).  Takes the keywords of ``variance_scaling``.")


def _keras_variance_scaling_impl(out, scale, mode, distribution, *, fan_in=None,
                                 fan_out=None, layout="keras", in_axis=None, out_axis=None,
                                 batch_axis=(), input_axes=None, output_axes=None,
                                 shape=None, dtype=None, seed=None, stream=0, offset=0,
                                 threads=None):
    return _variance_scaling(out, scale, mode, distribution, fan_in, fan_out, layout,
                             in_axis, out_axis, batch_axis, shape, dtype, seed, stream,
                             offset, threads, keras=True, input_axes=input_axes,
                             output_axes=output_axes)


@_named("VarianceScaling", "Keras' ``VarianceScaling(scale=1.0, mode='fan_in', "
        "distribution='truncated_normal')``: mode fan_in, fan_out or fan_avg "
        "(fan_geo_avg is JAX's: ValueError here, as in Keras); distribution "
        "'truncated_normal', 'untruncated_normal', 'uniform', or 'normal', which "
        "Keras maps to 'truncated_normal'.  " + _KERAS_VS_DOC)
def _keras_variance_scaling(out=None, scale=1.0, mode="fan_in",
                            distribution="truncated_normal", **kw):
    return _keras_variance_scaling_impl(out, scale, mode, distribution, **kw)


def _keras_vs(name, scale, mode, distribution, formula):
    @_named(name, f"Keras' ``{name}()``: {formula}; "
            f"``VarianceScaling(scale={scale}, mode={mode!r}, "
            f"distribution={distribution!r})``.  " + _KERAS_VS_DOC)
    def init(out=None, **kw):
        return _keras_variance_scaling_impl(out, scale, mode, distribution, **kw)
    return init


@_named("Orthogonal", "Keras' ``Orthogonal(gain=1.0)``: ``orthogonal`` with "
        "``layout='keras'`` (rows = prod(shape[:-1]), cols = shape[-1]).")
def _keras_orthogonal(out=None, gain=1.0, *, layout="keras", **kw):
    return orthogonal(out, gain, layout=layout, **kw)


_TRUNC = "truncated normal (cut at +-2 sigma, variance-corrected)"

_REGISTRY = {
    # fastinit's own functions
    "xavier_uniform": xavier_uniform, "glorot_uniform": glorot_uniform,
    "xavier_normal": xavier_normal, "glorot_normal": glorot_normal,
    "kaiming_uniform": kaiming_uniform, "he_uniform": he_uniform,
    "kaiming_normal": kaiming_normal, "he_normal": he_normal,
    "lecun_uniform": lecun_uniform, "lecun_normal": lecun_normal,
    "variance_scaling": variance_scaling, "orthogonal": orthogonal, "sparse": sparse,
    "eye": eye, "identity": identity, "dirac": dirac, "delta_orthogonal": delta_orthogonal,
    "uniform": _core.uniform, "normal": _core.normal,
    "truncated_normal": _core.truncated_normal,
    "constant": _core.constant, "zeros": _core.zeros, "ones": _core.ones,
    # torch.nn.init names (PyTorch's signatures and defaults)
    "xavier_uniform_": xavier_uniform, "xavier_normal_": xavier_normal,
    "kaiming_uniform_": kaiming_uniform, "kaiming_normal_": kaiming_normal,
    "orthogonal_": orthogonal, "sparse_": sparse, "eye_": eye, "dirac_": dirac,
    "uniform_": _torch_uniform, "normal_": _torch_normal,
    "trunc_normal_": _torch_trunc_normal, "constant_": _torch_constant,
    "zeros_": _core.zeros, "ones_": _core.ones,
    # keras.initializers class names (Keras' behaviour: Keras layout, its distributions)
    "GlorotUniform": _keras_vs("GlorotUniform", 1.0, "fan_avg", "uniform",
                               "U[-sqrt(6 / (fan_in + fan_out)), +...)"),
    "GlorotNormal": _keras_vs("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                              _TRUNC + ", std sqrt(2 / (fan_in + fan_out))"),
    "HeUniform": _keras_vs("HeUniform", 2.0, "fan_in", "uniform",
                           "U[-sqrt(6 / fan_in), +...)"),
    "HeNormal": _keras_vs("HeNormal", 2.0, "fan_in", "truncated_normal",
                          _TRUNC + ", std sqrt(2 / fan_in)"),
    "LecunUniform": _keras_vs("LecunUniform", 1.0, "fan_in", "uniform",
                              "U[-sqrt(3 / fan_in), +...)"),
    "LecunNormal": _keras_vs("LecunNormal", 1.0, "fan_in", "truncated_normal",
                             _TRUNC + ", std sqrt(1 / fan_in)"),
    "VarianceScaling": _keras_variance_scaling,
    "Orthogonal": _keras_orthogonal, "OrthogonalInitializer": _keras_orthogonal,
    "Identity": eye, "IdentityInitializer": eye,
    "RandomNormal": _keras_random_normal, "random_normal": _keras_random_normal,
    "RandomUniform": _keras_random_uniform, "random_uniform": _keras_random_uniform,
    "TruncatedNormal": _keras_truncated_normal,
    "Zeros": _core.zeros, "Ones": _core.ones, "Constant": _core.constant,
    "zero": _core.zeros, "one": _core.ones,       # Keras' aliases
}


def names():
    """Every name ``get`` accepts, sorted."""
    return sorted(_REGISTRY)


def get(name):
    """The initializer called ``name``: a fastinit function name
    (``"glorot_uniform"``, ``"he_normal"``...; fastinit's defaults: PyTorch
    layout, untruncated normals), a ``torch.nn.init`` name with its trailing
    underscore (``"xavier_uniform_"``; PyTorch's signatures, so
    ``"uniform_"`` is U[0, 1) and ``"trunc_normal_"`` takes absolute a, b),
    or a ``keras.initializers`` class name (``"GlorotUniform"``,
    ``"HeNormal"``...; Keras' behaviour: Keras layout (*kernel, in, out) and
    Keras' truncated normals).  A callable is returned as it is.

    Raises ValueError for an unknown name, with the closest valid names.
    """
    if callable(name):
        return name
    if not isinstance(name, str):
        raise TypeError(f"name must be a str or a callable, got {name!r}")
    fn = _REGISTRY.get(name)
    if fn is not None:
        return fn
    valid = names()
    lowered = {n.lower(): n for n in valid}
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.6)
    close += [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered),
                                                           n=3, cutoff=0.6)
              if lowered[c] not in close]
    hint = f" Did you mean {' or '.join(repr(c) for c in close[:3])}?" if close else ""
    raise ValueError(f"unknown initializer {name!r}.{hint} Valid names: {', '.join(valid)}")


# Schemes that draw nothing (and take no seed or stream).
_DETERMINISTIC = frozenset({_core.constant, _core.zeros, _core.ones, _torch_constant, eye,
                            dirac})


def is_random(name):
    """Whether the scheme called ``name`` (or that callable) draws random
    numbers (takes ``seed``/``stream``); ``eye``, ``dirac`` and the constants
    do not."""
    return get(name) not in _DETERMINISTIC


def initialize(out, name, *args, **kwargs):
    """``get(name)(out, *args, **kwargs)``: fill ``out`` with the scheme
    called ``name`` and return it."""
    return get(name)(out, *args, **kwargs)
