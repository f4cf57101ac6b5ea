/* The one dispatch point: plan set-up, the choice of SIMD path, the split of
 * a fill over threads and the walk over strided arrays.  The only state is
 * what the CPU reports, read on demand. */
#include <math.h>
#include <string.h>

#include "fastinit_core.h"
#include "truncnorm.h"

#include "threads.h"

void fi_run_baseline(const fi_plan *p, uint64_t first, size_t n, void *out);
#if defined(FI_HAVE_AVX2)
void fi_run_avx2(const fi_plan *p, uint64_t first, size_t n, void *out);
#endif
#if defined(FI_HAVE_AVX512)
void fi_run_avx512(const fi_plan *p, uint64_t first, size_t n, void *out);
#endif

/* ---- plans ----------------------------------------------------------------- */

static void fi_truncnorm_setup(fi_plan *p, const double *prm)
{
    const double mean = prm[0], std = prm[1], lo = prm[4], hi = prm[5];
    double a = prm[2], b = prm[3], sgn = 1.0;
    if (a + b > 0) {                 /* mirror: most of [a, b] below zero */
        double t = a;
        a = -b;
        b = -t;
        sgn = -1.0;
    }
    const int wide = p->dtype == FI_F64;
    p->d.mean = mean;
    p->d.lo = lo;
    p->d.hi = hi;
    p->f.mean = (float)mean;
    p->f.lo = (float)lo;
    p->f.hi = (float)hi;
    const double pb = b >= 0 ? 1.0 - fi_upper_tail(b) : fi_upper_tail(-b);
    if (pb < 0x1p-950) {
        /* Beyond any inverse CDF in double: sample x = -z in [-b, -a]. */
        p->kernel = wide ? FI_K_TAIL64 : FI_K_TAIL32;
        p->d.std = -sgn * std;
        p->d.alpha = -b;
        p->d.logq_alpha = fi_log_upper_tail(-b);
        double delta = fi_log_upper_tail(-a) - p->d.logq_alpha; /* -inf if a = -inf */
        p->d.d = delta == -INFINITY ? 1.0 : delta < -0.5 ? 1.0 - fi_exp(delta) : -fi_expm1(delta);
        return;
    }
    const double pa = fi_upper_tail(-a);              /* Phi(a), a < 0 */
    const double qb = b >= 0 ? fi_upper_tail(b) : 1.0 - pb;
    const double width = b >= 0 ? (1.0 - qb) - pa : pb - pa;
    p->d.std = sgn * std;
    p->f.std = (float)(sgn * std);
    const double dw = width * (wide ? 0x1p-53 : 0x1p-24);
    p->d.dw = dw;
    p->d.c0 = pa + 0.5 * dw;
    p->d.c1 = qb + 0.5 * dw;
    if (wide) {
        p->kernel = FI_K_TRUNC64;
    } else if (p->d.c0 >= 0x1p-100 && width >= 0x1p-8 * pa) {
        p->kernel = FI_K_TRUNC32;
        p->f.dw = (float)dw;
        p->f.c0 = (float)p->d.c0;
        p->f.c1 = (float)p->d.c1;
    } else {
        p->kernel = FI_K_TRUNC32_VIA64;
    }
}

void fi_plan_rekey(fi_plan *p, uint64_t seed, uint64_t stream)
{
    p->key = fi_philox_make_key(seed, stream);
}

void fi_plan_init(fi_plan *p, fi_dist dist, fi_dtype dtype, uint64_t seed,
                  uint64_t stream, const double *prm)
{
    memset(p, 0, sizeof *p);
    p->dtype = dtype;
    p->key = fi_philox_make_key(seed, stream);
    const int wide = dtype == FI_F64;
    switch (dist) {
    case FI_BITS:
        p->kernel = FI_K_BITS;
        break;
    case FI_UNIFORM:   /* low, high, top: already values of the dtype */
        p->kernel = wide ? FI_K_UNIFORM64 : FI_K_UNIFORM32;
        p->d.low = prm[0];
        p->d.scale = prm[1] - prm[0];
        p->d.top = prm[2];
        p->f.low = (float)prm[0];
        p->f.scale = (float)(prm[1] - prm[0]);
        p->f.top = (float)prm[2];
        break;
    case FI_NORMAL:    /* mean, std */
        p->kernel = wide ? FI_K_NORMAL64 : FI_K_NORMAL32;
        p->d.mean = prm[0];
        p->d.std = prm[1];
        p->f.mean = (float)prm[0];
        p->f.std = (float)prm[1];
        break;
    case FI_TRUNCNORM: /* mean, std, a, b, lo, hi */
        fi_truncnorm_setup(p, prm);
        break;
    }
}

/* ---- paths ----------------------------------------------------------------- */

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER)
#include <intrin.h>
static void fi_cpuid(int leaf, int sub, unsigned r[4]) { int v[4]; __cpuidex(v, leaf, sub); for (int i = 0; i < 4; i++) r[i] = (unsigned)v[i]; }
static unsigned long long fi_xgetbv(void) { return _xgetbv(0); }
#else
#include <cpuid.h>
static void fi_cpuid(int leaf, int sub, unsigned r[4]) { __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]); }
static unsigned long long fi_xgetbv(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#endif

/* AVX2 needs the CPU bits and the OS saving YMM state; AVX-512 also ZMM. */
static int fi_cpu_has(fi_path_id path)
{
    unsigned r[4];
    fi_cpuid(0, 0, r);
    if (r[0] < 7)
        return 0;
    fi_cpuid(1, 0, r);
    const int osxsave = (r[2] >> 27) & 1, fma = (r[2] >> 12) & 1;
    if (!osxsave || !fma)
        return 0;
    const unsigned long long xcr0 = fi_xgetbv();
    fi_cpuid(7, 0, r);
    const unsigned ebx = r[1];
    const int avx2 = (ebx >> 5) & 1 && (xcr0 & 0x6) == 0x6;
    if (path == FI_PATH_AVX2)
        return avx2;
    if (path == FI_PATH_AVX512)
        return avx2 && (xcr0 & 0xE6) == 0xE6 && ((ebx >> 16) & 1) /* F */
               && ((ebx >> 17) & 1) /* DQ */ && ((ebx >> 30) & 1) /* BW */
               && ((ebx >> 31) & 1) /* VL */;
    return 0;
}
#endif

static fi_kernel_fn fi_path_kernel(fi_path_id path)
{
    switch (path) {
    case FI_PATH_BASELINE:
        return fi_run_baseline;
#if defined(FI_HAVE_AVX2)
    case FI_PATH_AVX2:
        return fi_run_avx2;
#endif
#if defined(FI_HAVE_AVX512)
    case FI_PATH_AVX512:
        return fi_run_avx512;
#endif
#if defined(__aarch64__)
    case FI_PATH_NEON:           /* NEON is the aarch64 baseline */
        return fi_run_baseline;
#endif
    default:
        return NULL;
    }
}

int fi_path_supported(fi_path_id path)
{
    if (fi_path_kernel(path) == NULL)
        return 0;
#if defined(__x86_64__) || defined(_M_X64)
    if (path == FI_PATH_AVX2 || path == FI_PATH_AVX512)
        return fi_cpu_has(path);
#endif
    return 1;
}

fi_path_id fi_best_path(void)
{
    static const fi_path_id order[] = {FI_PATH_AVX512, FI_PATH_AVX2, FI_PATH_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (fi_path_supported(order[i]))
            return order[i];
    return FI_PATH_BASELINE;
}

const char *fi_path_name(fi_path_id path)
{
    static const char *const names[FI_NPATHS] = {"baseline", "avx2", "avx512", "neon"};
    return (unsigned)path < FI_NPATHS ? names[path] : "?";
}

#ifndef FI_BUILD_FLAGS
#define FI_BUILD_FLAGS "unknown"
#endif
const char *fi_build_flags(void) { return FI_BUILD_FLAGS; }

/* ---- fills ----------------------------------------------------------------- */

#define FI_MAX_NDIM 64
/* Below this many elements per thread a thread costs more than it saves. */
#define FI_MIN_PER_THREAD ((uint64_t)1 << 17)
#define FI_MAX_THREADS 256

typedef struct {
    const fi_plan *plan;
    fi_kernel_fn run;
    char *data;
    int ndim;
    const int64_t *shape, *strides;
    uint64_t offset;
    size_t es;
    int contiguous;
    uint64_t lo, hi;   /* this worker's C-order index range */
} fi_job;

/* Elements lo..hi-1 of a strided array; each inner run is written in place
 * when it is contiguous and aligned, else through a small buffer. */
static void fi_fill_range(const fi_job *j)
{
    const size_t es = j->es;
    if (j->contiguous) {
        j->run(j->plan, j->offset + j->lo, (size_t)(j->hi - j->lo), j->data + j->lo * es);
        return;
    }
    int64_t idx[FI_MAX_NDIM];
    uint64_t rem = j->lo;
    char *ptr = j->data;
    for (int d = j->ndim - 1; d >= 0; d--) {
        idx[d] = (int64_t)(rem % (uint64_t)j->shape[d]);
        rem /= (uint64_t)j->shape[d];
        ptr += idx[d] * j->strides[d];
    }
    const int last = j->ndim - 1;
    const int64_t inner = j->shape[last], step = j->strides[last];
    int direct = step == (int64_t)es && ((uintptr_t)j->data % es) == 0;
    for (int d = 0; d < j->ndim; d++)
        direct = direct && j->strides[d] % (int64_t)es == 0;
    double buf[FI_TILE];
    uint64_t i = j->lo;
    while (i < j->hi) {
        uint64_t run = (uint64_t)(inner - idx[last]);
        if (run > j->hi - i)
            run = j->hi - i;
        if (direct) {
            j->run(j->plan, j->offset + i, (size_t)run, ptr);
        } else {
            for (uint64_t done = 0; done < run;) {
                size_t m = run - done < FI_TILE ? (size_t)(run - done) : FI_TILE;
                j->run(j->plan, j->offset + i + done, m, buf);
                for (size_t e = 0; e < m; e++)
                    memcpy(ptr + (int64_t)(done + e) * step, (char *)buf + e * es, es);
                done += m;
            }
        }
        i += run;
        /* carry the multi-index into the next inner run */
        idx[last] += (int64_t)run;
        ptr += (int64_t)run * step;
        for (int d = last; d > 0 && idx[d] == j->shape[d]; d--) {
            ptr -= j->shape[d] * j->strides[d];
            idx[d] = 0;
            idx[d - 1]++;
            ptr += j->strides[d - 1];
        }
    }
}

#if defined(FI_HAVE_THREADS)
static void fi_worker(void *arg)
{
    fi_fill_range((const fi_job *)arg);
}
#endif

static int fi_is_c_contiguous(int ndim, const int64_t *shape, const int64_t *strides,
                              size_t es, const char *data)
{
    if ((uintptr_t)data % es)
        return 0;
    int64_t expect = (int64_t)es;
    for (int d = ndim - 1; d >= 0; d--) {
        if (shape[d] != 1 && strides[d] != expect)
            return 0;
        expect *= shape[d];
    }
    return 1;
}

int fi_fill(const fi_plan *plan, fi_path_id path, char *data, int ndim,
            const int64_t *shape, const int64_t *strides, uint64_t offset,
            int threads)
{
    uint64_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (uint64_t)shape[d];
    if (n == 0)
        return 0;
    fi_job base;
    base.plan = plan;
    base.run = fi_path_kernel(path);
    if (base.run == NULL)
        base.run = fi_run_baseline;
    base.data = data;
    base.offset = offset;
    base.es = plan->dtype == FI_F64 ? 8 : (plan->dtype == FI_F16 || plan->dtype == FI_BF16) ? 2 : 4;
    base.contiguous = fi_is_c_contiguous(ndim, shape, strides, base.es, data);
    /* a 0-d array is one contiguous element */
    static const int64_t one = 1;
    base.ndim = ndim > 0 ? ndim : 1;
    base.shape = ndim > 0 ? shape : &one;
    base.strides = ndim > 0 ? strides : &one;
    base.lo = 0;
    base.hi = n;

    uint64_t t = threads > 1 ? (uint64_t)threads : 1;
    if (t > FI_MAX_THREADS)
        t = FI_MAX_THREADS;
    if (t > n / FI_MIN_PER_THREAD)
        t = n / FI_MIN_PER_THREAD > 0 ? n / FI_MIN_PER_THREAD : 1;
#if defined(FI_HAVE_THREADS)
    if (t > 1) {
        fi_job jobs[FI_MAX_THREADS];
        fi_thread tid[FI_MAX_THREADS];
        int started[FI_MAX_THREADS] = {0};
        int failed = 0;
        /* split on tile boundaries: equal shares, rounded to FI_TILE */
        uint64_t per = (n / t + FI_TILE - 1) / FI_TILE * FI_TILE;
        for (uint64_t w = 0; w < t; w++) {
            jobs[w] = base;
            jobs[w].lo = w * per < n ? w * per : n;
            jobs[w].hi = (w + 1) * per < n && w + 1 < t ? (w + 1) * per : n;
        }
        for (uint64_t w = 1; w < t; w++) {
            if (jobs[w].lo < jobs[w].hi)
                started[w] = fi_thread_start(&tid[w], fi_worker, &jobs[w]) == 0;
        }
        fi_fill_range(&jobs[0]);
        for (uint64_t w = 1; w < t; w++) {
            if (started[w]) {
                fi_thread_join(&tid[w]);
            } else if (jobs[w].lo < jobs[w].hi) {
                fi_fill_range(&jobs[w]);
                failed = 1;
            }
        }
        return failed ? -1 : 0;
    }
#endif
    fi_fill_range(&base);
    return 0;
}
