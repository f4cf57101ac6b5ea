/* Truncated normal transform: inverse CDF.  For x ~ N(0,1) restricted to
 * [a, b], p = Phi(a) + u (Phi(b) - Phi(a)) and x = Phi^-1(p).
 *
 * Accuracy in the tails comes from never forming p near 1: the plan mirrors
 * the interval so that a + b <= 0 (then most of it lies in the lower half),
 * and keeps both p and 1 - p as sums of small exact terms:
 *     p     = c0 + k dw,          c0 = Phi(a) + dw/2
 *     1 - p = c1 + (K - 1 - k) dw, c1 = Q(b) + dw/2   (Q(t) = Phi(-t))
 * with k the integer draw (K = 2^24 for float, 2^53 for double), dw =
 * (Phi(b) - Phi(a)) / K, so u = (k + 1/2) / K is never 0 or 1.  The branch
 * whose probability is below 1/2 goes through Phi^-1, which is evaluated
 * with AS 241 (Wichura 1988): PPND7 in float, PPND16 in double.
 *
 * float32 element i takes word i (k = w >> 8); float64 element i takes words
 * 2i, 2i+1 (k as in uniform.h).  Results are clamped to the bounds rounded
 * inwards, which moves only values already within an ulp of a bound. */
#ifndef FASTINIT_TRUNCNORM_H
#define FASTINIT_TRUNCNORM_H

#include <math.h>

#include "fastinit_core.h"
#include "polymath.h"
#include "uniform.h"

/* Phi^-1(p) for p in (0, ~0.5] by AS 241: a rational function of q = p - 1/2
 * in the centre (q >= -0.425) and of r = sqrt(-ln p) in the tail.  The tail
 * costs a log, a square root and a second division, and for the common
 * +-2 sigma interval only ~11% of draws need it, so a tile is done in three
 * passes: the centre for every element, then the tail only for the indices
 * that need it, gathered into a dense, vectorizable loop.  Each element still
 * sees exactly the operations of its own branch: the bits do not depend on
 * which neighbours share its vector. */
/* PPND7 (float, ~1e-7 relative). */
static inline float fi_ndtri_centralf(float q)
{
    float rc = 0.180625f - q * q;
    float nc = q * fi_fmaf(fi_fmaf(fi_fmaf(59.109374720f, rc, 159.29113202f), rc, 50.434271938f), rc,
                        3.3871327179f);
    float dc = fi_fmaf(fi_fmaf(fi_fmaf(67.187563600f, rc, 78.757757664f), rc, 17.895169469f), rc, 1.0f);
    return nc / dc;
}

static inline float fi_ndtri_tailf(float p)
{
    float r = sqrtf(-fi_logf(p));
    int32_t far = r > 5.0f;
    float t = far ? r - 5.0f : r - 1.6f;
    float e0 = far ? 6.6579051150f : 1.4234372777f;
    float e1 = far ? 3.0812263860f : 2.7568153900f;
    float e2 = far ? 0.42868294337f : 1.3067284816f;
    float e3 = far ? 0.017337203997f : 0.17023821103f;
    float f1 = far ? 0.24197894225f : 0.73700164250f;
    float f2 = far ? 0.012258202635f : 0.12021132975f;
    float nt = -fi_fmaf(fi_fmaf(fi_fmaf(e3, t, e2), t, e1), t, e0);
    float dt = fi_fmaf(fi_fmaf(f2, t, f1), t, 1.0f);
    return nt / dt;
}

/* PPND16 (double, ~1e-16 relative). */
static inline double fi_ndtri_central(double q)
{
    double rc = 0.180625 - q * q;
    double nc = q * fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(2.5090809287301226727e+03, rc,
              3.3430575583588128105e+04), rc, 6.7265770927008700853e+04), rc,
              4.5921953931549871457e+04), rc, 1.3731693765509461125e+04), rc,
              1.9715909503065514427e+03), rc, 1.3314166789178437745e+02), rc,
              3.3871328727963666080e+00);
    double dc = fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(5.2264952788528545610e+03, rc,
              2.8729085735721942674e+04), rc, 3.9307895800092710610e+04), rc,
              2.1213794301586595867e+04), rc, 5.3941960214247511077e+03), rc,
              6.8718700749205790830e+02), rc, 4.2313330701600911252e+01), rc, 1.0);
    return nc / dc;
}

static inline double fi_ndtri_tail(double p)
{
    static const double cn[8] = {1.42343711074968357734e+00, 4.63033784615654529590e+00,
        5.76949722146069140550e+00, 3.64784832476320460504e+00, 1.27045825245236838258e+00,
        2.41780725177450611770e-01, 2.27238449892691845833e-02, 7.74545014278341407640e-04};
    static const double cd[8] = {1.0, 2.05319162663775882187e+00, 1.67638483018380384940e+00,
        6.89767334985100004550e-01, 1.48103976427480074590e-01, 1.51986665636164571966e-02,
        5.47593808499534494600e-04, 1.05075007164441684324e-09};
    static const double fn[8] = {6.65790464350110377720e+00, 5.46378491116411436990e+00,
        1.78482653991729133580e+00, 2.96560571828504891230e-01, 2.65321895265761230930e-02,
        1.24266094738807843860e-03, 2.71155556874348757815e-05, 2.01033439929228813265e-07};
    static const double fd[8] = {1.0, 5.99832206555887937690e-01, 1.36929880922735805310e-01,
        1.48753612908506148525e-02, 7.86869131145613259100e-04, 1.84631831751005468180e-05,
        1.42151175831644588870e-07, 2.04426310338993978564e-15};
    double r = sqrt(-fi_log(p));
    int64_t far = r > 5.0;
    double t = far ? r - 5.0 : r - 1.6;
    double e[8], f[8];
    for (int i = 0; i < 8; i++) {
        e[i] = far ? fn[i] : cn[i];
        f[i] = far ? fd[i] : cd[i];
    }
    double nt = fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(e[7], t, e[6]), t, e[5]), t, e[4]), t, e[3]), t,
                                e[2]), t, e[1]), t, e[0]);
    double dt = fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(fi_fma(f[7], t, f[6]), t, f[5]), t, f[4]), t, f[3]), t,
                                f[2]), t, f[1]), t, f[0]);
    return -nt / dt;
}

/* The indices i < n (n <= FI_TILE) whose draw needs the tail branch,
 * p[i] - 1/2 < -0.425, in increasing order; returns their count.  The test
 * is the same on every path; only the way the hits are listed differs.
 * Portable: branch-free (every index is written, the count advances on a
 * hit; a loop over the set bits of a movemask mispredicts and measured 20%
 * slower).  AVX-512: one compare and one compress per vector.  AVX2: a
 * movemask and a table of lane lists.  idx needs room for FI_TILE + 16
 * entries (whole vectors are stored). */
#if defined(__AVX512F__) && defined(__AVX512VL__)
#include <immintrin.h>
#elif defined(__AVX2__)
#include <immintrin.h>
/* AVX2 has no compress: fi_lanes4[k] lists the set bits of a 4-bit mask k,
 * a nibble each from the lowest, with their count in bits 16 and up. */
static const uint32_t fi_lanes4[16] = {
    0x00000, 0x10000, 0x10001, 0x20010, 0x10002, 0x20020, 0x20021, 0x30210,
    0x10003, 0x20030, 0x20031, 0x30310, 0x20032, 0x30320, 0x30321, 0x43210,
};

/* Stores first + (the set lanes of the 8-bit mask k) at dst, in increasing
 * order, as one vector; returns how many are set. */
static inline size_t fi_put_lanes8(unsigned k, size_t first, uint32_t *dst)
{
    const __m256i nibble = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    uint32_t lo = fi_lanes4[k & 15], hi = fi_lanes4[k >> 4];
    /* the upper four lanes' nibbles +4, after the lower ones */
    uint32_t list = (lo & 0xFFFFu) | (((hi & 0xFFFFu) + 0x4444u) << (4 * (lo >> 16)));
    __m256i lanes = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)list), nibble),
                                     _mm256_set1_epi32(15));
    _mm256_storeu_si256((__m256i *)dst, _mm256_add_epi32(lanes, _mm256_set1_epi32((int)first)));
    return (lo >> 16) + (hi >> 16);
}
#endif

/* Set bits of a lane mask (< 2^16), portably (MSVC has no
 * __builtin_popcount); the compiler turns it into popcnt where it can. */
static inline size_t fi_popcount16(unsigned k)
{
    k = k - ((k >> 1) & 0x5555u);
    k = (k & 0x3333u) + ((k >> 2) & 0x3333u);
    k = (k + (k >> 4)) & 0x0F0Fu;
    return (size_t)((k + (k >> 8)) & 0x1Fu);
}

static inline size_t fi_tail_indicesf(const float *restrict p, size_t n, uint32_t *restrict idx)
{
    size_t m = 0, i = 0;
#if defined(__AVX512F__) && defined(__AVX512VL__)
    const __m512 half = _mm512_set1_ps(0.5f), edge = _mm512_set1_ps(-0.425f);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (; i + 16 <= n; i += 16) {
        __m512 q = _mm512_sub_ps(_mm512_loadu_ps(p + i), half);
        __mmask16 k = _mm512_cmp_ps_mask(q, edge, _CMP_LT_OQ);
        __m512i ids = _mm512_add_epi32(lane, _mm512_set1_epi32((int)i));
        _mm512_storeu_si512((void *)(idx + m), _mm512_maskz_compress_epi32(k, ids));
        m += fi_popcount16((unsigned)k);
    }
#elif defined(__AVX2__)
    const __m256 half = _mm256_set1_ps(0.5f), edge = _mm256_set1_ps(-0.425f);
    for (; i + 8 <= n; i += 8) {
        __m256 q = _mm256_sub_ps(_mm256_loadu_ps(p + i), half);
        unsigned k = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(q, edge, _CMP_LT_OQ));
        m += fi_put_lanes8(k, i, idx + m);
    }
#endif
    for (; i < n; i++) {
        idx[m] = (uint32_t)i;
        m += p[i] - 0.5f < -0.425f;
    }
    return m;
}

static inline size_t fi_tail_indices(const double *restrict p, size_t n, uint32_t *restrict idx)
{
    size_t m = 0, i = 0;
#if defined(__AVX512F__) && defined(__AVX512VL__)
    const __m512d half = _mm512_set1_pd(0.5), edge = _mm512_set1_pd(-0.425);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (; i + 8 <= n; i += 8) {
        __m512d q = _mm512_sub_pd(_mm512_loadu_pd(p + i), half);
        __mmask8 k = _mm512_cmp_pd_mask(q, edge, _CMP_LT_OQ);
        __m256i ids = _mm256_add_epi32(lane, _mm256_set1_epi32((int)i));
        _mm256_storeu_si256((__m256i *)(idx + m), _mm256_maskz_compress_epi32(k, ids));
        m += fi_popcount16((unsigned)k);
    }
#elif defined(__AVX2__)
    const __m256d half = _mm256_set1_pd(0.5), edge = _mm256_set1_pd(-0.425);
    for (; i + 8 <= n; i += 8) {
        __m256d q0 = _mm256_sub_pd(_mm256_loadu_pd(p + i), half);
        __m256d q1 = _mm256_sub_pd(_mm256_loadu_pd(p + i + 4), half);
        unsigned k = (unsigned)(_mm256_movemask_pd(_mm256_cmp_pd(q0, edge, _CMP_LT_OQ)) |
                                _mm256_movemask_pd(_mm256_cmp_pd(q1, edge, _CMP_LT_OQ)) << 4);
        m += fi_put_lanes8(k, i, idx + m);
    }
#endif
    for (; i < n; i++) {
        idx[m] = (uint32_t)i;
        m += p[i] - 0.5 < -0.425;
    }
    return m;
}

/* z[i] = Phi^-1(p[i]) for a tile (n <= FI_TILE), centre and tail in passes.
 * p is not const only because GCC then warns that the caller's tile "may be
 * used uninitialized" (it cannot see that the caller wrote all n). */
static inline void fi_ndtri_tilef(float *restrict p, float *restrict z, size_t n)
{
    uint32_t idx[FI_TILE + 16];
    float pt[FI_TILE], zt[FI_TILE];
    const size_t m = fi_tail_indicesf(p, n, idx);
    if (m == n) {                      /* an interval in the tail: no centre */
        for (size_t i = 0; i < n; i++)
            z[i] = fi_ndtri_tailf(p[i]);
        return;
    }
    for (size_t i = 0; i < n; i++)
        z[i] = fi_ndtri_centralf(p[i] - 0.5f);
    for (size_t j = 0; j < m; j++)
        pt[j] = p[idx[j]];
    for (size_t j = 0; j < m; j++)
        zt[j] = fi_ndtri_tailf(pt[j]);
    for (size_t j = 0; j < m; j++)
        z[idx[j]] = zt[j];
}

static inline void fi_ndtri_tile(double *restrict p, double *restrict z, size_t n)
{
    uint32_t idx[FI_TILE + 16];
    double pt[FI_TILE], zt[FI_TILE];
    const size_t m = fi_tail_indices(p, n, idx);
    if (m == n) {                      /* an interval in the tail: no centre */
        for (size_t i = 0; i < n; i++)
            z[i] = fi_ndtri_tail(p[i]);
        return;
    }
    for (size_t i = 0; i < n; i++)
        z[i] = fi_ndtri_central(p[i] - 0.5);
    for (size_t j = 0; j < m; j++)
        pt[j] = p[idx[j]];
    for (size_t j = 0; j < m; j++)
        zt[j] = fi_ndtri_tail(pt[j]);
    for (size_t j = 0; j < m; j++)
        z[idx[j]] = zt[j];
}

/* The draw's probability on the branch below 1/2 (plo for the lower branch,
 * 1 - p for the upper one, whose result is negated), then one tile of
 * Phi^-1, then scale, shift and clamp. */
static inline void fi_trunc32(const fi_consts32 *c, const uint32_t *restrict w,
                              float *restrict out, size_t n)
{
    const float c0 = c->c0, c1 = c->c1, dw = c->dw, mean = c->mean, std = c->std,
                lo = c->lo, hi = c->hi;
    float p[FI_TILE], z[FI_TILE];
    uint32_t flip[FI_TILE];
    for (size_t i = 0; i < n; i++) {
        float plo = fi_fmaf((float)(int32_t)(w[i] >> 8), dw, c0);
        float phi = fi_fmaf((float)(int32_t)(~w[i] >> 8), dw, c1);
        int32_t lower = plo <= 0.5f;
        p[i] = lower ? plo : phi;
        flip[i] = lower ? 0u : 0x80000000u;
    }
    fi_ndtri_tilef(p, z, n);
    for (size_t i = 0; i < n; i++) {
        float x = fi_fmaf(std, fi_float32(fi_bits32(z[i]) ^ flip[i]), mean);
        x = x >= lo ? x : lo;          /* (a NaN becomes lo) */
        out[i] = x <= hi ? x : hi;
    }
}

/* The same draw (24 bits, word i) for a float32 output, computed in double
 * where float would lose the interval. */
static inline void fi_trunc32_via64(const fi_consts64 *c, const uint32_t *restrict w,
                                    float *restrict out, size_t n)
{
    const double c0 = c->c0, c1 = c->c1, dw = c->dw, mean = c->mean, std = c->std;
    const float lo = (float)c->lo, hi = (float)c->hi;
    double p[FI_TILE], z[FI_TILE];
    uint64_t flip[FI_TILE];
    for (size_t i = 0; i < n; i++) {
        double plo = fi_fma((double)(int32_t)(w[i] >> 8), dw, c0);
        double phi = fi_fma((double)(int32_t)(~w[i] >> 8), dw, c1);
        int64_t lower = plo <= 0.5;
        p[i] = lower ? plo : phi;
        flip[i] = lower ? 0u : 0x8000000000000000ull;
    }
    fi_ndtri_tile(p, z, n);
    for (size_t i = 0; i < n; i++) {
        float x = (float)fi_fma(std, fi_float64(fi_bits64(z[i]) ^ flip[i]), mean);
        x = x >= lo ? x : lo;          /* (a NaN becomes lo) */
        out[i] = x <= hi ? x : hi;
    }
}

static inline void fi_trunc64(const fi_consts64 *c, const uint32_t *restrict w,
                              double *restrict out, size_t n)
{
    const double c0 = c->c0, c1 = c->c1, dw = c->dw, mean = c->mean, std = c->std,
                 lo = c->lo, hi = c->hi;
    double p[FI_TILE], z[FI_TILE];
    uint64_t flip[FI_TILE];
    for (size_t i = 0; i < n; i++) {
        uint32_t a = w[2 * i], b = w[2 * i + 1];
        double k = (double)(int32_t)(a >> 5) * 67108864.0 + (double)(int32_t)(b >> 6);
        double kc = (double)(int32_t)(~a >> 5) * 67108864.0 + (double)(int32_t)(~b >> 6);
        double plo = fi_fma(k, dw, c0);
        double phi = fi_fma(kc, dw, c1);
        int64_t lower = plo <= 0.5;
        p[i] = lower ? plo : phi;
        flip[i] = lower ? 0u : 0x8000000000000000ull;
    }
    fi_ndtri_tile(p, z, n);
    for (size_t i = 0; i < n; i++) {
        double x = fi_fma(std, fi_float64(fi_bits64(z[i]) ^ flip[i]), mean);
        x = x >= lo ? x : lo;          /* (a NaN becomes lo) */
        out[i] = x <= hi ? x : hi;
    }
}

/* ---- Setup and the far tail, in double, scalar ---------------------------- */

/* e^x for x in [-708, 709], from the same operations on every platform;
 * 0 below -1100 and inf above 1100 (where 2^k underflows or overflows
 * anyway), so that the range reduction never converts a k beyond int (the
 * set-up evaluates e^(-t^2/2) for bounds t up to 1.8e308, and -inf). */
static inline double fi_exp(double x)
{
    if (x < -1100.0)
        return 0.0;
    if (!(x <= 1100.0))                 /* above, or NaN */
        return x > 0 ? INFINITY : x;
    double k = floor(x * 1.44269504088896340736 + 0.5);
    double r = (x - k * FI_LN2_HI) - k * FI_LN2_LO;   /* |r| <= 0.35 */
    double p = 1.0;
    for (int i = 17; i >= 1; i--)
        p = 1.0 + p * r / i;
    return ldexp(p, (int)k);
}

/* e^x - 1 for |x| <= 1, correctly rounded but for values within ~2^-100
 * of a rounding boundary: the Taylor series summed in double-double
 * (hi + lo, exact products by fi_two_prod), whose terms fall below 2^-107
 * of the sum by the 30th.  Setup only (the far-tail plan's D), so its
 * speed does not matter; its result does, and no libm expm1 is used. */
static inline double fi_expm1(double x)
{
    double th = x, tl = 0.0;             /* the term x^n / n! */
    double sh = x, sl = 0.0;             /* the sum */
    for (int n = 2; n <= 30; n++) {
        /* term *= x / n: the product exactly, then the division's residual */
        double pl, ph = fi_two_prod(th, x, &pl);
        pl += tl * x;
        double q = ph / n, rl, r = fi_two_prod(q, (double)n, &rl);
        double ql = ((ph - r) - rl + pl) / n;
        th = q + ql;
        tl = ql - (th - q);
        /* sum += term, TwoSum on the high parts */
        double s = sh + th, bb = s - sh;
        double e = (sh - (s - bb)) + (th - bb) + sl + tl;
        sh = s + e;
        sl = e - (sh - s);
    }
    return sh;
}

/* M(t) = t Q(t) / phi(t) for t >= 3 by the continued fraction
 * Q(t) = phi(t) / (t + 1/(t + 2/(t + 3/(t + ...)))), evaluated backwards. */
static inline double fi_mills_t(double t)
{
    double f = t;
    for (int i = 400; i >= 1; i--)
        f = t + i / f;
    return t / f;
}

/* The same for t >= 30 by its asymptotic series 1 - 1/t^2 + 3/t^4 - ...,
 * whose terms fall below 1e-20 within ten. */
static inline double fi_mills_large(double t)
{
    double z = 1.0 / (t * t), term = 1.0, sum = 1.0;
    for (int k = 1; k <= 10; k++) {
        term *= -(2 * k - 1) * z;
        sum += term;
    }
    return sum;
}

#define FI_LOG_SQRT_2PI 0.91893853320467274178

/* ln Q(t), any t >= 0 (for t < 3 through the series below). */
static inline double fi_log_upper_tail(double t);

/* Q(t) = Phi(-t) for t >= 0 (t may be +inf), to ~1e-15 relative. */
static inline double fi_upper_tail(double t)
{
    if (t == INFINITY)
        return 0.0;
    double phi = fi_exp(-0.5 * t * t - FI_LOG_SQRT_2PI);
    if (t >= 3.0)
        return phi * fi_mills_t(t) / t;
    /* Phi(t) - 1/2 = phi(t) (t + t^3/3 + t^5/(3*5) + ...), all terms positive */
    double term = t, sum = t;
    for (int n = 1; n < 200 && term > 1e-17 * sum; n++) {
        term *= t * t / (2 * n + 1);
        sum += term;
    }
    return 0.5 - phi * sum;
}

static inline double fi_log_upper_tail(double t)
{
    if (t == INFINITY)
        return -INFINITY;
    if (t < 3.0)
        return fi_log(fi_upper_tail(t));
    double m = t >= 30.0 ? fi_mills_large(t) : fi_mills_t(t);
    return -0.5 * t * t - FI_LOG_SQRT_2PI - fi_log(t) + fi_log(m);
}

/* ln(1 + x) for x in (-1, 0]: series of 2 atanh(x / (2 + x)) near 0. */
static inline double fi_log1m(double y) /* ln(1 - y), y in [0, 1) */
{
    if (y > 0.5)
        return fi_log(1.0 - y);
    double s = -y / (2.0 - y), z = s * s, sum = 0.0;
    for (int i = 39; i >= 0; i--)
        sum = 1.0 / (2 * i + 1) + z * sum;
    return 2.0 * s * sum;
}

/* x in [alpha, beta] (alpha large) with P(X > x | X > alpha) = 1 - u D, by
 * Newton on ln Q(x) - ln Q(alpha) = ln(1 - u D), whose derivative is
 * -x / M(x).  Converges from the leading-order start in a few steps.
 * The plan uses it only for alpha > 36. */
static inline double fi_tail_sample(const fi_consts64 *c, double u)
{
    /* Beyond 2^500 alpha^2 may overflow, and every x in [alpha, beta] that
     * has probability is alpha to double precision (x - alpha < 38 / alpha). */
    if (c->alpha > 0x1p500)
        return c->alpha;
    double target = fi_log1m(u * c->d);
    double x = sqrt(c->alpha * c->alpha - 2.0 * target);
    for (int it = 0; it < 6; it++) {
        double g = fi_log_upper_tail(x) - c->logq_alpha - target;
        x = x + g * fi_mills_large(x) / x;
    }
    return x;
}

#endif
