/* The portable path: plain C for any CPU (SSE2 on x86-64, NEON on aarch64,
 * whatever the compiler vectorizes to elsewhere). */
#include "fastinit_core.h"
#define FI_RUN fi_run_baseline
#define FI_RUNS fi_runs_baseline
#define FI_PHILOX_WORDS fi_philox_words_scalar
#define FI_PHILOX_BATCH 1
void fi_run_baseline(const fi_plan *p, uint64_t first, size_t n, void *out);
void fi_runs_baseline(const fi_plan *p, uint64_t first, size_t n, uint64_t lstep, size_t k,
                      void *out, int64_t mstep);
#include "kernels.h"
