"""The schemes ``fastinit.explain`` compares: parsing "name:key=value,..."
specs, and drawing one layer's weight in the torch layout (out, in).

Every random scheme draws layer l from stream "fastinit.explain/layer<l>" of
the run's seed, so schemes that are scaled normals (``normal``,
``xavier_normal``, ``kaiming_normal``, ``lecun_normal``...) see the same
Gaussian matrices and differ only by their scale: the comparison is
controlled.
"""
import ast
import inspect
from typing import Callable, NamedTuple

import numpy as np

from ._registry import get, is_random

DEFAULT_SCHEMES = ("normal:std=0.01", "normal:std=1", "xavier_normal", "kaiming_normal",
                   "lecun_normal", "orthogonal")
# explain chooses these itself, per layer
_RESERVED = ("out", "shape", "dtype", "seed", "stream", "offset")


class Scheme(NamedTuple):
    label: str               # as the table and the plot name it
    fn: Callable
    kwargs: dict
    arguments: dict          # kwargs with the scheme's defaults filled in
    random: bool             # takes seed= and stream=
    keras_layout: bool       # a keras.initializers name: fills (in, out)


def _value(text):
    """A keyword's value from a spec: a Python literal (0.01, 2, None, 'x'),
    true/false in any case, or else the text itself (mode=fan_out)."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _split_spec(spec):
    name, _, rest = spec.partition(":")
    kwargs = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, text = item.partition("=")
        if not eq or not key.strip().isidentifier():
            raise ValueError(f"scheme {spec!r}: {item!r} is not key=value "
                             f"(write e.g. 'normal:std=0.01' or 'kaiming_normal:mode=fan_out')")
        kwargs[key.strip()] = _value(text.strip())
    return name.strip(), kwargs


def _label(name, kwargs):
    base = name if isinstance(name, str) else getattr(name, "__name__", repr(name))
    return base + (":" + ",".join(f"{k}={v}" for k, v in kwargs.items()) if kwargs else "")


def _bind(label, fn, kwargs):
    """kwargs with the scheme's defaults, or TypeError for a keyword it lacks."""
    try:
        bound = inspect.signature(fn).bind(None, **kwargs)
    except TypeError as e:
        raise TypeError(f"scheme {label!r}: {e}") from None
    except ValueError:            # no signature (a builtin): nothing to check here
        return dict(kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def parse_scheme(spec):
    """A Scheme from "name", "name:key=value,...", (name or callable, kwargs)
    or a callable; unknown names raise get()'s ValueError."""
    if isinstance(spec, str):
        name, kwargs = _split_spec(spec)
    elif isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], dict):
        name, kwargs = spec[0], dict(spec[1])
    elif callable(spec):
        name, kwargs = spec, {}
    else:
        raise TypeError(f"a scheme must be a name like 'xavier_normal' or "
                        f"'normal:std=0.01', a (name, kwargs) pair or a callable, got {spec!r}")
    fn = get(name)
    label = spec if isinstance(spec, str) else _label(name, kwargs)
    clash = [k for k in kwargs if k in _RESERVED]
    if clash:
        raise ValueError(f"scheme {label!r}: explain sets {', '.join(clash)} itself "
                         f"(seed= is explain's own argument)")
    return Scheme(label, fn, kwargs, _bind(label, fn, kwargs), is_random(fn),
                  isinstance(name, str) and name[:1].isupper())


def layer_weight(scheme, layer, n_out, n_in, dtype, seed):
    """Layer ``layer``'s (n_out, n_in) weight from the scheme; a Keras-named
    scheme fills its own layout (n_in, n_out), returned transposed."""
    shape = (n_in, n_out) if scheme.keras_layout else (n_out, n_in)
    kw = dict(scheme.kwargs)
    if scheme.random:
        kw.update(seed=seed, stream=f"fastinit.explain/layer{layer}")
    w = np.empty(shape, dtype)
    try:
        w = scheme.fn(w, **kw)
    except (TypeError, ValueError) as e:
        raise type(e)(f"scheme {scheme.label!r} cannot initialize the weight of layer "
                      f"{layer}, shape {shape}: {e}") from e
    if not isinstance(w, np.ndarray) or w.shape != shape:
        raise TypeError(f"scheme {scheme.label!r} returned {type(w).__name__} "
                        f"instead of the filled {shape} array")
    return w.T if scheme.keras_layout else w
