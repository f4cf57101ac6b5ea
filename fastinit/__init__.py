"""fastinit: fast, reproducible neural-network weight initialization.

Every element is a pure function of (seed, stream, its C-order index +
offset): the same seed gives the same bits whatever the thread count, SIMD
path, chunking or shard.  See README.md, "Stream format".
"""
from ._config import show_config
from ._core import (
    constant,
    normal,
    ones,
    random_bits,
    stream_id,
    truncated_normal,
    uniform,
    zeros,
)
from ._fans import calculate_gain, compute_fans
from ._generator import Generator
from ._checks import derived_stream
from ._explain import explain
from ._explain_symmetry import explain_symmetry
from ._matrix import delta_orthogonal, dirac, eye, identity, orthogonal, sparse
from ._registry import get, initialize, is_random, names
from ._torch_default import torch_default
from ._variance import (
    TRUNCATED_NORMAL_STD,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)

__version__ = "0.2.0"

__all__ = [
    "Generator", "TRUNCATED_NORMAL_STD", "calculate_gain", "compute_fans", "constant",
    "delta_orthogonal", "derived_stream", "dirac", "explain", "explain_symmetry", "eye", "get", "glorot_normal",
    "glorot_uniform", "he_normal", "he_uniform", "identity", "initialize", "is_random",
    "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "names", "normal", "ones",
    "orthogonal", "random_bits", "show_config", "sparse", "stream_id", "torch_default",
    "truncated_normal", "uniform", "variance_scaling", "xavier_normal", "xavier_uniform",
    "zeros",
]
