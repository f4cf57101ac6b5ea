"""The ``torch.nn.init`` names: same signatures, defaults and formulas,
plus ``seed=``/``stream=``; routed through an active ``init_``.
"""
import functools
import warnings

import torch

from .. import _core, _registry
from .._fans import calculate_gain as _calculate_gain
from .._generator import Generator
from ._fill_tensor import _fill
from ._router import _FLOATS, _ORIGINALS, _Router
from ._tensors import _is_dtensor


def _torch_seed(generator):
    """A seed drawn from PyTorch's generator (63 bits: int64's random_), so
    that torch.manual_seed makes an unseeded fill reproducible, as it makes
    torch.nn.init's."""
    return int(torch.empty((), dtype=torch.int64).random_(generator=generator))


def _init(tensor, scheme, args, generator, seed, stream, kwargs=None):
    """The drop-in functions' common body: route through an active ``init_``
    (when seed, stream and generator are all left out), else fill directly,
    with ``seed=None`` drawn from the torch.Generator given or PyTorch's
    default one."""
    kwargs = kwargs or {}
    router = _Router.active
    if router is not None and seed is None and stream is None:
        return router.fill(tensor, scheme, args, kwargs)
    random = _registry.is_random(scheme)
    if generator is not None:
        if not isinstance(generator, (Generator, torch.Generator)):
            raise TypeError(f"generator must be a torch.Generator, a fastinit.Generator "
                            f"or None, got {type(generator).__name__}")
        if seed is not None or stream is not None:
            raise TypeError("give generator= or seed=/stream=, not both")
        if not random:
            return _fill(tensor, scheme, args, kwargs, None, 0)
        if isinstance(generator, torch.Generator):
            return _fill(tensor, scheme, args, kwargs, _torch_seed(generator), 0)
        seed = generator.seed
        stream = _core.stream_id(f"{generator.name}#{generator.calls}")
        out = _fill(tensor, scheme, args, kwargs, seed, stream)
        generator.calls += 1
        return out
    if seed is None and random:
        seed = _torch_seed(None)
    return _fill(tensor, scheme, args, kwargs, seed, 0 if stream is None else stream)


def calculate_gain(nonlinearity, param=None):
    """``torch.nn.init.calculate_gain`` (fastinit's table: also case-insensitive)."""
    gain = _calculate_gain(nonlinearity, param)
    # PyTorch returns the int 1 for the linear, convolution and sigmoid gains
    return 1 if gain == 1 and nonlinearity.lower() != "leaky_relu" else gain


def _constant(name, tensor, args):
    """A deterministic fill; on an integer, bool or complex tensor (which
    fastinit's kernels do not fill, and which holds nothing random) it is
    PyTorch's own, as ``torch.nn.init`` accepts those dtypes."""
    if (_Router.active is None and isinstance(tensor, torch.Tensor)
            and not _is_dtensor(tensor) and tensor.dtype not in _FLOATS):
        return _ORIGINALS[name](tensor, *args)
    return _init(tensor, name, args, None, None, None)


def uniform_(tensor, a=0.0, b=1.0, generator=None, *, seed=None, stream=None):
    """``torch.nn.init.uniform_``: U[a, b) (``b`` never produced)."""
    return _init(tensor, "uniform_", (a, b), generator, seed, stream)


def normal_(tensor, mean=0.0, std=1.0, generator=None, *, seed=None, stream=None):
    """``torch.nn.init.normal_``: N(mean, std^2)."""
    return _init(tensor, "normal_", (mean, std), generator, seed, stream)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None, *, seed=None,
                  stream=None):
    """``torch.nn.init.trunc_normal_``: N(mean, std^2) restricted to [a, b],
    ``a``/``b`` absolute bounds as in PyTorch (exact inverse CDF)."""
    return _init(tensor, "trunc_normal_", (mean, std, a, b), generator, seed, stream)


def constant_(tensor, val):
    """``torch.nn.init.constant_``."""
    return _constant("constant_", tensor, (val,))


def ones_(tensor):
    """``torch.nn.init.ones_``."""
    return _constant("ones_", tensor, ())


def zeros_(tensor):
    """``torch.nn.init.zeros_``."""
    return _constant("zeros_", tensor, ())


def eye_(tensor):
    """``torch.nn.init.eye_``: the identity on a 2-D tensor."""
    return _constant("eye_", tensor, ())


def dirac_(tensor, groups=1):
    """``torch.nn.init.dirac_``."""
    return _constant("dirac_", tensor, (groups,))


def xavier_uniform_(tensor, gain=1.0, generator=None, *, seed=None, stream=None):
    """``torch.nn.init.xavier_uniform_``: U[-b, b), b = gain sqrt(6 / (fan_in + fan_out))."""
    return _init(tensor, "xavier_uniform_", (gain,), generator, seed, stream)


def xavier_normal_(tensor, gain=1.0, generator=None, *, seed=None, stream=None):
    """``torch.nn.init.xavier_normal_``: N(0, std^2), std = gain sqrt(2 / (fan_in + fan_out))."""
    return _init(tensor, "xavier_normal_", (gain,), generator, seed, stream)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu",
                     generator=None, *, seed=None, stream=None):
    """``torch.nn.init.kaiming_uniform_``: U[-b, b), b = gain sqrt(3 / fan)."""
    return _init(tensor, "kaiming_uniform_", (a, mode, nonlinearity), generator, seed,
                 stream)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu",
                    generator=None, *, seed=None, stream=None):
    """``torch.nn.init.kaiming_normal_``: N(0, std^2), std = gain / sqrt(fan)."""
    return _init(tensor, "kaiming_normal_", (a, mode, nonlinearity), generator, seed,
                 stream)


def orthogonal_(tensor, gain=1.0, generator=None, *, seed=None, stream=None):
    """``torch.nn.init.orthogonal_`` (QR in float64 whatever the dtype)."""
    return _init(tensor, "orthogonal_", (gain,), generator, seed, stream)


def sparse_(tensor, sparsity, std=0.01, generator=None, *, seed=None, stream=None):
    """``torch.nn.init.sparse_``; its zero pattern is a function of the seed."""
    return _init(tensor, "sparse_", (sparsity, std), generator, seed, stream)


def fill_(tensor, scheme, *args, seed=None, stream=None, **kwargs):
    """Any scheme ``fastinit.get`` knows, by name, on a tensor:
    ``fill_(w, "he_normal", truncated=True, seed=0, stream="w")``."""
    return _init(tensor, scheme, args, None, seed, stream, kwargs)


def _deprecated(new):
    """torch.nn.init's name without the underscore: the same fill after the
    FutureWarning PyTorch gives, so old code runs unchanged."""
    old = new.__name__[:-1]

    @functools.wraps(new)
    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)
    deprecated_init.__name__ = deprecated_init.__qualname__ = old
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
