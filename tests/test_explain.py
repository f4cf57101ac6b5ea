"""fastinit.explain: the physics a wrong formula fails.

Deep-network facts with known answers (LeCun keeps a linear net's scale,
He a ReLU net's, Xavier halves a ReLU net's variance per layer, tanh
collapses or saturates), the variance formula against the measurement with
a stated finite-width tolerance, the backward pass in fan_out mode, the
nominal variances against the drawn weights of every scheme, the plot's
objects, the CLI's table against the function's numbers, and the errors.
"""
import math
import re
import sys

import numpy as np
import pytest

import fastinit
from fastinit import __main__ as cli
from fastinit import _explain
from fastinit._explain_schemes import layer_weight, parse_scheme
from fastinit._explain_symmetry import distinct_rows
from fastinit._explain_theory import gaussian_moments, weight_variance

N = 512          # width of the physics runs
L = 50           # their depth
LAYERS = np.arange(1, L + 1)


def run(schemes, activation, **kw):
    kw.setdefault("batch", 64)
    return fastinit.explain(schemes, activation=activation, depth=kw.pop("depth", L),
                            width=kw.pop("width", N), **kw)


def slope(values, first=2):
    """d ln(std) / d layer, a least-squares fit over layers first..L."""
    return np.polyfit(LAYERS[first - 1:], np.log(values[first - 1:]), 1)[0]


# ---- linear ------------------------------------------------------------------------------

def test_linear_lecun_keeps_the_scale_small_std_collapses_unit_std_explodes():
    r = run(["lecun_normal", "normal:std=0.01", "normal:std=1"], "linear", dtype="float64")
    ratio = r["lecun_normal"].activation_std / r.input_std
    assert np.all((0.7 <= ratio) & (ratio <= 1.4)), ratio
    small = r["normal:std=0.01"].activation_std
    assert small[-1] / r.input_std < 1e-20                    # orders of magnitude
    # each layer multiplies the std by std_w * sqrt(n): 0.01 * sqrt(512) = 0.226
    assert slope(small) == pytest.approx(math.log(0.01 * math.sqrt(N)), abs=0.02)
    big = r["normal:std=1"].activation_std
    assert np.all(np.diff(big) > 0) and big[-1] > 1e60
    assert slope(big) == pytest.approx(math.log(math.sqrt(N)), abs=0.02)


def test_float32_overflow_is_inf_and_the_gradient_is_not_computed():
    s = run(["normal:std=1"], "linear", depth=40)["normal:std=1"]
    # 22.6x per layer passes float32's 3.4e38 at layer 29
    first_inf = int(np.argmax(np.isinf(s.activation_std)))
    assert 26 <= first_inf <= 30 and np.all(np.isinf(s.activation_std[first_inf:]))
    assert np.all(np.isfinite(s.activation_std[:first_inf]))
    assert np.all(np.isnan(s.gradient_std))


# ---- ReLU ---------------------------------------------------------------------------------

def test_relu_kaiming_keeps_the_scale_xavier_halves_the_variance_per_layer():
    r = run(["kaiming_normal", "xavier_normal"], "relu")
    he = r["kaiming_normal"].activation_std / r.input_std
    assert np.all((0.5 <= he) & (he <= 2.0)), he
    xavier = r["xavier_normal"].activation_std
    # Var(w) = 2 / (n + n) = 1/n and ReLU keeps half of E[s^2]: std x 1/sqrt(2) per layer
    assert slope(xavier) == pytest.approx(-0.5 * math.log(2), abs=0.015)
    assert xavier[-1] / r.input_std < 1e-6


def assert_matches_formula(measured, predicted, steps, batch_noise=0.03, width=N):
    """The stated tolerance: |ln(measured / predicted)| <= 1.5 sqrt(5 steps / n)
    + batch_noise after ``steps`` layers of width n.  The formula is the
    infinite-width limit; at width n every layer multiplies E[x^2] by a random
    factor of relative variance up to ~5/n (ReLU: E[relu(z)^4] /
    E[relu(z)^2]^2 - 1 = 5; less for tanh, whose map contracts), shared by the
    whole batch once its inputs are correlated, so ln(std) wanders with sd
    0.5 sqrt(5 steps / n).  Allowed: 3 sd, plus the batch's own noise."""
    error = np.abs(np.log(np.asarray(measured) / np.asarray(predicted)))
    allowed = 1.5 * np.sqrt(5.0 * np.asarray(steps) / width) + batch_noise
    assert np.all(error <= allowed), np.column_stack((error, allowed))


@pytest.mark.parametrize("scheme, width", [
    ("kaiming_normal", N), ("xavier_normal:gain=1.3", N), ("kaiming_uniform:mode=fan_out", N),
    ("orthogonal", 256)])                       # (a QR per layer: narrower)
def test_relu_measurement_matches_the_variance_formula_per_layer(scheme, width):
    s = run([scheme], "relu", batch=256, width=width)[scheme]
    assert_matches_formula(s.activation_std, s.predicted_activation_std, LAYERS - 1,
                           width=width)
    assert_matches_formula(s.gradient_std, s.predicted_gradient_std, L - LAYERS,
                           batch_noise=0.05, width=width)


def test_relu_prediction_is_exact_where_it_is_known_in_closed_form():
    # He, ReLU, N(0, 1) input: E[x^2] = 1 at every layer, std = sqrt(1 - 1/pi)
    s = run(["kaiming_normal"], "relu", depth=5)["kaiming_normal"]
    assert s.predicted_activation_std == pytest.approx(math.sqrt(1 - 1 / math.pi), rel=1e-9)
    # backward: Var(delta) = P(s > 0) Var(g) = 1/2 at every layer
    assert s.predicted_gradient_std == pytest.approx(math.sqrt(0.5), rel=1e-9)


def test_relu_dead_units_zero_init_and_the_bias_that_revives_them():
    r = run(["zeros"], "relu", depth=3, width=16)
    assert np.all(r["zeros"].dead_fraction == 1) and np.all(r["zeros"].activation_std == 0)
    r = run(["zeros"], "relu", depth=3, width=16, bias=0.01)
    assert np.all(r["zeros"].dead_fraction == 0)
    he = run(["kaiming_normal"], "relu", batch=256)["kaiming_normal"]
    # a batch's inputs grow correlated with depth, so whole units switch off
    assert he.dead_fraction[0] < 0.01 and 0.2 < he.dead_fraction[-1] < 0.6


# ---- tanh ---------------------------------------------------------------------------------

def test_tanh_small_collapses_unit_saturates_xavier_neither():
    r = run(["normal:std=0.01", "normal:std=1", "xavier_normal"], "tanh")
    small, big, xavier = (r[k] for k in ("normal:std=0.01", "normal:std=1", "xavier_normal"))
    assert small.activation_std[-1] < 1e-20 and np.all(small.saturated_fraction == 0)
    # std 1: s has std ~ sqrt(512) * 0.98 = 22, so ~90% of |tanh(s)| exceed 0.99
    assert np.all(big.saturated_fraction[1:] > 0.8)
    assert 0.05 < xavier.activation_std[-1] < 0.5
    assert np.all(xavier.saturated_fraction[1:] < 0.01)
    # the formula for tanh (no closed form: Gaussian quadrature)...
    for s in (big, xavier):
        assert_matches_formula(s.activation_std, s.predicted_activation_std, LAYERS - 1)
    assert_matches_formula(xavier.gradient_std, xavier.predicted_gradient_std, L - LAYERS,
                           batch_noise=0.05)
    # ...and std 1's exploding gradient (x ~3 per layer: 512 E[tanh'(s)^2], which
    # rests on the few unsaturated units, so it fluctuates more) within 2.5x over
    # its 25 orders of magnitude.  Which units stay unsaturated moves with the
    # float32 rounding of the BLAS kernel: x1.7-2.06 below the formula with
    # OpenBLAS's AVX2 kernels, under 2x with its AVX-512 ones.  A wrong factor
    # in the formula compounds over the ~50 layers into orders of magnitude.
    assert big.gradient_std[0] > 1e20
    assert np.all(np.abs(np.log(big.gradient_std / big.predicted_gradient_std)) < math.log(2.5))


@pytest.mark.parametrize("activation", ["sigmoid", "selu", "gelu", "leaky_relu"])
def test_other_activations_match_the_formula(activation):
    scheme = "lecun_normal" if activation == "selu" else "kaiming_normal"
    s = run([scheme], activation, depth=20, batch=128)[scheme]
    layers = np.arange(1, 21)
    assert_matches_formula(s.activation_std, s.predicted_activation_std, layers - 1)
    assert_matches_formula(s.gradient_std, s.predicted_gradient_std, 20 - layers,
                           batch_noise=0.05)
    if activation == "selu":           # SELU with LeCun: self-normalizing, std -> 1
        assert s.activation_std[-1] == pytest.approx(1.0, abs=0.1)


# ---- gradients ----------------------------------------------------------------------------

def test_backward_fan_out_keeps_the_gradient_fan_in_follows_the_widths():
    widths = [N] + [256, 1024] * 10
    r = fastinit.explain(["kaiming_normal:mode=fan_out", "kaiming_normal"], width=widths,
                         activation="relu", batch=64)
    out = r["kaiming_normal:mode=fan_out"].gradient_std
    # Var(g_(l-1)) = n_l (2 / n_l) Var(delta_l), Var(delta) = Var(g) / 2: constant
    assert out.max() / out.min() < 1.3
    assert out == pytest.approx(math.sqrt(0.5), rel=0.15)
    fan_in = r["kaiming_normal"].gradient_std
    # with 2 / n_(l-1) the gradient variance is multiplied by n_l / n_(l-1): 1/4 or 4
    ratios = fan_in[:-1] / fan_in[1:]
    expected = np.sqrt(np.array(widths[2:]) / np.array(widths[1:-1]))
    assert ratios == pytest.approx(expected, rel=0.15)
    assert fan_in == pytest.approx(r["kaiming_normal"].predicted_gradient_std, rel=0.15)


def test_redrawn_weights_give_the_same_backward_pass(monkeypatch):
    r = run(["kaiming_normal", "orthogonal"], "tanh", depth=6, width=64)
    monkeypatch.setattr(_explain, "KEEP_BYTES", 0)
    again = run(["kaiming_normal", "orthogonal"], "tanh", depth=6, width=64)
    for a, b in zip(r.schemes, again.schemes):
        assert np.array_equal(a.gradient_std, b.gradient_std)
        assert np.array_equal(a.activation_std, b.activation_std)


# ---- the formula's pieces -------------------------------------------------------------------

def test_gaussian_moments_against_closed_forms():
    for mean, var in [(0.0, 1.0), (0.3, 2.5), (-1.0, 0.04), (0.01, 1e-6)]:
        sd = math.sqrt(var)
        a = mean / sd
        cdf = 0.5 * math.erfc(-a / math.sqrt(2))
        pdf = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
        ef, vf, ef2, ed2 = gaussian_moments("relu", mean, var)
        assert ef == pytest.approx(mean * cdf + sd * pdf, rel=1e-10)
        assert ef2 == pytest.approx((mean * mean + var) * cdf + mean * sd * pdf, rel=1e-10)
        assert vf == pytest.approx(ef2 - ef * ef, rel=1e-8)
        assert ed2 == pytest.approx(cdf, rel=1e-10)
        ef, vf, ef2, ed2 = gaussian_moments("linear", mean, var)
        assert (ef, vf, ef2, ed2) == pytest.approx((mean, var, mean * mean + var, 1.0), rel=1e-10)
    # tanh of a symmetric Gaussian: odd, so mean 0; tanh'^2 = (1 - tanh^2)^2
    ef, _, ef2, _ = gaussian_moments("tanh", 0.0, 4.0)
    z = np.random.default_rng(1).standard_normal(2_000_000) * 2.0
    assert ef == pytest.approx(0.0, abs=1e-12)
    assert ef2 == pytest.approx(np.mean(np.tanh(z) ** 2), abs=2e-3)
    assert gaussian_moments("sigmoid", 0.0, 0.0) == (0.5, 0.0, 0.25, 0.0625)


@pytest.mark.parametrize("name", fastinit.names())
def test_every_scheme_runs_and_its_nominal_variance_is_what_it_draws(name):
    """Every name get() knows: explain runs it (or says clearly why a 2-D
    weight is impossible), and the Var(w) the formula uses is the variance
    of the weights the scheme fills, in the torch layout (out=400, in=300)."""
    kwargs = {"sparse": {"sparsity": 0.3}, "sparse_": {"sparsity": 0.3}}.get(name, {})
    spec = (name, kwargs)
    if name in ("dirac", "dirac_", "delta_orthogonal"):
        with pytest.raises(ValueError, match=f"scheme '{name}' cannot initialize .* layer 1"):
            fastinit.explain([spec], depth=2, width=8)
        return
    r = fastinit.explain([spec], depth=3, width=[7, 6, 5, 4], activation="tanh", batch=8)
    assert np.all(np.isfinite(r.schemes[0].activation_std))
    scheme = parse_scheme(spec)
    v, why = weight_variance(scheme.fn, scheme.arguments, 300, 400)
    if v is None:
        assert why and name in ("eye", "eye_", "identity", "Identity", "IdentityInitializer",
                                "ones", "ones_", "Ones", "one", "uniform_")
        return
    w = layer_weight(scheme, 1, 400, 300, np.float64, seed=3)
    assert w.shape == (400, 300)
    assert np.mean(w * w) == pytest.approx(v, rel=0.03, abs=1e-300)
    assert abs(np.mean(w)) <= 5 * math.sqrt(v / w.size) + 1e-300


# ---- table, CLI, plot ---------------------------------------------------------------------

def _parse_table(text):
    """{label: {layer: [act, pred, grad, pred, fraction]}} from the CLI's table."""
    blocks, label = {}, None
    for line in text.splitlines():
        m = re.match(r"== (.+) ==", line)
        if m:
            label = m.group(1)
            blocks[label] = {}
        elif label and re.match(r"\s*\d+\s", line):
            cells = line.split()
            blocks[label][int(cells[0])] = [float("nan") if c == "-" else float(c)
                                            for c in cells[2:]]
    return blocks


def test_cli_table_matches_the_function(capsys):
    args = ["--schemes", "xavier_normal", "kaiming_normal", "normal:std=0.01", "--depth", "12",
            "--width", "128", "--activation", "relu", "--batch", "32", "--seed", "5",
            "--every", "3"]
    assert cli.main(["explain"] + args) == 0
    table = _parse_table(capsys.readouterr().out)
    r = fastinit.explain(["xavier_normal", "kaiming_normal", "normal:std=0.01"], depth=12,
                         width=128, activation="relu", batch=32, seed=5)
    assert list(table) == [s.label for s in r.schemes]
    for s in r.schemes:
        assert sorted(table[s.label]) == [1, 3, 6, 9, 12]
        for layer, cells in table[s.label].items():
            i = layer - 1
            want = [s.activation_std[i], s.predicted_activation_std[i], s.gradient_std[i],
                    s.predicted_gradient_std[i]]
            assert cells[:4] == pytest.approx(want, rel=6e-4)       # printed with 4 digits
            assert cells[4] == pytest.approx(s.dead_fraction[i], abs=5e-4)


def test_default_schemes_and_histogram_layers():
    r = fastinit.explain(depth=6, width=32, batch=16)
    assert [s.label for s in r.schemes] == ["normal:std=0.01", "normal:std=1", "xavier_normal",
                                            "kaiming_normal", "lecun_normal", "orthogonal"]
    assert sorted(r.schemes[0].histograms) == [1, 2, 4, 6]
    assert r.activation == "relu" and r.widths == (32,) * 7 and r.fraction_name == "dead"


def test_plot_has_the_axes_lines_and_labels(tmp_path):
    pytest.importorskip("matplotlib")
    r = run(["xavier_normal", "kaiming_normal", "normal:std=1"], "tanh", depth=12, width=64,
            histogram_layers=[1, 6, 12])
    path = tmp_path / "explain.png"
    fig = r.plot(path, dpi=30)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
    forward, backward, *hists = fig.axes
    assert len(hists) == 3 * 3                      # schemes x histogram layers
    for ax, field, what in ((forward, "activation_std", "output"),
                            (backward, "gradient_std", "dLoss/d(pre-activation)")):
        assert ax.get_yscale() == "log" and ax.get_xlabel() == "layer"
        assert what in ax.get_ylabel()
        lines = {line.get_label(): line for line in ax.get_lines()}
        for s in r.schemes:
            measured = lines[s.label]
            assert list(measured.get_xdata()) == list(range(1, 13))
            np.testing.assert_allclose(measured.get_ydata(), getattr(s, field))
            predicted = lines[f"{s.label} (variance formula)"]
            assert predicted.get_linestyle() == "--"
            assert predicted.get_color() == measured.get_color()
            np.testing.assert_allclose(predicted.get_ydata(), getattr(s, "predicted_" + field))
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == [s.label for s in r.schemes] + ["dashed: the variance formula"]
    assert [ax.get_title() for ax in hists[:3]] == [f"layer {l} outputs" for l in (1, 6, 12)]
    assert [hists[3 * i].get_ylabel() for i in range(3)] == [s.label for s in r.schemes]
    assert hists[0].get_xlim()[0] <= -1 and hists[0].get_xlim()[1] >= 1  # tanh's range
    assert "tanh, 12 layers, width 64" in fig._suptitle.get_text()


def test_plot_marks_overflow_as_a_gap(tmp_path):
    pytest.importorskip("matplotlib")
    r = run(["normal:std=1"], "relu", depth=40, histogram_layers=[1])   # 16x per layer
    forward = r.plot().axes[0]
    label = forward.get_legend().get_texts()[0].get_text()
    first = int(np.argmax(np.isinf(r.schemes[0].activation_std))) + 1
    assert label == f"normal:std=1 (overflows from layer {first})"
    ydata = forward.get_lines()[0].get_ydata()
    assert np.all(np.isnan(ydata[first - 1:])) and np.all(np.isfinite(ydata[:first - 1]))


def test_cli_writes_the_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "cli.png"
    assert cli.main(["explain", "--schemes", "lecun_normal", "--depth", "4", "--width", "16",
                     "--plot", str(path)]) == 0
    assert path.stat().st_size > 10_000 and f"wrote {path}" in capsys.readouterr().out


def test_missing_matplotlib_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    r = run(["lecun_normal"], "relu", depth=2, width=8)
    with pytest.raises(ImportError, match=r"pip install 'fastinit\[plot\]'"):
        r.plot()
    calls = []
    monkeypatch.setattr(_explain, "_trace", lambda *a: calls.append(a))
    assert cli.main(["explain", "--plot", "x.png"]) == 1
    assert "pip install 'fastinit[plot]'" in capsys.readouterr().err
    assert calls == []                              # refused before running anything


# ---- symmetry -----------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_constant_init_never_breaks_symmetry_random_does(activation):
    r = fastinit.explain_symmetry(activation=activation, steps=3)
    zeros, const, xavier = (r[k] for k in ("zeros", "constant:value=0.05", "xavier_normal"))
    assert np.all(zeros.distinct_units[:-1] == 1) and np.all(const.distinct_units[:-1] == 1)
    assert np.all(const.moved > 0)                  # it learns, but as one unit per layer
    assert const.distinct_units[-1] == 32           # the outputs have different targets
    assert np.all(xavier.distinct_units == 32)
    if activation == "relu":                        # relu'(0) = 0: nothing moves at all
        assert np.all(zeros.moved == 0)
    else:                                           # only the output biases move
        assert np.all(zeros.moved[:-1] == 0) and zeros.moved[-1] > 0


def test_symmetry_cli(capsys):
    assert cli.main(["explain", "--symmetry", "--activation", "tanh", "--width", "8"]) == 0
    out = capsys.readouterr().out
    assert out.count("every unit is a copy of one unit -- symmetry never breaks") == 2
    assert out.count("units differ -- symmetry is broken") == 1


def test_distinct_rows_counts_rows_equal_to_rounding_as_one():
    rows = np.tile(np.linspace(-1, 1, 9), (50, 1))
    rows[::2] += 1e-14
    assert distinct_rows(rows) == 1
    rows[3, 4] += 1e-6
    assert distinct_rows(rows) == 2
    assert distinct_rows(np.zeros((5, 3))) == 1
    assert distinct_rows(np.random.default_rng(0).standard_normal((40, 7))) == 40


# ---- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    (dict(schemes=["xavier_nromal"]), ValueError, "unknown initializer 'xavier_nromal'.*"
                                                  "Did you mean 'xavier_normal'"),
    (dict(depth=0), ValueError, "depth=0 must be positive"),
    (dict(width=0), ValueError, "width=0 must be positive"),
    (dict(width=[8, 4, 0]), ValueError, r"width\[2\]=0 must be positive"),
    (dict(width=[8]), ValueError, "needs the input's and at least one layer's"),
    (dict(width=[8, 4, 4], depth=3), ValueError, "depth=3 does not match"),
    (dict(width=2.5), TypeError, "width must be a positive int"),
    (dict(batch=0), ValueError, "batch=0 must be positive"),
    (dict(activation="swish"), ValueError, "activation='swish' is not supported"),
    (dict(dtype="float16"), ValueError, "float32 or float64"),
    (dict(bias=float("nan")), ValueError, "bias=nan must be finite"),
    (dict(seed=-1), ValueError, "seed=-1"),
    (dict(schemes=[]), ValueError, "schemes is empty"),
    (dict(schemes=["lecun_normal", "lecun_normal"]), ValueError, "names a scheme twice"),
    (dict(schemes=["normal:std"]), ValueError, "'std' is not key=value"),
    (dict(schemes=["normal:seed=1"]), ValueError, "explain sets seed itself"),
    (dict(schemes=["normal:sdt=1"]), TypeError, "scheme 'normal:sdt=1'"),
    (dict(schemes=["normal:std=-1"]), ValueError, "scheme 'normal:std=-1' cannot initialize"),
    (dict(schemes=[3]), TypeError, "a scheme must be a name"),
])
def test_bad_arguments_raise_naming_them(kwargs, error, match):
    small = {} if "width" in kwargs or "depth" in kwargs else dict(depth=2, width=8)
    with pytest.raises(error, match=match):
        fastinit.explain(**small, **kwargs)


@pytest.mark.parametrize("args, message", [
    (["--width", "0"], "widths must be positive"),
    (["--width", "8,x"], "is not a width"),
    (["--depth", "-3"], "must be a positive integer"),
    (["--schemes", "he_nromal"], "Did you mean 'he_normal'"),
    (["--activation", "swish"], "invalid choice"),
    (["--histograms", "99", "--depth", "3"], "the network has 3 layers"),
])
def test_cli_bad_arguments_exit_2_with_the_message(args, message, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["explain"] + args)
    assert e.value.code == 2 and message in capsys.readouterr().err
