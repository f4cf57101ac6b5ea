"""The fill of one tensor by one registry scheme; a DTensor's local shard
gets its block of the global tensor.
"""
import warnings

from .. import _registry
from ._tensors import _is_dtensor, _touched, as_array


# ---- block of a DTensor shard -------------------------------------------------------

def _shard_block(dt):
    """(local tensor, global_shape, start) of a DTensor's local shard."""
    from torch.distributed.tensor import Partial
    if any(isinstance(p, Partial) for p in dt.placements):
        raise ValueError(f"a DTensor with a Partial placement ({dt.placements}) holds no "
                         f"block of the tensor's values; fill a Shard/Replicate one")
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset
    local = dt._local_tensor
    shape, start = compute_local_shape_and_global_offset(dt.shape, dt.device_mesh,
                                                         dt.placements)
    if tuple(shape) != tuple(local.shape):  # pragma: no cover - defensive
        raise ValueError(f"the local shard has shape {tuple(local.shape)}, its placements "
                         f"say {tuple(shape)}")
    return local, tuple(dt.shape), tuple(int(s) for s in start)


def _fill(tensor, scheme, args, kwargs, seed, stream, offset=0):
    """The registry scheme ``scheme`` on ``tensor`` (a Tensor, Parameter or
    DTensor) in place; returns ``tensor``.  A DTensor's local shard gets its
    block of the global tensor (the core's block fill: logical indices, fans
    and bounds of the global tensor), so the shards assemble to the fill of
    the whole tensor bit for bit, whatever the mesh and placements."""
    fn = _registry.get(scheme)
    rng = dict(seed=seed, stream=stream, offset=offset) if _registry.is_random(fn) else {}
    if _is_dtensor(tensor):
        local, global_shape, start = _shard_block(tensor)
        fn(as_array(local), *args, global_shape=global_shape, start=start, **rng, **kwargs)
        _touched(local)
        return tensor
    if tensor.numel() == 0 and scheme in ("kaiming_uniform_", "kaiming_normal_"):
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning,
                      stacklevel=4)
        return tensor
    fn(as_array(tensor), *args, **rng, **kwargs)
    _touched(tensor)
    return tensor
