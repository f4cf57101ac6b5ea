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

The package, by concern: ``_tensors`` (NumPy views of tensors), ``_fill_tensor``
(one tensor by one scheme, DTensor shards), ``_nn_init`` (the torch.nn.init
names), ``_names`` (canonical names), ``_targets`` and ``_router`` (init_'s
routing of fills), ``_parametrized`` (fills of weight_norm's and other
parametrized weights), ``_model`` (init_), ``_meta`` (meta_init,
materialize_), ``_checkpoint`` (save_initialized).
"""
from ._checkpoint import save_initialized
from ._meta import materialize_, meta_init
from ._model import init_
from ._names import canonical_name
from ._nn_init import (calculate_gain, constant_, dirac_, eye_, fill_, kaiming_normal_,
                       kaiming_uniform_, normal_, ones_, orthogonal_, sparse_, trunc_normal_,
                       uniform_, xavier_normal_, xavier_uniform_, zeros_)
# torch.nn.init's deprecated names, with its FutureWarning
from ._nn_init import (constant, dirac, eye, kaiming_normal, kaiming_uniform, normal,
                       orthogonal, sparse, uniform, xavier_normal, xavier_uniform)
from ._router import UnroutedInitWarning
from ._tensors import as_array

# internals that tests/test_torch.py and bench/torch_models.py reach as fit._NAME
from ._meta import _cpu_empty, _materialize_tensors  # noqa: F401
from ._router import _ORIGINALS, _TORCH_NAMES  # noqa: F401

__all__ = [
    "as_array", "calculate_gain", "constant_", "dirac_", "eye_", "fill_", "init_",
    "kaiming_normal_", "kaiming_uniform_", "materialize_", "meta_init", "normal_",
    "ones_", "orthogonal_", "save_initialized", "sparse_", "trunc_normal_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_", "canonical_name",
    "UnroutedInitWarning",
    "constant", "dirac", "eye", "kaiming_normal", "kaiming_uniform", "normal", "orthogonal",
    "sparse", "uniform", "xavier_normal", "xavier_uniform",
]
