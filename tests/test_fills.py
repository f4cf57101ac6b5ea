"""The fills against the README's "Fills" section: what the values are
(statistics), what they never are (high, inf, NaN, outside the bounds), what
input is refused and how, and which arrays and objects are filled."""
import numpy as np
import pytest

import fastinit


# ---- regressions: binding bugs these tests found ---------------------------------

@pytest.mark.parametrize("threads", [1.5, "2", np.float64(2.0)])
def test_threads_of_the_wrong_type_is_a_type_error(threads):
    out = np.full(8, 7.25, np.float32)
    with pytest.raises(TypeError, match=r"^threads\b"):
        fastinit.normal(out, seed=0, threads=threads)
    assert np.all(out == 7.25)


def test_a_huge_thread_count_is_capped_not_an_overflow():
    expect = fastinit.normal(shape=1000, seed=0, threads=1)
    assert np.array_equal(fastinit.normal(shape=1000, seed=0, threads=2**40), expect)


@pytest.mark.parametrize("fill,dtype", [(fastinit.normal, ">f4"), (fastinit.uniform, ">f8"),
                                        (fastinit.zeros, ">f2"), (fastinit.random_bits, ">u4")])
def test_non_native_byte_order_is_named_as_such(fill, dtype):
    # the byte-order check sat behind the dtype check, which '>f4' already failed
    out = np.zeros(4, np.dtype(dtype))
    with pytest.raises(ValueError, match=r"^out has non-native byte order"):
        fill(out)
    assert not out.any()


@pytest.mark.parametrize("fill", [fastinit.uniform, fastinit.normal, fastinit.random_bits])
def test_an_empty_array_at_the_end_of_the_stream_is_a_no_op(fill):
    # offset + size <= 2**64 holds; the offset used to overflow a uint64 anyway
    out = np.empty((0, 3), np.uint32 if fill is fastinit.random_bits else np.float32)
    assert fill(out, seed=1, offset=2**64) is out
    with pytest.raises(ValueError, match=r"^offset\b"):
        fill(np.empty(1, out.dtype), seed=1, offset=2**64)


# Beyond an infinite bound the draw reaches sqrt(a**2 + 2 ln 2**25) (float32,
# 24-bit draws) or sqrt(a**2 + 2 ln 2**54) (float64) past the finite one, not
# the 5.8 or 8.6 of an untruncated normal: the overflow check used the latter
# and let float32 fills produce inf and float16 fills NaN.
@pytest.mark.parametrize("dtype,std,a,b", [
    (np.float16, 7000.0, 8.0, np.inf),
    (np.float16, 1630.0, -np.inf, -40.0),
    (np.float32, 3.4e38 / 5.9, 5.0, np.inf),
    (np.float64, 1.7e308 / 9.0, -np.inf, -8.5),
])
def test_truncated_normal_refuses_a_one_sided_tail_that_overflows(dtype, std, a, b):
    out = np.zeros(4, dtype)
    with pytest.raises(ValueError, match=r"\bstd=.*overflow"):
        fastinit.truncated_normal(out, std=std, a=a, b=b, seed=0)
    assert not out.any()


@pytest.mark.parametrize("dtype,top", [(np.float16, 65504.0), (np.float32, 3.4028234e38),
                                       (np.float64, 1.7976931348623157e308)])
@pytest.mark.parametrize("a", [0.0, 5.0, 8.0, 40.0])
def test_truncated_normal_one_sided_tail_at_the_largest_std_is_finite(dtype, top, a):
    t = 8.66 if dtype == np.float64 else 5.9       # sqrt(2 ln 2**54), sqrt(2 ln 2**25)
    std = top / np.hypot(a, t) * 0.999
    x = fastinit.truncated_normal(shape=1 << 20, dtype=dtype, std=std, a=a, b=np.inf, seed=3)
    assert np.isfinite(x).all() and x.min() >= a * std


# An interval holding no value of the dtype has no valid fill: uniform filled
# high itself (bfloat16 has nothing in [0.999, 1)), truncated_normal a bound
# rounded outwards (float16 has nothing in [1.0001, 1.0002]).
@pytest.mark.parametrize("dtype,low,high", [
    ("bfloat16", 0.999, 1.0), (np.float16, 0.9999, 1.0), (np.float32, 1 - 1e-9, 1.0),
    ("bfloat16", -1.001, -1.0), (np.float16, 65500.0, 65504.0),
])
def test_uniform_interval_without_a_value_of_the_dtype_is_refused(dtype, low, high):
    out = fastinit.zeros(shape=4, dtype=dtype)
    with pytest.raises(ValueError, match=r"^low=.*high=.*no .* value lies in"):
        fastinit.uniform(out, low=low, high=high, seed=0)
    assert not out.astype(np.float32).any()


@pytest.mark.parametrize("dtype,low,high,value", [
    ("bfloat16", 1.0, 1.001, 1.0),       # both round to 1.0, which is in [low, high)
    ("bfloat16", 0.3, 0.3, 0.30078125),  # low == high fills low, rounded
    (np.float16, 2.0, 2.0, 2.0),
])
def test_uniform_interval_rounding_to_one_value_fills_it(dtype, low, high, value):
    x = fastinit.uniform(shape=64, dtype=dtype, low=low, high=high, seed=0)
    assert np.all(x.astype(np.float64) == value)


@pytest.mark.parametrize("dtype,mean,std,a,b", [
    (np.float16, 0.0, 1.0, 1.0001, 1.0002),
    (np.float32, 0.0, 1.0, 1 + 1e-8, 1 + 2e-8),
    (np.float64, 1.0, 1e-20, 1.0, 2.0),       # [1 + 1e-20, 1 + 2e-20] holds no double
])
def test_truncated_interval_without_a_value_of_the_dtype_is_refused(dtype, mean, std, a, b):
    out = np.zeros(4, dtype)
    with pytest.raises(ValueError, match=r"^mean=.*no .* value lies in"):
        fastinit.truncated_normal(out, mean=mean, std=std, a=a, b=b, seed=0)
    assert not out.any()


def test_truncated_normal_bounds_are_exact_not_rounded_in_double():
    # mean + a*std = 1 + 1e-16 exactly, which double arithmetic rounds down to
    # 1.0; the values just above the bound that round to 1.0 were clamped there
    from fractions import Fraction
    mean, std, a = 1.0, 3e-16, 1 / 3
    x = fastinit.truncated_normal(shape=4096, dtype=np.float64, mean=mean, std=std, a=a,
                                  b=5.0, seed=0)
    assert Fraction(float(x.min())) >= Fraction(mean) + Fraction(a) * Fraction(std)


def test_a_generator_call_that_raises_takes_no_stream():
    g = fastinit.Generator(9)
    readonly = np.zeros(8, np.float32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match=r"^out is read-only"):
        g.normal(readonly)
    with pytest.raises(TypeError, match=r"\bstream="):
        g.uniform(shape=8, stream=1)
    assert np.array_equal(g.normal(shape=8), fastinit.Generator(9).normal(shape=8))


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("call", [
    lambda: fastinit.constant(shape=2, value=1e39),
    lambda: fastinit.constant(shape=2, dtype=np.float16, value=1e5),
    lambda: fastinit.uniform(shape=2, low=-1e39, high=0.0),
])
def test_out_of_range_values_raise_value_error_even_with_warnings_as_errors(call):
    # the rounding to the dtype used to warn "overflow encountered in cast" first
    with pytest.raises(ValueError):
        call()
