"""What this process runs: SIMD path, threads, build."""
import platform

import numpy as np

from . import _core


def config():
    """The configuration as a dict (what show_config prints)."""
    from . import __version__   # at call time: __init__ imports this module first
    return {
        "version": __version__,
        "simd_path": _core.PATH,
        "supported_paths": _core.supported_paths(),
        "default_threads": _core.DEFAULT_THREADS,
        "bfloat16": _core.BFLOAT16 is not None,
        "build_flags": _core.BUILD_FLAGS,
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def show_config():
    """Print the SIMD path (FASTINIT_CPU overrides it), the default thread
    count (FASTINIT_NUM_THREADS overrides it) and the build flags."""
    for key, value in config().items():
        print(f"{key:>16}: {value}")
