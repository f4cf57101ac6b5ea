"""What ``fastinit.explain`` returns: the numbers per scheme and layer, and
the table ``python -m fastinit explain`` prints from them."""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np


@dataclass(frozen=True, eq=False)
class SchemeTrace:
    """One scheme's run.  Arrays have one entry per layer, 1..depth."""
    label: str
    activation_std: np.ndarray        # std of layer l's output over batch x units
    gradient_std: np.ndarray          # std of dLoss/d(pre-activation of layer l)
    dead_fraction: Optional[np.ndarray]        # relu-like: units <= 0 on the whole batch
    saturated_fraction: Optional[np.ndarray]   # tanh/sigmoid: outputs in the flat tails
    weight_variance: Optional[np.ndarray]      # the scheme's nominal Var(w)
    predicted_activation_std: Optional[np.ndarray]
    predicted_gradient_std: Optional[np.ndarray]
    no_prediction: Optional[str]               # why there is none
    histograms: Dict[int, np.ndarray]          # layer -> a sample of its outputs

    @property
    def fraction(self):
        """dead_fraction or saturated_fraction, whichever this activation has."""
        return self.dead_fraction if self.dead_fraction is not None else self.saturated_fraction


@dataclass(frozen=True, eq=False)
class Explanation:
    """``fastinit.explain``'s result: ``schemes`` in the order asked, also
    by label (``result["kaiming_normal"]``); ``table()``; ``plot(path)``."""
    activation: str
    widths: Tuple[int, ...]           # input width, then each layer's output width
    batch: int
    seed: int
    bias: float
    dtype: np.dtype
    input_std: float                  # the measured std of the N(0, 1) input
    schemes: Tuple[SchemeTrace, ...]

    @property
    def depth(self):
        return len(self.widths) - 1

    @property
    def layers(self):
        return np.arange(1, self.depth + 1)

    @property
    def fraction_name(self):
        """"dead", "saturated" or None: what SchemeTrace.fraction counts."""
        first = self.schemes[0]
        if first.dead_fraction is not None:
            return "dead"
        return "saturated" if first.saturated_fraction is not None else None

    def __getitem__(self, label):
        for s in self.schemes:
            if s.label == label:
                return s
        raise KeyError(f"no scheme {label!r}; have {[s.label for s in self.schemes]}")

    def table(self, every=None):
        """The per-layer table: layers 1, every, 2 every, ..., depth (every
        layer when every=1; default about ten rows per scheme)."""
        return format_table(self, every)

    def plot(self, path=None, *, histogram_layers=None, dpi=100):
        """A matplotlib Figure of the run (saved as PNG when ``path`` is
        given); needs matplotlib: ``pip install 'fastinit[plot]'``."""
        from . import _explain_plot
        return _explain_plot.plot(self, path, histogram_layers=histogram_layers, dpi=dpi)


# ---- the table ----------------------------------------------------------------------------

_FRACTION_HELP = {
    "dead": "dead: fraction of the layer's units that are <= 0 for every input of the batch",
    "saturated": "saturated: fraction of the outputs in the flat tails (|x| > 0.99 for tanh; "
                 "x < 0.01 or > 0.99 for sigmoid)",
}


def _num(x):
    return "-" if x is None or np.isnan(x) else f"{x:.4g}"


def _rows(layers, every):
    every = max(1, layers // 10) if every is None else every
    return sorted({1, layers} | set(range(every, layers + 1, every)))


def _widths_text(widths):
    if len(set(widths)) == 1:
        return f"width {widths[0]}"
    return "widths " + " -> ".join(map(str, widths))


def format_table(r, every=None):
    frac = r.fraction_name
    lines = [
        f"fastinit explain: {r.activation}, {r.depth} layers, {_widths_text(r.widths)}, "
        f"batch {r.batch}, bias {r.bias:g}, seed {r.seed}, {np.dtype(r.dtype).name}",
        f"  act std: std of layer l's output over the batch and its units "
        f"(the N(0, 1) input's: {r.input_std:.4g})",
        "  grad std: std of dLoss/d(pre-activation of layer l), for an N(0, 1) output gradient",
        "  pred: Var(s_l) = n_(l-1) Var(w) E[x_(l-1)^2] forward, "
        "Var(g_(l-1)) = n_l Var(w) Var(delta_l) backward,",
        "        with the scheme's nominal Var(w) and Gaussian pre-activations",
    ]
    if frac:
        lines.append("  " + _FRACTION_HELP[frac])
    head = f"{'layer':>5} {'width':>6} {'act std':>10} {'pred':>10} {'grad std':>10} {'pred':>10}"
    head += f" {frac:>9}" if frac else ""
    for s in r.schemes:
        pa, pg, fr = s.predicted_activation_std, s.predicted_gradient_std, s.fraction
        note = (f"Var(w) at layer 1 = {s.weight_variance[0]:.4g}" if s.no_prediction is None
                else f"no prediction: {s.no_prediction}")
        lines += ["", f"== {s.label} ==  ({note})", head]
        for layer in _rows(r.depth, every):
            i = layer - 1
            row = (f"{layer:>5} {r.widths[layer]:>6} {_num(s.activation_std[i]):>10} "
                   f"{_num(None if pa is None else pa[i]):>10} {_num(s.gradient_std[i]):>10} "
                   f"{_num(None if pg is None else pg[i]):>10}")
            lines.append(row + (f" {fr[i]:>9.3f}" if frac else ""))
    return "\n".join(lines)
