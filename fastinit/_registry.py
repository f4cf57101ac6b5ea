"""Lookup by name: fastinit's own names, the torch.nn.init names (with the
trailing underscore, PyTorch's signatures) and the keras.initializers class
names (Keras' behaviour: Keras layout (*kernel, in, out) and its truncated
normals)."""
import difflib

from . import _core
from ._checks import _bound, _interval, _real, _result
from ._matrix import delta_orthogonal, dirac, eye, identity, orthogonal, sparse
from ._variance import (
    _variance_scaling,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)

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
    arr = _core.truncated_normal(arr, mean, std, za, zb, **kw)
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
                                 threads=None, global_shape=None, start=None):
    return _variance_scaling(out, scale, mode, distribution, fan_in, fan_out, layout,
                             in_axis, out_axis, batch_axis, shape, dtype, seed, stream,
                             offset, threads, global_shape, start, keras=True,
                             input_axes=input_axes, output_axes=output_axes)


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
    fn = get(name)
    try:
        return fn not in _DETERMINISTIC
    except TypeError:       # an unhashable callable: none of the deterministic ones
        return True


def initialize(out, name, *args, **kwargs):
    """``get(name)(out, *args, **kwargs)``: fill ``out`` with the scheme
    called ``name`` and return it."""
    return get(name)(out, *args, **kwargs)
