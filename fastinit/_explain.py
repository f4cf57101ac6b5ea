"""``fastinit.explain``: what each initialization does to a deep network.

A plain MLP, x_l = f(x_(l-1) W_l^T + b), W_l of shape (n_l, n_(l-1)) (the
torch layout the schemes fill), runs forward on a batch of N(0, 1) inputs
and backward from an N(0, 1) gradient at its output, in NumPy; every layer's
activation std, gradient std and dead or saturated fraction are measured and
set beside what the variance formula predicts (``_explain_theory``).
"""
import math

import numpy as np

from . import _core
from ._checks import _real
from ._core import _choice, _is_int
from ._explain_activations import ACTIVATIONS, DYING, SATURATING
from ._explain_result import Explanation, SchemeTrace
from ._explain_schemes import DEFAULT_SCHEMES, layer_weight, parse_scheme
from ._explain_theory import predict, weight_variance

DEFAULT_DEPTH = 50
# Weights kept for the backward pass; the rest are drawn again there, which
# gives the same bits (same seed and stream) without holding depth x width^2.
KEEP_BYTES = 256 << 20
_HISTOGRAM_SAMPLE = 20000


# ---- argument checks ------------------------------------------------------------------------

def _positive_int(name, value):
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name}={value} must be positive")
    return int(value)


def _widths(depth, width):
    """(n_0, n_1, ..., n_L) from an int width and a depth, or a list of widths."""
    if _is_int(width):
        n = _positive_int("width", width)
        return (n,) * ((DEFAULT_DEPTH if depth is None else _positive_int("depth", depth)) + 1)
    if isinstance(width, (str, bytes)) or not hasattr(width, "__iter__"):
        raise TypeError(f"width must be a positive int or a list of layer widths, got {width!r}")
    widths = tuple(width)
    if len(widths) < 2:
        raise ValueError(f"width={width!r}: a list of widths needs the input's and at least "
                         f"one layer's")
    widths = tuple(_positive_int(f"width[{i}]", w) for i, w in enumerate(widths))
    if depth is not None and _positive_int("depth", depth) != len(widths) - 1:
        raise ValueError(f"depth={depth} does not match width={list(widths)} "
                         f"({len(widths) - 1} layers); give one of them")
    return widths


def _dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype={dtype!r}: explain runs in float32 or float64")
    return dt


def _histogram_layers(layers, depth):
    if layers is None:
        return tuple(sorted({1, depth} | {round(depth * k / 3) for k in (1, 2)} - {0}))
    out = tuple(_positive_int("histogram_layers", l) for l in layers)
    bad = [l for l in out if l > depth]
    if bad:
        raise ValueError(f"histogram_layers={list(layers)}: the network has {depth} layers")
    return out


def default_batch(widths):
    """256 inputs, fewer for wide layers (down to 16): the statistics are over
    batch x width numbers, and a 4096-wide, 100-deep run stays a few seconds."""
    return min(256, max(16, (1 << 17) // max(widths)))


# ---- the measurement ----------------------------------------------------------------------

def _std(a):
    v = float(np.std(a, dtype=np.float64))
    return v if math.isfinite(v) else math.inf


def _flush_subnormals(a, std):
    # a collapsing signal reaches subnormal floats, which BLAS multiplies
    # ~100x slower; below the smallest normal a value is 0 for this purpose
    tiny = np.finfo(a.dtype).tiny
    if 0 < std < 1e4 * tiny:
        a[np.abs(a) < tiny] = 0


def _fraction(activation, x):
    if activation in DYING:
        return float(np.mean(np.all(x <= 0, axis=0)))
    return float(np.mean(SATURATING[activation](x)))


def _sample(x):
    flat = x.ravel()
    return flat[:: max(1, flat.size // _HISTOGRAM_SAMPLE)].copy()


def _forward(scheme, run, x, act_std, frac):
    """Fills act_std/frac; returns (f' per layer, kept weights, histograms), or
    None for the f's when the activations overflowed."""
    f = ACTIVATIONS[run["activation"]]
    widths, slopes, kept, hist = run["widths"], [], {}, {}
    budget = KEEP_BYTES
    for l in range(1, len(widths)):
        w = layer_weight(scheme, l, widths[l], widths[l - 1], run["dtype"], run["seed"])
        if w.nbytes <= budget:
            kept[l], budget = w, budget - w.nbytes
        s = x @ w.T
        if run["bias"]:
            s += run["bias"]
        x, d = f(s)
        act_std[l - 1] = std = _std(x)
        if math.isinf(std):
            return None, kept, hist
        if frac is not None:
            frac[l - 1] = _fraction(run["activation"], x)
        if l in run["histogram_layers"]:
            hist[l] = _sample(x)
        _flush_subnormals(x, std)
        slopes.append(d)
    return slopes, kept, hist


def _backward(scheme, run, slopes, kept, g, grad_std):
    widths = run["widths"]
    for l in range(len(widths) - 1, 0, -1):
        delta = g * slopes[l - 1]
        grad_std[l - 1] = std = _std(delta)
        if math.isinf(std):
            grad_std[:l - 1] = math.inf
            return
        _flush_subnormals(delta, std)
        if l > 1:
            w = kept.pop(l, None)
            if w is None:
                w = layer_weight(scheme, l, widths[l], widths[l - 1], run["dtype"], run["seed"])
            g = delta @ w


def _prediction(scheme, run):
    widths = run["widths"]
    variances = []
    for l in range(1, len(widths)):
        v, why = weight_variance(scheme.fn, scheme.arguments, widths[l - 1], widths[l])
        if v is None:
            return None, None, None, why
        variances.append(v)
    act, grad = predict(widths, variances, run["activation"], run["bias"])
    return np.array(variances), act, grad, None


def _trace(scheme, run, x0, g_out):
    depth = len(run["widths"]) - 1
    act_std, grad_std = np.full(depth, math.inf), np.full(depth, math.nan)
    counts = run["activation"] in DYING or run["activation"] in SATURATING
    frac = np.full(depth, math.nan) if counts else None
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        slopes, kept, hist = _forward(scheme, run, x0, act_std, frac)
        if slopes is not None:
            _backward(scheme, run, slopes, kept, g_out, grad_std)
    variances, pred_act, pred_grad, why = _prediction(scheme, run)
    dying = run["activation"] in DYING
    return SchemeTrace(scheme.label, act_std, grad_std, frac if dying else None,
                       None if dying else frac, variances, pred_act, pred_grad, why, hist)


def explain(schemes=None, *, depth=None, width=512, activation="relu", batch=None, seed=0,
            bias=0.0, dtype="float32", histogram_layers=None):
    """Run a deep MLP initialized by each scheme and measure, layer by layer,
    what the variance formula predicts: the std of the activations (forward)
    and of the gradients (backward).

    schemes: names ``fastinit.get`` knows, "name:key=value,..." (e.g.
    ``"normal:std=0.01"``, ``"kaiming_normal:mode=fan_out"``), (name,
    kwargs) pairs or callables; default ``normal`` with std 0.01 and 1,
    ``xavier_normal``, ``kaiming_normal``, ``lecun_normal``, ``orthogonal``,
    each with its own defaults (so ``kaiming_normal`` is He's sqrt(2) gain,
    whatever the activation).  depth: layers (default 50); width: every
    layer's width (default 512), or the list (n_0, n_1, ..., n_L) of the
    input's and each layer's width (then depth is len - 1).  activation:
    linear, relu, leaky_relu (slope 0.01), tanh, sigmoid, selu or gelu (tanh
    approximation), after every layer.  batch: inputs (default 256, fewer for
    layers wider than 512).  bias: every bias's constant value (the notes use
    0 or 0.01).  Same seed, same numbers.

    The input and the output gradient are N(0, 1); the loss is their dot
    product with the output.  An activation std of inf means float32 (or
    float64) overflowed there; the gradients of such a run are not computed.
    Returns an ``Explanation``: per scheme, arrays over layers 1..depth.
    """
    widths = _widths(depth, width)
    run = dict(widths=widths, activation=_choice("activation", activation, tuple(ACTIVATIONS)),
               bias=_real("bias", bias), dtype=_dtype(dtype), seed=_core.check_seed(seed),
               histogram_layers=_histogram_layers(histogram_layers, len(widths) - 1))
    batch = default_batch(widths) if batch is None else _positive_int("batch", batch)
    specs = DEFAULT_SCHEMES if schemes is None else schemes
    if isinstance(specs, str) or callable(specs) or isinstance(specs, tuple) and len(specs) == 2 \
            and isinstance(specs[1], dict):
        specs = [specs]
    parsed = [parse_scheme(s) for s in specs]
    if not parsed:
        raise ValueError("schemes is empty: name at least one")
    labels = [s.label for s in parsed]
    if len(set(labels)) != len(labels):
        raise ValueError(f"schemes={labels} names a scheme twice")
    kw = dict(dtype=run["dtype"], std=1.0, seed=run["seed"])
    x0 = _core.normal(shape=(batch, widths[0]), stream="fastinit.explain/input", **kw)
    g_out = _core.normal(shape=(batch, widths[-1]), stream="fastinit.explain/output-gradient",
                         **kw)
    traces = tuple(_trace(s, run, x0, g_out) for s in parsed)
    return Explanation(run["activation"], widths, batch, run["seed"], run["bias"], run["dtype"],
                       _std(x0), traces)
