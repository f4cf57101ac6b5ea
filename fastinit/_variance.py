"""The variance schemes: Xavier/Glorot, Kaiming/He, LeCun and Keras/JAX
variance scaling -- one scaled uniform, normal or truncated normal each.

Every scheme fills ``out`` in place and returns it (or allocates from
``shape=``/``dtype=`` when ``out`` is None), takes the core's keyword-only
``seed``, ``stream``, ``offset`` and ``threads`` and hands them unchanged to
the core fill.  Every argument is checked before anything is written.
E.g. ``xavier_normal(w, seed=1)`` is bit for bit ``normal(w, 0.0, std,
seed=1)`` with the Xavier std.

Layout: fans are read in PyTorch's layout (out, in, *kernel) unless told
``layout="keras"`` (*kernel, in, out), ``"jax"``, or explicit
``in_axis``/``out_axis``/``batch_axis`` -- see ``compute_fans``.
"""
import math
import warnings

from . import _core
from ._checks import Block, _bool, _fans, _real, _result, _rng
from ._core import _choice
from ._fans import _HUGE_SLOPE, _axes, calculate_gain

#: Standard deviation of N(0, 1) truncated to [-2, 2]: the constant Keras and
#: JAX divide by so that a +-2 sigma truncated normal keeps the target variance.
TRUNCATED_NORMAL_STD = 0.87962566103423978


_FAN_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "untruncated_normal", "uniform")


# ---- the fill of a scaled distribution ----------------------------------------

def _fill(arr, dist, scale, seed, stream, offset, threads, block):
    """dist 'uniform': U[-scale, scale); 'normal': N(0, scale^2);
    'truncated_normal': N(0, scale^2) cut at +-2 scale; ``arr`` is the Block
    ``block`` of the tensor.  Returns the array filled (the one allocated when
    arr is unallocated)."""
    kw = dict(seed=seed, stream=stream, offset=offset, threads=threads, **block.kw)
    if dist == "uniform":
        return _core.uniform(arr, -scale if scale else 0.0, scale, **kw)
    if dist == "normal":
        return _core.normal(arr, 0.0, scale, **kw)
    return _core.truncated_normal(arr, 0.0, scale, -2.0, 2.0, **kw)


def _normal_dist(truncated):
    return "truncated_normal" if truncated else "normal"


# ---- Xavier / Glorot ---------------------------------------------------------------

def xavier_uniform(out=None, gain=1.0, *, fan_in=None, fan_out=None, layout="torch",
                   in_axis=None, out_axis=None, batch_axis=(), shape=None, dtype=None,
                   seed=None, stream=0, offset=0, threads=None, global_shape=None,
                   start=None):
    """Glorot & Bengio (2010), uniform: U[-bound, bound) with
    ``bound = gain * sqrt(6 / (fan_in + fan_out))`` (computed as PyTorch's
    ``xavier_uniform_`` does: ``sqrt(3) * gain * sqrt(2 / (fan_in + fan_out))``).

    Alias: ``glorot_uniform``.  Fans from ``compute_fans(out.shape, layout,
    in_axis=..., out_axis=..., batch_axis=...)`` unless ``fan_in``/``fan_out``
    are given (which then allow any rank).  ``gain`` must be >= 0.
    """
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    gain = _real("gain", gain, nonneg=True)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, block.size)
    fi, fo = _fans(block.shape, True, True, fan_in, fan_out, layout, in_axis, out_axis, batch_axis)
    if arr.size == 0:
        return _result(out, _core.allocate(arr))
    std = gain * math.sqrt(2.0 / float(fi + fo))
    bound = math.sqrt(3.0) * std
    arr = _fill(arr, "uniform", bound, seed, stream, offset, threads, block)
    return _result(out, arr)


def xavier_normal(out=None, gain=1.0, *, truncated=False, fan_in=None, fan_out=None,
                  layout="torch", in_axis=None, out_axis=None, batch_axis=(), shape=None,
                  dtype=None, seed=None, stream=0, offset=0, threads=None, global_shape=None,
                  start=None):
    """Glorot & Bengio (2010), normal: N(0, std^2) with
    ``std = gain * sqrt(2 / (fan_in + fan_out))`` (PyTorch's ``xavier_normal_``).

    ``truncated=True`` gives the Keras/JAX ``glorot_normal`` form: a normal
    cut at +-2 of its own sigma, with sigma = std / 0.87962566103423978 so
    that the truncated result still has standard deviation ``std``.
    Alias: ``glorot_normal`` (same defaults; ``get("GlorotNormal")`` is the
    truncated, Keras-layout one).  ``gain`` must be >= 0.
    """
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    gain = _real("gain", gain, nonneg=True)
    truncated = _bool("truncated", truncated)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, block.size)
    fi, fo = _fans(block.shape, True, True, fan_in, fan_out, layout, in_axis, out_axis, batch_axis)
    if arr.size == 0:
        return _result(out, _core.allocate(arr))
    std = gain * math.sqrt(2.0 / float(fi + fo))
    if truncated:
        std = std / TRUNCATED_NORMAL_STD
    arr = _fill(arr, _normal_dist(truncated), std, seed, stream, offset, threads, block)
    return _result(out, arr)


glorot_uniform = xavier_uniform
glorot_normal = xavier_normal


# ---- Kaiming / He ----------------------------------------------------------------------

def _kaiming_std(shape, a, mode, nonlinearity, fan_in, fan_out, layout, in_axis, out_axis,
                 batch_axis):
    a = _real("a", a)
    mode = _choice("mode", mode, ("fan_in", "fan_out"))
    gain = calculate_gain(nonlinearity, a)
    fi, fo = _fans(shape, mode == "fan_in", mode == "fan_out", fan_in, fan_out, layout,
                   in_axis, out_axis, batch_axis)
    fan = fi if mode == "fan_in" else fo
    return gain, fan


def _truncated_std(nonlinearity, a, gain, fan):
    """sqrt(gain^2 / fan) with gain^2 = 2 / (1 + a^2) for relu and leaky_relu
    (without the rounding of gain, so that a=0 gives exactly Keras' and JAX's
    he_normal scale sqrt(2 / fan)), gain * gain otherwise; for a slope so
    large that its square overflows, gain / sqrt(fan)."""
    name = nonlinearity.lower()
    if name == "relu":
        return math.sqrt(2.0 / fan)
    if name == "leaky_relu":
        if abs(a) > _HUGE_SLOPE:
            return gain / math.sqrt(fan)
        return math.sqrt(2.0 / (1 + a ** 2) / fan)
    return math.sqrt(gain * gain / fan)


def _warn_zero_element():
    # PyTorch's kaiming_uniform_/kaiming_normal_ warn so (UserWarning)
    warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)


def kaiming_uniform(out=None, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *,
                    fan_in=None, fan_out=None, layout="torch", in_axis=None,
                    out_axis=None, batch_axis=(), shape=None, dtype=None, seed=None,
                    stream=0, offset=0, threads=None, global_shape=None,
                    start=None):
    """He et al. (2015), uniform: U[-bound, bound) with
    ``bound = sqrt(3) * gain / sqrt(fan)``, ``gain = calculate_gain(nonlinearity, a)``
    and fan = fan_in or fan_out by ``mode`` (PyTorch's ``kaiming_uniform_``;
    with the defaults a=0, "leaky_relu" the gain is sqrt(2), as for relu).

    Alias: ``he_uniform``.  A zero-size ``out`` is left as it is, with
    PyTorch's UserWarning "Initializing zero-element tensors is a no-op"
    (after the arguments are checked).
    """
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    gain, fan = _kaiming_std(block.shape, a, mode, nonlinearity, fan_in, fan_out, layout,
                             in_axis, out_axis, batch_axis)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, block.size)
    if block.size == 0:
        _warn_zero_element()
    if arr.size == 0:
        return _result(out, _core.allocate(arr))
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    arr = _fill(arr, "uniform", bound, seed, stream, offset, threads, block)
    return _result(out, arr)


def kaiming_normal(out=None, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *,
                   truncated=False, fan_in=None, fan_out=None, layout="torch",
                   in_axis=None, out_axis=None, batch_axis=(), shape=None, dtype=None,
                   seed=None, stream=0, offset=0, threads=None, global_shape=None,
                   start=None):
    """He et al. (2015), normal: N(0, std^2) with ``std = gain / sqrt(fan)``
    (PyTorch's ``kaiming_normal_``).

    ``truncated=True``: the Keras/JAX ``he_normal`` form, a normal cut at +-2
    sigma with ``sigma = sqrt(gain^2 / fan) / 0.87962566103423978``, where
    gain^2 = 2 / (1 + a^2) for relu/leaky_relu (so that with the defaults it
    is bit for bit Keras' ``sqrt(2.0 / fan_in) / 0.8796...``).
    Alias: ``he_normal``.  A zero-size ``out`` warns as ``kaiming_uniform``.
    """
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    truncated = _bool("truncated", truncated)
    gain, fan = _kaiming_std(block.shape, a, mode, nonlinearity, fan_in, fan_out, layout,
                             in_axis, out_axis, batch_axis)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, block.size)
    if block.size == 0:
        _warn_zero_element()
    if arr.size == 0:
        return _result(out, _core.allocate(arr))
    if truncated:
        std = _truncated_std(nonlinearity, float(a), gain, fan) / TRUNCATED_NORMAL_STD
    else:
        std = gain / math.sqrt(fan)
    arr = _fill(arr, _normal_dist(truncated), std, seed, stream, offset, threads, block)
    return _result(out, arr)


he_uniform = kaiming_uniform
he_normal = kaiming_normal


# ---- variance scaling (Keras / JAX) and LeCun -------------------------------------------

def _keras_axes_fans(shape, input_axes, output_axes, fan_in, fan_out):
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
    ins = _axes("input_axes", input_axes, len(shape))
    outs = _axes("output_axes", output_axes, len(shape))
    if set(ins) & set(outs):
        raise ValueError(f"input_axes={input_axes!r} and output_axes={output_axes!r} "
                         f"overlap for out.shape={shape}")
    return (math.prod(shape[a] for a in ins), math.prod(shape[a] for a in outs))


def _variance_scaling(out, scale, mode, distribution, fan_in, fan_out, layout, in_axis,
                      out_axis, batch_axis, shape, dtype, seed, stream, offset, threads,
                      global_shape=None, start=None, keras=False, input_axes=None,
                      output_axes=None):
    """keras=True: Keras 3's VarianceScaling -- modes fan_in/fan_out/fan_avg
    only, distribution "normal" means "truncated_normal", input_axes/
    output_axes as Keras, and the denominator is max(1.0, n)."""
    arr = _core.prepare_out(out, shape, dtype)
    block = Block(arr, global_shape, start)
    scale = _real("scale", scale, positive=True)
    mode = _choice("mode", mode, _FAN_MODES[:3] if keras else _FAN_MODES)
    if keras and isinstance(distribution, str) and distribution.lower() == "normal":
        distribution = "truncated_normal"
    distribution = _choice("distribution", distribution, _DISTRIBUTIONS)
    if keras:
        fan_in, fan_out = _keras_axes_fans(block.shape, input_axes, output_axes, fan_in,
                                           fan_out)
        if block.size == 0:   # Keras' fans of an empty weight may be 0
            fan_in = None if fan_in == 0 else fan_in
            fan_out = None if fan_out == 0 else fan_out
    fi, fo = _fans(block.shape, mode != "fan_out", mode != "fan_in", fan_in, fan_out, layout,
                   in_axis, out_axis, batch_axis)
    seed, stream, offset, threads = _rng(seed, stream, offset, threads, block.size)
    if arr.size == 0:
        return _result(out, _core.allocate(arr))
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
        arr = _fill(arr, "truncated_normal", math.sqrt(variance) / TRUNCATED_NORMAL_STD,
              seed, stream, offset, threads, block)
    elif distribution == "uniform":
        arr = _fill(arr, "uniform", math.sqrt(3.0 * variance), seed, stream, offset, threads, block)
    else:
        arr = _fill(arr, "normal", math.sqrt(variance), seed, stream, offset, threads, block)
    return _result(out, arr)


def variance_scaling(out=None, scale=1.0, mode="fan_in", distribution="truncated_normal",
                     *, fan_in=None, fan_out=None, layout="torch", in_axis=None,
                     out_axis=None, batch_axis=(), shape=None, dtype=None, seed=None,
                     stream=0, offset=0, threads=None, global_shape=None,
                     start=None):
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
                             offset, threads, global_shape, start)


def lecun_uniform(out=None, *, fan_in=None, layout="torch", in_axis=None, out_axis=None,
                  batch_axis=(), shape=None, dtype=None, seed=None, stream=0, offset=0,
                  threads=None, global_shape=None, start=None):
    """LeCun uniform: U[-limit, limit), ``limit = sqrt(3 / fan_in)``
    (``variance_scaling(1.0, "fan_in", "uniform")``)."""
    return _variance_scaling(out, 1.0, "fan_in", "uniform", fan_in, None, layout, in_axis,
                             out_axis, batch_axis, shape, dtype, seed, stream, offset,
                             threads, global_shape, start)


def lecun_normal(out=None, *, truncated=False, fan_in=None, layout="torch", in_axis=None,
                 out_axis=None, batch_axis=(), shape=None, dtype=None, seed=None,
                 stream=0, offset=0, threads=None, global_shape=None,
                 start=None):
    """LeCun normal: variance 1 / fan_in; N(0, 1/fan_in), or with
    ``truncated=True`` the Keras/JAX form (cut at +-2 sigma, sigma =
    sqrt(1/fan_in) / 0.87962566103423978)."""
    truncated = _bool("truncated", truncated)
    return _variance_scaling(out, 1.0, "fan_in", _normal_dist(truncated), fan_in, None,
                             layout, in_axis, out_axis, batch_axis, shape, dtype, seed,
                             stream, offset, threads, global_shape, start)
