"""fastinit.dask.normal against dask.array.random.default_rng(seed).normal on
the same LocalCluster (2 worker processes, 1 thread each) and chunking.

    pytest bench/test_bench_dask.py                    # 2^22 elements, ~10 s
    pytest bench/test_bench_dask.py -m large           # 2^26
    pytest bench/test_bench_dask.py --benchmark-json=bench/results/dask.json
    python bench/report.py bench/results/dask.json --no-plot   # "vs Dask" ratio

Each round builds the array with a new seed (so no result is reused from
the cluster's memory), persists it on the workers and waits: graph
construction, scheduling and the fills, no transfer back to the client.
Dask draws float64 and casts (default_rng's normal has no float32 path
through Dask); both produce float32 arrays of N(0, 0.05^2).
"""
import itertools
import logging

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import fastinit  # noqa: E402
import fastinit.dask  # noqa: E402

STD = 0.05
CASES = [  # (rows, cols, chunk rows): four chunks of whole rows
    (2048, 2048, 512),
    pytest.param(8192, 8192, 2048, marks=pytest.mark.large),
]
ROUNDS = 5


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        with distributed.Client(cluster, set_as_default=False) as c:
            c.wait_for_workers(2, timeout=60)
            yield c


def ours(shape, chunks, seed):
    return fastinit.dask.normal(shape, chunks=chunks, std=STD, seed=seed)


def theirs(shape, chunks, seed):
    x = da.random.default_rng(seed).normal(0.0, STD, size=shape, chunks=chunks)
    return x.astype(np.float32)


@pytest.mark.parametrize("rows,cols,chunk_rows", CASES)
@pytest.mark.parametrize("lib,make", [("fastinit", ours), ("dask", theirs)],
                         ids=["fastinit", "dask"])
def test_dask_normal(benchmark, client, lib, make, rows, cols, chunk_rows):
    shape, chunks = (rows, cols), (chunk_rows, cols)
    seeds = itertools.count(1)

    def persist():
        with client.as_current():      # wait() finds this client, not a default one
            y = client.persist(make(shape, chunks, next(seeds)))
            distributed.wait(y)
        del y       # releases the chunks on the workers

    persist()       # warm-up: imports and first allocations on the workers
    size = rows * cols
    benchmark.group = f"dask-cluster normal float32 {size} w2"
    benchmark.extra_info.update(variant="dask-cluster", fill="normal", dtype="float32",
                                size=size, threads=2, lib=lib)
    benchmark.pedantic(persist, rounds=ROUNDS, iterations=1)


def test_chunking_changes_dask_values_not_ours(client):
    # not a benchmark: the property the ratio above is bought with
    shape = (256, 256)
    mine = [client.compute(ours(shape, c, 3)).result() for c in ((64, 256), (256, 32))]
    dasks = [client.compute(theirs(shape, c, 3)).result() for c in ((64, 256), (256, 32))]
    assert mine[0].tobytes() == mine[1].tobytes()
    assert mine[0].tobytes() == fastinit.normal(shape=shape, std=STD, seed=3).tobytes()
    assert not np.array_equal(dasks[0], dasks[1])      # dask/dask#1684
