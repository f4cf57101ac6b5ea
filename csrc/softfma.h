/* fi_fma and fi_fmaf: a*b + c rounded once (to nearest even), the same bits
 * on every platform.  Where the target has an FMA instruction (the avx2 and
 * avx512 paths, aarch64) they are that instruction; elsewhere (the x86-64
 * baseline path, 32-bit x86) they are fastinit's own exact software fma, so
 * that no C library's fma (mingw-w64's is not correctly rounded) can change
 * a value.  Also the build-time guards that keep every target's arithmetic
 * IEEE binary32/binary64 with no excess precision and no contraction. */
#ifndef FASTINIT_SOFTFMA_H
#define FASTINIT_SOFTFMA_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__i386__) && !defined(__SSE2_MATH__)
#error "fastinit on 32-bit x86 needs SSE2 maths (-msse2 -mfpmath=sse): x87 rounds to 80 bits and would give other values"
#endif
#if defined(_M_IX86) && (!defined(_M_IX86_FP) || _M_IX86_FP < 2)
#error "fastinit on 32-bit x86 needs /arch:SSE2 or later: x87 rounds to 80 bits and would give other values"
#endif
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD != 0
#error "fastinit needs FLT_EVAL_METHOD == 0 (each float and double operation rounded to its own type)"
#endif
#if defined(__FAST_MATH__)
#error "fastinit must not be built with -ffast-math: it changes values"
#endif
#if defined(_MSC_VER) && !defined(__clang__)
#pragma fp_contract(off)    /* only explicit fi_fma() fuses */
#endif

static inline uint64_t fi_sf_bits(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double fi_sf_double(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* float: a*b is exact in double (48 bits), so a*b + c is one double
 * addition away.  Rounding that sum to odd (TwoSum gives its exact error;
 * an inexact even result steps one ulp towards the error) and then to float
 * is correctly rounded, as double has 53 >= 24 + 2 bits (Boldo & Melquiond,
 * "Emulation of FMA and correctly rounded sums", IEEE TC 2008).  Branch-free,
 * so loops that call it still vectorize. */
static inline float fi_fmaf_soft(float a, float b, float c)
{
    double p = (double)a * (double)b;
    double s = p + (double)c;
    double bb = s - p;
    double err = (p - (s - bb)) + ((double)c - bb);
    uint64_t u = fi_sf_bits(s);
    int finite = (u & 0x7FF0000000000000ull) != 0x7FF0000000000000ull;
    int step = finite && err != 0.0 && (u & 1u) == 0;
    /* towards the error: away from zero when they share a sign */
    uint64_t away = (err > 0.0) == (s > 0.0);
    u += step ? (away ? 1u : (uint64_t)-1) : 0u;
    return (float)fi_sf_double(u);
}

/* ---- double: 128-bit integer arithmetic, exact for all inputs ---------------- */

typedef struct { uint64_t hi, lo; } fi_u128;

static inline fi_u128 fi_mul64(uint64_t a, uint64_t b)
{
    uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    fi_u128 r;
    r.lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
}

static inline fi_u128 fi_shl128(fi_u128 x, int s)   /* 0 <= s < 128 */
{
    fi_u128 r;
    if (s == 0)
        return x;
    if (s >= 64) {
        r.hi = x.lo << (s - 64);
        r.lo = 0;
    } else {
        r.hi = (x.hi << s) | (x.lo >> (64 - s));
        r.lo = x.lo << s;
    }
    return r;
}

/* x >> s with every bit shifted out ORed into the lowest bit (sticky), s >= 0 */
static inline fi_u128 fi_shr128_sticky(fi_u128 x, int s)
{
    fi_u128 r;
    if (s == 0)
        return x;
    if (s >= 128) {
        r.hi = 0;
        r.lo = (x.hi | x.lo) != 0;
        return r;
    }
    uint64_t lost;
    if (s >= 64) {
        lost = x.lo | (s > 64 ? x.hi << (128 - s) : 0);
        r.lo = s == 64 ? x.hi : x.hi >> (s - 64);
        r.hi = 0;
    } else {
        lost = x.lo << (64 - s);
        r.lo = (x.lo >> s) | (x.hi << (64 - s));
        r.hi = x.hi >> s;
    }
    r.lo |= lost != 0;
    return r;
}

static inline int fi_clz64(uint64_t x)  /* x != 0 */
{
    int n = 0;
    while (!(x >> 63)) {
        x <<= 1;
        n++;
    }
    return n;
}

static inline int fi_bitlen128(fi_u128 x)  /* index of the top bit + 1; 0 for 0 */
{
    return x.hi ? 128 - fi_clz64(x.hi) : x.lo ? 64 - fi_clz64(x.lo) : 0;
}

/* finite nonzero x as m 2^e with m in [2^52, 2^53) */
static inline uint64_t fi_unpack(double x, int *e)
{
    uint64_t u = fi_sf_bits(x);
    int ex = (int)((u >> 52) & 0x7FF);
    uint64_t m = u & 0x000FFFFFFFFFFFFFull;
    if (ex == 0) {                       /* subnormal: normalize */
        int s = fi_clz64(m) - 11;
        *e = -1074 - s;
        return m << s;
    }
    *e = ex - 1075;
    return m | 0x0010000000000000ull;
}

/* The general case: the exact sum of x*y and z as a 128-bit integer with a
 * sticky bit, then one rounding to nearest even (subnormal or overflowing
 * results included). */
static double fi_fma_exact(double x, double y, double z)
{
    int ex, ey, ez;
    uint64_t mx = fi_unpack(x, &ex), my = fi_unpack(y, &ey), mz = fi_unpack(z, &ez);
    int sp = (fi_sf_bits(x) ^ fi_sf_bits(y)) >> 63, sz = (int)(fi_sf_bits(z) >> 63);
    /* both with the top bit at 124 or 125: the sum fits in 126 bits */
    fi_u128 p = fi_shl128(fi_mul64(mx, my), 19);     /* [2^123, 2^125) */
    int ep = ex + ey - 19;
    fi_u128 q = {mz << 8, 0};                        /* mz << 72: [2^124, 2^125) */
    int eq = ez - 72;
    /* align on the larger exponent; lower bits of the other become sticky */
    int e;
    if (ep >= eq) {
        q = fi_shr128_sticky(q, ep - eq > 200 ? 200 : ep - eq);
        e = ep;
    } else {
        p = fi_shr128_sticky(p, eq - ep > 200 ? 200 : eq - ep);
        e = eq;
    }
    fi_u128 s;
    int sign;
    if (sp == sz) {
        s.lo = p.lo + q.lo;
        s.hi = p.hi + q.hi + (s.lo < p.lo);
        sign = sp;
    } else {
        int p_big = p.hi > q.hi || (p.hi == q.hi && p.lo >= q.lo);
        fi_u128 a = p_big ? p : q, b = p_big ? q : p;
        s.lo = a.lo - b.lo;
        s.hi = a.hi - b.hi - (a.lo < b.lo);
        sign = p_big ? sp : sz;
        if ((s.hi | s.lo) == 0)
            return 0.0;                  /* exact cancellation: +0 */
    }
    /* keep 53 bits (fewer for a subnormal result): drop sh bits */
    int sh = fi_bitlen128(s) - 53;
    if (sh < -1074 - e)
        sh = -1074 - e;
    uint64_t mant;
    if (sh <= 0) {                       /* exact */
        mant = fi_shl128(s, -sh).lo;
    } else {
        /* two bits more than kept: the half bit, then a sticky bit */
        fi_u128 t = sh >= 2 ? fi_shr128_sticky(s, sh - 2) : fi_shl128(s, 1);
        mant = t.lo >> 2;                /* < 2^53 */
        mant += ((t.lo >> 1) & 1) && ((t.lo & 1) || (mant & 1));
    }
    /* mant 2^(e + sh): the exponent field plus the mantissa, where a carry
     * into 2^53 (or a subnormal's into 2^52) lands in the exponent by itself */
    int64_t field = (int64_t)e + sh + 1074;
    uint64_t bits;
    if (mant < 0x0010000000000000ull)
        bits = mant;                     /* subnormal or zero: field == 0 */
    else if (field >= 2047)
        bits = 0x7FF0000000000000ull;
    else
        bits = ((uint64_t)field << 52) + mant;
    if (bits > 0x7FF0000000000000ull)
        bits = 0x7FF0000000000000ull;    /* rounded past the largest double */
    return fi_sf_double(bits | (uint64_t)sign << 63);
}

/* Veltkamp's split and Dekker's exact product, valid far from overflow and
 * underflow (which fi_fma_soft checks first). */
static inline double fi_two_prod(double a, double b, double *err)
{
    const double split = 134217729.0;    /* 2^27 + 1 */
    double p = a * b;
    double ca = split * a, cb = split * b;
    double ah = ca - (ca - a), al = a - ah, bh = cb - (cb - b), bl = b - bh;
    *err = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    return p;
}

/* a*b + c rounded once.  Operands within 2^+-450 (c within 2^+-900) take the
 * error-free path: exact product uh + ul, c + uh = th + tl exactly, then
 * th + RO(tl + ul) with RO the round-to-odd sum, which is correctly rounded
 * (Boldo & Melquiond, Algorithm 5.4); there every term is a multiple of
 * 2^-1005 and below 2^903, so nothing underflows or overflows.  Zeros go
 * and non-finite operands go through the plain expression (exact, with
 * IEEE's signs), the rest through the integer path. */
static inline double fi_fma_soft(double a, double b, double c)
{
    if (!isfinite(a) || !isfinite(b))
        return a * b + c;
    if (!isfinite(c))
        return c;                        /* the exact product is finite */
    if (a == 0.0 || b == 0.0)
        return a * b + c;
    if (c == 0.0)
        return a * b;                    /* RN(ab) + 0 is RN(ab), the product's sign */
    int ea = (int)((fi_sf_bits(a) >> 52) & 0x7FF) - 1023,
        eb = (int)((fi_sf_bits(b) >> 52) & 0x7FF) - 1023,
        ec = (int)((fi_sf_bits(c) >> 52) & 0x7FF) - 1023;
    if (ea < -450 || ea > 450 || eb < -450 || eb > 450 || ec < -900 || ec > 900)
        return fi_fma_exact(a, b, c);
    double ul, uh = fi_two_prod(a, b, &ul);
    double th = c + uh, bb = th - c;
    double tl = (c - (th - bb)) + (uh - bb);
    double v = tl + ul, vb = v - tl;
    double ve = (tl - (v - vb)) + (ul - vb);
    uint64_t u = fi_sf_bits(v);
    if (ve != 0.0 && (u & 1u) == 0)
        u += ((ve > 0.0) == (v > 0.0)) ? 1u : (uint64_t)-1;
    return th + fi_sf_double(u);
}

#if defined(__FMA__) || defined(__aarch64__) || defined(_M_ARM64) || defined(__ARM_FEATURE_FMA)
#define fi_fma(a, b, c) fma(a, b, c)     /* one instruction */
#define fi_fmaf(a, b, c) fmaf(a, b, c)
#elif defined(_MSC_VER) && defined(__AVX2__)
#include <immintrin.h>
static inline double fi_fma(double a, double b, double c)
{
    return _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(a), _mm_set_sd(b), _mm_set_sd(c)));
}
static inline float fi_fmaf(float a, float b, float c)
{
    return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}
#else
#define fi_fma fi_fma_soft
#define fi_fmaf fi_fmaf_soft
#endif

#endif
