"""fastinit for PyTorch: fill CPU tensors, initialize whole models by their
own init code, materialize models built on the meta device, write seed
checkpoints.

Three ways in (README, "PyTorch"):

* ``import fastinit.torch as init`` is a drop-in for ``torch.nn.init``: the
  same names, signatures, defaults and formulas, plus ``seed=``/``stream=``.
* ``init_(model, seed=0)`` runs the model's own initialization
  (``reset_parameters()``, HF ``_init_weights``...) with every random fill of
  a parameter or buffer made a fastinit fill on the stream named by its
  canonical qualified name: values depend on (seed, name, scheme) only.
* ``with meta_init(): model = Model(cfg)`` then ``materialize_(model, seed=0)``.

The tensors are filled in place through a zero-copy NumPy view of their
storage (their own strides), so every core fill and scheme applies as it is;
nothing here samples by itself.
"""
import contextlib
import fnmatch
import json
import os
import sys
import warnings

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from . import _core, _registry
from ._fans import calculate_gain as _calculate_gain
from ._fans import compute_fans
from ._generator import Generator

__all__ = [
    "as_array", "calculate_gain", "constant_", "dirac_", "eye_", "fill_", "init_",
    "kaiming_normal_", "kaiming_uniform_", "materialize_", "meta_init", "normal_",
    "ones_", "orthogonal_", "save_initialized", "sparse_", "trunc_normal_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_", "canonical_name",
    "UnroutedInitWarning",
]

_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64,
                 torch.float16: np.float16}


class UnroutedInitWarning(UserWarning):
    """A random draw inside ``init_`` that fastinit could not make its own."""


def _dtensor_type():
    # no import: torch.distributed.tensor takes seconds to import, and no
    # tensor can be a DTensor before someone has imported it
    mod = sys.modules.get("torch.distributed.tensor")
    return getattr(mod, "DTensor", None)


def _is_dtensor(t):
    cls = _dtensor_type()
    return cls is not None and isinstance(t, cls)


# ---- tensors as NumPy views --------------------------------------------------------

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


# ---- the fill of one tensor by one registry scheme ---------------------------------------

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


# The schemes whose values are element-wise (a fill with a scale from the fans):
# each element depends on its logical index only.
_ELEMENTWISE = frozenset({"uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                          "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                          "constant_", "zeros_", "ones_"})


def _torch_generator_error():
    return TypeError("generator: a torch.Generator cannot drive fastinit's fills; pass "
                     "seed= and stream= (or a fastinit.Generator as generator=)")


def _init(tensor, scheme, args, generator, seed, stream, kwargs=None):
    """The drop-in functions' common body: route through an active ``init_``
    (when seed, stream and generator are all left out), else fill directly."""
    kwargs = kwargs or {}
    router = _Router.active
    if router is not None and seed is None and stream is None:
        return router.fill(tensor, scheme, args, kwargs)
    if generator is not None:
        if not isinstance(generator, Generator):
            if isinstance(generator, torch.Generator):
                raise _torch_generator_error()
            raise TypeError(f"generator must be a fastinit.Generator or None, got "
                            f"{type(generator).__name__}")
        if seed is not None or stream is not None:
            raise TypeError("give generator= or seed=/stream=, not both")
        if not _registry.is_random(scheme):
            return _fill(tensor, scheme, args, kwargs, None, 0)
        seed = generator.seed
        stream = _core.stream_id(f"{generator.name}#{generator.calls}")
        out = _fill(tensor, scheme, args, kwargs, seed, stream)
        generator.calls += 1
        return out
    return _fill(tensor, scheme, args, kwargs, seed, 0 if stream is None else stream)


# ---- the torch.nn.init names ---------------------------------------------------------------

def calculate_gain(nonlinearity, param=None):
    """``torch.nn.init.calculate_gain`` (fastinit's table: also case-insensitive)."""
    return _calculate_gain(nonlinearity, param)


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
    return _init(tensor, "constant_", (val,), None, None, None)


def ones_(tensor):
    """``torch.nn.init.ones_``."""
    return _init(tensor, "ones_", (), None, None, None)


def zeros_(tensor):
    """``torch.nn.init.zeros_``."""
    return _init(tensor, "zeros_", (), None, None, None)


def eye_(tensor):
    """``torch.nn.init.eye_``: the identity on a 2-D tensor."""
    return _init(tensor, "eye_", (), None, None, None)


def dirac_(tensor, groups=1):
    """``torch.nn.init.dirac_``."""
    return _init(tensor, "dirac_", (groups,), None, None, None)


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


_TORCH_NAMES = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
                "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                "kaiming_normal_", "orthogonal_", "sparse_")


# ---- canonical names --------------------------------------------------------------------------

# Attributes under which wrappers hold the model: torch.compile's OptimizedModule,
# FSDP1, activation checkpointing, DDP/DataParallel ("module", only stripped
# where its parent is a pure wrapper: its only child, no tensors of its own).
_WRAPPER_ATTRS = ("_orig_mod", "_fsdp_wrapped_module", "_checkpoint_wrapped_module")


def _wrapper_paths(model):
    """Module paths (as tuples) whose last component is a wrapper attribute."""
    paths = set()
    for path, mod in model.named_modules(remove_duplicate=False):
        children = list(mod.named_children())
        if len(children) != 1:
            continue
        attr = children[0][0]
        pure = (not mod._parameters and not mod._buffers)
        if attr in _WRAPPER_ATTRS or (attr == "module" and pure):
            prefix = tuple(path.split(".")) if path else ()
            paths.add(prefix + (attr,))
    return paths


def canonical_name(name, wrappers=()):
    """``name`` without wrapper components (``_orig_mod.``, ``module.`` of
    DDP-style wrappers, ``_fsdp_wrapped_module.``, ``_checkpoint_wrapped_module.``).
    ``wrappers``: the wrapper paths of the model (computed by ``init_``);
    without them only the unambiguous attributes are stripped."""
    parts = name.split(".")
    out = []
    for i, p in enumerate(parts):
        if p in _WRAPPER_ATTRS or tuple(parts[:i + 1]) in wrappers:
            continue
        out.append(p)
    return ".".join(out)


# ---- the router: the model's own init code with fastinit fills ---------------------------------

class _Target:
    __slots__ = ("name", "qual", "tensor", "aliases", "is_buffer", "written", "fills",
                 "rule", "covered")

    def __init__(self, name, qual, tensor, is_buffer):
        self.name = name
        self.qual = qual        # the qualified name in the model as given
        self.tensor = tensor
        self.aliases = [name]
        self.is_buffer = is_buffer
        self.written = False
        self.fills = []
        self.rule = None
        self.covered = 0        # elements written by fills of blocks

    def wrote_block(self, n):
        self.covered += n
        if self.covered >= self.tensor.numel():
            self.written = True


def _storage_key(t):
    if _is_dtensor(t):
        t = t._local_tensor
    if t.is_meta or t.numel() == 0:
        return None
    return t.untyped_storage().data_ptr()


def _targets(model):
    """{storage pointer: [_Target]} and the ordered list of targets, one per
    distinct tensor (tied parameters: one target, the first name)."""
    wrappers = _wrapper_paths(model)
    by_id, order = {}, []
    items = [(n, t, False) for n, t in model.named_parameters(remove_duplicate=False)]
    items += [(n, t, True) for n, t in model.named_buffers(remove_duplicate=False)]
    for qual, t, is_buffer in items:
        name = canonical_name(qual, wrappers)
        tgt = by_id.get(id(t))
        if tgt is not None:
            if name not in tgt.aliases:
                tgt.aliases.append(name)
            continue
        tgt = by_id[id(t)] = _Target(name, qual, t, is_buffer)
        order.append(tgt)
    names = {}
    for tgt in order:
        if tgt.name in names:
            raise ValueError(f"two tensors have the canonical name {tgt.name!r} (after "
                             f"stripping wrapper prefixes): {names[tgt.name]!r} and "
                             f"{tgt.aliases[0]!r}")
        names[tgt.name] = tgt.name
    by_storage = {}
    for tgt in order:
        key = _storage_key(tgt.tensor)
        if key is not None:
            by_storage.setdefault(key, []).append(tgt)
    return by_storage, order


def _c_strides(shape):
    strides, s = [], 1
    for d in reversed(shape):
        strides.append(s)
        s *= d
    return tuple(reversed(strides))


def _block_of(t, parent):
    """(start, block shape) when ``t`` is a rectangular block of the
    contiguous tensor ``parent`` (a slice, a row, a narrow()), else None."""
    if t.dtype != parent.dtype or not parent.is_contiguous():
        return None
    pshape = tuple(parent.shape)
    k = parent.dim() - t.dim()
    if k < 0:
        return None
    pstrides = _c_strides(pshape)
    tshape = tuple(t.shape)
    for d, (n, s) in enumerate(zip(tshape, t.stride())):
        if n > 1 and s != pstrides[k + d]:
            return None
    delta = t.storage_offset() - parent.storage_offset()
    if delta < 0:
        return None
    start = []
    for s in pstrides:
        start.append(delta // s)
        delta %= s
    bshape = (1,) * k + tshape
    if any(a + n > p for a, n, p in zip(start, bshape, pshape)):
        return None
    return tuple(start), bshape


class _Router(TorchFunctionMode):
    """Active during ``init_``: fills of the model's parameters and buffers
    become fastinit fills on their canonical names; other random draws are
    reported."""

    active = None

    def __init__(self, model, seed, unrouted):
        super().__init__()
        self.seed = _core.check_seed(seed)
        self.unrouted = _core._choice("unrouted", unrouted, ("raise", "warn"))
        self.by_storage, self.order = _targets(model)
        self.by_id = {id(t.tensor): t for t in self.order}
        self.passthrough = 0
        self.in_rule = None
        self.reports = []

    # -- locating a tensor ------------------------------------------------------
    def locate(self, t):
        """(target, None) for a whole target, (target, (start, shape)) for a
        block of one, None for a tensor that is not (part of) a target."""
        tgt = self.by_id.get(id(t))
        if tgt is not None and tgt.tensor is t:
            return tgt, None        # (also a DTensor whose local shard is empty)
        key = _storage_key(t) if isinstance(t, torch.Tensor) else None
        for tgt in self.by_storage.get(key, ()):
            p = tgt.tensor
            if t is p:
                return tgt, None
            if _is_dtensor(p) or _is_dtensor(t):
                if _is_dtensor(p) and _is_dtensor(t) and t.shape == p.shape:
                    return tgt, None
                continue
            if (t.storage_offset() == p.storage_offset() and t.shape == p.shape
                    and t.stride() == p.stride() and t.dtype == p.dtype):
                return tgt, None
            block = _block_of(t, p)
            if block is not None:
                return tgt, block
        return None

    def report(self, what, fallback):
        self.reports.append(what)
        if self.unrouted == "raise":
            raise RuntimeError(f"fastinit.torch.init_: {what}. fastinit cannot make it a "
                               f"fill of a named parameter; initialize that tensor with a "
                               f"rule (rules={{'name': scheme}}), or pass unrouted='warn' "
                               f"to let PyTorch draw it (not reproducible by fastinit)")
        warnings.warn(f"fastinit.torch.init_: {what}; left to PyTorch's generator",
                      UnroutedInitWarning, stacklevel=4)
        self.passthrough += 1
        try:
            return fallback()
        finally:
            self.passthrough -= 1

    # -- a fill by a torch.nn.init name ------------------------------------------
    def fill(self, tensor, scheme, args, kwargs, original=None):
        if tensor.numel() == 0 and not _is_dtensor(tensor):
            return _fill(tensor, scheme, args, kwargs, self.seed, 0)
        self.passthrough += 1
        try:
            loc = self.locate(tensor)
        finally:
            self.passthrough -= 1
        random = _registry.is_random(scheme)
        if loc is None:
            if not random:
                return _fill(tensor, scheme, args, kwargs, None, 0)
            fallback = original or (lambda: _fill(tensor, scheme, args, kwargs, None, 0))
            return self.report(f"{scheme} of a {tuple(tensor.shape)} tensor that is not "
                               f"(a block of) a parameter or buffer of the model", fallback)
        tgt, block = loc
        if tgt.rule is not None and self.in_rule is not tgt:
            return tensor       # a rule fills it afterwards
        if (random and len(tgt.aliases) > 1 and self.in_rule is not tgt
                and any(_registry.is_random(f) for f in tgt.fills)):
            # a tied parameter is filled once, by the first module that owns it
            # (as in construction, where tying keeps the first module's values)
            return tensor
        self.passthrough += 1
        try:
            if block is None:
                _fill(tensor, scheme, args, kwargs, self.seed, tgt.name)
                tgt.written = True
            else:
                self._fill_block(tgt, tensor, block, scheme, args, kwargs)
                tgt.wrote_block(tensor.numel())
        finally:
            self.passthrough -= 1
        tgt.fills.append(scheme)
        return tensor

    def _fill_block(self, tgt, tensor, block, scheme, args, kwargs):
        """A fill of a block of a parameter (a slice, a row): its elements
        take the logical indices they have in the whole parameter (the core's
        block fill); fans are the block's own, as torch.nn.init computes them
        from the tensor it is given."""
        start, bshape = block
        if not _registry.is_random(scheme):
            _fill(tensor, scheme, args, kwargs, None, 0)
        elif scheme not in _ELEMENTWISE:
            # a structured scheme of the block's own shape, on a stream of its own
            _fill(tensor, scheme, args, kwargs, self.seed, f"{tgt.name}@{list(start)}")
        else:
            if scheme.startswith(("xavier", "kaiming")):
                fi, fo = compute_fans(tuple(tensor.shape))
                kwargs = dict(kwargs, fan_in=fi, fan_out=fo)
            arr = as_array(tensor).reshape(bshape)     # leading 1s: still a view
            _registry.get(scheme)(arr, *args, seed=self.seed, stream=tgt.name,
                                  global_shape=tuple(tgt.tensor.shape), start=start,
                                  **kwargs)
            _touched(tensor)

    # -- calls of torch functions and Tensor methods --------------------------------
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if self.passthrough:
            return func(*args, **kwargs)
        routed = _TENSOR_METHODS.get(func)
        if routed is not None:
            scheme, params = routed
            tensor, rest = args[0], args[1:]
            values = [kwargs.get(p, d) for p, d in params]
            values[:len(rest)] = rest
            return self.fill(tensor, scheme, tuple(values), {})
        init_name = _INIT_FUNCTIONS.get(func)
        if init_name is not None:     # an early-bound original torch.nn.init function
            return _PATCHED[init_name](*args, **kwargs)
        if func in _UNROUTABLE:
            return self.report(f"{getattr(func, '__name__', func)} draws random numbers "
                               f"that no parameter's fill routes",
                               lambda: func(*args, **kwargs))
        name = getattr(func, "__name__", "")
        target = None
        if (name.endswith("_") and not name.endswith("__") and args
                and isinstance(args[0], torch.Tensor)):
            target = self.locate(args[0])
            if target is not None:
                tgt, block = target
                if tgt.rule is not None and self.in_rule is not tgt:
                    return args[0]      # a rule fills it afterwards
        result = func(*args, **kwargs)
        if target is not None:
            if target[1] is None:
                target[0].written = True
            else:
                target[0].wrote_block(args[0].numel())
        return result


_TENSOR_METHODS = {
    torch.Tensor.uniform_: ("uniform_", (("from", 0.0), ("to", 1.0))),
    torch.Tensor.normal_: ("normal_", (("mean", 0.0), ("std", 1.0))),
}
# Random draws fastinit cannot route: reported, never silently left to PyTorch.
_UNROUTABLE = frozenset(f for f in (
    torch.Tensor.random_, torch.Tensor.bernoulli_, torch.Tensor.exponential_,
    torch.Tensor.cauchy_, torch.Tensor.log_normal_, torch.Tensor.geometric_,
    torch.rand, torch.randn, torch.randint, torch.randperm, torch.normal, torch.rand_like,
    torch.randn_like, torch.randint_like, torch.bernoulli, torch.multinomial, torch.poisson,
    getattr(torch, "rrelu", None)) if f is not None)

_ORIGINALS = {name: getattr(torch.nn.init, name) for name in _TORCH_NAMES}
_INIT_FUNCTIONS = {fn: name for name, fn in _ORIGINALS.items()}


def _patched(name):
    """The stand-in for ``torch.nn.init.<name>`` while ``init_`` runs."""
    original = _ORIGINALS[name]

    def routed(tensor, *args, **kwargs):
        router = _Router.active
        if router is None or router.passthrough:
            return original(tensor, *args, **kwargs)
        kwargs.pop("generator", None)       # the router replaces any generator
        args = args[:_GENERATOR_POS[name]]
        return router.fill(tensor, name, args, kwargs,
                           lambda: original(tensor, *args, **kwargs))
    routed.__name__ = name
    routed.__doc__ = original.__doc__
    return routed


# position of the generator argument in each torch.nn.init signature (after tensor)
_GENERATOR_POS = {"uniform_": 2, "normal_": 2, "trunc_normal_": 4, "constant_": 1,
                  "ones_": 0, "zeros_": 0, "eye_": 0, "dirac_": 1, "xavier_uniform_": 1,
                  "xavier_normal_": 1, "kaiming_uniform_": 3, "kaiming_normal_": 3,
                  "orthogonal_": 1, "sparse_": 2}
_PATCHED = {name: _patched(name) for name in _TORCH_NAMES}

# Where init functions are bound by name at import (transformers patches the same list).
_TORCH_MODULES = ("torch.nn.init", "torch.nn.modules.activation",
                  "torch.nn.modules.transformer", "torch.nn.modules.linear",
                  "torch.nn.modules.loss", "torch.nn.modules.batchnorm",
                  "torch.nn.modules.conv", "torch.nn.modules.normalization",
                  "torch.nn.modules.rnn", "torch.nn.modules.sparse")


@contextlib.contextmanager
def _patch_init_functions(replacements=None):
    """torch.nn.init's functions replaced by ``replacements`` (name ->
    function; default: the router's), wherever they are bound by name."""
    replacements = _PATCHED if replacements is None else replacements
    saved = []
    try:
        for modname in _TORCH_MODULES:
            mod = sys.modules.get(modname)
            for name in _TORCH_NAMES:
                if mod is not None and getattr(mod, name, None) is _ORIGINALS[name]:
                    saved.append((mod, name))
                    setattr(mod, name, replacements[name])
        hf = sys.modules.get("transformers.initialization")
        table = getattr(hf, "TORCH_INIT_FUNCTIONS", None)
        hf_saved = dict(table) if isinstance(table, dict) else None
        if hf_saved is not None:
            for name in _TORCH_NAMES:
                if name in table:
                    table[name] = replacements[name]
        yield
    finally:
        for mod, name in saved:
            setattr(mod, name, _ORIGINALS[name])
        if hf_saved is not None:
            table.update(hf_saved)


# ---- the model's own init code -----------------------------------------------------------------

def _post_order(model):
    seen, out = set(), []

    def visit(m):
        if id(m) in seen:
            return
        seen.add(id(m))
        for c in m.children():
            visit(c)
        out.append(m)
    visit(model)
    return out


def _torch_defaults(model):
    """Each module's ``reset_parameters()`` (or ``_reset_parameters()``,
    e.g. nn.MultiheadAttention, nn.Transformer), children before parents: the
    order in which construction runs them."""
    for m in _post_order(model):
        fn = getattr(m, "reset_parameters", None) or getattr(m, "_reset_parameters", None)
        if callable(fn):
            fn()


def _hf_model(model):
    hf = sys.modules.get("transformers")
    base = getattr(hf, "PreTrainedModel", None) if hf is not None else None
    if base is None:
        return None
    for m in model.modules():
        if isinstance(m, base):
            return m
    return None


def _hf_own(model):
    """transformers' own init: ``initialize_weights()`` (``_init_weights``
    on every module, RoPE buffers included), with its "already initialized"
    flags cleared so that everything is initialized again."""
    hf = _hf_model(model)
    for m in hf.modules():
        m.__dict__.pop("_is_hf_initialized", None)
    for t in list(hf.parameters()) + list(hf.buffers()):
        t.__dict__.pop("_is_hf_initialized", None)
    if hasattr(hf, "initialize_weights"):       # transformers >= 4.50
        hf.initialize_weights()
    else:                                       # older: what its init_weights applies
        hf.apply(hf._initialize_weights)


def _is_norm(m):
    name = type(m).__name__
    return (isinstance(m, (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase))
            or "LayerNorm" in name or "RMSNorm" in name)


def _hf_rules(model, std):
    """transformers' conventions on any model: Linear, Conv and HF Conv1D
    weights and Embeddings N(0, std^2), biases 0, norms 1 (and 0 biases);
    other modules keep their reset_parameters()."""
    for m in _post_order(model):
        kind = type(m).__name__
        if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)) or kind == "Conv1D":
            normal_(m.weight, 0.0, std)
            if getattr(m, "bias", None) is not None:
                zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            normal_(m.weight, 0.0, std)
            if m.padding_idx is not None:
                zeros_(m.weight[m.padding_idx])
        elif _is_norm(m):
            if getattr(m, "weight", None) is not None:
                ones_(m.weight)
            if getattr(m, "bias", None) is not None:
                zeros_(m.bias)
            if isinstance(m, nn.modules.batchnorm._NormBase):
                m.reset_running_stats()
        elif isinstance(m, nn.MultiheadAttention):
            m._reset_parameters()
        else:
            fn = getattr(m, "reset_parameters", None)
            if callable(fn):
                fn()


def _rule_fn(scheme):
    """A rule's scheme as a function of the tensor (run under the router)."""
    if callable(scheme):
        return scheme
    kwargs = {}
    if isinstance(scheme, tuple) and len(scheme) == 2 and isinstance(scheme[1], dict):
        scheme, kwargs = scheme
    if not isinstance(scheme, str):
        raise TypeError(f"a rule's scheme must be a name, a (name, kwargs) pair or a "
                        f"callable, got {scheme!r}")
    _registry.get(scheme)       # unknown names raise here, before anything is filled
    return lambda t: fill_(t, scheme, **kwargs)


def _parse_rules(rules):
    if rules is None:
        return []
    items = list(rules.items()) if isinstance(rules, dict) else list(rules)
    out = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(f"rules: each rule is a (pattern, scheme) pair, got {item!r}")
        out.append((item[0], _rule_fn(item[1])))
    return out


def _replaced(model, tgt):
    """Whether the init code registered a new, real tensor in tgt's place."""
    path, _, attr = tgt.qual.rpartition(".")
    try:
        owner = model.get_submodule(path)
    except AttributeError:
        return False
    now = (owner._buffers if tgt.is_buffer else owner._parameters).get(attr)
    return now is not None and now is not tgt.tensor and not _is_meta(now)


def init_(model, seed=None, rules=None, *, base="own", initializer_range=None,
          unrouted="raise", untouched="warn", return_report=False, _needs=None):
    """Initialize ``model`` in place by its own init code, every random fill
    made a fastinit fill; returns ``model``.

    Each parameter and buffer is filled on the stream named by its canonical
    qualified name (wrapper prefixes such as ``_orig_mod.`` or ``module.``
    stripped; tied parameters share the first name): values depend on
    ``(seed, name, scheme)`` only, not on other layers, the vocabulary size of
    the embedding next door, wrappers or the order of the init code.

    base: ``"own"`` -- the model's own init code: transformers' ``_init_weights``
    for a ``PreTrainedModel``, each module's ``reset_parameters()`` otherwise;
    ``"torch"`` -- each module's ``reset_parameters()`` / ``_reset_parameters()``
    (PyTorch's module defaults), children first; ``"hf"`` -- transformers'
    conventions on any model: N(0, initializer_range^2) for Linear/Conv/Conv1D
    weights and embeddings, zero biases, unit norms (``initializer_range``
    defaults to ``model.config.initializer_range``, else 0.02); or a callable
    ``base(model)`` (e.g. torchtitan's ``lambda m: m.init_weights()``).

    rules: ``{pattern: scheme}`` or a list of pairs, applied after ``base`` to
    the parameters/buffers whose canonical name matches the ``fnmatch``
    pattern (first match wins; ``base`` then leaves them alone).  A scheme is
    a name ``fastinit.get`` knows (``"normal_"``, ``"he_normal"``...), a
    ``(name, kwargs)`` pair, or a callable ``f(tensor)`` (its torch.nn.init
    calls are routed too).

    Inside, every ``torch.nn.init`` function (also transformers' and the ones
    bound by name in torch's modules), ``Tensor.uniform_``/``normal_`` and the
    ``fastinit.torch`` functions called without seed/stream fill through
    fastinit.  A random draw that cannot be routed (``torch.randn``, a fill
    of a tensor that is no parameter or buffer -- e.g. the scratch of an
    orthogonal init written by hand) raises RuntimeError (``unrouted="raise"``)
    or warns ``UnroutedInitWarning`` and lets PyTorch draw it
    (``unrouted="warn"``).  Parameters no init code wrote are reported by
    ``untouched``: ``"warn"`` (they keep their values), ``"raise"``, or
    ``"ignore"``.  ``return_report=True`` returns ``(model, {name: [the
    schemes that filled it, in order]})``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    untouched = _core._choice("untouched", untouched, ("warn", "raise", "ignore"))
    rule_list = _parse_rules(rules)
    if isinstance(base, str):
        base_key = _core._choice("base", base, ("own", "torch", "hf"))
    elif callable(base):
        base_key = None
    else:
        raise TypeError(f"base must be 'own', 'torch', 'hf' or a callable, got {base!r}")
    if base_key == "hf":
        std = initializer_range
        if std is None:
            cfg = getattr(_hf_model(model) or model, "config", None)
            std = getattr(cfg, "initializer_range", None) or 0.02
        run_base = lambda m: _hf_rules(m, std)  # noqa: E731
    elif base_key == "torch":
        run_base = _torch_defaults
    elif base_key == "own":
        run_base = _hf_own if _hf_model(model) is not None else _torch_defaults
    else:
        run_base = base
    router = _Router(model, seed, unrouted)
    for tgt in router.order:
        if _is_meta(tgt.tensor):
            raise ValueError(f"{tgt.name} is on the meta device: use "
                             f"fastinit.torch.materialize_(model, seed=...)")
        for pattern, fn in rule_list:
            if fnmatch.fnmatchcase(tgt.name, pattern):
                tgt.rule = fn
                break
    if _Router.active is not None:
        raise RuntimeError("fastinit.torch.init_ is already running (not re-entrant)")
    _Router.active = router
    try:
        with torch.no_grad(), _patch_init_functions(), router:
            run_base(model)
            for tgt in router.order:
                if tgt.rule is not None:
                    router.in_rule = tgt
                    tgt.rule(tgt.tensor)
                    router.in_rule = None
                    tgt.written = True
    finally:
        _Router.active = None
    for tgt in router.order:
        if not tgt.written and _replaced(model, tgt):
            tgt.written = True      # the init code assigned a new tensor (self.freqs = ...)
    needs = router.order if _needs is None else [t for t in router.order
                                                 if id(t.tensor) in _needs]
    missing = [t.name for t in needs if not t.written and (not t.is_buffer or _needs)]
    if missing and untouched != "ignore":
        msg = (f"no init code wrote {len(missing)} tensor(s): {', '.join(missing[:10])}"
               f"{' ...' if len(missing) > 10 else ''}; give them a rule "
               f"(rules={{'{missing[0]}': scheme}}) or a reset_parameters()")
        if untouched == "raise":
            raise RuntimeError(f"fastinit.torch: {msg}")
        warnings.warn(f"fastinit.torch.init_: {msg} (they keep their values)",
                      UserWarning, stacklevel=2)
    if return_report:
        return model, {t.name: list(t.fills) for t in router.order}
    return model


# ---- meta device ------------------------------------------------------------------------------

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


class _MetaNoops(TorchFunctionMode):
    """Random fills of meta tensors do nothing -- and skip PyTorch's Python
    meta kernels, whose first call imports for seconds."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in _META_NOOPS and args and _is_meta(args[0]):
            return args[0]
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def meta_init():
    """Build a model whose parameters are on the meta device while its
    buffers are computed for real on the CPU (RoPE ``inv_freq``, masks), so
    that ``materialize_`` has their values.  Each parameter is created on
    the CPU (allocated, never touched) and moved to meta as it is
    registered; the init code then runs on meta tensors, where its fills do
    nothing.  (A model built under ``torch.device("meta")`` also works when
    its init code recomputes its buffers, as transformers' ``_init_weights``
    does for RoPE.)"""
    original = nn.Module.register_parameter

    def register_parameter(self, name, param):
        original(self, name, param)
        p = self._parameters.get(name)
        if p is not None and not p.is_meta:
            meta = nn.Parameter(p.detach().to("meta"), requires_grad=p.requires_grad)
            meta.__dict__.update(p.__dict__)
            self._parameters[name] = meta
    nn.Module.register_parameter = register_parameter
    try:
        with _patch_init_functions(_SKIP_ON_META), _MetaNoops():
            yield
    finally:
        nn.Module.register_parameter = original


def _is_meta(t):
    return (t._local_tensor if _is_dtensor(t) else t).is_meta


def _cpu_empty(t):
    # empty_strided keeps a meta tensor's layout (channels_last); it is also
    # much cheaper than empty_like, which goes through Python references for meta
    return torch.empty_strided(t.size(), t.stride(), dtype=t.dtype, device="cpu")


def _materialize_tensors(model, alloc):
    """Replace every meta parameter and buffer by ``alloc(meta_tensor)``,
    keeping tied ones tied; returns the ids of the new tensors."""
    new = {}
    for m in model.modules():
        for table, is_param in ((m._parameters, True), (m._buffers, False)):
            for name, t in list(table.items()):
                if t is None or not t.is_meta:
                    continue
                real = new.get(id(t))
                if real is None:
                    data = alloc(t)
                    real = nn.Parameter(data, requires_grad=t.requires_grad) if is_param \
                        else data
                    new[id(t)] = real
                table[name] = real
    return {id(t) for t in new.values()}


def materialize_(model, seed=None, rules=None, *, base="own", initializer_range=None,
                 unrouted="raise"):
    """Allocate every meta parameter and buffer of ``model`` on the CPU and
    initialize them as ``init_`` does (same arguments); tied parameters stay
    tied, buffers that are already real (``meta_init()``) keep their values.
    Every newly allocated tensor must be written by some init code or rule,
    else RuntimeError (nothing is left uninitialized).  The result equals
    ``init_`` of the same model built normally, with the same seed."""
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
        needs = {id(t) for n, t in named() if n in was_meta}
    else:
        needs = _materialize_tensors(model, _cpu_empty)
    return init_(model, seed, rules, base=base, initializer_range=initializer_range,
                 unrouted=unrouted, untouched="raise", _needs=needs)


# ---- seed checkpoints ------------------------------------------------------------------------

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
        needs = _materialize_tensors(model, alloc)
        init_(model, seed, rules, base=base, initializer_range=initializer_range,
              unrouted=unrouted, untouched="raise", _needs=needs)
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
