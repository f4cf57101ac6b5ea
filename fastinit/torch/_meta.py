"""The meta device: ``meta_init()`` builds a model without allocating its
parameters, ``materialize_`` allocates and initializes them.
"""
import contextlib

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from ._model import init_
from ._router import _ORIGINALS, _TORCH_NAMES, _patch_init_functions
from ._tensors import _is_dtensor, _is_meta


def _skip_on_meta(name):
    original = _ORIGINALS[name]

    def skip(tensor, *args, **kwargs):
        if isinstance(tensor, torch.Tensor) and _is_meta(tensor):
            return tensor
        return original(tensor, *args, **kwargs)
    skip.__name__ = name
    return skip


_SKIP_ON_META = {name: _skip_on_meta(name) for name in _TORCH_NAMES}
_META_NOOPS = frozenset({torch.Tensor.normal_, torch.Tensor.uniform_, torch.Tensor.random_,
                         torch.Tensor.bernoulli_, torch.Tensor.exponential_,
                         torch.Tensor.cauchy_, torch.Tensor.log_normal_,
                         torch.Tensor.geometric_})


_EMPTIES = frozenset({torch.empty, torch.empty_like, torch.empty_strided,
                      torch.Tensor.new_empty})
# A parameter of at most this many elements that its construction built from
# values (CLIP's logit_scale = nn.Parameter(torch.tensor(2.6592)), a
# 1e-6 * torch.ones(d) layer scale) keeps them through meta_init, as it does
# in a normally built model: materialize_ starts from them.
_BUILT_MAX = 1 << 16


class _MetaNoops(TorchFunctionMode):
    """Random fills of meta tensors do nothing -- and skip PyTorch's Python
    meta kernels, whose first call imports for seconds.  Records the storage
    of each new small empty CPU tensor: a parameter made from one holds no
    value.  The tensors are held until meta_init ends, so that no later
    tensor (a torch.tensor(2.6592)) can reuse a freed one's address."""

    def __init__(self):
        super().__init__()
        self.empties = {}       # storage address -> the empty tensor

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in _META_NOOPS and args and _is_meta(args[0]):
            return args[0]
        out = func(*args, **(kwargs or {}))
        if (func in _EMPTIES and isinstance(out, torch.Tensor) and not out.is_meta
                and out.numel() <= _BUILT_MAX):
            self.empties[out.untyped_storage().data_ptr()] = out
        return out


@contextlib.contextmanager
def meta_init():
    """Build a model whose parameters are on the meta device while its
    buffers are computed for real on the CPU (RoPE ``inv_freq``, masks), so
    that ``materialize_`` has their values.  Each parameter is created on
    the CPU (allocated, never touched) and moved to meta as it is
    registered (a small one built from values keeps them aside, see
    _BUILT_MAX); the init code then runs on meta tensors, where its fills do
    nothing.  (A model built under ``torch.device("meta")`` also works when
    its init code recomputes its buffers, as transformers' ``_init_weights``
    does for RoPE.)"""
    original = nn.Module.register_parameter
    noops = _MetaNoops()

    def register_parameter(self, name, param):
        original(self, name, param)
        p = self._parameters.get(name)
        if p is not None and not p.is_meta:
            meta = nn.Parameter(p.detach().to("meta"), requires_grad=p.requires_grad)
            meta.__dict__.update(p.__dict__)
            if (p.numel() <= _BUILT_MAX
                    and p.untyped_storage().data_ptr() not in noops.empties):
                meta.__dict__["_fastinit_built"] = p.detach()
            self._parameters[name] = meta
    nn.Module.register_parameter = register_parameter
    try:
        with _patch_init_functions(_SKIP_ON_META), noops:
            yield
    finally:
        nn.Module.register_parameter = original


def _cpu_empty(t):
    # empty_strided keeps a meta tensor's layout (channels_last); it is also
    # much cheaper than empty_like, which goes through Python references for meta
    return torch.empty_strided(t.size(), t.stride(), dtype=t.dtype, device="cpu")


def _materialize_tensors(model, alloc):
    """Replace every meta parameter and buffer by ``alloc(meta_tensor)``,
    keeping tied ones tied, and copy in the values that meta_init kept;
    returns the ids of the new tensors: (without values, with values)."""
    new, built = {}, set()
    for m in model.modules():
        for table, is_param in ((m._parameters, True), (m._buffers, False)):
            for name, t in list(table.items()):
                if t is None or not t.is_meta:
                    continue
                real = new.get(id(t))
                if real is None:
                    data = alloc(t)
                    value = t.__dict__.get("_fastinit_built")
                    if value is not None:
                        data.copy_(value)
                    real = nn.Parameter(data, requires_grad=t.requires_grad) if is_param \
                        else data
                    new[id(t)] = real
                    if value is not None:
                        built.add(id(real))
                table[name] = real
    return {id(t) for t in new.values()} - built, built


def materialize_(model, seed=None, rules=None, *, base="own", initializer_range=None,
                 unrouted="raise"):
    """Allocate every meta parameter and buffer of ``model`` on the CPU and
    initialize them as ``init_`` does (same arguments); tied parameters stay
    tied, buffers that are already real (``meta_init()``) keep their values.
    Every newly allocated tensor must be written by some init code or rule,
    else RuntimeError (nothing is left uninitialized) -- except the small
    parameters that meta_init saw built from values: they start from those
    values and are reported, as init_ reports them, when nothing writes
    them.  The result equals ``init_`` of the same model built normally,
    with the same seed."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if any(_is_dtensor(p) for p in model.parameters()):
        # FSDP2 / DTensor parameters: to_empty lets FSDP2 re-shard its own
        # parameters; the tensors that were on meta are those to initialize
        def named():
            return [(n, t) for n, t in list(model.named_parameters(remove_duplicate=False))
                    + list(model.named_buffers(remove_duplicate=False))]
        was_meta = {n for n, t in named() if _is_meta(t)}
        model.to_empty(device="cpu")
        needs, built = {id(t) for n, t in named() if n in was_meta}, set()
    else:
        needs, built = _materialize_tensors(model, _cpu_empty)
    return init_(model, seed, rules, base=base, initializer_range=initializer_range,
                 unrouted=unrouted, untouched="raise", _needs=needs, _built=built)
