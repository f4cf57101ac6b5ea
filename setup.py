"""Build of the C core and its Cython binding.

Each SIMD path is the same kernel source compiled with its own target flags
(never -march=native), so one wheel runs on any x86-64 or aarch64 CPU and
picks its path at run time.  -ffp-contract=off keeps every path rounding
exactly as the C is written: that is what makes the paths bit-identical.
-fno-math-errno and -fno-trapping-math change no value (they drop errno and
FP-exception side effects), but let the compiler vectorize sqrt and selects.
"""
import glob
import os
import platform
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HEADERS = sorted(glob.glob("csrc/*.h"))
MSVC = sys.platform == "win32"
MACHINE = platform.machine().lower()
X86_64 = MACHINE in ("x86_64", "amd64")

COMMON = [] if MSVC else ["-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno",
                          "-fno-trapping-math",
                          "-Wall", "-Wextra", "-Wno-unused-function"]
# (source, extra flags, macro announcing it to dispatch.c)
PATHS = []
if X86_64 and not MSVC:
    PATHS = [
        ("csrc/path_avx2.c", ["-mavx2", "-mfma"], "FI_HAVE_AVX2"),
        ("csrc/path_avx512.c", ["-mavx2", "-mfma", "-mavx512f", "-mavx512dq",
                                "-mavx512bw", "-mavx512vl"], "FI_HAVE_AVX512"),
    ]


class BuildExtWithPaths(build_ext):
    """Compiles each SIMD path with its own flags and links the objects."""

    def build_extension(self, ext):
        if PATHS:
            objects = []
            for source, flags, _ in PATHS:
                objects += self.compiler.compile(
                    [source], output_dir=self.build_temp, include_dirs=["csrc"],
                    extra_postargs=COMMON + flags, depends=HEADERS)
            ext.extra_objects = list(ext.extra_objects or []) + objects
        super().build_extension(ext)


build_flags = " ".join(COMMON) + "".join(
    f"; {os.path.basename(s)}: {' '.join(f)}" for s, f, _ in PATHS)
ext = Extension(
    "fastinit._core",
    sources=["fastinit/_core.pyx", "csrc/dispatch.c", "csrc/path_baseline.c"],
    include_dirs=["csrc", np.get_include()],
    define_macros=[(m, "1") for _, _, m in PATHS]
    + [("FI_BUILD_FLAGS", '"' + build_flags.replace('"', "") + '"'),
       ("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=COMMON,
    depends=HEADERS,
    libraries=[] if MSVC else ["m"],
    extra_link_args=[] if MSVC or sys.platform == "darwin" else ["-pthread"],
)

setup(
    ext_modules=cythonize([ext], include_path=["csrc"], language_level=3,
                          compiler_directives={"boundscheck": False, "wraparound": False}),
    cmdclass={"build_ext": BuildExtWithPaths},
)
