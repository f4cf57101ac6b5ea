"""The fills against the README's "Fills" section: what the values are
(statistics), what they never are (high, inf, NaN, outside the bounds), what
input is refused and how, and which arrays and objects are filled.

The stream itself (known answers, the NumPy reference, offsets, slices,
threads, SIMD paths) is tested in test_stream.py."""
import array
import ctypes
import functools
import json
import math
import subprocess
import sys
import threading
from dataclasses import dataclass
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
import scipy.special
import scipy.stats

import fastinit

import reference as ref

_SCIPY_VERSION = tuple(int(p) for p in scipy.__version__.split(".")[:2])

F32, F64, F16 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)
BF16 = np.dtype(ml_dtypes.bfloat16)
DTYPES = [F32, F64, F16, BF16]
NARROW = (F16, BF16)
SEED = 20251124


def dtype_ids(dt):
    return np.dtype(dt).name


def dtype_max(dt):
    return float(ml_dtypes.finfo(dt).max)


def exact(x):
    """A float (or a value of any float dtype) as an exact rational."""
    return Fraction(float(x))


def dtype_ceil(x, dt):
    """The smallest value of dtype dt >= x (x exact, a Fraction or a float)."""
    r = np.asarray(float(x)).astype(dt)
    if exact(r) < x:
        r = np.nextafter(r, np.asarray(np.inf, dt))
    return float(r)


def dtype_floor(x, dt):
    """The largest value of dtype dt <= x."""
    r = np.asarray(float(x)).astype(dt)
    if exact(r) > x:
        r = np.nextafter(r, np.asarray(-np.inf, dt))
    return float(r)


# ---- the statistical check -----------------------------------------------------------
#
# A sample passes when a Kolmogorov-Smirnov test does not reject the model at
# p >= KS_P_MIN and its mean and standard deviation lie within Z_MAX standard
# errors of the model's.  float32/float64 samples are tested against the
# continuous model (their rounding is far below what N samples resolve);
# float16/bfloat16 samples against the model rounded to the dtype, which is
# discrete: the KS test then runs on the randomized probability integral
# transform (uniform on [G(v-), G(v)] for a value v), exactly U(0, 1) under
# the rounded model, and the moments are the rounded model's.

N = 1 << 19             # samples per statistical test
KS_P_MIN = 1e-6         # about five sigma (asymptotic p-values: exact ones are slow at N)
Z_MAX = 6.0             # standard errors


@dataclass(frozen=True)
class Model:
    """The distribution a fill should follow: its CDF and moments, and the
    lowest and highest values a fill may store (it clamps to them)."""
    cdf: object
    mean: float
    std: float
    kurtosis: float                 # mu4 / sigma^4: 3 for a normal
    lo: float = -math.inf
    hi: float = math.inf


def uniform_model(low, high, dt):
    lo = float(np.asarray(low).astype(dt))
    hi = float(np.asarray(high).astype(dt))
    top = float(np.nextafter(np.asarray(hi, dt), np.asarray(-np.inf, dt)))
    return Model(lambda x: np.clip((np.asarray(x) - lo) / (hi - lo), 0.0, 1.0),
                 (lo + hi) / 2, (hi - lo) / math.sqrt(12), 1.8, lo, top)


def normal_model(mean, std):
    return Model(scipy.stats.norm(mean, std).cdf, mean, std, 3.0)


def truncnorm_cdf(a, b, mean=0.0, std=1.0):
    """The CDF of scipy.stats.truncnorm(a, b, mean, std) through log_ndtr, on
    the side of the interval where it keeps its precision (the test below
    checks that they agree); scipy's own cdf is too slow for N samples."""
    lnd = scipy.special.log_ndtr
    if a + b > 0:       # mostly above 0: 1 - P(X > x) with upper tails
        la = lnd(-a)
        tail = -np.expm1(lnd(-b) - la)

        def cdf(x):
            z = np.clip((np.asarray(x, np.float64) - mean) / std, a, b)
            return -np.expm1(lnd(-z) - la) / tail
    else:
        lb = lnd(b)
        head = -np.expm1(lnd(a) - lb)

        def cdf(x):
            z = np.clip((np.asarray(x, np.float64) - mean) / std, a, b)
            return (np.exp(lnd(z) - lb) - np.exp(lnd(a) - lb)) / head
    return cdf


def truncnorm_moments(a, b):
    """Mean, std and kurtosis of N(0, 1) restricted to [a, b] by composite
    Gauss-Legendre quadrature (scipy's kurtosis is wrong for narrow and far
    intervals: -1e7 for (1, 1.0001), 8.37 instead of ~8.97 for (40, inf))."""
    lo, hi = max(a, min(b, 0.0) - 12.0), min(b, max(a, 0.0) + 12.0)
    t, w = np.polynomial.legendre.leggauss(8)
    edges = np.linspace(lo, hi, 257)
    mid, half = (edges[:-1] + edges[1:]) / 2, (edges[1:] - edges[:-1]) / 2
    x = (mid[:, None] + half[:, None] * t).ravel()
    c = min(max(0.0, lo), hi)                  # where the density peaks
    w = (half[:, None] * w).ravel() * np.exp(-(x - c) * (x + c) / 2)
    w /= w.sum()
    m = (w * x).sum()
    var = (w * (x - m) ** 2).sum()
    return m, math.sqrt(var), (w * (x - m) ** 4).sum() / var ** 2


def truncnorm_model(mean, std, a, b, dt):
    m, s, k = truncnorm_moments(a, b)
    lo = dtype_ceil(Fraction(mean) + Fraction(a) * Fraction(std), dt) if a > -np.inf else -np.inf
    hi = dtype_floor(Fraction(mean) + Fraction(b) * Fraction(std), dt) if b < np.inf else np.inf
    return Model(truncnorm_cdf(a, b, mean, std), mean + std * m, std * s, k, lo, hi)


@functools.lru_cache(maxsize=None)
def every_value(dt):
    """Every finite value of a 16-bit dtype, ascending (-0 merged with 0)."""
    with np.errstate(invalid="ignore"):
        v = np.arange(1 << 16).astype(np.uint16).view(dt).astype(np.float64)
    return np.unique(v[np.isfinite(v)])


def rounded(model, dt):
    """The model rounded to nearest in dtype dt and clamped to [lo, hi]: the
    values v it can take and G(v) = P(X <= v)."""
    v = every_value(dt)
    v = v[(v >= model.lo) & (v <= model.hi)]
    g = np.asarray(model.cdf(np.append((v[:-1] + v[1:]) / 2, np.inf)), np.float64)
    g[-1] = 1.0
    return v, g


@dataclass
class Fit:
    ks_p: float
    mean_z: float
    std_z: float

    def problems(self):
        """What rejects the sample: a subset of {"ks", "mean", "std"}."""
        return ({"ks"} if not self.ks_p >= KS_P_MIN else set()) | \
               ({"mean"} if not abs(self.mean_z) <= Z_MAX else set()) | \
               ({"std"} if not abs(self.std_z) <= Z_MAX else set())


def fit(sample, model):
    """How well a fill's sample follows the model (see the section comment)."""
    x = np.asarray(sample).astype(np.float64).ravel()
    n = x.size
    if np.asarray(sample).dtype in NARROW:
        v, g = rounded(model, np.asarray(sample).dtype)
        p = np.diff(g, prepend=0.0)
        mean = (p * v).sum()
        var = (p * (v - mean) ** 2).sum()
        kurtosis = (p * (v - mean) ** 4).sum() / var ** 2 if var > 0 else 1.0
        std = math.sqrt(var)
        i = np.minimum(np.searchsorted(v, x), v.size - 1)
        if np.all(v[i] == x):
            below = np.where(i > 0, g[i - 1], 0.0)
            u = below + np.random.default_rng(SEED).random(n) * (g[i] - below)
            ks_p = scipy.stats.kstest(u, "uniform", method="asymp").pvalue
        else:
            ks_p = 0.0          # values the rounded model never takes
    else:
        mean, std, kurtosis = model.mean, model.std, model.kurtosis
        ks_p = scipy.stats.kstest(x, model.cdf, method="asymp").pvalue
    if std == 0:                # every value is the mean
        dev = float(np.abs(x - mean).max())
        return Fit(ks_p, 0.0 if dev == 0 else math.inf, 0.0 if dev == 0 else math.inf)
    mean_se = std / math.sqrt(n)
    std_se = std * math.sqrt((kurtosis - 1) / (4 * n))   # of the sample std, delta method
    return Fit(ks_p, (x.mean() - mean) / mean_se, (x.std() - std) / std_se)


def assert_fits(sample, model):
    f = fit(sample, model)
    assert not f.problems(), f


# ---- the fills follow their distributions --------------------------------------------

UNIFORM_CASES = {"default": (-0.05, 0.05), "shifted": (-1.5, 2.5)}
NORMAL_CASES = {"default": (0.0, 0.05), "scaled": (-0.3, 2.0)}
TRUNCATED_CASES = {                                 # mean, std, a, b
    "default": (0.0, 0.05, -2.0, 2.0),
    "asymmetric": (-1.0, 0.5, -1.0, 3.0),
    "narrow": (0.0, 1.0, 1.0, 1.0001),
    "upper tail": (0.0, 1.0, 5.0, 6.0),
    "lower tail": (0.0, 1.0, -6.0, -5.0),
    "scaled tail": (3.0, 0.25, 5.0, 6.0),
    "open tail": (0.0, 1.0, 8.0, np.inf),
    "far tail": (0.0, 1.0, 40.0, 41.0),             # beyond any double inverse CDF
    "far open tail": (0.0, 1.0, 40.0, np.inf),
    "far lower tail": (0.0, 1.0, -np.inf, -40.0),
}


def uniform_sample(dt, low, high, **kw):
    return fastinit.uniform(shape=N, dtype=dt, low=low, high=high, seed=SEED, **kw)


def normal_sample(dt, mean, std, **kw):
    return fastinit.normal(shape=N, dtype=dt, mean=mean, std=std, seed=SEED, **kw)


def truncated_sample(dt, mean, std, a, b, **kw):
    return fastinit.truncated_normal(shape=N, dtype=dt, mean=mean, std=std, a=a, b=b,
                                     seed=SEED, **kw)


@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("case", list(UNIFORM_CASES))
def test_uniform_statistics(dt, case):
    low, high = UNIFORM_CASES[case]
    assert_fits(uniform_sample(dt, low, high, stream="uniform/" + case),
                uniform_model(low, high, dt))


@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("case", list(NORMAL_CASES))
def test_normal_statistics(dt, case):
    mean, std = NORMAL_CASES[case]
    assert_fits(normal_sample(dt, mean, std, stream="normal/" + case), normal_model(mean, std))


@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("case", list(TRUNCATED_CASES))
def test_truncated_normal_statistics(dt, case):
    mean, std, a, b = TRUNCATED_CASES[case]
    x = truncated_sample(dt, mean, std, a, b, stream="truncated/" + case)
    assert_fits(x, truncnorm_model(mean, std, a, b, dt))
    if a > -np.inf:                 # inside [mean + a std, mean + b std], exactly
        assert exact(x.min()) >= Fraction(mean) + Fraction(a) * Fraction(std)
    if b < np.inf:
        assert exact(x.max()) <= Fraction(mean) + Fraction(b) * Fraction(std)


@pytest.mark.parametrize("dt", [F32, F64], ids=dtype_ids)
@pytest.mark.parametrize("a,b", [(40.0, 41.0), (40.0, np.inf), (-41.0, -40.0)])
def test_far_tail_is_exponential(dt, a, b):
    # Beyond 36 sigma the core samples by Newton's method on ln Q(x); check it
    # without scipy.stats.truncnorm: (x - a) a ~ Exp(1) up to O(1/a^2)
    # (P(X > a + s/a | X > a) = exp(-s - s^2 / 2a^2) (1 + O(1/a^2))).
    edge = a if a > 0 else b
    x = truncated_sample(dt, 0.0, 1.0, a, b, stream="tail/exp")
    s = (x.astype(np.float64) - edge) * edge
    assert scipy.stats.kstest(s, "expon", method="asymp").pvalue >= KS_P_MIN
    assert abs(s.mean() - 1) <= Z_MAX / math.sqrt(N)


@pytest.mark.parametrize("case", list(TRUNCATED_CASES))
def test_truncnorm_cdf_used_above_is_scipys(case):
    mean, std, a, b = TRUNCATED_CASES[case]
    dist = scipy.stats.truncnorm(a, b, loc=mean, scale=std)
    x = dist.ppf(np.linspace(0, 1, 1001))
    assert np.allclose(truncnorm_cdf(a, b, mean, std)(x), dist.cdf(x), rtol=0, atol=1e-12)
    m, s, _ = truncnorm_moments(a, b)
    assert math.isclose(mean + std * m, dist.mean(), rel_tol=1e-9, abs_tol=1e-12)
    if case == "narrow" and _SCIPY_VERSION < (1, 16):
        # SciPy before 1.16 (the newest for Python 3.9 is 1.13) is 6e-3 off
        # here; the moments above are checked against quadrature elsewhere
        pytest.skip(f"scipy {scipy.__version__}: truncnorm std inaccurate for narrow intervals")
    assert math.isclose(std * s, dist.std(), rel_tol=1e-3)     # scipy: 5e-4 off for "narrow"


# ---- the check is able to fail -------------------------------------------------------
#
# The same fit() applied to samples that are wrong in one way each: scaled
# (the std test rejects), shifted (the mean test), reshaped with mean and std
# kept (the KS test), and, for the truncated normal, a bound moved by a
# quarter of the distribution's std (the KS test).  For each, fit() must name
# the test that rejects it.

def scaled(x, center, factor):
    return (center + (x.astype(np.float64) - center) * factor).astype(x.dtype)


def reshaped_uniform(x, lo, hi):
    # u -> u + c (sin 2 pi u - 2 sin 4 pi u): monotone, same range, mean and
    # (to 0.15 %) std; the CDF moves by up to 0.026
    u = (x.astype(np.float64) - lo) / (hi - lo)
    u = u + 0.01 * (np.sin(2 * np.pi * u) - 2 * np.sin(4 * np.pi * u))
    return (lo + (hi - lo) * u).astype(x.dtype)


def reshaped_normal(x, mean, std):
    # z -> z + c He3(z): monotone, same mean and (to 0.12 %) std; the CDF moves by 0.011
    z = (x.astype(np.float64) - mean) / std
    return (mean + std * (z + 0.02 * (z ** 3 - 3 * z))).astype(x.dtype)


@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("wrong,rejects", [("std x 1.02", "std"), ("mean + 1% of width", "mean"),
                                           ("reshaped", "ks")])
def test_uniform_check_rejects_a_wrong_sample(dt, wrong, rejects):
    low, high = UNIFORM_CASES["shifted"]
    model = uniform_model(low, high, dt)
    x = uniform_sample(dt, low, high, stream="uniform/shifted")
    x = {"std x 1.02": lambda: scaled(x, model.mean, 1.02),
         "mean + 1% of width": lambda: (x.astype(np.float64) + 0.04).astype(dt),
         "reshaped": lambda: reshaped_uniform(x, model.lo, model.hi)}[wrong]()
    assert rejects in fit(x, model).problems()


@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("wrong,rejects", [("std x 1.02", "std"), ("mean + 0.02 std", "mean"),
                                           ("reshaped", "ks")])
def test_normal_check_rejects_a_wrong_sample(dt, wrong, rejects):
    mean, std = NORMAL_CASES["scaled"]
    x = normal_sample(dt, mean, std, stream="normal/scaled")
    x = {"std x 1.02": lambda: scaled(x, mean, 1.02),
         "mean + 0.02 std": lambda: (x.astype(np.float64) + 0.02 * std).astype(dt),
         "reshaped": lambda: reshaped_normal(x, mean, std)}[wrong]()
    assert rejects in fit(x, normal_model(mean, std)).problems()


@pytest.mark.parametrize("dt,case", [(dt, "asymmetric") for dt in DTYPES] + [
    (F32, "narrow"), (F64, "narrow"), (F32, "upper tail"), (F16, "lower tail"),
    (F32, "far tail"), (F64, "far open tail")], ids=str)
@pytest.mark.parametrize("wrong,rejects", [("std x 1.02", "std"), ("bound moved", "ks")])
def test_truncated_normal_check_rejects_a_wrong_sample(dt, case, wrong, rejects):
    mean, std, a, b = TRUNCATED_CASES[case]
    model = truncnorm_model(mean, std, a, b, dt)
    if wrong == "std x 1.02":
        x = scaled(truncated_sample(dt, mean, std, a, b, stream="truncated/" + case),
                   model.mean, 1.02)
    else:                   # the bound where the density is higher, moved inwards
        step = 0.25 * model.std / std
        a, b = (a + step, b) if abs(a) < abs(b) else (a, b - step)
        x = truncated_sample(dt, mean, std, a, b, stream="truncated/" + case)
    assert rejects in fit(x, model).problems()


# ---- uniform: never high -------------------------------------------------------------

def ulps_above(x, k, dt):
    """x moved k values of dtype dt upwards (k < 0: downwards)."""
    v = np.asarray(x, dt)
    for _ in range(abs(k)):
        v = np.nextafter(v, np.asarray(np.inf if k > 0 else -np.inf, dt))
    return float(v)


# Ranges where low + (high - low) u can round up to high (for a quarter or
# more of all u in the ones a few ulps wide), so that only the cap at the
# largest value below high keeps it out: at 1, at -1 (where the spacing
# halves), large, subnormal and near the dtype's largest value.
UNIFORM_EDGES = [
    (F32, 1.0, ulps_above(1.0, 2, F32)), (F32, -1.0, ulps_above(-1.0, 1, F32)),
    (F32, 1.0, 3.0), (F32, 1e6, 1e6 + 0.125), (F32, -3.0, ulps_above(-3.0, 4, F32)),
    (F32, 0.0, 2 * 2.0 ** -149), (F32, 3e38, 3.4028234663852886e38),
    (F64, 1.0, ulps_above(1.0, 2, F64)), (F64, -1.0, ulps_above(-1.0, 1, F64)),
    (F64, 1.0, 3.0), (F64, 2.0 ** 52, 2.0 ** 52 + 3), (F64, 0.0, 2 * 5e-324),
    (F16, 0.999, 1.0), (F16, 1.0, ulps_above(1.0, 2, F16)), (F16, -1.0, ulps_above(-1.0, 1, F16)),
    (F16, 1000.0, 1001.0), (F16, 65000.0, 65504.0), (F16, -65504.0, -65400.0),
    (F16, 0.0, 3 * 2.0 ** -24),
    (BF16, 0.99, 1.0), (BF16, 1.0, ulps_above(1.0, 2, BF16)),
    (BF16, -1.0, ulps_above(-1.0, 1, BF16)),
    (BF16, 256.0, 264.0), (BF16, 3e38, 3.3895313892515355e38),
]


@pytest.mark.parametrize("dt,low,high", UNIFORM_EDGES, ids=str)
def test_uniform_never_produces_high(dt, low, high):
    x = fastinit.uniform(shape=1 << 18, dtype=dt, low=low, high=high, seed=SEED, offset=77)
    values = np.unique(x.astype(np.float64))
    lo, hi = (float(np.asarray(v).astype(dt)) for v in (low, high))
    assert values.max() < high and values.min() >= lo
    # and, where there are few, every value of the dtype in [low, high) (both
    # rounded to the dtype) is produced: the cap moves only what rounded up
    expect = [lo]
    while len(expect) < 9 and ulps_above(expect[-1], 1, dt) < hi:
        expect.append(ulps_above(expect[-1], 1, dt))
    if len(expect) < 9:
        assert values.tolist() == expect


@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
def test_uniform_over_a_wide_range_stays_in_it(dt):
    x = fastinit.uniform(shape=1 << 21, dtype=dt, low=-1.0, high=1.0, seed=SEED, threads=2)
    assert x.min() >= -1.0 and x.max() < 1.0


@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("value", [0.3, -2.0, 0.0])
def test_uniform_with_low_equal_to_high_fills_low(dt, value):
    x = fastinit.uniform(shape=100, dtype=dt, low=value, high=value, seed=SEED)
    assert np.all(x == np.asarray(value).astype(dt))


# ---- normal: finite, bounded, accurate -----------------------------------------------

@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
def test_normal_at_the_largest_allowed_std_is_finite(dt):
    # the binding allows |mean| + 5.8 std (8.6 for float64) up to the dtype's
    # largest value: values reach 5.77 (8.58) std
    std = dtype_max(dt) / (8.6 if dt == F64 else 5.8) * (1 - 1e-9)
    x = fastinit.normal(shape=1 << 22, dtype=dt, std=std, seed=SEED, threads=2)
    assert np.isfinite(x).all()
    with pytest.raises(ValueError, match=r"\bstd=.*overflow"):
        fastinit.normal(shape=4, dtype=dt, std=std * 1.01, seed=SEED)


@pytest.mark.parametrize("dt,zmax", [(F32, 5.77), (F64, 8.58)], ids=str)
def test_normal_stays_within_the_documented_maximum(dt, zmax):
    x = fastinit.normal(shape=1 << 22, dtype=dt, mean=0.0, std=1.0, seed=SEED, threads=2)
    assert np.isfinite(x).all() and np.abs(x).max() <= zmax


def test_float32_normal_reaches_its_documented_maximum():
    # word 71035964 of seed 0, stream 0 is below 256: its pair has u1 = 2^-24,
    # the smallest there is, and r = sqrt(-2 ln 2^-24) = 5.76811
    offset = 71035964
    assert fastinit.random_bits(shape=1, seed=0, offset=offset)[0] >> 8 == 0
    z = fastinit.normal(shape=2, std=1.0, seed=0, offset=offset).astype(np.float64)
    assert math.isclose(math.hypot(*z), math.sqrt(-2 * math.log(2.0 ** -24)), rel_tol=1e-6)
    assert 5.7 < np.abs(z).max() <= 5.77


TWO_PI_LD = np.arctan(np.longdouble(1)) * 8


def box_muller(u1, u2, work):
    """Both Box-Muller outputs in precision `work`, with the angle reduced as
    the core reduces it: j = round(4 u2), t = u2 - j/4 exact, rotate by j."""
    u1, u2 = u1.astype(work), u2.astype(work)
    r = np.sqrt(-2 * np.log(u1))
    j = np.floor(4 * u2 + work(0.5))
    theta = (TWO_PI_LD if work is np.longdouble else 2 * np.pi) * (u2 - j / 4)
    c, s = np.cos(theta), np.sin(theta)
    q = j.astype(np.int64) & 3
    return r * np.choose(q, [c, -s, -c, s]), r * np.choose(q, [s, c, -s, -c])


@functools.lru_cache(maxsize=None)
def normal_ulp_errors(dt, npairs=1 << 20):
    """|fill - exact| in ulps of the fill, for mean 0 and std 1, over npairs
    pairs: float32 against a float64 evaluation, float64 against long double."""
    work = np.float64 if dt == F32 else np.longdouble
    if work is np.longdouble and np.finfo(np.longdouble).nmant < 63:
        pytest.skip("needs an 80-bit (or wider) long double for the float64 reference")
    u1, u2 = ref.normal_pairs_f64(SEED, 5, 0, npairs, dt.type)
    got = fastinit.normal(shape=2 * npairs, dtype=dt, mean=0.0, std=1.0, seed=SEED, stream=5)
    exact_c, exact_s = box_muller(u1, u2, work)
    ulp = np.spacing(np.abs(got)).astype(work)
    return np.concatenate([np.abs(got[0::2].astype(work) - exact_c) / ulp[0::2],
                           np.abs(got[1::2].astype(work) - exact_s) / ulp[1::2]]).astype(np.float64)


# Measured on these 2^20 pairs: max 1.34 ulp (float32) and 1.19 ulp (float64),
# mean 0.28, 0.06 % and 0.01 % of values more than 1 ulp off; over 2^21 pairs
# of three other seeds the max was 1.37 and 1.27.  The spec's target is 2 ulp;
# the bound here is tighter, to catch a regression before it reaches that.
# The kernels carry the square root's rounding error and the sine/cosine as
# hi + lo (csrc/normal.h); without that they were 2.35 and 2.47 ulp off (and
# 2.6 and 3.3 before explicit fma), which these bounds reject.
@pytest.mark.parametrize("dt", [F32, F64], ids=dtype_ids)
def test_normal_transform_is_accurate(dt):
    err = normal_ulp_errors(dt)
    assert err.max() <= 1.5
    assert err.mean() < 0.3


# ---- truncated normal: inside the bounds ---------------------------------------------

@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("mean,std,a,b", [
    (0.1, 0.3, -2.0, 2.0), (0.1, 0.3, 1.0, 1.0 + 3e-7), (1.0, 1e-3, 40.0, 41.0),
    (-3.0, 0.7, -6.0, -5.0), (0.0, 1.0, 1.0, 1.0001), (1.0, 3e-16, 1 / 3, 5.0),
    (0.0, 1.0, -1e-3, 1e-3), (-1e4, 3.0, 2.0, 2.001), (0.3, 0.05, -np.inf, -7.0),
])
def test_truncated_normal_stays_inside_its_bounds(dt, mean, std, a, b):
    # exactly, in rational arithmetic; an interval holding no value of the
    # dtype must be refused instead
    lower = Fraction(mean) + Fraction(a) * Fraction(std) if a > -np.inf else None
    upper = Fraction(mean) + Fraction(b) * Fraction(std)
    lo = dtype_ceil(lower, dt) if lower is not None else -np.inf
    if lo > dtype_floor(upper, dt):
        with pytest.raises(ValueError, match=r"no .* value lies in"):
            fastinit.truncated_normal(shape=4, dtype=dt, mean=mean, std=std, a=a, b=b)
        return
    x = fastinit.truncated_normal(shape=1 << 16, dtype=dt, mean=mean, std=std, a=a, b=b,
                                  seed=SEED)
    assert lower is None or exact(x.min()) >= lower
    assert exact(x.max()) <= upper


def test_truncated_normal_plans_are_kept_per_parameters_and_rekeyed_per_seed():
    # the binding keeps each parameter set's plan (its setup costs more than a
    # small fill); a plan must never serve another parameter set, dtype or
    # sign of zero, and each call must still use its own seed and stream
    cases = [dict(a=-1.0, b=1.0), dict(a=-1.0, b=2.0), dict(a=-1.0, b=1.0, mean=-0.0),
             dict(a=-1.0, b=1.0, std=2.0)]
    def draw(kw, seed, dt=np.float64):
        return fastinit.truncated_normal(shape=64, dtype=dt, seed=seed, **kw)
    first = [draw(kw, 1) for kw in cases]
    again = [draw(kw, 1) for kw in reversed(cases)][::-1]
    for x, y in zip(first, again):
        assert np.array_equal(x.view(np.uint64), y.view(np.uint64))
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], first[3])
    assert not np.array_equal(draw(cases[0], 1), draw(cases[0], 2))
    assert not np.array_equal(draw(cases[0], 1, np.float32), first[0].astype(np.float32))
    # and a kept plan gives what a fresh process computes from scratch
    code = ("import numpy as np, fastinit\n"
            "x = fastinit.truncated_normal(shape=64, dtype=np.float64, seed=1, a=-1.0, b=2.0)\n"
            "print(x.view(np.uint64).tolist())\n")
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout
    assert np.array_equal(np.array(json.loads(fresh), dtype=np.uint64), first[1].view(np.uint64))


# ---- bad input: a clear error, nothing written ---------------------------------------
#
# Every fill gets every kind of bad argument with `out` pre-filled with a
# sentinel; the error must be TypeError for a wrong type and ValueError for a
# wrong value, its message must start with (or name) the parameter, and `out`
# must be byte-for-byte unchanged.

FILLS = {                # the function and valid values of its parameters
    "uniform": (fastinit.uniform, {"low": -0.5, "high": 0.5}),
    "normal": (fastinit.normal, {"mean": 0.0, "std": 1.0}),
    "truncated_normal": (fastinit.truncated_normal,
                         {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0}),
    "constant": (fastinit.constant, {"value": 0.5}),
    "zeros": (fastinit.zeros, {}),
    "ones": (fastinit.ones, {}),
    "random_bits": (fastinit.random_bits, {}),
}
RANDOM_FILLS = ["uniform", "normal", "truncated_normal", "random_bits"]
DTYPE_FILLS = [name for name in FILLS if name != "random_bits"]


def sentinel(name, shape=(3, 4), dt=F32):
    """An `out` for the fill, full of a value no fill of these tests writes."""
    if name == "random_bits":
        return np.full(shape, 0xDEADBEEF, np.uint32)
    return np.full(shape, 7.25, dt)


def readonly(arr):
    arr.flags.writeable = False
    return arr


def snapshot(obj):
    if isinstance(obj, np.ndarray):
        return obj.dtype, obj.shape, obj.tobytes()
    try:
        return bytes(memoryview(obj))
    except TypeError:
        return repr(obj)


def case(name, what, exc, match, out=None, **kwargs):
    """One bad call: fill `name` on `out` (a factory; default a sentinel
    array) with `kwargs` over its valid parameters."""
    return pytest.param(name, out, kwargs, exc, match, id=f"{name}-{what}")


def bad_out_cases(name):
    other = np.uint32 if name != "random_bits" else np.float32
    yield case(name, "list", TypeError, r"^out\b", lambda: [0.0] * 4)
    yield case(name, "int", TypeError, r"^out\b", lambda: 5)
    yield case(name, "str", TypeError, r"^out\b", lambda: "abcd")
    yield case(name, "bytearray", TypeError, r"^out has dtype uint8", lambda: bytearray(16))
    yield case(name, "array of ints", TypeError, r"^out has dtype int32",
               lambda: array.array("i", [1, 2, 3]))
    yield case(name, "None", TypeError, r"\bout=", lambda: None)
    for dt in [np.int8, np.int32, np.int64, np.uint8, other, np.bool_, np.complex64,
               np.complex128, object, np.longdouble, "U2", "datetime64[s]"]:
        yield case(name, f"dtype {np.dtype(dt)}", TypeError, r"^out has dtype",
                   lambda dt=dt: np.zeros((3, 4), dt))
    yield case(name, "read-only", ValueError, r"^out is read-only",
               lambda: readonly(sentinel(name)))
    yield case(name, "non-native", ValueError, r"^out has non-native byte order",
               lambda: sentinel(name).astype(sentinel(name).dtype.newbyteorder(">")))
    yield case(name, "broadcast", ValueError, r"^out has a zero stride",
               lambda: np.lib.stride_tricks.as_strided(sentinel(name), (3, 4), (0, 4)))


def parameter_cases(name):
    params = FILLS[name][1]
    for p in params:
        for v in [math.nan, math.inf, -math.inf]:
            if p in "ab" and math.isinf(v):
                continue                        # infinite bounds are allowed
            yield case(name, f"{p}={v}", ValueError, rf"^{p}={v} must be finite", **{p: v})
        for v in ["0.5", None, True, np.bool_(False), 1j, [0.5]]:
            yield case(name, f"{p}={v!r}", TypeError, rf"^{p} must be a real number", **{p: v})
    if "std" in params:
        for v in [-1.0, -1e-300]:
            yield case(name, f"std={v}", ValueError, rf"^std={v} is negative", std=v)
    if name == "uniform":
        yield case(name, "low>high", ValueError, r"^low=1.0 is greater than high=0.5", low=1.0)
    if name == "truncated_normal":
        for a, b in [(1.0, 1.0), (2.0, 1.0), (math.inf, math.inf), (-math.inf, -math.inf),
                     (math.inf, 2.0), (-2.0, -math.inf)]:
            yield case(name, f"a={a},b={b}", ValueError, r"^a=.* must be less than b=", a=a, b=b)
    overflow = {"uniform": dict(low=-7e4, high=0.0), "normal": dict(std=2e4),
                "truncated_normal": dict(std=4e4), "constant": dict(value=7e4)}
    if name in overflow:
        p = next(iter(overflow[name]))
        yield case(name, "overflows float16", ValueError, rf"\b{p}=",
                   lambda: sentinel(name, dt=F16), **overflow[name])


def stream_cases(name):
    for p in ["seed", "stream"]:
        for v in [-1, 2**64, np.int64(-1)]:
            yield case(name, f"{p}={v}", ValueError, rf"^{p}={v} is outside \[0, 2\*\*64\)",
                       **{p: v})
        for v in [1.0, True, np.float64(1.0), np.bool_(True), b"1", [1], 1 + 0j]:
            yield case(name, f"{p}={v!r}", TypeError, rf"^{p} must be an int", **{p: v})
    yield case(name, "seed='1'", TypeError, r"^seed must be an int", seed="1")
    yield case(name, "stream=None", TypeError, r"^stream must be an int", stream=None)
    for v in [-1, -2**70]:
        yield case(name, f"offset={v}", ValueError, rf"^offset={v} is negative", offset=v)
    for v in [2**64 - 11, 2**64, 2**70]:             # out has 12 elements
        yield case(name, f"offset={v}", ValueError, rf"^offset={v} plus the array size 12 "
                   r"exceeds 2\*\*64", offset=v)
    for v in [1.5, True, "0", None, np.float64(0.0)]:
        yield case(name, f"offset={v!r}", TypeError, r"^offset must be a non-negative int",
                   offset=v)
    for v in [0, -1, np.int64(0)]:
        yield case(name, f"threads={v}", ValueError, rf"^threads={v} must be a positive int",
                   threads=v)
    for v in [1.5, "2", True, np.float64(2.0)]:
        yield case(name, f"threads={v!r}", TypeError, r"^threads must be a positive int",
                   threads=v)


def shape_dtype_cases(name):
    yield case(name, "shape transposed", ValueError, r"^shape=\(4, 3\) disagrees", shape=(4, 3))
    yield case(name, "shape flat", ValueError, r"^shape=\(12,\) disagrees", shape=12)
    yield case(name, "shape negative", ValueError, r"^shape=.* negative", shape=(-3, 4))
    yield case(name, "shape float", TypeError, r"^shape must be an int", shape=1.5)
    yield case(name, "shape str", TypeError, r"^shape must be an int", shape=(3, "4"))
    if name in DTYPE_FILLS:
        for dt in [np.float64, "bfloat16", np.int32, "float16"]:
            yield case(name, f"dtype={dt}", ValueError, r"^dtype=.* disagrees with out.dtype",
                       dtype=dt)
        yield case(name, "dtype unknown", TypeError, r"^dtype='nonsense' is not", dtype="nonsense")


BAD_INPUT = [c for name in FILLS for cases in (bad_out_cases, parameter_cases, shape_dtype_cases)
             for c in cases(name)] + [c for name in RANDOM_FILLS for c in stream_cases(name)]


@pytest.mark.parametrize("name,out,kwargs,exc,match", BAD_INPUT)
def test_bad_input_is_refused_before_anything_is_written(name, out, kwargs, exc, match):
    fill, params = FILLS[name]
    out = sentinel(name) if out is None else out()
    before = snapshot(out)
    with pytest.raises(exc, match=match):
        fill(out, **{**params, **kwargs})
    assert snapshot(out) == before


@pytest.mark.parametrize("name", list(FILLS))
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(), TypeError, r"^give either out= .* or shape="),
    (dict(shape=-1), ValueError, r"^shape=\(-1,\) has a negative dimension"),
    (dict(shape=(2, 1.0)), TypeError, r"^shape must be an int or a tuple of ints"),
    (dict(shape="3"), TypeError, r"^shape must be an int or a tuple of ints"),
    (dict(shape=None), TypeError, r"^give either out= .* or shape="),
])
def test_bad_shape_without_out_is_refused(name, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        FILLS[name][0](**kwargs)


@pytest.mark.parametrize("name", DTYPE_FILLS)
@pytest.mark.parametrize("dt,exc,match", [
    (np.int32, TypeError, r"^dtype=int32 is not supported"),
    (np.uint32, TypeError, r"^dtype=uint32 is not supported"),
    (np.complex64, TypeError, r"^dtype=complex64 is not supported"),
    ("nonsense", TypeError, r"^dtype='nonsense' is not a NumPy dtype"),
])
def test_bad_dtype_without_out_is_refused(name, dt, exc, match):
    with pytest.raises(exc, match=match):
        FILLS[name][0](shape=3, dtype=dt)


@pytest.mark.parametrize("name", RANDOM_FILLS)
def test_seed_none_draws_a_seed_from_the_os(name):
    out = sentinel(name, shape=64)
    assert FILLS[name][0](out, seed=None) is out
    again = FILLS[name][0](sentinel(name, shape=64), seed=None)
    assert not np.array_equal(out, again) and not np.any(out == sentinel(name, shape=1)[0])


# ---- which arrays and objects are filled ---------------------------------------------

LAYOUT_FILLS = {         # name: fill(out_or_None, dtype, **kw) with fixed parameters
    "uniform": lambda out, dt, **kw: fastinit.uniform(out, low=-2.0, high=3.0, dtype=dt,
                                                      seed=SEED, **kw),
    "normal": lambda out, dt, **kw: fastinit.normal(out, std=1.5, dtype=dt, seed=SEED, **kw),
    "truncated_normal": lambda out, dt, **kw: fastinit.truncated_normal(
        out, mean=1.0, std=2.0, a=-1.0, b=0.5, dtype=dt, seed=SEED, **kw),
    "random_bits": lambda out, dt, **kw: fastinit.random_bits(out, seed=SEED, **kw),
    "constant": lambda out, dt, **kw: fastinit.constant(out, 2.5, dtype=dt, **kw),
}
VIEWS = {                # name: (base shape, base order, the view of the base)
    "step slice": ((13, 17), "C", lambda b: b[1::3, ::2]),
    "transpose": ((13, 17), "C", lambda b: b.T),
    "fortran order": ((13, 17), "F", lambda b: b),
    "negative strides": ((13, 17), "C", lambda b: b[::-1, ::-3]),
    "column": ((13, 17), "C", lambda b: b[:, 5]),
    "rows": ((13, 17), "C", lambda b: b[2:11:2]),
    "3-d view": ((6, 7, 9), "C", lambda b: b[1:5, ::-2, 1::4]),
    "3-d transposed": ((6, 7, 9), "C", lambda b: b.transpose(2, 0, 1)[::2]),
    "unit dimensions": ((1, 13, 1), "F", lambda b: b[:, ::-2, :]),
    "long rows": ((3, 5000), "C", lambda b: b[:, 7:4999:3]),
}


# every float fill in every dtype; random_bits in uint32
LAYOUT_CASES = [pytest.param(name, dt, id=f"{name}-{dt.name}") for name in LAYOUT_FILLS
                for dt in (DTYPES if name != "random_bits" else [np.dtype(np.uint32)])]


def fill_kwargs(name):
    return {} if name == "constant" else {"offset": 5}


@pytest.mark.parametrize("name,dt", LAYOUT_CASES)
@pytest.mark.parametrize("view", list(VIEWS))
def test_views_are_filled_in_c_order(name, dt, view):
    shape, order, take = VIEWS[view]
    base = np.full(shape, 7, dt, order=order)
    inside = np.zeros(shape, bool, order=order)
    take(inside)[...] = True
    out = take(base)
    assert LAYOUT_FILLS[name](out, dt, **fill_kwargs(name)) is out
    expect = LAYOUT_FILLS[name](None, dt, shape=out.shape, **fill_kwargs(name))
    assert np.ascontiguousarray(out).tobytes() == expect.tobytes()
    assert np.all(base[~inside] == 7)                 # nothing around the view written


def misaligned(dt, n, pad=3):
    """n elements of dtype dt at an odd address inside a bytearray, with pad
    guard bytes (0xAB) on each side."""
    buf = bytearray(b"\xab" * (pad + n * np.dtype(dt).itemsize + pad))
    arr = np.frombuffer(buf, dt, count=n, offset=pad)
    assert not arr.flags.aligned and arr.flags.writeable
    return buf, arr


@pytest.mark.parametrize("name,dt", LAYOUT_CASES)
@pytest.mark.parametrize("n,threads", [(1001, 1), ((1 << 18) + 3, 2)])
def test_misaligned_arrays_are_filled(name, dt, n, threads):
    buf, arr = misaligned(dt, n)
    kw = fill_kwargs(name) if name == "constant" else dict(fill_kwargs(name), threads=threads)
    LAYOUT_FILLS[name](arr, dt, **kw)
    expect = LAYOUT_FILLS[name](None, dt, shape=n, **kw)
    assert arr.tobytes() == expect.tobytes()
    assert buf[:3] == buf[-3:] == b"\xab" * 3
    # and a strided 2-d view of misaligned memory
    buf, arr = misaligned(dt, 60)
    view = arr.reshape(6, 10)[::-2, 1::3]
    LAYOUT_FILLS[name](view, dt, **fill_kwargs(name))
    expect = LAYOUT_FILLS[name](None, dt, shape=view.shape, **fill_kwargs(name))
    assert np.ascontiguousarray(view).tobytes() == expect.tobytes()
    assert buf[:3] == buf[-3:] == b"\xab" * 3


@pytest.mark.parametrize("name,dt", LAYOUT_CASES)
@pytest.mark.parametrize("shape", [(0,), (0, 5), (5, 0, 3)])
def test_empty_arrays_are_a_no_op(name, dt, shape):
    out = np.empty(shape, dt)
    assert LAYOUT_FILLS[name](out, dt, **fill_kwargs(name)) is out
    assert LAYOUT_FILLS[name](out[::-1], dt, **fill_kwargs(name)).size == 0
    assert LAYOUT_FILLS[name](None, dt, shape=shape).shape == shape


@pytest.mark.parametrize("name,dt", LAYOUT_CASES)
def test_zero_dimensional_arrays_take_element_0(name, dt):
    out = np.full((), 7, dt)
    assert LAYOUT_FILLS[name](out, dt, **fill_kwargs(name)) is out
    first = LAYOUT_FILLS[name](None, dt, shape=1, **fill_kwargs(name))
    assert out.tobytes() == first.tobytes()
    assert LAYOUT_FILLS[name](None, dt, shape=(), **fill_kwargs(name)).tobytes() == out.tobytes()


U32_CODE = "I" if array.array("I").itemsize == 4 else "L"


@pytest.mark.parametrize("name,make,dt", [
    pytest.param("uniform", lambda: array.array("f", [0.0] * 37), F32, id="array('f')"),
    pytest.param("normal", lambda: array.array("d", [0.0] * 37), F64, id="array('d')"),
    pytest.param("random_bits", lambda: array.array(U32_CODE, [0] * 37), np.dtype(np.uint32),
                 id="array('I')"),
    pytest.param("constant", lambda: array.array("f", [0.0] * 37), F32, id="constant-array"),
    pytest.param("truncated_normal", lambda: (ctypes.c_float * 37)(), F32, id="ctypes-float"),
    pytest.param("normal", lambda: (ctypes.c_double * 37)(), F64, id="ctypes-double"),
    pytest.param("uniform", lambda: memoryview(bytearray(4 * 37)).cast("f"), F32,
                 id="memoryview"),
])
def test_buffer_protocol_objects_are_filled_and_returned(name, make, dt):
    obj = make()
    assert LAYOUT_FILLS[name](obj, None, **fill_kwargs(name)) is obj
    expect = LAYOUT_FILLS[name](None, dt, shape=37, **fill_kwargs(name))
    assert bytes(memoryview(obj)) == expect.tobytes()


def test_buffer_protocol_views_keep_their_shape_and_strides():
    mem = memoryview(bytearray(4 * 24)).cast("f", (4, 6))
    assert fastinit.normal(mem, seed=SEED) is mem
    assert np.array_equal(np.asarray(mem), fastinit.normal(shape=(4, 6), seed=SEED))
    strided = memoryview(bytearray(4 * 24)).cast("f")[::3]
    fastinit.normal(strided, seed=SEED)
    whole = np.frombuffer(strided.obj, np.float32)
    assert np.array_equal(whole[::3], fastinit.normal(shape=8, seed=SEED))
    assert not whole.reshape(8, 3)[:, 1:].any()


# ---- allocation with shape= and dtype= -----------------------------------------------

@pytest.mark.parametrize("name", DTYPE_FILLS)
@pytest.mark.parametrize("shape,expect", [(5, (5,)), ((2, 3), (2, 3)), ([2, 3], (2, 3)),
                                          (np.int64(4), (4,)), ((), ()), ((2, 0), (2, 0))])
def test_shape_allocates_a_float32_array_by_default(name, shape, expect):
    out = FILLS[name][0](shape=shape)
    assert isinstance(out, np.ndarray) and out.shape == expect and out.dtype == F32
    assert out.flags.c_contiguous


@pytest.mark.parametrize("name", DTYPE_FILLS)
@pytest.mark.parametrize("dtype,expect", [
    ("float16", F16), ("bfloat16", BF16), (ml_dtypes.bfloat16, BF16), ("float32", F32),
    (np.float64, F64), ("f8", F64), (np.dtype("=f2"), F16)])
def test_dtype_selects_the_allocated_type(name, dtype, expect):
    out = FILLS[name][0](shape=(3, 2), dtype=dtype)
    assert out.dtype == expect and out.shape == (3, 2)


@pytest.mark.parametrize("name,dt", LAYOUT_CASES)
def test_allocated_equals_filled(name, dt):
    out = np.empty((7, 9), dt)
    LAYOUT_FILLS[name](out, dt, **fill_kwargs(name))
    new = LAYOUT_FILLS[name](None, dt, shape=(7, 9), **fill_kwargs(name))
    assert new.dtype == dt and new.tobytes() == out.tobytes()


def test_random_bits_allocates_uint32():
    out = fastinit.random_bits(shape=(2, 2), seed=0)
    assert out.dtype == np.uint32 and out.shape == (2, 2)


# ---- Generator -----------------------------------------------------------------------

def test_generator_calls_differ_and_repeat_with_the_seed():
    g = fastinit.Generator(0)
    a, b = np.empty(100, np.float32), np.empty(100, np.float32)
    assert g.normal(out=a) is a
    g.normal(out=b)
    assert not np.array_equal(a, b)
    h = fastinit.Generator(0)
    assert np.array_equal(h.normal(out=np.empty(100, np.float32)), a)
    assert np.array_equal(h.normal(shape=100), b)
    assert not np.array_equal(fastinit.Generator(1).normal(shape=100), a)


def test_generator_call_k_uses_the_documented_stream():
    g = fastinit.Generator(3, name="enc")
    g.uniform(shape=4)
    assert np.array_equal(g.truncated_normal(shape=50, std=1.0),
                          fastinit.truncated_normal(shape=50, std=1.0, seed=3,
                                                    stream=fastinit.stream_id("enc#1")))
    assert np.array_equal(g.random_bits(shape=50), fastinit.random_bits(
        shape=50, seed=3, stream=fastinit.stream_id("enc#2")))


def test_spawned_children_do_not_depend_on_the_parents_calls():
    first = fastinit.Generator(5).spawn("encoder.0").normal(shape=64)
    g = fastinit.Generator(5)
    g.uniform(shape=3)
    g.spawn("decoder.0").normal(shape=3)
    g.normal(shape=3)
    child = g.spawn("encoder.0")
    assert np.array_equal(child.normal(shape=64), first)
    assert not np.array_equal(child.normal(shape=64), first)          # its own count
    assert not np.array_equal(g.spawn("encoder.1").normal(shape=64), first)
    assert child.spawn("w").name == "encoder.0/w"
    assert not np.array_equal(child.spawn("w").normal(shape=64),
                              g.spawn("w").normal(shape=64))


@pytest.mark.parametrize("method", ["uniform", "normal", "truncated_normal", "random_bits"])
@pytest.mark.parametrize("key", ["seed", "stream"])
def test_generator_methods_refuse_seed_and_stream(method, key):
    out = sentinel(method, shape=8)
    with pytest.raises(TypeError, match=rf"takes no {key}="):
        getattr(fastinit.Generator(0), method)(out, **{key: 1})
    assert np.all(out == sentinel(method, shape=8))


@pytest.mark.parametrize("seed,exc", [(-1, ValueError), (2**64, ValueError), (1.5, TypeError),
                                      (True, TypeError), ("1", TypeError)])
def test_generator_checks_its_seed(seed, exc):
    with pytest.raises(exc, match=r"^seed\b"):
        fastinit.Generator(seed)


def test_generator_without_a_seed_draws_one():
    a, b = fastinit.Generator(), fastinit.Generator(None)
    assert 0 <= a.seed < 2**64 and a.seed != b.seed
    assert not np.array_equal(a.normal(shape=16), b.normal(shape=16))


# ---- the GIL is released while filling -----------------------------------------------

def test_another_thread_runs_while_a_fill_runs():
    # A watcher thread looks at the array being filled; it can only ever see
    # it partly filled if it runs while the fill does, which a fill holding
    # the GIL (the whole C call is one step for Python) never allows.  A few
    # tries keep this safe on a loaded machine; no timing is measured.
    out = np.empty(1 << 24, np.float32)
    probe = slice(None, None, out.size // 256)
    for _ in range(5):
        out[...] = np.nan
        started, stop, seen = threading.Event(), threading.Event(), threading.Event()

        def watch():
            started.set()
            while not stop.is_set():
                filled = ~np.isnan(out[probe])
                if filled.any() and not filled.all():
                    seen.set()

        watcher = threading.Thread(target=watch)
        watcher.start()
        started.wait()
        fastinit.normal(out, seed=SEED, threads=1)
        stop.set()
        watcher.join()
        assert not np.isnan(out).any()
        if seen.is_set():
            break
    assert seen.is_set(), "no other Python thread ran during the fill"


# ---- constant, zeros, ones -----------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("value", [0.1, 1 / 3, -2.5e-3, 1e4, 0.0, -0.0])
def test_constant_rounds_the_value_to_the_dtype(dt, value):
    out = np.empty((4, 5), dt)
    assert fastinit.constant(out, value) is out
    assert out.tobytes() == np.full((4, 5), np.asarray(value).astype(dt), dt).tobytes()


@pytest.mark.parametrize("dt,value,stored", [
    (F16, 65519.0, 65504.0), (F16, -65519.0, -65504.0), (F16, 1e-8, 0.0),
    (F16, 3e-8, 5.960464477539063e-08), (BF16, 3.3895e38, 3.3895313892515355e38),
    (F32, 3.4028235e38, 3.4028234663852886e38)])
def test_constant_at_the_edge_of_the_dtype(dt, value, stored):
    assert float(fastinit.constant(shape=(), dtype=dt, value=value)) == stored


@pytest.mark.parametrize("dt,value", [(F16, 65520.0), (F16, -7e4), (BF16, 3.4e38),
                                      (F32, 3.5e38), (F32, -1e39), (F64, math.inf)])
def test_constant_out_of_range_raises(dt, value):
    out = np.zeros(3, dt)
    with pytest.raises(ValueError, match=r"^value="):
        fastinit.constant(out, value)
    assert not out.astype(np.float64).any()


@pytest.mark.parametrize("dt", DTYPES, ids=dtype_ids)
def test_zeros_and_ones(dt):
    out = np.full((3, 4), 7, dt)
    assert fastinit.zeros(out) is out and np.all(out == 0)
    view = out[::2, ::-3]
    assert fastinit.ones(view) is view and np.all(view == 1)
    assert np.all(out[1] == 0) and np.all(out[::2, 1:3] == 0)
    assert fastinit.ones(shape=3, dtype=dt).dtype == dt
    assert np.all(fastinit.zeros(shape=(2, 2), dtype=dt) == 0)


# ---- regressions: binding bugs these tests found -------------------------------------

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
    x = fastinit.truncated_normal(shape=1 << 18, dtype=dtype, std=std, a=a, b=np.inf, seed=3)
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
    # mean + a*std is 1 + 1e-16 (in exact arithmetic), which double arithmetic
    # rounds to 1.0; values just above the bound that round to 1.0 stayed there
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
