/* Checks fastinit's own maths against the hardware (tests/test_cmath.py
 * builds and runs this with the system C compiler):
 *   cmath_check fma N SEED    fi_fma_soft / fi_fmaf_soft against the FMA
 *                             instruction on N operand triples of every
 *                             kind; prints "mismatches D F" and examples
 *   cmath_check expm1         reads hex doubles (one a line) from stdin and
 *                             prints fi_expm1 of each as a hex double */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "truncnorm.h"

static uint64_t rng_state;
static uint64_t next64(void)       /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A double of a random kind: any bits; near 1; or with an exponent picked
 * around a base, so that products and sums cancel, underflow or overflow. */
static double pick64(int base)
{
    uint64_t r = next64(), m = next64() & 0x000FFFFFFFFFFFFFull;
    uint64_t sign = (r & 1) << 63;
    int kind = (int)((r >> 1) % 8);
    int e;
    if (kind == 0)
        return fi_float64(next64());
    if (kind == 1)                       /* few mantissa bits: exact cases, ties */
        m &= 0x000FF00000000000ull;
    if (kind == 2)
        m |= 0x000FFFFFFFFF0000ull;
    e = base + (int)((r >> 8) % 120) - 60;
    if (kind == 3)
        e = (int)((r >> 8) % 2046) + 1 - 1023;
    if (e < -1023)
        e = -1023;                       /* subnormal */
    if (e > 1023)
        e = 1023;
    return fi_float64(sign | (uint64_t)(e + 1023) << 52 | m);
}

static float pick32(int base)
{
    uint64_t r = next64();
    uint32_t m = (uint32_t)next64() & 0x007FFFFFu, sign = (uint32_t)(r & 1) << 31;
    int kind = (int)((r >> 1) % 8);
    if (kind == 0)
        return fi_float32((uint32_t)next64());
    if (kind == 1)
        m &= 0x007F0000u;
    int e = base + (int)((r >> 8) % 60) - 30;
    if (kind == 3)
        e = (int)((r >> 8) % 254) + 1 - 127;
    if (e < -127)
        e = -127;
    if (e > 127)
        e = 127;
    return fi_float32(sign | (uint32_t)(e + 127) << 23 | m);
}

static int same64(double a, double b)
{
    return fi_bits64(a) == fi_bits64(b) || (a != a && b != b);
}

static int check_fma(long n)
{
    long bad64 = 0, bad32 = 0;
    for (long i = 0; i < n; i++) {
        /* bases: moderate, then around under- and overflow of the product */
        static const int bases[] = {0, 0, 0, -300, -520, -540, 500, 511, 30, -30};
        int b = bases[next64() % 10];
        double x = pick64(b), y = pick64(next64() % 2 ? b : -b), z;
        int ez = (int)((fi_bits64(x) >> 52) & 0x7FF) + (int)((fi_bits64(y) >> 52) & 0x7FF) - 2046;
        z = pick64(next64() % 3 ? ez : b);
        if (next64() % 16 == 0)
            z = -x * y;                  /* near-total cancellation */
        double hw = __builtin_fma(x, y, z), sw = fi_fma_soft(x, y, z);
        if (!same64(hw, sw) && bad64++ < 5)
            printf("fma(%a, %a, %a): hardware %a, soft %a\n", x, y, z, hw, sw);
        /* the integer path alone, on every finite nonzero triple */
        if (x != 0 && y != 0 && z != 0 && isfinite(x) && isfinite(y) && isfinite(z)) {
            double ex = fi_fma_exact(x, y, z);
            if (!same64(hw, ex) && bad64++ < 5)
                printf("fma(%a, %a, %a): hardware %a, integer path %a\n", x, y, z, hw, ex);
        }
        int fb = (int)(next64() % 5) * 40 - 80;
        float fx = pick32(fb), fy = pick32(next64() % 2 ? fb : -fb), fz = pick32(fb);
        if (next64() % 16 == 0)
            fz = -fx * fy;
        float fh = __builtin_fmaf(fx, fy, fz), fs = fi_fmaf_soft(fx, fy, fz);
        if (fi_bits32(fh) != fi_bits32(fs) && !(fh != fh && fs != fs) && bad32++ < 5)
            printf("fmaf(%a, %a, %a): hardware %a, soft %a\n", fx, fy, fz, fh, fs);
    }
    printf("mismatches %ld %ld\n", bad64, bad32);
    return bad64 || bad32;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "fma") == 0) {
        rng_state = strtoull(argv[3], NULL, 10);
        return check_fma(strtol(argv[2], NULL, 10));
    }
    if (argc == 2 && strcmp(argv[1], "expm1") == 0) {
        char line[128];
        while (fgets(line, sizeof line, stdin))
            printf("%a\n", fi_expm1(strtod(line, NULL)));
        return 0;
    }
    fprintf(stderr, "usage: cmath_check fma N SEED | cmath_check expm1\n");
    return 2;
}
