/* Elementary functions built from +, -, *, /, sqrt and fma only, so that
 * every SIMD path, compiler and platform rounds them identically (no libm
 * log or sin, whose results differ between platforms).  Multiply-adds are
 * explicit fi_fma()/fi_fmaf() calls, rounded once everywhere: one instruction on
 * the avx2 and avx512 paths and on aarch64, fastinit's own exact software fma
 * (softfma.h, never the C library's) on the x86-64 baseline path: slower,
 * same bits.
 * -ffp-contract=off keeps the compiler from fusing anything else.  Written
 * branch-free so that the compiler vectorizes the loops that call them.
 * Double precision uses fdlibm's minimax polynomials; the float sine and
 * cosine are Taylor series in turns (see below). */
#ifndef FASTINIT_POLYMATH_H
#define FASTINIT_POLYMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "softfma.h"

static inline uint32_t fi_bits32(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float fi_float32(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
static inline uint64_t fi_bits64(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double fi_float64(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* ln 2 split so that e * FI_LN2_HI is exact for |e| < 2^11 (double) or
 * |e| < 2^8 (float). */
#define FI_LN2_HI 6.93147180369123816490e-01
#define FI_LN2_LO 1.90821492927058770002e-10
#define FI_LN2_HI_F 0.693145751953125f
#define FI_LN2_LO_F 1.428606765330187045e-06f

/* ln x for positive, normal, finite x, the fdlibm way: x = 2^e (1 + f) with
 * 1 + f in [sqrt(1/2), sqrt(2)), s = f / (2 + f), and
 * ln(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)), R a minimax polynomial; the
 * small terms are added last so that the result is within 1 ulp.  Adding
 * 1 - sqrt(1/2) to the bits first puts the mantissa in that range with
 * integer operations only (no compare and select). */
static inline float fi_logf(float x)
{
    /* FreeBSD e_logf.c coefficients: |error of R| < 2^-25.3 */
    const float lg1 = 0.66666662693f, lg2 = 0.40000972152f, lg3 = 0.28498786688f,
                lg4 = 0.24279078841f;
    uint32_t ix = fi_bits32(x) + (0x3F800000u - 0x3F3504F3u);
    float fe = (float)((int32_t)(ix >> 23) - 127);
    float f = fi_float32((ix & 0x007FFFFFu) + 0x3F3504F3u) - 1.0f;
    float s = f / (2.0f + f);
    float z = s * s, w = z * z;
    float r = fi_fmaf(z, fi_fmaf(w, lg3, lg1), w * fi_fmaf(w, lg4, lg2));
    float hfsq = 0.5f * f * f;
    return fe * FI_LN2_HI_F - ((hfsq - fi_fmaf(s, hfsq + r, fe * FI_LN2_LO_F)) - f);
}

/* 1/x to 5.1% for positive normal x, from its bits alone (the same on
 * every platform; rcpps is not): enough for a correction term below half an
 * ulp, whose error it then changes by < 0.03 ulp (a Newton step measured no
 * better).  x = +-0 (the radius at u1 = 1) gives a finite +-1.6e38 or
 * +-8.5e307, which multiplies an exact zero. */
static inline float fi_recipf_rough(float x)
{
    return fi_float32(0x7EF311C3u - fi_bits32(x));
}
static inline double fi_recip_rough(double x)
{
    return fi_float64(0x7FDE623822FC16E6ull - fi_bits64(x));
}

static inline double fi_log(double x)
{
    /* fdlibm e_log.c coefficients: |error of R| < 2^-58.45 */
    const double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
                 lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
                 lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
                 lg7 = 1.479819860511658591e-01;
    uint64_t ix = fi_bits64(x) + (0x3FF0000000000000ull - 0x3FE6A09E667F3BCDull);
    /* the exponent as a double without int64 -> double conversion, which
     * AVX2 lacks: the bits 0x433 << 52 | k are the double 2^52 + k */
    double fe = fi_float64(0x4330000000000000ull | (ix >> 52)) - (0x1p52 + 1023.0);
    double f = fi_float64((ix & 0x000FFFFFFFFFFFFFull) + 0x3FE6A09E667F3BCDull) - 1.0;
    double s = f / (2.0 + f);
    double z = s * s, w = z * z;
    double r = fi_fma(z, fi_fma(w, fi_fma(w, fi_fma(w, lg7, lg5), lg3), lg1),
                   w * fi_fma(w, fi_fma(w, lg6, lg4), lg2));
    double hfsq = 0.5 * f * f;
    return fe * FI_LN2_HI - ((hfsq - fi_fma(s, hfsq + r, fe * FI_LN2_LO)) - f);
}

/* k t + t p as hi + lo, where k t is exact and the sum lies within a factor
 * 2 of it: then k t - hi is exact too (Sterbenz), so the rounding error of
 * hi is one fma away, and lo is good to the error of p (a small share). */
static inline float fi_kt_plus_tp(float k, float t, float p, float *lo)
{
    float kt = k * t;
    float hi = fi_fmaf(t, p, kt);
    *lo = fi_fmaf(t, p, kt - hi);
    return hi;
}

/* sin(2 pi t) for |t| <= 1/8, t a multiple of 2^-24 (float), as hi + lo.
 * Working in turns keeps the angle exact: 2 pi t is never rounded.  The sine
 * splits 2 pi = 6 + 0.2831853...: 6 t is exact (t has at most 22 bits) and
 * the polynomial's part is ~1/20 of the result, so lo is good to ~5% of an
 * ulp.  Taylor coefficients of 2 pi t; the first omitted term is below
 * 2^-28 of the result. */
static inline float fi_sin2pif(float t, float *lo)
{
    float z = t * t;
    float p = fi_fmaf(z, fi_fmaf(z, fi_fmaf(z, fi_fmaf(z, 42.058693944897653145f,
              -76.705859753061385842f), 81.605249276075054203f),
              -41.341702240399760234f), 0.28318530717958647693f);
    return fi_kt_plus_tp(6.0f, t, p, lo);
}

/* sin(pi t) for |t| <= 1/8 (the half angle of fi_sin2pif), 3 t exact. */
static inline float fi_sinpif(float t, float *lo)
{
    float z = t * t;
    float p = fi_fmaf(z, fi_fmaf(z, fi_fmaf(z, fi_fmaf(z, 0.082145886611128228799f,
              -0.59926452932079207689f), 2.5501640398773454439f),
              -5.1677127800499700292f), 0.14159265358979323846f);
    return fi_kt_plus_tp(3.0f, t, p, lo);
}

/* sin and cos of y + ylo for |y| <= pi/4, |ylo| <= ulp(y): the fdlibm
 * kernels (k_sin.c, k_cos.c with their tail argument), minimax,
 * |error| < 2^-58 before rounding, returned as hi + lo (the last addition's
 * rounding error, by Fast2Sum). */
static inline double fi_sin_kernel(double y, double ylo, double *lo)
{
    const double s1 = -1.66666666666666324348e-01, s2 = 8.33333333332248946124e-03,
                 s3 = -1.98412698298579493134e-04, s4 = 2.75573137070700676789e-06,
                 s5 = -2.50507602534068634195e-08, s6 = 1.58969099521155010221e-10;
    double z = y * y, v = z * y;
    double r = fi_fma(z, fi_fma(z, fi_fma(z, fi_fma(z, s6, s5), s4), s3), s2);
    double x = fi_fma(-v, s1, fi_fma(z, fi_fma(-v, r, 0.5 * ylo), -ylo));
    double hi = y - x;
    *lo = (y - hi) - x;                  /* the rounding error of hi, exact */
    return hi;
}
static inline double fi_cos_kernel(double y, double ylo, double *lo)
{
    const double c1 = 4.16666666666666019037e-02, c2 = -1.38888888888741095749e-03,
                 c3 = 2.48015872894767294178e-05, c4 = -2.75573143513906633035e-07,
                 c5 = 2.08757232129817482790e-09, c6 = -1.13596475577881948265e-11;
    double z = y * y;
    double r = z * fi_fma(z, fi_fma(z, fi_fma(z, fi_fma(z, fi_fma(z, c6, c5), c4), c3), c2), c1);
    double hz = 0.5 * z, w = 1.0 - hz;
    /* 1 - hz loses the bits of hz below w's ulp: add them back */
    double x = ((1.0 - w) - hz) + fi_fma(z, r, -y * ylo);
    double hi = w + x;
    *lo = (w - hi) + x;
    return hi;
}

#endif
