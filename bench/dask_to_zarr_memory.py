"""A 1 GiB fastinit.dask array to zarr on 2 worker processes limited to 400 MiB
each: prints the time and each worker's peak RSS, and checks three row bands
of the store against single-machine block fills.  Not a pytest benchmark
(it writes 1 GiB to a temporary directory, ~40 s):

    python bench/dask_to_zarr_memory.py
"""
import logging
import resource
import shutil
import tempfile
import time

import dask.array as da
import distributed
import numpy as np
import zarr

import fastinit
import fastinit.dask

rows, cols, crow = 16384, 16384, 1024          # 2^28 float32 = 1 GiB, 16 chunks of 64 MiB


def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # MiB


if __name__ == "__main__":
    d = tempfile.mkdtemp()
    try:
        with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                      host="127.0.0.1", dashboard_address=None,
                                      memory_limit="400MiB",
                                      silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as c:
            base = c.run(rss)
            x = fastinit.dask.normal((rows, cols), chunks=(crow, cols), seed=5, stream="big")
            t = time.perf_counter()
            da.to_zarr(x, d + "/big.zarr")
            dt = time.perf_counter() - t
            peak = c.run(rss)
        z = zarr.open_array(d + "/big.zarr", mode="r")
        # three row bands against single-machine block fills (the whole would be 1 GiB)
        for r0 in (0, 5000, rows - 300):
            want = fastinit.normal(shape=(300, cols), seed=5, stream="big",
                                   global_shape=(rows, cols), start=(r0, 0))
            assert np.array_equal(z[r0:r0 + 300], want), r0
        print(f"array {rows * cols * 4 / 2**20:.0f} MiB in {rows // crow} chunks of "
              f"{crow * cols * 4 / 2**20:.0f} MiB; to_zarr {dt:.1f} s; worker peak RSS "
              f"(MiB) before {[round(v) for v in base.values()]}, after "
              f"{[round(v) for v in peak.values()]}; memory_limit 400 MiB each; bands equal")
    finally:
        shutil.rmtree(d)
