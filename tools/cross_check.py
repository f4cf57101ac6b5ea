"""Cross-target check of the golden digests (tests/golden.json): builds the
C core with tools/fill_driver.c for other targets this machine can build and
run, runs the golden fills there, and compares their SHA-256 digests.

    python tools/cross_check.py [--require TARGET ...] [TARGET ...]

Targets: native (this machine's gcc), aarch64 (aarch64-linux-gnu-gcc under
qemu-aarch64), mingw64 (x86_64-w64-mingw32-gcc under wine: baseline, AVX2
and AVX-512 paths), i686 (i686-linux-gnu-gcc with SSE2 maths; the x87 build
must be refused by the compiler).  The plan parameters come from the
installed fastinit's binding helpers, so the C core is called exactly as the
wheel calls it.  A target whose toolchain is missing is SKIPPED with a loud
message; --require makes that an error.  Exit status 1 on any mismatch.
"""
import argparse
import hashlib
import inspect
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import golden  # noqa: E402

# -Werror: a warning on one target only (an argument unused where there is
# one SIMD path) would otherwise scroll by in CI unnoticed
FLAGS = ["-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math",
         "-Wall", "-Wextra", "-Wno-unused-function", "-Werror", "-I", str(ROOT / "csrc")]
AVX2 = ["-mavx2", "-mfma"]
AVX512 = AVX2 + ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl"]
# name: (compiler, extra flags, SIMD paths built in, runner, paths to run)
TARGETS = {
    "native": ("gcc", ["-pthread"], True, [], ["baseline", "avx2", "avx512"]),
    "aarch64": ("aarch64-linux-gnu-gcc", ["-static", "-pthread"], False,
                ["qemu-aarch64"], ["neon"]),
    "mingw64": ("x86_64-w64-mingw32-gcc", ["-static"], True, ["wine64"],
                ["baseline", "avx2", "avx512"]),
    "i686": ("i686-linux-gnu-gcc", ["-static", "-pthread", "-msse2", "-mfpmath=sse"], False,
             [], ["baseline"]),
}
DIST = {"random_bits": 0, "uniform": 1, "normal": 2, "truncated_normal": 3}
DTYPE = {"uint32": 0, "float32": 1, "float64": 2, "float16": 3, "bfloat16": 4}


def plan_params(fn, dtype, params):
    """The doubles fi_plan_init receives, from the binding's own helpers."""
    import fastinit
    from fastinit import _core
    if fn == "random_bits":
        return []
    dt = _core.BFLOAT16 if dtype == "bfloat16" else np.dtype(dtype)
    sig = inspect.signature(getattr(fastinit, fn)).parameters
    p = {k: float(params.get(k, sig[k].default)) for k in ("low", "high", "mean", "std", "a", "b")
         if k in sig}
    if fn == "uniform":
        return list(_core._uniform_params(dt, p["low"], p["high"]))
    if fn == "normal":
        return list(_core._normal_params(dt, p["mean"], p["std"]))
    lo, hi = _core._truncated_params(dt, p["mean"], p["std"], p["a"], p["b"])
    return [p["mean"], p["std"], p["a"], p["b"], lo, hi]


def write_specs(file):
    lines = []
    for name, fn, dtype, params, n, offset, threads in golden.SPECS:
        prm = plan_params(fn, dtype, params)
        lines.append(" ".join([name, str(DIST[fn]), str(DTYPE[dtype]), str(golden.SEED),
                               str(golden.STREAM), str(offset), str(n), str(threads),
                               str(len(prm))] + [float(x).hex() for x in prm]))
    file.write_text("\n".join(lines) + "\n")


def build(target, workdir):
    cc, extra, simd, _, _ = TARGETS[target]
    exe = workdir / f"fill_driver_{target}{'.exe' if 'mingw' in cc else ''}"
    objs, macros = [], []
    if simd:
        for src, flags, macro in (("path_avx2.c", AVX2, "FI_HAVE_AVX2"),
                                  ("path_avx512.c", AVX512, "FI_HAVE_AVX512")):
            obj = workdir / f"{target}_{src}.o"
            subprocess.run([cc, *FLAGS, *flags, "-c", str(ROOT / "csrc" / src), "-o", str(obj)],
                           check=True)
            objs.append(str(obj))
            macros.append(f"-D{macro}=1")
    flags = " ".join(FLAGS[:5] + extra)
    cmd = [cc, *FLAGS, *extra, *macros, f'-DFI_BUILD_FLAGS="{target}: {flags}"',
           str(ROOT / "tools" / "fill_driver.c"), str(ROOT / "csrc" / "dispatch.c"),
           str(ROOT / "csrc" / "pool.c"), str(ROOT / "csrc" / "path_baseline.c"), *objs, "-o", str(exe), "-lm"]
    subprocess.run(cmd, check=True)
    return exe


def check_x87_refused(workdir):
    """The i686 build without SSE2 maths must stop at the #error."""
    cc = TARGETS["i686"][0]
    r = subprocess.run([cc, *FLAGS, "-mfpmath=387", "-c", str(ROOT / "csrc" / "dispatch.c"),
                        "-o", str(workdir / "x87.o")], capture_output=True, text=True)
    ok = r.returncode != 0 and "needs SSE2 maths" in r.stderr
    print(f"  i686 x87 build refused at compile time: {'yes' if ok else 'NO'}")
    return ok


def which(tool):
    """A tool's path; Debian's wine64 package keeps its loader out of PATH."""
    found = shutil.which(tool)
    if found is None and tool == "wine64":
        found = shutil.which("wine") or shutil.which("wine64", path="/usr/lib/wine")
    return found


def run_target(target, specs, workdir, expected):
    cc, _, _, runner, paths = TARGETS[target]
    missing = [t for t in [cc] + runner if which(t) is None]
    if missing:
        return None, f"toolchain missing: {' '.join(missing)}"
    runner = [which(t) for t in runner]
    exe = build(target, workdir)
    ok = True
    for path in paths:
        out = workdir / f"out_{target}_{path}"
        out.mkdir()
        env = dict(os.environ, WINEDEBUG="-all", QEMU_CPU=os.environ.get("QEMU_CPU", "max"))
        r = subprocess.run([*runner, str(exe), path, str(specs), str(out)], env=env,
                           capture_output=True, text=True)
        if r.returncode == 3:
            print(f"  {target}/{path}: not supported by this CPU, not checked")
            continue
        if r.returncode != 0:
            print(f"  {target}/{path}: driver failed ({r.returncode}): {r.stderr[-500:]}")
            ok = False
            continue
        got = {f.stem: hashlib.sha256(f.read_bytes()).hexdigest() for f in out.glob("*.bin")}
        wrong = sorted(k for k in expected if got.get(k) != expected[k])
        status = "OK" if not wrong else f"MISMATCH {wrong}"
        print(f"  {target}/{path}: {len(expected) - len(wrong)}/{len(expected)} golden "
              f"digests match: {status}   [{r.stdout.strip()}]")
        ok = ok and not wrong
    if target == "i686":
        ok = check_x87_refused(workdir) and ok
    return ok, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*", default=list(TARGETS))
    ap.add_argument("--require", action="append", default=[],
                    help="fail (not skip) when this target's toolchain is missing")
    args = ap.parse_args()
    expected = json.loads(golden.GOLDEN.read_text())
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        specs = workdir / "specs.txt"
        write_specs(specs)
        for target in args.targets:
            print(f"== {target}")
            ok, why = run_target(target, specs, workdir, expected)
            if ok is None:
                loud = "ERROR" if target in args.require else "SKIPPED"
                print(f"!!!!!!!! {loud}: cross check {target} NOT RUN: {why} !!!!!!!!")
                failed = failed or target in args.require
            else:
                failed = failed or not ok
    print("cross check:", "FAILED" if failed else "passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
