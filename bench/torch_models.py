"""Whole-model init: PyTorch's construction vs fastinit.torch vs the floor.

Usage:
    python bench/torch_models.py                       # ~1B Llama-style, fp32 + bf16
    python bench/torch_models.py --size tiny           # a check that it runs (seconds)
    python bench/torch_models.py --models plain --dtypes bf16 --repeat 3

Each measurement runs in a fresh process (so peak RSS is its own):

* ``torch``: the model's normal construction (PyTorch's / transformers'
  init on the CPU), default dtype set to the dtype.
* ``fastinit``: ``with fastinit.torch.meta_init(): model = Model(cfg)`` then
  ``fastinit.torch.materialize_(model, seed=0)`` -- the same schemes, every
  fill a fastinit fill.
* ``floor``: the same meta construction, then allocating every tensor as
  ``materialize_`` does and ``zero_()`` -- what any init must at least pay:
  first-touching the memory.
* ``fills`` (where the rest goes): ``init_`` of a model already materialized
  and zeroed, timed alone -- fastinit's sampling and routing on memory that
  is already touched.  fastinit's path costs about floor + fills.
* ``uniform`` (the least any fastinit init of the model can cost): the
  floor's allocation, then every floating tensor filled by
  ``fastinit.torch.uniform_``, the cheapest random fill (one Philox word and
  a multiply per element), instead of ``zero_()``.  Its ratio to the floor
  bounds the "over floor" of any scheme from below: the generator's own
  cost next to first-touching the memory.

Models: ``plain``, a Llama-style decoder from plain torch modules
(nn.Embedding, nn.Linear, nn.RMSNorm, a RoPE buffer; 953M parameters at
``--size 1b``); ``hf``, ``transformers.LlamaForCausalLM`` from a config (no
download; skipped when transformers is not installed).  Prints a table: the
median seconds of each, fastinit's speed-up over construction, fastinit's
time over the floor's, and peak RSS over the model's own bytes.

The modes are interleaved, one repetition of each in turn (the order rotated
between repetitions), and the ratios are the medians of the ratios within a
repetition: on a shared machine the cost of first-touching memory moves by
several times from one minute to the next (measured on the 2-core
development machine: 1 to 16 s for the same 3.8 GB), so a floor and a path
timed minutes apart compare two different machines.  The load average is
printed with each row.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

SIZES = {   # vocab, hidden, layers, heads, kv heads, ffn
    "1b": (32000, 2048, 16, 16, 16, 5632),
    "small": (32000, 1024, 4, 8, 8, 2816),
    "tiny": (512, 64, 2, 4, 2, 128),
}


def plain_model(size):
    import torch
    from torch import nn
    vocab, d, layers, heads, kv, ffn = SIZES[size]

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            hd = d // heads
            self.q_proj = nn.Linear(d, heads * hd, bias=False)
            self.k_proj = nn.Linear(d, kv * hd, bias=False)
            self.v_proj = nn.Linear(d, kv * hd, bias=False)
            self.o_proj = nn.Linear(heads * hd, d, bias=False)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate_proj = nn.Linear(d, ffn, bias=False)
            self.up_proj = nn.Linear(d, ffn, bias=False)
            self.down_proj = nn.Linear(ffn, d, bias=False)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm = nn.RMSNorm(d)
            self.self_attn = Attention()
            self.post_attention_layernorm = nn.RMSNorm(d)
            self.mlp = MLP()

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = nn.Embedding(vocab, d)
            self.layers = nn.ModuleList(Layer() for _ in range(layers))
            self.norm = nn.RMSNorm(d)
            self.lm_head = nn.Linear(d, vocab, bias=False)
            hd = d // heads
            inv_freq = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float) / hd))
            self.register_buffer("inv_freq", inv_freq, persistent=False)

    return Decoder


def hf_model(size):
    import transformers
    vocab, d, layers, heads, kv, ffn = SIZES[size]
    cfg = transformers.LlamaConfig(vocab_size=vocab, hidden_size=d, num_hidden_layers=layers,
                                   num_attention_heads=heads, num_key_value_heads=kv,
                                   intermediate_size=ffn, tie_word_embeddings=False)
    return lambda: transformers.LlamaForCausalLM(cfg)


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


MODES = ("torch", "fastinit", "floor", "fills", "uniform")


def _zeroed(build, uniform=False):
    """The floor: meta construction, then every tensor allocated as
    materialize_ allocates it and first-touched by zero_() (uniform: by
    fastinit's cheapest random fill, where the tensor is floating)."""
    import torch
    import fastinit.torch as fit
    with fit.meta_init():
        m = build()
    fit._materialize_tensors(m, fit._cpu_empty)
    with torch.no_grad():
        for t in list(m.parameters()) + list(m.buffers()):
            if uniform and t.is_floating_point():
                fit.uniform_(t, seed=0)
            else:
                t.zero_()
    return m


def _run(build, mode):
    """(model, seconds) of one mode."""
    import fastinit.torch as fit
    start = time.perf_counter()
    if mode == "torch":
        m = build()
    elif mode == "fastinit":
        with fit.meta_init():
            m = build()
        fit.materialize_(m, seed=0)
    elif mode in ("floor", "uniform"):
        m = _zeroed(build, uniform=mode == "uniform")
    else:       # fills: init_ alone, on memory the floor has already touched
        m = _zeroed(build)
        start = time.perf_counter()
        fit.init_(m, seed=0)
    return m, time.perf_counter() - start


def one(model, size, dtype, mode):
    """One measurement (in this process, after a warm-up on the tiny size that
    pays the lazy imports and first-call costs): seconds, peak RSS growth,
    model bytes."""
    import torch
    maker = plain_model if model == "plain" else hf_model
    torch.set_default_dtype(torch.bfloat16 if dtype == "bf16" else torch.float32)
    _run(maker("tiny"), mode)
    build = maker(size)
    before = _rss()
    m, seconds = _run(build, mode)
    nbytes = sum(t.numel() * t.element_size() for t in
                 {id(t): t for t in list(m.parameters()) + list(m.buffers())}.values())
    params = sum(p.numel() for p in m.parameters())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return dict(seconds=seconds, peak=peak - before, bytes=nbytes, params=params)


def _one_process(model, size, dtype, mode):
    out = subprocess.run([sys.executable, __file__, "--one", model, size, dtype, mode],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{model} {dtype} {mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(model, size, dtype, repeat):
    """{mode: runs}: each mode once per repetition, in a fresh process, the
    modes in turn (the order rotated each repetition), so that the floor and
    the path of one repetition see the same machine."""
    runs = {mode: [] for mode in MODES}
    for r in range(repeat):
        for mode in MODES[r % len(MODES):] + MODES[:r % len(MODES)]:
            runs[mode].append(_one_process(model, size, dtype, mode))
    return runs


def _median_ratio(a, b):
    return statistics.median(x["seconds"] / y["seconds"] for x, y in zip(a, b))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1b", choices=sorted(SIZES))
    ap.add_argument("--models", default="plain,hf")
    ap.add_argument("--dtypes", default="fp32,bf16")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        model, size, dtype, mode = args.one
        print(json.dumps(one(model, size, dtype, mode)))
        return
    models = args.models.split(",")
    if "hf" in models:
        try:
            import transformers  # noqa: F401
        except ImportError:
            print("transformers is not installed: skipping the hf model")
            models.remove("hf")
    print(f"size {args.size}, {os.cpu_count()} CPUs, median of {args.repeat}; peak: the "
          f"growth of peak RSS during the build over the model's bytes (1.0 = the model "
          f"alone; at tiny sizes this is noise)")
    print("| model | dtype | params | torch s | fastinit s | floor s | fills s | uniform s | "
          "vs torch | over floor | uniform over floor | peak torch | peak fastinit | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model in models:
        for dtype in args.dtypes.split(","):
            load = os.getloadavg()[0]
            runs = measure(model, args.size, dtype, args.repeat)
            sec = {mode: statistics.median(r["seconds"] for r in rs)
                   for mode, rs in runs.items()}
            nbytes = runs["fastinit"][0]["bytes"]

            def over(mode):
                return max(r["peak"] for r in runs[mode]) / nbytes
            print(f"| {model} | {dtype} | {runs['fastinit'][0]['params'] / 1e6:.0f}M "
                  f"| {sec['torch']:.2f} | {sec['fastinit']:.2f} | {sec['floor']:.2f} "
                  f"| {sec['fills']:.2f} | {sec['uniform']:.2f} "
                  f"| x{_median_ratio(runs['torch'], runs['fastinit']):.2f} "
                  f"| {_median_ratio(runs['fastinit'], runs['floor']):.2f} "
                  f"| {_median_ratio(runs['uniform'], runs['floor']):.2f} "
                  f"| {over('torch'):.3f} | {over('fastinit'):.3f} "
                  f"| {load:.1f}-{os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
