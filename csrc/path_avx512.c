/* x86-64 with AVX-512 (F, BW, DQ, VL): the transforms vectorize 16 floats
 * wide, and so does Philox. */
#include "fastinit_core.h"
#if defined(__AVX512F__) && defined(__AVX2__)
#define FI_RUN fi_run_avx512
#define FI_RUNS fi_runs_avx512
#define FI_PHILOX_WORDS fi_philox_words_avx512
#define FI_PHILOX_GROUPS fi_philox_groups_avx512
#define FI_PHILOX_STEP 8     /* one group of 8 blocks */
#define FI_PHILOX_BATCH FI_AVX512_BLOCKS
void fi_run_avx512(const fi_plan *p, uint64_t first, size_t n, void *out);
void fi_runs_avx512(const fi_plan *p, uint64_t first, size_t n, uint64_t lstep, size_t k,
                    void *out, int64_t mstep);
#include "kernels.h"
#endif
