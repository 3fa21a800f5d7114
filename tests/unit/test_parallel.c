/* test_parallel: the CPU backend's threaded loops (sparse first layer forward and gradient,
 * AdamW) give bit-identical results with 1, 2, 3 and 7 threads, and parallel_for covers every
 * index exactly once for awkward sizes. */
#include "backend.h"
#include "model.h"
#include "parallel.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mark(void *ctx, int64_t lo, int64_t hi)
{
    int *hits = ctx;
    for (int64_t i = lo; i < hi; i++) __atomic_add_fetch(&hits[i], 1, __ATOMIC_RELAXED);
}

int main(void)
{
    const backend_t *be = backend_cpu();
    enum { B = 9, O = 301, IN = 257, NP = 200003 };
    rng_t r;
    rng_seed(&r, 1);
    /* a sparse batch */
    int64_t indptr[B + 1] = {0};
    int32_t *idx = xmalloc(B * IN * sizeof *idx);
    float *val = xmalloc(B * IN * sizeof *val);
    for (int i = 0; i < B; i++) {
        indptr[i + 1] = indptr[i];
        for (int j = 0; j < IN; j++)
            if (rng_uniform(&r) < 0.2f) {
                idx[indptr[i + 1]] = j;
                val[indptr[i + 1]++] = rng_uniform(&r);
            }
    }
    float *W = xmalloc(O * IN * sizeof *W), *dY = xmalloc(B * O * sizeof *dY);
    for (int i = 0; i < O * IN; i++) W[i] = rng_uniform(&r) - 0.5f;
    for (int i = 0; i < B * O; i++) dY[i] = rng_uniform(&r) - 0.5f;
    float *p0 = xmalloc(NP * 4), *g = xmalloc(NP * 4), *m0 = xmalloc(NP * 4), *v0 = xmalloc(NP * 4);
    for (int i = 0; i < NP; i++) {
        p0[i] = rng_uniform(&r) - 0.5f;
        g[i] = rng_uniform(&r) - 0.5f;
        m0[i] = rng_uniform(&r) * 0.1f;
        v0[i] = rng_uniform(&r) * 0.01f;
    }
    float *Y[4], *dW[4], *p[4], *m[4], *v[4];
    int threads[4] = {1, 2, 3, 7}, fails = 0;
    for (int t = 0; t < 4; t++) {
        parallel_set_threads(threads[t]);
        Y[t] = xmalloc(B * O * 4);
        dW[t] = xmalloc(O * IN * 4);
        be->spmm(B, O, IN, indptr, idx, val, W, Y[t]);
        be->spmm_grad(B, O, IN, indptr, idx, val, dY, dW[t]);
        p[t] = xmalloc(NP * 4);
        m[t] = xmalloc(NP * 4);
        v[t] = xmalloc(NP * 4);
        memcpy(p[t], p0, NP * 4);
        memcpy(m[t], m0, NP * 4);
        memcpy(v[t], v0, NP * 4);
        for (int s = 0; s < 3; s++)
            be->adamw(NP, p[t], g, m[t], v[t], 0.99f, 0.9f, 0.1f, 0.999f, 0.001f, 0.01f, 0.5f, 1e-8f);
        if (t && (memcmp(Y[t], Y[0], B * O * 4) || memcmp(dW[t], dW[0], O * IN * 4) ||
                  memcmp(p[t], p[0], NP * 4) || memcmp(m[t], m[0], NP * 4) ||
                  memcmp(v[t], v[0], NP * 4))) {
            printf("FAIL: %d threads differ from 1\n", threads[t]);
            fails++;
        }
        int64_t sizes[] = {0, 1, 6, 7, 8, 1000, 65537};
        for (int k = 0; k < 7; k++) {
            int *hits = xcalloc((size_t)sizes[k] + 1, sizeof *hits);
            parallel_for(sizes[k], 1, mark, hits);
            for (int64_t i = 0; i < sizes[k]; i++)
                if (hits[i] != 1) { printf("FAIL: n=%lld index %lld hit %d times\n", (long long)sizes[k], (long long)i, hits[i]); fails++; break; }
            free(hits);
        }
    }
    /* the serial reference: spmm computed directly */
    for (int i = 0; i < B && !fails; i++)
        for (int o = 0; o < O; o++) {
            float acc = 0;
            for (int64_t q = indptr[i]; q < indptr[i + 1]; q++) acc += val[q] * W[o * IN + idx[q]];
            if (acc != Y[3][i * O + o]) { printf("FAIL: spmm [%d,%d]\n", i, o); fails++; break; }
        }
    for (int t = 0; t < 4; t++) {
        free(Y[t]);
        free(dW[t]);
        free(p[t]);
        free(m[t]);
        free(v[t]);
    }
    free(idx);
    free(val);
    free(W);
    free(dY);
    free(p0);
    free(g);
    free(m0);
    free(v0);
    if (!fails) puts("threaded backend loops: identical for 1, 2, 3, 7 threads");
    return fails ? 1 : 0;
}
