"""The variance formula ``fastinit.explain`` draws beside its measurements.

Forward: a unit's pre-activation s = sum_i w_i x_i + b over n inputs, with
independent zero-mean weights of variance Var(w), has

    Var(s) = n Var(w) E[x^2]                                  (the notes' 1.1)

(E[x^2], not Var(x): ReLU outputs have a mean, and it counts).  For wide
layers s is close to Gaussian, so E[f(s)], E[f(s)^2] and E[f'(s)^2] of the
next layer are integrals against N(b, Var(s)).  Backward, for an output
gradient of variance 1: the gradient at the pre-activation of layer l is
delta_l = g_l f'(s_l), and g_(l-1) = delta_l W_l sums over the layer's n_l
outputs, so

    Var(g_(l-1)) = n_l Var(w_l) Var(delta_l),  Var(delta_l) = E[f'(s_l)^2] Var(g_l)

(Glorot & Bengio 2010, with the usual assumption that the backward weights are
independent of the forward ones).  Var(w) is the scheme's nominal variance,
from its formula -- not measured from the drawn weights -- so a scheme that
draws the wrong scale shows up as a gap between the two.
"""
import math

import numpy as np

from ._explain_activations import ACTIVATIONS
from ._fans import calculate_gain
from ._registry import get, is_random

# ---- Gaussian expectations ----------------------------------------------------------

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)
_U_MAX = 12.0                          # N(0, 1) has mass 4e-33 beyond +-12
# Where the activations bend (in s): breakpoints keep every Gauss-Legendre piece
# smooth, whatever the scale of s (a kink at 0; tanh, sigmoid, gelu within +-8).
_FEATURES = np.array([-8.0, -4.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0, 8.0])


def _quadrature(mean, std):
    """Nodes s and weights p with sum(p * h(s)) ~ E[h(s)], s ~ N(mean, std^2),
    for h smooth between the breakpoints."""
    cuts = np.concatenate((np.arange(-_U_MAX, _U_MAX + 0.5, 1.0), (_FEATURES - mean) / std))
    cuts = np.unique(np.clip(cuts, -_U_MAX, _U_MAX))
    lo, hi = cuts[:-1, None], cuts[1:, None]
    u = (0.5 * (hi - lo) * _NODES + 0.5 * (hi + lo)).ravel()
    p = ((0.5 * (hi - lo) * _WEIGHTS).ravel() * np.exp(-0.5 * u * u) / math.sqrt(2 * math.pi))
    return mean + std * u, p


def gaussian_moments(activation, mean, var):
    """(E[f(s)], Var[f(s)], E[f(s)^2], E[f'(s)^2]) for s ~ N(mean, var)."""
    f = ACTIVATIONS[activation]
    if var == 0:
        fs, ds = (float(v[0]) for v in f(np.array([mean], np.float64)))
        return fs, 0.0, fs * fs, ds * ds
    s, p = _quadrature(mean, math.sqrt(var))
    with np.errstate(over="ignore", invalid="ignore"):
        fs, ds = f(s)
        ef = float(p @ fs)
        return (ef, float(p @ (fs - ef) ** 2), float(p @ (fs * fs)), float(p @ (ds * ds)))


def predict(widths, variances, activation, bias):
    """Predicted std of every layer's output and of the gradient at every
    layer's pre-activation, for an N(0, 1) input and output gradient:
    two arrays of len(widths) - 1 (layers 1..L)."""
    depth = len(widths) - 1
    act, slope2 = np.empty(depth), np.empty(depth)
    second = 1.0                                        # E[x_0^2] of the input
    for l in range(depth):
        _, var, second, slope2[l] = gaussian_moments(
            activation, bias, widths[l] * variances[l] * second)
        act[l] = math.sqrt(var)
    grad = np.empty(depth)
    var_g = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for l in reversed(range(depth)):
            var_delta = slope2[l] * var_g
            grad[l] = math.sqrt(var_delta)
            var_g = widths[l + 1] * variances[l] * var_delta
    return act, grad


# ---- each scheme's nominal weight mean and variance -----------------------------------

def _phi(z):
    return 0.0 if math.isinf(z) else math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _zphi(z):
    return 0.0 if math.isinf(z) else z * _phi(z)


def _truncated(mean, std, a, b):
    """Mean and variance of N(mean, std^2) restricted to [mean + a std, mean + b std]."""
    mass = 0.5 * (math.erfc(-b / math.sqrt(2)) - math.erfc(-a / math.sqrt(2)))
    m = (_phi(a) - _phi(b)) / mass
    v = 1.0 + (_zphi(a) - _zphi(b)) / mass - m * m
    return mean + std * m, std * std * v


def _uniform(lo, hi):
    return 0.5 * (lo + hi), (hi - lo) ** 2 / 12.0


def _fan(mode, fi, fo, keras=False):
    n = {"fan_in": fi, "fan_out": fo, "fan_avg": 0.5 * (fi + fo),
         "fan_geo_avg": math.sqrt(fi * fo)}[mode.lower()]
    return max(1.0, n) if keras else n


def _sparse(a, fi, fo):
    if a["connections"] is not None:
        return 0.0, a["std"] ** 2 * a["connections"] / fi
    return 0.0, a["std"] ** 2 * (1.0 - math.ceil(a["sparsity"] * fo) / fo)


def _kaiming(a, fi, fo):
    return 0.0, calculate_gain(a["nonlinearity"], a["a"]) ** 2 / _fan(a["mode"], fi, fo)


def _rules():
    """registry function -> ((bound arguments, fan_in, fan_out) -> (mean, variance))."""
    xavier = lambda a, fi, fo: (0.0, a["gain"] ** 2 * 2.0 / (fi + fo))  # noqa: E731
    lecun = lambda a, fi, fo: (0.0, 1.0 / fi)                          # noqa: E731
    glorot = lambda a, fi, fo: (0.0, 2.0 / (fi + fo))                   # noqa: E731
    he = lambda a, fi, fo: (0.0, 2.0 / fi)                              # noqa: E731
    ortho = lambda a, fi, fo: (0.0, a["gain"] ** 2 / max(fi, fo))       # noqa: E731
    names = {
        "xavier_uniform": xavier, "xavier_normal": xavier,
        "kaiming_uniform": _kaiming, "kaiming_normal": _kaiming,
        "lecun_uniform": lecun, "lecun_normal": lecun,
        "LecunUniform": lecun, "LecunNormal": lecun,
        "GlorotUniform": glorot, "GlorotNormal": glorot,
        "HeUniform": he, "HeNormal": he,
        "variance_scaling": lambda a, fi, fo: (0.0, a["scale"] / _fan(a["mode"], fi, fo)),
        "VarianceScaling": lambda a, fi, fo: (0.0, a["scale"] / _fan(a["mode"], fi, fo, True)),
        "orthogonal": ortho, "Orthogonal": ortho, "sparse": _sparse,
        "uniform": lambda a, fi, fo: _uniform(a["low"], a["high"]),
        "uniform_": lambda a, fi, fo: _uniform(a["a"], a["b"]),
        "RandomUniform": lambda a, fi, fo: _uniform(a["minval"], a["maxval"]),
        "normal": lambda a, fi, fo: (a["mean"], a["std"] ** 2),
        "normal_": lambda a, fi, fo: (a["mean"], a["std"] ** 2),
        "RandomNormal": lambda a, fi, fo: (a["mean"], a["stddev"] ** 2),
        "truncated_normal": lambda a, fi, fo: _truncated(a["mean"], a["std"], a["a"], a["b"]),
        "trunc_normal_": lambda a, fi, fo: _truncated(
            a["mean"], a["std"], (a["a"] - a["mean"]) / a["std"], (a["b"] - a["mean"]) / a["std"]),
        "TruncatedNormal": lambda a, fi, fo: _truncated(a["mean"], a["stddev"], -2.0, 2.0),
        "zeros": lambda a, fi, fo: (0.0, 0.0), "ones": lambda a, fi, fo: (1.0, 0.0),
        "constant": lambda a, fi, fo: (a["value"], 0.0),
        "constant_": lambda a, fi, fo: (a["val"], 0.0),
    }
    return {get(name): rule for name, rule in names.items()}


_RULES = None


def weight_variance(fn, arguments, fan_in, fan_out):
    """(nominal Var(w), None) of the scheme ``fn`` called with ``arguments``
    (all of them, defaults included) on a (fan_out, fan_in) weight, or
    (None, why not)."""
    global _RULES
    if _RULES is None:
        _RULES = _rules()
    rule = _RULES.get(fn)
    if rule is None and not is_random(fn):
        return None, "its weights are deterministic; the formula needs independent random ones"
    if rule is None:
        return None, "no variance formula is known for this scheme"
    mean, var = rule(arguments, float(fan_in), float(fan_out))
    if mean != 0:
        return None, (f"its weights have mean {mean:g}; the formula needs zero-mean "
                      f"weights")
    return var, None
