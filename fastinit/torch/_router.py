"""The router of ``init_``: a TorchFunctionMode plus stand-ins for the
``torch.nn.init`` functions, so that every fill of a parameter or buffer
becomes a fastinit fill on its canonical name.
"""
import contextlib
import sys
import warnings
import weakref

import torch
from torch.overrides import TorchFunctionMode

from .. import _core, _registry
from .._fans import compute_fans
from ._fill_tensor import _fill
from ._parametrized import computed_values, fill_parametrized
from ._names import _wrapper_paths, canonical_name
from ._targets import _block_of, _storage_key, _targets
from ._tensors import _is_dtensor, _touched, as_array


# the dtypes fastinit fills; constant fills of any other go to PyTorch itself
_FLOATS = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


class UnroutedInitWarning(UserWarning):
    """A random draw inside ``init_`` that fastinit could not make its own."""


# The schemes whose values are element-wise (a fill with a scale from the fans):
# each element depends on its logical index only.
_ELEMENTWISE = frozenset({"uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                          "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                          "constant_", "zeros_", "ones_"})


# The torch.nn.init names: fastinit.torch's drop-ins, the functions replaced while
# init_ runs (and skipped on meta tensors by meta_init).
_TORCH_NAMES = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
                "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                "kaiming_normal_", "orthogonal_", "sparse_")


class _Router(TorchFunctionMode):
    """Active during ``init_``: fills of the model's parameters and buffers
    become fastinit fills on their canonical names; other random draws are
    reported."""

    active = None

    def __init__(self, model, seed, unrouted):
        super().__init__()
        self.seed = _core.check_seed(seed)
        self.unrouted = _core._choice("unrouted", unrouted, ("raise", "warn"))
        self.model = model
        self.wrappers = _wrapper_paths(model)
        self.by_storage, self.order = _targets(model, self.wrappers)
        self.by_id = {id(t.tensor): t for t in self.order}
        self.passthrough = 0
        self.scratch = {}       # id -> a random fill of a tensor that is no target's
        self.parametrized = {}  # id -> a parametrized tensor's computed value
        self.in_rule = None
        self.reports = []
        self.module_names = None  # id -> canonical path, when a module's init runs
        self.current = None       # the path of the module whose init code runs
        self.draws = {}           # path -> random factory calls so far

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
        with self.passing():
            return fallback()

    @contextlib.contextmanager
    def passing(self):
        """The router's own torch calls, not routed."""
        self.passthrough += 1
        try:
            yield
        finally:
            self.passthrough -= 1

    @contextlib.contextmanager
    def in_module(self, module):
        """The init code of ``module`` runs: torch.rand/randn draws in it
        are named by its canonical path."""
        if self.module_names is None:
            self.module_names = {id(m): canonical_name(p, self.wrappers) for p, m
                                 in self.model.named_modules(remove_duplicate=False)}
        saved = self.current
        self.current = self.module_names.get(id(module), saved)
        try:
            yield
        finally:
            self.current = saved

    def _factory(self, func, args, kwargs):
        """torch.rand/randn (and their _like) inside a module's init code (an
        SSM's dt_proj bias): a fastinit draw on the stream
        '<module path>#<k>:<function>', the module's k-th such draw, so it is
        as reproducible and order-independent as a parameter's fill; None
        when the call asks for what fastinit does not draw (other dtypes,
        devices or arguments)."""
        kwargs = dict(kwargs)
        kwargs.pop("generator", None)       # replaced, as for the init functions
        grad = kwargs.pop("requires_grad", False)
        if func in (torch.rand_like, torch.randn_like):
            like = args[0]
            size = tuple(like.shape)
            dtype = kwargs.pop("dtype", None) or like.dtype
            device = kwargs.pop("device", None) or like.device
            kwargs.pop("memory_format", None)
        else:
            size = args[0] if len(args) == 1 and not isinstance(args[0], int) else args
            size = kwargs.pop("size", size)
            dtype = kwargs.pop("dtype", None) or torch.get_default_dtype()
            device = kwargs.pop("device", None)
        if (kwargs or dtype not in _FLOATS
                or (device is not None and torch.device(device).type != "cpu")):
            return None
        k = self.draws.get(self.current, 0)
        self.draws[self.current] = k + 1
        with self.passing():
            out = torch.empty(tuple(int(n) for n in size), dtype=dtype)
            _fill(out, _FACTORIES[func], (0.0, 1.0), {}, self.seed,
                  f"{self.current}#{k}:{func.__name__}")
        return out.requires_grad_() if grad else out

    def watch_parametrized(self):
        """Under parametrize.cached(): see _parametrized.computed_values."""
        with self.passing():
            self.parametrized = computed_values(self.model, self.wrappers)

    # -- a fill by a torch.nn.init name ------------------------------------------
    def fill(self, tensor, scheme, args, kwargs, original=None):
        if tensor.numel() == 0 and not _is_dtensor(tensor):
            return _fill(tensor, scheme, args, kwargs, self.seed, 0)
        entry = self.parametrized.get(id(tensor))
        if entry is not None and entry[0] is tensor:
            return fill_parametrized(self, entry, scheme, args, kwargs)
        if (not _registry.is_random(scheme) and not _is_dtensor(tensor)
                and tensor.dtype not in _FLOATS):
            # a constant of an integer or bool buffer (a step counter): nothing
            # random to route, and fastinit's kernels do not fill that dtype
            return self._passthrough_fill(tensor, scheme, args, kwargs)
        with self.passing():
            loc = self.locate(tensor)
        random = _registry.is_random(scheme)
        if loc is None:
            if not random:
                return _fill(tensor, scheme, args, kwargs, None, 0)
            fallback = original or (lambda: _fill(tensor, scheme, args, kwargs, None, 0))
            return self._scratch_fill(tensor, scheme, args, kwargs, fallback)
        tgt, block = loc
        if tgt.rule is not None and self.in_rule is not tgt:
            return tensor       # a rule fills it afterwards
        if (random and len(tgt.aliases) > 1 and self.in_rule is not tgt
                and any(_registry.is_random(f) for f in tgt.fills)):
            # a tied parameter is filled once, by the first module that owns it
            # (as in construction, where tying keeps the first module's values)
            return tensor
        with self.passing():
            if block is None:
                _fill(tensor, scheme, args, kwargs, self.seed, tgt.name)
                tgt.written = True
            else:
                self._fill_block(tgt, tensor, block, scheme, args, kwargs)
                tgt.wrote_block(tensor.numel())
        tgt.fills.append(scheme)
        return tensor

    def _scratch_fill(self, tensor, scheme, args, kwargs, fallback):
        """A random fill of a tensor that is no target's: PyTorch draws it,
        and if the init code then copies it, unchanged and whole, into a
        target (torch's own _ConvNd.reset_parameters does for a channels_last
        weight), that copy becomes the target's fill; finish() reports the
        rest."""
        with self.passing():
            fallback()
        self.scratch[id(tensor)] = (weakref.ref(tensor), tensor._version, tuple(tensor.shape),
                                    scheme, args, kwargs)
        return tensor

    def _copy_of_scratch(self, dst, src):
        """dst.copy_(src) as dst's own fill when src is a scratch fill, else None."""
        entry = self.scratch.get(id(src)) if isinstance(src, torch.Tensor) else None
        if entry is None:
            return None
        ref, version, _, scheme, args, kwargs = entry
        with self.passing():
            same = (ref() is src and src._version == version and dst.shape == src.shape
                    and dst.dtype in _FLOATS and self.locate(dst) is not None)
        if not same:
            return None
        del self.scratch[id(src)]
        return self.fill(dst, scheme, args, kwargs)

    def finish(self):
        """Report the scratch fills that no copy made a target's."""
        for _, _, shape, scheme, _, _ in self.scratch.values():
            self.report(f"{scheme} of a {shape} tensor that is not (a block of) a parameter "
                        f"or buffer of the model", lambda: None)
        self.scratch.clear()

    def _passthrough_fill(self, tensor, scheme, args, kwargs):
        """PyTorch's own deterministic fill, marking what it writes."""
        with self.passing():
            loc = self.locate(tensor)
            _ORIGINALS[scheme](tensor, *args, **kwargs)
        _mark_written(loc, tensor)
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
        if func is torch.Tensor.copy_ and self.scratch and len(args) > 1:
            routed = self._copy_of_scratch(args[0], args[1])
            if routed is not None:
                return routed
        if func in _FACTORIES and self.current is not None:
            out = self._factory(func, args, kwargs)
            if out is not None:
                return out
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
        _mark_written(target, args[0] if target is not None else None)
        return result


def _mark_written(loc, tensor):
    """Record that `tensor`, at `loc` (locate()'s answer, None for no
    target), was written by PyTorch's own code."""
    if loc is not None:
        tgt, block = loc
        if block is None:
            tgt.written = True
        else:
            tgt.wrote_block(tensor.numel())


_TENSOR_METHODS = {
    torch.Tensor.uniform_: ("uniform_", (("from", 0.0), ("to", 1.0))),
    torch.Tensor.normal_: ("normal_", (("mean", 0.0), ("std", 1.0))),
}
# Random factories drawn by fastinit inside a module's init code (see _factory).
_FACTORIES = {torch.rand: "uniform_", torch.rand_like: "uniform_", torch.randn: "normal_",
              torch.randn_like: "normal_"}
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
