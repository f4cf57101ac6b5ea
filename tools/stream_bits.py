"""Write fastinit's raw Philox words (``random_bits``) to stdout, for
statistical batteries that read a binary stream (PractRand ``RNG_test
stdin32``, ``dieharder -g 200``).

    python tools/stream_bits.py                      # one stream: seed 0, stream 0
    python tools/stream_bits.py --mode streams -k 4  # streams 0..3 of seed 0, interleaved
    python tools/stream_bits.py --mode seeds -k 4    # stream 0 of seeds 0..3, interleaved

Interleaved: word i of the output is word i // k of stream (or seed) i % k,
so neighbouring streams/seeds sit next to each other in the battery's
input, where a correlation between them would show.  Runs until the reader
closes the pipe, or for --bytes bytes.
"""
import argparse
import sys

import numpy as np

import fastinit

CHUNK = 1 << 20          # words per stream per write (4 MiB)


def _args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=("single", "streams", "seeds"), default="single")
    p.add_argument("-k", type=int, default=4, help="streams or seeds interleaved")
    p.add_argument("--seed", type=int, default=0, help="the (first) seed")
    p.add_argument("--stream", type=int, default=0, help="the (first) stream")
    p.add_argument("--bytes", type=int, default=0, help="stop after this many (0: never)")
    return p.parse_args(argv)


def _sources(a):
    """(seed, stream) of each interleaved source."""
    if a.mode == "single":
        return [(a.seed, a.stream)]
    if a.mode == "streams":
        return [(a.seed, a.stream + j) for j in range(a.k)]
    return [(a.seed + j, a.stream) for j in range(a.k)]


def main(argv=None):
    a = _args(argv)
    sources = _sources(a)
    block = np.empty((CHUNK, len(sources)), np.uint32)
    out = sys.stdout.buffer
    written, offset = 0, 0
    try:
        while a.bytes == 0 or written < a.bytes:
            for j, (seed, stream) in enumerate(sources):
                fastinit.random_bits(block[:, j], seed=seed, stream=stream, offset=offset)
            data = block.tobytes()
            if a.bytes:
                data = data[:a.bytes - written]
            out.write(data)
            written += len(data)
            offset += CHUNK
    except BrokenPipeError:      # the battery has read what it needs
        sys.stdout = None        # nothing more to flush into the closed pipe
    # the length tested, for the report (bytes handed to the pipe; the
    # reader may not have consumed the last chunk)
    print(f"stream_bits: wrote {written} bytes ({written / 2**30:.2f} GiB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
