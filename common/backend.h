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

    /* ---- the autoencoder's other operations (model.c, adamw.c). All pointers are backend
     * memory. CSR X [B,In]: indptr [B+1] (relative, indptr[0] == 0), indices/vals [nnz]. */
    /* Y[B,O] = X W^T with W [O,In] (Y overwritten) */
    void (*spmm)(int B, int O, int In, const int64_t *indptr, const int32_t *indices,
                 const float *vals, const float *W, float *Y);
    /* dW[O,In] = dY[B,O]^T X (dW overwritten) */
    void (*spmm_grad)(int B, int O, int In, const int64_t *indptr, const int32_t *indices,
                      const float *vals, const float *dY, float *dW);
    /* Y[r,:] += b for each of the B rows of Y [B,O] */
    void (*add_bias)(int B, int O, const float *b, float *Y);
    /* db[O] = sum over rows of dY [B,O] */
    void (*sum_rows)(int B, int O, const float *dY, float *db);
    /* Y = f(Y) in place, n elements; act is an act_t (model.h) */
    void (*act_forward)(int act, size_t n, float *Y);
    /* dA *= f'(.) where A = f(.) is the activation's output (every f here allows that) */
    void (*act_backward)(int act, size_t n, const float *A, float *dA);
    /* y = x rounded to bfloat16 (mode 1) or float16 (mode 2), round to nearest even, kept as
     * float; overflow gives inf as the narrow type would */
    void (*round)(int mode, size_t n, const float *x, float *y);
    /* Reconstruction error against the sparse target X [B,D]: rowerr[r] = sum_j (R-X)^2 (in
     * device memory, [B]) and, when dR is not NULL, dR = gscale * (R - X). */
    void (*mse)(int B, int D, const float *R, const int64_t *indptr, const int32_t *indices,
                const float *vals, float gscale, float *dR, float *rowerr);
    /* returns sum |z| over n values (double, on the host); when dz is not NULL,
     * dz += gscale * sign(z) (sign(0) = 0) */
    double (*l1)(size_t n, const float *z, float gscale, float *dz);
    /* torch.optim.AdamW's update for n parameters; the scalars are prepared by adamw.c:
     * p *= decay; m = m*b1 + c1*g; v = v*b2 + (c2*g)*g   (c1 = 1-b1, c2 = 1-b2 rounded once)
     * p += (-step_size * m) / (sqrt(v) / bc2_sqrt + eps) */
    void (*adamw)(size_t n, float *p, const float *g, float *m, float *v, float decay,
                  float b1, float c1, float b2, float c2, float step_size, float bc2_sqrt,
                  float eps);
    /* g *= s in place; returns 1 when any element of the result is inf or NaN */
    int (*scale_check)(size_t n, float *g, float s);
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
