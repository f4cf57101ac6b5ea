"""Run the test suite against the INSTALLED fastinit, from a copy of tests/
(and README.md, whose examples are tests) in a temporary folder, so that the
source tree can never be imported instead.  cibuildwheel's test-command.

    python tools/run_wheel_tests.py PROJECT_DIR [pytest args...]
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile


def main():
    project = pathlib.Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(project / "tests", pathlib.Path(tmp) / "tests")
        shutil.copy(project / "README.md", tmp)
        check = ("import fastinit, pathlib; p = pathlib.Path(fastinit.__file__).resolve(); "
                 f"assert not p.is_relative_to({str(project)!r}), p; print('testing', p.parent)")
        subprocess.run([sys.executable, "-c", check], cwd=tmp, check=True)
        cmd = [sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", "tests",
               *sys.argv[2:]]
        return subprocess.run(cmd, cwd=tmp).returncode


if __name__ == "__main__":
    sys.exit(main())
