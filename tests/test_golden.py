"""The golden digests (golden.json, described in golden.py) are the
cross-platform contract: this build must reproduce every one of them, on
the SIMD path this process chose and, in subprocesses, on every other path
this CPU runs (FASTINIT_CPU).  A mismatch means this platform, compiler or
path gives other values than the ones fastinit promises."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from fastinit import _core

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import golden  # noqa: E402  (the spec list, next to this file)

EXPECTED = json.loads(golden.GOLDEN.read_text())


def test_the_digests_cover_every_spec():
    assert sorted(EXPECTED) == sorted(spec[0] for spec in golden.SPECS)


@pytest.mark.parametrize("spec", golden.SPECS, ids=[s[0] for s in golden.SPECS])
def test_golden_digest(spec):
    if spec[2] == "bfloat16" and _core.BFLOAT16 is None:
        pytest.skip("bfloat16 needs ml_dtypes")
    assert golden.digest(golden.fill(spec)) == EXPECTED[spec[0]]


@pytest.mark.parametrize("path", _core.supported_paths())
def test_golden_digests_on_every_path(path):
    if path == _core.PATH:
        pytest.skip(f"{path} is this process's path (test_golden_digest)")
    env = dict(os.environ, FASTINIT_CPU=path)
    out = subprocess.run([sys.executable, str(pathlib.Path(golden.__file__))], env=env,
                         capture_output=True, text=True, check=True).stdout
    got = json.loads(out)
    wrong = sorted(k for k in EXPECTED if got.get(k) != EXPECTED[k])
    assert not wrong, f"FASTINIT_CPU={path}: {wrong}"
