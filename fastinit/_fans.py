"""Fans and gains: small pure functions, no sampling.

``compute_fans`` follows PyTorch (``layout="torch"``), Keras (``"keras"`` /
``"tf"``) and JAX (``"jax"`` or explicit axes); ``calculate_gain`` is
PyTorch's table.  Both raise ``ValueError``/``TypeError`` naming the
offending argument and its value.
"""
import math
import numbers

import numpy as np

from ._core import _choice, _int_tuple, _shape_tuple

__all__ = ["compute_fans", "calculate_gain", "LAYOUTS", "NONLINEARITIES"]

# layout -> its default (in_axis, out_axis)
_LAYOUT_AXES = {
    "torch": (1, 0),     # (out, in, *kernel)
    "keras": (-2, -1),   # (*kernel, in, out)
    "tf": (-2, -1),
    "jax": (-2, -1),     # jax.nn.initializers defaults: in_axis=-2, out_axis=-1
}
LAYOUTS = tuple(_LAYOUT_AXES)

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
               "conv_transpose2d", "conv_transpose3d", "sigmoid")
NONLINEARITIES = _LINEAR_FNS + ("tanh", "relu", "leaky_relu", "selu")

# Beyond this |negative_slope|, 1 + slope^2 is slope^2 to double precision
# (and slope^2 may overflow): the gain is sqrt(2) / |slope|.
_HUGE_SLOPE = 2.0 ** 500


def _check_layout(layout):
    return _choice("layout", layout, LAYOUTS)


def _axes(name, value, ndim):
    """An axis or a sequence of axes as a tuple of non-negative ints."""
    out = []
    for a in _int_tuple(name, value, "sequence"):
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}={value!r}: axis {a} is out of range for a "
                             f"{ndim}-dimensional shape")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}={value!r} names the same axis twice")
    return tuple(out)


def compute_fans(shape, layout="torch", *, in_axis=None, out_axis=None, batch_axis=()):
    """``(fan_in, fan_out)`` of a weight of this shape, as ints.

    fan_in = (size of the input axes) * receptive, fan_out = (size of the
    output axes) * receptive, where receptive is the product of every axis
    that is neither an input, an output nor a batch axis (the kernel's
    spatial axes).

    layout: ``"torch"`` -- (out, in, *kernel), in_axis=1, out_axis=0, as
    ``torch.nn.init._calculate_fan_in_and_fan_out``; ``"keras"`` / ``"tf"``
    -- (*kernel, in, out), as ``keras.initializers`` ``compute_fans``;
    ``"jax"`` -- in_axis=-2, out_axis=-1, as ``jax.nn.initializers``.
    in_axis, out_axis, batch_axis: an axis or a sequence of axes (negative
    allowed) that replace the layout's defaults, as JAX's ``_compute_fans``;
    an axis missing from them keeps the layout's default.

    >>> compute_fans((64, 32, 3, 3))                  # Conv2d(32, 64, 3)
    (288, 576)
    >>> compute_fans((3, 3, 32, 64), "keras")
    (288, 576)
    >>> compute_fans((512, 8, 64), in_axis=0, out_axis=(1, 2))
    (512, 512)

    Raises ValueError for a shape of rank < 2, whatever the axes (as PyTorch
    does, and JAX with its default in_axis; JAX with an explicit in_axis
    computes fans of a 1-D shape, and Keras returns (n, n) for shape (n,) and
    (1, 1) for a scalar), and for axes that overlap (JAX silently returns
    meaningless fans there).  The schemes take ``fan_in=``/``fan_out=`` for
    such weights.
    """
    dims = _shape_tuple(shape)
    key = _check_layout(layout)
    ndim = len(dims)
    if ndim < 2:
        raise ValueError(f"fan_in and fan_out cannot be computed for shape={dims} of rank "
                         f"{ndim} (a tensor with fewer than 2 dimensions): the shape must "
                         f"be at least 2D, or give fan_in=/fan_out= explicitly")
    default_in, default_out = _LAYOUT_AXES[key]
    ins = _axes("in_axis", default_in if in_axis is None else in_axis, ndim)
    outs = _axes("out_axis", default_out if out_axis is None else out_axis, ndim)
    batch = _axes("batch_axis", () if batch_axis is None else batch_axis, ndim)
    used = ins + outs + batch
    if len(set(used)) != len(used):
        raise ValueError(f"in_axis={in_axis!r}, out_axis={out_axis!r}, batch_axis="
                         f"{batch_axis!r} overlap for shape={dims} (layout={layout!r})")
    in_size = math.prod(dims[a] for a in ins)
    out_size = math.prod(dims[a] for a in outs)
    receptive = math.prod(d for a, d in enumerate(dims) if a not in used)
    return in_size * receptive, out_size * receptive


def _gain_param(param):
    if (isinstance(param, (bool, np.bool_)) or not isinstance(param, numbers.Real)):
        raise ValueError(f"negative_slope {param!r} not a valid number "
                         f"(param must be a real number, got {type(param).__name__})")
    try:
        value = float(param)
    except OverflowError:               # an int or Fraction beyond the double range
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"negative_slope {param!r} not a valid number (param must be finite)")
    return value


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: PyTorch's
    ``torch.nn.init.calculate_gain`` table.

    ============================================ =================================
    nonlinearity                                 gain
    ============================================ =================================
    linear, conv1d/2d/3d, conv_transpose1d/2d/3d 1
    sigmoid                                      1
    tanh                                         5/3
    relu                                         sqrt(2)
    leaky_relu                                   sqrt(2 / (1 + negative_slope^2)),
                                                 negative_slope = param or 0.01
    selu                                         3/4
    ============================================ =================================

    Names are matched case-insensitively.  An unknown name, or a ``param``
    that is not a finite real number (bool included), raises ValueError;
    ``param`` is checked for every nonlinearity (PyTorch only checks it for
    leaky_relu) and used only by leaky_relu.
    """
    if not isinstance(nonlinearity, str):
        raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}: use one of "
                         f"{list(NONLINEARITIES)}")
    name = nonlinearity.lower()
    slope = None if param is None else _gain_param(param)
    if name in _LINEAR_FNS:
        return 1.0
    if name == "tanh":
        return 5.0 / 3
    if name == "relu":
        return math.sqrt(2.0)
    if name == "leaky_relu":
        negative_slope = 0.01 if slope is None else slope
        if abs(negative_slope) > _HUGE_SLOPE:     # the square would overflow
            return math.sqrt(2.0) / abs(negative_slope)
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if name == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}: use one of "
                     f"{list(NONLINEARITIES)}")
