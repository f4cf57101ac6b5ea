"""The initialization schemes: their exact scales against the anchors' formulas
(written out here, independently of fastinit's helpers), their distributions
(KS and moment tests that are shown to fail on wrong scales), structure
(orthogonal, sparse, eye, dirac), lookup by name and argument checking."""
import math
import os
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
from scipy import stats

from fastinit import _core
import fastinit as S
from fastinit import _checks, _matrix, _registry, _torch_default, _variance
from fastinit._matrix import _lapack_qr_inplace

TRUNC = 0.87962566103423978          # std of N(0, 1) truncated to [-2, 2]
DTYPES = [np.float32, np.float64]
SENTINEL = 7.0
SCHEME_MODULES = (_checks, _matrix, _registry, _torch_default, _variance)


# ---- a spy on the core fills: which distribution, with which parameters -----------

class SpyCore:
    def __init__(self, real):
        self._real = real
        self.calls = []

    def __getattr__(self, name):
        return getattr(self._real, name)

    def uniform(self, out=None, low=-0.05, high=0.05, **kw):
        self.calls.append(("uniform", (low, high), kw))
        return self._real.uniform(out, low, high, **kw)

    def normal(self, out=None, mean=0.0, std=0.05, **kw):
        self.calls.append(("normal", (mean, std), kw))
        return self._real.normal(out, mean, std, **kw)

    def truncated_normal(self, out=None, mean=0.0, std=0.05, a=-2.0, b=2.0, **kw):
        self.calls.append(("truncated_normal", (mean, std, a, b), kw))
        return self._real.truncated_normal(out, mean, std, a, b, **kw)


@pytest.fixture
def spy(monkeypatch):
    s = SpyCore(_core)
    for module in SCHEME_MODULES:
        monkeypatch.setattr(module, "_core", s)
    return s


def only_call(spy):
    assert len(spy.calls) == 1, spy.calls
    return spy.calls[0]


def assert_uniform(spy, bound):
    kind, (low, high), _ = only_call(spy)
    assert kind == "uniform"
    assert high == pytest.approx(bound, rel=1e-15, abs=0)
    assert low == -high


def assert_normal(spy, std):
    kind, (mean, s), _ = only_call(spy)
    assert kind == "normal" and mean == 0
    assert s == pytest.approx(std, rel=1e-15, abs=0)


def assert_truncated(spy, std):
    """std: the target std AFTER truncation (Keras/JAX); sigma = std / TRUNC."""
    kind, (mean, sigma, a, b), _ = only_call(spy)
    assert kind == "truncated_normal" and mean == 0 and (a, b) == (-2.0, 2.0)
    assert sigma == pytest.approx(std / TRUNC, rel=1e-15, abs=0)


# ---- exact scales against the anchors' formulas -----------------------------------------
# torch layout (out, in, kh, kw) = (16, 8, 3, 3): fan_in 72, fan_out 144

W4 = (16, 8, 3, 3)
FI, FO = 8 * 9, 16 * 9


@pytest.mark.parametrize("gain", [1.0, 0.5, 5.0 / 3])
def test_xavier_uniform_bound(spy, gain):
    S.xavier_uniform(shape=W4, gain=gain, seed=0)
    assert_uniform(spy, gain * math.sqrt(6 / (FI + FO)))


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier_normal_std(spy, gain):
    S.xavier_normal(shape=W4, gain=gain, seed=0)
    assert_normal(spy, gain * math.sqrt(2 / (FI + FO)))


def test_xavier_normal_truncated_std(spy):
    S.glorot_normal(shape=W4, truncated=True, seed=0)
    assert_truncated(spy, math.sqrt(2 / (FI + FO)))


@pytest.mark.parametrize("a, nonlinearity, gain", [
    (0, "leaky_relu", math.sqrt(2)),
    (0.2, "leaky_relu", math.sqrt(2 / (1 + 0.04))),
    (0, "relu", math.sqrt(2)),
    (0, "tanh", 5 / 3),
    (0, "linear", 1.0),
    (0, "selu", 0.75),
])
@pytest.mark.parametrize("mode, fan", [("fan_in", FI), ("fan_out", FO), ("FAN_OUT", FO)])
def test_kaiming_uniform_bound(spy, a, nonlinearity, gain, mode, fan):
    S.kaiming_uniform(shape=W4, a=a, mode=mode, nonlinearity=nonlinearity, seed=0)
    assert_uniform(spy, gain * math.sqrt(3 / fan))


@pytest.mark.parametrize("mode, fan", [("fan_in", FI), ("fan_out", FO)])
def test_kaiming_normal_std(spy, mode, fan):
    S.he_normal(shape=W4, mode=mode, nonlinearity="relu", seed=0)
    assert_normal(spy, math.sqrt(2 / fan))


def test_kaiming_normal_truncated_std(spy):
    S.kaiming_normal(shape=W4, a=0.1, truncated=True, seed=0)
    assert_truncated(spy, math.sqrt(2 / (1 + 0.01)) / math.sqrt(FI))


def test_lecun(spy):
    S.lecun_uniform(shape=W4, seed=0)
    assert_uniform(spy, math.sqrt(3 / FI))
    spy.calls.clear()
    S.lecun_normal(shape=W4, seed=0)
    assert_normal(spy, math.sqrt(1 / FI))
    spy.calls.clear()
    S.lecun_normal(shape=W4, truncated=True, seed=0)
    assert_truncated(spy, math.sqrt(1 / FI))


@pytest.mark.parametrize("mode, n", [("fan_in", FI), ("fan_out", FO), ("fan_avg", (FI + FO) / 2),
                                     ("fan_geo_avg", math.sqrt(FI * FO))])
@pytest.mark.parametrize("scale", [1.0, 2.0, 0.1])
def test_variance_scaling(spy, mode, n, scale):
    S.variance_scaling(shape=W4, scale=scale, mode=mode, distribution="uniform", seed=0)
    assert_uniform(spy, math.sqrt(3 * scale / n))
    spy.calls.clear()
    S.variance_scaling(shape=W4, scale=scale, mode=mode, distribution="normal", seed=0)
    assert_normal(spy, math.sqrt(scale / n))
    spy.calls.clear()
    S.variance_scaling(shape=W4, scale=scale, mode=mode, distribution="untruncated_normal",
                       seed=0)
    assert_normal(spy, math.sqrt(scale / n))
    spy.calls.clear()
    S.variance_scaling(shape=W4, scale=scale, mode=mode, seed=0)   # default: truncated
    assert_truncated(spy, math.sqrt(scale / n))


def test_variance_scaling_layouts_and_axes(spy):
    # keras layout (kh, kw, in, out) = (3, 3, 8, 16): same fans as W4
    S.variance_scaling(shape=(3, 3, 8, 16), scale=2.0, distribution="normal", layout="keras",
                       seed=0)
    assert_normal(spy, math.sqrt(2.0 / FI))
    spy.calls.clear()
    # keras axis example: fan_in 512
    S.variance_scaling(shape=(512, 8, 64), in_axis=0, out_axis=(1, 2), distribution="normal",
                       seed=0)
    assert_normal(spy, math.sqrt(1 / 512))


def test_fan_overrides_allow_any_rank(spy):
    S.xavier_uniform(shape=(10,), fan_in=3, fan_out=5, seed=0)
    assert_uniform(spy, math.sqrt(6 / 8))
    spy.calls.clear()
    S.kaiming_normal(shape=(), fan_in=4, seed=0)
    assert_normal(spy, math.sqrt(2 / 4))
    spy.calls.clear()
    S.lecun_uniform(shape=(2, 3, 4), fan_in=10, seed=0)   # override wins over the shape
    assert_uniform(spy, math.sqrt(3 / 10))
    spy.calls.clear()
    S.variance_scaling(shape=(20, 30), mode="fan_avg", distribution="normal", fan_out=10, seed=0)
    assert_normal(spy, math.sqrt(1 / ((30 + 10) / 2)))    # fan_in from the shape


# ---- bit-for-bit: a scheme is the core fill with the scheme's scale ----------------------

KW = dict(seed=1234, stream="layer3.weight", offset=17, threads=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_schemes_are_the_core_fills_bit_for_bit(dtype):
    fan_in, fan_out = FI, FO

    def pair(fn, core_fn, *args, **kw):
        a = np.empty(W4, dtype)
        b = np.empty(W4, dtype)
        assert fn(a, **kw, **KW) is a
        core_fn(b, *args, **KW)
        np.testing.assert_array_equal(a, b)

    # PyTorch's own expressions (torch/nn/init.py)
    std = 1.0 * math.sqrt(2.0 / float(fan_in + fan_out))
    pair(S.xavier_normal, _core.normal, 0.0, std)
    pair(S.xavier_uniform, _core.uniform, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)
    std = math.sqrt(2.0 / (1 + 0.0 ** 2)) / math.sqrt(fan_in)
    pair(S.kaiming_normal, _core.normal, 0.0, std)
    pair(S.kaiming_uniform, _core.uniform, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)
    # truncated: Keras' and JAX's he_normal expression, sqrt(scale / fan) / 0.8796...
    pair(S.kaiming_normal, _core.truncated_normal, 0.0,
         math.sqrt(2.0 / fan_in) / 0.87962566103423978, -2.0, 2.0, truncated=True)
    # Keras' expressions (keras/src/initializers/random_initializers.py)
    scale = 1.0 / max(1.0, (fan_in + fan_out) / 2.0)
    pair(S.variance_scaling, _core.truncated_normal, 0.0,
         math.sqrt(scale) / 0.87962566103423978, -2.0, 2.0, mode="fan_avg")
    pair(S.variance_scaling, _core.uniform, -math.sqrt(3.0 * scale), math.sqrt(3.0 * scale),
         mode="fan_avg", distribution="uniform")


# ---- distributions: KS and moments ------------------------------------------------------

def check_distribution(x, kind, scale):
    """kind 'uniform': U[-scale, scale); 'normal': N(0, scale^2); 'truncated':
    std `scale` after a +-2 sigma cut, sigma = scale / TRUNC.  Raises
    AssertionError when x does not fit."""
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    if kind == "uniform":
        dist, lim = stats.uniform(loc=-scale, scale=2 * scale), scale
    elif kind == "normal":
        dist, lim = stats.norm(scale=scale), None
    else:
        dist, lim = stats.truncnorm(-2, 2, scale=scale / TRUNC), 2 * scale / TRUNC
    var = float(dist.var())
    kurt = float(dist.stats(moments="k"))
    assert stats.kstest(x, dist.cdf).pvalue > 1e-5, "KS test rejects"
    assert abs(x.mean()) < 5 * math.sqrt(var / n), "mean"
    assert abs(x.var() / var - 1) < 5 * math.sqrt((2 + kurt) / n), "variance"
    if lim is not None:
        assert np.abs(x).max() <= lim * (1 + 1e-6), "range"


SHAPE = (500, 400)          # torch: fan_in 400, fan_out 500; 200k samples
F_IN, F_OUT = 400, 500

DIST_CASES = [
    ("xavier_uniform", {}, "uniform", math.sqrt(6 / (F_IN + F_OUT))),
    ("xavier_normal", {}, "normal", math.sqrt(2 / (F_IN + F_OUT))),
    ("xavier_normal", dict(truncated=True, gain=2.0), "truncated",
     2 * math.sqrt(2 / (F_IN + F_OUT))),
    ("kaiming_uniform", {}, "uniform", math.sqrt(6 / F_IN)),
    ("kaiming_uniform", dict(a=math.sqrt(5)), "uniform", 1 / math.sqrt(F_IN)),
    ("kaiming_normal", dict(mode="fan_out"), "normal", math.sqrt(2 / F_OUT)),
    ("kaiming_normal", dict(truncated=True), "truncated", math.sqrt(2 / F_IN)),
    ("lecun_uniform", {}, "uniform", math.sqrt(3 / F_IN)),
    ("lecun_normal", {}, "normal", math.sqrt(1 / F_IN)),
    ("lecun_normal", dict(truncated=True), "truncated", math.sqrt(1 / F_IN)),
    ("variance_scaling", dict(scale=2.0, mode="fan_avg", distribution="uniform"), "uniform",
     math.sqrt(3 * 2.0 / ((F_IN + F_OUT) / 2))),
    ("variance_scaling", dict(scale=0.5, mode="fan_geo_avg", distribution="normal"), "normal",
     math.sqrt(0.5 / math.sqrt(F_IN * F_OUT))),
    ("variance_scaling", dict(mode="fan_out"), "truncated", math.sqrt(1 / F_OUT)),
    ("HeNormal", dict(layout="torch"), "truncated", math.sqrt(2 / F_IN)),
    ("GlorotUniform", {}, "uniform", math.sqrt(6 / (F_IN + F_OUT))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kwargs, kind, scale", DIST_CASES,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(DIST_CASES)])
def test_distribution(name, kwargs, kind, scale, dtype):
    x = S.initialize(np.empty(SHAPE, dtype), name, seed=20240611, **kwargs)
    check_distribution(x, kind, scale)


def test_sparse_nonzeros_are_normal():
    x = S.sparse(shape=(1000, 400), sparsity=0.5, std=0.02, seed=11)
    check_distribution(x[x != 0], "normal", 0.02)


def test_the_distribution_checks_can_fail():
    """Each check above rejects a slightly wrong scale or the wrong family."""
    n, kw = SHAPE, dict(seed=5)
    s = 0.05
    wrong = [
        (_core.normal(shape=n, std=s * 1.02, **kw), "normal", s),            # std 2% off
        (_core.uniform(shape=n, low=-s * 1.02, high=s * 1.02, **kw), "uniform", s),
        (_core.uniform(shape=n, low=-s, high=s * 0.98, **kw), "uniform", s),
        (_core.truncated_normal(shape=n, std=s, **kw), "truncated", s),     # no correction
        (_core.normal(shape=n, std=s, **kw), "truncated", s),               # not truncated
        (_core.truncated_normal(shape=n, std=s / TRUNC, **kw), "normal", s),
        (_core.uniform(shape=n, low=-s * math.sqrt(3), high=s * math.sqrt(3), **kw),
         "normal", s),                                                      # right variance
    ]
    for x, kind, scale in wrong:
        with pytest.raises(AssertionError):
            check_distribution(x, kind, scale)
    check_distribution(_core.normal(shape=n, std=s, **kw), "normal", s)    # and a right one


def test_truncation_constant():
    assert stats.truncnorm(-2, 2).std() == pytest.approx(TRUNC, rel=1e-14)
    assert S.TRUNCATED_NORMAL_STD == TRUNC


# ---- orthogonal ------------------------------------------------------------------------

def reference_orthogonal(shape2d, seed, stream=0, offset=0):
    """QR of the fastinit Gaussian, PyTorch's way (torch/nn/init.py orthogonal_)."""
    rows, cols = shape2d
    g = _core.normal(shape=(rows, cols), dtype=np.float64, std=1.0, seed=seed, stream=stream,
                     offset=offset)
    if rows < cols:
        g = g.T
    q, r = np.linalg.qr(g)
    q *= np.sign(np.diag(r))
    return q.T if rows < cols else q


def assert_orthogonal(w2d, gain, tol):
    w = np.asarray(w2d, dtype=np.float64)
    rows, cols = w.shape
    gram = w.T @ w if rows >= cols else w @ w.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), rtol=0, atol=tol)


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("shape, shape2d", [
    ((50, 20), (50, 20)), ((20, 50), (20, 50)), ((30, 30), (30, 30)), ((1, 7), (1, 7)),
    ((8, 3, 5), (8, 15)), ((30, 2, 3), (30, 6)), ((4, 3, 2, 2), (4, 12)),
])
@pytest.mark.parametrize("gain", [1.0, 2.5, -1.0])
def test_orthogonal(shape, shape2d, dtype, tol, gain):
    w = S.orthogonal(np.empty(shape, dtype), gain, seed=9, stream="o")
    assert_orthogonal(w.reshape(shape2d), gain, tol * max(1.0, gain ** 2))
    np.testing.assert_allclose(w.reshape(shape2d),
                               gain * reference_orthogonal(shape2d, 9, "o").astype(dtype),
                               rtol=0, atol=tol * 10 * abs(gain))


def test_orthogonal_reproducible_and_seeded():
    a = S.orthogonal(shape=(40, 30), seed=1)
    np.testing.assert_array_equal(a, S.orthogonal(shape=(40, 30), seed=1))
    assert not np.array_equal(a, S.orthogonal(shape=(40, 30), seed=2))
    assert not np.array_equal(a, S.orthogonal(shape=(40, 30), seed=1, stream=1))
    b = S.orthogonal(shape=(40, 30), seed=1, offset=5, dtype=np.float64)
    np.testing.assert_allclose(b, reference_orthogonal((40, 30), 1, offset=5), atol=1e-13)


@pytest.mark.parametrize("shape", [(40, 25), (25, 40), (30, 30)])
def test_orthogonal_in_place_and_scratch_paths_agree(shape):
    ref = S.orthogonal(shape=shape, dtype=np.float64, seed=3)        # C order
    f = S.orthogonal(np.empty(shape, order="F"), seed=3)              # F order
    big = np.full((shape[0], shape[1] * 2), SENTINEL)
    view = S.orthogonal(big[:, ::2], seed=3)                           # strided view
    np.testing.assert_array_equal(ref, f)
    np.testing.assert_array_equal(ref, view)
    assert (big[:, 1::2] == SENTINEL).all()


def test_orthogonal_numpy_fallback(monkeypatch):
    ref = S.orthogonal(shape=(30, 20), dtype=np.float64, seed=4)
    ref_wide = S.orthogonal(shape=(20, 30), dtype=np.float64, seed=4)
    monkeypatch.setattr(_matrix, "_lapack_lite", None)
    np.testing.assert_allclose(S.orthogonal(shape=(30, 20), dtype=np.float64, seed=4), ref,
                               atol=1e-13)
    np.testing.assert_allclose(S.orthogonal(shape=(20, 30), dtype=np.float64, seed=4),
                               ref_wide, atol=1e-13)


@pytest.mark.parametrize("lapack", [True, False])
def test_orthogonal_sign_of_a_zero_diagonal_is_plus_one(monkeypatch, lapack):
    """PyTorch multiplies Q by sign(diag(R)) with sign(0) = 0 (Keras too), which
    zeroes a column of Q when R has a zero on its diagonal; JAX divides by
    |d| (NaN there).  fastinit counts a zero as +1, so Q stays orthonormal."""
    if not lapack:
        monkeypatch.setattr(_matrix, "_lapack_lite", None)
    buf = np.zeros((2, 3))          # the 3 x 2 matrix [[2, 0], [0, 0], [0, 0]], column-major
    buf[0] = [2.0, 0.0, 0.0]        # its second column is zero: R[1, 1] = 0
    signs = _lapack_qr_inplace(buf, 3, 2)
    np.testing.assert_array_equal(np.abs(signs), [1.0, 1.0])
    q = (buf * signs[:, None]).T    # the 3 x 2 result
    np.testing.assert_allclose(q.T @ q, np.eye(2), atol=1e-15)


def test_orthogonal_layouts():
    # keras layout: rows = prod(shape[:-1]), cols = shape[-1]
    w = S.orthogonal(shape=(3, 3, 4, 8), layout="keras", seed=2, dtype=np.float64)
    assert_orthogonal(w.reshape(36, 8), 1.0, 1e-13)
    np.testing.assert_allclose(w.reshape(36, 8), reference_orthogonal((36, 8), 2), atol=1e-13)
    # jax column_axis=0: the columns run along axis 0
    w = S.orthogonal(shape=(6, 4, 5), column_axis=0, seed=2, dtype=np.float64)
    m = np.moveaxis(w, 0, -1).reshape(20, 6)
    assert_orthogonal(m, 1.0, 1e-13)
    np.testing.assert_allclose(m, reference_orthogonal((20, 6), 2), atol=1e-13)
    # Keras' class name uses the keras layout
    k = S.get("Orthogonal")(np.empty((3, 3, 4, 8)), seed=2)
    np.testing.assert_array_equal(k, S.orthogonal(shape=(3, 3, 4, 8), layout="keras", seed=2,
                                                  dtype=np.float64))


def test_orthogonal_low_precision():
    w = S.orthogonal(shape=(64, 32), dtype=np.float16, seed=1)
    assert w.dtype == np.float16
    assert_orthogonal(w, 1.0, 5e-3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_orthogonal_memory_is_one_float64_copy(dtype):
    n = 384
    out = np.ones((n, n), dtype)
    tracemalloc.start()
    try:
        S.orthogonal(out, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # one float64 n x n scratch, plus LAPACK's work arrays (n * block size)
    assert peak <= 8 * n * n + 2 ** 18, peak / (8 * n * n)


def test_orthogonal_float64_wide_needs_no_scratch():
    out = np.ones((192, 384))      # 576 KiB
    tracemalloc.start()
    try:
        S.orthogonal(out, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 2 ** 18         # LAPACK's work arrays only


# ---- sparse ------------------------------------------------------------------------------

@pytest.mark.parametrize("rows, sparsity, nzero", [
    (10, 0.1, 1), (10, 0.25, 3), (10, 0.5, 5), (7, 0.3, 3), (10, 1.0, 10), (10, 0.0, 0),
    (100, 0.55, 56),      # PyTorch's math.ceil(sparsity * rows): 0.55 * 100 = 55.000...01
])
def test_sparse_column_counts(rows, sparsity, nzero):
    dense = _core.normal(shape=(rows, 50), std=0.01, seed=8, stream=2)
    w = S.sparse(np.empty((rows, 50), np.float32), sparsity, seed=8, stream=2)
    assert ((w == 0).sum(axis=0) == nzero).all()
    kept = w != 0
    np.testing.assert_array_equal(w[kept], dense[kept])   # non-zeros are the plain normal fill


@pytest.mark.parametrize("k", [0, 1, 3, 12])
def test_sparse_connections_row_counts(k):
    dense = _core.normal(shape=(20, 12), dtype=np.float64, std=0.5, seed=8)
    w = S.sparse(shape=(20, 12), dtype=np.float64, connections=k, std=0.5, seed=8)
    assert ((w != 0).sum(axis=1) == k).all()
    np.testing.assert_array_equal(w[w != 0], dense[w != 0])


def test_sparse_pattern_is_uniform_and_reproducible():
    rows, cols, k = 8, 20000, 2
    w = S.sparse(shape=(rows, cols), sparsity=k / rows, std=1.0, seed=21)
    freq = (w == 0).sum(axis=1)           # each row zeroed in ~ cols * k / rows columns
    expected = cols * k / rows
    sd = math.sqrt(cols * (k / rows) * (1 - k / rows))
    assert np.abs(freq - expected).max() < 5 * sd
    pairs = {tuple(np.flatnonzero(w[:, j] == 0)) for j in range(200)}
    assert len(pairs) > 20                 # the pattern differs between columns
    np.testing.assert_array_equal(w, S.sparse(shape=(rows, cols), sparsity=0.25, std=1.0,
                                              seed=21))
    other = S.sparse(shape=(rows, cols), sparsity=0.25, std=1.0, seed=21, stream=1)
    assert not np.array_equal(w == 0, other == 0)
    # connections: each column chosen ~ rows * k / cols times
    c = S.sparse(shape=(20000, 8), connections=2, std=1.0, seed=21)
    assert np.abs((c != 0).sum(axis=0) - 20000 * 2 / 8).max() < 5 * sd


def test_sparse_chunking_does_not_change_the_result(monkeypatch):
    a = S.sparse(shape=(37, 23), sparsity=0.4, seed=3)
    b = S.sparse(shape=(37, 23), connections=5, seed=3)
    monkeypatch.setattr(_matrix, "_SPARSE_CHUNK", 50)
    np.testing.assert_array_equal(a, S.sparse(shape=(37, 23), sparsity=0.4, seed=3))
    np.testing.assert_array_equal(b, S.sparse(shape=(37, 23), connections=5, seed=3))


# ---- eye, dirac -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 6), (0, 3)])
@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
def test_eye(shape, dtype):
    expected = np.zeros(shape, dtype)
    for i in range(min(shape)):
        expected[i, i] = 2.5
    out = np.full(shape, SENTINEL, dtype)
    assert S.eye(out, 2.5) is out
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(S.identity(shape=shape, dtype=dtype), expected / 2.5)
    np.testing.assert_array_equal(S.get("Identity")(shape=shape, dtype=dtype, gain=2.5), expected)


def dirac_expected(shape, groups):
    w = np.zeros(shape)
    per = shape[0] // groups
    for g in range(groups):
        for d in range(min(per, shape[1])):
            w[(g * per + d, d) + tuple(k // 2 for k in shape[2:])] = 1
    return w


@pytest.mark.parametrize("shape, groups", [
    ((4, 2, 3), 1), ((3, 5, 4), 1), ((6, 2, 3, 3), 2), ((6, 3, 2, 4), 3), ((4, 4, 3, 3, 3), 1),
    ((8, 1, 5, 5, 2), 4), ((2, 2, 1), 2),
])
def test_dirac(shape, groups):
    out = np.full(shape, SENTINEL, np.float32)
    assert S.dirac(out, groups) is out
    np.testing.assert_array_equal(out, dirac_expected(shape, groups))


@pytest.mark.parametrize("shape, centre", [
    ((3, 4, 5), (1,)), ((2, 3, 4, 5), (0, 1)), ((4, 4, 2, 2), (1, 1)), ((1, 3, 2, 6), (0, 1)),
    ((3, 2, 5, 2, 3), (1, 0, 2)),
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_delta_orthogonal(shape, centre, dtype):
    """JAX's delta_orthogonal: (*kernel, in, out), the orthogonal (in, out)
    matrix at ((k - 1) // 2, ...) -- for even k that is k // 2 - 1, not dirac's
    k // 2 -- and zeros elsewhere."""
    out = np.full(shape, SENTINEL, dtype)
    assert S.delta_orthogonal(out, 1.5, seed=4, stream="d") is out
    m = out[centre].astype(np.float64)
    np.testing.assert_allclose(m, S.orthogonal(shape=shape[-2:], dtype=np.float64, gain=1.5,
                                               seed=4, stream="d").astype(dtype), rtol=0,
                               atol=0)
    assert_orthogonal(m, 1.5, 1e-5 if dtype == np.float32 else 1e-13)
    rest = out.copy()
    rest[centre] = 0
    assert (rest == 0).all()
    assert S.get("delta_orthogonal") is S.delta_orthogonal
    # column_axis as JAX's orthogonal: -2 runs the columns along the in axis
    c = S.delta_orthogonal(shape=shape, dtype=np.float64, column_axis=-2, seed=4)
    np.testing.assert_array_equal(c[centre], S.orthogonal(shape=shape[-2:], dtype=np.float64,
                                                          column_axis=-2, seed=4))


def test_delta_orthogonal_zero_size_and_narrow_dtypes():
    for shape in [(0, 2, 3), (3, 0, 2), (3, 2, 0, 0)]:
        out = np.empty(shape, np.float32)
        assert S.delta_orthogonal(out, seed=0) is out
    for dtype in [np.float16] + (["bfloat16"] if _has_bfloat16() else []):
        w = S.delta_orthogonal(shape=(3, 3, 8, 16), dtype=dtype, seed=0)
        assert_orthogonal(w[1, 1].astype(np.float32), 1.0, 5e-3)


def _has_bfloat16():
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("shape, kwargs, exc, match", [
    ((3, 3), {}, ValueError, "3, 4 or 5"), ((2, 2, 2, 2, 2, 2), {}, ValueError, "3, 4 or 5"),
    ((3, 3, 5, 2), {}, ValueError, "fan_in <= fan_out"),     # in=5 > out=2
    ((3, 2, 4), dict(column_axis=2), ValueError, "column_axis"),
    ((3, 2, 4), dict(column_axis=1.0), TypeError, "column_axis"),
    ((3, 2, 4), dict(gain=float("nan")), ValueError, "gain"),
    ((3, 2, 4), dict(seed=-1), ValueError, "seed"),
])
def test_delta_orthogonal_errors(shape, kwargs, exc, match):
    out = np.full(shape, SENTINEL)
    with pytest.raises(exc, match=match):
        S.delta_orthogonal(out, **kwargs)
    assert (out == SENTINEL).all()


# ---- torch_default ------------------------------------------------------------------------------

@pytest.mark.parametrize("wshape", [(10, 7), (8, 4, 3, 3)])
def test_torch_default(spy, wshape):
    w = np.empty(wshape, np.float32)
    b = np.empty(wshape[0], np.float32)
    assert S.torch_default(w, b, seed=5, stream=3) == (w, b)
    fan_in = math.prod(wshape[1:])
    (k1, (wl, wh), wkw), (k2, (bl, bh), bkw) = spy.calls
    assert k1 == k2 == "uniform"
    assert wh == pytest.approx(1 / math.sqrt(fan_in), rel=1e-15) and wl == -wh
    # PyTorch's own expression for kaiming_uniform_(a=sqrt(5))
    assert wh == math.sqrt(3.0) * (math.sqrt(2.0 / (1 + math.sqrt(5) ** 2)) / math.sqrt(fan_in))
    assert bh == 1 / math.sqrt(fan_in) and bl == -bh
    assert wkw["stream"] == 3 and wkw["seed"] == bkw["seed"] == 5
    assert bkw["stream"] == _core.stream_id(f"fastinit.derived/bias/{_core.stream_id(3)}")
    np.testing.assert_array_equal(b, _core.uniform(shape=b.shape, low=bl, high=bh, seed=5,
                                                   stream=bkw["stream"]))
    assert S.derived_stream(3, "bias") == bkw["stream"]


def test_torch_default_without_bias_and_empty_weight():
    w = np.empty((4, 3))
    assert S.torch_default(w, seed=0) == (w, None)
    b = np.full(5, SENTINEL)
    with pytest.warns(UserWarning, match="zero-element"):   # as nn.Linear(0, 5)
        S.torch_default(np.empty((5, 0)), b, seed=0)
    np.testing.assert_array_equal(b, 0)


# ---- names ----------------------------------------------------------------------------------

def test_get_returns_the_functions():
    assert S.get("glorot_uniform") is S.xavier_uniform is S.glorot_uniform
    assert S.get("xavier_uniform_") is S.xavier_uniform
    assert S.get("kaiming_normal_") is S.he_normal
    assert S.get("zeros") is _core.zeros
    assert S.get(S.orthogonal) is S.orthogonal
    for name in S.names():
        assert callable(S.get(name))


KERAS_NAMES = ["GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunUniform",
               "LecunNormal", "VarianceScaling", "Orthogonal", "Identity", "RandomNormal",
               "RandomUniform", "TruncatedNormal", "Zeros", "Ones", "Constant",
               "IdentityInitializer", "OrthogonalInitializer", "zero", "one", "random_normal",
               "random_uniform"]
JAX_NAMES = ["glorot_uniform", "glorot_normal", "xavier_uniform", "xavier_normal",
             "he_uniform", "he_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform",
             "lecun_normal", "variance_scaling", "orthogonal", "delta_orthogonal", "uniform",
             "normal", "truncated_normal", "constant", "zeros", "ones"]
TORCH_NAMES = ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
               "orthogonal_", "sparse_", "eye_", "dirac_", "uniform_", "normal_",
               "trunc_normal_", "constant_", "zeros_", "ones_"]


def test_all_advertised_names_exist():
    for name in KERAS_NAMES + TORCH_NAMES + JAX_NAMES:
        assert name in S.names()
    np.testing.assert_array_equal(S.initialize(np.full(3, SENTINEL), "zero"), 0)
    np.testing.assert_array_equal(S.initialize(np.full(3, SENTINEL), "one"), 1)


def test_initialize_equals_direct_call():
    a = S.initialize(np.empty((6, 5)), "he_normal", seed=3, mode="fan_out")
    np.testing.assert_array_equal(a, S.he_normal(np.empty((6, 5)), seed=3, mode="fan_out"))
    c = S.initialize(np.empty(4), "Constant", 0.25)
    np.testing.assert_array_equal(c, 0.25)


def test_keras_names_have_keras_behaviour(spy):
    # Keras Dense kernel (in=20, out=30): fan_in = 20 in keras layout
    S.get("HeNormal")(np.empty((20, 30)), seed=0)
    assert_truncated(spy, math.sqrt(2 / 20))
    spy.calls.clear()
    S.get("GlorotNormal")(np.empty((20, 30)), seed=0)
    assert_truncated(spy, math.sqrt(2 / 50))
    spy.calls.clear()
    S.get("LecunUniform")(np.empty((3, 3, 20, 30)), seed=0)
    assert_uniform(spy, math.sqrt(3 / (9 * 20)))
    spy.calls.clear()
    # Keras 3 maps distribution="normal" to the truncated normal; fastinit's does not
    S.get("VarianceScaling")(np.empty((20, 30)), 2.0, "fan_in", "normal", seed=0)
    assert_truncated(spy, math.sqrt(2 / 20))
    spy.calls.clear()
    S.get("VarianceScaling")(np.empty((20, 30)), 2.0, "fan_in", "untruncated_normal", seed=0)
    assert_normal(spy, math.sqrt(2 / 20))
    spy.calls.clear()
    S.get("variance_scaling")(np.empty((20, 30)), 2.0, "fan_in", "normal", seed=0)
    assert_normal(spy, math.sqrt(2 / 30))          # torch layout: fan_in = 30
    spy.calls.clear()
    S.get("he_normal")(np.empty((20, 30)), seed=0)  # fastinit's: untruncated, torch layout
    assert_normal(spy, math.sqrt(2 / 30))


def test_keras_variance_scaling_fans_and_modes(spy):
    # keras test_variance_scaling: shape (25, 20) is (in, out) in Keras
    S.initialize(np.empty((25, 20)), "VarianceScaling", scale=2.0, mode="fan_in", seed=0)
    assert_truncated(spy, math.sqrt(2.0 / 25))
    spy.calls.clear()
    S.initialize(np.empty((25, 20)), "VarianceScaling", scale=2.0, mode="fan_out", seed=0)
    assert_truncated(spy, math.sqrt(2.0 / 20))
    spy.calls.clear()
    # keras test_variance_scaling_with_axes: (32, 4, 16), input_axes=[0] -> fan_in 32 ...
    S.initialize(np.empty((32, 4, 16)), "VarianceScaling", scale=2.0, input_axes=[0],
                 output_axes=[1, 2], seed=0)
    assert_truncated(spy, math.sqrt(2.0 / 32))
    spy.calls.clear()
    # ... and without axes, the last two axes: fan_in = 32 * 4
    S.initialize(np.empty((32, 4, 16)), "VarianceScaling", scale=2.0, seed=0)
    assert_truncated(spy, math.sqrt(2.0 / 128))
    spy.calls.clear()
    # Keras' axes are the whole fans: the other axes do not count (JAX's would)
    S.initialize(np.empty((3, 3, 8, 16)), "GlorotUniform", input_axes=(2,), output_axes=(3,),
                 seed=0)
    assert_uniform(spy, math.sqrt(6 / (8 + 16)))
    spy.calls.clear()
    S.initialize(np.empty((3, 3, 8, 16)), "glorot_uniform", in_axis=2, out_axis=3, seed=0)
    assert_uniform(spy, math.sqrt(6 / (72 + 144)))
    spy.calls.clear()
    # the denominator is max(1.0, n) in Keras, n itself in JAX and fastinit's own
    S.initialize(np.empty((4, 4)), "VarianceScaling", 2.0, "fan_in", "untruncated_normal",
                 fan_in=0.5, seed=0)
    assert_normal(spy, math.sqrt(2.0 / 1.0))
    spy.calls.clear()
    S.variance_scaling(np.empty((4, 4)), 2.0, "fan_in", "normal", fan_in=0.5, seed=0)
    assert_normal(spy, math.sqrt(2.0 / 0.5))
    spy.calls.clear()
    S.initialize(np.empty((3, 5)), "HeNormal", fan_in=0.25, seed=0)
    assert_truncated(spy, math.sqrt(2.0))


@pytest.mark.parametrize("name, kwargs, exc, match", [
    ("VarianceScaling", dict(mode="fan_geo_avg"), ValueError, "mode"),     # Keras has no geo
    ("VarianceScaling", dict(mode="invalid_mode"), ValueError, "mode"),
    ("VarianceScaling", dict(distribution="invalid_dist"), ValueError, "distribution"),
    ("VarianceScaling", dict(scale=-1.0), ValueError, "scale"),
    ("VarianceScaling", dict(scale=0.0), ValueError, "scale"),
    ("HeNormal", dict(input_axes=[0]), ValueError, "output_axes"),
    ("HeNormal", dict(output_axes=[1]), ValueError, "input_axes"),
    ("HeNormal", dict(input_axes=[0], output_axes=[1], fan_in=3), ValueError, "fan_in"),
    ("LecunUniform", dict(input_axes=[2], output_axes=[1]), ValueError, "input_axes"),
    ("GlorotNormal", dict(input_axes=[0], output_axes=[0]), ValueError, "overlap|twice"),
    ("GlorotNormal", dict(input_axes=0.5, output_axes=[1]), TypeError, "input_axes"),
])
def test_keras_variance_scaling_errors(name, kwargs, exc, match):
    out = np.full((6, 8), SENTINEL, np.float32)
    with pytest.raises(exc, match=match):
        S.initialize(out, name, seed=0, **kwargs)
    assert (out == SENTINEL).all()


def test_keras_simple_initializers():
    x = S.get("RandomNormal")(shape=(300, 300), seed=1)
    np.testing.assert_array_equal(x, _core.normal(shape=(300, 300), mean=0.0, std=0.05, seed=1))
    x = S.get("RandomUniform")(shape=(10,), minval=1.0, maxval=2.0, seed=1)
    np.testing.assert_array_equal(x, _core.uniform(shape=(10,), low=1.0, high=2.0, seed=1))
    x = S.get("TruncatedNormal")(shape=(1000,), stddev=0.1, seed=1)
    np.testing.assert_array_equal(x, _core.truncated_normal(shape=(1000,), std=0.1, seed=1))
    assert np.abs(x).max() <= 0.2


def test_torch_signature_variants():
    x = S.get("uniform_")(np.empty(10000), seed=1)            # U[0, 1)
    assert 0 <= x.min() and x.max() < 1 and x.max() > 0.9
    x = S.get("normal_")(np.empty(10), 1.0, 2.0, seed=1)
    np.testing.assert_array_equal(x, _core.normal(shape=10, dtype=np.float64, mean=1.0,
                                                  std=2.0, seed=1))
    # trunc_normal_: a and b are absolute
    x = S.get("trunc_normal_")(np.empty(20000), mean=0.2, std=0.5, a=-0.5, b=1.0, seed=1)
    assert x.min() >= -0.5 and x.max() <= 1.0 and x.min() < -0.45 and x.max() > 0.95
    np.testing.assert_array_equal(x, _core.truncated_normal(
        shape=20000, dtype=np.float64, mean=0.2, std=0.5, a=(-0.5 - 0.2) / 0.5,
        b=(1.0 - 0.2) / 0.5, seed=1))
    np.testing.assert_array_equal(S.get("constant_")(np.empty(3), 0.5), 0.5)


def test_torch_trunc_normal_infinite_and_bad_bounds():
    # PyTorch accepts infinite a/b: a=-inf, b=inf is a plain N(mean, std^2)
    x = S.initialize(np.empty(20000), "trunc_normal_", 1.0, 2.0, -math.inf, math.inf, seed=3)
    np.testing.assert_array_equal(x, _core.truncated_normal(
        shape=20000, dtype=np.float64, mean=1.0, std=2.0, a=-math.inf, b=math.inf, seed=3))
    y = S.initialize(np.empty(20000), "trunc_normal_", 0.0, 1.0, 0.5, math.inf, seed=3)
    assert y.min() >= 0.5 and y.max() > 3
    out = np.full(8, SENTINEL)
    for kw, exc, match in [(dict(mean=0.25, std=0.5, a=1.0, b=0.5), ValueError,
                            r"a=1.0 must be less than b=0.5 \(absolute"),
                           (dict(a=0.5, b=0.5), ValueError, "less than"),
                           (dict(a=float("nan")), ValueError, "a=nan"),
                           (dict(b="2"), TypeError, "b must"),
                           (dict(std=0.0), ValueError, "std"),
                           (dict(std=-1.0), ValueError, "std")]:
        with pytest.raises(exc, match=match):
            S.initialize(out, "trunc_normal_", seed=0, **kw)
    assert (out == SENTINEL).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_torch_trunc_normal_bounds_and_distribution(dtype):
    # torch test_trunc_normal_all_dtypes / _narrow_interval: absolute bounds hold in
    # the dtype, and the values follow the truncated normal
    rng = np.random.default_rng(123)
    for _ in range(5):
        mean, std = rng.uniform(-3, 3), rng.uniform(0.01, 1)
        a, b = rng.uniform(mean - 2 * std, mean), rng.uniform(mean, mean + 2 * std)
        t = S.initialize(np.zeros((40, 45), dtype), "trunc_normal_", mean=mean, std=std,
                         a=a, b=b, seed=int(rng.integers(1 << 30)))
        assert t.min() >= dtype(a) and t.max() <= dtype(b)
        z = (t.astype(np.float64).ravel() - mean) / std
        p = stats.kstest(z, "truncnorm", args=((a - mean) / std, (b - mean) / std)).pvalue
        assert p > 1e-4 or dtype == np.float16
    t = S.initialize(np.empty(10000, dtype), "trunc_normal_", 0.0, 1.0, 2.0, 3.0, seed=1)
    assert t.min() >= 2.0 and t.max() <= 3.0
    assert stats.kstest(t.astype(np.float64), "truncnorm", args=(2.0, 3.0)).pvalue > 1e-4


@pytest.mark.parametrize("name, suggestion", [
    ("glorot_unifrom", "glorot_uniform"), ("GlorotUnifrom", "GlorotUniform"),
    ("kaiming_normal__", "kaiming_normal_"), ("HENORMAL", "HeNormal"),
])
def test_unknown_name(name, suggestion):
    with pytest.raises(ValueError) as e:
        S.get(name)
    msg = str(e.value)
    assert repr(name) in msg and f"'{suggestion}'" in msg.split("Valid names")[0]
    assert "xavier_uniform" in msg and "VarianceScaling" in msg   # lists the valid names
    with pytest.raises(ValueError):
        S.initialize(np.empty(3), name)


@pytest.mark.parametrize("name", [None, 3, ["he_normal"]])
def test_name_of_wrong_type(name):
    with pytest.raises(TypeError, match="name"):
        S.get(name)


# ---- argument errors leave out untouched --------------------------------------------------

BAD_CALLS = [
    (S.xavier_uniform, dict(gain=-1.0), ValueError, "gain"),
    (S.xavier_uniform, dict(gain=float("nan")), ValueError, "gain"),
    (S.xavier_uniform, dict(gain="1"), TypeError, "gain"),
    (S.xavier_normal, dict(gain=float("inf")), ValueError, "gain"),
    (S.xavier_normal, dict(truncated="yes"), TypeError, "truncated"),
    (S.xavier_uniform, dict(layout="caffe"), ValueError, "layout"),
    (S.xavier_uniform, dict(in_axis=5), ValueError, "in_axis"),
    (S.xavier_uniform, dict(fan_in=0), ValueError, "fan_in"),
    (S.xavier_uniform, dict(fan_out=-3), ValueError, "fan_out"),
    (S.xavier_uniform, dict(fan_in=True), TypeError, "fan_in"),
    (S.kaiming_uniform, dict(mode="fan_avg"), ValueError, "mode"),
    (S.kaiming_uniform, dict(mode=1), TypeError, "mode"),
    (S.kaiming_normal, dict(nonlinearity="gelu"), ValueError, "nonlinearity"),
    (S.kaiming_normal, dict(a=float("nan")), ValueError, "a="),
    (S.kaiming_normal, dict(a=True), TypeError, "a must"),
    (S.kaiming_normal, dict(truncated=1), TypeError, "truncated"),
    (S.lecun_normal, dict(truncated=None), TypeError, "truncated"),
    (S.variance_scaling, dict(scale=0.0), ValueError, "scale"),
    (S.variance_scaling, dict(scale=-2.0), ValueError, "scale"),
    (S.variance_scaling, dict(mode="fan_max"), ValueError, "mode"),
    (S.variance_scaling, dict(distribution="gamma"), ValueError, "distribution"),
    (S.variance_scaling, dict(distribution=None), TypeError, "distribution"),
    (S.orthogonal, dict(gain=float("inf")), ValueError, "gain"),
    (S.orthogonal, dict(column_axis=4), ValueError, "column_axis"),
    (S.orthogonal, dict(layout="nchw"), ValueError, "layout"),
    (S.sparse, dict(), ValueError, "exactly one"),
    (S.sparse, dict(sparsity=0.1, connections=2), ValueError, "exactly one"),
    (S.sparse, dict(sparsity=1.5), ValueError, "sparsity"),
    (S.sparse, dict(sparsity=-0.1), ValueError, "sparsity"),
    (S.sparse, dict(connections=9), ValueError, "connections"),
    (S.sparse, dict(connections=2.0), TypeError, "connections"),
    (S.sparse, dict(sparsity=0.1, std=-1.0), ValueError, "std"),
    (S.eye, dict(gain=float("nan")), ValueError, "gain"),
    (S.identity, dict(gain=1e300), ValueError, "gain"),
    (S.variance_scaling, dict(seed=-1), ValueError, "seed"),
    (S.xavier_normal, dict(seed="abc"), TypeError, "seed"),
    (S.kaiming_uniform, dict(stream=-1), ValueError, "stream"),
    (S.orthogonal, dict(offset=-1), ValueError, "offset"),
    (S.orthogonal, dict(offset=2 ** 64 - 10), ValueError, "offset"),
    (S.sparse, dict(sparsity=0.5, threads=0), ValueError, "threads"),
    (S.sparse, dict(connections=2, stream=1.5), TypeError, "stream"),
    (S.xavier_uniform, dict(dtype=np.float64), ValueError, "dtype"),
    (S.xavier_uniform, dict(shape=(3, 3)), ValueError, "shape"),
]


@pytest.mark.parametrize("fn, kwargs, exc, match", BAD_CALLS,
                         ids=[f"{c[0].__name__}-{'-'.join(c[1])}" for c in BAD_CALLS])
def test_bad_arguments_leave_out_untouched(fn, kwargs, exc, match):
    out = np.full((6, 8), SENTINEL, np.float32)
    with pytest.raises(exc, match=match):
        fn(out, **kwargs)
    assert (out == SENTINEL).all()


@pytest.mark.parametrize("name, kwargs, exc, match", [
    # the torch.nn.init / keras.initializers names report their own parameter names
    ("uniform_", dict(a=1.0, b=0.5), ValueError, r"a=1.0 is greater than b=0.5"),
    ("uniform_", dict(b="1"), TypeError, "b must"),
    ("normal_", dict(std=-1.0), ValueError, "std=-1.0"),
    ("constant_", dict(val=None), TypeError, "val must"),
    ("RandomNormal", dict(stddev=-0.1), ValueError, "stddev=-0.1"),
    ("RandomNormal", dict(mean=float("nan")), ValueError, "mean=nan"),
    ("RandomUniform", dict(minval=1.0), ValueError, r"minval=1.0 is greater than maxval=0.05"),
    ("RandomUniform", dict(maxval=[1]), TypeError, "maxval must"),
    ("TruncatedNormal", dict(stddev="0.1"), TypeError, "stddev must"),
    ("trunc_normal_", dict(mean=1e30, std=1.0, a=-2.0, b=2.0), ValueError, "empty"),
    ("he_normal", dict(threads=1.5), TypeError, "threads"),
    ("Orthogonal", dict(threads=-1), ValueError, "threads"),
])
def test_named_variants_check_their_own_parameters(name, kwargs, exc, match):
    out = np.full((6, 8), SENTINEL, np.float32)
    with pytest.raises(exc, match=match):
        S.initialize(out, name, seed=0, **kwargs)
    assert (out == SENTINEL).all()


@pytest.mark.parametrize("fn", [S.xavier_uniform, S.xavier_normal, S.kaiming_uniform,
                                S.kaiming_normal, S.lecun_uniform, S.lecun_normal,
                                S.variance_scaling, S.orthogonal, S.eye])
@pytest.mark.parametrize("shape", [(5,), ()])
def test_rank_errors(fn, shape):
    out = np.full(shape, SENTINEL)
    with pytest.raises(ValueError, match="shape"):
        fn(out) if fn is S.eye else fn(out, seed=0)
    assert (out == SENTINEL).all()


@pytest.mark.parametrize("fn, shape, kwargs", [
    (S.sparse, (3, 4, 5), dict(sparsity=0.1)), (S.sparse, (5,), dict(connections=1)),
    (S.dirac, (3, 3), {}), (S.dirac, (2, 2, 2, 2, 2, 2), {}),
    (S.dirac, (6, 2, 3), dict(groups=4)), (S.dirac, (6, 2, 3), dict(groups=0)),
    (S.eye, (2, 2, 2), {}),
])
def test_structure_errors(fn, shape, kwargs):
    out = np.full(shape, SENTINEL)
    with pytest.raises(ValueError):
        fn(out, **kwargs)
    assert (out == SENTINEL).all()


def test_bad_out():
    with pytest.raises(TypeError, match="out"):
        S.xavier_uniform(np.zeros((3, 3), np.int32))
    with pytest.raises(TypeError):
        S.orthogonal(None)                # neither out nor shape
    ro = np.zeros((3, 3))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        S.kaiming_normal(ro)
    with pytest.raises(TypeError, match="weight"):
        S.torch_default(None)
    b = np.full(3, SENTINEL)
    with pytest.raises(ValueError, match="shape"):
        S.torch_default(np.empty(3), b, seed=0)          # rank-1 weight
    assert (b == SENTINEL).all()


# ---- zero-size, dtypes, return values -------------------------------------------------------

ALL_SCHEMES = [
    (S.xavier_uniform, {}), (S.xavier_normal, dict(truncated=True)), (S.kaiming_uniform, {}),
    (S.kaiming_normal, {}), (S.lecun_uniform, {}), (S.lecun_normal, {}),
    (S.variance_scaling, dict(mode="fan_avg")), (S.orthogonal, {}),
    (S.sparse, dict(sparsity=0.5)), (S.sparse, dict(connections=0)),
]


ZERO_ELEMENT_WARNING = "Initializing zero-element tensors is a no-op"


@pytest.mark.parametrize("fn, kwargs", ALL_SCHEMES)
@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0)])
def test_zero_size_is_a_no_op(fn, kwargs, shape):
    """No warning, no division by zero -- except PyTorch's own UserWarning
    from kaiming_uniform/kaiming_normal (torch.nn.init warns so)."""
    kaiming = fn in (S.kaiming_uniform, S.kaiming_normal)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="raise"):
        warnings.simplefilter("always")
        out = np.empty(shape, np.float32)
        assert fn(out, seed=0, **kwargs) is out
        assert fn(shape=shape + (0,) if fn is not S.sparse else shape, seed=0,
                  **kwargs).size == 0
    messages = [(w.category, str(w.message)) for w in caught]
    assert messages == ([(UserWarning, ZERO_ELEMENT_WARNING)] * 2 if kaiming else [])


@pytest.mark.parametrize("fn", [S.kaiming_uniform, S.kaiming_normal, S.he_uniform,
                                S.he_normal])
def test_kaiming_zero_element_warning_as_pytorch(fn):
    # torch test_kaiming_*_warning_on_0element_tensor: torch.empty(0, 1)
    out = np.empty((0, 1), np.float32)
    with pytest.warns(UserWarning, match=ZERO_ELEMENT_WARNING):
        assert fn(out, seed=0) is out
    with pytest.warns(UserWarning, match=ZERO_ELEMENT_WARNING):
        S.initialize(np.empty((3, 0, 2)), fn.__name__, mode="fan_out", seed=0)
    # arguments are checked first (nothing to write, but bad input is still an error)
    with pytest.raises(ValueError, match="mode"):
        fn(out, mode="fan_avg")


@pytest.mark.parametrize("fn, kwargs", ALL_SCHEMES)
@pytest.mark.parametrize("dtype", [np.float16, "bfloat16"])
def test_narrow_dtypes(fn, kwargs, dtype):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    out = fn(shape=(24, 16), dtype=dtype, seed=0, **kwargs)
    assert out.dtype == _core.prepare_out(None, (1,), dtype).dtype
    assert np.isfinite(out.astype(np.float32)).all()


def test_buffer_out_is_returned():
    import array
    buf = array.array("f", [0.0] * 12)
    assert S.kaiming_uniform(buf, fan_in=4, seed=0) is buf
    assert any(v != 0 for v in buf)


# ---- optional cross-checks against the installed anchors (skipped without them) --------
# Random values differ by design; these compare the exact parameters each anchor hands
# to its sampler (captured with a stub), and the deterministic schemes' values.

def _keras_random_initializers(monkeypatch):
    if "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ:
        monkeypatch.setenv("KERAS_BACKEND", "numpy")    # the lightest backend
    pytest.importorskip("keras")
    try:
        from keras.src.initializers import random_initializers as ri
    except ImportError:
        pytest.skip("keras.src.initializers.random_initializers moved")
    return ri


class _KerasRandomStub:
    """Records (distribution, params) instead of sampling."""

    def __init__(self, real):
        self._real = real
        self.calls = []

    def __getattr__(self, name):
        return getattr(self._real, name)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        self.calls.append(("truncated_normal", (mean, stddev)))

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        self.calls.append(("normal", (mean, stddev)))

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        self.calls.append(("uniform", (minval, maxval)))


KERAS_CLASSES = ["GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                 "LecunNormal"]
KERAS_SHAPES = [(25, 20), (3, 3, 8, 16), (5, 7, 9), (1, 1), (2, 3, 4, 5, 6)]


def _ours_as_keras(spy):
    """The call fastinit made, in Keras' terms (truncated: the sigma given)."""
    kind, params, _ = only_call(spy)
    spy.calls.clear()
    if kind == "uniform":
        return "uniform", params
    if kind == "normal":
        return "normal", params
    mean, sigma, a, b = params
    assert (a, b) == (-2.0, 2.0)
    return "truncated_normal", (mean, sigma)


@pytest.mark.parametrize("shape", KERAS_SHAPES)
def test_keras_names_match_installed_keras(spy, monkeypatch, shape):
    ri = _keras_random_initializers(monkeypatch)
    stub = _KerasRandomStub(ri.random)
    monkeypatch.setattr(ri, "random", stub)
    import keras
    cases = [(name, {}, getattr(keras.initializers, name)(seed=1)) for name in KERAS_CLASSES]
    for scale, mode, dist in [(2.0, "fan_in", "normal"), (0.5, "fan_out", "uniform"),
                              (3.0, "fan_avg", "untruncated_normal"),
                              (1.0, "fan_avg", "truncated_normal")]:
        kw = dict(scale=scale, mode=mode, distribution=dist)
        cases.append(("VarianceScaling", kw, keras.initializers.VarianceScaling(seed=1, **kw)))
    if len(shape) >= 3:
        axes = dict(input_axes=[0], output_axes=[1, 2])
        cases.append(("VarianceScaling", dict(mode="fan_avg", **axes),
                      keras.initializers.VarianceScaling(mode="fan_avg", seed=1, **axes)))
        cases.append(("HeNormal", axes, keras.initializers.HeNormal(seed=1, **axes)))
    for name, kw, keras_init in cases:
        stub.calls.clear()
        keras_init(shape)
        S.initialize(np.empty(shape), name, seed=0, **kw)
        assert _ours_as_keras(spy) == stub.calls[0], (name, kw)


def test_keras_deterministic_and_structural_match_installed_keras(monkeypatch):
    _keras_random_initializers(monkeypatch)
    import keras
    for shape in [(3, 3), (2, 5), (5, 2)]:
        np.testing.assert_array_equal(
            np.asarray(keras.initializers.Identity(gain=2.5)(shape), np.float64),
            S.initialize(np.empty(shape), "Identity", gain=2.5))
    with pytest.raises(ValueError):
        keras.initializers.Identity()((2, 2, 2))
    with pytest.raises(ValueError):
        S.initialize(np.empty((2, 2, 2)), "Identity")
    k = np.asarray(keras.initializers.Orthogonal(gain=1.5, seed=3)((3, 3, 4, 8)), np.float64)
    w = S.initialize(np.empty((3, 3, 4, 8)), "Orthogonal", gain=1.5, seed=3)
    for m in (k, w):                          # the same flattening: (36, 8), orthogonal columns
        m = m.reshape(36, 8)
        np.testing.assert_allclose(m.T @ m, 1.5 ** 2 * np.eye(8), atol=1e-5)


def _jax_initializers_with_ones(monkeypatch):
    """jax.nn.initializers with its samplers returning ones: each initializer
    then returns its own multiplier (std or limit), computed in float64."""
    jax = pytest.importorskip("jax")
    try:
        from jax._src.nn import initializers as ji
    except ImportError:
        pytest.skip("jax._src.nn.initializers moved")
    import jax.numpy as jnp

    class Ones:
        def __getattr__(self, name):
            return getattr(jax.random, name)

        def truncated_normal(self, key, lower, upper, shape, dtype, **kw):
            assert (lower, upper) == (-2, 2)
            return jnp.ones(shape, dtype)

        def normal(self, key, shape, dtype, **kw):
            return jnp.ones(shape, dtype)

        def uniform(self, key, shape, dtype, minval=0.0, **kw):
            assert minval == -1
            return jnp.ones(shape, dtype)

    monkeypatch.setattr(ji, "random", Ones())
    return jax, jnp


@pytest.mark.parametrize("shape, axes", [
    ((25, 20), {}), ((3, 3, 8, 16), {}), ((5, 7, 9), {}),
    ((2, 3, 4, 5), dict(in_axis=(0, 1), out_axis=(-2, -1))),
    ((2, 3, 4, 5), dict(in_axis=0, out_axis=(2, 3), batch_axis=1)),
])
def test_jax_initializers_match_installed_jax(spy, monkeypatch, shape, axes):
    jax, jnp = _jax_initializers_with_ones(monkeypatch)
    key = jax.random.PRNGKey(0)
    ours = {
        "glorot_uniform": lambda w, **kw: S.variance_scaling(w, 1.0, "fan_avg", "uniform",
                                                             **kw),
        "glorot_normal": lambda w, **kw: S.xavier_normal(w, truncated=True, **kw),
        "he_normal": lambda w, **kw: S.kaiming_normal(w, truncated=True, **kw),
        "lecun_uniform": lambda w, **kw: S.lecun_uniform(w, **kw),
        "lecun_normal": lambda w, **kw: S.lecun_normal(w, truncated=True, **kw),
        "he_uniform": lambda w, **kw: S.variance_scaling(w, 2.0, "fan_in", "uniform", **kw),
    }
    with jax.enable_x64(True):
        for name, fn in ours.items():
            theirs = float(getattr(jax.nn.initializers, name)(**axes)(key, shape,
                                                                      jnp.float64).ravel()[0])
            fn(np.empty(shape), layout="jax", seed=0, **axes)
            kind, params, _ = only_call(spy)
            spy.calls.clear()
            assert params[1] == theirs, name            # std, sigma or limit: bit for bit
        for mode in ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"]:
            for dist in ["normal", "uniform", "truncated_normal"]:
                init = jax.nn.initializers.variance_scaling(0.7, mode, dist, **axes)
                theirs = float(init(key, shape, jnp.float64).ravel()[0])
                S.variance_scaling(np.empty(shape), 0.7, mode, dist, layout="jax", seed=0,
                                   **axes)
                kind, params, _ = only_call(spy)
                spy.calls.clear()
                assert params[1] == theirs, (mode, dist)
        # xavier_uniform/kaiming_uniform keep PyTorch's expression sqrt(3) * std: equal
        # to JAX's sqrt(3 * variance) up to the last bit
        for name, fn in [("he_uniform", S.kaiming_uniform), ("glorot_uniform",
                                                             S.xavier_uniform)]:
            theirs = float(getattr(jax.nn.initializers, name)(**axes)(key, shape, jnp.float64)
                           .ravel()[0])
            fn(np.empty(shape), layout="jax", seed=0, **axes)
            assert only_call(spy)[1][1] == pytest.approx(theirs, rel=5e-16, abs=0)
            spy.calls.clear()


def test_jax_structural_match_installed_jax():
    jax = pytest.importorskip("jax")
    key = jax.random.PRNGKey(0)
    for shape in [(3, 4, 5), (2, 3, 4, 5), (4, 4, 2, 2), (3, 2, 5, 2, 3)]:
        theirs = np.asarray(jax.nn.initializers.delta_orthogonal()(key, shape))
        ours = S.delta_orthogonal(shape=shape, seed=0)
        axes = tuple(range(len(shape) - 2))
        np.testing.assert_array_equal(np.abs(theirs).sum(axis=(-2, -1)) > 0,
                                      np.abs(ours).sum(axis=(-2, -1)) > 0)
        assert np.count_nonzero(np.abs(ours).sum(axis=(-2, -1))) == 1, axes
    for shape in [(3, 3, 5, 2), (3, 3)]:
        with pytest.raises(ValueError):
            jax.nn.initializers.delta_orthogonal()(key, shape)
        with pytest.raises(ValueError):
            S.delta_orthogonal(shape=shape, seed=0)
    # orthogonal(column_axis=0): the same flattening as JAX's
    theirs = np.asarray(jax.nn.initializers.orthogonal(column_axis=0)(key, (6, 4, 5)))
    ours = S.orthogonal(shape=(6, 4, 5), column_axis=0, seed=0)
    for w in (theirs, ours):
        m = np.moveaxis(w, 0, -1).reshape(20, 6).astype(np.float64)
        np.testing.assert_allclose(m.T @ m, np.eye(6), atol=1e-5)
    with pytest.raises(ValueError):
        jax.nn.initializers.orthogonal()(key, (5,))
    with pytest.raises(ValueError):
        S.orthogonal(shape=(5,), seed=0)


class _TorchCapture:
    """A torch.Tensor subclass whose uniform_/normal_ record their arguments
    instead of sampling (what torch.nn.init hands its sampler)."""

    @staticmethod
    def make(torch, shape):
        calls = []

        class Cap(torch.Tensor):
            def uniform_(self, a=0.0, b=1.0, generator=None):
                calls.append(("uniform", (a, b)))
                return self

            def normal_(self, mean=0.0, std=1.0, generator=None):
                calls.append(("normal", (mean, std)))
                return self

        return torch.empty(shape, dtype=torch.float64).as_subclass(Cap), calls


TORCH_SHAPES = [(16, 8, 3, 3), (25, 20), (7, 5, 3), (3, 2, 2, 2, 2), (1, 1), (300, 1)]


@pytest.mark.parametrize("shape", TORCH_SHAPES)
def test_torch_schemes_match_installed_torch(spy, shape):
    torch = pytest.importorskip("torch")
    init = torch.nn.init
    cases = [(init.xavier_uniform_, S.xavier_uniform, dict(gain=g)) for g in (1, 0.3, 5 / 3)]
    cases += [(init.xavier_normal_, S.xavier_normal, dict(gain=g)) for g in (1, 2.5)]
    for a in (0, 0.2, math.sqrt(5), -1.5):
        for mode in ("fan_in", "fan_out", "Fan_Out"):
            for nl in ("leaky_relu", "relu", "tanh", "selu", "linear"):
                kw = dict(a=a, mode=mode, nonlinearity=nl)
                cases.append((init.kaiming_uniform_, S.kaiming_uniform, kw))
                cases.append((init.kaiming_normal_, S.kaiming_normal, kw))
    for theirs, ours, kw in cases:
        t, calls = _TorchCapture.make(torch, shape)
        theirs(t, **kw)
        ours(np.empty(shape), seed=0, **kw)
        kind, params, _ = only_call(spy)
        spy.calls.clear()
        assert [(kind, params)] == calls, (theirs.__name__, kw)   # bit for bit


def test_torch_structural_match_installed_torch():
    torch = pytest.importorskip("torch")
    init = torch.nn.init
    for shape in [(3, 5), (5, 3), (4, 4), (1, 6)]:
        t = init.eye_(torch.empty(shape, dtype=torch.float64))
        np.testing.assert_array_equal(t.numpy(), S.eye(np.empty(shape)))
    for shape, groups in [((4, 2, 3), 1), ((3, 5, 4), 1), ((6, 2, 3, 3), 2), ((6, 3, 2, 4), 3),
                          ((4, 4, 3, 3, 3), 1), ((8, 1, 5, 5, 2), 4), ((9, 3, 4, 4), 3)]:
        t = init.dirac_(torch.randn(shape, dtype=torch.float64), groups)
        np.testing.assert_array_equal(t.numpy(), S.dirac(np.full(shape, SENTINEL), groups))
    for fn, theirs_fn, shape in [(S.eye, init.eye_, (3,)), (S.eye, init.eye_, (2, 2, 2)),
                                 (S.dirac, init.dirac_, (3, 3)),
                                 (S.orthogonal, init.orthogonal_, (4,)),
                                 (S.sparse, lambda t: init.sparse_(t, 0.5), (2, 2, 2)),
                                 (S.xavier_uniform, init.xavier_uniform_, ()),
                                 (S.kaiming_normal, init.kaiming_normal_, (5,))]:
        with pytest.raises(ValueError):
            theirs_fn(torch.empty(shape))
        kw = dict(sparsity=0.5) if fn is S.sparse else {}
        with pytest.raises(ValueError):
            fn(np.empty(shape), **kw)
    with pytest.raises(ValueError, match="divisible"):
        init.dirac_(torch.empty(6, 2, 3), 4)
    with pytest.raises(ValueError, match="divisible"):
        S.dirac(np.empty((6, 2, 3)), 4)
    # sparse_: the same number of zeros per column (math.ceil(sparsity * rows))
    for rows, sparsity in [(10, 0.25), (100, 0.55), (7, 0.3)]:
        t = init.sparse_(torch.empty(rows, 40, dtype=torch.float64), sparsity, std=1.0)
        w = S.sparse(np.empty((rows, 40)), sparsity, 1.0, seed=0)
        np.testing.assert_array_equal((t == 0).sum(0).numpy(), (w == 0).sum(axis=0))
    # orthogonal_: the same flattening (rows = shape[0])
    for shape in [(3, 4), (4, 3), (20, 2, 3, 4), (2, 3, 4, 5)]:
        t = init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=1.5)
        w = S.orthogonal(np.empty(shape), gain=1.5, seed=0)
        for m in (t.numpy(), w):
            m = m.reshape(shape[0], -1)
            gram = m.T @ m if m.shape[0] > m.shape[1] else m @ m.T
            np.testing.assert_allclose(gram, 1.5 ** 2 * np.eye(min(m.shape)), atol=1e-12)


@pytest.mark.parametrize("shape", [(10, 7), (8, 4, 3, 3), (6, 3, 5), (4, 0)])
def test_torch_default_matches_installed_torch(spy, shape):
    torch = pytest.importorskip("torch")
    fan_in = math.prod(shape[1:])
    t, calls = _TorchCapture.make(torch, shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5))      # nn.Linear/ConvNd's weight
        S.torch_default(np.empty(shape), np.empty(shape[0]), seed=0)
    b = 1 / math.sqrt(fan_in) if fan_in > 0 else 0                # and bias, as theirs
    expected = calls + [("uniform", (-b, b))]
    got = [(k, p) for k, p, _ in spy.calls]
    assert got == expected


# ---- schemes through a Generator --------------------------------------------------------

def test_generator_initialize_uses_the_next_stream():
    from fastinit import Generator, stream_id
    g = Generator(11)
    w1 = g.initialize(np.empty((8, 6), np.float32), "he_normal")
    w2 = g.initialize(np.empty((8, 6), np.float32), "GlorotUniform")
    assert np.array_equal(w1, S.he_normal(shape=(8, 6), seed=11, stream=stream_id("#0")))
    assert np.array_equal(w2, S.get("GlorotUniform")(shape=(8, 6), seed=11,
                                                     stream=stream_id("#1")))
    assert g.calls == 2
    again = Generator(11).initialize(np.empty((8, 6), np.float32), "he_normal")
    assert np.array_equal(again, w1)


@pytest.mark.parametrize("name, kwargs", [("eye", {}), ("dirac_", {}), ("zeros", {}),
                                          ("constant_", dict(val=0.5)), ("Identity", {})])
def test_generator_deterministic_schemes_take_no_stream(name, kwargs):
    from fastinit import Generator
    g = Generator(1)
    shape = (4, 4, 3) if "dirac" in name else (4, 4)
    out = g.initialize(np.full(shape, SENTINEL, np.float32), name, **kwargs)
    assert np.array_equal(out, S.get(name)(np.empty(shape, np.float32), **kwargs))
    assert g.calls == 0
    assert not S.is_random(name) and S.is_random("he_normal")


def test_generator_initialize_rejects_seed_and_unknown_names():
    from fastinit import Generator
    g = Generator(1)
    with pytest.raises(TypeError, match="seed"):
        g.initialize(np.empty((4, 4), np.float32), "he_normal", seed=3)
    with pytest.raises(ValueError, match="he_normal"):
        g.initialize(np.empty((4, 4), np.float32), "he_nromal")
    assert g.calls == 0
