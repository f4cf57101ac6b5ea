"""fastinit's own maths in C against independent references: the software
fma of the baseline path against the FMA instruction, and fi_expm1 (the
far-tail plan's constant) against exact decimal arithmetic.  Built from
csrc/ with the system C compiler; skipped where either is missing (a wheel
test from a copy of tests/)."""
import decimal
import os
import pathlib
import platform
import random
import shutil
import subprocess
import sysconfig

import pytest

from fastinit import _core

ROOT = pathlib.Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"


def _compiler():
    cc = os.environ.get("CC") or (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) or shutil.which("cc")


@pytest.fixture(scope="module")
def checker(tmp_path_factory):
    cc = _compiler()
    if not (CSRC / "softfma.h").exists() or cc is None:
        pytest.skip("needs the C sources (csrc/) and a C compiler")
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    if x86 and "avx2" not in _core.supported_paths():
        pytest.skip("the reference needs an FMA instruction, which this CPU lacks")
    exe = tmp_path_factory.mktemp("cmath") / "cmath_check"
    cmd = [cc, "-std=c11", "-O2", "-ffp-contract=off", "-I", str(CSRC),
           *(["-mfma"] if x86 else []), str(ROOT / "tests" / "cmath_check.c"),
           "-o", str(exe), "-lm"]
    subprocess.run(cmd, check=True, capture_output=True)
    return exe


@pytest.mark.parametrize("seed", [1, 2])
def test_soft_fma_matches_the_instruction(checker, seed):
    # operands of every kind: subnormal, cancelling, overflowing products
    out = subprocess.run([str(checker), "fma", "400000", str(seed)],
                         capture_output=True, text=True)
    assert out.stdout.strip().endswith("mismatches 0 0"), out.stdout


def test_expm1_is_correctly_rounded(checker):
    decimal.getcontext().prec = 60
    rng = random.Random(3)
    # the plan calls it on [-0.5, 0]; tiny values exercise the series' start
    xs = [-0.5 * rng.random() for _ in range(3000)]
    xs += [-(2.0 ** -rng.randint(1, 80)) * rng.random() for _ in range(1000)]
    xs += [rng.uniform(-1, 1) for _ in range(1000)] + [0.0, -0.5, 1.0, -1.0]
    out = subprocess.run([str(checker), "expm1"], input="\n".join(x.hex() for x in xs),
                         capture_output=True, text=True, check=True).stdout.split()
    wrong = [(x, o) for x, o in zip(xs, out)
             if float.fromhex(o) != float(decimal.Decimal(x).exp() - 1)]
    assert not wrong, wrong[:5]
