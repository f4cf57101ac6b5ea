"""Canonical names: qualified names without the components of wrappers
(torch.compile, DDP, FSDP1, activation checkpointing).
"""
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
