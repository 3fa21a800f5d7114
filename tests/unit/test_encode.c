/* test_encode.c: top_k_indices against a full sort (NaN worst, ties to the lower index). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "encode.h"

static const float *vals;

static int cmp_full(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    float x = vals[a], y = vals[b];
    if (isnan(x) != isnan(y)) return isnan(x) ? -1 : 1;
    if (!isnan(x) && x != y) return x > y ? -1 : 1;
    return a < b ? -1 : a > b;
}

int main(void)
{
    int fails = 0;
    srand(12345);
    for (int trial = 0; trial < 500; trial++) {
        int64_t n = rand() % 300, k = trial % 2 ? rand() % 70 : rand() % 400;   /* both paths */
        float *v = malloc((size_t)(n + 1) * sizeof *v);
        for (int64_t i = 0; i < n; i++) {
            int r = rand() % 20;
            v[i] = r == 0 ? NAN : (float)(rand() % 8) / 4;     /* many ties, some NaN */
        }
        int64_t *all = malloc((size_t)(n + 1) * sizeof *all), *top = malloc((size_t)(k + 1) * sizeof *top);
        for (int64_t i = 0; i < n; i++) all[i] = i;
        vals = v;
        qsort(all, (size_t)n, sizeof *all, cmp_full);
        int64_t m = top_k_indices(v, n, k, top);
        int64_t want = k < n ? k : n;
        if (m != want) { printf("trial %d: %lld indices, want %lld\n", trial, (long long)m, (long long)want); fails++; }
        for (int64_t i = 0; i < m && i < want; i++)
            if (top[i] != all[i]) {
                printf("trial %d: rank %lld is row %lld, want %lld\n", trial, (long long)i,
                       (long long)top[i], (long long)all[i]);
                fails++;
                break;
            }
        free(v); free(all); free(top);
    }
    printf("test_encode: %s\n", fails ? "FAILED" : "ok");
    return fails != 0;
}
