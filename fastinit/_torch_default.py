"""PyTorch's default initialization of nn.Linear / nn.ConvNd."""
import math

from . import _core
from ._checks import _rng, derived_stream
from ._fans import compute_fans
from ._variance import kaiming_uniform


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
