/* model.c: the autoencoder's shape, initialisation, forward and backward passes (see model.h).
 * Every numeric operation goes through the backend table, so training and inference share this
 * one implementation on every device. Dimension legend in model.h. */
#include "model.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ------------------------------------------------------------------------------ */

static const char *const act_names[] = {"linear", "relu", "tanh", "sigmoid", "leaky_relu"};

int act_parse(const char *s, int latent, act_t *out)
{
    for (int i = 0; i < 5; i++) {
        if (strcmp(s, act_names[i]) != 0) continue;
        if (latent && i == ACT_LEAKY_RELU) return -1;
        if (!latent && i == ACT_LINEAR) return -1;
        *out = (act_t)i;
        return 0;
    }
    return -1;
}

const char *act_name(act_t a) { return (unsigned)a < 5 ? act_names[a] : "?"; }

static const char *const prec_names[] = {"32-true", "bf16-mixed", "16-mixed"};

int precision_parse(const char *s, precision_t *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, prec_names[i]) == 0) { *out = (precision_t)i; return 0; }
    return -1;
}

const char *precision_name(precision_t p) { return (unsigned)p < 3 ? prec_names[p] : "?"; }

/* ---- shape ------------------------------------------------------------------------------ */

int model_init(model_t *m, const int64_t *dims, int ndims, act_t act, act_t latent_act,
               char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (ndims < 2 || ndims > MODEL_MAX_DIMS) {
        snprintf(err, errlen, "DIMS needs 2 to %d numbers (got %d)", MODEL_MAX_DIMS, ndims);
        return -1;
    }
    for (int i = 0; i < ndims; i++) {
        if (dims[i] < 1 || dims[i] > (1 << 24)) {
            snprintf(err, errlen, "DIMS: width %lld is out of range (1..%d)", (long long)dims[i],
                     1 << 24);
            return -1;
        }
        m->dims[i] = dims[i];
    }
    m->ndims = ndims;
    m->act = act;
    m->latent_act = latent_act;
    m->nlayers = 2 * (ndims - 1);
    size_t p = 0;
    for (int k = 0; k < m->nlayers; k++)
        p += (size_t)model_layer_out(m, k) * (size_t)(model_layer_in(m, k) + 1);
    m->nparams = p;
    m->params = xcalloc(p, sizeof *m->params);
    return 0;
}

void model_free(model_t *m)
{
    free(m->params);
    m->params = NULL;
}

int64_t model_layer_in(const model_t *m, int k)
{
    int L = m->ndims - 1;
    return k < L ? m->dims[k] : m->dims[2 * L - k];
}

int64_t model_layer_out(const model_t *m, int k)
{
    int L = m->ndims - 1;
    return k < L ? m->dims[k + 1] : m->dims[2 * L - k - 1];
}

size_t model_weight_offset(const model_t *m, int k)
{
    size_t p = 0;
    for (int j = 0; j < k; j++)
        p += (size_t)model_layer_out(m, j) * (size_t)(model_layer_in(m, j) + 1);
    return p;
}

size_t model_bias_offset(const model_t *m, int k)
{
    return model_weight_offset(m, k) + (size_t)model_layer_out(m, k) * (size_t)model_layer_in(m, k);
}

act_t model_layer_act(const model_t *m, int k)
{
    int L = m->ndims - 1;
    if (k == L - 1) return m->latent_act;
    if (k == 2 * L - 1) return ACT_LINEAR;
    return m->act;
}

void model_param_name(const model_t *m, int k, int bias, char *buf, size_t n)
{
    int L = m->ndims - 1;
    snprintf(buf, n, "%s.%d.%s", k < L ? "encoder" : "decoder", 2 * (k < L ? k : k - L),
             bias ? "bias" : "weight");
}

void model_dims_string(const model_t *m, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < m->ndims && used < n; i++)
        used += snprintf(buf + used, n - used, "%s%lld", i ? "," : "", (long long)m->dims[i]);
}

/* ---- random numbers: xoshiro256** seeded through splitmix64 ------------------------------ */

void rng_seed(rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        r->s[i] = z ^ (z >> 31);
    }
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint64_t rng_below(rng_t *r, uint64_t n)
{
    /* rejection from the top bits: unbiased */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rng_next(r); while (x >= limit);
    return x % n;
}

float rng_uniform(rng_t *r) { return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f); }

void rng_shuffle(rng_t *r, int64_t *v, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)rng_below(r, (uint64_t)i + 1);
        int64_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

void model_init_params(model_t *m, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    for (int k = 0; k < m->nlayers; k++) {
        int64_t in = model_layer_in(m, k), out = model_layer_out(m, k);
        float bound = (float)(1.0 / sqrt((double)in));
        float *w = m->params + model_weight_offset(m, k);      /* [out, in] then b [out] */
        for (int64_t i = 0; i < out * (in + 1); i++) w[i] = (2 * rng_uniform(&r) - 1) * bound;
    }
}

/* ---- workspace --------------------------------------------------------------------------- */

static int64_t max_width(const model_t *m)
{
    int64_t w = 0;
    for (int i = 0; i < m->ndims; i++) if (m->dims[i] > w) w = m->dims[i];
    return w;
}

model_ws_t *model_ws_create(const model_t *m, const backend_t *be, int max_batch,
                            precision_t prec, int training)
{
    model_ws_t *ws = xcalloc(1, sizeof *ws);
    size_t B = (size_t)max_batch, W = (size_t)max_width(m), F = sizeof(float);
    ws->be = be;
    ws->m = m;
    ws->max_batch = max_batch;
    ws->prec = prec;
    ws->training = training;
    ws->params = be->alloc(m->nparams * F);
    if (training) ws->grads = be->alloc(m->nparams * F);
    if (prec != PREC_32) ws->params_r = be->alloc(m->nparams * F);
    for (int k = 0; k < m->nlayers; k++)
        ws->act[k] = be->alloc(B * (size_t)model_layer_out(m, k) * F);
    for (int i = 0; i < 2; i++) ws->dbuf[i] = be->alloc(B * W * F);
    ws->opr = be->alloc(B * W * F);
    ws->opr2 = be->alloc(B * W * F);
    ws->rowerr = be->alloc(B * F);
    ws->h_rowerr = xcalloc(B, F);
    ws->x_indptr = be->alloc((B + 1) * sizeof(int64_t));
    model_ws_upload(ws);
    return ws;
}

static void ws_free_batch(model_ws_t *ws)
{
    const backend_t *be = ws->be;
    if (ws->cap_nnz) {
        be->free(ws->x_indices);
        be->free(ws->x_vals);
        if (ws->x_vals_r) be->free(ws->x_vals_r);
    }
    free(ws->h_vals);
    ws->x_indices = NULL;
    ws->x_vals = ws->x_vals_r = ws->h_vals = NULL;
    ws->cap_nnz = 0;
}

void model_ws_free(model_ws_t *ws)
{
    if (!ws) return;
    const backend_t *be = ws->be;
    ws_free_batch(ws);
    be->free(ws->params);
    if (ws->grads) be->free(ws->grads);
    if (ws->params_r) be->free(ws->params_r);
    for (int k = 0; k < ws->m->nlayers; k++) be->free(ws->act[k]);
    for (int i = 0; i < 2; i++) be->free(ws->dbuf[i]);
    be->free(ws->opr);
    be->free(ws->opr2);
    be->free(ws->rowerr);
    be->free(ws->x_indptr);
    free(ws->h_rowerr);
    free(ws);
}

void model_ws_upload(model_ws_t *ws)
{
    ws->be->upload(ws->params, ws->m->params, ws->m->nparams * sizeof(float));
}

void model_ws_download(model_ws_t *ws)
{
    ws->be->download(ws->m->params, ws->params, ws->m->nparams * sizeof(float));
}

void csr_l2_normalize(const csr_t *x, float *vals)
{
    for (int64_t r = 0; r < x->rows; r++) {
        int64_t a = x->indptr[r], b = x->indptr[r + 1];
        double ss = 0;
        for (int64_t p = a; p < b; p++) ss += (double)x->data[p] * x->data[p];
        double norm = sqrt(ss);
        for (int64_t p = a; p < b; p++) vals[p] = norm > 0 ? (float)(x->data[p] / norm) : 0.0f;
    }
}

static void ws_reserve_nnz(model_ws_t *ws, int64_t nnz)
{
    if (nnz <= ws->cap_nnz && ws->cap_nnz) return;
    int64_t cap = ws->cap_nnz ? ws->cap_nnz : 1024;
    while (cap < nnz) cap *= 2;
    ws_free_batch(ws);
    const backend_t *be = ws->be;
    ws->x_indices = be->alloc((size_t)cap * sizeof(int32_t));
    ws->x_vals = be->alloc((size_t)cap * sizeof(float));
    if (ws->prec != PREC_32) ws->x_vals_r = be->alloc((size_t)cap * sizeof(float));
    ws->h_vals = xmalloc((size_t)cap * sizeof(float));
    ws->cap_nnz = cap;
}

void model_ws_set_batch_normalized(model_ws_t *ws, const csr_t *x, const float *vals)
{
    const backend_t *be = ws->be;
    int64_t nnz = x->indptr[x->rows] - x->indptr[0];
    if (x->rows > ws->max_batch || x->cols != ws->m->dims[0] || x->indptr[0] != 0)
        die("internal error: batch of %lld x %lld rows for a workspace of %d x %lld (%s:%d)",
            (long long)x->rows, (long long)x->cols, ws->max_batch, (long long)ws->m->dims[0],
            __FILE__, __LINE__);
    ws_reserve_nnz(ws, nnz);
    ws->B = (int)x->rows;
    be->upload(ws->x_indptr, x->indptr, (size_t)(x->rows + 1) * sizeof(int64_t));
    be->upload(ws->x_indices, x->indices, (size_t)nnz * sizeof(int32_t));
    be->upload(ws->x_vals, vals, (size_t)nnz * sizeof(float));
    if (ws->prec != PREC_32) be->round(ws->prec, (size_t)nnz, ws->x_vals, ws->x_vals_r);
}

void model_ws_set_batch(model_ws_t *ws, const csr_t *x)
{
    ws_reserve_nnz(ws, x->indptr[x->rows]);
    csr_l2_normalize(x, ws->h_vals);
    model_ws_set_batch_normalized(ws, x, ws->h_vals);
}

/* ---- forward and backward ---------------------------------------------------------------- */

/* The operand a matrix product reads: x itself in float32, else a rounded copy in dst. */
static const float *operand(model_ws_t *ws, const float *x, size_t n, float *dst)
{
    if (ws->prec == PREC_32) return x;
    ws->be->round(ws->prec, n, x, dst);
    return dst;
}

loss_t model_ws_forward(model_ws_t *ws, double l1_alpha)
{
    const backend_t *be = ws->be;
    const model_t *m = ws->m;
    int B = ws->B, L = m->ndims - 1;
    /* weights as the products read them */
    const float *P = operand(ws, ws->params, m->nparams, ws->params_r);
    const float *xv = ws->prec == PREC_32 ? ws->x_vals : ws->x_vals_r;
    for (int k = 0; k < m->nlayers; k++) {
        int O = (int)model_layer_out(m, k), I = (int)model_layer_in(m, k);
        const float *W = P + model_weight_offset(m, k);           /* [O,I] */
        float *Y = ws->act[k];                                     /* [B,O] */
        if (k == 0) {
            be->spmm(B, O, I, ws->x_indptr, ws->x_indices, xv, W, Y);
        } else {
            const float *A = operand(ws, ws->act[k - 1], (size_t)B * I, ws->opr);  /* [B,I] */
            be->gemm(0, 1, B, O, I, 1.0f, A, I, W, I, 0.0f, Y, O);
        }
        be->add_bias(B, O, ws->params + model_bias_offset(m, k), Y);
        be->act_forward(model_layer_act(m, k), (size_t)B * O, Y);
    }
    /* loss */
    loss_t l = {0, 0, 0};
    int D = (int)m->dims[0];
    be->mse(B, D, ws->act[m->nlayers - 1], ws->x_indptr, ws->x_indices, ws->x_vals, 0, NULL,
            ws->rowerr);
    be->download(ws->h_rowerr, ws->rowerr, (size_t)B * sizeof(float));
    double s = 0;
    for (int r = 0; r < B; r++) s += ws->h_rowerr[r];
    l.recon = B ? s / ((double)B * D) : 0;
    if (l1_alpha > 0 && B) {
        size_t nz = (size_t)B * m->dims[L];
        l.l1 = l1_alpha * be->l1(nz, ws->act[L - 1], 0, NULL) / (double)nz;
    }
    l.loss = l.recon + l.l1;
    return l;
}

void model_ws_backward(model_ws_t *ws, double l1_alpha, float loss_scale)
{
    const backend_t *be = ws->be;
    const model_t *m = ws->m;
    int B = ws->B, L = m->ndims - 1, D = (int)m->dims[0];
    const float *P = ws->prec == PREC_32 ? ws->params : ws->params_r;  /* rounded in forward */
    const float *xv = ws->prec == PREC_32 ? ws->x_vals : ws->x_vals_r;
    int cur = 0;
    /* d(loss)/d(recon) [B,D] = scale * 2/(B D) (recon - x) */
    be->mse(B, D, ws->act[m->nlayers - 1], ws->x_indptr, ws->x_indices, ws->x_vals,
            (float)(loss_scale * 2.0 / ((double)B * D)), ws->dbuf[cur], ws->rowerr);
    for (int k = m->nlayers - 1; k >= 0; k--) {
        int O = (int)model_layer_out(m, k), I = (int)model_layer_in(m, k);
        float *dY = ws->dbuf[cur];                                  /* [B,O], after f' */
        const float *dYo = operand(ws, dY, (size_t)B * O, ws->opr2);
        float *dW = ws->grads + model_weight_offset(m, k);          /* [O,I] */
        be->sum_rows(B, O, dY, ws->grads + model_bias_offset(m, k));
        if (k == 0) {
            be->spmm_grad(B, O, I, ws->x_indptr, ws->x_indices, xv, dYo, dW);
            break;
        }
        const float *A = operand(ws, ws->act[k - 1], (size_t)B * I, ws->opr); /* [B,I] */
        be->gemm(1, 0, O, I, B, 1.0f, dYo, O, A, I, 0.0f, dW, I);       /* dW = dY^T A */
        float *dA = ws->dbuf[1 - cur];                               /* [B,I] = dY W */
        be->gemm(0, 0, B, I, O, 1.0f, dYo, O, P + model_weight_offset(m, k), I, 0.0f, dA, I);
        if (k - 1 == L - 1 && l1_alpha > 0) {                        /* dz += a/(B dL) sign z */
            size_t nz = (size_t)B * I;
            be->l1(nz, ws->act[k - 1], (float)(loss_scale * l1_alpha / (double)nz), dA);
        }
        be->act_backward(model_layer_act(m, k - 1), (size_t)B * I, ws->act[k - 1], dA);
        cur = 1 - cur;
    }
}

void model_forward(model_ws_t *ws, const csr_t *x, float *z, float *recon_mse)
{
    const model_t *m = ws->m;
    int L = m->ndims - 1;
    model_ws_set_batch(ws, x);
    model_ws_forward(ws, 0);
    int B = ws->B;
    if (z) ws->be->download(z, ws->act[L - 1], (size_t)B * m->dims[L] * sizeof(float));
    if (recon_mse)
        for (int r = 0; r < B; r++) recon_mse[r] = (float)(ws->h_rowerr[r] / (double)m->dims[0]);
}
