/* test_gradcheck: the backward pass (model_ws_backward, float32 on the CPU backend) against
 * central finite differences of an independent double-precision forward pass, for every hidden
 * activation, every latent activation, with and without the L1 term, on every parameter of a
 * tiny model (dims 9,6,4,3: three encoder and three decoder layers, one of them sparse x dense).
 * Also checks the float forward loss against the double one. Exits 1 on any mismatch. */
#include "model.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B 5

static double act_d(act_t a, double y)
{
    switch (a) {
    case ACT_RELU: return y > 0 ? y : 0;
    case ACT_LEAKY_RELU: return y > 0 ? y : 0.01 * y;
    case ACT_TANH: return tanh(y);
    case ACT_SIGMOID: return 1 / (1 + exp(-y));
    default: return y;
    }
}

/* the loss in double from parameters p [P] and the dense normalised input x [B, d0] */
static double loss_d(const model_t *m, const double *p, const double *x, double l1_alpha)
{
    int L = m->ndims - 1;
    double cur[B * 16], next[B * 16], z_abs = 0;
    memcpy(cur, x, sizeof(double) * B * m->dims[0]);
    for (int k = 0; k < m->nlayers; k++) {
        int O = (int)model_layer_out(m, k), I = (int)model_layer_in(m, k);
        const double *W = p + model_weight_offset(m, k), *b = p + model_bias_offset(m, k);
        for (int r = 0; r < B; r++)
            for (int o = 0; o < O; o++) {
                double s = b[o];
                for (int i = 0; i < I; i++) s += W[o * I + i] * cur[r * I + i];
                next[r * O + o] = act_d(model_layer_act(m, k), s);
            }
        memcpy(cur, next, sizeof(double) * B * O);
        if (k == L - 1)
            for (int i = 0; i < B * O; i++) z_abs += fabs(cur[i]);
    }
    double se = 0;
    int D = (int)m->dims[0];
    for (int i = 0; i < B * D; i++) se += (cur[i] - x[i]) * (cur[i] - x[i]);
    return se / (B * D) + (l1_alpha > 0 ? l1_alpha * z_abs / (B * m->dims[L]) : 0);
}

static int check(act_t act, act_t lat, double l1_alpha)
{
    int64_t dims[] = {9, 6, 4, 3};
    model_t m;
    char err[256];
    if (model_init(&m, dims, 4, act, lat, err, sizeof err) < 0) { puts(err); return 1; }
    model_init_params(&m, 7);
    /* a sparse batch: row 2 is all zero, the others have 1..5 non-zeros */
    csr_t x;
    csr_init(&x);
    csr_reserve(&x, B, 64);
    x.rows = B;
    x.cols = 9;
    rng_t r;
    rng_seed(&r, 99);
    int64_t nnz = 0;
    x.indptr[0] = 0;
    for (int i = 0; i < B; i++) {
        if (i != 2)
            for (int j = 0; j < 9; j++)
                if (rng_uniform(&r) < 0.5f) {
                    x.indices[nnz] = j;
                    x.data[nnz++] = 0.1f + 3 * rng_uniform(&r);
                }
        x.indptr[i + 1] = nnz;
    }
    x.nnz = nnz;
    float vals[64];
    csr_l2_normalize(&x, vals);
    double xd[B * 9] = {0};
    for (int i = 0; i < B; i++)
        for (int64_t q = x.indptr[i]; q < x.indptr[i + 1]; q++) xd[i * 9 + x.indices[q]] = vals[q];

    model_ws_t *ws = model_ws_create(&m, backend_cpu(), B, PREC_32, 1);
    model_ws_set_batch(ws, &x);
    loss_t lf = model_ws_forward(ws, l1_alpha);
    model_ws_backward(ws, l1_alpha, 1.0f);
    float *g = xmalloc(m.nparams * sizeof *g);
    ws->be->download(g, ws->grads, m.nparams * sizeof *g);

    double *p = xmalloc(m.nparams * sizeof *p);
    for (size_t i = 0; i < m.nparams; i++) p[i] = m.params[i];
    int bad = 0;
    double l0 = loss_d(&m, p, xd, l1_alpha);
    if (fabs(l0 - lf.loss) > 1e-6 * fabs(l0) + 1e-9) {
        printf("forward loss %.9g (float) vs %.9g (double)\n", lf.loss, l0);
        bad++;
    }
    double maxrel = 0;
    for (size_t i = 0; i < m.nparams; i++) {
        double h = 1e-6, save = p[i];
        p[i] = save + h;
        double lp = loss_d(&m, p, xd, l1_alpha);
        p[i] = save - h;
        double lm = loss_d(&m, p, xd, l1_alpha);
        p[i] = save;
        double fd = (lp - lm) / (2 * h);
        double diff = fabs(fd - g[i]), rel = diff / (fabs(fd) + 1e-4);
        if (rel > maxrel) maxrel = rel;
        if (diff > 1e-5 + 2e-3 * fabs(fd)) {
            if (bad < 5) printf("  param %zu: analytic %.8g, finite difference %.8g\n", i, g[i], fd);
            bad++;
        }
    }
    printf("%-10s latent %-7s l1 %-4g: loss %.6f, %zu params, max rel err %.2e %s\n",
           act_name(act), act_name(lat), l1_alpha, l0, m.nparams, maxrel, bad ? "FAIL" : "ok");
    free(p);
    free(g);
    model_ws_free(ws);
    csr_free(&x);
    model_free(&m);
    return bad != 0;
}

int main(void)
{
    act_t acts[] = {ACT_RELU, ACT_TANH, ACT_SIGMOID, ACT_LEAKY_RELU};
    act_t lats[] = {ACT_LINEAR, ACT_RELU, ACT_TANH, ACT_SIGMOID};
    int fails = 0;
    for (int a = 0; a < 4; a++)
        for (int l = 0; l < 4; l++)
            for (int u = 0; u < 2; u++) fails += check(acts[a], lats[l], u ? 0.05 : 0);
    if (fails) printf("%d configurations failed\n", fails);
    return fails ? 1 : 0;
}
