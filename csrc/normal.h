/* Normal transform: Box-Muller on pairs.  Elements 2k and 2k+1 share one
 * pair (u1, u2) and are r cos(2 pi u2) and r sin(2 pi u2), r = sqrt(-2 ln u1).
 * float32: u1 from word 2k, ((w >> 8) + 1) 2^-24 in (0, 1] (so ln u1 is
 * finite: |z| <= 5.77), u2 from word 2k+1, (w >> 8) 2^-24; fi_normal32
 * gets them split (wa[k], wb[k]) by the Philox stage, which costs it less
 * than a deinterleave here (+7% on AVX2).
 * float64: u1 from words 4k, 4k+1 (53 bits, plus one ulp: in (0, 1], |z| <=
 * 8.57), u2 from words 4k+2, 4k+3.
 *
 * 2 pi u2 is reduced exactly: j = round(4 u2) picks the quadrant and
 * t = u2 - j/4 in [-1/8, 1/8] is exact.  float32 evaluates sin(2 pi t) and
 * h = sin(pi t) in turns (no rounded angle) and forms r cos(2 pi t) as
 * r (1 - 2 h^2), which rounds less than a cosine polynomial.
 * float64 splits 2 pi t = y + ylo (exact to ~2^-106) and uses the fdlibm
 * kernels with their tail argument on |y| <= pi/4.  Both carry the square
 * root's rounding error and the sine/cosine as hi + lo.  Max error measured
 * over 2^20 pairs and three seeds of 2^21 more: 1.37 ulp (float32), 1.27 ulp
 * (float64), against 2.35 and 2.47 without hi + lo; see tests. */
#ifndef FASTINIT_NORMAL_H
#define FASTINIT_NORMAL_H

#include "fastinit_core.h"
#include "polymath.h"
#include "uniform.h"

/* 2 pi = FI_TWO_PI_HI + FI_TWO_PI_LO to ~2^-107 */
#define FI_TWO_PI_HI 6.28318530717958623200e+00
#define FI_TWO_PI_LO 2.44929359829470635445e-16

/* The steps of one float32 pair: radius from word a, angle from word b,
 * then the two outputs.  The square root's rounding error, sin(2 pi t) and
 * h = sin(pi t) are carried as hi + lo, so that each output is rounded about
 * once on top of the error of ln u1.  Over 2^24 pairs in a long double
 * harness: max 1.43 ulp (2.50 with plain floats, 1.85 with the square root's
 * error alone; 1.14 with ln u1 as hi + lo too, which cost a further 20% of
 * the speed). */
static inline float fi_radius32(uint32_t a, float *rlo)
{
    float u1 = (float)(int32_t)((a >> 8) + 1) * 0x1p-24f;
    float l = -2.0f * fi_logf(u1);
    float r = sqrtf(l);
    /* sqrt(l) = r + (l - r^2) / (2r) + ..., the residual exact */
    *rlo = fi_fmaf(-r, r, l) * (0.5f * fi_recipf_rough(r));
    return r;
}

/* u2 = j/4 + t: quadrant j = round(4 u2) in 0..4 and t in [-1/8, 1/8], exact */
static inline float fi_turns32(uint32_t b, int32_t *j)
{
    int32_t b24 = (int32_t)(b >> 8);
    *j = (b24 + (1 << 21)) >> 22;
    return (float)(b24 - (*j << 22)) * 0x1p-24f;
}

/* r cos(2 pi t) = r (1 - 2 h^2) and r sin(2 pi t), rotated by j quarter
 * turns, scaled and shifted. */
static inline void fi_pair32(float r, float rlo, float s, float slo, float h, float hlo,
                             int32_t j, float mean, float std, float *out)
{
    float hr = r * h;
    /* r (1 - 2 h^2) + rlo (1 - 2 h^2) - 4 r h hlo, the big term last */
    float rc = r + fi_fmaf(-2.0f * hr, h, fi_fmaf(-4.0f * hr, hlo, fi_fmaf(-2.0f * rlo * h, h, rlo)));
    float rs = fi_fmaf(r, s, fi_fmaf(r, slo, rlo * s));
    int32_t q = j & 3;
    float x0 = (q & 1) ? rs : rc, x1 = (q & 1) ? rc : rs;  /* rotate by q pi/2 */
    /* negate x0 for q = 1, 2 and x1 for q = 2, 3: flip the sign bits */
    x0 = fi_float32(fi_bits32(x0) ^ ((uint32_t)((q + 1) & 2) << 30));
    x1 = fi_float32(fi_bits32(x1) ^ ((uint32_t)(q & 2) << 30));
    out[0] = fi_fmaf(std, x0, mean);
    out[1] = fi_fmaf(std, x1, mean);
}

/* One pair is a ~100-cycle chain of dependent operations (log, square root,
 * polynomials), longer than the out-of-order window can overlap, so FI_CHAINS
 * vectors of pairs (k, k + m, k + 2m, ...) go side by side, step by step:
 * +9% measured on AVX2 and AVX-512.  Each pair still gets exactly its own
 * operations.  (float64 in 2 or 4 chains measured 4-20% slower on both
 * paths, so it stays one loop.) */
#define FI_CHAINS 4
static inline void fi_normal32(const fi_consts32 *c, const uint32_t *restrict wa,
                               const uint32_t *restrict wb, float *restrict out,
                               size_t npairs)
{
    const float mean = c->mean, std = c->std;
    /* chains only when each has at least one full vector of pairs (16 on
     * AVX-512); short tiles go through the single loop below, also
     * vectorized */
    const size_t m = npairs >= 16 * FI_CHAINS ? npairs / FI_CHAINS : 0;
    for (size_t k = 0; k < m; k++) {
        float r[FI_CHAINS], rlo[FI_CHAINS], t[FI_CHAINS], s[FI_CHAINS], slo[FI_CHAINS],
            h[FI_CHAINS], hlo[FI_CHAINS];
        int32_t j[FI_CHAINS];
#pragma GCC unroll 4
        for (int i = 0; i < FI_CHAINS; i++)
            r[i] = fi_radius32(wa[k + i * m], &rlo[i]);
#pragma GCC unroll 4
        for (int i = 0; i < FI_CHAINS; i++)
            t[i] = fi_turns32(wb[k + i * m], &j[i]);
#pragma GCC unroll 4
        for (int i = 0; i < FI_CHAINS; i++) {
            s[i] = fi_sin2pif(t[i], &slo[i]);
            h[i] = fi_sinpif(t[i], &hlo[i]);
        }
#pragma GCC unroll 4
        for (int i = 0; i < FI_CHAINS; i++)
            fi_pair32(r[i], rlo[i], s[i], slo[i], h[i], hlo[i], j[i], mean, std,
                      out + 2 * (k + i * m));
    }
    for (size_t k = m * FI_CHAINS; k < npairs; k++) {
        int32_t j;
        float rlo, slo, hlo, t = fi_turns32(wb[k], &j);
        float r = fi_radius32(wa[k], &rlo), s = fi_sin2pif(t, &slo), h = fi_sinpif(t, &hlo);
        fi_pair32(r, rlo, s, slo, h, hlo, j, mean, std, out + 2 * k);
    }
}

static inline void fi_normal64(const fi_consts64 *c, const uint32_t *restrict w,
                               size_t plane, double *restrict out, size_t npairs)
{
    const double mean = c->mean, std = c->std;
    const uint32_t *restrict w1 = w + plane, *restrict w2 = w + 2 * plane,
                   *restrict w3 = w + 3 * plane;
    for (size_t k = 0; k < npairs; k++) {
        double u1 = fi_u53(w[k], w1[k]) + 0x1p-53;
        double l = -2.0 * fi_log(u1), r = sqrt(l);
        double rlo = fi_fma(-r, r, l) * (0.5 * fi_recip_rough(r));   /* as in float32 */
        /* u2 = (a 2^26 + b) 2^-53; j = round(4 u2) needs only a, and
         * t = u2 - j/4 is formed exactly in integers */
        int32_t a = (int32_t)(w2[k] >> 5), b = (int32_t)(w3[k] >> 6);
        int32_t j = (a + (1 << 24)) >> 25;                  /* 0..4 */
        double t = ((double)(a - (j << 25)) * 67108864.0 + (double)b) * 0x1p-53;
        double y = t * FI_TWO_PI_HI;                 /* 2 pi t = y + ylo */
        double ylo = fi_fma(t, FI_TWO_PI_HI, -y) + t * FI_TWO_PI_LO;
        double slo, clo, s = fi_sin_kernel(y, ylo, &slo), co = fi_cos_kernel(y, ylo, &clo);
        double rs = fi_fma(r, s, fi_fma(r, slo, rlo * s)), rc = fi_fma(r, co, fi_fma(r, clo, rlo * co));
        int32_t q = j & 3;
        double x0 = (q & 1) ? rs : rc, x1 = (q & 1) ? rc : rs;
        x0 = ((q + 1) & 2) ? -x0 : x0;               /* q = 1, 2 */
        x1 = (q & 2) ? -x1 : x1;                     /* q = 2, 3 */
        out[2 * k] = fi_fma(std, x0, mean);
        out[2 * k + 1] = fi_fma(std, x1, mean);
    }
}

#endif
