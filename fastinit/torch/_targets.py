"""The parameters and buffers of a model as fill targets, by storage, and
the blocks of them (slices, rows) that init code fills.
"""
from .. import _core
from ._names import canonical_name
from ._tensors import _is_dtensor


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


def _targets(model, wrappers):
    """{storage pointer: [_Target]} and the ordered list of targets, one per
    distinct tensor (tied parameters: one target, the first name);
    ``wrappers``: the model's wrapper paths (_wrapper_paths)."""
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


def _block_of(t, parent):
    """(start, block shape) when ``t`` is a rectangular block of the
    contiguous tensor ``parent`` (a slice, a row, a narrow()), else None."""
    if t.dtype != parent.dtype or not parent.is_contiguous():
        return None
    pshape = tuple(parent.shape)
    k = parent.dim() - t.dim()
    if k < 0:
        return None
    pstrides = _core._c_strides(pshape)
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
