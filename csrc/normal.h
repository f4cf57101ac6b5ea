/* Normal transform: Box-Muller on pairs.  Elements 2k and 2k+1 share one
 * pair (u1, u2) and are r cos(2 pi u2) and r sin(2 pi u2), r = sqrt(-2 ln u1).
 * float32: u1 from word 2k, ((w >> 8) + 1) 2^-24 in (0, 1] (so ln u1 is
 * finite: |z| <= 5.77), u2 from word 2k+1, (w >> 8) 2^-24; fi_normal32
 * gets them split (wa[k], wb[k]) by the Philox stage, which costs it less
 * than a deinterleave here (+7% on AVX2).
 * float64: u1 from words 4k, 4k+1 (53 bits, plus one ulp: in (0, 1], |z| <=
 * 8.58), u2 from words 4k+2, 4k+3.
 *
 * 2 pi u2 is reduced exactly: j = round(4 u2) picks the quadrant and
 * t = u2 - j/4 in [-1/8, 1/8] is exact.  float32 evaluates sin(2 pi t) and
 * sin(pi t) in turns (no rounded angle) and forms r cos(2 pi t) as
 * fma(-2 r h, h, r), h = sin(pi t), which rounds less than r (1 - 2 h^2).
 * float64 splits 2 pi t = y + ylo (exact to ~2^-106) and uses the fdlibm
 * kernels with their tail argument on |y| <= pi/4.  Max error measured over
 * 2^22 pairs: 2.35 ulp (float32), 2.47 ulp (float64); see tests. */
#ifndef FASTINIT_NORMAL_H
#define FASTINIT_NORMAL_H

#include "fastinit_core.h"
#include "polymath.h"
#include "uniform.h"

/* 2 pi = FI_TWO_PI_HI + FI_TWO_PI_LO to ~2^-107 */
#define FI_TWO_PI_HI 6.28318530717958623200e+00
#define FI_TWO_PI_LO 2.44929359829470635445e-16

/* The steps of one float32 pair: radius from word a, angle from word b,
 * then the two outputs. */
static inline float fi_radius32(uint32_t a)
{
    float u1 = (float)(int32_t)((a >> 8) + 1) * 0x1p-24f;
    return sqrtf(-2.0f * fi_logf(u1));
}

/* u2 = j/4 + t: quadrant j = round(4 u2) in 0..4 and t in [-1/8, 1/8], exact */
static inline float fi_turns32(uint32_t b, int32_t *j)
{
    int32_t b24 = (int32_t)(b >> 8);
    *j = (b24 + (1 << 21)) >> 22;
    return (float)(b24 - (*j << 22)) * 0x1p-24f;
}

static inline void fi_pair32(float r, float s, float h, int32_t j, float mean, float std,
                             float *out)
{
    float hr = r * h;
    float rc = fmaf(-2.0f * hr, h, r), rs = r * s;     /* r cos, r sin */
    int32_t q = j & 3;
    float x0 = (q & 1) ? rs : rc, x1 = (q & 1) ? rc : rs;  /* rotate by q pi/2 */
    /* negate x0 for q = 1, 2 and x1 for q = 2, 3: flip the sign bits */
    x0 = fi_float32(fi_bits32(x0) ^ ((uint32_t)((q + 1) & 2) << 30));
    x1 = fi_float32(fi_bits32(x1) ^ ((uint32_t)(q & 2) << 30));
    out[0] = fmaf(std, x0, mean);
    out[1] = fmaf(std, x1, mean);
}

/* One pair is a ~100-cycle chain of dependent operations (log, square root,
 * polynomials), longer than the out-of-order window can overlap, so FI_CHAINS
 * vectors of pairs (k, k + m, k + 2m, ...) go side by side, step by step:
 * +9% measured on AVX2 and AVX-512.  Each pair still gets exactly its own
 * operations.  (float64 chained gained 5-8% on AVX2 but lost 17% on
 * AVX-512, so it stays one loop.) */
#define FI_CHAINS 4
static inline void fi_normal32(const fi_consts32 *c, const uint32_t *restrict wa,
                               const uint32_t *restrict wb, float *restrict out,
                               size_t npairs)
{
    const float mean = c->mean, std = c->std;
    const size_t m = npairs / FI_CHAINS;
    for (size_t k = 0; k < m; k++) {
        float r[FI_CHAINS], t[FI_CHAINS], s[FI_CHAINS], h[FI_CHAINS];
        int32_t j[FI_CHAINS];
#pragma GCC unroll 4
        for (int i = 0; i < FI_CHAINS; i++)
            r[i] = fi_radius32(wa[k + i * m]);
#pragma GCC unroll 4
        for (int i = 0; i < FI_CHAINS; i++)
            t[i] = fi_turns32(wb[k + i * m], &j[i]);
#pragma GCC unroll 4
        for (int i = 0; i < FI_CHAINS; i++) {
            s[i] = fi_sin2pif(t[i]);
            h[i] = fi_sinpif(t[i]);
        }
#pragma GCC unroll 4
        for (int i = 0; i < FI_CHAINS; i++)
            fi_pair32(r[i], s[i], h[i], j[i], mean, std, out + 2 * (k + i * m));
    }
    for (size_t k = m * FI_CHAINS; k < npairs; k++) {
        int32_t j;
        float t = fi_turns32(wb[k], &j);
        fi_pair32(fi_radius32(wa[k]), fi_sin2pif(t), fi_sinpif(t), j, mean, std, out + 2 * k);
    }
}

static inline void fi_normal64(const fi_consts64 *c, const uint32_t *restrict w,
                               double *restrict out, size_t npairs)
{
    const double mean = c->mean, std = c->std;
    for (size_t k = 0; k < npairs; k++) {
        double u1 = fi_u53(w[4 * k], w[4 * k + 1]) + 0x1p-53;
        double r = sqrt(-2.0 * fi_log(u1));
        /* u2 = (a 2^26 + b) 2^-53; j = round(4 u2) needs only a, and
         * t = u2 - j/4 is formed exactly in integers */
        int32_t a = (int32_t)(w[4 * k + 2] >> 5), b = (int32_t)(w[4 * k + 3] >> 6);
        int32_t j = (a + (1 << 24)) >> 25;                  /* 0..4 */
        double t = ((double)(a - (j << 25)) * 67108864.0 + (double)b) * 0x1p-53;
        double y = t * FI_TWO_PI_HI;                 /* 2 pi t = y + ylo */
        double ylo = fma(t, FI_TWO_PI_HI, -y) + t * FI_TWO_PI_LO;
        double s = fi_sin_kernel(y, ylo), co = fi_cos_kernel(y, ylo);
        int32_t q = j & 3;
        double cs = (q & 1) ? s : co, sn = (q & 1) ? co : s;
        cs = ((q + 1) & 2) ? -cs : cs;               /* q = 1, 2 */
        sn = (q & 2) ? -sn : sn;                     /* q = 2, 3 */
        out[2 * k] = fma(std, r * cs, mean);
        out[2 * k + 1] = fma(std, r * sn, mean);
    }
}

#endif
