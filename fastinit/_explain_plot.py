"""The picture of an ``Explanation``: activation and gradient std per layer
(log scale, one colour per scheme, the variance formula dashed beside the
measurement), and histograms of the activations at a few depths.

matplotlib is optional (``pip install 'fastinit[plot]'``) and imported only
here; the figure is built with matplotlib.figure.Figure, without pyplot, so
no backend or global state is touched.
"""
import numpy as np

INSTALL = "pip install 'fastinit[plot]'"
_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}    # the classic picture's x range


class MissingMatplotlib(ImportError):
    """matplotlib is not installed (the message has the install command)."""


def require_matplotlib():
    """matplotlib.figure.Figure, or MissingMatplotlib (an ImportError) with
    the install command."""
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise MissingMatplotlib(f"fastinit's plots need matplotlib, which is not installed: "
                          f"{INSTALL} (or pip install 'matplotlib>=3.5')") from e
    return Figure


def _figure(Figure, size):
    try:
        return Figure(figsize=size, layout="constrained")
    except TypeError:                   # matplotlib 3.5
        return Figure(figsize=size, constrained_layout=True)


def _positive(values):
    """The values a log axis can show; inf (overflow) and 0 (underflow) become gaps."""
    v = np.array(values, dtype=float)
    v[~np.isfinite(v) | (v <= 0)] = np.nan
    return v


def _note(values):
    v = np.asarray(values, dtype=float)
    bad = np.flatnonzero(~np.isfinite(v) | (v <= 0))
    if bad.size == 0:
        return ""
    layer = int(bad[0]) + 1
    what = "overflows" if np.isinf(v[bad[0]]) else ("is 0" if v[bad[0]] == 0 else "not computed")
    return f" ({what} from layer {layer})"


def _std_panel(ax, r, field, title, ylabel):
    """One line per scheme (measured) and its dashed prediction; the legend's
    handles: the measured lines and one 'variance formula' key."""
    from matplotlib.ticker import MaxNLocator
    handles = []
    for i, s in enumerate(r.schemes):
        color = f"C{i % 10}"
        measured = getattr(s, field)
        line, = ax.plot(r.layers, _positive(measured), color=color, marker="o", markersize=2.5,
                        label=s.label + _note(measured))
        handles.append(line)
        predicted = getattr(s, "predicted_" + field)
        if predicted is not None:
            ax.plot(r.layers, _positive(predicted), color=color, linestyle="--", linewidth=1,
                    label=f"{s.label} (variance formula)")
    key, = ax.plot([], [], color="0.4", linestyle="--", linewidth=1,
                   label="dashed: the variance formula")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    # below the panel: the lines fill it from edge to edge
    ax.legend(handles=handles + [key], fontsize=7, ncol=3, loc="upper center",
              bbox_to_anchor=(0.5, -0.16))


def _histograms(fig, spec, r, layers):
    grid = spec.subgridspec(len(r.schemes), len(layers))
    span = _RANGES.get(r.activation)
    for row, s in enumerate(r.schemes):
        for col, layer in enumerate(layers):
            ax = fig.add_subplot(grid[row, col])
            values = s.histograms.get(layer)
            if values is not None and np.all(np.isfinite(values)):
                note = f"std {np.std(values):.2g}"
                if r.activation == "relu":   # the zeros would be one spike hiding the rest
                    note += f", {np.mean(values == 0):.0%} are 0"
                    values = values[values > 0]
                ax.hist(values, bins=60, range=span, color=f"C{row % 10}")
                ax.text(0.98, 0.92, note, transform=ax.transAxes, ha="right", va="top",
                        fontsize=7,
                        bbox=dict(facecolor="white", alpha=0.8, edgecolor="none", pad=1))
            else:
                ax.text(0.5, 0.5, "overflowed", transform=ax.transAxes, ha="center", fontsize=8)
            ax.set_yticks([])
            ax.tick_params(labelsize=6)
            if row == 0:
                what = "positive outputs" if r.activation == "relu" else "outputs"
                ax.set_title(f"layer {layer} {what}", fontsize=9)
            if col == 0:
                ax.set_ylabel(s.label, fontsize=7)


def plot(r, path=None, *, histogram_layers=None, dpi=100):
    """The Figure of Explanation ``r``; saved as PNG to ``path`` if given.
    Histograms: the layers ``r`` kept samples of (``explain``'s
    ``histogram_layers``), or a subset of them."""
    Figure = require_matplotlib()
    layers = sorted(r.schemes[0].histograms if histogram_layers is None else histogram_layers)
    missing = [l for l in layers if l not in r.schemes[0].histograms]
    if missing:
        raise ValueError(f"histogram_layers={missing}: explain kept samples of layers "
                         f"{sorted(r.schemes[0].histograms)} only (its histogram_layers=)")
    fig = _figure(Figure, (12, 5.2 + 1.1 * len(r.schemes)))
    outer = fig.add_gridspec(2, 1, height_ratios=[4.2, 1.1 * len(r.schemes)])
    top = outer[0].subgridspec(1, 2)
    widths = f"width {r.widths[1]}" if len(set(r.widths)) == 1 else f"widths {list(r.widths)}"
    fig.suptitle(f"{r.activation}, {r.depth} layers, {widths}, batch {r.batch}, "
                 f"bias {r.bias:g}, seed {r.seed}, {np.dtype(r.dtype).name}", fontsize=11)
    _std_panel(fig.add_subplot(top[0, 0]), r, "activation_std",
               "activation std per layer (forward)", "std of the layer's output")
    _std_panel(fig.add_subplot(top[0, 1]), r, "gradient_std",
               "gradient std per layer (backward)", "std of dLoss/d(pre-activation)")
    if layers:
        _histograms(fig, outer[1], r, layers)
    if path is not None:
        fig.savefig(path, dpi=dpi, format="png")
    return fig
