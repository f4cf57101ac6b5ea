"""Argument checks and plumbing shared by the schemes: reals, bounds, the
rng keywords checked up front, fans with overrides, derived streams.

Derived streams: where a scheme needs random numbers besides the values
(the zero pattern of ``sparse``; the bias of ``torch_default``) it draws
them from the stream ``derived_stream(stream, tag)`` =
``stream_id(f"fastinit.derived/{tag}/{stream_id(stream)}")``, with the same
seed, so the whole result is a function of (seed, stream, offset).
"""
import math
import numbers

import numpy as np

from . import _core
from ._fans import _check_layout, compute_fans

def _float(name, value):
    """float(value) for a real number; an int or Fraction beyond the double
    range is +-inf (the callers refuse or accept infinities)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} "
                        f"of type {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _real(name, value, *, nonneg=False, positive=False):
    """A finite real number as a float, or TypeError/ValueError naming it."""
    v = _float(name, value)
    if not math.isfinite(v):
        raise ValueError(f"{name}={value!r} must be finite")
    if positive and not v > 0:
        raise ValueError(f"{name}={value!r} must be positive")
    if nonneg and v < 0:
        raise ValueError(f"{name}={value!r} must not be negative")
    return v


def _bound(name, value):
    """A real number or +-inf (a truncation bound) as a float; beyond the
    double range, +-inf (as far as any bound goes)."""
    v = _float(name, value)
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


def _fans(shape, need_in, need_out, fan_in, fan_out, layout, in_axis, out_axis, batch_axis):
    """(fan_in, fan_out) of a weight of ``shape`` (the global shape of a
    block), explicit overrides first; a fan that is not needed and not given
    is None.  Fans from the shape are ints, overrides floats."""
    fan_in = _fan_override("fan_in", fan_in)
    fan_out = _fan_override("fan_out", fan_out)
    _check_layout(layout)
    if (need_in and fan_in is None) or (need_out and fan_out is None):
        fi, fo = compute_fans(shape, layout, in_axis=in_axis, out_axis=out_axis,
                              batch_axis=batch_axis)
        fan_in = fi if fan_in is None else fan_in
        fan_out = fo if fan_out is None else fan_out
    return fan_in, fan_out


class Block:
    """Where ``arr`` lies in the tensor a scheme initializes: the whole of it,
    or the block ``[start, start + arr.shape)`` of a C-order tensor of
    ``global_shape``.  ``shape``/``size`` are the whole tensor's (what fans,
    bounds and the offset check use); ``kw`` goes to the core fills."""

    __slots__ = ("shape", "size", "kw", "block_shape")

    def __init__(self, arr, global_shape=None, start=None):
        self.block_shape = arr.shape
        dims, first = _core.check_block(arr.shape, global_shape, start)
        if dims is None:
            self.shape, self.size, self.kw = arr.shape, arr.size, {}
        else:
            self.shape, self.size = dims, math.prod(dims)
            self.kw = {"global_shape": dims, "start": first}

    @property
    def start(self):
        return self.kw.get("start", (0,) * len(self.shape))

    def of(self, whole):
        """This block of an array of the whole tensor's shape."""
        return whole[tuple(slice(s, s + n) for s, n in zip(self.start, self.block_shape))]


def _result(out, arr):
    return _core.returned(out, arr)
