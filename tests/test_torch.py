"""fastinit.torch: tensors, whole models by their own init code, meta
materialization, order independence, seed checkpoints."""
import inspect
import math
import weakref

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import fastinit  # noqa: E402
import fastinit.torch as fit  # noqa: E402
from fastinit._core import BFLOAT16  # noqa: E402

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def np_of(t):
    """The tensor's values as a NumPy array (a copy, float64)."""
    return t.detach().float().double().numpy() if t.dtype == torch.bfloat16 else \
        t.detach().double().numpy()


def np_dtype(dt):
    return {torch.float32: np.float32, torch.float64: np.float64,
            torch.float16: np.float16, torch.bfloat16: BFLOAT16}[dt]


# ---- tensors directly -----------------------------------------------------------------

# (fastinit.torch function, args, the registry scheme that must give the same bits)
SCHEMES = [
    ("uniform_", (-0.3, 0.7)), ("normal_", (0.1, 0.5)), ("trunc_normal_", (0.0, 1.0, -0.5, 1.5)),
    ("xavier_uniform_", (1.3,)), ("xavier_normal_", (0.7,)),
    ("kaiming_uniform_", (math.sqrt(5),)), ("kaiming_normal_", (0.0, "fan_out", "relu")),
    ("orthogonal_", (1.0,)), ("sparse_", (0.3,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args", SCHEMES)
def test_tensor_fill_equals_numpy_fill(name, args, dtype):
    w = nn.Parameter(torch.empty(24, 40, dtype=dtype))
    ptr = w.data_ptr()
    out = getattr(fit, name)(w, *args, seed=3, stream="w")
    assert out is w and w.data_ptr() == ptr and w.requires_grad
    ref = fastinit.initialize(np.empty((24, 40), np_dtype(dtype)), name, *args, seed=3,
                              stream="w")
    assert np.array_equal(np_of(w), ref.astype(np.float64))


@pytest.mark.parametrize("layout", ["transpose", "step", "channels_last"])
def test_non_contiguous_tensors_fill_logical_c_order(layout):
    if layout == "channels_last":
        t = torch.empty(4, 3, 5, 6).to(memory_format=torch.channels_last)
        assert not t.is_contiguous()
    elif layout == "transpose":
        t = torch.empty(30, 20).t()
    else:
        t = torch.empty(30, 40)[::3, 1::2]
    fit.normal_(t, 0.0, 2.0, seed=5, stream=7)
    ref = fastinit.normal(np.empty(tuple(t.shape), np.float32), 0.0, 2.0, seed=5, stream=7)
    assert np.array_equal(t.numpy(), ref)


def test_as_array_is_zero_copy_for_every_dtype():
    for dt in DTYPES:
        t = torch.zeros(6, 8, dtype=dt)[:, ::2]
        a = fit.as_array(t)
        assert a.shape == (6, 4) and a.dtype == np_dtype(dt)
        a[...] = 1.5
        assert torch.all(t == 1.5) and torch.all(t._base[:, 1::2] == 0)


def test_fill_bumps_the_version_counter():
    w = nn.Parameter(torch.empty(3, 4))
    v = w._version
    fit.uniform_(w, seed=0)
    assert w._version > v


def test_bad_tensors_raise_clear_errors():
    with pytest.raises(ValueError, match="meta device.*materialize_"):
        fit.normal_(torch.empty(3, device="meta"), seed=0)
    with pytest.raises(TypeError, match="dtype torch.int64"):
        fit.normal_(torch.zeros(3, dtype=torch.int64), seed=0)
    with pytest.raises(TypeError, match="torch.Tensor"):
        fit.as_array(np.zeros(3))
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        fit.normal_(torch.empty(3), generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="not both"):
        fit.normal_(torch.empty(3), generator=torch.Generator(), seed=1)
    with pytest.raises(ValueError, match="std"):
        fit.normal_(torch.empty(3), std=-1.0, seed=0)
    with pytest.raises(ValueError, match="zero stride"):
        fit.normal_(torch.empty(1, 3).expand(4, 3), seed=0)


def test_torch_s_generator_seeds_the_drop_in_as_it_seeds_torch_nn_init():
    # no seed: one 63-bit draw from PyTorch's generator (generator=, else the
    # default one) is the seed, so torch.manual_seed makes it reproducible
    g = torch.Generator().manual_seed(42)
    a = fit.trunc_normal_(torch.empty(50), generator=g)
    torch.manual_seed(42)
    b = fit.trunc_normal_(torch.empty(50))
    assert torch.equal(a, b)
    seed = int(torch.empty((), dtype=torch.int64).random_(
        generator=torch.Generator().manual_seed(42)))
    assert np.array_equal(a.numpy(), ref("trunc_normal_", (50,), 0.0, 1.0, -2.0, 2.0,
                                         name=0, seed=seed))
    c = fit.trunc_normal_(torch.empty(50), generator=g)     # g has moved on
    assert not torch.equal(a, c)
    state = torch.get_rng_state()
    fit.zeros_(torch.empty(3))                              # nothing random: no draw
    fit.normal_(torch.empty(3), seed=5)                     # a seed given: no draw
    assert torch.equal(state, torch.get_rng_state())


def test_fastinit_generator_drives_the_drop_in():
    a, b = torch.empty(100), torch.empty(100)
    g = fastinit.Generator(9)
    fit.normal_(a, generator=g)
    fit.normal_(b, generator=g)
    ref = fastinit.Generator(9)
    assert np.array_equal(a.numpy(), ref.normal(np.empty(100, np.float32), 0.0, 1.0))
    assert np.array_equal(b.numpy(), ref.normal(np.empty(100, np.float32), 0.0, 1.0))


def test_signatures_and_defaults_are_torch_nn_init():
    for name in fit._TORCH_NAMES:
        ours = inspect.signature(getattr(fit, name)).parameters
        theirs = inspect.signature(getattr(torch.nn.init, name)).parameters
        mine = [(p.name, p.default) for p in ours.values() if p.name not in ("seed", "stream")]
        assert mine == [(p.name, p.default) for p in theirs.values()], name
    for nl in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]:
        assert fit.calculate_gain(nl) == pytest.approx(torch.nn.init.calculate_gain(nl))
    assert fit.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2))


def test_every_torch_nn_init_name_is_offered():
    """torch.nn.init.__all__, the deprecated names without the underscore
    included: code that still calls nn.init.xavier_uniform(w) must run
    unchanged under ``import fastinit.torch as init``."""
    assert set(torch.nn.init.__all__) <= set(fit.__all__)


@pytest.mark.parametrize("old", [n for n in torch.nn.init.__all__ if n + "_" in fit._TORCH_NAMES])
def test_deprecated_names_warn_as_torch_and_fill_as_the_new(old):
    new = old + "_"
    args = {"sparse": (0.5,), "constant": (0.25,), "dirac": ()}.get(old, ())
    shape = (6, 4, 3) if old == "dirac" else (6, 4)
    a, b = torch.empty(shape), torch.empty(shape)
    seeded = {} if not fastinit.is_random(new) else {"seed": 3, "stream": "w"}
    with pytest.warns(FutureWarning, match=rf"`nn.init.{old}` is now deprecated in favor "
                                           rf"of `nn.init.{new}`"):
        assert getattr(fit, old)(a, *args, **seeded) is a
    getattr(fit, new)(b, *args, **seeded)
    assert torch.equal(a, b)
    with pytest.warns(FutureWarning):
        getattr(torch.nn.init, old)(torch.empty(shape), *args)   # the torch it mirrors


GAIN_NAMES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


@pytest.mark.parametrize("nl", GAIN_NAMES)
def test_calculate_gain_is_torch_value_and_type(nl):
    ours, theirs = fit.calculate_gain(nl), torch.nn.init.calculate_gain(nl)
    assert ours == theirs and type(ours) is type(theirs)
    if nl == "leaky_relu":
        for slope in (0, 1, 0.2, 3):
            ours, theirs = fit.calculate_gain(nl, slope), torch.nn.init.calculate_gain(nl, slope)
            assert ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.uint8, torch.bool,
                                   torch.complex64])
def test_constant_fills_of_other_dtypes_are_torch_nn_init(dtype):
    """torch.nn.init's deterministic fills take any dtype; the drop-ins too
    (there is nothing random in them for fastinit to make its own)."""
    cases = [("zeros_", (3, 4), ()), ("ones_", (3, 4), ()), ("constant_", (3, 4), (1,)),
             ("eye_", (3, 4), ()), ("dirac_", (4, 2, 3), (2,))]
    for name, shape, args in cases:
        ours, theirs = torch.full(shape, 7).to(dtype), torch.full(shape, 7).to(dtype)
        assert getattr(fit, name)(ours, *args) is ours
        getattr(torch.nn.init, name)(theirs, *args)
        assert torch.equal(ours, theirs), name


def test_init_of_a_model_that_zeros_an_integer_buffer_with_nn_init():
    """A reset_parameters() may call torch.nn.init.zeros_ on a step counter:
    init_ lets PyTorch write it (found: a TypeError on int64 before)."""
    class Counted(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 3)
            self.register_buffer("steps", torch.full((2,), 5, dtype=torch.int64))

        def reset_parameters(self):
            torch.nn.init.zeros_(self.steps)
            torch.nn.init.normal_(self.lin.weight, std=0.02)

    m = Counted()
    fit.init_(m, seed=0)
    assert m.steps.tolist() == [0, 0]
    expect = fastinit.normal(np.empty((3, 4), np.float32), std=0.02, seed=0,
                             stream="lin.weight")
    assert np.array_equal(m.lin.weight.detach().numpy(), expect)


def test_scales_follow_torch_nn_init_formulas():
    w = torch.empty(256, 128, 3)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(w)
    gain = torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    bound = gain * math.sqrt(3.0 / fan_in)
    fit.kaiming_uniform_(w, a=math.sqrt(5), seed=0)
    assert w.abs().max() < bound and w.abs().max() > 0.99 * bound
    bound = math.sqrt(6.0 / (fan_in + fan_out)) * 2.0
    fit.xavier_uniform_(w, gain=2.0, seed=0)
    assert w.abs().max() < bound and w.abs().max() > 0.99 * bound
    fit.kaiming_normal_(w, mode="fan_out", nonlinearity="relu", seed=0)
    assert w.std().item() == pytest.approx(math.sqrt(2.0 / fan_out), rel=0.02)
    fit.xavier_normal_(w, seed=0)
    assert w.std().item() == pytest.approx(math.sqrt(2.0 / (fan_in + fan_out)), rel=0.02)
    fit.trunc_normal_(w, mean=1.0, std=2.0, a=0.5, b=1.25, seed=0)   # absolute bounds
    assert 0.5 <= w.min() and w.max() <= 1.25 and w.min() < 0.51 and w.max() > 1.24
    fit.uniform_(w, seed=0)                                          # torch default U[0, 1)
    assert 0 <= w.min() and w.max() < 1 and w.max() > 0.99
    fit.normal_(w, seed=0)                                           # torch default N(0, 1)
    assert w.std().item() == pytest.approx(1.0, rel=0.02)
    e = torch.empty(5, 7)
    fit.eye_(e)
    assert torch.equal(e, torch.eye(5, 7))
    d, dt = torch.empty(6, 3, 3, 3), torch.empty(6, 3, 3, 3)
    fit.dirac_(d, 2)
    torch.nn.init.dirac_(dt, 2)
    assert torch.equal(d, dt)
    fit.constant_(e, 0.25)
    assert torch.all(e == 0.25)


def test_fill_by_any_registry_name():
    t = torch.empty(3, 3, 16, 32)
    fit.fill_(t, "HeNormal", seed=1, stream="k")
    ref = fastinit.initialize(np.empty((3, 3, 16, 32), np.float32), "HeNormal", seed=1,
                              stream="k")
    assert np.array_equal(t.numpy(), ref)


# ---- whole models --------------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, 2)
        self.ln = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 2 * d)
        self.conv = nn.Conv1d(d, d, 3)
        self.register_buffer("mask", torch.tril(torch.ones(4, 4)), persistent=False)
        self.register_buffer("steps", torch.zeros(()))


class Net(nn.Module):
    def __init__(self, vocab=11, d=8, layers=2, pad=None):
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=pad)
        self.blocks = nn.ModuleList(Block(d) for _ in range(layers))
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.emb.weight


def ref(scheme, shape, *args, name, seed=0, **kw):
    return fastinit.initialize(np.empty(shape, np.float32), scheme, *args, seed=seed,
                               stream=name, **kw)


def test_init_runs_module_defaults_on_named_streams():
    m, report = fit.init_(Net(), seed=4, return_report=True)
    sd = m.state_dict()
    w = sd["blocks.1.fc.weight"]
    assert np.array_equal(w.numpy(), ref("kaiming_uniform_", (16, 8), math.sqrt(5),
                                         name="blocks.1.fc.weight", seed=4))
    b = 1 / math.sqrt(8)
    assert np.array_equal(sd["blocks.1.fc.bias"].numpy(),
                          ref("uniform_", (16,), -b, b, name="blocks.1.fc.bias", seed=4))
    assert np.array_equal(sd["blocks.0.attn.in_proj_weight"].numpy(),
                          ref("xavier_uniform_", (24, 8), name="blocks.0.attn.in_proj_weight",
                              seed=4))
    assert torch.all(sd["blocks.0.attn.out_proj.bias"] == 0)   # MHA zeroes it after Linear
    assert torch.all(sd["blocks.0.ln.weight"] == 1)
    # tied: one stream, filled once (the embedding's normal_, as in construction)
    assert m.head.weight is m.emb.weight
    assert report["emb.weight"] == ["normal_"] and "head.weight" not in report
    assert np.array_equal(m.emb.weight.detach().numpy(),
                          ref("normal_", (11, 8), name="emb.weight", seed=4))


def test_views_fill_their_block_of_the_parameter():
    m = fit.init_(Net(pad=3), seed=0)
    full = ref("normal_", (11, 8), name="emb.weight")
    full[3] = 0
    assert np.array_equal(m.emb.weight.detach().numpy(), full)

    class Halves(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.empty(6, 10))

        def reset_parameters(self):
            nn.init.normal_(self.w[:, :4], std=2.0)      # a column block
            self.w[:, 4:].data.normal_(0.0, 2.0)
    h, report = fit.init_(Halves(), seed=1, return_report=True)
    assert report["w"] == ["normal_", "normal_"]      # both halves, each recorded once
    assert np.array_equal(h.w.detach().numpy(), ref("normal_", (6, 10), 0.0, 2.0, name="w",
                                                    seed=1))


def test_same_seed_same_values_other_seed_other_values():
    a, b, c = (fit.init_(Net(), seed=s).state_dict() for s in (1, 1, 2))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["blocks.0.fc.weight"], c["blocks.0.fc.weight"])


def test_without_a_seed_init_follows_torch_manual_seed():
    def unseeded(s):
        net = Net()             # (its construction draws from torch's generator too)
        torch.manual_seed(s)
        return fit.init_(net).state_dict()
    a, b, c = unseeded(1), unseeded(1), unseeded(2)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["blocks.0.fc.weight"], c["blocks.0.fc.weight"])
    torch.manual_seed(1)
    seed = int(torch.empty((), dtype=torch.int64).random_())
    assert all(torch.equal(v, fit.init_(Net(), seed=seed).state_dict()[k]) for k, v in a.items())


class Custom(nn.Module):
    def __init__(self, how):
        super().__init__()
        self.how = how
        self.scale = nn.Parameter(torch.empty(5))
        self.fc = nn.Linear(5, 5)

    def reset_parameters(self):
        if self.how == "randint":
            self.scale.copy_(torch.randint(0, 9, (5,)))
        elif self.how == "scratch":
            tmp = torch.empty(5, 5)
            nn.init.orthogonal_(tmp)


def assert_same_state(a, b):
    a, b = a.state_dict(), b.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def init_and_materialize(build, seed, **kw):
    """init_ of a normally built ``build()``, checked equal to materialize_
    of one built under meta_init(); returns the first."""
    normal = fit.init_(build(), seed=seed, **kw)
    with fit.meta_init():
        lazy = build()
    fit.materialize_(lazy, seed=seed)
    assert_same_state(lazy, normal)
    return normal


class RandInit(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(4, 3))
        self.b = nn.Parameter(torch.empty(3))

    @torch.no_grad()
    def reset_parameters(self):           # an SSM's dt-style init
        self.w.copy_(torch.rand(4, 3) * 2 - 1)
        self.b.copy_(torch.randn(3, generator=torch.Generator()).exp())


def test_random_factories_in_a_module_s_init_are_fastinit_draws():
    m = fit.init_(nn.ModuleDict({"a": RandInit()}), seed=3)
    u = torch.from_numpy(ref("uniform_", (4, 3), 0.0, 1.0, name="a#0:rand", seed=3))
    z = torch.from_numpy(ref("normal_", (3,), 0.0, 1.0, name="a#1:randn", seed=3))
    assert torch.equal(m["a"].w, u * 2 - 1) and torch.equal(m["a"].b, z.exp())
    other = fit.init_(nn.ModuleDict({"z": RandInit(), "a": RandInit()}), seed=3)
    assert torch.equal(other["a"].w, m["a"].w) and torch.equal(other["a"].b, m["a"].b)
    assert not torch.equal(other["z"].w, m["a"].w)
    with fit.meta_init():
        lazy = nn.ModuleDict({"a": RandInit()})
    fit.materialize_(lazy, seed=3)
    assert torch.equal(lazy["a"].w, m["a"].w)


@pytest.mark.parametrize("how", ["randint", "scratch"])
def test_unroutable_draws_are_reported(how):
    with pytest.raises(RuntimeError, match="cannot make it a fill"):
        fit.init_(Custom(how), seed=0)
    with pytest.warns(fit.UnroutedInitWarning):
        fit.init_(Custom(how), seed=0, unrouted="warn")


@pytest.mark.parametrize("conv, fmt", [(lambda: nn.Conv2d(3, 8, 3), torch.channels_last),
                                        (lambda: nn.Conv3d(2, 4, 2), torch.channels_last_3d)])
def test_channels_last_convs_are_routed(conv, fmt):
    # torch's _ConvNd.reset_parameters fills a contiguous scratch copy of a
    # channels_last weight, then copies it in: the copy is routed to the weight
    cl = fit.init_(conv().to(memory_format=fmt), seed=2)
    assert cl.weight.is_contiguous(memory_format=fmt)
    plain = fit.init_(conv(), seed=2)
    assert torch.equal(cl.weight, plain.weight) and torch.equal(cl.bias, plain.bias)
    assert np.array_equal(plain.weight.detach().numpy(),
                          ref("kaiming_uniform_", tuple(plain.weight.shape), math.sqrt(5),
                              name="weight", seed=2))
    with fit.meta_init():
        lazy = conv().to(memory_format=fmt)
    fit.materialize_(lazy, seed=2)
    assert lazy.weight.is_contiguous(memory_format=fmt)
    assert torch.equal(lazy.weight, plain.weight)


class ScratchThenCopy(nn.Module):
    def __init__(self, how):
        super().__init__()
        self.how = how
        self.w = nn.Parameter(torch.empty(6, 4))
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        tmp = torch.empty(6, 4)
        nn.init.trunc_normal_(tmp, std=0.02)
        if self.how == "copy":
            self.w.copy_(tmp)
        elif self.how == "block":
            self.w[:3].copy_(tmp[:3])        # a view of the scratch: not its fill
        elif self.how == "changed":
            self.w.copy_(tmp.mul_(2))        # changed after the fill: not its fill


def test_a_scratch_fill_copied_whole_into_a_parameter_is_its_fill():
    m, report = fit.init_(ScratchThenCopy("copy"), seed=5, return_report=True)
    assert report["w"] == ["trunc_normal_"]
    assert np.array_equal(m.w.detach().numpy(),
                          ref("trunc_normal_", (6, 4), 0.0, 0.02, name="w", seed=5))
    for how in ("block", "changed"):
        with pytest.raises(RuntimeError, match="trunc_normal_ of a .6, 4. tensor.*cannot make"):
            fit.init_(ScratchThenCopy(how), seed=5)
        with pytest.warns(fit.UnroutedInitWarning, match="trunc_normal_ of a .6, 4. tensor"):
            fit.init_(ScratchThenCopy(how), seed=5, unrouted="warn")


PARAMETRIZATIONS = {
    "weight_norm": lambda m: nn.utils.parametrizations.weight_norm(m),
    "weight_norm_dim2": lambda m: nn.utils.parametrizations.weight_norm(m, dim=2),
    "spectral_norm": lambda m: nn.utils.parametrizations.spectral_norm(m),
}


@pytest.mark.parametrize("how", sorted(PARAMETRIZATIONS))
def test_fills_of_a_parametrized_weight_set_its_originals(how, tmp_path):
    # reset_parameters fills the computed self.weight; fastinit fills that
    # value on the unparametrized name and sets the originals from it by
    # right_inverse, as `module.weight = value` does
    make = (lambda: nn.Conv1d(4, 6, 3)) if how.endswith("dim2") else (lambda: nn.Linear(5, 3))
    m = init_and_materialize(lambda: nn.Sequential(PARAMETRIZATIONS[how](make())), 7,
                             untouched="raise")
    plain = fit.init_(nn.Sequential(make()), seed=7)
    pl = m[0].parametrizations.weight
    v = pl.original if how == "spectral_norm" else pl.original1
    assert torch.equal(v, plain[0].weight)
    assert torch.equal(m[0].bias, plain[0].bias)
    if how.startswith("weight_norm"):     # g: the norms of the same value
        assert torch.allclose(m[0].weight, plain[0].weight, rtol=1e-6, atol=0)
    safetensors = pytest.importorskip("safetensors.torch")
    with fit.meta_init():
        lazy = nn.Sequential(PARAMETRIZATIONS[how](make()))
    fit.save_initialized(lazy, tmp_path / "init.safetensors", seed=7)
    saved = safetensors.load_file(tmp_path / "init.safetensors")
    assert saved.keys() == m.state_dict().keys()
    assert all(torch.equal(saved[k], v) for k, v in m.state_dict().items())


def test_untouched_parameters_are_reported_and_rules_fill_them():
    with pytest.warns(UserWarning, match="no init code wrote 1 tensor.*scale"):
        fit.init_(Custom(None), seed=0)
    with pytest.raises(RuntimeError, match="scale"):
        fit.init_(Custom(None), seed=0, untouched="raise")
    m = fit.init_(Custom(None), seed=0, rules={"scale": ("normal_", {"std": 3.0}),
                                               "fc.*": lambda t: nn.init.zeros_(t)})
    assert np.array_equal(m.scale.detach().numpy(), ref("normal_", (5,), 0.0, 3.0,
                                                        name="scale"))
    assert torch.all(m.fc.weight == 0) and torch.all(m.fc.bias == 0)
    with pytest.raises(ValueError, match="unknown initializer"):
        fit.init_(Custom(None), seed=0, rules={"scale": "nromal_"})


def test_hf_rules_on_a_plain_model():
    m = fit.init_(Net(), seed=0, base="hf", initializer_range=0.05)
    assert np.array_equal(m.blocks[0].fc.weight.detach().numpy(),
                          ref("normal_", (16, 8), 0.0, 0.05, name="blocks.0.fc.weight"))
    assert torch.all(m.blocks[0].fc.bias == 0) and torch.all(m.blocks[0].ln.weight == 1)


def test_bad_arguments():
    with pytest.raises(TypeError, match="nn.Module"):
        fit.init_(torch.empty(3), seed=0)
    with pytest.raises(ValueError, match="base"):
        fit.init_(Net(), seed=0, base="keras")
    with pytest.raises(TypeError, match="pattern, scheme"):
        fit.init_(Net(), seed=0, rules=["emb.weight"])
    with torch.device("meta"):
        m = Net()
    with pytest.raises(ValueError, match="materialize_"):
        fit.init_(m, seed=0)


# ---- meta device --------------------------------------------------------------------------

def test_materialize_equals_init_of_a_normal_model():
    expect = fit.init_(Net(), seed=7).state_dict()
    with fit.meta_init():
        m = Net()
    assert m.emb.weight.is_meta and not m.blocks[0].mask.is_meta
    fit.materialize_(m, seed=7)
    assert m.head.weight is m.emb.weight
    got = m.state_dict()
    assert all(torch.equal(expect[k], got[k]) for k in expect)
    assert torch.equal(m.blocks[0].mask, torch.tril(torch.ones(4, 4)))
    assert not any(t.is_meta for t in list(m.parameters()) + list(m.buffers()))


def test_materialize_refuses_to_leave_buffers_uninitialized():
    with torch.device("meta"):
        m = Net()
    with pytest.raises(RuntimeError, match="blocks.0.mask"):
        fit.materialize_(m, seed=0)
    with torch.device("meta"):
        m = Net()
    fit.materialize_(m, seed=0, rules={"*.mask": lambda t: t.copy_(torch.tril(torch.ones(4, 4))),
                                       "*.steps": "zeros_"})
    assert torch.equal(m.blocks[1].mask, torch.tril(torch.ones(4, 4)))


class BuiltValues(nn.Module):
    """Parameters that take their values in __init__, with no init code
    (CLIP's logit_scale = nn.Parameter(torch.tensor(2.6592)))."""

    def __init__(self, empty=False):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.logit_scale = nn.Parameter(torch.tensor(2.5))
        self.gamma = nn.Parameter(1e-6 * torch.ones(4))
        if empty:
            self.never = nn.Parameter(torch.empty(4))


def test_materialize_keeps_the_values_small_parameters_are_built_with():
    with pytest.warns(UserWarning, match="no init code wrote 2 tensor.*logit_scale, gamma"):
        normal = fit.init_(BuiltValues(), seed=1)
    with fit.meta_init():
        lazy = BuiltValues()
    assert lazy.logit_scale.is_meta
    with pytest.warns(UserWarning, match="no init code wrote 2 tensor.*logit_scale, gamma"):
        fit.materialize_(lazy, seed=1)
    assert lazy.logit_scale.item() == 2.5 and torch.equal(lazy.gamma, 1e-6 * torch.ones(4))
    assert_same_state(lazy, normal)
    with fit.meta_init():       # torch.empty in __init__ is no value: still refused
        lazy = BuiltValues(empty=True)
        # a freed empty's address must not pass for a value's: empties are
        # held while meta_init runs, so no later tensor can take their place
        scratch = weakref.ref(torch.empty(4))
        assert scratch() is not None
    with pytest.raises(RuntimeError, match="no init code wrote 1 tensor.*never"):
        fit.materialize_(lazy, seed=1)


# ---- order independence ---------------------------------------------------------------------

class DDPStyle(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module


def test_other_layers_vocab_and_wrappers_change_no_other_parameter():
    base = fit.init_(Net(), seed=0).state_dict()
    deeper = fit.init_(Net(layers=3), seed=0).state_dict()
    assert all(torch.equal(base[k], deeper[k]) for k in base)
    wider = fit.init_(Net(vocab=29), seed=0).state_dict()
    assert all(torch.equal(base[k], wider[k]) for k in base if not k.startswith(("emb", "head")))
    wrapped = fit.init_(DDPStyle(Net()), seed=0).state_dict()
    assert all(torch.equal(base[k], wrapped["module." + k]) for k in base)
    compiled = torch.compile(Net())
    fit.init_(compiled, seed=0)
    sd = compiled._orig_mod.state_dict()
    assert all(torch.equal(base[k], sd[k]) for k in base)


def test_canonical_names():
    assert fit.canonical_name("_orig_mod.module.blocks.0.w") == "module.blocks.0.w"
    assert fit.canonical_name("_orig_mod.module.blocks.0.w", {("_orig_mod", "module")}) == \
        "blocks.0.w"
    assert fit.canonical_name("a._fsdp_wrapped_module._checkpoint_wrapped_module.w") == "a.w"


# ---- seed checkpoints --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_save_initialized_writes_a_safetensors_file(tmp_path, dtype):
    st = pytest.importorskip("safetensors.torch")
    expect = fit.init_(Net().to(dtype), seed=3).state_dict()
    with fit.meta_init():
        m = Net().to(dtype)
    path = fit.save_initialized(m, tmp_path / "init.safetensors", seed=3)
    loaded = st.load_file(path)
    assert set(loaded) == set(expect) - {"head.weight"}    # tied: stored once
    assert all(torch.equal(loaded[k], expect[k]) for k in loaded)
    assert m.emb.weight.is_meta and m.head.weight is m.emb.weight   # the model stays on meta


# ---- transformers models, built from a config (no downloads) ------------------------------------

def _llama_config(**kw):
    transformers = pytest.importorskip("transformers")
    return transformers, transformers.LlamaConfig(
        vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, initializer_range=0.03, **kw)


def test_hf_llama_own_init_meta_and_tied_embeddings():
    transformers, cfg = _llama_config(tie_word_embeddings=True)
    m, report = fit.init_(transformers.LlamaForCausalLM(cfg), seed=2, return_report=True)
    name = "model.layers.1.self_attn.k_proj.weight"
    assert np.array_equal(m.get_parameter(name).detach().numpy(),
                          ref("normal_", (16, 32), 0.0, 0.03, name=name, seed=2))
    assert m.lm_head.weight is m.model.embed_tokens.weight
    assert report["model.embed_tokens.weight"] == ["normal_"]
    assert torch.all(m.model.norm.weight == 1)
    expect = m.state_dict()
    for build in (fit.meta_init, lambda: torch.device("meta")):
        with build():
            mm = transformers.LlamaForCausalLM(cfg)
        fit.materialize_(mm, seed=2)      # RoPE inv_freq: recomputed by _init_weights
        got = mm.state_dict()
        assert all(torch.equal(expect[k], got[k]) for k in expect)
        assert torch.equal(mm.model.rotary_emb.inv_freq, m.model.rotary_emb.inv_freq)
        assert mm.lm_head.weight is mm.model.embed_tokens.weight


def test_hf_llama_vocab_size_changes_no_other_parameter():
    transformers, cfg = _llama_config()
    a = fit.init_(transformers.LlamaForCausalLM(cfg), seed=0).state_dict()
    cfg.vocab_size = 80
    b = fit.init_(transformers.LlamaForCausalLM(cfg), seed=0).state_dict()
    others = [k for k in a if "embed_tokens" not in k and "lm_head" not in k]
    assert others and all(torch.equal(a[k], b[k]) for k in others)


def test_hf_gpt2_conv1d_in_out_layout():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.GPT2Config(n_embd=32, n_layer=2, n_head=2, vocab_size=50,
                                  n_positions=16, bos_token_id=0, eos_token_id=0)
    m = fit.init_(transformers.GPT2LMHeadModel(cfg), seed=0)
    w = m.transformer.h[0].attn.c_attn.weight       # Conv1D: (in, out) = (32, 96)
    assert tuple(w.shape) == (32, 96)
    assert np.array_equal(w.detach().numpy(), ref("normal_", (32, 96), 0.0, 0.02,
                                                  name="transformer.h.0.attn.c_attn.weight"))
    # GPT-2's scaled residual init: a second normal_ on the same stream, its std
    std = 0.02 / math.sqrt(2 * 2)
    name = "transformer.h.1.attn.c_proj.weight"
    assert np.array_equal(m.get_parameter(name).detach().numpy(),
                          ref("normal_", (32, 32), 0.0, std, name=name))


def test_hf_mamba_dt_init_is_routed():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.MambaConfig(hidden_size=16, num_hidden_layers=1, vocab_size=20,
                                   state_size=4)
    m = init_and_materialize(lambda: transformers.MambaForCausalLM(cfg), 0, untouched="raise")
    dt = torch.nn.functional.softplus(m.backbone.layers[0].mixer.dt_proj.bias)
    assert cfg.time_step_floor <= dt.min() and dt.max() <= cfg.time_step_max * 1.0001


def test_hf_wav2vec2_weight_norm_positional_conv():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.Wav2Vec2Config(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=2, vocab_size=10)
    m = init_and_materialize(lambda: transformers.Wav2Vec2ForCTC(cfg), 0, untouched="raise")
    # _init_weights' last fill of the positional conv's weight is its Conv1d
    # branch, kaiming_normal_, on the unparametrized name
    conv = m.wav2vec2.encoder.pos_conv_embed.conv
    name = "wav2vec2.encoder.pos_conv_embed.conv.weight"
    expect = ref("kaiming_normal_", tuple(conv.weight.shape), name=name)
    assert np.array_equal(conv.parametrizations.weight.original1.detach().numpy(), expect)


def test_hf_clip_materialize_keeps_logit_scale():
    transformers = pytest.importorskip("transformers")
    small = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                 intermediate_size=32)
    cfg = transformers.CLIPConfig(
        text_config=dict(small, vocab_size=50, max_position_embeddings=8),
        vision_config=dict(small, image_size=16, patch_size=8))
    with pytest.warns(UserWarning, match="logit_scale"):
        normal = fit.init_(transformers.CLIPModel(cfg), seed=0)
    with fit.meta_init():
        lazy = transformers.CLIPModel(cfg)
    with pytest.warns(UserWarning, match="logit_scale"):
        fit.materialize_(lazy, seed=0)
    assert lazy.logit_scale.item() == pytest.approx(cfg.logit_scale_init_value)
    assert_same_state(lazy, normal)


# ---- references bound before init_ ran ----------------------------------------------------------

_EARLY_UNIFORM = torch.nn.init.uniform_          # as `from torch.nn.init import uniform_`
_EARLY_XAVIER_NORMAL = torch.nn.init.xavier_normal_


class EarlyBound(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.empty(4, 6))
        self.b = nn.Parameter(torch.empty(5, 3))

    def reset_parameters(self):
        _EARLY_UNIFORM(self.a, -2.0, 3.0)        # dispatches to the routing mode
        _EARLY_XAVIER_NORMAL(self.b, gain=0.5)   # its inner Tensor.normal_ is routed


def test_init_functions_bound_early_are_routed_too():
    m = fit.init_(EarlyBound(), seed=6)
    assert np.array_equal(m.a.detach().numpy(), ref("uniform_", (4, 6), -2.0, 3.0, name="a",
                                                    seed=6))
    assert np.array_equal(m.b.detach().numpy(), ref("xavier_normal_", (5, 3), 0.5, name="b",
                                                    seed=6))


def test_meta_init_runs_no_fill_and_restores_torch():
    register = nn.Module.register_parameter
    with fit.meta_init():
        m = Net()
        assert torch.nn.init.normal_ is not fit._ORIGINALS["normal_"]
    assert torch.nn.init.normal_ is fit._ORIGINALS["normal_"]
    assert all(p.is_meta for p in m.parameters())
    assert nn.Module.register_parameter is register
    assert not nn.Linear(2, 2).weight.is_meta


class Titan(nn.Module):
    """torchtitan's pattern: an init_weights() that also recomputes buffers."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(10, 4)
        self.out = nn.Linear(4, 10, bias=False)
        self.register_buffer("freqs", self._freqs(), persistent=False)

    @staticmethod
    def _freqs():
        return 1.0 / (10000.0 ** (torch.arange(0, 4, 2, dtype=torch.float32) / 4))

    def init_weights(self):
        nn.init.normal_(self.tok.weight)
        nn.init.trunc_normal_(self.out.weight, std=0.02, a=-0.06, b=0.06)
        with torch.device(self.freqs.device):
            self.freqs = self._freqs()


def test_torchtitan_style_init_weights_from_torch_device_meta():
    with torch.device("meta"):
        m = Titan()
    fit.materialize_(m, seed=0, base=lambda model: model.init_weights())
    assert torch.equal(m.freqs, Titan._freqs())
    assert np.array_equal(m.out.weight.detach().numpy(),
                          ref("trunc_normal_", (10, 4), 0.0, 0.02, -0.06, 0.06, name="out.weight"))


def test_every_parameter_of_torch_s_module_zoo_is_routed():
    zoo = nn.ModuleDict({
        "gru": nn.GRU(6, 5, num_layers=2), "lstm": nn.LSTM(6, 4, proj_size=2),
        "bn": nn.BatchNorm2d(3), "gn": nn.GroupNorm(2, 4), "rms": nn.RMSNorm(4),
        "convt": nn.ConvTranspose2d(3, 4, 3), "conv3": nn.Conv3d(2, 3, 2),
        "bil": nn.Bilinear(3, 4, 5), "prelu": nn.PReLU(3),
        "bag": nn.EmbeddingBag(7, 3), "mha_kv": nn.MultiheadAttention(6, 2, kdim=4, vdim=5),
        "enc": nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True),
        "tf": nn.Transformer(8, 2, 1, 1, 16, batch_first=True),
    })
    m, report = fit.init_(zoo, seed=0, untouched="raise", return_report=True)
    assert all(report[n] for n, _ in m.named_parameters())
    w = m["gru"].weight_hh_l1
    b = 1 / math.sqrt(5)
    assert np.array_equal(w.detach().numpy(), ref("uniform_", (15, 5), -b, b,
                                                  name="gru.weight_hh_l1"))
    assert np.array_equal(m["tf"].encoder.layers[0].linear1.weight.detach().numpy(),
                          ref("xavier_uniform_", (16, 8), name="tf.encoder.layers.0.linear1.weight"))


@pytest.mark.parametrize("tdt", DTYPES, ids=str)
def test_core_fills_and_schemes_take_torch_tensors(tdt):
    # the plain fastinit functions fill a tensor or Parameter in place, as
    # they fill the NumPy array of the same shape
    p = torch.nn.Parameter(torch.empty(6, 10, dtype=tdt))
    assert fastinit.normal(p, std=1.0, seed=3) is p
    expect = fastinit.normal(shape=(6, 10), dtype=np_dtype(tdt), std=1.0, seed=3)
    assert np.array_equal(np_of(p), expect.astype(np.float64))
    t = torch.empty(10, 6, dtype=tdt).t()              # non-contiguous
    fastinit.xavier_uniform(t, seed=4)
    whole = fastinit.xavier_uniform(shape=(6, 10), dtype=np_dtype(tdt), seed=4)
    assert np.array_equal(np_of(t), whole.astype(np.float64))
    with pytest.raises(ValueError, match="meta device"):
        fastinit.uniform(torch.empty(3, device="meta"), seed=0)
