/* backend_cuda.cu: the CUDA backend (CUDA runtime + cuBLAS). Must match backend_cpu.c within
 * the tolerances of the GPU comparison test. Row-major gemm maps to cuBLAS's column-major by
 * computing C^T = op(B)^T op(A)^T. */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>

extern "C" {
#include "backend.h"
}

#define CUDA_CHECK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
    fprintf(stderr, "CUDA error %s at %s:%d: %s\n", #x, __FILE__, __LINE__, cudaGetErrorString(e_)); \
    exit(1); } } while (0)
#define CUBLAS_CHECK(x) do { cublasStatus_t s_ = (x); if (s_ != CUBLAS_STATUS_SUCCESS) { \
    fprintf(stderr, "cuBLAS error %d in %s at %s:%d\n", (int)s_, #x, __FILE__, __LINE__); \
    exit(1); } } while (0)

static cublasHandle_t handle;

static void *cu_alloc(size_t n)
{
    void *p = NULL;
    CUDA_CHECK(cudaMalloc(&p, n ? n : 1));
    CUDA_CHECK(cudaMemset(p, 0, n ? n : 1));
    return p;
}
static void cu_free(void *p) { CUDA_CHECK(cudaFree(p)); }
static void cu_upload(void *d, const void *s, size_t n) { CUDA_CHECK(cudaMemcpy(d, s, n, cudaMemcpyHostToDevice)); }
static void cu_download(void *d, const void *s, size_t n) { CUDA_CHECK(cudaMemcpy(d, s, n, cudaMemcpyDeviceToHost)); }
static void cu_sync(void) { CUDA_CHECK(cudaDeviceSynchronize()); }

static void cu_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc)
{
    CUBLAS_CHECK(cublasSgemm(handle, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                             N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc));
}

static void cu_describe(char *buf, size_t n)
{
    int dev = 0, rt = 0, drv = 0;
    cudaDeviceProp prop;
    cudaGetDevice(&dev);
    cudaGetDeviceProperties(&prop, dev);
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    snprintf(buf, n, "%s, CUDA runtime %d.%d, driver %d.%d", prop.name, rt / 1000, (rt % 1000) / 10,
             drv / 1000, (drv % 1000) / 10);
}

static const backend_t cuda_backend = {
    "cuda", cu_alloc, cu_free, cu_upload, cu_download, cu_gemm, cu_sync, cu_describe,
};

extern "C" const backend_t *backend_cuda(char *err, size_t errlen)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        snprintf(err, errlen, "--device cuda: no usable CUDA device (%s)",
                 e != cudaSuccess ? cudaGetErrorString(e) : "none found");
        return NULL;
    }
    if (!handle && cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) {
        snprintf(err, errlen, "--device cuda: cuBLAS could not be initialised");
        return NULL;
    }
    return &cuda_backend;
}
