/* model.h: the autoencoder (one implementation shared by ae-init, ae-train, ae-encode and
 * ae-recon-error) and its checkpoint file (man/man5/aekit-checkpoint.5).
 *
 * DIMS d0,d1,...,dL (L >= 1). 2L linear layers, numbered k = 0..2L-1:
 *   encoder  k = 0..L-1     Linear(d_k, d_k+1), then act (k < L-1) or latent act (k = L-1)
 *   decoder  k = L..2L-1    Linear(d_(2L-k), d_(2L-k-1)), then act, except the last (linear)
 * Parameters are stored as PyTorch's state_dict: weight [out,in] row-major, bias [out], named
 * encoder.<2k>.weight / encoder.<2k>.bias and decoder.<2(k-L)>.weight / ... (activation modules
 * take the odd indices), one contiguous float32 block: for each layer W_k then b_k.
 *
 * Forward: x (CSR rows, each L2-normalised on the fly; an all-zero row stays zero)
 *   -> z = encoder(x) [B,dL] -> recon = decoder(z) [B,d0].
 * Loss: mean((recon - x)^2) over the B x d0 elements + l1_alpha * mean(|z|) over B x dL.
 *
 * Dimension legend: B batch rows, L encoder layers, P parameters, d_k layer widths,
 * I/O a layer's in/out width.
 */
#ifndef AEKIT_MODEL_H
#define AEKIT_MODEL_H

#include "backend.h"
#include "dataset.h"

#include <stddef.h>
#include <stdint.h>

#define MODEL_MAX_DIMS 16          /* d0..dL: at most 15 encoder layers */

typedef enum { ACT_LINEAR, ACT_RELU, ACT_TANH, ACT_SIGMOID, ACT_LEAKY_RELU } act_t;
#define LEAKY_RELU_SLOPE 0.01f

/* Matmul operand precision: PREC_32 is float32; the mixed modes round the operands of every
 * matrix product to bfloat16 / float16 and accumulate in float32 (what tensor cores do). */
typedef enum { PREC_32, PREC_BF16, PREC_FP16 } precision_t;

typedef struct {
    int ndims;                     /* L+1 */
    int64_t dims[MODEL_MAX_DIMS];  /* d0..dL */
    act_t act, latent_act;
    int nlayers;                   /* 2L */
    size_t nparams;                /* P */
    float *params;                 /* host [P]: W_0 [O,I], b_0 [O], W_1, b_1, ... */
} model_t;

/* Names as the CLI and the checkpoint spell them ("relu", "leaky_relu", "linear", ...).
 * act_parse returns -1 for an unknown name; latent says which set is allowed. */
int act_parse(const char *s, int latent, act_t *out);
const char *act_name(act_t a);
int precision_parse(const char *s, precision_t *out);   /* "32-true" "bf16-mixed" "16-mixed" */
const char *precision_name(precision_t p);

/* Shape the model (parameters allocated, zero). dims[0..ndims-1] positive, ndims >= 2.
 * Returns -1 with err set when the shape is unusable. */
int model_init(model_t *m, const int64_t *dims, int ndims, act_t act, act_t latent_act,
               char *err, size_t errlen);
void model_free(model_t *m);
/* Layer k's widths and where its tensors start in params (element offsets). */
int64_t model_layer_in(const model_t *m, int k);
int64_t model_layer_out(const model_t *m, int k);
size_t model_weight_offset(const model_t *m, int k);
size_t model_bias_offset(const model_t *m, int k);
/* Activation applied after layer k (ACT_LINEAR for the output layer). */
act_t model_layer_act(const model_t *m, int k);
/* state_dict key of layer k's weight (bias=0) or bias (bias=1), e.g. "decoder.2.weight". */
void model_param_name(const model_t *m, int k, int bias, char *buf, size_t n);
/* "2000,500,125,2" */
void model_dims_string(const model_t *m, char *buf, size_t n);

/* A small seeded generator (xoshiro256**), saved in checkpoints so runs resume exactly. */
typedef struct { uint64_t s[4]; } rng_t;
void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
uint64_t rng_below(rng_t *r, uint64_t n);     /* uniform in [0, n), unbiased */
float rng_uniform(rng_t *r);                  /* uniform in [0, 1), 24 random bits */
void rng_shuffle(rng_t *r, int64_t *v, int64_t n);   /* Fisher-Yates */

/* nn.Linear's default initialisation: W and b uniform in +-1/sqrt(in), from a generator seeded
 * with seed, layer by layer (W_0, b_0, W_1, ...). */
void model_init_params(model_t *m, uint64_t seed);

/* ---- forward / backward on a backend ------------------------------------------------------ */

/* Everything one batch needs, allocated once for max_batch rows (no allocation per step except
 * when a batch has more non-zeros than any before). Buffers live in backend memory. */
typedef struct model_ws {
    const backend_t *be;
    const model_t *m;
    int max_batch;
    precision_t prec;
    int training;                  /* grads allocated */
    float *params;                 /* device [P] (a copy of m->params, see model_ws_upload) */
    float *grads;                  /* device [P] (training only) */
    float *params_r;               /* device [P] operand copy rounded to bf16/fp16 (mixed only) */
    float *act[2 * MODEL_MAX_DIMS];/* device [B, out_k]: layer outputs after activation;
                                      act[L-1] is z, act[2L-1] the reconstruction */
    float *dbuf[2];                /* device [B, max width]: gradient ping-pong */
    float *opr;                    /* device [B, max width]: rounded operand scratch */
    float *opr2;                   /* device [B, max width]: second rounded operand scratch */
    float *rowerr;                 /* device [B]: per-row squared error sums */
    /* the batch, on the device: CSR [B, d0] with L2-normalised values */
    int64_t *x_indptr;             /* device [B+1] */
    int32_t *x_indices;            /* device [cap_nnz] */
    float *x_vals;                 /* device [cap_nnz] */
    float *x_vals_r;               /* device [cap_nnz] rounded (mixed only) */
    int64_t cap_nnz;
    float *h_vals;                 /* host [cap_nnz] normalised values staging */
    float *h_rowerr;               /* host [B] */
    int B;                         /* rows of the current batch */
} model_ws_t;

model_ws_t *model_ws_create(const model_t *m, const backend_t *be, int max_batch,
                            precision_t prec, int training);
void model_ws_free(model_ws_t *ws);
/* Copy host parameters m->params to the device (after loading or initialising). */
void model_ws_upload(model_ws_t *ws);
/* Copy device parameters back into m->params (before saving a checkpoint). */
void model_ws_download(model_ws_t *ws);

/* L2-normalise the rows of x into vals [x->nnz] (all-zero rows stay zero). */
void csr_l2_normalize(const csr_t *x, float *vals);
/* Put batch x (raw values; rows are normalised here) on the device. x->rows <= max_batch,
 * x->cols == d0. */
void model_ws_set_batch(model_ws_t *ws, const csr_t *x);
/* The same, when the values are already normalised (vals [x->nnz]). */
void model_ws_set_batch_normalized(model_ws_t *ws, const csr_t *x, const float *vals);

/* Loss parts of one batch (means, as the loss is defined above). */
typedef struct { double loss, recon, l1; } loss_t;

/* Forward pass over the current batch; fills ws->act. Returns the loss parts (l1 only when
 * l1_alpha > 0). */
loss_t model_ws_forward(model_ws_t *ws, double l1_alpha);
/* Backward pass after model_ws_forward: ws->grads = d(loss_scale * loss)/d params. */
void model_ws_backward(model_ws_t *ws, double l1_alpha, float loss_scale);

/* Inference, the call ae-encode and ae-recon-error make: encode the rows of x (raw values,
 * x->rows <= ws->max_batch), write z [B, dL] (host) and, when recon_mse is not NULL, each row's
 * mean squared reconstruction error over d0 (host [B]). ws from model_ws_create(.., 0). */
void model_forward(model_ws_t *ws, const csr_t *x, float *z, float *recon_mse);

/* ---- checkpoint files ------------------------------------------------------------------- */

#define CHECKPOINT_FORMAT "aekit-checkpoint"
#define CHECKPOINT_FORMAT_VERSION 1

/* What a checkpoint says about itself (root attributes). */
typedef struct {
    int format_version;
    int64_t epoch;                 /* last completed epoch, 0-based; -1 when untrained */
    int64_t global_step;           /* optimiser steps taken */
    double val_loss;               /* of that epoch; NaN when none */
    double l1_alpha;               /* 0 when disabled */
    char precision[32];
    int64_t seed;
    char act[32], latent_act[32];
    char dims[256];                /* "2000,500,125,2" */
} checkpoint_info_t;

/* Load the model (shape, activations, parameters) from a .ckpt file. info may be NULL.
 * Returns -1 with a one-line reason in err (no "prog:" prefix) on failure, e.g.
 * "x.ckpt: not an aekit checkpoint (format attribute missing); make one with ae-init or ae-train". */
int checkpoint_load(const char *path, model_t *m, checkpoint_info_t *info, char *err, size_t errlen);

#endif
