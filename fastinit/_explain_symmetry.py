"""``fastinit.explain_symmetry``: a constant (or zero) initialization never
breaks symmetry; a random one does.

The MLP of ``explain`` (same layers, activation, bias) takes a few plain
gradient steps on a squared loss against random targets, in float64.  Units
of a layer whose weights start equal see the same inputs and, as long as the
next layer's weights to them are equal too, the same back-propagated
gradient -- so they get the same update and stay copies of one unit.  Only
the output layer, whose units have different targets, can tell its units
apart.  The result counts the distinct units (weight row + bias) of every
layer after the steps.
"""
from dataclasses import dataclass
from typing import Tuple

import numpy as np

from . import _core
from ._checks import _real
from ._core import _choice
from ._explain import _positive_int, _widths
from ._explain_activations import ACTIVATIONS
from ._explain_schemes import layer_weight, parse_scheme

DEFAULT_SYMMETRY_SCHEMES = ("zeros", "constant:value=0.05", "xavier_normal")


@dataclass(frozen=True, eq=False)
class SymmetryTrace:
    label: str
    distinct_units: np.ndarray    # per layer, after the steps
    moved: np.ndarray             # per layer: max |change| of its weights and biases


@dataclass(frozen=True, eq=False)
class Symmetry:
    activation: str
    widths: Tuple[int, ...]
    steps: int
    lr: float
    schemes: Tuple[SymmetryTrace, ...]

    def __getitem__(self, label):
        for s in self.schemes:
            if s.label == label:
                return s
        raise KeyError(f"no scheme {label!r}; have {[s.label for s in self.schemes]}")

    def table(self):
        return format_symmetry(self)


def distinct_rows(rows):
    """How many different rows ``rows`` has, rows equal to 1e-9 of its scale
    counting as one: rows are told apart by their projection on a random
    direction, which two different rows share with probability 0."""
    scale = float(np.max(np.abs(rows), initial=0.0))
    if scale == 0:
        return 1
    direction = np.random.default_rng(0).standard_normal(rows.shape[1])
    keys = np.sort(rows @ direction)
    tol = 1e-9 * scale * np.sqrt(rows.shape[1])
    return 1 + int(np.count_nonzero(np.diff(keys) > tol))


def _step(params, f, x0, target, lr):
    """One gradient step of 0.5 * mean over the batch of |output - target|^2."""
    xs, slopes = [x0], []
    for w, b in params:
        out, d = f(xs[-1] @ w.T + b)
        xs.append(out)
        slopes.append(d)
    g = (xs[-1] - target) / len(x0)
    for l in reversed(range(len(params))):
        w, b = params[l]
        delta = g * slopes[l]
        g = delta @ w
        w -= lr * (delta.T @ xs[l])
        b -= lr * delta.sum(axis=0)


def _trace(scheme, widths, f, bias, x0, target, lr, steps, seed):
    params = [(np.array(layer_weight(scheme, l, widths[l], widths[l - 1], np.float64, seed)),
               np.full(widths[l], bias)) for l in range(1, len(widths))]
    start = [(w.copy(), b.copy()) for w, b in params]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            _step(params, f, x0, target, lr)
    distinct = [distinct_rows(np.column_stack((w, b))) for w, b in params]
    moved = [max(np.max(np.abs(w - w0)), np.max(np.abs(b - b0)))
             for (w, b), (w0, b0) in zip(params, start)]
    return SymmetryTrace(scheme.label, np.array(distinct), np.array(moved))


def explain_symmetry(schemes=None, *, depth=None, width=32, activation="tanh", batch=64,
                     lr=0.1, steps=1, seed=0, bias=0.0):
    """Train the MLP ``steps`` gradient steps from each initialization and
    count the distinct units of every layer.  Defaults: ``zeros``,
    ``constant`` 0.05 and ``xavier_normal``; 4 layers of width 32 (``depth``
    and ``width`` as in ``explain``), tanh, lr 0.1.  Returns a ``Symmetry``."""
    widths = _widths(4 if depth is None else depth, width)
    f = ACTIVATIONS[_choice("activation", activation, tuple(ACTIVATIONS))]
    batch = _positive_int("batch", batch)
    steps = _positive_int("steps", steps)
    lr = _real("lr", lr, positive=True)
    bias = _real("bias", bias)
    seed = _core.check_seed(seed)
    specs = DEFAULT_SYMMETRY_SCHEMES if schemes is None else schemes
    parsed = [parse_scheme(s) for s in ([specs] if isinstance(specs, str) else specs)]
    if not parsed:
        raise ValueError("schemes is empty: name at least one")
    kw = dict(dtype=np.float64, std=1.0, seed=seed)
    x0 = _core.normal(shape=(batch, widths[0]), stream="fastinit.symmetry/input", **kw)
    target = _core.normal(shape=(batch, widths[-1]), stream="fastinit.symmetry/target", **kw)
    traces = tuple(_trace(s, widths, f, bias, x0, target, lr, steps, seed) for s in parsed)
    return Symmetry(activation.lower(), widths, steps, lr, traces)


def format_symmetry(r):
    lines = [f"fastinit explain --symmetry: {r.activation}, widths "
             f"{' -> '.join(map(str, r.widths))}, {r.steps} gradient step(s), lr {r.lr:g}",
             "  distinct: units (weight row + bias) of the layer that differ after the steps",
             "  moved: the largest change of any of the layer's weights or biases"]
    for s in r.schemes:
        lines += ["", f"== {s.label} ==",
                  f"{'layer':>5} {'units':>6} {'distinct':>9} {'moved':>10}"]
        for l, (n, m) in enumerate(zip(s.distinct_units, s.moved), start=1):
            lines.append(f"{l:>5} {r.widths[l]:>6} {n:>9} {m:>10.3g}")
        hidden = s.distinct_units[:-1]
        if hidden.size:
            same = bool(np.all(hidden == 1))
            lines.append("  hidden layers: " + ("every unit is a copy of one unit -- symmetry "
                                                "never breaks" if same else
                                                "units differ -- symmetry is broken"))
    return "\n".join(lines)
