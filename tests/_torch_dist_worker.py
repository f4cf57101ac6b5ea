"""One rank of tests/test_torch_distributed.py: fills DTensors and an FSDP2
model on a CPU mesh (gloo) and lets rank 0 save the gathered tensors."""
import math
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import Replicate, Shard, distribute_tensor

import fastinit.torch as fit

SCHEMES = [("normal_", (0.0, 0.5)), ("kaiming_uniform_", (math.sqrt(5),)),
           ("trunc_normal_", (0.0, 1.0, -1.0, 2.0)), ("xavier_normal_", ()),
           ("orthogonal_", ()), ("ones_", ())]
DTYPES = [torch.float32, torch.bfloat16]


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(13, 6)
        self.layers = nn.ModuleList(nn.Linear(6, 6) for _ in range(2))
        self.norm = nn.LayerNorm(6)


def cases(world):
    mesh = init_device_mesh("cpu", (world,))
    out = [("shard0", mesh, [Shard(0)], (13, 6)), ("shard1", mesh, [Shard(1)], (6, 13)),
           ("replicate", mesh, [Replicate()], (5, 7))]
    if world == 4:
        mesh2 = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
        out += [("2d_s0s1", mesh2, [Shard(0), Shard(1)], (7, 9)),
                ("2d_s1s0", mesh2, [Shard(1), Shard(0)], (7, 9)),
                ("2d_rs0", mesh2, [Replicate(), Shard(0)], (7, 9))]
    return mesh, out


def main(rank, world, init_file, out_path):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)
    mesh, todo = cases(world)
    results = {}
    for label, m, placements, shape in todo:
        for scheme, args in SCHEMES:
            for dtype in DTYPES:
                dt = distribute_tensor(torch.zeros(shape, dtype=dtype), m, placements)
                getattr(fit, scheme)(dt, *args, **({} if scheme == "ones_" else
                                                   dict(seed=1, stream="w")))
                full = dt.full_tensor()
                results[f"{label}/{scheme}/{dtype}"] = full
    from torch.distributed.fsdp import fully_shard
    with torch.device("meta"):
        model = Tiny()
    for layer in model.layers:
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    fit.materialize_(model, seed=0)
    for k, v in model.state_dict().items():
        results[f"fsdp/{k}"] = v.full_tensor()
    if rank == 0:
        torch.save(results, out_path)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4])
