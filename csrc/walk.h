/* The walk over a strided block of a global tensor, for one thread's range
 * of the block's C-order indices.
 *
 * Element j of the block (C-order multi-index idx) has the logical index
 * base + sum(idx[d] * lstride[d]): base and the logical strides come from
 * the global shape and the block's start (the binding computes them), and
 * a whole array is the block with lstride = its own C-order strides.
 * Logical indices run consecutively over the trailing axes where the block
 * spans the global tensor ("a logical run": a row of a column shard, a
 * whole contiguous array).  Each run is generated in tiles aligned to
 * FI_TILE in the logical index, straight into the output where its memory
 * is contiguous and else into a stack buffer that is scattered by memory
 * strides, so the cost per element does not depend on the layout.
 *
 * Nothing here allocates or keeps state. */
#ifndef FASTINIT_WALK_H
#define FASTINIT_WALK_H

#include <string.h>

#include "fastinit_core.h"
#include "philox.h"            /* FI_ALWAYS_INLINE */

#define FI_MAX_NDIM 64
/* A panel: panel_width rows of up to FI_PANEL_LEN elements each, in a
 * buffer of FI_PANEL_BYTES on the stack, or of FI_PANEL_SCRATCH that the
 * fill's owner allocates for each of its threads (fi_fill, for large
 * fills).  The size changes which rows a panel holds, never a value. */
#define FI_PANEL_LEN 256
#define FI_PANEL_BYTES 16384
#define FI_PANEL_SCRATCH (256 * 1024)
/* What all panels of a chunk may write while its lines stay in cache.  Small:
 * the view positions of a transposed array are usually a power of two of
 * bytes apart, so their lines share a few cache sets (measured: 64 KiB
 * 20% faster than 512 KiB on a transposed kernel, 32 KiB with chunks of 16
 * twice as slow, the Philox groups then half empty) */
#define FI_PANEL_CACHE (64 * 1024)

typedef struct fi_job {
    const fi_plan *plan;
    fi_kernel_fn run;
    fi_runs_fn runs;                 /* the same path's many-short-runs entry */
    char *data;
    int ndim;
    const int64_t *shape, *strides;  /* the block: elements, bytes (any sign) */
    const uint64_t *lstride;         /* logical index step per axis */
    uint64_t base;                   /* logical index of element 0 */
    uint64_t size;                   /* elements of the block */
    size_t es;
    int run_axis;                    /* logical runs span axes run_axis.. */
    uint64_t run_len;                /* elements per logical run */
    uint64_t direct_len;             /* memory-contiguous, aligned elements at the
                                        end of each run's axes: whole runs or rows */
    /* panels (see fi_fill_panels): the axis innermost in memory but not
     * logically, and the block without that axis */
    int panel_axis;                  /* -1: no panels */
    int panel_axis2;                 /* -1, or the axis folded into the rows */
    uint64_t panel_rows;             /* rows: shape[panel_axis] (x shape[panel_axis2]) */
    uint64_t panel_width;            /* rows per panel */
    uint64_t panel_chunk;            /* view positions per chunk */
    size_t panel_bytes;              /* each thread's panel buffer */
    const struct fi_job *view;
} fi_job;

/* Fills in a job's layout fields from its shape, strides and lstride. */
static void fi_job_layout(fi_job *j)
{
    const int last = j->ndim - 1;
    int k = last;
    uint64_t len = (uint64_t)j->shape[last];
    while (k > 0 && j->lstride[k - 1] == j->lstride[k] * (uint64_t)j->shape[k]) {
        k--;
        len *= (uint64_t)j->shape[k];
    }
    j->run_axis = k;
    j->run_len = len;
    /* the trailing axes (within the run) laid out C-contiguously in memory */
    uint64_t direct = 1;
    int aligned = (uintptr_t)j->data % j->es == 0;
    for (int d = 0; d < j->ndim; d++)
        aligned = aligned && j->strides[d] % (int64_t)j->es == 0;
    if (aligned) {
        for (int d = last; d >= k; d--) {
            if (j->shape[d] != 1 && j->strides[d] != (int64_t)(direct * j->es))
                break;
            direct *= (uint64_t)j->shape[d];
        }
    }
    j->direct_len = aligned ? direct : 0;
}

/* The memory position and multi-index of the block's C-order index i. */
static char *fi_locate(const fi_job *j, uint64_t i, int64_t *idx)
{
    char *ptr = j->data;
    for (int d = j->ndim - 1; d >= 0; d--) {
        idx[d] = (int64_t)(i % (uint64_t)j->shape[d]);
        i /= (uint64_t)j->shape[d];
        ptr += idx[d] * j->strides[d];
    }
    return ptr;
}

static uint64_t fi_logical(const fi_job *j, const int64_t *idx)
{
    uint64_t e = j->base;
    for (int d = 0; d < j->ndim; d++)
        e += (uint64_t)idx[d] * j->lstride[d];
    return e;
}

/* Advance (idx, ptr) by m elements in C order: m added to the multi-index
 * as a mixed-radix number, so that a stretch of many short rows (a C-order
 * (N, 1) or (N, 2) array) costs a few divisions, not a step per row (which
 * made those arrays x3-5 slower than a flat one).  Past the last element,
 * idx[0] may reach shape[0].  Always inlined: called out of line (as GCC
 * chose once fi_panel_part grew) it cost a transposed kernel 5% more
 * instructions. */
static FI_ALWAYS_INLINE char *fi_advance(const fi_job *j, int64_t *idx, char *ptr,
                                          uint64_t m)
{
    const int last = j->ndim - 1;
    if (m < (uint64_t)(j->shape[last] - idx[last])) {
        idx[last] += (int64_t)m;
        return ptr + (int64_t)m * j->strides[last];
    }
    uint64_t carry = m;
    for (int d = last; d >= 0 && carry > 0; d--) {
        const uint64_t v = (uint64_t)idx[d] + carry, n = (uint64_t)j->shape[d];
        const uint64_t nv = d > 0 ? v % n : v;
        carry = d > 0 ? v / n : 0;
        ptr += ((int64_t)nv - idx[d]) * j->strides[d];
        idx[d] = (int64_t)nv;
    }
    return ptr;
}

/* Copy n elements from src (packed) to the block from (idx, ptr) on in C
 * order; returns the position after them.  Per-size copies so that each
 * element is one (possibly unaligned) move. */
#define FI_SCATTER_AS(T)                                                    \
    for (uint64_t e = 0; e < c; e++)                                        \
        memcpy(ptr + (int64_t)e * step, s + e * sizeof(T), sizeof(T))

/* Whole rows of `bytes` bytes each, memory-contiguous, `rstep` apart: a
 * fixed-size copy per row for the short rows of a reversed or padded (N, 2)
 * or (N, 4), where a memcpy call and an fi_advance per row cost more than
 * the row's values. */
#define FI_ROWS_AS(B)                                                       \
    for (uint64_t r = 0; r < rows; r++)                                     \
        memcpy(ptr + (int64_t)r * rstep, src + r * (B), (B))

static void fi_copy_rows(char *ptr, int64_t rstep, const char *src, size_t bytes, uint64_t rows)
{
    switch (bytes) {
    case 4: FI_ROWS_AS(4); break;
    case 8: FI_ROWS_AS(8); break;
    case 16: FI_ROWS_AS(16); break;
    case 32: FI_ROWS_AS(32); break;
    default:
        for (uint64_t r = 0; r < rows; r++)
            memcpy(ptr + (int64_t)r * rstep, src + r * bytes, bytes);
    }
}
#undef FI_ROWS_AS

static char *fi_scatter(const fi_job *j, const char *src, uint64_t n, int64_t *idx,
                        char *ptr)
{
    const int last = j->ndim - 1;
    const int64_t step = j->strides[last];
    const size_t es = j->es;
    while (n > 0) {
        const uint64_t len = (uint64_t)j->shape[last];
        if (last > 0 && idx[last] == 0 && step == (int64_t)es && n >= 2 * len) {
            /* whole memory-contiguous rows of the last axis, as many as are
             * left on the axis before it */
            uint64_t rows = (uint64_t)(j->shape[last - 1] - idx[last - 1]);
            rows = rows < n / len ? rows : n / len;
            const int64_t rstep = j->strides[last - 1];
            fi_copy_rows(ptr, rstep, src, (size_t)(len * es), rows);
            src += rows * len * es;
            n -= rows * len;
            ptr = fi_advance(j, idx, ptr, rows * len);
            continue;
        }
        uint64_t room = (uint64_t)(j->shape[last] - idx[last]);
        uint64_t c = n < room ? n : room;
        const char *s = src;
        if (step == (int64_t)es)
            memcpy(ptr, s, c * es);
        else if (es == 2)
            FI_SCATTER_AS(uint16_t);
        else if (es == 4)
            FI_SCATTER_AS(uint32_t);
        else
            FI_SCATTER_AS(uint64_t);
        src += c * es;
        n -= c;
        ptr = fi_advance(j, idx, ptr, c);
    }
    return ptr;
}
#undef FI_SCATTER_AS

/* The block's elements lo..hi-1. */
static void fi_fill_range(const fi_job *j, uint64_t lo, uint64_t hi)
{
    int64_t idx[FI_MAX_NDIM];
    char *ptr = fi_locate(j, lo, idx);
    double buf[FI_TILE];
    uint64_t i = lo;
    while (i < hi) {
        /* what is left of this logical run, and of the range */
        uint64_t in_run = i % j->run_len;
        uint64_t m = j->run_len - in_run;
        if (m > hi - i)
            m = hi - i;
        const uint64_t e = fi_logical(j, idx);
        const int ra = j->run_axis;
        if (in_run == 0 && ra > 0 && j->direct_len == j->run_len && j->run_len < FI_TILE &&
            hi - i >= 2 * j->run_len) {
            /* short memory-contiguous runs, one per step of axis ra - 1
             * (a column shard's rows): all that are left on that axis, in
             * one call that sets Philox up once for all of them */
            uint64_t k = (uint64_t)(j->shape[ra - 1] - idx[ra - 1]);
            k = k < (hi - i) / j->run_len ? k : (hi - i) / j->run_len;
            j->runs(j->plan, e, (size_t)j->run_len, j->lstride[ra - 1], (size_t)k, ptr,
                    j->strides[ra - 1]);
            ptr = fi_advance(j, idx, ptr, k * j->run_len);
            i += k * j->run_len;
            continue;
        }
        if (j->direct_len == j->run_len || j->direct_len >= FI_TILE) {
            /* a memory-contiguous stretch: the rest of this one, at most */
            uint64_t rest = j->direct_len - in_run % j->direct_len;
            m = m < rest ? m : rest;
            j->run(j->plan, e, (size_t)m, ptr);
            ptr = fi_advance(j, idx, ptr, m);
        } else {
            /* one tile, ending at a multiple of FI_TILE of the logical index */
            uint64_t to_edge = FI_TILE - e % FI_TILE;
            m = m < to_edge ? m : to_edge;
            j->run(j->plan, e, (size_t)m, buf);
            ptr = fi_scatter(j, (const char *)buf, m, idx, ptr);
        }
        i += m;
    }
}

/* Panels, for blocks whose memory-innermost axis m is not the logical one
 * (a transposed kernel, Fortran order): the logical runs of panel_width
 * neighbouring positions along m are generated side by side (rows of a
 * stack buffer) and written out transposed, so that each view position
 * gets panel_width consecutive elements of memory (whole cache lines)
 * instead of one element each.  The view is the block without axis m.
 *
 * Work is counted in units of (view position, panel), chunk-major: chunk c
 * of L = panel_chunk view positions takes q in [c L P, (c + 1) L P) (P
 * panels; the last chunk is shorter), panel by panel.  All panels of a
 * chunk in turn write whole stretches of memory along m for the chunk's
 * positions while they are in cache (L is chosen so that they fit); panel-
 * major, each pass over a transposed kernel touched one line in every 2 KiB
 * of it.  The chunk's positions are located once for all its panels. */
/* Row r of the stack buffer goes to memory slot r of a position (the
 * slots ascending in memory); when axis m runs backwards in memory, slot s
 * holds row rows - 1 - s, so the gathers read the buffer's rows through
 * `top` (row 0's, or the last's) and a signed `pitch` (+-mt).  Rows r0 ..
 * rows - 1 of position p, an element per move. */
#define FI_GATHER_AS(T)                                                          \
    do {                                                                         \
        for (uint64_t r = r0; r < rows; r++) {                                   \
            T x;                                                                 \
            memcpy(&x, top + ((int64_t)r * pitch + (int64_t)p) * (int64_t)sizeof(T), \
                   sizeof(T));                                                   \
            memcpy(dst + r * sizeof(T), &x, sizeof(T));                          \
        }                                                                        \
    } while (0)

static void fi_gather_rows(const char *top, int64_t pitch, uint64_t p, uint64_t r0,
                           uint64_t rows, size_t es, char *dst)
{
    if (es == 2)
        FI_GATHER_AS(uint16_t);
    else if (es == 4)
        FI_GATHER_AS(uint32_t);
    else
        FI_GATHER_AS(uint64_t);
}
#undef FI_GATHER_AS

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define FI_HAVE_GATHER4 1
/* 4-byte elements, positions p .. p + 3 (d[0] .. d[3]), the first rows & ~3
 * rows: 4 x 4 transposes instead of an element per load and store, which
 * was most of the cost of a transposed uniform fill.  Float moves and
 * shuffles only: the bits go through unchanged.  Returns the rows done. */
static uint64_t fi_gather4(const char *top, int64_t pitch, uint64_t p, uint64_t rows,
                           char *const *d)
{
    const float *s = (const float *)(const void *)top + (int64_t)p;
    const int64_t p2 = 2 * pitch, p3 = 3 * pitch, p4 = 4 * pitch;
    uint64_t r = 0;
    for (; r + 4 <= rows; r += 4, s += p4) {
        __m128 a0 = _mm_loadu_ps(s), a1 = _mm_loadu_ps(s + pitch);
        __m128 a2 = _mm_loadu_ps(s + p2), a3 = _mm_loadu_ps(s + p3);
        _MM_TRANSPOSE4_PS(a0, a1, a2, a3);
        _mm_storeu_ps((float *)(void *)(d[0] + r * 4), a0);
        _mm_storeu_ps((float *)(void *)(d[1] + r * 4), a1);
        _mm_storeu_ps((float *)(void *)(d[2] + r * 4), a2);
        _mm_storeu_ps((float *)(void *)(d[3] + r * 4), a3);
    }
    return r;
}

/* 8-byte elements, positions p and p + 1 (d[0], d[1]), the first rows & ~1
 * rows: 2 x 2 transposes (an element per load and store was ~2/3 of the
 * time of a uniform fill of a Fortran-order (N, 2), and most of the excess
 * of a transposed float64 one).  Returns the rows done. */
static uint64_t fi_gather2(const char *top, int64_t pitch, uint64_t p, uint64_t rows,
                           char *const *d)
{
    const double *s = (const double *)(const void *)top + (int64_t)p;
    uint64_t r = 0;
    for (; r + 2 <= rows; r += 2, s += 2 * pitch) {
        __m128d a = _mm_loadu_pd(s), c = _mm_loadu_pd(s + pitch);
        _mm_storeu_pd((double *)(void *)(d[0] + r * 8), _mm_unpacklo_pd(a, c));
        _mm_storeu_pd((double *)(void *)(d[1] + r * 8), _mm_unpackhi_pd(a, c));
    }
    return r;
}

/* The two positions of a row pair (a Fortran-order (N, 2)) of 4-byte
 * elements: rows unzipped into d[0] and d[1] with shuffles.  Returns the
 * slots done; the caller copies the rest. */
static uint64_t fi_unzip2(const char *top, int64_t pitch, uint64_t rows, char *const *d)
{
    uint64_t r = 0;
    if (pitch > 0) {            /* slots r .. r + 3: rows r .. r + 3, two per load */
        for (; r + 4 <= rows; r += 4) {
            const float *s = (const float *)(const void *)top + 2 * r;
            __m128 a = _mm_loadu_ps(s), c = _mm_loadu_ps(s + 4);
            _mm_storeu_ps((float *)(void *)(d[0] + r * 4), _mm_shuffle_ps(a, c, 0x88));
            _mm_storeu_ps((float *)(void *)(d[1] + r * 4), _mm_shuffle_ps(a, c, 0xDD));
        }
    } else {                    /* the same rows backwards: each load's pair swapped */
        for (; r + 4 <= rows; r += 4) {
            const float *s = (const float *)(const void *)top - 2 * (int64_t)(r + 1);
            __m128 a = _mm_loadu_ps(s), c = _mm_loadu_ps(s - 4);
            _mm_storeu_ps((float *)(void *)(d[0] + r * 4), _mm_shuffle_ps(a, c, 0x22));
            _mm_storeu_ps((float *)(void *)(d[1] + r * 4), _mm_shuffle_ps(a, c, 0x77));
        }
    }
    return r;
}
#endif

/* View positions pos .. pos + n - 1: each one's memory offset from the
 * block's data and its logical index.  Once per chunk, for all its panels:
 * stepping the multi-index per panel (a division at every carry of a
 * kernel's 3 x 3) was a fifth of a transposed kernel's instructions. */
static void fi_chunk_positions(const fi_job *v, uint64_t pos, uint64_t n, int64_t *off,
                               uint64_t *logical)
{
    const int last = v->ndim - 1;
    const int64_t step = v->strides[last];
    const uint64_t lstep = v->lstride[last];
    int64_t idx[FI_MAX_NDIM];
    char *ptr = fi_locate(v, pos, idx);
    for (uint64_t k = 0; k < n;) {
        /* to the end of the last axis: a stride and a logical step apart */
        uint64_t c = (uint64_t)(v->shape[last] - idx[last]);
        c = c < n - k ? c : n - k;
        const int64_t o = ptr - v->data;
        const uint64_t e = fi_logical(v, idx);
        for (uint64_t i = 0; i < c; i++) {
            off[k + i] = o + (int64_t)i * step;
            logical[k + i] = e + i * lstep;
        }
        ptr = fi_advance(v, idx, ptr, c);
        k += c;
    }
}

/* Panel `panel`, view positions pos .. pos + len - 1 (within one chunk),
 * whose offsets and logical indices are off[0 ..] and logical[0 ..]. */
static void fi_panel_part(const fi_job *j, uint64_t panel, uint64_t pos, uint64_t len,
                          const int64_t *off, const uint64_t *logical, char *b)
{
    const fi_job *v = j->view;
    const int m = j->panel_axis, a2 = j->panel_axis2;
    const uint64_t w = j->panel_width, size_m = j->panel_rows;
    const uint64_t first_m = panel * w;
    const uint64_t rows = size_m - first_m < w ? size_m - first_m : w;
    const uint64_t lm = j->lstride[m];
    /* rows r of a folded axis a2: (r / sm) along a2, (r % sm) along m */
    const uint64_t sm = a2 < 0 ? size_m : (uint64_t)j->shape[m];
    const uint64_t l2 = a2 < 0 ? 0 : j->lstride[a2];
    const size_t es = j->es;
    /* axis m backwards in memory: a position's slots start at its last row */
    const int64_t lowest = j->strides[m] < 0 ? (int64_t)(rows - 1) * j->strides[m] : 0;
    char *const base = j->data + (int64_t)first_m * j->strides[m] + lowest;
    for (uint64_t k = 0; k < len;) {
        uint64_t mt = v->run_len - (pos + k) % v->run_len;
        mt = mt < len - k ? mt : len - k;
        if (a2 < 0 && lm == mt && mt == v->run_len) {
            /* the rows follow each other in the stream (Fortran order with a
             * short last axis): one run of rows x mt */
            j->run(j->plan, logical[k] + first_m * lm, (size_t)(rows * mt), b);
        } else {
            /* the rows of each value along a2 (all rows when there is none) */
            for (uint64_t r = 0; r < rows;) {
                const uint64_t at = first_m + r, im = at % sm;
                const uint64_t n = sm - im < rows - r ? sm - im : rows - r;
                j->runs(j->plan, logical[k] + im * lm + at / sm * l2, (size_t)mt, lm, (size_t)n,
                        b + r * mt * es, (int64_t)(mt * es));
                r += n;
            }
        }
        const int64_t pitch = lowest < 0 ? -(int64_t)mt : (int64_t)mt;
        const char *top = lowest < 0 ? b + (rows - 1) * mt * es : b;
        const int64_t *o = off + k;
        /* out[view position p, first_m + r] = row r, element p */
        uint64_t p = 0;
#if defined(FI_HAVE_GATHER4)
        if (mt == 2 && es == 4) {
            char *d[2] = {base + o[0], base + o[1]};
            const uint64_t done = fi_unzip2(top, pitch, rows, d);
            for (; p < 2; p++)
                fi_gather_rows(top, pitch, p, done, rows, es, d[p]);
        }
        for (; es == 8 && p + 2 <= mt; p += 2) {
            char *d[2] = {base + o[p], base + o[p + 1]};
            const uint64_t done = fi_gather2(top, pitch, p, rows, d);
            for (uint64_t i = 0; done < rows && i < 2; i++)
                fi_gather_rows(top, pitch, p + i, done, rows, es, d[i]);
        }
        for (; es == 4 && p + 4 <= mt; p += 4) {
            char *d[4] = {base + o[p], base + o[p + 1], base + o[p + 2], base + o[p + 3]};
            const uint64_t done = fi_gather4(top, pitch, p, rows, d);
            for (uint64_t i = 0; done < rows && i < 4; i++)
                fi_gather_rows(top, pitch, p + i, done, rows, es, d[i]);
        }
#endif
        for (; p < mt; p++)
            fi_gather_rows(top, pitch, p, 0, rows, es, base + o[p]);
        k += mt;
    }
}

/* Units lo .. hi - 1 of j's panels, through buf (j->panel_bytes, or NULL:
 * then FI_PANEL_BYTES on this stack). */
static void fi_fill_panels(const fi_job *j, uint64_t lo, uint64_t hi, char *buf)
{
    const uint64_t V = j->view->size, w = j->panel_width;
    const uint64_t np = (j->panel_rows + w - 1) / w;
    const uint64_t L = j->panel_chunk, span = L * np;   /* q per whole chunk */
    double stack[FI_PANEL_BYTES / sizeof(double)];
    char *const b = buf != NULL ? buf : (char *)stack;
    int64_t off[FI_PANEL_LEN];
    uint64_t logical[FI_PANEL_LEN];
    uint64_t located = UINT64_MAX;                      /* the chunk in off */
    uint64_t q = lo;
    while (q < hi) {
        const uint64_t c = q / span, at = q - c * span;
        const uint64_t c0 = c * L;
        const uint64_t lc = V - c0 < L ? V - c0 : L;
        const uint64_t panel = at / lc, first = at % lc;
        uint64_t len = lc - first;
        len = len < hi - q ? len : hi - q;
        if (c != located) {
            fi_chunk_positions(j->view, c0, lc, off, logical);
            located = c;
        }
        fi_panel_part(j, panel, c0 + first, len, off + first, logical + first, b);
        q += len;
    }
}

/* Whether to fill j in panels along its memory-innermost axis, and the view
 * without that axis (its arrays in *store).  Worth it when that axis is not
 * the last, its neighbours are close in memory and the logical runs of the
 * rest are long enough to generate in tiles. */
typedef struct {
    fi_job job;
    int64_t shape[FI_MAX_NDIM], strides[FI_MAX_NDIM];
    uint64_t lstride[FI_MAX_NDIM];
} fi_view_store;

/* The view of j without axes m and a2 (a2 < 0: without m only), in *store. */
static fi_job *fi_view_without(const fi_job *j, int m, int a2, fi_view_store *store)
{
    fi_job *v = &store->job;
    *v = *j;
    v->ndim = 0;
    uint64_t gone = (uint64_t)j->shape[m] * (a2 < 0 ? 1 : (uint64_t)j->shape[a2]);
    for (int d = 0; d < j->ndim; d++) {
        if (d == m || d == a2)
            continue;
        store->shape[v->ndim] = j->shape[d];
        store->strides[v->ndim] = j->strides[d];
        store->lstride[v->ndim] = j->lstride[d];
        v->ndim++;
    }
    v->shape = store->shape;
    v->strides = store->strides;
    v->lstride = store->lstride;
    v->size = j->size / gone;
    fi_job_layout(v);
    return v;
}

/* Plans j's panels for a buffer of `bytes` (FI_PANEL_BYTES or
 * FI_PANEL_SCRATCH) per thread; returns whether j is filled in panels. */
static int fi_plan_panels(fi_job *j, fi_view_store *store, size_t bytes)
{
    j->panel_axis = -1;
    if (j->ndim < 2 || j->direct_len == j->run_len || j->direct_len >= FI_TILE)
        return 0;
    int m = -1;
    for (int d = 0; d < j->ndim; d++) {
        int64_t a = j->strides[d] < 0 ? -j->strides[d] : j->strides[d];
        if (j->shape[d] > 1 && (m < 0 || a < (j->strides[m] < 0 ? -j->strides[m] : j->strides[m])))
            m = d;
    }
    if (m < 0 || m == j->ndim - 1 ||
        (j->strides[m] != (int64_t)j->es && j->strides[m] != -(int64_t)j->es))
        return 0;
    /* A short column along m (a Fortran-order 3-D array's 64 rows) that
     * memory continues along another axis a2: the rows are both axes, so
     * that a position gets the KiB of all its columns at once.  With m alone,
     * a position's neighbouring column along a2 (the next bytes of memory)
     * came a whole sweep of the view later: a (64, 64, 512) float32 uniform
     * fill took x1.80-2.32 its C-order fill's time, x1.54-2.27 folded. */
    const uint64_t sm = (uint64_t)j->shape[m];
    int a2 = -1;
    for (int d = 0; d < j->ndim && j->ndim > 2 && sm * j->es * 32 <= bytes; d++)
        if (d != m && j->shape[d] > 1 && j->strides[d] == (int64_t)sm * j->strides[m])
            a2 = d;
    fi_job *v = a2 >= 0 ? fi_view_without(j, m, a2, store) : NULL;
    if (v == NULL || v->run_len < 64) {
        a2 = -1;
        v = fi_view_without(j, m, -1, store);
    }
    /* short view runs only where the rows follow each other in the stream
     * (then generated as one run): else a kernel call per few elements */
    const int consecutive = a2 < 0 && j->lstride[m] == v->run_len && v->run_len < FI_PANEL_LEN;
    if (v->run_len < 64 && !consecutive)
        return 0;
    /* A position's column: whole in one panel where 32 positions of it fit
     * the buffer; else chunks of positions whose columns fit FI_PANEL_CACHE
     * (32 at least: a float32 row of them is one whole Philox group), and
     * panels as wide as the buffer then holds, in whole cache lines, so
     * that each position gets several lines at once (16-row panels, a line
     * per position, were slower; so were 32- and 64-row ones). */
    const uint64_t rows = a2 < 0 ? sm : sm * (uint64_t)j->shape[a2], col = rows * j->es;
    uint64_t chunk, w;
    if (col * 32 <= bytes) {
        chunk = bytes / col;
        chunk = chunk < FI_PANEL_LEN ? chunk : FI_PANEL_LEN;
        w = rows;
    } else {
        chunk = FI_PANEL_CACHE / col;
        chunk = chunk < 32 ? 32 : chunk > FI_PANEL_LEN ? FI_PANEL_LEN : chunk;
        const uint64_t mt = chunk < v->size ? chunk : v->size;   /* the widest part */
        w = bytes / (mt * j->es);
        w = w > 64 / j->es ? w - w % (64 / j->es) : w;
        w = w < rows ? w : rows;
    }
    j->panel_axis = m;
    j->panel_axis2 = a2;
    j->panel_rows = rows;
    j->panel_width = w;
    j->panel_chunk = chunk;
    j->panel_bytes = bytes;
    j->view = v;
    return 1;
}

#endif
