/* The fill kernels, compiled once per SIMD path: each path_*.c file defines
 * FI_RUN (the exported name), FI_PHILOX_WORDS and its batch FI_PHILOX_BATCH (blocks
 * per vector pass) and includes this file under its own
 * target flags.  The transforms are plain C loops that the compiler
 * vectorizes; with -ffp-contract=off, explicit fma() and no fast-math they
 * round exactly as written, so every path gives the same bits.
 *
 * FI_RUN works in chunks of up to FI_TILE elements starting at Philox blocks
 * in the logical index: Philox words of the chunk into a stack buffer, then
 * the transform into the output (partial blocks at the ends through a small
 * stack buffer).  Nothing is allocated. */
#include <string.h>

#include "fastinit_core.h"
#include "normal.h"
#include "philox.h"
#include "truncnorm.h"
#include "uniform.h"

/* The fewest blocks a vector Philox pass computes (FI_PHILOX_BATCH at once
 * is faster, but a short fill need not round up to it). */
#ifndef FI_PHILOX_STEP
#define FI_PHILOX_STEP FI_PHILOX_BATCH
#endif

/* float32 -> float16 / bfloat16 bits, round to nearest even.  Values are
 * finite and in range (the binding checks parameters against the dtype). */
static inline uint16_t fi_to_bf16(float x)
{
    uint32_t u = fi_bits32(x);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static inline uint16_t fi_to_f16(float x)
{
    uint32_t u = fi_bits32(x);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t a = u & 0x7FFFFFFFu;
    /* normal half: rebias the exponent and round the 13 dropped bits */
    uint32_t nrm = (a - 0x38000000u + 0xFFFu + ((a >> 13) & 1u)) >> 13;
    /* subnormal half (|x| < 2^-14): adding 0.5 lets the FPU round for us */
    uint32_t sub = fi_bits32(fi_float32(a) + 0.5f) - 0x3F000000u;
    uint32_t h = a < 0x38800000u ? sub : nrm;
    h = h > 0x7C00u ? 0x7C00u : h;      /* beyond the range: inf, never a NaN pattern */
    return (uint16_t)(sign | h);
}

static void fi_store_narrow(fi_dtype dtype, const float *src, void *dst, size_t n)
{
    uint16_t *d = (uint16_t *)dst;
    if (dtype == FI_F16) {
        for (size_t i = 0; i < n; i++)
            d[i] = fi_to_f16(src[i]);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = fi_to_bf16(src[i]);
    }
}

/* Element width of the stored dtype and Philox words per element. */
static inline size_t fi_elsize(fi_dtype t) { return t == FI_F64 ? 8 : (t == FI_F16 || t == FI_BF16) ? 2 : 4; }

static void fi_tile(const fi_plan *p, const uint32_t *words, void *dst, size_t n);

/* Words per element of each kernel: 2 for a 53-bit draw, else 1. */
static inline unsigned fi_words_per_element(fi_kernel_id k)
{
    return (k == FI_K_UNIFORM64 || k == FI_K_NORMAL64 || k == FI_K_TRUNC64 ||
            k == FI_K_TAIL64) ? 2u : 1u;
}

/* The word layout each transform reads (see philox.h); the planes and pair
 * halves are FI_TILE / 2 words apart, which holds a tile's worth. */
static inline fi_layout fi_layout_of(fi_kernel_id k)
{
    return k == FI_K_NORMAL32 ? FI_PAIRS : k == FI_K_NORMAL64 ? FI_PLANES : FI_STREAM;
}

/* Chunks start at a Philox block (epb elements: whole normal pairs too) and
 * span up to FI_TILE.  The transform writes the chunk's whole blocks straight
 * into the output; only a partial block at either end goes through a small
 * buffer, so a short or unaligned fill computes fewer than 2 epb elements it
 * does not store, and copies none but those it stores from that block. */
void FI_RUN(const fi_plan *p, uint64_t first, size_t n, void *out)
{
    const unsigned epb = 4 / fi_words_per_element(p->kernel); /* elements per block */
    const size_t es = fi_elsize(p->dtype);
    const fi_layout layout = fi_layout_of(p->kernel);
    uint32_t words[FI_TILE * 2];
    double tmp[4];                              /* one block of any element type */
    char *o = (char *)out;
    uint64_t chunk = first - first % epb;       /* logical index of the chunk */
    size_t skip = (size_t)(first - chunk);
    while (n > 0) {
        size_t want = skip + n;
        size_t len = want >= FI_TILE ? FI_TILE : (want + epb - 1) / epb * epb;
        size_t take = len - skip < n ? len - skip : n;
        /* whole vector passes (FI_PHILOX_STEP blocks), which fit the buffer's
         * every layout (its capacities are multiples of any pass): a short
         * fill then costs one pass, not a scalar Philox per block */
        _Static_assert(FI_TILE / 4 % FI_PHILOX_BATCH == 0 && FI_TILE / 2 % FI_PHILOX_BATCH == 0,
                       "every layout's capacity (FI_TILE/4 or FI_TILE/2 blocks) is whole batches");
        size_t nb = (len / epb + FI_PHILOX_STEP - 1) / FI_PHILOX_STEP * FI_PHILOX_STEP;
        FI_PHILOX_WORDS(&p->key, chunk / epb, nb, words, layout, FI_TILE / 2);
        /* blocks [b0, b1) lie wholly inside [skip, skip + take) */
        const size_t end = skip + take;
        const size_t b0 = (skip + epb - 1) / epb, b1 = end / epb;
        if (b0 < b1)
            fi_tile(p, fi_layout_at(words, layout, b0), o + (b0 * epb - skip) * es,
                    (b1 - b0) * epb);
        if (skip % epb) {                       /* the head: part of block 0 */
            size_t stop = end < epb ? end : epb;
            fi_tile(p, words, tmp, epb);
            memcpy(o, (char *)tmp + skip * es, (stop - skip) * es);
        }
        if (end % epb && b1 >= b0) {            /* the tail: part of block b1 */
            fi_tile(p, fi_layout_at(words, layout, b1), tmp, epb);
            memcpy(o + (b1 * epb - skip) * es, tmp, (end - b1 * epb) * es);
        }
        o += take * es;
        n -= take;
        chunk += len;
        skip = 0;
    }
}

/* Groups of FI_PHILOX_STEP blocks from arbitrary counters (philox.h). */
#ifndef FI_PHILOX_GROUPS
#define FI_PHILOX_GROUPS(k, ctr, ng, out, layout, stride)                                  \
    fi_philox_groups_scalar(k, ctr, ng, FI_PHILOX_STEP, out, layout, stride)
#endif

#if defined(_MSC_VER)
#define FI_NOINLINE __declspec(noinline)
#else
#define FI_NOINLINE __attribute__((noinline))
#endif

/* Out of line: inlined into FI_RUNS, GCC kept the Philox state of a pass in
 * stack slots (a load and store per operation, +50% on the whole fill). */
static FI_NOINLINE void fi_runs_words(const fi_philox_key *k, const uint64_t *ctr, size_t ng,
                                      uint32_t *words, fi_layout layout)
{
    FI_PHILOX_GROUPS(k, ctr, ng, words, layout, FI_TILE / 2);
}

/* k short runs (fi_runs_fn).  Each run's chunk is the one FI_RUN would make
 * of it, but the chunks of as many runs as the word buffer holds are
 * generated together, each padded to whole groups: one key set-up and full
 * vector passes for all of them, where FI_RUN per run of 64 pays a set-up
 * and a half-empty pass each.  The transform then runs per chunk, exactly
 * as in FI_RUN, so the values are FI_RUN's. */
void FI_RUNS(const fi_plan *p, uint64_t first, size_t n, uint64_t lstep, size_t k, void *out,
             int64_t mstep)
{
    /* epb is 2 or 4: shifts and masks, as a division per run would cost
     * about a cycle per element of a 64-element run */
    const unsigned wpe = fi_words_per_element(p->kernel), sh = wpe == 2 ? 1 : 2;
    const unsigned epb = 4 / wpe, mask = epb - 1;
    const size_t es = fi_elsize(p->dtype);
    const fi_layout layout = fi_layout_of(p->kernel);
    /* every layout holds FI_TILE elements: FI_TILE / epb blocks */
    enum { G = FI_PHILOX_STEP, MAXG = FI_TILE / 2 / FI_PHILOX_STEP };
    const size_t cap = FI_TILE / epb / G;          /* groups the buffer holds */
    uint32_t words[FI_TILE * 2];
    uint64_t ctr[MAXG];
    double tmp[4], buf[FI_TILE];
    char *const o0 = (char *)out;
    /* every run starting on a block and whole groups long (a transposed
     * kernel's panel rows): the same groups for each, counted once */
    const size_t whole = ((first | lstep) & mask) == 0 && n % (G * epb) == 0 && n <= FI_TILE
                             ? n / (G * epb) : 0;
    size_t r = 0;
    while (r < k) {
        /* the runs r .. r2 - 1 whose chunks fit the buffer together */
        size_t ng = 0, r2 = r;
        int gapless = 1;                             /* whole groups, no partial blocks */
        if (whole) {
            r2 = k - r < cap / whole ? k : r + cap / whole;
            for (size_t i = r; i < r2; i++)
                for (size_t g = 0; g < whole; g++)
                    ctr[ng++] = ((first + i * lstep) >> sh) + (uint64_t)(g * G);
        }
        for (; !whole && r2 < k; r2++) {
            const uint64_t f = first + r2 * lstep;
            const uint64_t blk = f >> sh;
            const size_t nb = (size_t)(((f & mask) + n + mask) >> sh);
            const size_t gr = (nb + G - 1) / G;
            if (ng + gr > cap)
                break;
            gapless &= (f & mask) == 0 && n == gr * G * epb;
            for (size_t g = 0; g < gr; g++)
                ctr[ng + g] = blk + (uint64_t)(g * G);
            ng += gr;
        }
        if (r2 == r) {                               /* a run longer than a tile */
            FI_RUN(p, first + r * lstep, n, o0 + (int64_t)r * mstep);
            r++;
            continue;
        }
        fi_runs_words(&p->key, ctr, ng, words, layout);
        if (gapless) {
            /* the runs' blocks lie back to back in words: one transform of
             * them all, as one tile (every transform is block-local, which
             * FI_RUN's partial blocks rely on too), so that short runs get
             * the long-tile code of each transform */
            const size_t len = (r2 - r) * n;
            char *o = o0 + (int64_t)r * mstep;
            if (mstep == (int64_t)(n * es)) {
                fi_tile(p, words, o, len);
            } else {
                fi_tile(p, words, buf, len);
                for (size_t i = 0; i < r2 - r; i++)
                    memcpy(o + (int64_t)i * mstep, (char *)buf + i * n * es, n * es);
            }
            r = r2;
            continue;
        }
        size_t at = 0;                               /* the run's first block in words */
        for (; r < r2; r++) {
            const uint64_t f = first + r * lstep;
            const size_t skip = (size_t)(f & mask), end = skip + n;
            const size_t nb = (end + mask) >> sh;
            char *o = o0 + (int64_t)r * mstep;
            uint32_t *w = fi_layout_at(words, layout, at);
            const size_t b0 = (skip + mask) >> sh, b1 = end >> sh;
            if (b0 < b1)
                fi_tile(p, fi_layout_at(w, layout, b0), o + (b0 * epb - skip) * es,
                        (b1 - b0) * epb);
            if (skip) {
                size_t stop = end < epb ? end : epb;
                fi_tile(p, w, tmp, epb);
                memcpy(o, (char *)tmp + skip * es, (stop - skip) * es);
            }
            if ((end & mask) && b1 >= b0) {
                fi_tile(p, fi_layout_at(w, layout, b1), tmp, epb);
                memcpy(o + (b1 * epb - skip) * es, tmp, (end - b1 * epb) * es);
            }
            at += (nb + G - 1) / G * G;
        }
    }
}

static void fi_tile(const fi_plan *p, const uint32_t *words, void *dst, size_t n)
{
    float f[FI_TILE];
    const int narrow = p->dtype == FI_F16 || p->dtype == FI_BF16;
    float *f32 = narrow ? f : (float *)dst;
    switch (p->kernel) {
    case FI_K_BITS:
        memcpy(dst, words, n * 4);
        return;
    case FI_K_UNIFORM32:
        fi_uniform32(&p->f, words, f32, n);
        break;
    case FI_K_UNIFORM64:
        fi_uniform64(&p->d, words, (double *)dst, n);
        return;
    case FI_K_NORMAL32:
        fi_normal32(&p->f, words, words + FI_TILE / 2, f32, n / 2);
        break;
    case FI_K_NORMAL64:
        fi_normal64(&p->d, words, FI_TILE / 2, (double *)dst, n / 2);
        return;
    case FI_K_TRUNC32:
        fi_trunc32(&p->f, words, f32, n);
        break;
    case FI_K_TRUNC32_VIA64:
        fi_trunc32_via64(&p->d, words, f32, n);
        break;
    case FI_K_TRUNC64:
        fi_trunc64(&p->d, words, (double *)dst, n);
        return;
    case FI_K_TAIL32:
        for (size_t i = 0; i < n; i++) {
            double u = ((double)(int32_t)(words[i] >> 8) + 0.5) * 0x1p-24;
            float x = (float)(p->d.mean + p->d.std * fi_tail_sample(&p->d, u));
            x = x >= p->f.lo ? x : p->f.lo;          /* (a NaN becomes lo) */
            f32[i] = x <= p->f.hi ? x : p->f.hi;
        }
        break;
    case FI_K_TAIL64:
        for (size_t i = 0; i < n; i++) {
            double u = (fi_u53(words[2 * i], words[2 * i + 1]) + 0x1p-54);
            double x = p->d.mean + p->d.std * fi_tail_sample(&p->d, u);
            x = x >= p->d.lo ? x : p->d.lo;
            ((double *)dst)[i] = x <= p->d.hi ? x : p->d.hi;
        }
        return;
    default:
        return;
    }
    if (narrow)
        fi_store_narrow(p->dtype, f32, dst, n);
}
