"""Property-based fuzzing of the whole public API (issue 13, "keep them out").

Every public function is called with random arguments: plausible values,
edge values (signed zeros, subnormals, huge finite values, +-inf, NaN) and
wrong ones (huge and negative ints, ints beyond the double range, bools,
NumPy scalars and 0-d arrays, strings -- lone surrogates included -- None,
Fractions, lists), into random array kinds (every dtype, read-only, Fortran
order, step slices, negative strides, misaligned, zero-size, 0-d, zero
strides, non-native byte order, np.matrix, memmaps, memoryviews) or
allocated from ``shape=``.  Whatever the outcome, it must be one the README
promises:

- an error is a TypeError or ValueError (exactly: no OverflowError,
  AttributeError, MemoryError or UnicodeEncodeError) and leaves every byte
  of the output's buffer as it was;
- a success returns ``out`` itself (or an array of ``shape``/``dtype``),
  writes nothing outside ``out``, and only finite values, inside the
  documented bounds;
- no warning but kaiming's documented UserWarning for zero-size arrays
  (a RuntimeWarning from an overflowing cast is a failure);
- caches never change a bit: the same call after emptying them gives the
  same bytes.

Deterministic (derandomized, no example database) and sized for CI:
``FASTINIT_FUZZ_EXAMPLES`` (default 25) examples per function.
"""
import atexit
import functools
import math
import os
import shutil
import tempfile
import warnings
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastinit
from fastinit import _core

EXAMPLES = int(os.environ.get("FASTINIT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck), print_blob=False)
FUZZ_CHEAP = settings(FUZZ, max_examples=4 * EXAMPLES)     # calls of microseconds

BF16 = np.dtype(ml_dtypes.bfloat16)
FLOATS = [np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16), BF16]
DTYPES = FLOATS + [np.dtype(d) for d in (np.uint32, np.int32, np.uint8, np.bool_,
                                         np.complex64, np.longdouble)]
HUGE_SHAPE = (10 ** 6, 10 ** 7)          # 36 TiB: must never be allocated for a bad call


# ---- values ---------------------------------------------------------------------------------

EDGE_FLOATS = [0.0, -0.0, 5e-324, 1e-300, 1e-20, 0.05, 1.0, 2.0, math.inf, math.nan]
# beyond float16 (6.6e4), bfloat16/float32 (3.4e38), or any tail mass
BIG_FLOATS = [5.5e4, 1e5, 1e9, 6e17, 1e20, 3.5e38, 1e39, 1e154, 1e200, 1e300,
              1.7976931348623157e308]
WRONG = [None, True, False, np.bool_(True), "1.0", b"1", "\ud800", 1j, [1.0], (), object(),
         10 ** 400, -10 ** 400, Fraction(10 ** 400, 3), Fraction(-1, 3), 2 ** 64, -1,
         np.float32(0.5), np.float16(-2.0), np.int64(3), np.uint64(2 ** 63), np.array(0.25),
         np.array(7), np.array([1.0, 2.0]), np.longdouble(1.5)]


def signed(xs):
    return st.sampled_from(xs + [-x for x in xs])


def real():
    """A real-number parameter: mostly plausible, sometimes an edge or wrong."""
    return st.one_of(st.floats(-3, 3), signed(EDGE_FLOATS), signed(BIG_FLOATS),
                     st.integers(-5, 5), st.sampled_from(WRONG))


def positive():
    return st.one_of(st.floats(1e-3, 3), st.sampled_from(EDGE_FLOATS),
                     st.sampled_from(BIG_FLOATS), st.sampled_from(WRONG))


def integer():
    return st.one_of(st.integers(-3, 40), st.sampled_from([2 ** 63, 2 ** 64 - 1, 2 ** 64, -2 ** 70,
                                                           np.int8(2), np.uint32(5)]),
                     st.sampled_from(WRONG))


def stream():
    return st.one_of(st.integers(0, 2 ** 64 - 1), st.text(max_size=4),
                     st.sampled_from(["\ud800", "a\udfffb", -1, 2 ** 64]), st.sampled_from(WRONG))


def choice(options):
    return st.one_of(st.sampled_from(options), st.sampled_from([o.upper() for o in options]),
                     st.sampled_from(WRONG + ["", "nonsense"]))


LAYOUTS = ["torch", "keras", "tf", "jax"]
NONLIN = ["linear", "relu", "leaky_relu", "tanh", "selu", "sigmoid", "conv2d"]

# per function: its parameters other than out and the rng keywords
PARAMS = {
    "uniform": dict(low=real(), high=real()),
    "normal": dict(mean=real(), std=positive()),
    "truncated_normal": dict(mean=real(), std=positive(), a=real(), b=real()),
    "constant": dict(value=real()),
    "zeros": {}, "ones": {}, "random_bits": {},
    "xavier_uniform": dict(gain=positive(), fan_in=positive(), fan_out=positive(),
                           layout=choice(LAYOUTS)),
    "xavier_normal": dict(gain=positive(), truncated=st.sampled_from([True, False, 1, None])),
    "kaiming_uniform": dict(a=real(), mode=choice(["fan_in", "fan_out"]),
                            nonlinearity=choice(NONLIN), fan_in=positive()),
    "kaiming_normal": dict(a=real(), mode=choice(["fan_in", "fan_out"]),
                           nonlinearity=choice(NONLIN), truncated=st.booleans(),
                           fan_out=positive()),
    "lecun_uniform": dict(fan_in=positive()),
    "lecun_normal": dict(truncated=st.booleans(), fan_in=positive()),
    "variance_scaling": dict(scale=positive(), mode=choice(["fan_in", "fan_out", "fan_avg",
                                                            "fan_geo_avg"]),
                             distribution=choice(["truncated_normal", "normal", "uniform",
                                                  "untruncated_normal"]),
                             fan_in=positive(), fan_out=positive()),
    "orthogonal": dict(gain=real(), layout=choice(LAYOUTS), column_axis=integer()),
    "sparse": dict(sparsity=st.one_of(st.floats(0, 1), real()), std=positive()),
    "eye": dict(gain=real()),
    "dirac": dict(groups=integer()),
    "delta_orthogonal": dict(gain=real(), column_axis=integer()),
}
RANDOM = {"uniform", "normal", "truncated_normal", "random_bits", "xavier_uniform",
          "xavier_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform",
          "lecun_normal", "variance_scaling", "orthogonal", "sparse", "delta_orthogonal"}
RNG = dict(seed=st.one_of(st.integers(0, 2 ** 64 - 1), st.sampled_from(WRONG)),
           stream=stream(), offset=st.one_of(st.integers(0, 2 ** 64), st.sampled_from(WRONG)),
           threads=st.one_of(st.integers(1, 4), st.sampled_from(WRONG)))


# ---- arrays ---------------------------------------------------------------------------------

_MEMMAP_DIR = tempfile.mkdtemp(prefix="fastinit-fuzz-")
atexit.register(shutil.rmtree, _MEMMAP_DIR, ignore_errors=True)


KINDS = ["C", "C", "F", "F", "step", "neg", "misaligned", "broadcast", "memmap", "memoryview",
         "matrix", "matrix", "byteswapped"]


@st.composite
def out_arrays(draw, min_ndim=0, kinds=KINDS, dtypes=None):
    """(out, buffer): an array of a random kind, and the whole buffer it lives
    in (whose bytes a call may change only inside out, and only on success)."""
    if dtypes is None:
        dtypes = DTYPES if draw(st.integers(0, 4)) == 0 else FLOATS
    dt = draw(st.sampled_from(dtypes))
    ndim = draw(st.one_of(st.just(max(2, min_ndim)), st.integers(min_ndim, 4)))   # weights: 2-D
    shape = tuple(draw(st.lists(st.integers(0, 5) if draw(st.booleans()) else st.integers(1, 7),
                                min_size=ndim, max_size=ndim)))
    kind = draw(st.sampled_from(kinds))
    n = max(1, math.prod(shape))
    if kind == "memmap":
        path = os.path.join(_MEMMAP_DIR, "out.bin")
        mm = np.memmap(path, dtype=dt, mode="w+", shape=shape or (1,))
        mm[...] = np.ones((), dt)
        return (mm if shape else mm.reshape(())), mm
    buf = np.full(2 ** ndim * n * dt.itemsize + 64, 0x3C, np.uint8)     # 0x3C3C...: finite floats
    if kind == "misaligned":
        arr = np.ndarray(shape, dt, buf, offset=1)
    elif kind == "F":
        arr = np.ndarray(shape, dt, buf, order="F")
    elif kind in ("step", "neg"):
        big = np.ndarray(tuple(2 * d for d in shape), dt, buf)
        arr = big[tuple(slice(None, None, 2) for _ in shape)] if ndim else big[...]
        if kind == "neg" and ndim:
            axes = draw(st.lists(st.integers(0, ndim - 1), max_size=ndim))
            arr = arr[tuple(slice(None, None, -1) if i in axes else slice(None)
                            for i in range(ndim))]
    elif kind == "broadcast" and ndim:
        arr = np.lib.stride_tricks.as_strided(np.ndarray(shape, dt, buf), shape,
                                              (0,) + np.ndarray(shape, dt, buf).strides[1:])
    elif kind == "byteswapped" and dt.itemsize > 1:
        arr = np.ndarray(shape, dt.newbyteorder(), buf)
    else:
        arr = np.ndarray(shape, dt, buf)
    if kinds is KINDS and draw(st.integers(0, 5)) == 0:
        arr.flags.writeable = False
    if kind == "matrix" and ndim == 2:
        arr = arr.view(np.matrix)
    if kind == "memoryview":
        try:
            return memoryview(arr), buf
        except (ValueError, TypeError):     # e.g. no buffer format for bfloat16
            pass
    return arr, buf


def snapshot(buf):
    return np.asarray(buf).tobytes()


# ---- the checks -----------------------------------------------------------------------------

def call_checked(fn, *args, **kwargs):
    """fn(*args, **kwargs) under the promises; returns (result, error)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except (TypeError, ValueError) as e:
            assert type(e) in (TypeError, ValueError), f"{type(e).__name__}: {e}"
            result, error = None, e
        else:
            error = None
    for w in caught:
        documented = (issubclass(w.category, UserWarning) and "zero-element" in str(w.message)
                      or issubclass(w.category, PendingDeprecationWarning))   # np.matrix itself
        assert documented, f"unexpected {w.category.__name__}: {w.message}"
    return result, error


def to_float(v):
    """float(v), +-inf beyond the double range (as the fills take bounds)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def as_float(arr):
    return np.asarray(arr).astype(np.float64)


def in_dtype(x, dt):
    with np.errstate(over="ignore"):
        return float(np.asarray(x, np.float64).astype(dt))


def check_values(name, arr, kw):
    """Finite, and inside the documented bounds where the fill has some."""
    arr = np.asarray(arr)
    if arr.dtype == np.uint32 or arr.size == 0:
        return
    x = as_float(arr)
    assert np.isfinite(x).all(), f"{name} wrote inf or NaN: {x[~np.isfinite(x)][:4]}"
    dt = arr.dtype
    if name == "uniform":
        lo, hi = in_dtype(float(kw.get("low", -0.05)), dt), in_dtype(float(kw.get("high", 0.05)), dt)
        assert (x >= lo).all() and (x <= hi).all(), (lo, hi, x.min(), x.max())
        assert lo == hi or (x < hi).all(), f"uniform produced high={hi}"
        if lo == hi:
            assert (np.signbit(x) == (math.copysign(1, lo) < 0)).all(), "the sign of low"
    if name == "truncated_normal":
        mean, std = Fraction(float(kw.get("mean", 0.0))), Fraction(float(kw.get("std", 0.05)))
        for z, ok in ((kw.get("a", -2.0), lambda v, b: v >= b), (kw.get("b", 2.0),
                                                                   lambda v, b: v <= b)):
            z = to_float(z)
            if math.isfinite(z):
                bound = mean + Fraction(z) * std
                for v in (x.min(), x.max()):
                    assert ok(Fraction(float(v)), bound), (name, kw, float(v), float(bound))
    if name == "constant":
        assert (x == in_dtype(float(kw.get("value", 0.0)), dt)).all()


def check_call(name, fn, out, buf, kwargs, shape=None):
    before = snapshot(buf) if buf is not None else None
    call_kw = dict(kwargs)
    if out is None:
        call_kw["shape"] = shape
    result, error = call_checked(fn, out, **call_kw)
    if error is not None:
        if buf is not None:
            assert snapshot(buf) == before, f"{name} raised {error!r} after writing"
        return None
    if out is not None:
        assert result is out, f"{name} returned {type(result).__name__}, not out"
    else:
        want = (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)
        assert isinstance(result, np.ndarray) and result.shape == want
    check_values(name, result, kwargs)
    return result


def draw_kwargs(data, name):
    """A random subset of the function's parameters and rng keywords."""
    space = dict(PARAMS[name])
    if name in RANDOM:
        space.update(RNG)
    kw = {}
    for p, strat in space.items():
        if data.draw(st.integers(0, 2), label=f"give {p}"):
            kw[p] = data.draw(strat, label=p)
    if name in RANDOM and "seed" not in kw:
        kw["seed"] = 0
    return kw


# ---- the fuzz tests -------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PARAMS))
@FUZZ
@given(data=st.data())
def test_fill_or_scheme_into_any_array(name, data):
    out, buf = data.draw(out_arrays(), label="out")
    kw = draw_kwargs(data, name)
    check_call(name, getattr(fastinit, name), out, buf, kw)


SCALES = {"uniform": "high", "normal": "std", "truncated_normal": "std", "constant": "value",
          "xavier_uniform": "gain", "xavier_normal": "gain", "kaiming_uniform": "fan_in",
          "kaiming_normal": "fan_out", "variance_scaling": "scale", "orthogonal": "gain",
          "sparse": "std", "eye": "gain", "delta_orthogonal": "gain"}


@pytest.mark.parametrize("name", sorted(SCALES))
@FUZZ
@given(data=st.data())
def test_no_scheme_writes_inf(name, data):
    """The parameter that scales the values, at sizes that overflow some
    dtype: a ValueError before writing, or finite values."""
    out, buf = data.draw(out_arrays(min_ndim=2, kinds=["C", "F"], dtypes=FLOATS), label="out")
    p = SCALES[name]
    value = data.draw(st.sampled_from(BIG_FLOATS) if p != "fan_in" else
                      st.sampled_from([5e-324, 1e-300, 1e-40, 1e-20]), label=p)
    check_call(name, getattr(fastinit, name), out, buf,
               {p: value, **({"seed": 0} if name in RANDOM else {})})


@FUZZ_CHEAP
@given(data=st.data())
def test_truncation_bounds_of_any_size(data):
    """Bounds from 0 to beyond any tail mass, on either side, in units of a
    std that keeps the values in range: finite, inside the bounds."""
    bound = st.one_of(signed(BIG_FLOATS + [0.0, 1.0, 2.0, 40.0, math.inf]), st.floats(-50, 50))
    a, b = sorted([data.draw(bound, label="a"), data.draw(bound, label="b")])
    std = data.draw(st.sampled_from([1.0, 1e-20, 1e-200]), label="std")
    dt = data.draw(st.sampled_from(FLOATS), label="dtype")
    check_call("truncated_normal", fastinit.truncated_normal, np.empty(64, dt), None,
               dict(mean=0.0, std=std, a=a, b=b, seed=0))


@pytest.mark.parametrize("name", sorted(PARAMS))
@FUZZ
@given(data=st.data())
def test_subclasses_fill_as_plain_arrays(name, data):
    """np.matrix (whose * is a matrix product) and memmaps get the values a
    plain array of the same layout gets."""
    out, buf = data.draw(out_arrays(min_ndim=2, kinds=["matrix", "memmap"], dtypes=FLOATS),
                         label="out")
    kw = {"seed": 3} if name in RANDOM else {}
    if name == "sparse":
        kw["sparsity"] = 0.5
    before = snapshot(buf)
    result, error = call_checked(getattr(fastinit, name), out, **kw)
    plain = np.asarray(out).copy(order="K")        # the same layout and dtype
    want, want_error = call_checked(getattr(fastinit, name), plain, **kw)
    if error is not None:
        assert snapshot(buf) == before and want_error is not None, (error, want_error)
        return
    assert result is out and want_error is None
    np.testing.assert_array_equal(np.asarray(out), want)


@st.composite
def shapes(draw):
    return draw(st.one_of(st.lists(st.integers(0, 5), max_size=4).map(tuple),
                          st.integers(0, 50),
                          st.sampled_from([(-1, 2), (2 ** 40, 2 ** 40), 2.0, "3", None,
                                           (2, None), [3, 4], np.int64(4)])))


@pytest.mark.parametrize("name", sorted(PARAMS))
@FUZZ
@given(data=st.data())
def test_fill_or_scheme_allocating(name, data):
    kw = draw_kwargs(data, name)
    if data.draw(st.booleans(), label="dtype"):
        kw["dtype"] = data.draw(st.sampled_from(DTYPES + ["bfloat16", "float32", "int8", None,
                                                          "nonsense", 3]), label="dtype")
    check_call(name, getattr(fastinit, name), None, None, kw, shape=data.draw(shapes()))


@pytest.mark.parametrize("name", sorted(PARAMS))
@FUZZ
@given(data=st.data())
def test_a_bad_argument_is_refused_before_allocating(name, data):
    """36 TiB of shape= and one argument no call accepts: a TypeError or
    ValueError, never MemoryError (nothing is allocated first)."""
    kw = draw_kwargs(data, name)
    bad = data.draw(st.sampled_from(sorted(set(PARAMS[name]) | ({"seed", "stream", "offset",
                                                                  "threads"} if name in RANDOM
                                                                 else set()))
                                    or ["dtype"]), label="bad")
    kw[bad] = {"dtype": "int8", "truncated": "yes", "mode": 3, "nonlinearity": 3, "layout": 3,
               "distribution": 3, "column_axis": "x", "groups": "x", "seed": -1,
               "stream": -1, "offset": -1, "threads": 0}.get(bad, math.nan)
    shape = HUGE_SHAPE if name not in ("dirac", "delta_orthogonal") else (10 ** 4, 10 ** 4, 10 ** 5)
    _, error = call_checked(getattr(fastinit, name), None, shape=shape, **kw)
    assert error is not None, f"{name}(shape={shape}, {bad}={kw[bad]!r}) did not raise"


def clear_caches():
    for f in (_core._uniform_params, _core._normal_params, _core._truncated_params,
              _core._str_stream):
        f.cache_clear()


@FUZZ_CHEAP
@given(calls=st.lists(st.tuples(st.sampled_from(["uniform", "normal", "truncated_normal"]),
                                signed([0.0, 1.0, 0.5]), signed([0.0, 1.0, 0.5]),
                                st.sampled_from(FLOATS)), min_size=1, max_size=6))
def test_caches_never_change_a_bit(calls):
    """Each fill gives the bytes it gives with empty caches, whatever ran
    before (0.0 and -0.0 are equal keys to a plain cache)."""
    done = []
    for name, x, y, dt in calls:       # one after the other, caches filling up
        args = {"uniform": (x, x if y == 0 else max(x, y)), "normal": (x, abs(y)),
                "truncated_normal": (x, abs(y), -2.0, 2.0)}[name]
        fn = getattr(fastinit, name)
        got = check_call(name, fn, np.empty(8, dt), None, dict(zip(PARAMS[name], args), seed=1))
        if got is not None:
            done.append((fn, args, dt, got))
    for fn, args, dt, got in done:     # each again from empty caches
        clear_caches()
        want = fn(np.empty(8, dt), *args, seed=1)
        assert got.tobytes() == want.tobytes(), (fn.__name__, args, dt)


@FUZZ_CHEAP
@given(data=st.data())
def test_get_and_initialize(data):
    name = data.draw(st.one_of(st.sampled_from(fastinit.names()),
                               st.sampled_from(WRONG + ["nope", "Xavier_uniform_"])), label="name")
    out, buf = data.draw(out_arrays(min_ndim=0), label="out")
    try:
        fn = fastinit.get(name)
    except (TypeError, ValueError) as e:
        assert type(e) in (TypeError, ValueError)
        return
    random = fastinit.is_random(name)
    kw = {"seed": data.draw(RNG["seed"])} if random else {}
    before = snapshot(buf)
    result, error = call_checked(fastinit.initialize, out, name, **kw)
    if error is not None:
        assert snapshot(buf) == before, f"initialize({name!r}) raised {error!r} after writing"
    else:
        assert result is out or (isinstance(result, tuple) and result[0] is out)
        check_values(getattr(fn, "__name__", ""), out, {})


GENERATOR_METHODS = ["uniform", "normal", "truncated_normal", "random_bits", "initialize"]


def names():
    return st.one_of(st.text(max_size=3), st.sampled_from(["\ud800", "a\udfffb"]),
                     st.sampled_from(WRONG))


@FUZZ_CHEAP
@given(seed=RNG["seed"], name=names(), child=names(), stream_name=names())
def test_generator_construction(seed, name, child, stream_name):
    g, error = call_checked(fastinit.Generator, seed, name=name)
    if error is None:
        call_checked(g.spawn, child)
        call_checked(g.stream, stream_name)


SCHEMES_BY_CALLABLE = [functools.partial(fastinit.normal, std=0.5),   # no __name__
                       lambda out, **k: fastinit.uniform(out, **k)]


@pytest.mark.parametrize("rng_kw", [{}, {"seed": 1}, {"stream": 1}], ids=["", "seed", "stream"])
@pytest.mark.parametrize("method, scheme", [(m, None) for m in GENERATOR_METHODS[:-1]]
                         + [("initialize", s) for s in ["normal_", "he_uniform", "eye",
                                                        "orthogonal"] + SCHEMES_BY_CALLABLE])
@FUZZ
@given(data=st.data())
def test_generator_methods(method, scheme, rng_kw, data):
    g = fastinit.Generator(data.draw(st.integers(0, 2 ** 64 - 1), label="seed"))
    out, buf = data.draw(out_arrays(), label="out")
    args = () if scheme is None else (scheme,)
    before = snapshot(buf)
    result, error = call_checked(getattr(g, method), out, *args, **rng_kw)
    if error is not None:
        assert snapshot(buf) == before and g.calls == 0
    else:
        assert result is out
        check_values(method, out, {})


@FUZZ_CHEAP
@given(shape=shapes(), layout=choice(LAYOUTS), in_axis=st.one_of(st.none(), integer()),
       out_axis=st.one_of(st.none(), integer(), st.lists(st.integers(-3, 3), max_size=2)),
       batch_axis=st.one_of(st.just(()), integer()))
def test_compute_fans(shape, layout, in_axis, out_axis, batch_axis):
    fans, error = call_checked(fastinit.compute_fans, shape, layout, in_axis=in_axis,
                               out_axis=out_axis, batch_axis=batch_axis)
    if error is None:
        assert all(type(f) is int and f >= 0 for f in fans)


@FUZZ_CHEAP
@given(nonlinearity=choice(NONLIN), param=st.one_of(st.none(), real()))
def test_calculate_gain(nonlinearity, param):
    gain, error = call_checked(fastinit.calculate_gain, nonlinearity, param)
    if error is None:
        assert math.isfinite(gain) and gain >= 0


@FUZZ_CHEAP
@given(stream=stream())
def test_stream_id(stream):
    sid, error = call_checked(fastinit.stream_id, stream)
    if error is None:
        assert type(sid) is int and 0 <= sid < 2 ** 64


@FUZZ
@given(data=st.data())
def test_torch_default(data):
    weight, wbuf = data.draw(out_arrays(min_ndim=0), label="weight")
    bias, bbuf = data.draw(st.one_of(st.none().map(lambda _: (None, None)), out_arrays()),
                           label="bias")
    before = snapshot(wbuf), None if bbuf is None else snapshot(bbuf)
    result, error = call_checked(fastinit.torch_default, weight, bias,
                                 seed=data.draw(RNG["seed"]))
    if error is not None:
        assert (snapshot(wbuf), None if bbuf is None else snapshot(bbuf)) == before
    else:
        assert result[0] is weight and result[1] is bias
        check_values("torch_default", weight, {})
