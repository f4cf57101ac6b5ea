"""compute_fans and calculate_gain against numbers written out by hand and
against transcriptions of the PyTorch, Keras and JAX formulas."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastinit._fans import calculate_gain, compute_fans

# (shape in torch layout (out=6, in=4, *kernel), in keras layout (*kernel, in, out), fans)
CASES = [
    ((6, 4), (4, 6), (4, 6)),
    ((6, 4, 3), (3, 4, 6), (12, 18)),
    ((6, 4, 3, 5), (3, 5, 4, 6), (60, 90)),
    ((6, 4, 3, 5, 2), (3, 5, 2, 4, 6), (120, 180)),
]


@pytest.mark.parametrize("torch_shape, keras_shape, fans", CASES)
def test_layouts_ranks_2_to_5(torch_shape, keras_shape, fans):
    assert compute_fans(torch_shape) == fans
    assert compute_fans(torch_shape, "torch") == fans
    assert compute_fans(keras_shape, "keras") == fans
    assert compute_fans(keras_shape, "tf") == fans
    assert compute_fans(keras_shape, "jax") == fans
    assert compute_fans(keras_shape, "KERAS") == fans
    # explicit axes describing the same layouts
    assert compute_fans(torch_shape, "jax", in_axis=1, out_axis=0) == fans
    assert compute_fans(keras_shape, in_axis=-2, out_axis=-1) == fans
    assert all(type(f) is int for f in compute_fans(torch_shape))


def test_keras_axis_example():
    # keras EinsumDense-style kernel: in axes [0], out axes [1, 2]
    assert compute_fans((512, 8, 64), in_axis=[0], out_axis=[1, 2]) == (512, 512)
    assert compute_fans((512, 8, 64), in_axis=0, out_axis=(1, 2)) == (512, 512)
    assert compute_fans((512, 8, 64), "jax", in_axis=(-3,), out_axis=(-2, -1)) == (512, 512)


def test_batch_axis_and_partial_overrides():
    # (batch, kh, kw, in, out): receptive = 3 * 3
    assert compute_fans((10, 3, 3, 4, 6), "jax", batch_axis=0) == (36, 54)
    assert compute_fans((10, 3, 3, 4, 6), batch_axis=(0,), in_axis=-2, out_axis=-1) == (36, 54)
    # torch layout keeps in_axis=1, out_axis=0 when only batch_axis is given
    assert compute_fans((6, 4, 3, 5), "torch", batch_axis=2) == (20, 30)
    # empty axis tuples count as size 1 (as JAX's math.prod([]))
    assert compute_fans((7, 5), "jax", in_axis=(), out_axis=1) == (7, 35)


def test_zero_sized_dims_give_zero_fans():
    assert compute_fans((0, 3)) == (3, 0)
    assert compute_fans((4, 0, 3, 3)) == (0, 36)
    assert compute_fans((3, 3, 0, 8), "keras") == (0, 72)


@pytest.mark.parametrize("shape", [(), (5,), 5, [7], (0,)])
def test_rank_below_two_raises_naming_the_shape(shape):
    with pytest.raises(ValueError, match=r"shape=\(\d*,?\) of rank [01]"):
        compute_fans(shape)
    # the anchors' words: PyTorch "fewer than 2 dimensions", JAX "at least 2D"
    with pytest.raises(ValueError, match="fewer than 2 dimensions.*at least 2D"):
        compute_fans(shape, "keras")
    with pytest.raises(ValueError, match="rank"):    # explicit axes do not help
        compute_fans(shape, in_axis=0, out_axis=-1)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(layout="caffe"), ValueError, "layout"),
    (dict(layout=3), TypeError, "layout"),
    (dict(in_axis=4), ValueError, "in_axis"),
    (dict(out_axis=-5), ValueError, "out_axis"),
    (dict(in_axis=1.0), TypeError, "in_axis"),
    (dict(in_axis=True), TypeError, "in_axis"),
    (dict(in_axis="0"), TypeError, "in_axis"),
    (dict(in_axis=(0, 0)), ValueError, "twice"),
    (dict(in_axis=0, out_axis=(1, 0)), ValueError, "overlap"),
    (dict(in_axis=1, out_axis=0, batch_axis=-3), ValueError, "overlap"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        compute_fans((2, 3, 4), **kwargs)


@pytest.mark.parametrize("shape", [(2.0, 3), ("a", 3), (2, -3), "23", None, (True, 3)])
def test_bad_shapes(shape):
    with pytest.raises((TypeError, ValueError), match="shape"):
        compute_fans(shape)


# ---- transcriptions of the anchors' own code ---------------------------------------

def torch_fans(shape):
    """torch.nn.init._calculate_fan_in_and_fan_out."""
    num_input_fmaps, num_output_fmaps = shape[1], shape[0]
    receptive_field_size = 1
    for s in shape[2:]:
        receptive_field_size *= s
    return num_input_fmaps * receptive_field_size, num_output_fmaps * receptive_field_size


def keras_fans(shape):
    """keras.src.initializers.random_initializers.compute_fans (rank >= 2)."""
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field_size = 1
    for dim in shape[:-2]:
        receptive_field_size *= dim
    return shape[-2] * receptive_field_size, shape[-1] * receptive_field_size


def jax_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """jax._src.nn.initializers._compute_fans."""
    def size(axis):
        if isinstance(axis, int):
            return shape[axis]
        return math.prod([shape[i] for i in axis])
    in_size, out_size, batch_size = size(in_axis), size(out_axis), size(batch_axis)
    receptive_field_size = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive_field_size, out_size * receptive_field_size


dims = st.lists(st.integers(1, 9), min_size=2, max_size=5)


@settings(max_examples=150, deadline=None)
@given(dims)
def test_matches_torch_and_keras_code(shape):
    assert compute_fans(shape, "torch") == torch_fans(shape)
    assert compute_fans(shape, "keras") == keras_fans(shape)
    assert compute_fans(shape, "jax") == jax_fans(shape)


@settings(max_examples=200, deadline=None)
@given(dims, st.data())
def test_matches_jax_code_for_any_disjoint_axes(shape, data):
    n = len(shape)
    perm = data.draw(st.permutations(range(n)))
    n_in = data.draw(st.integers(1, n - 1))
    n_out = data.draw(st.integers(1, n - n_in))
    n_batch = data.draw(st.integers(0, n - n_in - n_out))
    neg = data.draw(st.booleans())

    def pick(axes, as_int):
        axes = [a - n if neg else a for a in axes]
        return axes[0] if as_int and len(axes) == 1 else tuple(axes)

    ins = pick(perm[:n_in], data.draw(st.booleans()))
    outs = pick(perm[n_in:n_in + n_out], data.draw(st.booleans()))
    batch = pick(perm[n_in + n_out:n_in + n_out + n_batch], False)
    got = compute_fans(shape, in_axis=ins, out_axis=outs, batch_axis=batch)
    want = jax_fans(tuple(shape), ins, outs, batch)
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    assert got[1] == pytest.approx(want[1], rel=1e-12)


# ---- calculate_gain ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                  "conv_transpose2d", "conv_transpose3d", "sigmoid"])
def test_gain_one(name):
    assert calculate_gain(name) == 1
    assert calculate_gain(name, 0.3) == 1


def test_gain_values_full_precision():
    assert calculate_gain("tanh") == 5.0 / 3 == 1.6666666666666667
    assert calculate_gain("relu") == math.sqrt(2.0) == 1.4142135623730951
    assert calculate_gain("selu") == 0.75
    assert calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01 ** 2)) == 1.4141428569978354
    assert calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert calculate_gain("leaky_relu", 0) == math.sqrt(2.0)
    assert calculate_gain("leaky_relu", 1) == 1.0
    assert calculate_gain("leaky_relu", -0.5) == math.sqrt(2.0 / 1.25)
    assert calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    assert calculate_gain("ReLU") == math.sqrt(2.0)   # names are case-insensitive


@pytest.mark.parametrize("name", ["gelu", "", "relu6", None, 3, "leaky relu"])
def test_gain_bad_name(name):
    with pytest.raises(ValueError, match="nonlinearity"):
        calculate_gain(name)


@pytest.mark.parametrize("param", [True, False, "0.2", [0.2], float("nan"), float("inf"), 1j])
def test_gain_bad_param(param):
    with pytest.raises(ValueError, match="not a valid number"):
        calculate_gain("leaky_relu", param)


def test_gain_pytorch_test_values():
    # torch test_calculate_gain_leaky_relu / _nonlinear, with the values written there
    assert calculate_gain("leaky_relu", None) == 1.4141428569978354
    assert calculate_gain("leaky_relu", 0) == 1.4142135623730951          # int param
    assert calculate_gain("leaky_relu", 0.01) == 1.4141428569978354
    assert calculate_gain("leaky_relu", 10) == 0.14071950894605836         # int param
    assert calculate_gain("tanh") == 1.6666666666666667
    assert calculate_gain("selu") == 0.75


@pytest.mark.parametrize("param", [True, [1], {"a": "b"}])
def test_gain_pytorch_rejected_params(param):
    # torch test_calculate_gain_leaky_relu_only_accepts_numbers
    with pytest.raises(ValueError):
        calculate_gain("leaky_relu", param)


def test_gain_random_names_rejected():
    # torch test_calculate_gain_only_accepts_valid_nonlinearities
    import random
    import string
    rnd = random.Random(123)
    for n in [2, 5, 25]:
        name = "".join(rnd.choice(string.ascii_lowercase) for _ in range(n))
        with pytest.raises(ValueError, match="Unsupported nonlinearity"):
            calculate_gain(name)


# ---- optional cross-checks against the installed anchors --------------------------------

GAIN_CASES = [(n, None) for n in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh",
                                  "relu", "leaky_relu", "selu")]
GAIN_CASES += [("leaky_relu", p) for p in (0, 1, 10, 0.2, -0.5, 5 ** 0.5, 1e-8, 123.25)]


def test_gains_match_installed_torch():
    init = pytest.importorskip("torch.nn.init")
    for name, param in GAIN_CASES:
        assert calculate_gain(name, param) == init.calculate_gain(name, param), (name, param)
    for name, param in [("leaky_relu", True), ("leaky_relu", "0.1"), ("gelu", None),
                        ("Leaky_ReLU ", None)]:
        with pytest.raises(ValueError):
            init.calculate_gain(name, param)
        with pytest.raises(ValueError):
            calculate_gain(name, param)


def test_fans_match_installed_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.init import _calculate_fan_in_and_fan_out
    for shape in [(6, 4), (6, 4, 3), (6, 4, 3, 5), (6, 4, 3, 5, 2), (1, 1), (7, 1, 1, 1),
                  (0, 3), (4, 0, 3, 3), (2, 3, 0)]:
        assert compute_fans(shape) == _calculate_fan_in_and_fan_out(torch.empty(shape))
    for shape in [(), (5,), (0,)]:
        with pytest.raises(ValueError):
            _calculate_fan_in_and_fan_out(torch.empty(shape))
        with pytest.raises(ValueError):
            compute_fans(shape)


def test_fans_match_installed_jax():
    pytest.importorskip("jax")
    try:
        from jax._src.nn.initializers import _compute_fans
    except ImportError:
        pytest.skip("jax._src.nn.initializers._compute_fans moved")
    cases = [((2, 3, 4, 5), {}), ((2, 3, 4, 5), dict(in_axis=(0, 1), out_axis=(-2, -1))),
             ((2, 3, 4, 5), dict(in_axis=0, out_axis=(2, 3), batch_axis=1)),
             ((3, 3, 8, 16), {}), ((3, 3, 8, 16), dict(in_axis=-1, out_axis=-2)),
             ((10, 3, 3, 4, 6), dict(batch_axis=0)), ((512, 8, 64), dict(in_axis=0,
                                                                         out_axis=(1, 2)))]
    for shape, kw in cases:
        assert compute_fans(shape, "jax", **kw) == _compute_fans(shape, **kw), (shape, kw)
    with pytest.raises(ValueError):
        _compute_fans((5,))
    with pytest.raises(ValueError):
        compute_fans((5,), "jax")


def test_fans_match_installed_keras(monkeypatch):
    import os
    import sys
    if "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ:
        monkeypatch.setenv("KERAS_BACKEND", "numpy")
    pytest.importorskip("keras")
    try:
        from keras.src.initializers.random_initializers import compute_fans as keras_fans
    except ImportError:
        pytest.skip("keras' compute_fans moved")
    for shape in [(4, 6), (3, 4, 6), (3, 5, 4, 6), (3, 5, 2, 4, 6), (3, 3, 0, 8)]:
        assert compute_fans(shape, "keras") == keras_fans(shape)
    # Keras' explicit axes equal JAX-style ones when they cover every axis
    assert compute_fans((512, 8, 64), in_axis=[0], out_axis=[1, 2]) == keras_fans(
        (512, 8, 64), input_axes=[0], output_axes=[1, 2])
    assert compute_fans((512, 8, 64), in_axis=[0, 1], out_axis=[2]) == keras_fans(
        (512, 8, 64), input_axes=[0, 1], output_axes=[2])
    # the documented difference: Keras has fans for rank < 2, fastinit raises
    assert keras_fans((5,)) == (5, 5) and keras_fans(()) == (1, 1)
    with pytest.raises(ValueError):
        compute_fans((5,), "keras")
