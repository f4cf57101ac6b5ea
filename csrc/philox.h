/* Philox4x32-10 (Salmon et al., SC'11; the Random123 reference), the only
 * source of randomness in fastinit.
 *
 * Stream layout (see README "Stream format"): the key is the 64-bit seed
 * (low word first) and the counter of block b is (lo(b), hi(b), lo(stream),
 * hi(stream)).  Word w of the stream is lane w % 4 of block w / 4.
 *
 * fi_philox_words_*() write the words of consecutive blocks i = 0, 1, ...
 * (counted from the first) in one of three layouts, so that each transform
 * reads its words without shuffling them:
 *   FI_STREAM  out[4i + j] = word j of block i (stream order);
 *   FI_PAIRS   out[2i + h] = word 2h, out[stride + 2i + h] = word 2h + 1 of
 *              block i (the two halves of float32 Box-Muller pairs);
 *   FI_PLANES  out[j stride + i] = word j of block i (one plane per word).
 * There is a scalar definition and, where the translation unit is compiled
 * for them, AVX2 and AVX-512 ones; all are integer-exact, so every path
 * yields the same words. */
#ifndef FASTINIT_PHILOX_H
#define FASTINIT_PHILOX_H

#include <stddef.h>
#include <stdint.h>

#define FI_PHILOX_M0 0xD2511F53u
#define FI_PHILOX_M1 0xCD9E8D57u
#define FI_PHILOX_W0 0x9E3779B9u
#define FI_PHILOX_W1 0xBB67AE85u
#define FI_PHILOX_ROUNDS 10

typedef enum { FI_STREAM, FI_PAIRS, FI_PLANES } fi_layout;

#if defined(_MSC_VER)
#define FI_ALWAYS_INLINE __forceinline
#else
#define FI_ALWAYS_INLINE inline __attribute__((always_inline))
#endif

typedef struct {
    uint32_t k0, k1;  /* key: seed, low word first */
    uint32_t s0, s1;  /* counter words 2 and 3: the stream, low word first */
} fi_philox_key;

static inline fi_philox_key fi_philox_make_key(uint64_t seed, uint64_t stream)
{
    fi_philox_key k = {(uint32_t)seed, (uint32_t)(seed >> 32),
                       (uint32_t)stream, (uint32_t)(stream >> 32)};
    return k;
}

/* One Philox4x32-10 block: ctr[4] and key[2] in, out[4] out. */
static inline void fi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                                    uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int r = 0; r < FI_PHILOX_ROUNDS; r++) {
        uint64_t p0 = (uint64_t)FI_PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)FI_PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += FI_PHILOX_W0;
        k1 += FI_PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* Where block i's word 0 goes in each layout (the others follow from it). */
static inline uint32_t *fi_layout_at(uint32_t *out, fi_layout layout, size_t i)
{
    return out + (layout == FI_STREAM ? 4 * i : layout == FI_PAIRS ? 2 * i : i);
}

static inline void fi_philox_words_scalar(const fi_philox_key *k, uint64_t block,
                                          size_t nblocks, uint32_t *out,
                                          fi_layout layout, size_t stride)
{
    const uint32_t key[2] = {k->k0, k->k1};
    for (size_t i = 0; i < nblocks; i++) {
        uint64_t c = block + i;
        const uint32_t ctr[4] = {(uint32_t)c, (uint32_t)(c >> 32), k->s0, k->s1};
        uint32_t w[4];
        fi_philox4x32_10(ctr, key, w);
        uint32_t *o = fi_layout_at(out, layout, i);
        if (layout == FI_STREAM) {
            o[0] = w[0]; o[1] = w[1]; o[2] = w[2]; o[3] = w[3];
        } else if (layout == FI_PAIRS) {
            o[0] = w[0]; o[stride] = w[1]; o[1] = w[2]; o[stride + 1] = w[3];
        } else {
            o[0] = w[0]; o[stride] = w[1]; o[2 * stride] = w[2]; o[3 * stride] = w[3];
        }
    }
}

/* Groups of `group` consecutive blocks from arbitrary counters: group g is
 * blocks ctr[g] .. ctr[g] + group - 1, stored as blocks g * group on of out.
 * The short runs of a block fill (a row of a column shard) are not
 * consecutive in the stream; generating all of them at once pays the key
 * set-up once and keeps the vector passes full. */
static inline void fi_philox_groups_scalar(const fi_philox_key *k, const uint64_t *ctr,
                                           size_t ngroups, size_t group, uint32_t *out,
                                           fi_layout layout, size_t stride)
{
    for (size_t g = 0; g < ngroups; g++)
        fi_philox_words_scalar(k, ctr[g], group, fi_layout_at(out, layout, g * group), layout,
                               stride);
}

/* Whether none of n groups of 8 blocks wraps the low counter word (a vector
 * pass carries nothing into the high word). */
static inline int fi_groups_nowrap(const uint64_t *ctr, size_t n)
{
    int ok = 1;
    for (size_t g = 0; g < n; g++)
        ok &= (uint32_t)ctr[g] <= UINT32_MAX - 8;
    return ok;
}

/* The counters of consecutive groups of 8 from block c, for a pass. */
#define FI_GROUP_CTRS(c) ((const uint64_t[4]){(c), (c) + 8, (c) + 16, (c) + 24})

#if defined(__AVX2__)
#include <immintrin.h>

/* 32x32->64 multiply of 8 lanes, split into high and low words.  The low
 * words by vpmulld rather than a shift and blend of the two products: +10%
 * on Zen 4 (one uop there; two on Intel, the same count as shift+blend). */
static inline void fi_mulhilo_avx2(__m256i a, __m256i m, __m256i *hi, __m256i *lo)
{
    __m256i even = _mm256_mul_epu32(a, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_mullo_epi32(a, m);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

/* 4 groups of 8 blocks side by side hide the multiplier latency. */
#define FI_AVX2_GROUPS 4
#define FI_AVX2_BLOCKS (8 * FI_AVX2_GROUPS)

/* One pass of `groups` groups of 8 blocks, group g from block ctr[g] (none
 * wrapping its low word), j blocks into the output; inlined with groups
 * constant, so each count gets its own code.  Per-group counters let the
 * short runs of a block fill share full-width passes. */
static FI_ALWAYS_INLINE void fi_philox_pass_avx2(const fi_philox_key *k, const __m256i *ks0,
                                                 const __m256i *ks1, const uint64_t *ctr,
                                                 const int groups, uint32_t *out, size_t j,
                                                 fi_layout layout, size_t stride)
{
    const __m256i m0 = _mm256_set1_epi32((int)FI_PHILOX_M0);
    const __m256i m1 = _mm256_set1_epi32((int)FI_PHILOX_M1);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i x0[FI_AVX2_GROUPS], x1[FI_AVX2_GROUPS], x2[FI_AVX2_GROUPS],
        x3[FI_AVX2_GROUPS];
    for (int g = 0; g < groups; g++) {
        x0[g] = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)ctr[g]), lane);
        x1[g] = _mm256_set1_epi32((int)(uint32_t)(ctr[g] >> 32));
        x2[g] = _mm256_set1_epi32((int)k->s0);
        x3[g] = _mm256_set1_epi32((int)k->s1);
    }
    for (int r = 0; r < FI_PHILOX_ROUNDS; r++) {
        const __m256i kk0 = ks0[r], kk1 = ks1[r];
        for (int g = 0; g < groups; g++) {
            __m256i h0, l0, h1, l1;
            fi_mulhilo_avx2(x0[g], m0, &h0, &l0);
            fi_mulhilo_avx2(x2[g], m1, &h1, &l1);
            x0[g] = _mm256_xor_si256(_mm256_xor_si256(h1, x1[g]), kk0);
            x2[g] = _mm256_xor_si256(_mm256_xor_si256(h0, x3[g]), kk1);
            x1[g] = l1;
            x3[g] = l0;
        }
    }
    for (int g = 0; g < groups; g++) {
        uint32_t *o = fi_layout_at(out, layout, j + 8 * (size_t)g);
        if (layout == FI_PLANES) {
            _mm256_storeu_si256((__m256i *)o, x0[g]);
            _mm256_storeu_si256((__m256i *)(o + stride), x1[g]);
            _mm256_storeu_si256((__m256i *)(o + 2 * stride), x2[g]);
            _mm256_storeu_si256((__m256i *)(o + 3 * stride), x3[g]);
        } else if (layout == FI_PAIRS) {
            /* words 0, 2 of each block, then words 1, 3 */
            __m256i a0 = _mm256_unpacklo_epi32(x0[g], x2[g]); /* blocks 0, 1 | 4, 5 */
            __m256i a1 = _mm256_unpackhi_epi32(x0[g], x2[g]); /* blocks 2, 3 | 6, 7 */
            __m256i b0 = _mm256_unpacklo_epi32(x1[g], x3[g]);
            __m256i b1 = _mm256_unpackhi_epi32(x1[g], x3[g]);
            _mm256_storeu_si256((__m256i *)o, _mm256_permute2x128_si256(a0, a1, 0x20));
            _mm256_storeu_si256((__m256i *)(o + 8), _mm256_permute2x128_si256(a0, a1, 0x31));
            _mm256_storeu_si256((__m256i *)(o + stride), _mm256_permute2x128_si256(b0, b1, 0x20));
            _mm256_storeu_si256((__m256i *)(o + stride + 8),
                                _mm256_permute2x128_si256(b0, b1, 0x31));
        } else {
            /* stream order: transpose lanes (block-major) 4x8 -> 8x4 */
            __m256i t0 = _mm256_unpacklo_epi32(x0[g], x1[g]); /* b0 w0 w1, b1 w0 w1 | b4.., b5.. */
            __m256i t1 = _mm256_unpackhi_epi32(x0[g], x1[g]); /* b2, b3 | b6, b7 */
            __m256i t2 = _mm256_unpacklo_epi32(x2[g], x3[g]);
            __m256i t3 = _mm256_unpackhi_epi32(x2[g], x3[g]);
            __m256i b04 = _mm256_unpacklo_epi64(t0, t2);      /* block 0 | block 4 */
            __m256i b15 = _mm256_unpackhi_epi64(t0, t2);      /* block 1 | block 5 */
            __m256i b26 = _mm256_unpacklo_epi64(t1, t3);
            __m256i b37 = _mm256_unpackhi_epi64(t1, t3);
            __m256i *v = (__m256i *)o;
            _mm256_storeu_si256(v + 0, _mm256_permute2x128_si256(b04, b15, 0x20));
            _mm256_storeu_si256(v + 1, _mm256_permute2x128_si256(b26, b37, 0x20));
            _mm256_storeu_si256(v + 2, _mm256_permute2x128_si256(b04, b15, 0x31));
            _mm256_storeu_si256(v + 3, _mm256_permute2x128_si256(b26, b37, 0x31));
        }
    }
}

static inline void fi_philox_words_avx2(const fi_philox_key *k, uint64_t block,
                                        size_t nblocks, uint32_t *out,
                                        fi_layout layout, size_t stride)
{
    /* the round keys, broadcast once: then each XOR takes its key from
     * memory instead of a broadcast per round (+7%) */
    __m256i ks0[FI_PHILOX_ROUNDS], ks1[FI_PHILOX_ROUNDS];
    for (uint32_t r = 0, k0 = k->k0, k1 = k->k1; r < FI_PHILOX_ROUNDS;
         r++, k0 += FI_PHILOX_W0, k1 += FI_PHILOX_W1) {
        ks0[r] = _mm256_set1_epi32((int)k0);
        ks1[r] = _mm256_set1_epi32((int)k1);
    }
    size_t j = 0;
    /* Vector passes only while the low counter word cannot wrap inside one:
     * FI_AVX2_GROUPS groups side by side, then 2 and 1 for the rest. */
    while (nblocks - j >= FI_AVX2_BLOCKS &&
           (uint32_t)(block + j) <= UINT32_MAX - FI_AVX2_BLOCKS) {
        fi_philox_pass_avx2(k, ks0, ks1, FI_GROUP_CTRS(block + j), FI_AVX2_GROUPS, out, j, layout, stride);
        j += FI_AVX2_BLOCKS;
    }
    if (nblocks - j >= 16 && (uint32_t)(block + j) <= UINT32_MAX - 16) {
        fi_philox_pass_avx2(k, ks0, ks1, FI_GROUP_CTRS(block + j), 2, out, j, layout, stride);
        j += 16;
    }
    if (nblocks - j >= 8 && (uint32_t)(block + j) <= UINT32_MAX - 8) {
        fi_philox_pass_avx2(k, ks0, ks1, FI_GROUP_CTRS(block + j), 1, out, j, layout, stride);
        j += 8;
    }
    fi_philox_words_scalar(k, block + j, nblocks - j, fi_layout_at(out, layout, j), layout,
                           stride);
}

/* fi_philox_groups_scalar with groups of 8, in passes of up to FI_AVX2_GROUPS. */
static inline void fi_philox_groups_avx2(const fi_philox_key *k, const uint64_t *ctr,
                                          size_t ngroups, uint32_t *out, fi_layout layout,
                                          size_t stride)
{
    __m256i ks0[FI_PHILOX_ROUNDS], ks1[FI_PHILOX_ROUNDS];
    for (uint32_t r = 0, k0 = k->k0, k1 = k->k1; r < FI_PHILOX_ROUNDS;
         r++, k0 += FI_PHILOX_W0, k1 += FI_PHILOX_W1) {
        ks0[r] = _mm256_set1_epi32((int)k0);
        ks1[r] = _mm256_set1_epi32((int)k1);
    }
    size_t g = 0;
    while (g < ngroups) {
        const size_t left = ngroups - g;
        if (left >= FI_AVX2_GROUPS && fi_groups_nowrap(ctr + g, FI_AVX2_GROUPS)) {
            fi_philox_pass_avx2(k, ks0, ks1, ctr + g, FI_AVX2_GROUPS, out, 8 * g, layout, stride);
            g += FI_AVX2_GROUPS;
        } else if (left >= 2 && fi_groups_nowrap(ctr + g, 2)) {
            fi_philox_pass_avx2(k, ks0, ks1, ctr + g, 2, out, 8 * g, layout, stride);
            g += 2;
        } else if (fi_groups_nowrap(ctr + g, 1)) {
            fi_philox_pass_avx2(k, ks0, ks1, ctr + g, 1, out, 8 * g, layout, stride);
            g += 1;
        } else {
            fi_philox_words_scalar(k, ctr[g], 8, fi_layout_at(out, layout, 8 * g), layout,
                                   stride);
            g += 1;
        }
    }
}
#endif /* __AVX2__ */

#if defined(__AVX512F__)
/* AVX-512: each 64-bit lane holds one block's word, so a 32x32->64 multiply
 * (vpmuludq) gives the whole product with no even/odd split, and the high
 * half is one shift away.  The low halves carry the other product half as
 * garbage above bit 31, which vpmuludq ignores; three-way XORs are one
 * vpternlog.  ~20% fewer instructions than 16 lanes of 32 bits.  4 groups of
 * 8 blocks side by side hide the multiplier latency. */
#define FI_AVX512_GROUPS 4
#define FI_AVX512_BLOCKS (8 * FI_AVX512_GROUPS)
#define FI_XOR3 0x96   /* vpternlog truth table of a ^ b ^ c */

/* One pass as fi_philox_pass_avx2's. */
static FI_ALWAYS_INLINE void fi_philox_pass_avx512(const fi_philox_key *k, const __m512i *ks0,
                                                   const __m512i *ks1, const uint64_t *ctr,
                                                   const int groups, uint32_t *out, size_t j,
                                                   fi_layout layout, size_t stride)
{
    const __m512i m0 = _mm512_set1_epi64(FI_PHILOX_M0);
    const __m512i m1 = _mm512_set1_epi64(FI_PHILOX_M1);
    const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    /* interleave the (w0, w1) and (w2, w3) halves of blocks 0-3 and 4-7 */
    const __m512i first = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i second = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    __m512i x0[FI_AVX512_GROUPS], x1[FI_AVX512_GROUPS], x2[FI_AVX512_GROUPS],
        x3[FI_AVX512_GROUPS];
    for (int g = 0; g < groups; g++) {
        x0[g] = _mm512_add_epi64(_mm512_set1_epi64((uint32_t)ctr[g]), lane);
        x1[g] = _mm512_set1_epi64((uint32_t)(ctr[g] >> 32));
        x2[g] = _mm512_set1_epi64(k->s0);
        x3[g] = _mm512_set1_epi64(k->s1);
    }
    for (int r = 0; r < FI_PHILOX_ROUNDS; r++) {
        const __m512i kk0 = ks0[r], kk1 = ks1[r];
        for (int g = 0; g < groups; g++) {
            __m512i p0 = _mm512_mul_epu32(x0[g], m0);
            __m512i p1 = _mm512_mul_epu32(x2[g], m1);
            x0[g] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), x1[g], kk0, FI_XOR3);
            x2[g] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), x3[g], kk1, FI_XOR3);
            x1[g] = p1;
            x3[g] = p0;
        }
    }
    for (int g = 0; g < groups; g++) {
        uint32_t *o = fi_layout_at(out, layout, j + 8 * (size_t)g);
        if (layout == FI_PLANES) {
            /* the low halves, packed */
            _mm256_storeu_si256((__m256i *)o, _mm512_cvtepi64_epi32(x0[g]));
            _mm256_storeu_si256((__m256i *)(o + stride), _mm512_cvtepi64_epi32(x1[g]));
            _mm256_storeu_si256((__m256i *)(o + 2 * stride), _mm512_cvtepi64_epi32(x2[g]));
            _mm256_storeu_si256((__m256i *)(o + 3 * stride), _mm512_cvtepi64_epi32(x3[g]));
        } else if (layout == FI_PAIRS) {
            /* (w2 << 32 | w0) and (w3 << 32 | w1) per block are already
             * in order, dropping the garbage halves */
            _mm512_storeu_si512((void *)o,
                _mm512_mask_blend_epi32(0xAAAA, x0[g], _mm512_slli_epi64(x2[g], 32)));
            _mm512_storeu_si512((void *)(o + stride),
                _mm512_mask_blend_epi32(0xAAAA, x1[g], _mm512_slli_epi64(x3[g], 32)));
        } else {
            /* (w1 << 32 | w0) and (w3 << 32 | w2) per block, dropping the
             * garbage halves, then blocks in order: 4 words each */
            __m512i w01 = _mm512_mask_blend_epi32(0xAAAA, x0[g], _mm512_slli_epi64(x1[g], 32));
            __m512i w23 = _mm512_mask_blend_epi32(0xAAAA, x2[g], _mm512_slli_epi64(x3[g], 32));
            _mm512_storeu_si512((void *)o, _mm512_permutex2var_epi64(w01, first, w23));
            _mm512_storeu_si512((void *)(o + 16), _mm512_permutex2var_epi64(w01, second, w23));
        }
    }
}

static inline void fi_philox_words_avx512(const fi_philox_key *k, uint64_t block,
                                          size_t nblocks, uint32_t *out,
                                          fi_layout layout, size_t stride)
{
    __m512i ks0[FI_PHILOX_ROUNDS], ks1[FI_PHILOX_ROUNDS];   /* as in AVX2 */
    for (uint32_t r = 0, k0 = k->k0, k1 = k->k1; r < FI_PHILOX_ROUNDS;
         r++, k0 += FI_PHILOX_W0, k1 += FI_PHILOX_W1) {
        ks0[r] = _mm512_set1_epi64(k0);
        ks1[r] = _mm512_set1_epi64(k1);
    }
    size_t j = 0;
    /* Vector passes only while the low counter word cannot wrap inside one:
     * FI_AVX512_GROUPS groups side by side, then 2 and 1 for the rest. */
    while (nblocks - j >= FI_AVX512_BLOCKS &&
           (uint32_t)(block + j) <= UINT32_MAX - FI_AVX512_BLOCKS) {
        fi_philox_pass_avx512(k, ks0, ks1, FI_GROUP_CTRS(block + j), FI_AVX512_GROUPS, out, j, layout,
                              stride);
        j += FI_AVX512_BLOCKS;
    }
    if (nblocks - j >= 16 && (uint32_t)(block + j) <= UINT32_MAX - 16) {
        fi_philox_pass_avx512(k, ks0, ks1, FI_GROUP_CTRS(block + j), 2, out, j, layout, stride);
        j += 16;
    }
    if (nblocks - j >= 8 && (uint32_t)(block + j) <= UINT32_MAX - 8) {
        fi_philox_pass_avx512(k, ks0, ks1, FI_GROUP_CTRS(block + j), 1, out, j, layout, stride);
        j += 8;
    }
    fi_philox_words_avx2(k, block + j, nblocks - j, fi_layout_at(out, layout, j), layout,
                         stride);
}

/* fi_philox_groups_scalar with groups of 8, in passes of up to FI_AVX512_GROUPS. */
static inline void fi_philox_groups_avx512(const fi_philox_key *k, const uint64_t *ctr,
                                          size_t ngroups, uint32_t *out, fi_layout layout,
                                          size_t stride)
{
    __m512i ks0[FI_PHILOX_ROUNDS], ks1[FI_PHILOX_ROUNDS];
    for (uint32_t r = 0, k0 = k->k0, k1 = k->k1; r < FI_PHILOX_ROUNDS;
         r++, k0 += FI_PHILOX_W0, k1 += FI_PHILOX_W1) {
        ks0[r] = _mm512_set1_epi64(k0);
        ks1[r] = _mm512_set1_epi64(k1);
    }
    size_t g = 0;
    while (g < ngroups) {
        const size_t left = ngroups - g;
        if (left >= FI_AVX512_GROUPS && fi_groups_nowrap(ctr + g, FI_AVX512_GROUPS)) {
            fi_philox_pass_avx512(k, ks0, ks1, ctr + g, FI_AVX512_GROUPS, out, 8 * g, layout, stride);
            g += FI_AVX512_GROUPS;
        } else if (left >= 2 && fi_groups_nowrap(ctr + g, 2)) {
            fi_philox_pass_avx512(k, ks0, ks1, ctr + g, 2, out, 8 * g, layout, stride);
            g += 2;
        } else if (fi_groups_nowrap(ctr + g, 1)) {
            fi_philox_pass_avx512(k, ks0, ks1, ctr + g, 1, out, 8 * g, layout, stride);
            g += 1;
        } else {
            fi_philox_words_scalar(k, ctr[g], 8, fi_layout_at(out, layout, 8 * g), layout,
                                   stride);
            g += 1;
        }
    }
}
#endif /* __AVX512F__ */

#endif /* FASTINIT_PHILOX_H */
