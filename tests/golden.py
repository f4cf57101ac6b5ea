"""The golden fills: a fixed set of fills whose SHA-256 digests (golden.json)
are fastinit's cross-platform contract.  Every build -- any OS, CPU, SIMD
path, compiler or thread count -- must give these exact bytes; a change to
any of them is a change to the values fastinit produces.

The set covers every kernel of the C core (raw bits; uniform, normal and
truncated normal in float32 and float64; float16 and bfloat16 through the
float32 kernels; the truncated normal's narrow-interval (float32 via double)
and far-tail (log-space) samplers), sizes that are not multiples of any
vector width or tile, offsets just below 2^32 and around 2^33, the last
elements of the stream (ending at index 2^64 - 1), and fills split over 1 and
4 threads.  A digest is SHA-256 of the array's little-endian bytes.

    python tests/golden.py            # print this build's digests as JSON
    python tests/golden.py --write    # rewrite golden.json (a value change!)
"""
import hashlib
import json
import pathlib
import sys

import numpy as np

GOLDEN = pathlib.Path(__file__).with_name("golden.json")
END = 1 << 64
# (name, function, dtype, keyword parameters, size, offset, threads)
_T = "truncated_normal"
SPECS = [
    ("bits", "random_bits", "uint32", {}, 20011, 7, 1),
    ("bits_2p32", "random_bits", "uint32", {}, 4099, (1 << 32) - 5, 1),
    ("bits_end", "random_bits", "uint32", {}, 1001, END - 1001, 1),
    ("uniform_f32", "uniform", "float32", {"low": -0.3, "high": 0.7}, 20011, 7, 1),
    ("uniform_f64", "uniform", "float64", {"low": -0.3, "high": 0.7}, 20011, 3, 1),
    ("uniform_f16", "uniform", "float16", {"low": -1.0, "high": 1.0}, 5003, 0, 1),
    ("uniform_bf16", "uniform", "bfloat16", {"low": -1.0, "high": 1.0}, 5003, 0, 1),
    ("uniform_f64_2p33", "uniform", "float64", {}, 3001, (1 << 33) + 3, 1),
    ("uniform_f32_end", "uniform", "float32", {}, 37, END - 37, 1),
    ("normal_f32", "normal", "float32", {"mean": 0.5, "std": 2.0}, 20011, 7, 1),
    ("normal_f64", "normal", "float64", {"mean": 0.5, "std": 2.0}, 20011, 5, 1),
    ("normal_f16", "normal", "float16", {"std": 1.0}, 5003, 1, 1),
    ("normal_bf16", "normal", "bfloat16", {"std": 1.0}, 5003, 1, 1),
    ("normal_f32_2p32", "normal", "float32", {}, 3001, (1 << 32) - 11, 1),
    ("normal_f64_2p33", "normal", "float64", {}, 3001, (1 << 33) - 1, 1),
    ("normal_f64_end", "normal", "float64", {}, 515, END - 515, 1),
    ("normal_f32_small", "normal", "float32", {}, 3, 1, 1),
    ("trunc_f32", _T, "float32", {"std": 1.0}, 20011, 7, 1),
    ("trunc_f64", _T, "float64", {"std": 1.0}, 20011, 7, 1),
    ("trunc_f16", _T, "float16", {"std": 1.0}, 5003, 0, 1),
    ("trunc_bf16", _T, "bfloat16", {"std": 1.0}, 5003, 0, 1),
    ("trunc_f32_onesided", _T, "float32", {"std": 1.0, "a": -float("inf"), "b": 0.5},
     5003, 0, 1),
    ("trunc_f64_upper", _T, "float64", {"std": 1.0, "a": 3.0, "b": float("inf")},
     5003, 0, 1),
    ("trunc_f32_narrow_via64", _T, "float32", {"std": 1.0, "a": 1.0, "b": 1.001},
     5003, 9, 1),
    ("trunc_f32_far", _T, "float32", {"std": 1.0, "a": 8.0, "b": 9.0}, 5003, 0, 1),
    ("tail_f64", _T, "float64", {"std": 1.0, "a": 40.0, "b": 40.01}, 20011, 7, 1),
    ("tail_f32", _T, "float32", {"std": 1.0, "a": 40.0, "b": 40.01}, 5003, 7, 1),
    ("tail_f64_wide", _T, "float64", {"std": 1.0, "a": -50.0, "b": -45.0}, 5003, 0, 1),
    ("tail_f64_open", _T, "float64", {"std": 1.0, "a": 60.0, "b": float("inf")},
     5003, 0, 1),
    ("trunc_f64_2p33", _T, "float64", {}, 3001, (1 << 33) + 1, 1),
    ("trunc_f32_end", _T, "float32", {}, 999, END - 999, 1),
    ("normal_f32_threads", "normal", "float32", {}, 600011, 13, 4),
    ("trunc_f64_threads", _T, "float64", {}, 600011, 13, 4),
    ("uniform_f32_threads", "uniform", "float32", {}, 600011, (1 << 32) - 100000, 4),
]
SEED, STREAM = 20260101, 3


def fill(spec):
    """The array a spec describes, filled by the installed fastinit."""
    import fastinit
    name, fn, dtype, params, n, offset, threads = spec
    out = np.empty(n, dtype=dtype if dtype != "bfloat16" else fastinit._core.BFLOAT16)
    getattr(fastinit, fn)(out, **params, seed=SEED, stream=STREAM, offset=offset,
                          threads=threads)
    return out


def digest(data):
    """SHA-256 of an array's (or a buffer's) bytes, little-endian: fastinit
    fills native-endian arrays and every target it supports is little-endian."""
    assert sys.byteorder == "little"
    if isinstance(data, np.ndarray):
        data = np.ascontiguousarray(data).tobytes()
    return hashlib.sha256(data).hexdigest()


def digests():
    return {spec[0]: digest(fill(spec)) for spec in SPECS}


if __name__ == "__main__":
    result = digests()
    if sys.argv[1:] == ["--write"]:
        GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    else:
        print(json.dumps(result))
