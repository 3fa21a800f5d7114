/* backend_cuda.cu: the CUDA backend (CUDA runtime + cuBLAS). Must match backend_cpu.c within
 * the tolerances of the GPU comparison test. Row-major gemm maps to cuBLAS's column-major by
 * computing C^T = op(B)^T op(A)^T. */
#include <cublas_v2.h>
#include <cuda_fp16.h>
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

/* ---- the autoencoder's operations: straightforward kernels mirroring backend_cpu.c ------- */

#define KERNEL_CHECK() CUDA_CHECK(cudaGetLastError())
static unsigned blocks_for(size_t n) { return (unsigned)((n + 255) / 256); }

/* act_t values (model.h) */
enum { K_LINEAR, K_RELU, K_TANH, K_SIGMOID, K_LEAKY };
#define K_LEAKY_SLOPE 0.01f

/* one thread per (r, o): Y[r,o] = sum_p vals[p] W[o, indices[p]] */
__global__ void k_spmm(int B, int O, int In, const int64_t *ip, const int32_t *ix,
                       const float *v, const float *W, float *Y)
{
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)B * O) return;
    int r = (int)(t / O), o = (int)(t % O);
    const float *w = W + (size_t)o * In;
    float acc = 0;
    for (int64_t p = ip[r]; p < ip[r + 1]; p++) acc += v[p] * w[ix[p]];
    Y[t] = acc;
}
static void cu_spmm(int B, int O, int In, const int64_t *ip, const int32_t *ix, const float *v,
                    const float *W, float *Y)
{
    size_t n = (size_t)B * O;
    if (!n) return;
    k_spmm<<<blocks_for(n), 256>>>(B, O, In, ip, ix, v, W, Y);
    KERNEL_CHECK();
}

/* one thread per output o: dW[o, :] = sum_r dY[r,o] X[r,:] (rows visited in order, as on the CPU) */
__global__ void k_spmm_grad(int B, int O, const int64_t *ip, const int32_t *ix, const float *v,
                            const float *dY, float *dW, int In)
{
    int o = blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= O) return;
    float *dw = dW + (size_t)o * In;
    for (int r = 0; r < B; r++) {
        float g = dY[(size_t)r * O + o];
        if (g == 0) continue;
        for (int64_t p = ip[r]; p < ip[r + 1]; p++) dw[ix[p]] += g * v[p];
    }
}
static void cu_spmm_grad(int B, int O, int In, const int64_t *ip, const int32_t *ix,
                         const float *v, const float *dY, float *dW)
{
    CUDA_CHECK(cudaMemset(dW, 0, (size_t)O * In * sizeof(float)));
    if (!O) return;
    k_spmm_grad<<<blocks_for((size_t)O), 256>>>(B, O, ip, ix, v, dY, dW, In);
    KERNEL_CHECK();
}

__global__ void k_add_bias(size_t n, int O, const float *b, float *Y)
{
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n) Y[t] += b[t % O];
}
static void cu_add_bias(int B, int O, const float *b, float *Y)
{
    size_t n = (size_t)B * O;
    if (!n) return;
    k_add_bias<<<blocks_for(n), 256>>>(n, O, b, Y);
    KERNEL_CHECK();
}

__global__ void k_sum_rows(int B, int O, const float *dY, float *db)
{
    int o = blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= O) return;
    float s = 0;
    for (int r = 0; r < B; r++) s += dY[(size_t)r * O + o];
    db[o] = s;
}
static void cu_sum_rows(int B, int O, const float *dY, float *db)
{
    if (!O) return;
    k_sum_rows<<<blocks_for((size_t)O), 256>>>(B, O, dY, db);
    KERNEL_CHECK();
}

__global__ void k_act_forward(int act, size_t n, float *Y)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float y = Y[i];
    switch (act) {
    case K_RELU: y = y > 0 ? y : 0; break;
    case K_LEAKY: y = y > 0 ? y : y * K_LEAKY_SLOPE; break;
    case K_TANH: y = tanhf(y); break;
    case K_SIGMOID: y = 1 / (1 + expf(-y)); break;
    default: break;
    }
    Y[i] = y;
}
static void cu_act_forward(int act, size_t n, float *Y)
{
    if (act == K_LINEAR || !n) return;
    k_act_forward<<<blocks_for(n), 256>>>(act, n, Y);
    KERNEL_CHECK();
}

__global__ void k_act_backward(int act, size_t n, const float *A, float *dA)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float a = A[i];
    switch (act) {
    case K_RELU: if (!(a > 0)) dA[i] = 0; break;
    case K_LEAKY: if (!(a > 0)) dA[i] *= K_LEAKY_SLOPE; break;
    case K_TANH: dA[i] *= 1 - a * a; break;
    case K_SIGMOID: dA[i] *= a * (1 - a); break;
    default: break;
    }
}
static void cu_act_backward(int act, size_t n, const float *A, float *dA)
{
    if (act == K_LINEAR || !n) return;
    k_act_backward<<<blocks_for(n), 256>>>(act, n, A, dA);
    KERNEL_CHECK();
}

__global__ void k_round(int mode, size_t n, const float *x, float *y)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    if (mode == 1) {
        unsigned u = __float_as_uint(x[i]);
        if ((u & 0x7f800000u) == 0x7f800000u) { if (u & 0x007fffffu) u |= 0x00400000u; }
        else u += 0x7fffu + ((u >> 16) & 1);
        y[i] = __uint_as_float(u & 0xffff0000u);
    } else {
        y[i] = __half2float(__float2half_rn(x[i]));
    }
}
static void cu_round(int mode, size_t n, const float *x, float *y)
{
    if (!n) return;
    if (mode != 1 && mode != 2) {
        if (x != y) CUDA_CHECK(cudaMemcpy(y, x, n * sizeof(float), cudaMemcpyDeviceToDevice));
        return;
    }
    k_round<<<blocks_for(n), 256>>>(mode, n, x, y);
    KERNEL_CHECK();
}

/* one block per row: squared error (double accumulation) and the gradient */
__global__ void k_mse(int D, const float *R, const int64_t *ip, const int32_t *ix,
                      const float *v, float gscale, float *dR, float *rowerr)
{
    __shared__ double part[256];
    int r = blockIdx.x;
    const float *rr = R + (size_t)r * D;
    double sq = 0;
    for (int j = threadIdx.x; j < D; j += blockDim.x) {
        sq += (double)rr[j] * rr[j];
        if (dR) dR[(size_t)r * D + j] = gscale * rr[j];
    }
    __syncthreads();
    for (int64_t p = ip[r] + threadIdx.x; p < ip[r + 1]; p += blockDim.x) {
        float a = rr[ix[p]], d = a - v[p];
        sq += (double)d * d - (double)a * a;
        if (dR) dR[(size_t)r * D + ix[p]] = gscale * d;
    }
    part[threadIdx.x] = sq;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) rowerr[r] = (float)part[0];
}
static void cu_mse(int B, int D, const float *R, const int64_t *ip, const int32_t *ix,
                   const float *v, float gscale, float *dR, float *rowerr)
{
    if (!B) return;
    k_mse<<<B, 256>>>(D, R, ip, ix, v, gscale, dR, rowerr);
    KERNEL_CHECK();
}

__global__ void k_l1(size_t n, const float *z, float gscale, float *dz, double *sum)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float a = z[i];
    atomicAdd(sum, (double)fabsf(a));
    if (dz) dz[i] += a > 0 ? gscale : a < 0 ? -gscale : 0.0f;
}
static double *l1_sum;
static double cu_l1(size_t n, const float *z, float gscale, float *dz)
{
    double s = 0;
    if (!n) return 0;
    if (!l1_sum) CUDA_CHECK(cudaMalloc(&l1_sum, sizeof(double)));
    CUDA_CHECK(cudaMemset(l1_sum, 0, sizeof(double)));
    k_l1<<<blocks_for(n), 256>>>(n, z, gscale, dz, l1_sum);
    KERNEL_CHECK();
    CUDA_CHECK(cudaMemcpy(&s, l1_sum, sizeof s, cudaMemcpyDeviceToHost));
    return s;
}

__global__ void k_adamw(size_t n, float *p, const float *g, float *m, float *v, float decay,
                        float b1, float c1, float b2, float c2, float step_size, float bc2_sqrt,
                        float eps)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    /* the CPU order, without fused multiply-adds */
    float pi = __fmul_rn(p[i], decay);
    float mi = __fadd_rn(__fmul_rn(m[i], b1), __fmul_rn(c1, g[i]));
    float vi = __fadd_rn(__fmul_rn(v[i], b2), __fmul_rn(__fmul_rn(c2, g[i]), g[i]));
    float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2_sqrt), eps);
    p[i] = __fadd_rn(pi, __fdiv_rn(__fmul_rn(-step_size, mi), denom));
    m[i] = mi;
    v[i] = vi;
}
static void cu_adamw(size_t n, float *p, const float *g, float *m, float *v, float decay,
                     float b1, float c1, float b2, float c2, float step_size, float bc2_sqrt,
                     float eps)
{
    if (!n) return;
    k_adamw<<<blocks_for(n), 256>>>(n, p, g, m, v, decay, b1, c1, b2, c2, step_size, bc2_sqrt,
                                    eps);
    KERNEL_CHECK();
}

__global__ void k_scale_check(size_t n, float *g, float s, int *bad)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float x = g[i] * s;
    g[i] = x;
    if (!isfinite(x)) *bad = 1;
}
static int *bad_flag;
static int cu_scale_check(size_t n, float *g, float s)
{
    int bad = 0;
    if (!n) return 0;
    if (!bad_flag) CUDA_CHECK(cudaMalloc(&bad_flag, sizeof(int)));
    CUDA_CHECK(cudaMemset(bad_flag, 0, sizeof(int)));
    k_scale_check<<<blocks_for(n), 256>>>(n, g, s, bad_flag);
    KERNEL_CHECK();
    CUDA_CHECK(cudaMemcpy(&bad, bad_flag, sizeof bad, cudaMemcpyDeviceToHost));
    return bad;
}

static const backend_t cuda_backend = {
    "cuda", cu_alloc, cu_free, cu_upload, cu_download, cu_gemm, cu_sync, cu_describe,
    cu_spmm, cu_spmm_grad, cu_add_bias, cu_sum_rows, cu_act_forward, cu_act_backward,
    cu_round, cu_mse, cu_l1, cu_adamw, cu_scale_check,
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
