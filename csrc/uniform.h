/* Uniform transform.  float32 element i takes word i: u = (w >> 8) 2^-24.
 * float64 element i takes words a = 2i, b = 2i + 1:
 * u = ((a >> 5) 2^26 + (b >> 6)) 2^-53, the genrand_res53 formula of MT19937.
 * Both grids are exact, u in [0, 1).  x = low + scale * u can round up to
 * high, so it is capped at top, the largest value below high. */
#ifndef FASTINIT_UNIFORM_H
#define FASTINIT_UNIFORM_H

#include "fastinit_core.h"

/* Exact conversions of the top bits of a word; the values fit in int32, the
 * conversion every SIMD instruction set has. */
static inline float fi_u24(uint32_t w) { return (float)(int32_t)(w >> 8) * 0x1p-24f; }
static inline double fi_u53(uint32_t a, uint32_t b)
{
    return ((double)(int32_t)(a >> 5) * 67108864.0 + (double)(int32_t)(b >> 6)) * 0x1p-53;
}

static inline void fi_uniform32(const fi_consts32 *c, const uint32_t *restrict w,
                                float *restrict out, size_t n)
{
    const float low = c->low, scale = c->scale, top = c->top;
    for (size_t i = 0; i < n; i++) {
        float x = low + scale * fi_u24(w[i]);
        out[i] = x < top ? x : top;
    }
}

static inline void fi_uniform64(const fi_consts64 *c, const uint32_t *restrict w,
                                double *restrict out, size_t n)
{
    const double low = c->low, scale = c->scale, top = c->top;
    for (size_t i = 0; i < n; i++) {
        double x = low + scale * fi_u53(w[2 * i], w[2 * i + 1]);
        out[i] = x < top ? x : top;
    }
}

#endif
