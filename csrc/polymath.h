/* Elementary functions built from +, -, *, / and sqrt only, so that every
 * SIMD path, compiler and platform rounds them identically (no libm, whose
 * results differ between platforms).  Written branch-free so that the
 * compiler vectorizes the loops that call them.  Each polynomial is a
 * truncated Taylor series whose first omitted term is below 2^-60 (double)
 * or 2^-30 (float) over the reduced range: easy to check, near-minimax in
 * accuracy for these short ranges. */
#ifndef FASTINIT_POLYMATH_H
#define FASTINIT_POLYMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

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

/* ln x for positive, normal, finite x.  x = 2^e m with m in [sqrt(1/2),
 * sqrt(2)); ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716. */
static inline float fi_logf(float x)
{
    /* shifting the bits by 1 - sqrt(1/2) puts m in [sqrt(1/2), sqrt(2))
     * with integer operations only */
    uint32_t ix = fi_bits32(x) + (0x3F800000u - 0x3F3504F3u);
    float fe = (float)((int32_t)(ix >> 23) - 127);
    float m = fi_float32((ix & 0x007FFFFFu) + 0x3F3504F3u);
    float s = (m - 1.0f) / (m + 1.0f);
    float z = s * s;
    float p = 1.0f / 3 + z * (1.0f / 5 + z * (1.0f / 7 + z * (1.0f / 9 + z * (1.0f / 11))));
    float lnm = 2.0f * s + (2.0f * s) * (z * p);
    return fe * FI_LN2_HI_F + (lnm + fe * FI_LN2_LO_F);
}

static inline double fi_log(double x)
{
    uint64_t ix = fi_bits64(x);
    /* the exponent as a double without int64 -> double conversion, which
     * AVX2 lacks: the bits 0x433 << 52 | k are the double 2^52 + k */
    double fe = fi_float64(0x4330000000000000ull | (ix >> 52)) - (0x1p52 + 1023.0);
    double m = fi_float64((ix & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
    int big = m > 1.4142135623730951;
    m = big ? m * 0.5 : m;
    fe = big ? fe + 1.0 : fe;
    double s = (m - 1.0) / (m + 1.0);
    double z = s * s;
    double p = 1.0 / 3 + z * (1.0 / 5 + z * (1.0 / 7 + z * (1.0 / 9 + z * (1.0 / 11
             + z * (1.0 / 13 + z * (1.0 / 15 + z * (1.0 / 17 + z * (1.0 / 19
             + z * (1.0 / 21 + z * (1.0 / 23))))))))));
    double lnm = 2.0 * s + (2.0 * s) * (z * p);
    return fe * FI_LN2_HI + (lnm + fe * FI_LN2_LO);
}

/* sin and cos of y for |y| <= pi/4. */
static inline float fi_sin_kernelf(float y)
{
    float z = y * y;
    return y + y * (z * (-1.0f / 6 + z * (1.0f / 120 + z * (-1.0f / 5040 + z * (1.0f / 362880)))));
}
static inline float fi_cos_kernelf(float y)
{
    float z = y * y;
    return 1.0f + z * (-0.5f + z * (1.0f / 24 + z * (-1.0f / 720 + z * (1.0f / 40320
                 + z * (-1.0f / 3628800)))));
}
static inline double fi_sin_kernel(double y)
{
    double z = y * y;
    return y + y * (z * (-1.0 / 6 + z * (1.0 / 120 + z * (-1.0 / 5040 + z * (1.0 / 362880
             + z * (-1.0 / 39916800 + z * (1.0 / 6227020800.0 + z * (-1.0 / 1307674368000.0
             + z * (1.0 / 355687428096000.0)))))))));
}
static inline double fi_cos_kernel(double y)
{
    double z = y * y;
    return 1.0 + z * (-0.5 + z * (1.0 / 24 + z * (-1.0 / 720 + z * (1.0 / 40320
             + z * (-1.0 / 3628800 + z * (1.0 / 479001600.0 + z * (-1.0 / 87178291200.0
             + z * (1.0 / 20922789888000.0 + z * (-1.0 / 6402373705728000.0)))))))));
}

#endif
