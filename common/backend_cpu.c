/* backend_cpu.c: the reference backend, float32 on the host through OpenBLAS (cblas). */
#include "backend.h"
#include "util.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *cpu_alloc(size_t n) { return xcalloc(n, 1); }
static void cpu_free(void *p) { free(p); }
static void cpu_copy(void *dst, const void *src, size_t n) { memcpy(dst, src, n); }
static void cpu_sync(void) {}

static void cpu_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

static void cpu_describe(char *buf, size_t n)
{
    snprintf(buf, n, "%s, %d threads", openblas_get_config(), openblas_get_num_threads());
}

void backend_cpu_set_threads(int n)
{
    if (n > 0) openblas_set_num_threads(n);
}

int backend_cpu_threads(void) { return openblas_get_num_threads(); }

static const backend_t cpu = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .gemm = cpu_gemm,
    .sync = cpu_sync,
    .describe = cpu_describe,
};

const backend_t *backend_cpu(void) { return &cpu; }
