/* backend.h: the seam between the math and where it runs.
 *
 * Every numeric operation used by training and inference goes through this table. The CPU
 * backend (backend_cpu.c, OpenBLAS) is the specification; the CUDA backend (backend_cuda.cu,
 * cuBLAS) must match it within the tolerances written in tests. backend.c is the only file
 * that says #ifdef AEKIT_CUDA. Public structs are the same in every build.
 *
 * Matrices are row-major float32. Dimension legend: B batch, I in, O out.
 */
#ifndef AEKIT_BACKEND_H
#define AEKIT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

typedef enum { DEVICE_AUTO, DEVICE_CPU, DEVICE_CUDA } device_kind_t;

typedef struct backend {
    const char *name;                    /* "cpu" or "cuda" */
    /* device memory */
    void *(*alloc)(size_t bytes);
    void (*free)(void *p);
    void (*upload)(void *dst, const void *src, size_t bytes);
    void (*download)(void *dst, const void *src, size_t bytes);
    /* C[M,N] = alpha * op(A) op(B) + beta * C, row-major; ta/tb transpose flags */
    void (*gemm)(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc);
    void (*sync)(void);
    /* A short description for config.yaml: library versions, thread count, GPU name. */
    void (*describe)(char *buf, size_t n);
} backend_t;

/* Pick a backend. On failure returns NULL and err says why, e.g.
 * "--device cuda: this build has no CUDA support (rebuild with CUDA=1)". */
const backend_t *backend_get(device_kind_t kind, char *err, size_t errlen);
int backend_parse_device(const char *s, device_kind_t *out);
const backend_t *backend_cpu(void);
/* Defined only in CUDA builds (backend_cuda.cu). */
const backend_t *backend_cuda(char *err, size_t errlen);
/* Set the number of BLAS threads (0: library default). */
void backend_cpu_set_threads(int n);
int backend_cpu_threads(void);

#endif
