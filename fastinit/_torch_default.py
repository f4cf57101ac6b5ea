"""PyTorch's default initialization of nn.Linear / nn.ConvNd."""
import math

from . import _core
from ._checks import Block, _fan_override, _rng, derived_stream
from ._fans import compute_fans
from ._variance import kaiming_uniform


def torch_default(weight, bias=None, *, fan_in=None, seed=None, stream=0, offset=0,
                  threads=None, global_shape=None, start=None, bias_offset=0,
                  bias_global_shape=None, bias_start=None):
    """What ``nn.Linear`` / ``nn.ConvNd`` ``reset_parameters`` do: weight =
    ``kaiming_uniform(weight, a=sqrt(5))`` (i.e. U[-1/sqrt(fan_in),
    1/sqrt(fan_in)) up to rounding); bias = U[-b, b) with b =
    ``1 / sqrt(fan_in)``, or 0 when fan_in is 0.

    fan_in is the weight's (torch layout, of ``global_shape`` for a block),
    unless given as ``fan_in=``; ``weight`` may then be None, to fill a bias
    alone.  The weight uses ``stream`` and ``offset`` (and the block
    ``global_shape=``/``start=``); the bias the derived stream
    ``derived_stream(stream, "bias")``, the same seed, and its own
    ``bias_offset`` (and block ``bias_global_shape=``/``bias_start=``): a
    shard of the bias is then the bias's own block, not the weight's.
    Returns ``(weight, bias)`` (bias None when not given).
    """
    if weight is None and (bias is None or fan_in is None):
        raise TypeError("weight must be an array to fill, got None (give fan_in= and a "
                        "bias to fill a bias alone)")
    w = None if weight is None else _core.prepare_out(weight)
    b = None if bias is None else _core.prepare_out(bias)
    w_block = None if w is None else Block(w, global_shape, start)
    b_block = None if b is None else Block(b, bias_global_shape, bias_start)
    fan = _fan_override("fan_in", fan_in)
    if fan is None:
        fan, _ = compute_fans(w_block.shape, "torch")
    seed, stream, _, threads = _rng(seed, stream, 0, threads, 0)
    if w is not None:
        _core._check_offset(offset, w_block.size, bool(w_block.kw))
    if b is not None:
        _core._check_offset(bias_offset, b_block.size, bool(b_block.kw))
    if w is not None:
        kaiming_uniform(w, a=math.sqrt(5), fan_in=fan_in, seed=seed, stream=stream,
                        offset=offset, threads=threads, global_shape=global_shape,
                        start=start)
    if b is not None:
        bound = 1 / math.sqrt(fan) if fan > 0 else 0.0
        _core.uniform(b, -bound if bound else 0.0, bound, seed=seed,
                      stream=derived_stream(stream, "bias"), offset=bias_offset,
                      threads=threads, **b_block.kw)
    return weight, bias
