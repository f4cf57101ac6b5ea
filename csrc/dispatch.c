/* The one dispatch point: plan set-up, the choice of SIMD path, the split of
 * a fill over threads and the walk over strided arrays.  The only state is
 * what the CPU reports, read on demand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fastinit_core.h"
#include "pool.h"
#include "truncnorm.h"
#include "walk.h"

void fi_run_baseline(const fi_plan *p, uint64_t first, size_t n, void *out);
void fi_runs_baseline(const fi_plan *p, uint64_t first, size_t n, uint64_t lstep, size_t k,
                      void *out, int64_t mstep);
#if defined(FI_HAVE_AVX2)
void fi_run_avx2(const fi_plan *p, uint64_t first, size_t n, void *out);
void fi_runs_avx2(const fi_plan *p, uint64_t first, size_t n, uint64_t lstep, size_t k,
                  void *out, int64_t mstep);
#endif
#if defined(FI_HAVE_AVX512)
void fi_run_avx512(const fi_plan *p, uint64_t first, size_t n, void *out);
void fi_runs_avx512(const fi_plan *p, uint64_t first, size_t n, uint64_t lstep, size_t k,
                    void *out, int64_t mstep);
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

/* The multi-run entry of the path whose kernel is run. */
static fi_runs_fn fi_path_runs(fi_kernel_fn run)
{
    (void)run;                  /* (unused on targets with one path) */
#if defined(FI_HAVE_AVX2)
    if (run == fi_run_avx2)
        return fi_runs_avx2;
#endif
#if defined(FI_HAVE_AVX512)
    if (run == fi_run_avx512)
        return fi_runs_avx512;
#endif
    return fi_runs_baseline;
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

/* Below this many elements per thread a thread costs more than it saves. */
#define FI_MIN_PER_THREAD ((uint64_t)1 << 17)
#define FI_MAX_THREADS 256
/* The most elements a thread fills between two looks at the interrupt flag:
 * a few milliseconds of any kernel but the far-tail sampler (below). */
#define FI_QUANTUM ((uint64_t)1 << 20)
/* The far-tail sampler (a bound beyond any inverse CDF) is scalar and takes
 * ~400 ns an element on AVX2: FI_QUANTUM of it held an interrupt back for
 * 0.4 s.  2^14 of it is ~6 ms. */
#define FI_QUANTUM_TAIL ((uint64_t)1 << 14)
/* A panelled fill allocates its large panel buffers only where each
 * thread's share of the output is this many times a buffer: its first
 * touch then costs a few percent of the fill at most. */
#define FI_SCRATCH_SHARE 16

#if defined(_MSC_VER)
#include <intrin.h>
static uint64_t fi_take(volatile uint64_t *next, uint64_t q)
{
    return (uint64_t)_InterlockedExchangeAdd64((volatile long long *)next, (long long)q);
}
#else
static uint64_t fi_take(volatile uint64_t *next, uint64_t q)
{
    return __atomic_fetch_add(next, q, __ATOMIC_RELAXED);
}
#endif

/* The threads of one fill share the block and take quanta of it in turn,
 * so a slow core holds back no more than one quantum.  Which thread fills
 * which quantum changes no value. */
typedef struct {
    fi_job job;
    char *scratch;            /* panel buffers, one per thread; or NULL */
    uint64_t slots;           /* how many */
    volatile uint64_t taken;  /* how many threads took theirs */
    uint64_t n, quantum;
    volatile uint64_t next;   /* the first C-order index no thread has taken */
    volatile int stop;        /* set on an interrupt: take no more quanta */
} fi_shared;

/* Returns 1 when it stopped for an interrupt (the caller's check, if any,
 * runs between quanta; the other threads only read the flag). */
static int fi_work(fi_shared *s, fi_interrupt_fn interrupted, void *ctx)
{
    char *buf = NULL;
    if (s->scratch != NULL) {
        const uint64_t slot = fi_take(&s->taken, 1);
        if (slot >= s->slots)       /* never: no more threads come than slots */
            return 0;
        buf = s->scratch + slot * s->job.panel_bytes;
    }
    for (;;) {
        if (s->stop)
            return 1;
        uint64_t lo = fi_take(&s->next, s->quantum);
        if (lo >= s->n)
            return 0;
        uint64_t hi = s->n - lo > s->quantum ? lo + s->quantum : s->n;
        if (s->job.panel_axis >= 0)
            fi_fill_panels(&s->job, lo, hi, buf);
        else
            fi_fill_range(&s->job, lo, hi);
        if (interrupted != NULL && hi < s->n && interrupted(ctx)) {
            s->stop = 1;
            return 1;
        }
    }
}

#if defined(FI_HAVE_THREADS)
static void fi_worker(void *arg)
{
    fi_work((fi_shared *)arg, NULL, NULL);
}
#endif

int fi_fill(const fi_plan *plan, fi_path_id path, char *data, int ndim,
            const int64_t *shape, const int64_t *strides, const uint64_t *lstride,
            uint64_t base, int threads, fi_interrupt_fn interrupted, void *ctx)
{
    uint64_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (uint64_t)shape[d];
    if (n == 0)
        return 0;
    /* a 0-d array is one contiguous element */
    static const int64_t one = 1;
    static const uint64_t uone = 1;
    uint64_t cstride[FI_MAX_NDIM];
    if (lstride == NULL) {       /* the whole array: C-order logical strides */
        uint64_t st = 1;
        for (int d = ndim - 1; d >= 0; d--) {
            cstride[d] = st;
            st *= (uint64_t)shape[d];
        }
        lstride = cstride;
    }
    fi_shared s;
    fi_job *j = &s.job;
    j->plan = plan;
    j->run = fi_path_kernel(path);
    if (j->run == NULL)
        j->run = fi_run_baseline;
    j->runs = fi_path_runs(j->run);
    j->data = data;
    j->ndim = ndim > 0 ? ndim : 1;
    j->shape = ndim > 0 ? shape : &one;
    j->strides = ndim > 0 ? strides : &one;
    j->lstride = ndim > 0 ? lstride : &uone;
    j->base = base;
    j->es = plan->dtype == FI_F64 ? 8 : (plan->dtype == FI_F16 || plan->dtype == FI_BF16) ? 2 : 4;
    j->size = n;
    fi_job_layout(j);
    /* Work is shared in units: elements, or (view position, panel) pairs
     * of up to panel_width elements each.  Threads and quanta are sized in
     * elements all the same: counted in units, a transposed (2048, 2048)
     * float32 fill (32768 units of 128 rows) ran on one thread whatever
     * was asked, and a quantum of a huge one held the interrupt check back
     * for 2^27 elements. */
    uint64_t t = threads > 1 ? (uint64_t)threads : 1;
    if (t > FI_MAX_THREADS)
        t = FI_MAX_THREADS;
    if (t > j->size / FI_MIN_PER_THREAD)
        t = j->size / FI_MIN_PER_THREAD > 0 ? j->size / FI_MIN_PER_THREAD : 1;
    fi_view_store view;
    uint64_t unit = 1;               /* elements per unit (at most) */
    s.scratch = NULL;
    s.slots = 0;
    s.taken = 0;
    if (fi_plan_panels(j, &view, FI_PANEL_BYTES)) {
        /* Large panels for a large fill: each view position then gets its
         * whole column, or KiB of it, at once.  One allocation per fill,
         * after every check, that each thread's share makes up for
         * (FI_SCRATCH_SHARE); where it fails, the stack's panels. */
        if (j->size * j->es / t >= FI_SCRATCH_SHARE * FI_PANEL_SCRATCH &&
            (s.scratch = malloc((size_t)t * FI_PANEL_SCRATCH)) != NULL) {
            s.slots = t;
            fi_plan_panels(j, &view, FI_PANEL_SCRATCH);
        }
        n = (n / j->panel_rows) * ((j->panel_rows + j->panel_width - 1) / j->panel_width);
        unit = j->panel_width;
    }
    /* quanta: about four per thread, whole tiles, at most FI_QUANTUM elements */
    uint64_t q = (j->size / (4 * t) + FI_TILE - 1) / FI_TILE * FI_TILE;
    const int tail = plan->kernel == FI_K_TAIL32 || plan->kernel == FI_K_TAIL64;
    const uint64_t qmax = tail ? FI_QUANTUM_TAIL : FI_QUANTUM;
    q = q < FI_TILE ? FI_TILE : q > qmax ? qmax : q;
    s.quantum = q / unit > 0 ? q / unit : 1;
    s.n = n;
    s.next = 0;
    s.stop = 0;
    int failed = 0;
#if defined(FI_HAVE_THREADS)
    /* A one-thread fill never touches the pool (nor its lock).  A pool
     * owned by another fill lends nothing: this fill then runs here alone,
     * to the same values. */
    int lent = t > 1 ? fi_pool_begin(fi_worker, &s, (int)(t - 1), &failed) : 0;
#endif
    int stopped = fi_work(&s, interrupted, ctx);
#if defined(FI_HAVE_THREADS)
    if (lent > 0)
        fi_pool_end();      /* s lives on this stack: wait for the helpers */
#endif
    free(s.scratch);
    return stopped ? 1 : failed ? -1 : 0;
}
