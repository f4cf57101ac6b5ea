/* The C core without Python, for cross-target checks (tools/cross_check.py):
 *     fill_driver PATH SPECFILE OUTDIR
 * runs each fill of SPECFILE on SIMD path PATH (baseline, avx2, avx512,
 * neon or best) and writes its raw bytes to OUTDIR/<name>.bin.  A spec line:
 *     name dist dtype seed stream offset n threads nparams p0 p1 ...
 * with the fi_dist and fi_dtype numbers and the plan parameters as the
 * binding computes them (hex floats), so that the check covers the C core
 * exactly as the wheel calls it.  Exit status 3: PATH is not supported. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastinit_core.h"

static size_t elsize(int dtype) { return dtype == FI_F64 ? 8 : dtype >= FI_F16 ? 2 : 4; }

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fill_driver PATH SPECFILE OUTDIR\n");
        return 2;
    }
    fi_path_id path = fi_best_path();
    if (strcmp(argv[1], "best") != 0) {
        int found = 0;
        for (int i = 0; i < FI_NPATHS; i++)
            if (strcmp(argv[1], fi_path_name((fi_path_id)i)) == 0) {
                path = (fi_path_id)i;
                found = 1;
            }
        if (!found || !fi_path_supported(path)) {
            printf("unsupported %s\n", argv[1]);
            return 3;
        }
    }
    FILE *spec = fopen(argv[2], "r");
    if (!spec) {
        perror(argv[2]);
        return 2;
    }
    char name[128], line[1024];
    int count = 0;
    while (fgets(line, sizeof line, spec)) {
        int dist, dtype, threads, np, used;
        unsigned long long seed, stream, offset, n;
        if (sscanf(line, "%127s %d %d %llu %llu %llu %llu %d %d%n", name, &dist, &dtype, &seed,
                   &stream, &offset, &n, &threads, &np, &used) != 9 || np > 8) {
            fprintf(stderr, "bad spec line: %s", line);
            return 2;
        }
        double prm[8] = {0};
        char *at = line + used;
        for (int i = 0; i < np; i++)
            prm[i] = strtod(at, &at);
        fi_plan plan;
        fi_plan_init(&plan, (fi_dist)dist, (fi_dtype)dtype, seed, stream, prm);
        size_t bytes = (size_t)n * elsize(dtype);
        char *buf = malloc(bytes ? bytes : 1);
        int64_t shape = (int64_t)n, stride = (int64_t)elsize(dtype);
        if (!buf) {
            fprintf(stderr, "%s: out of memory\n", name);
            return 1;
        }
        if (fi_fill(&plan, path, buf, 1, &shape, &stride, NULL, offset, threads, NULL, NULL) != 0)
            fprintf(stderr, "%s: a thread did not start (filled serially)\n", name);
        char file[1200];
        snprintf(file, sizeof file, "%s/%s.bin", argv[3], name);
        FILE *o = fopen(file, "wb");
        if (!o || fwrite(buf, 1, bytes, o) != bytes || fclose(o) != 0) {
            perror(file);
            return 1;
        }
        free(buf);
        count++;
    }
    fclose(spec);
    printf("%s: %d fills (%s)\n", fi_path_name(path), count, fi_build_flags());
    return 0;
}
