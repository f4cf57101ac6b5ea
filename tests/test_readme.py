"""The README's Python examples run as written (they assert their claims)."""
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code):
    if "import torch" in code:      # the PyTorch section's examples need the extra
        pytest.importorskip("torch")
    if "fastinit.dask" in code:   # the optional extra fastinit[dask]
        pytest.importorskip("dask.array")
    exec(compile("import numpy as np\nimport fastinit\n" + code, str(README), "exec"), {})
