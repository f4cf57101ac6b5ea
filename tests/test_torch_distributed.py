"""DTensor shards and FSDP2 on a CPU mesh (gloo, spawned processes): the
gathered tensor equals the unsharded fill bit for bit."""
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():    # pragma: no cover
    pytest.skip("torch.distributed is not available", allow_module_level=True)

import fastinit.torch as fit  # noqa: E402

HERE = os.path.dirname(__file__)
sys.path.insert(0, HERE)
import _torch_dist_worker as worker  # noqa: E402


def run_world(world, tmp_path):
    out = tmp_path / "results.pt"
    init_file = tmp_path / "pg_init"         # a file store: no port to race for
    env = dict(os.environ, OMP_NUM_THREADS="1", FASTINIT_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, os.path.join(HERE, "_torch_dist_worker.py"),
                               str(r), str(world), str(init_file), str(out)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for r in range(world)]
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=240)[0].decode(errors="replace"))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    failed = [log for p, log in zip(procs, logs) if p.returncode != 0]
    # the rank that crashed first, not the ones that lost their peer
    failed.sort(key=lambda log: "Connection closed by peer" in log)
    assert not failed, failed[0][-4000:]
    return torch.load(out)


@pytest.mark.parametrize("world", [1, 2, 4])
def test_shards_assemble_to_the_unsharded_fill(world, tmp_path):
    results = run_world(world, tmp_path)
    shapes = {"shard0": (13, 6), "shard1": (6, 13), "replicate": (5, 7)}
    if world == 4:
        shapes.update({"2d_s0s1": (7, 9), "2d_s1s0": (7, 9), "2d_rs0": (7, 9)})
    checked = 0
    for label, shape in shapes.items():
        for scheme, args in worker.SCHEMES:
            for dtype in worker.DTYPES:
                whole = torch.zeros(shape, dtype=dtype)
                getattr(fit, scheme)(whole, *args, **({} if scheme == "ones_" else
                                                      dict(seed=1, stream="w")))
                got = results[f"{label}/{scheme}/{dtype}"]
                assert torch.equal(got, whole), (label, scheme, dtype)
                checked += 1
    assert checked == len(shapes) * len(worker.SCHEMES) * len(worker.DTYPES)
    expect = fit.init_(worker.Tiny(), seed=0).state_dict()
    for k, v in expect.items():
        assert torch.equal(results[f"fsdp/{k}"], v), k
