"""Parametrized weights (``torch.nn.utils.parametrize``: weight_norm,
spectral_norm, orthogonal) as fill targets: ``reset_parameters()`` fills the
computed ``self.weight``, a value no parameter holds; ``init_`` fills that
value on the weight's unparametrized name and sets the stored tensors from
it, as assigning ``module.weight = value`` does.
"""
import torch
from torch.nn.utils import parametrize

from .. import _registry
from ._fill_tensor import _fill
from ._names import canonical_name


def computed_values(model, wrappers):
    """{id: (value, name, ParametrizationList)} of each parametrized tensor,
    read under ``parametrize.cached()``, where ``module.weight`` is one
    tensor until the cache ends; named as it is without its parametrization
    (``conv.weight``, not ``conv.parametrizations.weight``); ``wrappers``:
    the model's wrapper paths."""
    out = {}
    for path, m in model.named_modules():
        if parametrize.is_parametrized(m):
            for attr in m.parametrizations:
                t = getattr(m, attr)
                name = canonical_name(f"{path}.{attr}" if path else attr, wrappers)
                out[id(t)] = (t, name, m.parametrizations[attr])
    return out


def fill_parametrized(router, entry, scheme, args, kwargs):
    """The fill of a computed value: the value filled on its own name, then
    the originals set from it by the parametrizations' right_inverse (copied
    into their storage, which may be a seed checkpoint's pages)."""
    t, name, plist = entry
    if not all(hasattr(p, "right_inverse") for p in plist):
        return router.report(f"{scheme} of {name}, whose parametrization has no "
                             f"right_inverse", lambda: None)
    with router.passing():
        value = torch.empty(t.shape, dtype=t.dtype)
        _fill(value, scheme, args, kwargs,
              *((router.seed, name) if _registry.is_random(scheme) else (None, 0)))
        t.copy_(value)      # what later reads of module.weight in this init see
        for p in reversed(plist):
            value = p.right_inverse(value)
        if plist.is_tensor:
            pairs = [(plist.original, value)]
        else:
            pairs = [(getattr(plist, f"original{i}"), v) for i, v in enumerate(value)]
        for original, v in pairs:
            original.copy_(v)
    for original, _ in pairs:
        tgt = router.by_id.get(id(original))
        if tgt is not None:
            tgt.written = True
            tgt.fills.append(scheme)
    for p in plist:
        _restart_power_method(router, p, pairs[0][0])
    return t


def _restart_power_method(router, p, original):
    """spectral_norm's _u and _v, as its construction sets them for a new
    weight: normal draws (on their own streams), normalized, then 15 power
    iterations."""
    if not (hasattr(p, "_power_method") and isinstance(getattr(p, "_u", None), torch.Tensor)
            and isinstance(getattr(p, "_v", None), torch.Tensor)):
        return
    for vec in (p._u, p._v):
        router.fill(vec, "normal_", (0.0, 1.0), {})
        with router.passing():
            vec.copy_(torch.nn.functional.normalize(vec, dim=0, eps=p.eps))
    with router.passing():
        p._power_method(p._reshape_weight_to_matrix(original), 15)
