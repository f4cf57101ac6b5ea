#!/usr/bin/env bash
# CI for the [plot] extra: the README's test command installs [test] only, so
# the explain tests that draw with matplotlib are skipped there.  Install the
# extra's requirements (read from pyproject.toml, so they cannot drift) into
# the CI venv and run those tests again, now with matplotlib.
set -euo pipefail
cd "$(dirname "$0")/.."
reqs=$(sed -n 's/^plot = \[\(.*\)\]$/\1/p' pyproject.toml | tr -d '",')
[ -n "$reqs" ] || { echo "pyproject.toml has no plot extra"; exit 1; }
# shellcheck disable=SC2086  # $reqs: one word per requirement
python -m pip install -q $reqs
python -c "import matplotlib"
python -m pytest -q -rs tests/test_explain.py
