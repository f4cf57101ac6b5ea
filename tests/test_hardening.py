"""Regression tests for the defects of issue 13 (one block per defect):
values at the edges of the parameter space, caches that must not change a
bit, the kind of every error, and schemes that must not write inf or write
before failing.  Each test failed before its fix."""
import functools
import math
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

import fastinit

F32, F64, F16 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)
BF16 = np.dtype(ml_dtypes.bfloat16)
DTYPES = [F32, F64, F16, BF16]
SEED = 13


def ids(dt):
    return np.dtype(dt).name


# ---- 1. truncated normal: huge and infinite bounds ---------------------------------------

HUGE = [5.5e4, 1e9, 6e17, 1e20, 1e154, 1e200, 1.7e308]


@pytest.mark.parametrize("dt", DTYPES, ids=ids)
@pytest.mark.parametrize("t", HUGE)
def test_a_huge_bound_is_the_infinite_one(dt, t):
    """Beyond any representable tail mass a bound is the same as infinity:
    the same bits (the plan cannot tell them apart), never NaN."""
    for a, b, a_inf, b_inf in [(-2.0, t, -2.0, math.inf), (-t, 1.5, -math.inf, 1.5),
                               (-t, t, -math.inf, math.inf)]:
        got = fastinit.truncated_normal(shape=4096, dtype=dt, std=1.0, a=a, b=b, seed=SEED)
        want = fastinit.truncated_normal(shape=4096, dtype=dt, std=1.0, a=a_inf, b=b_inf,
                                         seed=SEED)
        assert np.isfinite(got.astype(np.float64)).all(), (a, b)
        np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8), err_msg=(a, b))


@pytest.mark.parametrize("dt", [F32, F64], ids=ids)
@pytest.mark.parametrize("t", HUGE)
def test_a_huge_bound_against_an_infinite_one_is_a_normal(dt, t):
    x = fastinit.truncated_normal(shape=1 << 16, dtype=dt, std=1.0, a=-t, b=math.inf,
                                  seed=SEED).astype(np.float64)
    assert np.isfinite(x).all()
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02


@pytest.mark.parametrize("dt", DTYPES, ids=ids)
@pytest.mark.parametrize("t", HUGE)
def test_far_tail_intervals_at_huge_bounds(dt, t):
    """[t, inf) and [t, 2t] in units of a std so small that the values are
    ~1: all finite and inside the bounds (the log-space tail sampler)."""
    std = 1.0 / t
    for a, b in [(t, math.inf), (t, 2 * t), (-math.inf, -t), (-2 * t, -t)]:
        if math.isinf(2 * t):
            continue
        x = fastinit.truncated_normal(shape=512, dtype=dt, std=std, a=a, b=b,
                                      seed=SEED).astype(np.float64)
        assert np.isfinite(x).all(), (a, b)
        lo, hi = (1.0, 2.0) if a > 0 else (-2.0, -1.0)
        slack = 1e-2            # the bounds themselves round in the dtype
        assert (x >= lo - slack).all() and (x <= hi + slack).all(), (a, b, x.min(), x.max())


@pytest.mark.parametrize("dt", DTYPES, ids=ids)
def test_torch_trunc_normal_with_a_tiny_std(dt):
    """Absolute bounds +-2 become +-2e20 sigma: a plain N(0, 1e-40)."""
    w = np.empty(1 << 14, dt)
    fastinit.initialize(w, "trunc_normal_", std=1e-20, seed=SEED)
    x = w.astype(np.float64)
    assert np.isfinite(x).all()
    if dt in (F32, F64):
        assert abs(x.std() / 1e-20 - 1) < 0.05


def test_moderate_bounds_keep_their_values():
    """The fix must not touch what was right: a digest of fills at bounds
    between 30 and 5e4 sigma (the tail sampler's and the setup's range)."""
    got = []
    for dt in (F32, F64):
        for a, b in [(-2.0, 40.0), (38.0, 60.0), (-5e4, 3.0), (100.0, 1e4), (-1e4, -37.0)]:
            x = fastinit.truncated_normal(shape=64, dtype=dt, std=1.0, a=a, b=b, seed=SEED)
            assert np.isfinite(x).all()
            got.append(x.tobytes())
    # the same fills once more: a plan cache must not change them either
    again = [fastinit.truncated_normal(shape=64, dtype=dt, std=1.0, a=a, b=b, seed=SEED).tobytes()
             for dt in (F32, F64)
             for a, b in [(-2.0, 40.0), (38.0, 60.0), (-5e4, 3.0), (100.0, 1e4), (-1e4, -37.0)]]
    assert got == again


# ---- 2. caches must not merge -0.0 and 0.0 ----------------------------------------------

@pytest.mark.parametrize("dt", DTYPES, ids=ids)
@pytest.mark.parametrize("first", [0.0, -0.0])
def test_signed_zero_parameters_are_not_merged(dt, first):
    """Whatever ran before, uniform(-0.0, -0.0) fills -0.0 and (0.0, 0.0) +0.0."""
    a = np.empty(8, dt)
    fastinit.uniform(a, first, first, seed=0)
    assert (np.signbit(a) == (math.copysign(1, first) < 0)).all()
    # normal: mean + 0 * z is -0.0 where mean = -0.0 and z < 0, else +0.0
    z_neg = fastinit.normal(np.empty(8, dt), 0.0, 1.0, seed=0) < 0
    fastinit.normal(a, first, 0.0, seed=0)
    for zero in (-first, first):
        fastinit.uniform(a, zero, zero, seed=0)
        assert (np.signbit(a) == (math.copysign(1, zero) < 0)).all(), (first, zero)
        fastinit.normal(a, zero, 0.0, seed=0)
        want = z_neg & (math.copysign(1, zero) < 0)
        np.testing.assert_array_equal(np.signbit(a), want, err_msg=f"normal {first}, {zero}")


# ---- 3. every bad argument is a TypeError or ValueError naming it ------------------------

BIG_INT, BIG_FRACTION = 10 ** 400, Fraction(10 ** 400, 3)


@pytest.mark.parametrize("big", [BIG_INT, -BIG_INT, BIG_FRACTION], ids=["int", "-int", "fraction"])
@pytest.mark.parametrize("call, name", [
    (lambda v: fastinit.uniform(shape=3, low=v, seed=0), "low"),
    (lambda v: fastinit.uniform(shape=3, high=v, seed=0), "high"),
    (lambda v: fastinit.normal(shape=3, mean=v, seed=0), "mean"),
    (lambda v: fastinit.normal(shape=3, std=v, seed=0), "std"),
    (lambda v: fastinit.truncated_normal(shape=3, std=v, seed=0), "std"),
    (lambda v: fastinit.constant(shape=3, value=v), "value"),
    (lambda v: fastinit.xavier_uniform(shape=(3, 3), gain=v, seed=0), "gain"),
    (lambda v: fastinit.orthogonal(shape=(3, 3), gain=v, seed=0), "gain"),
    (lambda v: fastinit.eye(shape=(3, 3), gain=v), "gain"),
    (lambda v: fastinit.kaiming_normal(shape=(3, 3), a=v, seed=0), "a"),
    (lambda v: fastinit.kaiming_normal(shape=(3, 3), fan_in=v, seed=0), "fan_in"),
    (lambda v: fastinit.xavier_normal(shape=(3, 3), fan_out=v, seed=0), "fan_out"),
    (lambda v: fastinit.variance_scaling(shape=(3, 3), scale=v, seed=0), "scale"),
    (lambda v: fastinit.sparse(shape=(3, 3), sparsity=0.5, std=v, seed=0), "std"),
    (lambda v: fastinit.initialize(np.empty(3), "trunc_normal_", mean=v, seed=0), "mean"),
    (lambda v: fastinit.calculate_gain("leaky_relu", v), "negative_slope"),
])
def test_reals_beyond_the_double_range_are_value_errors(call, name, big):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call(big)


@pytest.mark.parametrize("dt", [F32, F64], ids=ids)
@pytest.mark.parametrize("v", [BIG_INT, -BIG_INT, BIG_FRACTION])
def test_truncation_bounds_beyond_the_double_range_are_infinite(dt, v):
    """a/b may be infinite, so an int beyond the double range is one."""
    side = math.inf if v > 0 else -math.inf
    kw = dict(b=side) if v > 0 else dict(a=side)
    big = dict(b=v) if v > 0 else dict(a=v)
    got = fastinit.truncated_normal(shape=64, dtype=dt, std=1.0, seed=SEED, **big)
    want = fastinit.truncated_normal(shape=64, dtype=dt, std=1.0, seed=SEED, **kw)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("slope", [1e155, -1e200, 1e300, 1.7e308])
def test_large_slopes_give_the_gain_without_overflow(slope):
    g = fastinit.calculate_gain("leaky_relu", slope)
    assert g == pytest.approx(math.sqrt(2.0) / abs(slope), rel=1e-15)
    w = fastinit.kaiming_normal(shape=(64, 64), a=slope, truncated=True, seed=SEED)
    assert np.isfinite(w).all()
    w = fastinit.kaiming_uniform(shape=(64, 64), a=slope, seed=SEED)
    assert np.isfinite(w).all()


def test_generator_initialize_with_a_callable_without_a_name():
    g = fastinit.Generator(SEED)
    fn = functools.partial(fastinit.normal, std=0.5)
    with pytest.raises(TypeError, match=r"\bseed="):
        g.initialize(np.empty(4), fn, seed=1)
    out = g.initialize(np.empty(4), fn)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("call, name", [
    (lambda: fastinit.normal(shape=(10 ** 6, 10 ** 7), std=-1.0), "std"),
    (lambda: fastinit.uniform(shape=(10 ** 6, 10 ** 7), low=1.0, high=0.0), "low"),
    (lambda: fastinit.truncated_normal(shape=(10 ** 6, 10 ** 7), a=3.0, b=2.0), "a"),
    (lambda: fastinit.random_bits(shape=(10 ** 6, 10 ** 7), seed=-1), "seed"),
    (lambda: fastinit.normal(shape=(10 ** 6, 10 ** 7), seed=0, stream=-1), "stream"),
    (lambda: fastinit.normal(shape=(10 ** 6, 10 ** 7), seed=0, threads=0), "threads"),
    (lambda: fastinit.normal(shape=(10 ** 6, 10 ** 7), seed=0, offset=-1), "offset"),
    (lambda: fastinit.constant(shape=(10 ** 6, 10 ** 7), value=math.nan), "value"),
    (lambda: fastinit.kaiming_normal(shape=(10 ** 6, 10 ** 7), mode="x"), "mode"),
    (lambda: fastinit.xavier_uniform(shape=(10 ** 6, 10 ** 7), gain=-1.0), "gain"),
    (lambda: fastinit.orthogonal(shape=(10 ** 6, 10 ** 7), gain=math.inf), "gain"),
    (lambda: fastinit.sparse(shape=(10 ** 6, 10 ** 7), sparsity=2.0), "sparsity"),
    (lambda: fastinit.eye(shape=(10 ** 6, 10 ** 7), gain="x"), "gain"),
    (lambda: fastinit.dirac(shape=(10 ** 4, 10 ** 4, 10 ** 5), groups=0), "groups"),
    (lambda: fastinit.delta_orthogonal(shape=(10 ** 4, 10 ** 4, 10 ** 5), gain=math.nan),
     "gain"),
    (lambda: fastinit.variance_scaling(shape=(10 ** 6, 10 ** 7), scale=0.0), "scale"),
    (lambda: fastinit.initialize(None, "trunc_normal_", shape=(10 ** 6, 10 ** 7), std=0.0),
     "std"),
])
def test_arguments_are_checked_before_shape_is_allocated(call, name):
    """36 TiB is not allocated (MemoryError) before a bad argument is seen."""
    with pytest.raises((TypeError, ValueError), match=rf"\b{name}\b"):
        call()


@pytest.mark.parametrize("stream", ["\ud800", "a\udfffb"])
def test_a_str_stream_that_is_not_utf8_is_a_value_error(stream):
    with pytest.raises(ValueError, match=r"^stream="):
        fastinit.stream_id(stream)
    out = np.full(4, 7.25)
    with pytest.raises(ValueError, match=r"^stream="):
        fastinit.normal(out, stream=stream, seed=0)
    assert (out == 7.25).all()
    with pytest.raises(ValueError, match=r"\bname\b"):
        fastinit.Generator(0, name=stream)
    with pytest.raises(ValueError, match=r"\bname\b"):
        fastinit.Generator(0).spawn(stream)


# ---- 4. no scheme writes inf, or writes and then fails -----------------------------------

@pytest.mark.parametrize("dt, gain", [(F64, 1e300), (F64, 1.7976931348623157e308),
                                      (F32, 1e300), (F32, 3.5e38), (F16, 1e5),
                                      (BF16, 1e39)], ids=str)
@pytest.mark.parametrize("scheme", ["orthogonal", "delta_orthogonal"])
def test_gains_overflowing_the_dtype_raise_before_writing(scheme, dt, gain):
    shape = (3, 3) if scheme == "orthogonal" else (3, 2, 4)
    out = np.full(shape, 7.25, dt)
    if dt == F64 and gain < 1.7e308:     # 1e300 * (|q| <= 1) is finite in float64
        getattr(fastinit, scheme)(out, gain=gain, seed=SEED)
        assert np.isfinite(out).all()
        return
    with pytest.raises(ValueError, match=r"^gain="):
        getattr(fastinit, scheme)(out, gain=gain, seed=SEED)
    assert (out.astype(np.float64) == 7.25).all()


def assert_orthogonal(w, gain=1.0):
    w = np.asarray(w, np.float64).reshape(w.shape[0], -1) / gain
    r = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(r, np.eye(min(w.shape)), atol=1e-5)


MATRIX = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")


@MATRIX
@pytest.mark.parametrize("dt", [F32, F64], ids=ids)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 3), (8, 8)])
@pytest.mark.parametrize("seed", range(4))
def test_orthogonal_into_subclasses_and_orders(dt, order, shape, seed):
    """np.matrix (whose * is a matrix product) and Fortran order fill as a
    plain array of the same shape does."""
    plain = fastinit.orthogonal(shape=shape, dtype=dt, gain=2.0, seed=seed)
    assert_orthogonal(plain, 2.0)
    for out in (np.matrix(np.zeros(shape, dt, order=order)), np.zeros(shape, dt, order=order)):
        got = fastinit.orthogonal(out, gain=2.0, seed=seed)
        assert got is out
        assert_orthogonal(np.asarray(out), 2.0)
        np.testing.assert_allclose(np.asarray(out), plain, rtol=1e-6, atol=1e-6)


@MATRIX
@pytest.mark.parametrize("scheme, shape", [("eye", (3, 4)), ("sparse", (4, 5)),
                                           ("xavier_uniform", (4, 5)),
                                           ("kaiming_normal", (4, 5)),
                                           ("normal", (4, 5)), ("truncated_normal", (4, 5))])
def test_schemes_fill_a_matrix_as_a_plain_array(scheme, shape):
    kw = {} if scheme == "eye" else dict(seed=SEED)
    if scheme == "sparse":
        kw["sparsity"] = 0.5
    m = np.matrix(np.zeros(shape))
    assert getattr(fastinit, scheme)(m, **kw) is m
    np.testing.assert_array_equal(np.asarray(m), getattr(fastinit, scheme)(np.zeros(shape), **kw))
