/* test_checkpoint: a checkpoint written by checkpoint_create/commit reads back bit for bit
 * (shape, activations, every parameter, info attributes); model_forward's per-row errors
 * average to the training forward's reconstruction loss and its codes equal the training
 * forward's; readers reject files that are not checkpoints, with the documented reasons. */
#include "checkpoint.h"
#include "model.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

int main(void)
{
    int fails = 0;
    char err[512], path[] = "/tmp/test_checkpoint_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    int64_t dims[] = {50, 20, 7, 3};
    model_t m, r;
    CHECK(model_init(&m, dims, 4, ACT_SIGMOID, ACT_TANH, err, sizeof err) == 0);
    model_init_params(&m, 123);
    checkpoint_info_t info = {.epoch = 4, .global_step = 77, .val_loss = 0.125, .l1_alpha = 1e-3,
                              .seed = 9};
    snprintf(info.precision, sizeof info.precision, "bf16-mixed");
    char *tmp;
    hid_t f = checkpoint_create(path, &m, &info, &tmp, err, sizeof err);
    CHECK(f >= 0);
    CHECK(checkpoint_commit(f, tmp, path, err, sizeof err) == 0);
    free(tmp);
    checkpoint_info_t got;
    CHECK(checkpoint_load(path, &r, &got, err, sizeof err) == 0);
    CHECK(r.ndims == 4 && r.act == ACT_SIGMOID && r.latent_act == ACT_TANH);
    CHECK(r.nparams == m.nparams && memcmp(r.params, m.params, m.nparams * sizeof(float)) == 0);
    CHECK(got.epoch == 4 && got.global_step == 77 && got.val_loss == 0.125);
    CHECK(got.l1_alpha == 1e-3 && got.seed == 9 && strcmp(got.precision, "bf16-mixed") == 0);
    CHECK(strcmp(got.dims, "50,20,7,3") == 0 && got.format_version == CHECKPOINT_FORMAT_VERSION);

    /* inference against the training forward */
    csr_t x;
    csr_init(&x);
    csr_reserve(&x, 6, 300);
    x.rows = 6;
    x.cols = 50;
    rng_t g;
    rng_seed(&g, 5);
    int64_t nnz = 0;
    x.indptr[0] = 0;
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 50; j++)
            if (i != 3 && rng_uniform(&g) < 0.3f) {
                x.indices[nnz] = j;
                x.data[nnz++] = 5 * rng_uniform(&g);
            }
        x.indptr[i + 1] = nnz;
    }
    x.nnz = nnz;
    model_ws_t *ws = model_ws_create(&r, backend_cpu(), 8, PREC_32, 0);
    float z[6 * 3], err_row[6];
    model_forward(ws, &x, z, err_row);
    model_ws_t *wt = model_ws_create(&r, backend_cpu(), 8, PREC_32, 1);
    model_ws_set_batch(wt, &x);
    loss_t l = model_ws_forward(wt, 0);
    double mean = 0;
    for (int i = 0; i < 6; i++) mean += err_row[i] / 6.0;
    CHECK(fabs(mean - l.recon) <= 1e-6 * l.recon);
    CHECK(memcmp(z, wt->act[2], sizeof z) == 0);
    /* the all-zero row 3 encodes the bias path only and its error is the mean square output */
    CHECK(err_row[3] > 0);
    model_ws_free(ws);
    model_ws_free(wt);
    csr_free(&x);

    /* readers refuse other files */
    FILE *t = fopen(path, "w");
    fputs("plain text\n", t);
    fclose(t);
    model_t bad;
    CHECK(checkpoint_load(path, &bad, NULL, err, sizeof err) == -1);
    CHECK(strstr(err, "not an HDF5 file") != NULL);
    CHECK(checkpoint_load("/nonexistent/x.ckpt", &bad, NULL, err, sizeof err) == -1);
    CHECK(strcmp(err, "/nonexistent/x.ckpt: No such file or directory") == 0);
    unlink(path);
    model_free(&m);
    model_free(&r);
    if (!fails) puts("checkpoint round trip, inference and reader checks: ok");
    return fails ? 1 : 0;
}
