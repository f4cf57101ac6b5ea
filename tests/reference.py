"""A slow, independent model of the fastinit stream in pure NumPy: Philox4x32-10
exactly as Random123 specifies it, the word layout, and the uniform
conversions.  The C core must match it bit for bit (tests/test_stream.py)."""
import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)


def philox4x32_10(ctr, key):
    """ctr: (n, 4) uint32 counters, key: (k0, k1) -> (n, 4) uint32 outputs."""
    c = [np.asarray(ctr[:, i], dtype=np.uint64) for i in range(4)]
    k0, k1 = int(key[0]), int(key[1])
    for _ in range(10):
        p0 = M0 * c[0]
        p1 = M1 * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ np.uint64(k0), p1 & MASK32,
             (p0 >> np.uint64(32)) ^ c[3] ^ np.uint64(k1), p0 & MASK32]
        k0 = (k0 + W0) & 0xFFFFFFFF
        k1 = (k1 + W1) & 0xFFFFFFFF
    return np.stack(c, axis=1).astype(np.uint32)


def blocks(seed, stream, first_block, nblocks):
    """Philox output of blocks first_block .. first_block + nblocks - 1."""
    b = np.arange(nblocks, dtype=np.uint64) + np.uint64(first_block)
    ctr = np.stack([b & MASK32, b >> np.uint64(32),
                    np.full(nblocks, stream & 0xFFFFFFFF, np.uint64),
                    np.full(nblocks, stream >> 32, np.uint64)], axis=1)
    return philox4x32_10(ctr, (seed & 0xFFFFFFFF, seed >> 32))


def words(seed, stream, first, n):
    """Stream words first .. first + n - 1 (word w = lane w % 4 of block w // 4)."""
    b0 = first // 4
    nb = (first + n + 3) // 4 - b0
    return blocks(seed, stream, b0, nb).reshape(-1)[first - 4 * b0:first - 4 * b0 + n]


def uniform01_f32(w):
    """float32 u in [0, 1) from one word each: (w >> 8) * 2^-24."""
    return ((w >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -24)).astype(np.float32)


def uniform01_f64(w):
    """float64 u in [0, 1) from word pairs (a, b): ((a >> 5) 2^26 + (b >> 6)) 2^-53."""
    a = (w[0::2] >> np.uint32(5)).astype(np.float64)
    b = (w[1::2] >> np.uint32(6)).astype(np.float64)
    return (a * 67108864.0 + b) * 2.0 ** -53


def uniform(seed, stream, first, n, low, high, dtype):
    """The uniform fill of elements first .. first + n - 1 for float32/float64."""
    if dtype == np.float32:
        u = uniform01_f32(words(seed, stream, first, n))
        lo, hi = np.float32(low), np.float32(high)
        x = (lo + np.float32(hi - lo) * u).astype(np.float32)
        top = np.nextafter(hi, np.float32(-np.inf))
    else:
        w = blocks(seed, stream, first // 2, (first + n + 1) // 2 - first // 2).reshape(-1)
        u = uniform01_f64(w)[first % 2:first % 2 + n]
        lo, hi = float(low), float(high)
        x = lo + (hi - lo) * u
        top = np.nextafter(hi, -np.inf)
    return np.minimum(x, top)


def normal_pairs_f64(seed, stream, first_pair, npairs, dtype):
    """(u1, u2) of Box-Muller pairs, as the kernels define them, in float64:
    for the accuracy test of the normal transform."""
    if dtype == np.float32:
        w = words(seed, stream, 2 * first_pair, 2 * npairs)
        u1 = ((w[0::2] >> np.uint32(8)).astype(np.float64) + 1) * 2.0 ** -24
        u2 = (w[1::2] >> np.uint32(8)).astype(np.float64) * 2.0 ** -24
    else:
        w = blocks(seed, stream, first_pair, npairs).reshape(-1)
        u1 = uniform01_f64(np.stack([w[0::4], w[1::4]], 1).reshape(-1)) + 2.0 ** -53
        u2 = uniform01_f64(np.stack([w[2::4], w[3::4]], 1).reshape(-1))
    return u1, u2
