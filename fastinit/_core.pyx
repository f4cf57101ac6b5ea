# cython: language_level=3
"""The binding: every argument check, then one call into the C core with the
GIL released.  Nothing is written to ``out`` until every check has passed."""
import functools
import hashlib
import math
import numbers
import os
import secrets
import sys
import threading
from fractions import Fraction

import numpy as np

cimport numpy as cnp
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.math cimport signbit
from libc.string cimport memcpy

from fastinit_core cimport *

cnp.import_array()

_U64 = 1 << 64
_MAX_NDIM = 64
_MAX_THREADS = 1 << 16   # the core caps it lower; this only keeps it in a C int

try:  # bfloat16 is optional: the ml_dtypes NumPy dtype
    from ml_dtypes import bfloat16 as _bfloat16
    BFLOAT16 = np.dtype(_bfloat16)
except ImportError:  # pragma: no cover - exercised when ml_dtypes is absent
    _bfloat16 = None
    BFLOAT16 = None

FLOAT_DTYPES = tuple(d for d in (np.dtype(np.float32), np.dtype(np.float64),
                                 np.dtype(np.float16), BFLOAT16) if d is not None)


# ---- the SIMD path and thread count ------------------------------------------

_PATH_IDS = {fi_path_name(<fi_path_id>i).decode(): i for i in range(FI_NPATHS)}


def supported_paths():
    """The SIMD paths this build and this CPU can run, best last."""
    return [name for name, i in _PATH_IDS.items() if fi_path_supported(<fi_path_id>i)]


def _select_path():
    forced = os.environ.get("FASTINIT_CPU", "").strip().lower()
    if not forced:
        return int(fi_best_path())
    if forced not in _PATH_IDS:
        raise ValueError(f"FASTINIT_CPU={forced!r} is not a path; "
                         f"choose one of {sorted(_PATH_IDS)}")
    if not fi_path_supported(<fi_path_id>_PATH_IDS[forced]):
        raise ValueError(f"FASTINIT_CPU={forced!r}: this CPU or build cannot run it; "
                         f"supported here: {supported_paths()}")
    return _PATH_IDS[forced]


cdef int _PATH = _select_path()
PATH = fi_path_name(<fi_path_id>_PATH).decode()
BUILD_FLAGS = fi_build_flags().decode()


def _default_threads():
    env = os.environ.get("FASTINIT_NUM_THREADS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"FASTINIT_NUM_THREADS={env!r} must be a positive integer")
        return n
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


DEFAULT_THREADS = _default_threads()

_MAIN_THREAD = threading.main_thread()


def _in_main_thread():
    # only the main thread receives signals; elsewhere a check would only
    # wait for the GIL
    return threading.current_thread() is _MAIN_THREAD


# ---- argument checks ----------------------------------------------------------

def _is_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def check_seed(seed):
    """The seed as an int in [0, 2**64); None draws one from the OS."""
    if seed is None:
        return secrets.randbits(64)
    if type(seed) is int and 0 <= seed < _U64:
        return seed
    if not _is_int(seed):
        raise TypeError(f"seed must be an int in [0, 2**64) or None, got {seed!r} "
                        f"of type {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < _U64:
        raise ValueError(f"seed={seed} is outside [0, 2**64)")
    return seed


@functools.lru_cache(maxsize=4096)
def _str_stream(name):
    # cached: a model's init names the same few hundred streams again and
    # again, and SHA-256 costs more than a small fill
    try:
        data = name.encode("utf-8")
    except UnicodeEncodeError as e:     # lone surrogates
        raise ValueError(f"stream={name!r} is not encodable as UTF-8 ({e.reason})") from None
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "little")


def stream_id(stream):
    """A stream as its 64-bit number: ints in [0, 2**64) stand for themselves;
    a str is the first 8 bytes, little-endian, of the SHA-256 of its UTF-8
    encoding (stable across machines and releases)."""
    if type(stream) is int and 0 <= stream < _U64:
        return stream
    if isinstance(stream, str):
        return _str_stream(stream)
    if not _is_int(stream):
        raise TypeError(f"stream must be an int in [0, 2**64) or a str, got {stream!r} "
                        f"of type {type(stream).__name__}")
    stream = int(stream)
    if not 0 <= stream < _U64:
        raise ValueError(f"stream={stream} is outside [0, 2**64)")
    return stream


def _check_offset(offset, size, block=False):
    """offset as an int such that the ``size`` elements from it (the array's,
    or the global tensor's of a block) lie in the stream."""
    if type(offset) is int and 0 <= offset and offset + size <= _U64:
        return offset
    if not _is_int(offset):
        raise TypeError(f"offset must be a non-negative int, got {offset!r}")
    offset = int(offset)
    if offset < 0:
        raise ValueError(f"offset={offset} is negative")
    if offset + size > _U64:
        what = "the global_shape's size" if block else "the array size"
        raise ValueError(f"offset={offset} plus {what} {size} exceeds 2**64, "
                         f"the end of the stream")
    return offset


def _check_threads(threads):
    if threads is None:
        return DEFAULT_THREADS
    if type(threads) is int and 1 <= threads <= _MAX_THREADS:
        return threads
    if not _is_int(threads):
        raise TypeError(f"threads must be a positive int or None, got {threads!r} "
                        f"of type {type(threads).__name__}")
    if threads < 1:
        raise ValueError(f"threads={threads} must be a positive int or None")
    return min(int(threads), _MAX_THREADS)


def _real(name, value, allow_inf=False):
    if type(value) is float and value - value == 0:   # the common case, fast
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} "
                        f"of type {type(value).__name__}")
    try:
        value = float(value)
    except OverflowError:       # an int or Fraction beyond the double range
        if not allow_inf:
            raise ValueError(f"{name}={value!r} is outside the range of a double "
                             f"(must be finite)") from None
        value = math.inf if value > 0 else -math.inf   # as far as any bound goes
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name}={value} must be finite")
    return value


def _choice(name, value, allowed):
    """One of the strings ``allowed``, matched case-insensitively."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {list(allowed)}, got {value!r}")
    key = value.lower()
    if key not in allowed:
        raise ValueError(f"{name}={value!r} is not supported; use one of {list(allowed)}")
    return key


def _int_tuple(name, value, kind="tuple"):
    """An int or an iterable of ints (not a str or bytes) as a tuple of ints;
    a TypeError naming ``name`` ("an int or a <kind> of ints") otherwise."""
    items = (value,) if _is_int(value) else value
    wrong = f"{name} must be an int or a {kind} of ints, got {value!r}"
    if isinstance(items, (str, bytes)):   # iterable, but never ints
        raise TypeError(wrong)
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(wrong) from None
    if not all(_is_int(d) for d in items):
        raise TypeError(wrong)
    return tuple(int(d) for d in items)


def _shape_tuple(shape):
    """A shape as a tuple of non-negative ints (an int is a 1-D shape)."""
    dims = _int_tuple("shape", shape)
    if any(d < 0 for d in dims):
        raise ValueError(f"shape={dims} has a negative dimension")
    return dims


def check_block(shape, global_shape, start):
    """The block ``[start, start + shape)`` of a C-order tensor of
    ``global_shape``, checked: returns (global_shape, start) as tuples, or
    (None, None) for a whole array (neither given)."""
    if global_shape is None:
        if start is not None:
            raise ValueError(f"start={start!r} needs global_shape= (the shape of the "
                             f"tensor that out is a block of)")
        return None, None
    if type(global_shape) is tuple and type(start) is tuple and len(global_shape) == len(
            shape) == len(start):
        # the common case in a few microseconds less (a block fill of 2^17
        # elements takes ~60 us): tuples of Python ints that fit; anything
        # else takes the checks below, which name what is wrong
        for g, s, n in zip(global_shape, start, shape):
            if type(g) is not int or type(s) is not int or s < 0 or s + n > g:
                break
        else:
            return global_shape, start
    dims = _int_tuple("global_shape", global_shape)
    if any(d < 0 for d in dims):
        raise ValueError(f"global_shape={dims} has a negative dimension")
    if len(dims) != len(shape):
        raise ValueError(f"global_shape={dims} has {len(dims)} dimensions, but the block "
                         f"has {len(shape)} (shape {tuple(shape)})")
    first = (0,) * len(dims) if start is None else _int_tuple("start", start)
    if len(first) != len(dims):
        raise ValueError(f"start={first} has {len(first)} entries; global_shape={dims} "
                         f"has {len(dims)} dimensions")
    if any(s < 0 for s in first):
        raise ValueError(f"start={first} has a negative entry")
    if any(s + n > g for s, n, g in zip(first, shape, dims)):
        raise ValueError(f"the block [start, start + shape) = [{first}, "
                         f"{tuple(s + n for s, n in zip(first, shape))}) does not fit in "
                         f"global_shape={dims}")
    return dims, first


def _c_strides(dims):
    """The C-order strides of a shape, in elements (Python ints)."""
    strides, step = [], 1
    for d in reversed(dims):
        strides.append(step)
        step *= d
    return tuple(reversed(strides))


def _resolve_dtype(dtype):
    if isinstance(dtype, str) and dtype == "bfloat16":
        if BFLOAT16 is None:
            raise TypeError("dtype='bfloat16' needs the ml_dtypes package "
                            "(pip install 'fastinit[bfloat16]')")
        return BFLOAT16
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype={dtype!r} is not a NumPy dtype") from None


def _describe(dtypes):
    return ", ".join(str(d) for d in dtypes)


cdef int _CARRAY = cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED | cnp.NPY_ARRAY_WRITEABLE


def prepare_out(out, shape=None, dtype=None, allowed=FLOAT_DTYPES):
    """The ndarray a fill writes to: ``out`` itself (or an ndarray view of a
    buffer-protocol object), or a new array of ``shape`` and ``dtype``.
    Raises before anything is written or allocated if they do not fit."""
    cdef cnp.ndarray fast
    if type(out) is np.ndarray and shape is None and dtype is None:
        # the common case, in a few hundred nanoseconds less (small fills are
        # dominated by this): an aligned, writeable C-contiguous array of one
        # of the allowed dtypes themselves (so native); anything else goes
        # through the full checks below
        fast = out
        if (cnp.PyArray_FLAGS(fast) & _CARRAY) == _CARRAY and fast.ndim <= _MAX_NDIM:
            for d in allowed:
                if fast.dtype is d:
                    return fast
    if out is None:
        if shape is None:
            raise TypeError("give either out= (an array to fill) or shape= (to allocate one)")
        dims = _shape_tuple(shape)
        dt = _resolve_dtype(allowed[0] if dtype is None else dtype)
        if dt not in allowed:
            raise TypeError(f"dtype={dt} is not supported here; use one of {_describe(allowed)}")
        return _unallocated(dims, dt)
    if type(out) is Unallocated and shape is None and dtype is None and out.dtype in allowed:
        return out                      # a scheme passing its own on to a fill
    if isinstance(out, np.ndarray):
        # a subclass (np.matrix, whose * is a matrix product; memmap...) is
        # filled through a plain view of it
        arr = out if type(out) is np.ndarray else out.view(np.ndarray)
    elif "torch" in sys.modules and isinstance(out, sys.modules["torch"].Tensor):
        from .torch._tensors import as_array   # a CPU tensor or Parameter, zero-copy
        arr = as_array(out, "out")
    else:
        try:
            arr = np.asarray(memoryview(out))
        except TypeError:
            raise TypeError(f"out must be a NumPy array or support the buffer protocol, "
                            f"got {type(out).__name__}") from None
        except (ValueError, NotImplementedError) as e:
            raise TypeError(f"out: its buffer cannot be used ({e})") from None
    if not arr.dtype.isnative and arr.dtype.newbyteorder("=") in allowed:
        raise ValueError(f"out has non-native byte order ({arr.dtype.str}); "
                         f"use a native-endian array")
    if arr.dtype not in allowed:
        raise TypeError(f"out has dtype {arr.dtype}; fills need one of {_describe(allowed)}")
    if dtype is not None and _resolve_dtype(dtype) != arr.dtype:
        raise ValueError(f"dtype={dtype!r} disagrees with out.dtype={arr.dtype}")
    if shape is not None and _shape_tuple(shape) != arr.shape:
        raise ValueError(f"shape={_shape_tuple(shape)} disagrees with out.shape={arr.shape}")
    if not arr.flags.writeable:
        raise ValueError("out is read-only")
    if arr.ndim > _MAX_NDIM:
        raise ValueError(f"out has {arr.ndim} dimensions; at most {_MAX_NDIM} are supported")
    if not arr.flags.c_contiguous and any(s == 0 and n > 1 for s, n in zip(arr.strides, arr.shape)):
        raise ValueError("out has a zero stride (a broadcast view): its elements overlap")
    return arr


class Unallocated:
    """What ``prepare_out`` returns for ``out=None``: the shape and dtype of
    the array to allocate, without its memory, so that every argument is
    checked before a byte is allocated.  ``allocate`` turns it into the
    array; fills and schemes pass it on as ``out``."""
    __slots__ = ("shape", "dtype", "size", "ndim")

    def __init__(self, dims, dt):
        self.shape, self.dtype, self.ndim = dims, dt, len(dims)
        self.size = math.prod(dims)


cdef object _unallocated(tuple dims, object dt):
    # Below 1 MiB an array is allocated at once: that cannot fail, a call
    # that then refuses an argument has written nothing, and the placeholder
    # would cost more than a small fill's checks.
    cdef object nbytes = dt.itemsize
    for d in dims:
        nbytes *= d
    if nbytes < 1048576:               # 1 MiB
        return np.empty(dims, dtype=dt)
    if nbytes > sys.maxsize:
        raise ValueError(f"shape={dims} of {dt} is larger than any array can be")
    return Unallocated(dims, dt)


def allocate(arr):
    """``arr`` itself, or the new array an ``Unallocated`` stands for (call it
    once every argument is checked)."""
    if type(arr) is not Unallocated:
        return arr
    return np.empty(arr.shape, arr.dtype)


def _allocate_checked(arr, seed, stream, offset, threads, global_shape=None, start=None):
    """``allocate(arr)`` (an Unallocated) after the checks the fill makes
    itself (seed, stream, offset, threads, the block), so that they too come
    first."""
    if seed is not None:
        check_seed(seed)
    stream_id(stream)
    gdims, _ = check_block(arr.shape, global_shape, start)
    _check_offset(offset, arr.size if gdims is None else math.prod(gdims), gdims is not None)
    _check_threads(threads)
    return allocate(arr)


def returned(out, arr):
    """What a fill returns: ``out``, or the array it allocated (also when
    ``out`` was a scheme's ``Unallocated``)."""
    return arr if out is None or type(out) is Unallocated else out


# ---- dtype arithmetic for bounds ----------------------------------------------

cdef dict _DTYPE_IDS = {np.dtype(np.float32): FI_F32, np.dtype(np.float64): FI_F64,
                        np.dtype(np.float16): FI_F16, np.dtype(np.uint32): FI_U32}
if BFLOAT16 is not None:
    _DTYPE_IDS[BFLOAT16] = FI_BF16


def _to(dt, x):
    """x rounded to dtype dt (to nearest even), as a Python float; inf where it
    overflows (the callers raise ValueError then, not NumPy's warning)."""
    with np.errstate(over="ignore"):
        return float(np.asarray(x, dtype=np.float64).astype(dt))


def _step(dt, x, up):
    """The neighbour of the dtype value x, upwards or downwards."""
    if BFLOAT16 is not None and dt == BFLOAT16:
        if x == 0:
            bits = 0x0001 if up else 0x8001
        else:
            bits = int(np.array(x, dtype=dt).view(np.uint16))
            bits += 1 if up == (x > 0) else -1
        return float(np.array(bits, np.uint16).view(dt))
    return float(np.nextafter(np.asarray(x, dt), np.asarray(math.inf if up else -math.inf, dt)))


def _finfo_max(dt):
    if BFLOAT16 is not None and dt == BFLOAT16:
        return 3.3895313892515355e38
    return float(np.finfo(dt).max)


def _narrow(dt):
    return dt.itemsize == 2


def _f32_threshold(dt, v, up):
    """For the narrow types, which are sampled in float32 and rounded once:
    the float32 threshold t such that rounding keeps values <= v when clamped
    to t (up=False), or >= v (up=True).  Identity for float32/float64."""
    if not _narrow(dt) or math.isinf(v):
        return v
    nb = _step(dt, v, up)
    mid = np.float32((v + nb) / 2)       # exact: narrow values have <= 11 bits
    if _to(dt, mid) == v:
        return float(mid)
    return float(np.nextafter(mid, np.float32(v)))


def _inward(dt, x, up):
    """The dtype value nearest x (a float or an exact Fraction) on the inside
    of a bound: the smallest value >= x (up=True) or the largest <= x."""
    if math.isinf(x):
        return x
    r = _to(dt, float(x))
    if (up and r < x) or (not up and r > x):
        r = _step(dt, r, up)
    return r


def _bound(mean, std, z):
    """mean + z * std exactly (a Fraction), or z itself when infinite."""
    return z if math.isinf(z) else Fraction(mean) + Fraction(z) * Fraction(std)


# ---- the fill ------------------------------------------------------------------

# Truncated-normal plans by (dtype, parameters): their setup costs 1-7 us,
# more than a small fill.  Emptied whenever it reaches 1024 plans.
cdef dict _TRUNC_PLANS = {}


cdef void _truncnorm_plan(fi_plan *plan, fi_dtype dt, double *params):
    # the parameters' bytes: -0.0 and 0.0 are different plans
    key = (<int>dt, PyBytes_FromStringAndSize(<char *>params, 6 * sizeof(double)))
    cached = _TRUNC_PLANS.get(key)
    if cached is None:
        fi_plan_init(plan, FI_TRUNCNORM, dt, 0, 0, params)
        if len(_TRUNC_PLANS) >= 1024:
            _TRUNC_PLANS.clear()
        _TRUNC_PLANS[key] = PyBytes_FromStringAndSize(<char *>plan, sizeof(fi_plan))
    else:
        memcpy(plan, <char *>cached, sizeof(fi_plan))


cdef extern from "Python.h":
    int PyErr_CheckSignals()      # no except clause: the exception stays set


cdef int _interrupted(void *ctx) noexcept nogil:
    with gil:
        return PyErr_CheckSignals() != 0


cdef int _raise_pending() except -1:
    return -1                     # propagates the exception _interrupted left set


cdef object _fill(object arr, fi_dist dist, double *params, object seed, object stream,
                  object offset, object threads, object global_shape=None,
                  object start=None):
    cdef cnp.ndarray a = arr
    cdef fi_plan plan
    cdef int64_t shape[64]
    cdef int64_t strides[64]
    cdef uint64_t lstride[64]
    cdef uint64_t *lstride_p = NULL
    cdef int nd = cnp.PyArray_NDIM(a)
    cdef int i
    cdef uint64_t s = check_seed(seed)
    cdef uint64_t st = stream_id(stream)
    gdims, first = check_block(arr.shape, global_shape, start)
    cdef object checked_offset = _check_offset(
        offset, a.size if gdims is None else math.prod(gdims), gdims is not None)
    cdef int nthreads = _check_threads(threads)
    cdef fi_dtype dt = _DTYPE_IDS[a.dtype]
    cdef char *data = <char *>cnp.PyArray_DATA(a)
    cdef uint64_t base, step
    cdef int rc
    cdef fi_interrupt_fn check = NULL
    for i in range(nd):
        shape[i] = cnp.PyArray_DIMS(a)[i]
        strides[i] = cnp.PyArray_STRIDES(a)[i]
    if a.size == 0:
        return          # (offset may be 2**64 here, past any uint64)
    if _in_main_thread():
        check = _interrupted
    if gdims is None:
        base = checked_offset
    else:
        # C-order strides of the global tensor and ravel(start): each stride
        # and the base fit in 64 bits (_check_offset bounded the size)
        step = 1
        base = checked_offset
        for i in range(nd - 1, -1, -1):
            lstride[i] = step
            base += <uint64_t>first[i] * step
            step *= <uint64_t>gdims[i]
        lstride_p = lstride
    if dist == FI_TRUNCNORM:
        _truncnorm_plan(&plan, dt, params)
        fi_plan_rekey(&plan, s, st)
    else:
        fi_plan_init(&plan, dist, dt, s, st, params)
    with nogil:
        rc = fi_fill(&plan, <fi_path_id>_PATH, data, nd, shape, strides, lstride_p, base,
                     nthreads, check, NULL)
    if rc == 1:
        _raise_pending()


def random_bits(out=None, *, shape=None, seed=None, stream=0, offset=0, threads=None,
                global_shape=None, start=None):
    """Fill a uint32 array with the raw Philox4x32-10 words: word w of the
    stream is lane w % 4 of block w // 4 (see README, "Stream format")."""
    arr = prepare_out(out, shape, None if out is not None else np.uint32,
                      allowed=(np.dtype(np.uint32),))
    cdef double params[1]
    if type(arr) is Unallocated:
        arr = _allocate_checked(arr, seed, stream, offset, threads, global_shape, start)
    _fill(arr, FI_BITS, params, seed, stream, offset, threads, global_shape,
          start)
    return arr if out is None or type(out) is Unallocated else out   # (returned(), inline)


cdef int _zero_signs(double x, double y):
    # The caches below key on values, and -0.0 == 0.0: this part of the key
    # keeps the two apart (uniform(-0.0, -0.0) must fill -0.0, always).
    return (x == 0 and signbit(x) != 0) | (y == 0 and signbit(y) != 0) << 1


@functools.lru_cache(maxsize=256)
def _uniform_params(dt, low, high, zero_signs=0):
    """(low, high, top) in the dtype: top is the largest value a fill may
    produce (the float32 threshold that rounds to it, for narrow dtypes)."""
    if low > high:
        raise ValueError(f"low={low} is greater than high={high}")
    lo_d, hi_d = _to(dt, low), _to(dt, high)
    if math.isinf(lo_d) or math.isinf(hi_d):
        raise ValueError(f"low={low}, high={high}: outside the range of {dt}")
    work = np.float64 if dt == np.float64 else np.float32
    if math.isinf(_to(work, hi_d - lo_d)):
        raise ValueError(f"high - low = {hi_d - lo_d} overflows {np.dtype(work)}")
    if low < high and lo_d == hi_d >= high:
        raise ValueError(f"low={low}, high={high}: no {dt} value lies in [low, high) "
                         f"(both round to {hi_d})")
    top = lo_d if lo_d == hi_d else _f32_threshold(dt, _step(dt, hi_d, False), False)
    return lo_d, hi_d, top


def uniform(out=None, low=-0.05, high=0.05, *, shape=None, dtype=None, seed=None,
            stream=0, offset=0, threads=None, global_shape=None, start=None):
    """Fill ``out`` with U[low, high): ``high`` itself is never produced
    (unless low == high, which fills ``low``)."""
    arr = prepare_out(out, shape, dtype)
    low, high = _real("low", low), _real("high", high)
    lo_d, hi_d, top = _uniform_params(arr.dtype, low, high, _zero_signs(low, high))
    cdef double params[3]
    params[0] = lo_d
    params[1] = hi_d
    params[2] = top
    if type(arr) is Unallocated:
        arr = _allocate_checked(arr, seed, stream, offset, threads, global_shape, start)
    _fill(arr, FI_UNIFORM, params, seed, stream, offset, threads, global_shape,
          start)
    return arr if out is None or type(out) is Unallocated else out   # (returned(), inline)


# Largest |z| each working precision can produce (normal and truncated normal
# with an open side): sqrt(-2 ln 2^-24) and sqrt(-2 ln 2^-53), rounded up.
def _zmax(dt):
    return 8.6 if dt == np.float64 else 5.8


# How far past a finite bound t a truncated normal open on that side reaches:
# sqrt(t^2 + _ztail^2) for t >= 0 (else _ztail).  Its smallest tail probability
# is half a step of the draw, 2^-25 or 2^-54 of the interval's mass, and
# ln Q(x) - ln Q(t) <= -(x^2 - t^2) / 2 (Mills' ratio); so _ztail^2 >= 2 ln 2^25
# (float32 draws) or 2 ln 2^54 (float64), rounded up.
def _ztail(dt):
    return 8.66 if dt == np.float64 else 5.9


def _check_scale(dt, mean, std, lo_z, hi_z, what):
    top = _finfo_max(dt)
    for z in (lo_z, hi_z):
        if abs(mean + z * std) > top:
            raise ValueError(f"{what}: values up to {mean + z * std:g} overflow {dt}")


@functools.lru_cache(maxsize=256)
def _normal_params(dt, mean, std, zero_signs=0):
    if std < 0:
        raise ValueError(f"std={std} is negative")
    z = _zmax(dt)
    _check_scale(dt, mean, std, -z, z, f"mean={mean}, std={std}")
    return mean, std


def normal(out=None, mean=0.0, std=0.05, *, shape=None, dtype=None, seed=None,
           stream=0, offset=0, threads=None, global_shape=None, start=None):
    """Fill ``out`` with N(mean, std^2) (Box-Muller); never inf or NaN."""
    arr = prepare_out(out, shape, dtype)
    mean, std = _real("mean", mean), _real("std", std)
    mean, std = _normal_params(arr.dtype, mean, std, _zero_signs(mean, std))
    cdef double params[2]
    params[0] = mean
    params[1] = std
    if type(arr) is Unallocated:
        arr = _allocate_checked(arr, seed, stream, offset, threads, global_shape, start)
    _fill(arr, FI_NORMAL, params, seed, stream, offset, threads, global_shape,
          start)
    return arr if out is None or type(out) is Unallocated else out   # (returned(), inline)


@functools.lru_cache(maxsize=256)
def _truncated_params(dt, mean, std, a, b, zero_signs=0):
    """The clamp bounds (lo, hi) of a truncated fill, rounded inwards."""
    if std < 0:
        raise ValueError(f"std={std} is negative")
    if not a < b:
        raise ValueError(f"a={a} must be less than b={b}")
    t = _ztail(dt)
    # The farthest the fill reaches on each side: a bound beyond it is never
    # met, so it is checked at the reach (as an infinite one is), and one
    # whose value overflows the dtype is taken as infinite.
    reach_lo, reach_hi = -math.hypot(max(-b, 0.0), t), math.hypot(max(a, 0.0), t)
    _check_scale(dt, mean, std, max(a, reach_lo), min(b, reach_hi),
                 f"mean={mean}, std={std}, a={a}, b={b}")
    if std == 0:
        return _to(dt, mean), _to(dt, mean)
    top = _finfo_max(dt)
    if a < reach_lo and not abs(mean + a * std) <= top:
        a = -math.inf
    if b > reach_hi and not abs(mean + b * std) <= top:
        b = math.inf
    lo = _inward(dt, _bound(mean, std, a), True)
    hi = _inward(dt, _bound(mean, std, b), False)
    if lo > hi:
        raise ValueError(f"mean={mean}, std={std}, a={a}, b={b}: no {dt} value lies in "
                         f"[mean + a*std, mean + b*std]")
    return _f32_threshold(dt, lo, True), _f32_threshold(dt, hi, False)


def truncated_normal(out=None, mean=0.0, std=0.05, a=-2.0, b=2.0, *, shape=None,
                     dtype=None, seed=None, stream=0, offset=0, threads=None,
                     global_shape=None, start=None):
    """Fill ``out`` with N(mean, std^2) restricted to [mean + a std, mean + b std]
    (a, b in units of std, as in scipy.stats.truncnorm and JAX; either may be
    infinite).  Exact inverse CDF, accurate far into the tails."""
    arr = prepare_out(out, shape, dtype)
    mean, std = _real("mean", mean), _real("std", std)
    a, b = _real("a", a, allow_inf=True), _real("b", b, allow_inf=True)
    # (the signs of zero bounds change no clamp: only mean's and std's count)
    lo, hi = _truncated_params(arr.dtype, mean, std, a, b, _zero_signs(mean, std))
    cdef double params[6]
    params[0] = mean
    params[1] = std
    params[2] = a
    params[3] = b
    params[4] = lo
    params[5] = hi
    if type(arr) is Unallocated:
        arr = _allocate_checked(arr, seed, stream, offset, threads, global_shape, start)
    _fill(arr, FI_TRUNCNORM, params, seed, stream, offset, threads, global_shape,
          start)
    return arr if out is None or type(out) is Unallocated else out   # (returned(), inline)


def constant(out=None, value=0.0, *, shape=None, dtype=None, global_shape=None, start=None):
    """Fill ``out`` with ``value`` (rounded to the dtype); a block of a global
    tensor (``global_shape=``, ``start=``) is checked as by the other fills."""
    arr = prepare_out(out, shape, dtype)
    value = _real("value", value)
    check_block(arr.shape, global_shape, start)
    v = _to(arr.dtype, value)
    if math.isinf(v):
        raise ValueError(f"value={value} is outside the range of {arr.dtype}")
    arr = allocate(arr)
    arr[...] = v
    return arr if out is None or type(out) is Unallocated else out   # (returned(), inline)


def zeros(out=None, *, shape=None, dtype=None, global_shape=None, start=None):
    """Fill ``out`` with 0."""
    return constant(out, 0.0, shape=shape, dtype=dtype, global_shape=global_shape,
                    start=start)


def ones(out=None, *, shape=None, dtype=None, global_shape=None, start=None):
    """Fill ``out`` with 1."""
    return constant(out, 1.0, shape=shape, dtype=dtype, global_shape=global_shape,
                    start=start)


def _philox4x32_10(ctr, key):
    """One Philox4x32-10 block of the C core: four counter words and two key
    words in, four words out (for known-answer tests)."""
    cdef uint32_t c[4]
    cdef uint32_t k[2]
    cdef uint32_t o[4]
    for i in range(4):
        c[i] = ctr[i]
    for i in range(2):
        k[i] = key[i]
    fi_philox4x32_10(c, k, o)
    return tuple(o[i] for i in range(4))
