"""``init_``: a whole model initialized by its own init code (or the
``"torch"``/``"hf"`` rules, or a callable), plus ``rules=`` by name.
"""
import contextlib
import fnmatch
import sys
import warnings

import torch
from torch import nn
from torch.nn.utils import parametrize

from .. import _core, _registry
from ._nn_init import _torch_seed, fill_, normal_, ones_, zeros_
from ._router import _patch_init_functions, _Router
from ._tensors import _is_meta


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
            with _in_module(m):
                fn()


def _in_module(m):
    router = _Router.active
    return router.in_module(m) if router is not None else contextlib.nullcontext()


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
    # each (sub-)model's _init_weights(module) runs as that module's init code
    base = sys.modules["transformers"].PreTrainedModel
    models = [m for m in hf.modules() if isinstance(m, base)]
    saved = [(m, m.__dict__.get("_init_weights")) for m in models]
    for m in models:
        m._init_weights = _as_module_init(m._init_weights)
    try:
        if hasattr(hf, "initialize_weights"):       # transformers >= 4.50
            hf.initialize_weights()
        else:                                       # older: what its init_weights applies
            hf.apply(hf._initialize_weights)
    finally:
        for m, own in saved:
            if own is None:
                del m._init_weights
            else:
                m._init_weights = own


def _as_module_init(init_weights):
    def run(module, *args, **kwargs):
        with _in_module(module):
            return init_weights(module, *args, **kwargs)
    return run


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


def _report_untouched(names, how):
    if not names or how == "ignore":
        return
    msg = (f"no init code wrote {len(names)} tensor(s): {', '.join(names[:10])}"
           f"{' ...' if len(names) > 10 else ''}; give them a rule "
           f"(rules={{'{names[0]}': scheme}}) or a reset_parameters()")
    if how == "raise":
        raise RuntimeError(f"fastinit.torch: {msg}")
    warnings.warn(f"fastinit.torch.init_: {msg} (they keep their values)",
                  UserWarning, stacklevel=3)


def init_(model, seed=None, rules=None, *, base="own", initializer_range=None,
          unrouted="raise", untouched="warn", return_report=False, _needs=None,
          _built=None):
    """Initialize ``model`` in place by its own init code, every random fill
    made a fastinit fill; returns ``model``.

    Each parameter and buffer is filled on the stream named by its canonical
    qualified name (wrapper prefixes such as ``_orig_mod.`` or ``module.``
    stripped; tied parameters share the first name): values depend on
    ``(seed, name, scheme)`` only, not on other layers, the vocabulary size of
    the embedding next door, wrappers or the order of the init code.
    ``seed=None`` draws the seed from PyTorch's default generator (so
    ``torch.manual_seed`` decides it, on every rank alike).

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
    fastinit, and so are ``torch.rand``/``randn`` inside a module's own init
    code.  A random draw that cannot be routed (``torch.randint``, a fill
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
    router = _Router(model, _torch_seed(None) if seed is None else seed, unrouted)
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
        with torch.no_grad(), _patch_init_functions(), router, parametrize.cached():
            router.watch_parametrized()
            run_base(model)
            for tgt in router.order:
                if tgt.rule is not None:
                    router.in_rule = tgt
                    tgt.rule(tgt.tensor)
                    router.in_rule = None
                    tgt.written = True
            router.finish()
    finally:
        _Router.active = None
    for tgt in router.order:
        if not tgt.written and _replaced(model, tgt):
            tgt.written = True      # the init code assigned a new tensor (self.freqs = ...)
    needs = router.order if _needs is None else [t for t in router.order
                                                 if id(t.tensor) in _needs]
    missing = [t.name for t in needs if not t.written and (not t.is_buffer or _needs)]
    _report_untouched(missing, untouched)
    # the values meta_init kept from construction: as in a normally built model
    _report_untouched([t.name for t in router.order
                       if _built and id(t.tensor) in _built and not t.written], "warn")
    if return_report:
        return model, {t.name: list(t.fills) for t in router.order}
    return model
