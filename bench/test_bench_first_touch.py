"""Fills of fresh memory against the floor, first-touching it with zero_().

    pytest bench/test_bench_first_touch.py --benchmark-json=bench/results/first_touch.json
    python bench/first_touch_ratios.py bench/results/first_touch.json

A model's first init writes memory no one has touched, so each write of a
new page first pays the kernel's page fault, which zeroes the page. That
cost is what torch_models.py calls the floor (allocate + zero_()). Here
the same comparison runs on one large tensor, in one process, call by call:
each call allocates a new tensor of 2^26 elements (a new mmap: see
conftest.py) and times only the fill that first touches it: PyTorch's
zero_() (the floor), fastinit.torch's uniform_ (the cheapest random fill:
one Philox word and a multiply per element), its normal_ (the whole-model
scheme of transformers), and PyTorch's normal_ (the anchor). All threads.
Each fill's ratio over the floor is a ratio of medians taken over the same
minutes, so it is steadier than torch_models.py's fresh processes, whose
first touch also moves with the host's state.
"""
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
fit = pytest.importorskip("fastinit.torch")

N = 1 << 26
CALLS, ROUNDS = 9, 3
FILLS = {
    "floor zero_": lambda t: t.zero_(),
    "fastinit uniform_": lambda t: fit.uniform_(t, seed=1),
    "fastinit normal_": lambda t: fit.normal_(t, std=0.02, seed=1),
    "torch normal_": lambda t: t.normal_(0.0, 0.02),
}


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_first_touch(benchmark, dtype):
    dt = getattr(torch, dtype)
    times = {name: [] for name in FILLS}

    def round_():
        for _ in range(CALLS):
            for name, fill in FILLS.items():
                t = torch.empty(N, dtype=dt)
                start = time.perf_counter()
                fill(t)
                times[name].append(time.perf_counter() - start)
                del t

    round_()   # warm-up: fastinit's pool starts, the host backs the pages
    for v in times.values():
        v.clear()
    benchmark.group = f"first touch {dtype} 2^26 t{torch.get_num_threads()}"
    benchmark.pedantic(round_, rounds=ROUNDS)
    medians = {name: float(np.median(v)) for name, v in times.items()}
    floor = medians["floor zero_"]
    benchmark.extra_info.update(kind="first_touch", dtype=dtype, n=N, medians=medians,
                                over_floor={k: v / floor for k, v in medians.items()})
