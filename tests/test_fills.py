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
