/* x86-64 with AVX2 and FMA: built with -mavx2 -mfma (setup.py).  The
 * kernels' explicit fma() calls become vfmadd; contraction of anything else
 * stays off, so results equal the baseline path bit for bit. */
#include "fastinit_core.h"
#if defined(__AVX2__)
#define FI_RUN fi_run_avx2
#define FI_RUNS fi_runs_avx2
#define FI_PHILOX_WORDS fi_philox_words_avx2
#define FI_PHILOX_GROUPS fi_philox_groups_avx2
#define FI_PHILOX_STEP 8     /* one group of 8 blocks */
#define FI_PHILOX_BATCH FI_AVX2_BLOCKS
void fi_run_avx2(const fi_plan *p, uint64_t first, size_t n, void *out);
void fi_runs_avx2(const fi_plan *p, uint64_t first, size_t n, uint64_t lstep, size_t k,
                  void *out, int64_t mstep);
#include "kernels.h"
#endif
