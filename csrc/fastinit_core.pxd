# Cython declarations of fastinit_core.h, kept next to it.
from libc.stdint cimport int64_t, uint32_t, uint64_t

cdef extern from "fastinit_core.h" nogil:
    ctypedef enum fi_dist:
        FI_BITS, FI_UNIFORM, FI_NORMAL, FI_TRUNCNORM
    ctypedef enum fi_dtype:
        FI_U32, FI_F32, FI_F64, FI_F16, FI_BF16
    ctypedef enum fi_path_id:
        FI_PATH_BASELINE, FI_PATH_AVX2, FI_PATH_AVX512, FI_PATH_NEON, FI_NPATHS
    ctypedef struct fi_plan:
        int kernel
    void fi_plan_init(fi_plan *plan, fi_dist dist, fi_dtype dtype, uint64_t seed,
                      uint64_t stream, const double *params)
    void fi_plan_rekey(fi_plan *plan, uint64_t seed, uint64_t stream)
    int fi_path_supported(fi_path_id path)
    fi_path_id fi_best_path()
    const char *fi_path_name(fi_path_id path)
    const char *fi_build_flags()
    ctypedef int (*fi_interrupt_fn)(void *ctx) noexcept nogil
    int fi_fill(const fi_plan *plan, fi_path_id path, char *data, int ndim,
                const int64_t *shape, const int64_t *strides, const uint64_t *lstride,
                uint64_t base, int threads, fi_interrupt_fn interrupted, void *ctx)

cdef extern from "philox.h" nogil:
    void fi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
