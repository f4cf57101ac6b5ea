"""Build of the C core and its Cython binding.

Each SIMD path is the same kernel source compiled with its own target flags
(never -march=native), so one wheel runs on any x86-64 or aarch64 CPU and
picks its path at run time.  -ffp-contract=off (MSVC: /fp:precise and
`#pragma fp_contract(off)` in softfma.h) keeps every path rounding exactly
as the C is written: that is what makes the paths bit-identical.
-fno-math-errno and -fno-trapping-math change no value (they drop errno and
FP-exception side effects), but let the compiler vectorize sqrt and selects.

Which paths are built depends on the TARGET of the build, never on the
machine running it: a cross build (cibuildwheel's macOS arm64 on an Intel
runner, crossenv, CC=aarch64-linux-gnu-gcc) announces its target through
ARCHFLAGS, _PYTHON_HOST_PLATFORM or the compiler itself.
"""
import glob
import os
import re
import subprocess
import sys
import sysconfig

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HEADERS = sorted(glob.glob("csrc/*.h"))

GCC_COMMON = ["-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno",
              "-fno-trapping-math", "-Wall", "-Wextra", "-Wno-unused-function"]
# /fp:precise rounds as written; contraction is off by the pragma in
# softfma.h (and by default since VS 2022).  Never /fp:fast.
# /wd4068: the "#pragma GCC unroll" hints are for GCC and Clang.
MSVC_COMMON = ["/std:c11", "/O2", "/fp:precise", "/W3", "/wd4068"]
# (source, GCC/Clang flags, MSVC flags, macro announcing it to dispatch.c)
X86_64_PATHS = [
    ("csrc/path_avx2.c", ["-mavx2", "-mfma"], ["/arch:AVX2"], "FI_HAVE_AVX2"),
    ("csrc/path_avx512.c", ["-mavx2", "-mfma", "-mavx512f", "-mavx512dq", "-mavx512bw",
                            "-mavx512vl"], ["/arch:AVX512"], "FI_HAVE_AVX512"),
]
ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64",
                "i386": "i686", "i586": "i686", "x86": "i686", "win32": "i686"}


def _arch(name):
    name = name.lower()
    return ARCH_ALIASES.get(name, name)


def _compiler_target(compiler):
    """The architecture a GCC-like compiler emits code for (-dumpmachine),
    or None when it cannot say."""
    cmd = getattr(compiler, "compiler", None)
    if not cmd:
        return None
    try:
        out = subprocess.run(list(cmd[:1]) + ["-dumpmachine"], capture_output=True,
                             text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return _arch(out.split("-")[0]) if out else None


def target_archs(compiler, plat_name):
    """The set of CPU architectures this build targets.  A macOS universal2
    build targets two at once."""
    if sys.platform == "darwin":
        archs = re.findall(r"-arch\s+(\S+)", os.environ.get("ARCHFLAGS", ""))
        if archs:
            return {_arch(a) for a in archs}
    host = os.environ.get("_PYTHON_HOST_PLATFORM")
    if host:
        return {_arch(host.rsplit("-", 1)[-1])}
    if compiler.compiler_type != "msvc":
        cc = _compiler_target(compiler)
        if cc:
            return {cc}
    return {_arch((plat_name or sysconfig.get_platform()).rsplit("-", 1)[-1])}


def link_flags(msvc):
    """Threads, and a stripped module (no symbol table: 3 MB -> ~0.3 MB)."""
    if msvc:
        return []
    if sys.platform == "darwin":
        return ["-Wl,-x"]
    if sys.platform == "win32":          # mingw-w64: Win32 threads, no -pthread
        return ["-s"]
    return ["-pthread", "-s"]


class BuildExtWithPaths(build_ext):
    """Compiles each SIMD path the target supports with its own flags, links
    the objects, and records every flag for fastinit.show_config()."""

    def build_extension(self, ext):
        msvc = self.compiler.compiler_type == "msvc"
        archs = target_archs(self.compiler, self.plat_name)
        common = MSVC_COMMON if msvc else GCC_COMMON
        if archs == {"i686"} and not msvc:
            # x87 maths rounds differently: SSE2 gives the same bits as x86-64
            common = common + ["-msse2", "-mfpmath=sse"]
        paths = X86_64_PATHS if archs == {"x86_64"} else []
        objects = []
        for source, gcc_flags, msvc_flags, _ in paths:
            flags = common + (msvc_flags if msvc else gcc_flags)
            objects += self.compiler.compile(
                [source], output_dir=self.build_temp, include_dirs=["csrc"],
                extra_postargs=flags, depends=HEADERS)
        ext.extra_objects = list(ext.extra_objects or []) + objects
        build_flags = (f"target {'+'.join(sorted(archs))}: " + " ".join(common) + "".join(
            f"; {os.path.basename(s)}: {' '.join(m if msvc else g)}" for s, g, m, _ in paths))
        ext.define_macros = list(ext.define_macros) + [(m, "1") for *_, m in paths] + [
            ("FI_BUILD_FLAGS", '"' + build_flags.replace('"', "") + '"')]
        ext.extra_compile_args = common
        ext.extra_link_args = link_flags(msvc)
        ext.libraries = [] if msvc else ["m"]
        print(f"fastinit: {build_flags}")
        super().build_extension(ext)


ext = Extension(
    "fastinit._core",
    sources=["fastinit/_core.pyx", "csrc/dispatch.c", "csrc/pool.c", "csrc/path_baseline.c"],
    include_dirs=["csrc", np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    depends=HEADERS,
)

setup(
    ext_modules=cythonize([ext], include_path=["csrc"], language_level=3,
                          compiler_directives={"boundscheck": False, "wraparound": False}),
    cmdclass={"build_ext": BuildExtWithPaths},
)
