"""fastinit: fast, reproducible neural-network weight initialization.

Every element is a pure function of (seed, stream, its C-order index +
offset): the same seed gives the same bits whatever the thread count, SIMD
path, chunking or shard.  See README.md, "Stream format".
"""
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
from ._config import show_config
from ._generator import Generator

__version__ = "0.1.0"

__all__ = [
    "Generator", "constant", "normal", "ones", "random_bits", "show_config",
    "stream_id", "truncated_normal", "uniform", "zeros",
]
