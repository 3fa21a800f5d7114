/* backend_cpu.c: the reference backend, float32 on the host through OpenBLAS (cblas). */
#include "backend.h"
#include "model.h"
#include "parallel.h"
#include "util.h"

#include <cblas.h>
#ifdef __SSE2__
#include <immintrin.h>
#endif
#include <math.h>
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

/* ---- the autoencoder's operations (see backend.h); plain loops, the readable reference ---- */

/* The first layer's loops run over ranges of output units o, split across threads by
 * parallel_for; each element is computed by one thread in the same order as serially. */
typedef struct {
    int B, O, In;
    const int64_t *indptr;
    const int32_t *indices;
    const float *vals, *W, *dY;
    float *Y, *dW;
} spmm_job_t;

static void spmm_range(void *ctx, int64_t lo, int64_t hi)
{
    const spmm_job_t *j = ctx;
    /* o outer so that row o of W [In] stays in cache for all B sparse rows */
    for (int64_t o = lo; o < hi; o++) {
        const float *w = j->W + (size_t)o * j->In;
        for (int r = 0; r < j->B; r++) {
            float acc = 0;
            for (int64_t p = j->indptr[r]; p < j->indptr[r + 1]; p++)
                acc += j->vals[p] * w[j->indices[p]];
            j->Y[(size_t)r * j->O + o] = acc;
        }
    }
}

static void cpu_spmm(int B, int O, int In, const int64_t *indptr, const int32_t *indices,
                     const float *vals, const float *W, float *Y)
{
    spmm_job_t j = {B, O, In, indptr, indices, vals, W, NULL, Y, NULL};
    parallel_for(O, 32, spmm_range, &j);
}

static void spmm_grad_range(void *ctx, int64_t lo, int64_t hi)
{
    const spmm_job_t *j = ctx;
    for (int64_t o = lo; o < hi; o++) {
        float *dw = j->dW + (size_t)o * j->In;           /* [In] */
        memset(dw, 0, (size_t)j->In * sizeof *dw);
        for (int r = 0; r < j->B; r++) {
            float g = j->dY[(size_t)r * j->O + o];
            if (g == 0) continue;
            for (int64_t p = j->indptr[r]; p < j->indptr[r + 1]; p++)
                dw[j->indices[p]] += g * j->vals[p];
        }
    }
}

static void cpu_spmm_grad(int B, int O, int In, const int64_t *indptr, const int32_t *indices,
                          const float *vals, const float *dY, float *dW)
{
    spmm_job_t j = {B, O, In, indptr, indices, vals, NULL, dY, NULL, dW};
    parallel_for(O, 32, spmm_grad_range, &j);
}

static void cpu_add_bias(int B, int O, const float *b, float *Y)
{
    for (int r = 0; r < B; r++)
        for (int o = 0; o < O; o++) Y[(size_t)r * O + o] += b[o];
}

static void cpu_sum_rows(int B, int O, const float *dY, float *db)
{
    for (int o = 0; o < O; o++) db[o] = 0;
    for (int r = 0; r < B; r++)
        for (int o = 0; o < O; o++) db[o] += dY[(size_t)r * O + o];
}

static void cpu_act_forward(int act, size_t n, float *Y)
{
    switch ((act_t)act) {
    case ACT_LINEAR: break;
    case ACT_RELU: for (size_t i = 0; i < n; i++) Y[i] = Y[i] > 0 ? Y[i] : 0; break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) Y[i] = Y[i] > 0 ? Y[i] : Y[i] * LEAKY_RELU_SLOPE;
        break;
    case ACT_TANH: for (size_t i = 0; i < n; i++) Y[i] = tanhf(Y[i]); break;
    case ACT_SIGMOID: for (size_t i = 0; i < n; i++) Y[i] = 1 / (1 + expf(-Y[i])); break;
    }
}

static void cpu_act_backward(int act, size_t n, const float *A, float *dA)
{
    switch ((act_t)act) {
    case ACT_LINEAR: break;
    case ACT_RELU: for (size_t i = 0; i < n; i++) if (!(A[i] > 0)) dA[i] = 0; break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) if (!(A[i] > 0)) dA[i] *= LEAKY_RELU_SLOPE;
        break;
    case ACT_TANH: for (size_t i = 0; i < n; i++) dA[i] *= 1 - A[i] * A[i]; break;
    case ACT_SIGMOID: for (size_t i = 0; i < n; i++) dA[i] *= A[i] * (1 - A[i]); break;
    }
}

/* x rounded to the nearest float16 value (ties to even), as a float: 10 mantissa bits for
 * normal values, multiples of 2^-24 below 2^-14, +-inf from 65520 up (IEEE overflow). */
static float round_fp16(float x)
{
    uint32_t u, a;
    memcpy(&u, &x, 4);
    a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) return x;                           /* inf, NaN */
    if (a >= 0x477ff000u) return x > 0 ? INFINITY : -INFINITY;
    if (a < 0x38800000u) return rintf(x * 16777216.0f) / 16777216.0f;   /* subnormal range */
    a += 0xfffu + ((a >> 13) & 1);
    u = (u & 0x80000000u) | (a & ~0x1fffu);
    memcpy(&x, &u, 4);
    return x;
}

static void cpu_round(int mode, size_t n, const float *x, float *y)
{
    if (mode == 1) {
        for (size_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &x[i], 4);
            if ((u & 0x7f800000u) == 0x7f800000u) {        /* inf or NaN: keep (quiet NaN) */
                if (u & 0x007fffffu) u |= 0x00400000u;
            } else {
                u += 0x7fffu + ((u >> 16) & 1);               /* round to nearest even */
            }
            u &= 0xffff0000u;
            memcpy(&y[i], &u, 4);
        }
    } else if (mode == 2) {
        for (size_t i = 0; i < n; i++) y[i] = round_fp16(x[i]);
    } else if (x != y) {
        memcpy(y, x, n * sizeof *y);
    }
}

static void cpu_mse(int B, int D, const float *R, const int64_t *indptr, const int32_t *indices,
                    const float *vals, float gscale, float *dR, float *rowerr)
{
    for (int r = 0; r < B; r++) {
        const float *rr = R + (size_t)r * D;            /* [D] */
        double sq = 0;
        for (int j = 0; j < D; j++) sq += (double)rr[j] * rr[j];
        for (int64_t p = indptr[r]; p < indptr[r + 1]; p++) {
            float a = rr[indices[p]], d = a - vals[p];
            sq += (double)d * d - (double)a * a;
        }
        rowerr[r] = (float)sq;
        if (dR) {
            float *dr = dR + (size_t)r * D;
            for (int j = 0; j < D; j++) dr[j] = gscale * rr[j];
            for (int64_t p = indptr[r]; p < indptr[r + 1]; p++)
                dr[indices[p]] = gscale * (rr[indices[p]] - vals[p]);
        }
    }
}

static double cpu_l1(size_t n, const float *z, float gscale, float *dz)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        s += fabsf(z[i]);
        if (dz) dz[i] += z[i] > 0 ? gscale : z[i] < 0 ? -gscale : 0;
    }
    return s;
}

static void adamw_kernel(size_t n, float *p, const float *g, float *m, float *v, float decay,
                         float b1, float c1, float b2, float c2, float step_size,
                         float bc2_sqrt, float eps)
{
    /* torch.optim.AdamW's single-tensor path, one float32 operation at a time in its order:
     * mul_(decay); exp_avg.mul_(b1).add_(g, alpha=c1); exp_avg_sq.mul_(b2).addcmul_(g, g, c2);
     * denom = sqrt(exp_avg_sq) / bc2_sqrt + eps; p.addcdiv_(exp_avg, denom, -step_size) */
    size_t i = 0;
#ifdef __SSE2__
    /* the same operations four at a time (IEEE mul/add/div/sqrt: bit-identical results) */
    const __m128 vdecay = _mm_set1_ps(decay), vb1 = _mm_set1_ps(b1), vc1 = _mm_set1_ps(c1),
                 vb2 = _mm_set1_ps(b2), vc2 = _mm_set1_ps(c2), vss = _mm_set1_ps(-step_size),
                 vbc = _mm_set1_ps(bc2_sqrt), veps = _mm_set1_ps(eps);
    for (; i + 4 <= n; i += 4) {
        __m128 gi = _mm_loadu_ps(g + i);
        __m128 pi = _mm_mul_ps(_mm_loadu_ps(p + i), vdecay);
        __m128 mi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + i), vb1), _mm_mul_ps(vc1, gi));
        __m128 vi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), vb2),
                               _mm_mul_ps(_mm_mul_ps(vc2, gi), gi));
        __m128 denom = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vi), vbc), veps);
        _mm_storeu_ps(p + i, _mm_add_ps(pi, _mm_div_ps(_mm_mul_ps(vss, mi), denom)));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
    }
#endif
    for (; i < n; i++) {
        float pi = p[i] * decay;
        float mi = m[i] * b1 + c1 * g[i];
        float vi = v[i] * b2 + c2 * g[i] * g[i];
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        p[i] = pi + -step_size * mi / denom;
        m[i] = mi;
        v[i] = vi;
    }
}

typedef struct {
    float *p, *m, *v;
    const float *g;
    float decay, b1, c1, b2, c2, step_size, bc2_sqrt, eps;
} adamw_job_t;

static void adamw_range(void *ctx, int64_t lo, int64_t hi)
{
    const adamw_job_t *j = ctx;
    adamw_kernel((size_t)(hi - lo), j->p + lo, j->g + lo, j->m + lo, j->v + lo, j->decay, j->b1,
                 j->c1, j->b2, j->c2, j->step_size, j->bc2_sqrt, j->eps);
}

static void cpu_adamw(size_t n, float *p, const float *g, float *m, float *v, float decay,
                      float b1, float c1, float b2, float c2, float step_size, float bc2_sqrt,
                      float eps)
{
    adamw_job_t j = {p, m, v, g, decay, b1, c1, b2, c2, step_size, bc2_sqrt, eps};
    parallel_for((int64_t)n, 1 << 16, adamw_range, &j);
}

static int cpu_scale_check(size_t n, float *g, float s)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        g[i] *= s;
        if (!isfinite(g[i])) bad = 1;
    }
    return bad;
}

static void cpu_describe(char *buf, size_t n)
{
    snprintf(buf, n, "%s, %d threads", openblas_get_config(), openblas_get_num_threads());
}

void backend_cpu_set_threads(int n)
{
    if (n > 0) openblas_set_num_threads(n);
    if (n > 0) parallel_set_threads(n);
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
    .spmm = cpu_spmm,
    .spmm_grad = cpu_spmm_grad,
    .add_bias = cpu_add_bias,
    .sum_rows = cpu_sum_rows,
    .act_forward = cpu_act_forward,
    .act_backward = cpu_act_backward,
    .round = cpu_round,
    .mse = cpu_mse,
    .l1 = cpu_l1,
    .adamw = cpu_adamw,
    .scale_check = cpu_scale_check,
};

const backend_t *backend_cpu(void) { return &cpu; }
