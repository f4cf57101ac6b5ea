"""Tensors as NumPy views: the zero-copy array of a CPU tensor's storage
(bfloat16 through ml_dtypes), and which tensors are DTensors or on meta.
"""
import sys

import numpy as np
import torch

from .. import _core


_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64,
                 torch.float16: np.float16}


def _dtensor_type():
    # no import: torch.distributed.tensor takes seconds to import, and no
    # tensor can be a DTensor before someone has imported it
    mod = sys.modules.get("torch.distributed.tensor")
    return getattr(mod, "DTensor", None)


def _is_dtensor(t):
    cls = _dtensor_type()
    return cls is not None and isinstance(t, cls)


def as_array(tensor, name="tensor"):
    """A NumPy array sharing ``tensor``'s memory, with its shape and strides
    (zero-copy; bfloat16 as ``ml_dtypes.bfloat16``).  ``tensor`` may be a
    Parameter, require grad, be non-contiguous or channels_last.  Writing
    through it bypasses autograd, as a fill under ``torch.no_grad()`` does.

    Raises TypeError for a non-tensor, an unsupported dtype or layout, and
    ValueError for a meta or non-CPU tensor (saying what to do instead).
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if _is_dtensor(tensor):
        raise TypeError(f"{name} is a DTensor: fill it with the fastinit.torch functions "
                        f"(they fill its local shard with its block of the global tensor), "
                        f"or fill tensor.to_local() with global_shape=/start=")
    if tensor.is_meta:
        raise ValueError(f"{name} is on the meta device and has no memory to fill: "
                         f"materialize the model with fastinit.torch.materialize_(model, "
                         f"seed=...), or allocate it first (torch.empty_like(t, "
                         f"device='cpu'))")
    if tensor.device.type != "cpu":
        raise ValueError(f"{name} is on {tensor.device}: fastinit fills CPU memory; "
                         f"initialize on the CPU and move the model (model.to(device)), "
                         f"or fill a CPU tensor and copy it (t.copy_(cpu_tensor))")
    if tensor.layout != torch.strided:
        raise TypeError(f"{name} has layout {tensor.layout}; only dense (strided) tensors "
                        f"can be filled")
    t = tensor.detach()
    if t.dtype == torch.bfloat16:
        if _core.BFLOAT16 is None:
            raise TypeError(f"{name} is bfloat16, which needs the ml_dtypes package "
                            f"(pip install 'fastinit[bfloat16]')")
        return t.view(torch.int16).numpy().view(_core.BFLOAT16)
    if t.dtype not in _NUMPY_DTYPES:
        raise TypeError(f"{name} has dtype {t.dtype}; fills need float32, float64, "
                        f"float16 or bfloat16")
    return t.numpy()


def _touched(tensor):
    # a fill through NumPy does not bump autograd's version counter; do it so
    # that a tensor saved for backward before the fill is detected, as after
    # torch's own in-place fills
    try:
        torch.autograd.graph.increment_version(tensor)
    except (RuntimeError, AttributeError):  # pragma: no cover - inference tensors
        pass


def _is_meta(t):
    return (t._local_tensor if _is_dtensor(t) else t).is_meta
