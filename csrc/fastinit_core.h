/* The C core's public interface: build a plan from validated parameters,
 * then fill any strided buffer with it.  Argument checking happens once, in
 * the binding (fastinit/_core.pyx); this layer trusts its inputs. */
#ifndef FASTINIT_CORE_H
#define FASTINIT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "philox.h"

/* Kernels work in tiles of this many elements, aligned to multiples of it in
 * the logical index. */
#define FI_TILE 512

typedef enum { FI_BITS, FI_UNIFORM, FI_NORMAL, FI_TRUNCNORM } fi_dist;
typedef enum { FI_U32, FI_F32, FI_F64, FI_F16, FI_BF16 } fi_dtype;

/* Which transform runs, which is finer than (dist, dtype): a float32 output
 * of a truncated normal may be computed in double when float would lose the
 * interval (far tails, narrow intervals), and intervals beyond any double
 * inverse CDF take the log-space tail sampler. */
typedef enum {
    FI_K_BITS,
    FI_K_UNIFORM32, FI_K_UNIFORM64,
    FI_K_NORMAL32, FI_K_NORMAL64,
    FI_K_TRUNC32, FI_K_TRUNC32_VIA64, FI_K_TRUNC64,
    FI_K_TAIL32, FI_K_TAIL64,
    FI_NKERNELS
} fi_kernel_id;

/* Per-call constants, in the working precision of the kernel. */
typedef struct {
    /* uniform: x = low + scale * u, then min(x, top) */
    double low, scale, top;
    /* normal and truncated normal: mean + std * z */
    double mean, std;
    /* truncated normal, inverse CDF over the mirrored interval:
     * p = c0 + k * dw (lower branch), 1 - p = c1 + (K - k) * dw (upper),
     * z = ndtri(p); out = clamp(mean + std * z, lo, hi) */
    double c0, c1, dw, lo, hi;
    /* log-space tail sampler: x in [alpha, beta] far in the upper tail,
     * log Q(alpha), and D = 1 - Q(beta) / Q(alpha) */
    double alpha, logq_alpha, d;
} fi_consts64;

typedef struct {
    float low, scale, top, mean, std, c0, c1, dw, lo, hi;
} fi_consts32;

typedef struct {
    fi_kernel_id kernel;
    fi_dtype dtype;       /* what is stored: f16/bf16 round a float32 kernel */
    fi_philox_key key;
    fi_consts64 d;
    fi_consts32 f;
} fi_plan;

/* Parameters: uniform (low, high); normal (mean, std);
 * truncated normal (mean, std, a, b) with a, b in units of std. */
void fi_plan_init(fi_plan *plan, fi_dist dist, fi_dtype dtype, uint64_t seed,
                  uint64_t stream, const double *params);

/* The same plan for another seed and stream: the constants depend only on
 * the parameters, so a caller may keep a plan and rekey it (truncated
 * normal setup evaluates Phi at the bounds, microseconds per call). */
void fi_plan_rekey(fi_plan *plan, uint64_t seed, uint64_t stream);

/* The SIMD paths.  Each is the same source compiled for one target and
 * yields the same bits; the binding picks one per process. */
typedef enum {
    FI_PATH_BASELINE, FI_PATH_AVX2, FI_PATH_AVX512, FI_PATH_NEON, FI_NPATHS
} fi_path_id;

/* Fills out[0..n) with the elements first..first+n-1 of the plan's stream. */
typedef void (*fi_kernel_fn)(const fi_plan *plan, uint64_t first, size_t n,
                             void *out);
/* k runs of n elements each: run r is elements first + r lstep .. of the
 * stream, stored contiguously at out + r mstep bytes.  The same values as k
 * calls of the path's fi_kernel_fn, with one Philox set-up for all. */
typedef void (*fi_runs_fn)(const fi_plan *plan, uint64_t first, size_t n, uint64_t lstep,
                           size_t k, void *out, int64_t mstep);

/* 1 when the path is compiled in and this CPU runs it. */
int fi_path_supported(fi_path_id path);
fi_path_id fi_best_path(void);
const char *fi_path_name(fi_path_id path);
const char *fi_build_flags(void);

/* Called between parts of a long fill; nonzero stops it (an interrupt). */
typedef int (*fi_interrupt_fn)(void *ctx);

/* Fill the n-dimensional block at data (strides in bytes, any sign) so that
 * its element of multi-index idx gets the logical index
 * base + sum(idx[d] * lstride[d]); lstride NULL means the C-order strides
 * of shape itself (a whole array: element i in C order gets base + i).  A
 * block [start, start + shape) of a C-order tensor of global shape G has
 * lstride = G's C-order strides and base = offset + ravel(start, G).
 * Uses up to `threads` threads (<= 1: the calling thread only): the
 * calling thread and threads of the process's pool (pool.h), which a fill
 * on another thread may hold, and then this one runs alone; the values
 * never depend on it.  The calling thread calls `interrupted` (if not
 * NULL) every few milliseconds of a long fill.  Returns 0; 1 if
 * interrupted (the elements not reached are left as they were, every
 * element written has its value); -1 if a thread could not be started
 * (the fill is then finished by the others). */
int fi_fill(const fi_plan *plan, fi_path_id path, char *data, int ndim,
            const int64_t *shape, const int64_t *strides, const uint64_t *lstride,
            uint64_t base, int threads, fi_interrupt_fn interrupted, void *ctx);

#endif
