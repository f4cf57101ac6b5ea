"""Seed checkpoints: ``save_initialized`` writes a meta model's initialized
state dict straight into a memory-mapped safetensors file.
"""
import json
import os

import numpy as np
import torch
from torch import nn

from ._meta import _cpu_empty, _materialize_tensors
from ._model import init_


_SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
                       torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32",
                       torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
                       torch.bool: "BOOL"}


def save_initialized(model, path, seed=None, rules=None, *, base="own",
                     initializer_range=None, unrouted="raise", metadata=None):
    """Write the state dict of ``model`` (built on the meta device) as
    initialized by ``materialize_`` with these arguments straight into the
    safetensors file ``path``: the file is laid out first, memory-mapped, and
    each tensor is filled in place in it, so the model is never held in
    memory (the parameters live in the file's pages while the init code runs,
    and go back to meta afterwards).  Tied parameters are stored once, under
    their first name.  Readable by ``safetensors.torch.load_file``; equal to
    ``materialize_(model, seed)``'s state dict."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    path = os.fspath(path)
    state = model.state_dict(keep_vars=True)
    entries, seen, offset = [], {}, 0
    for key, t in state.items():
        if id(t) in seen:
            continue
        if t.dtype not in _SAFETENSORS_DTYPES:
            raise TypeError(f"{key} has dtype {t.dtype}, which safetensors cannot store")
        seen[id(t)] = key
        nbytes = t.numel() * t.element_size()
        entries.append((key, t, offset, offset + nbytes))
        offset += nbytes
    header = {k: {"dtype": _SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                  "data_offsets": [a, b]} for k, t, a, b in entries}
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)          # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        f.truncate(8 + len(raw) + offset)
    mm = np.memmap(path, mode="r+", dtype=np.uint8, offset=8 + len(raw),
                   shape=(max(offset, 1),)) if offset else None
    regions = {id(t): (a, b) for _, t, a, b in entries}
    real_buffers = {id(t): t for _, t, _, _ in entries if not t.is_meta}

    def alloc(t):
        region = regions.get(id(t))
        if region is None:              # a non-persistent buffer: ordinary memory
            return _cpu_empty(t)
        a, b = region
        return torch.from_numpy(mm[a:b]).view(t.dtype).view(t.shape)
    saved = {id(m): (dict(m._parameters), dict(m._buffers)) for m in model.modules()}
    try:
        needs, built = _materialize_tensors(model, alloc)
        init_(model, seed, rules, base=base, initializer_range=initializer_range,
              unrouted=unrouted, untouched="raise", _needs=needs, _built=built)
        for key, t in model.state_dict(keep_vars=True).items():   # real buffers: copy in
            if key in header and id(state[key]) in real_buffers:
                a, b = regions[id(state[key])]
                torch.from_numpy(mm[a:b]).view(t.dtype).view(t.shape).copy_(t)
        if mm is not None:
            mm.flush()
    finally:
        for m in model.modules():       # back to meta: the file holds the values
            params, buffers = saved[id(m)]
            m._parameters.update(params)
            m._buffers.update(buffers)
    return path
