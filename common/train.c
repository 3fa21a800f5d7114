/* train.c: ae-train's loop (see train.h and man/man1/ae-train.1).
 *
 * Order of one run: lock OUTDIR -> open the dataset -> model (DIMS, --init or --resume) ->
 * split rows (seeded permutation; the validation rows are fixed for the run) -> config.yaml ->
 * for each epoch: shuffle the training rows (seeded generator, state saved in checkpoints),
 * batches prepared by --num-workers threads, forward/backward/AdamW per batch, validation,
 * checkpoints (top 3 by val_loss + last.ckpt), training_metrics.h5, hooks.
 * SIGINT/SIGTERM finish the current step, save last.ckpt with the position inside the epoch
 * and exit 130; --resume continues from there bit for bit (same thread count, CPU).
 *
 * Dimension legend: N dataset rows, Nt/Nv training/validation rows, B batch, P parameters. */
#include "train.h"
#include "adamw.h"
#include "checkpoint.h"
#include "dataset.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <yaml.h>

#define TOP_K 3
#define METRICS_FORMAT "aekit-training-metrics"
#define METRICS_FORMAT_VERSION 1
/* datasets up to this many bytes of CSR (values + indices + row pointers) are read into memory
 * once; larger ones are read batch by batch */
#define INMEM_MAX_BYTES ((int64_t)4 << 30)

void train_opts_defaults(train_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->act = ACT_RELU;
    o->latent_act = ACT_LINEAR;
    o->lr = 3e-4;
    o->weight_decay = 0.01;
    o->l1_alpha = 0;
    o->val_split = 0.2;
    o->batch_size = 32;
    o->epochs = 100;
    o->num_workers = 0;
    o->threads = 0;
    o->patience = 0;
    o->log_every = 50;
    o->seed = 42;
    o->precision = PREC_32;
    o->device = DEVICE_AUTO;
}

/* ---- signals ----------------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

/* The first signal asks for a clean stop after the current step; a second one kills at once
 * (temporary files may then remain, never a half-written file under a final name). */
static void on_signal(int sig)
{
    if (interrupted) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    interrupted = sig;
}

static void install_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- metrics history --------------------------------------------------------------------- */

typedef struct {
    int64_t n, cap;
    epoch_metrics_t *e;            /* [n] */
    int64_t ns, caps;
    int64_t *step;                 /* [ns] */
    double *step_loss;             /* [ns] */
} history_t;

static void history_add_epoch(history_t *h, const epoch_metrics_t *m)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->e = xrealloc(h->e, (size_t)h->cap * sizeof *h->e);
    }
    h->e[h->n++] = *m;
}

static void history_add_step(history_t *h, int64_t step, double loss)
{
    if (h->ns == h->caps) {
        h->caps = h->caps ? 2 * h->caps : 1024;
        h->step = xrealloc(h->step, (size_t)h->caps * sizeof *h->step);
        h->step_loss = xrealloc(h->step_loss, (size_t)h->caps * sizeof *h->step_loss);
    }
    h->step[h->ns] = step;
    h->step_loss[h->ns++] = loss;
}

static const char *const epoch_cols[] = {"train_loss", "val_loss", "train_recon_loss",
                                         "train_l1_loss", "learning_rate", "epoch_seconds",
                                         "samples_per_second"};
#define NCOLS 7

static double epoch_col(const epoch_metrics_t *m, int c)
{
    const double v[NCOLS] = {m->train_loss, m->val_loss, m->train_recon_loss, m->train_l1_loss,
                             m->learning_rate, m->epoch_seconds, m->samples_per_second};
    return v[c];
}

/* Write the history into loc: epoch + one dataset per column, step + train_loss_step. */
static int history_write(hid_t loc, const history_t *h)
{
    int bad = 0;
    int64_t *ep = xmalloc((size_t)(h->n + 1) * sizeof *ep);
    double *col = xmalloc((size_t)(h->n + 1) * sizeof *col);
    for (int64_t i = 0; i < h->n; i++) ep[i] = h->e[i].epoch;
    bad |= h5_write_i64(loc, "epoch", ep, h->n);
    for (int c = 0; c < NCOLS; c++) {
        for (int64_t i = 0; i < h->n; i++) col[i] = epoch_col(&h->e[i], c);
        bad |= h5_write_f64(loc, epoch_cols[c], col, h->n);
    }
    bad |= h5_write_i64(loc, "step", h->step, h->ns);
    bad |= h5_write_f64(loc, "train_loss_step", h->step_loss, h->ns);
    free(ep);
    free(col);
    return bad ? -1 : 0;
}

static int history_read(hid_t loc, history_t *h)
{
    int64_t n = h5_len(loc, "epoch"), ns = h5_len(loc, "step");
    if (n < 0 || ns < 0) return -1;
    int64_t *ep = xmalloc((size_t)(n + 1) * sizeof *ep);
    double *cols[NCOLS];
    int bad = h5_read_i64(loc, "epoch", ep, n);
    for (int c = 0; c < NCOLS; c++) {
        cols[c] = xmalloc((size_t)(n + 1) * sizeof(double));
        bad |= h5_read_f64(loc, epoch_cols[c], cols[c], n);
    }
    for (int64_t i = 0; !bad && i < n; i++) {
        epoch_metrics_t m = {ep[i], cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i],
                             cols[5][i], cols[6][i], 0};
        history_add_epoch(h, &m);
    }
    int64_t *st = xmalloc((size_t)(ns + 1) * sizeof *st);
    double *sl = xmalloc((size_t)(ns + 1) * sizeof *sl);
    bad |= h5_read_i64(loc, "step", st, ns) | h5_read_f64(loc, "train_loss_step", sl, ns);
    for (int64_t i = 0; !bad && i < ns; i++) history_add_step(h, st[i], sl[i]);
    free(ep);
    for (int c = 0; c < NCOLS; c++) free(cols[c]);
    free(st);
    free(sl);
    return bad ? -1 : 0;
}

/* ---- batch loader: worker threads fill slots in batch order ------------------------------ */

typedef struct {
    csr_t x;                       /* the batch's rows, raw values */
    float *vals;                   /* [x.nnz] L2-normalised values */
    int64_t cap_vals;
    int64_t idx;                   /* batch number held */
    int state;                     /* 0 free, 1 ready, 2 handed to the trainer */
} slot_t;

typedef struct {
    /* source: the whole matrix in memory, or the file */
    const csr_t *mem;              /* rows with absolute indptr, or NULL */
    dataset_t *ds;
    pthread_mutex_t ds_lock;       /* one reader of ds at a time */
    int batch_size, nworkers, nslots;
    slot_t *slots;                 /* [nslots] */
    pthread_t *threads;            /* [nworkers] */
    /* the current pass */
    const int64_t *rows;           /* [n] row numbers in batch order */
    int64_t n, nbatches, next;     /* next: batch the trainer gets next */
    int stop;
    char err[512];
    int failed;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} loader_t;

typedef struct { loader_t *ld; int w; int64_t first; } worker_arg_t;

static int loader_fill(loader_t *ld, slot_t *s, int64_t b, char *err, size_t errlen)
{
    int64_t r0 = b * ld->batch_size, r1 = r0 + ld->batch_size;
    if (r1 > ld->n) r1 = ld->n;
    const int64_t *rows = ld->rows + r0;
    int64_t n = r1 - r0;
    if (ld->mem) {
        const csr_t *M = ld->mem;
        int64_t nnz = 0;
        for (int64_t i = 0; i < n; i++) nnz += M->indptr[rows[i] + 1] - M->indptr[rows[i]];
        csr_reserve(&s->x, n, nnz);
        s->x.rows = n;
        s->x.cols = M->cols;
        s->x.nnz = nnz;
        s->x.indptr[0] = 0;
        for (int64_t i = 0; i < n; i++) {
            int64_t a = M->indptr[rows[i]], len = M->indptr[rows[i] + 1] - a, at = s->x.indptr[i];
            memcpy(s->x.indices + at, M->indices + a, (size_t)len * sizeof(int32_t));
            memcpy(s->x.data + at, M->data + a, (size_t)len * sizeof(float));
            s->x.indptr[i + 1] = at + len;
        }
    } else {
        pthread_mutex_lock(&ld->ds_lock);
        int rc = dataset_read_row_list(ld->ds, rows, n, &s->x, err, errlen);
        pthread_mutex_unlock(&ld->ds_lock);
        if (rc < 0) return -1;
    }
    if (s->x.nnz > s->cap_vals) {
        s->cap_vals = s->x.nnz;
        s->vals = xrealloc(s->vals, (size_t)s->cap_vals * sizeof *s->vals);
    }
    csr_l2_normalize(&s->x, s->vals);
    s->idx = b;
    return 0;
}

static void *loader_worker(void *p)
{
    worker_arg_t *a = p;
    loader_t *ld = a->ld;
    char err[512];
    for (int64_t b = a->first + a->w; b < ld->nbatches; b += ld->nworkers) {
        slot_t *s = &ld->slots[b % ld->nslots];
        pthread_mutex_lock(&ld->lock);
        while (!ld->stop && s->state != 0) pthread_cond_wait(&ld->cond, &ld->lock);
        int stop = ld->stop;
        pthread_mutex_unlock(&ld->lock);
        if (stop) break;
        int rc = loader_fill(ld, s, b, err, sizeof err);
        pthread_mutex_lock(&ld->lock);
        if (rc < 0 && !ld->failed) {
            ld->failed = 1;
            snprintf(ld->err, sizeof ld->err, "%s", err);
        }
        s->state = 1;
        pthread_cond_broadcast(&ld->cond);
        pthread_mutex_unlock(&ld->lock);
        if (rc < 0) break;
    }
    return NULL;
}

static void loader_init(loader_t *ld, const csr_t *mem, dataset_t *ds, int batch_size,
                        int nworkers)
{
    memset(ld, 0, sizeof *ld);
    ld->mem = mem;
    ld->ds = ds;
    ld->batch_size = batch_size;
    ld->nworkers = nworkers;
    ld->nslots = nworkers ? 2 * nworkers : 1;
    ld->slots = xcalloc((size_t)ld->nslots, sizeof *ld->slots);
    for (int i = 0; i < ld->nslots; i++) csr_init(&ld->slots[i].x);
    ld->threads = xcalloc((size_t)(nworkers + 1), sizeof *ld->threads);
    pthread_mutex_init(&ld->lock, NULL);
    pthread_mutex_init(&ld->ds_lock, NULL);
    pthread_cond_init(&ld->cond, NULL);
}

static worker_arg_t worker_args[256];

/* Start a pass over rows [n] in batches, beginning with batch first. */
static void loader_begin(loader_t *ld, const int64_t *rows, int64_t n, int64_t first)
{
    ld->rows = rows;
    ld->n = n;
    ld->nbatches = (n + ld->batch_size - 1) / ld->batch_size;
    ld->next = first;
    ld->stop = 0;
    for (int i = 0; i < ld->nslots; i++) ld->slots[i].state = 0;
    for (int w = 0; w < ld->nworkers; w++) {
        worker_args[w] = (worker_arg_t){ld, w, first};
        if (pthread_create(&ld->threads[w], NULL, loader_worker, &worker_args[w]) != 0)
            die("cannot start a batch worker thread:");
    }
}

/* The next batch in order, or NULL at the end of the pass. */
static slot_t *loader_next(loader_t *ld)
{
    if (ld->next >= ld->nbatches) return NULL;
    int64_t b = ld->next++;
    if (ld->nworkers == 0) {
        char err[512];
        if (loader_fill(ld, &ld->slots[0], b, err, sizeof err) < 0) die("%s", err);
        return &ld->slots[0];
    }
    slot_t *s = &ld->slots[b % ld->nslots];
    pthread_mutex_lock(&ld->lock);
    /* the previous batch's slot is free again */
    slot_t *prev = &ld->slots[(b + ld->nslots - 1) % ld->nslots];
    if (prev->state == 2) {
        prev->state = 0;
        pthread_cond_broadcast(&ld->cond);
    }
    while (!ld->failed && !(s->state == 1 && s->idx == b)) pthread_cond_wait(&ld->cond, &ld->lock);
    int failed = ld->failed;
    s->state = 2;
    pthread_mutex_unlock(&ld->lock);
    if (failed) die("%s", ld->err);
    return s;
}

static void loader_end(loader_t *ld)
{
    pthread_mutex_lock(&ld->lock);
    ld->stop = 1;
    pthread_cond_broadcast(&ld->cond);
    pthread_mutex_unlock(&ld->lock);
    for (int w = 0; w < ld->nworkers; w++) pthread_join(ld->threads[w], NULL);
}

static void loader_free(loader_t *ld)
{
    for (int i = 0; i < ld->nslots; i++) {
        csr_free(&ld->slots[i].x);
        free(ld->slots[i].vals);
    }
    free(ld->slots);
    free(ld->threads);
    pthread_mutex_destroy(&ld->lock);
    pthread_mutex_destroy(&ld->ds_lock);
    pthread_cond_destroy(&ld->cond);
}

/* ---- the run's state --------------------------------------------------------------------- */

typedef struct {
    int64_t epoch;
    double val_loss;
} topk_entry_t;

typedef struct {
    const train_opts_t *o;
    const train_hooks_t *hooks;
    char *ckdir, *last_path, *metrics_path, *config_path;
    dataset_t ds;
    csr_t mem;                     /* the whole matrix when it fits (INMEM_MAX_BYTES) */
    int in_memory;
    model_t m;
    const backend_t *be;
    model_ws_t *ws;
    adamw_t opt;
    grad_scaler_t scaler;
    /* rows */
    int64_t *train_rows, ntrain;   /* [Nt] in dataset order */
    int64_t *val_rows, nval;       /* [Nv] ascending */
    int64_t *order;                /* [Nt] this epoch's order */
    /* position */
    int64_t next_epoch, next_batch, global_step;
    rng_t rng_epoch;               /* shuffle generator at the start of next_epoch */
    /* sums over the epoch so far (restored on a mid-epoch resume) */
    double ep_loss, ep_recon, ep_l1, ep_seconds;
    int64_t ep_samples;
    /* top-k and early stopping */
    topk_entry_t topk[TOP_K];
    int ntopk;
    double best_val;
    int64_t bad_epochs;
    history_t hist;
} run_t;

static double nan_inf(double v) { return isnan(v) ? INFINITY : v; }

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static char *topk_path(const run_t *R, const topk_entry_t *e)
{
    char name[128];
    snprintf(name, sizeof name, "autoencoder-epoch=%02lld-val_loss=%.4f.ckpt",
             (long long)e->epoch, e->val_loss);
    return path_join(R->ckdir, name);
}

/* ---- checkpoints ------------------------------------------------------------------------- */

static void save_checkpoint(run_t *R, const char *path, int64_t last_epoch, double val_loss)
{
    const train_opts_t *o = R->o;
    char err[1024], *tmp;
    model_ws_download(R->ws);
    checkpoint_info_t info = {.epoch = last_epoch, .global_step = R->global_step,
                              .val_loss = val_loss, .l1_alpha = o->l1_alpha, .seed = o->seed};
    snprintf(info.precision, sizeof info.precision, "%s", precision_name(o->precision));
    hid_t f = checkpoint_create(path, &R->m, &info, &tmp, err, sizeof err);
    if (f < 0) die("%s", err);
    int bad = 0;
    /* /optimizer */
    size_t P = R->m.nparams;
    float *buf = xmalloc(P * sizeof *buf);
    hid_t g = H5Gcreate2(f, "optimizer", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= g < 0;
    bad |= h5_attr_write_str(g, "type", "AdamW");
    bad |= h5_attr_write_i64(g, "step", R->opt.step);
    bad |= h5_attr_write_f64(g, "lr", R->opt.lr);
    bad |= h5_attr_write_f64(g, "beta1", R->opt.beta1);
    bad |= h5_attr_write_f64(g, "beta2", R->opt.beta2);
    bad |= h5_attr_write_f64(g, "eps", R->opt.eps);
    bad |= h5_attr_write_f64(g, "weight_decay", R->opt.weight_decay);
    bad |= h5_attr_write_i64(g, "scaler_enabled", R->scaler.enabled);
    bad |= h5_attr_write_f64(g, "loss_scale", R->scaler.scale);
    bad |= h5_attr_write_i64(g, "scaler_growth_tracker", R->scaler.growth_tracker);
    for (int which = 0; which < 2; which++) {
        R->be->download(buf, which ? R->opt.exp_avg_sq : R->opt.exp_avg, P * sizeof *buf);
        hid_t sg = H5Gcreate2(g, which ? "exp_avg_sq" : "exp_avg", H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT);
        bad |= sg < 0;
        for (int k = 0; k < R->m.nlayers; k++) {
            char name[64];
            int64_t O = model_layer_out(&R->m, k), I = model_layer_in(&R->m, k);
            model_param_name(&R->m, k, 0, name, sizeof name);
            bad |= h5_write_f32(sg, name, buf + model_weight_offset(&R->m, k), O, I);
            model_param_name(&R->m, k, 1, name, sizeof name);
            bad |= h5_write_f32(sg, name, buf + model_bias_offset(&R->m, k), O, 0);
        }
        H5Gclose(sg);
    }
    H5Gclose(g);
    free(buf);
    /* /trainer */
    g = H5Gcreate2(f, "trainer", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= g < 0;
    bad |= h5_attr_write_i64(g, "next_epoch", R->next_epoch);
    const char *run_id = R->hooks && R->hooks->run_id ? R->hooks->run_id(R->hooks->ctx) : NULL;
    if (run_id) bad |= h5_attr_write_str(g, "mlflow_run_id", run_id);
    bad |= h5_attr_write_i64(g, "next_batch", R->next_batch);
    bad |= h5_attr_write_i64(g, "split_seed", o->seed);
    bad |= h5_attr_write_f64(g, "val_split", o->val_split);
    bad |= h5_attr_write_i64(g, "batch_size", o->batch_size);
    bad |= h5_attr_write_i64(g, "epochs", o->epochs);
    bad |= h5_attr_write_i64(g, "shuffle", !o->no_shuffle);
    bad |= h5_attr_write_i64(g, "dataset_rows", R->ds.rows);
    bad |= h5_attr_write_i64(g, "dataset_nnz", R->ds.nnz);
    bad |= h5_attr_write_i64(g, "patience", o->patience);
    bad |= h5_attr_write_f64(g, "best_val_loss", R->best_val);
    bad |= h5_attr_write_i64(g, "bad_epochs", R->bad_epochs);
    bad |= h5_attr_write_f64(g, "epoch_loss_sum", R->ep_loss);
    bad |= h5_attr_write_f64(g, "epoch_recon_sum", R->ep_recon);
    bad |= h5_attr_write_f64(g, "epoch_l1_sum", R->ep_l1);
    bad |= h5_attr_write_f64(g, "epoch_seconds", R->ep_seconds);
    bad |= h5_attr_write_i64(g, "epoch_samples", R->ep_samples);
    bad |= h5_write_u64(g, "rng_state", R->rng_epoch.s, 4);
    int64_t te[TOP_K];
    double tv[TOP_K];
    for (int i = 0; i < R->ntopk; i++) {
        te[i] = R->topk[i].epoch;
        tv[i] = R->topk[i].val_loss;
    }
    bad |= h5_write_i64(g, "top_k_epoch", te, R->ntopk);
    bad |= h5_write_f64(g, "top_k_val_loss", tv, R->ntopk);
    hid_t mg = H5Gcreate2(g, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= mg < 0 || history_write(mg, &R->hist) < 0;
    H5Gclose(mg);
    H5Gclose(g);
    if (bad) {
        checkpoint_abort(f, tmp);
        die("%s: write failed (disk full?)", path);
    }
    if (checkpoint_commit(f, tmp, path, err, sizeof err) < 0) die("%s", err);
    free(tmp);
}

/* Restore optimiser, generator, position, top-k and history from a checkpoint of this run. */
static void load_resume(run_t *R, const char *path)
{
    const train_opts_t *o = R->o;
    checkpoint_info_t info;
    char err[1024];
    hid_t f = checkpoint_open(path, &info, err, sizeof err);
    if (f < 0) die("%s", err);
    hid_t g = H5Lexists(f, "optimizer", H5P_DEFAULT) > 0 && H5Lexists(f, "trainer", H5P_DEFAULT) > 0
                  ? H5Gopen2(f, "optimizer", H5P_DEFAULT) : -1;
    if (g < 0) {
        H5Fclose(f);
        die("%s: no optimizer/trainer state (an ae-init checkpoint? start with --init instead)",
            path);
    }
    int bad = 0;
    int64_t v;
    size_t P = R->m.nparams;
    float *buf = xmalloc(P * sizeof *buf);
    bad |= h5_attr_read_i64(g, "step", &R->opt.step);
    bad |= h5_attr_read_f64(g, "lr", &R->opt.lr) | h5_attr_read_f64(g, "weight_decay", &R->opt.weight_decay);
    bad |= h5_attr_read_f64(g, "beta1", &R->opt.beta1) | h5_attr_read_f64(g, "beta2", &R->opt.beta2);
    bad |= h5_attr_read_f64(g, "eps", &R->opt.eps);
    bad |= h5_attr_read_i64(g, "scaler_enabled", &v);
    R->scaler.enabled = (int)v;
    bad |= h5_attr_read_f64(g, "loss_scale", &R->scaler.scale);
    bad |= h5_attr_read_i64(g, "scaler_growth_tracker", &R->scaler.growth_tracker);
    for (int which = 0; which < 2 && !bad; which++) {
        hid_t sg = H5Gopen2(g, which ? "exp_avg_sq" : "exp_avg", H5P_DEFAULT);
        bad |= sg < 0;
        for (int k = 0; sg >= 0 && k < R->m.nlayers; k++) {
            char name[64];
            int64_t O = model_layer_out(&R->m, k), I = model_layer_in(&R->m, k);
            model_param_name(&R->m, k, 0, name, sizeof name);
            bad |= h5_read_f32(sg, name, buf + model_weight_offset(&R->m, k), O, I);
            model_param_name(&R->m, k, 1, name, sizeof name);
            bad |= h5_read_f32(sg, name, buf + model_bias_offset(&R->m, k), O, 0);
        }
        if (sg >= 0) H5Gclose(sg);
        R->be->upload(which ? R->opt.exp_avg_sq : R->opt.exp_avg, buf, P * sizeof *buf);
    }
    H5Gclose(g);
    free(buf);
    g = H5Gopen2(f, "trainer", H5P_DEFAULT);
    int64_t rows, nnz;
    bad |= h5_attr_read_i64(g, "next_epoch", &R->next_epoch);
    bad |= h5_attr_read_i64(g, "next_batch", &R->next_batch);
    bad |= h5_attr_read_i64(g, "dataset_rows", &rows) | h5_attr_read_i64(g, "dataset_nnz", &nnz);
    bad |= h5_attr_read_f64(g, "best_val_loss", &R->best_val);
    bad |= h5_attr_read_i64(g, "bad_epochs", &R->bad_epochs);
    bad |= h5_attr_read_f64(g, "epoch_loss_sum", &R->ep_loss);
    bad |= h5_attr_read_f64(g, "epoch_recon_sum", &R->ep_recon);
    bad |= h5_attr_read_f64(g, "epoch_l1_sum", &R->ep_l1);
    bad |= h5_attr_read_f64(g, "epoch_seconds", &R->ep_seconds);
    bad |= h5_attr_read_i64(g, "epoch_samples", &R->ep_samples);
    bad |= h5_read_u64(g, "rng_state", R->rng_epoch.s, 4);
    int64_t nk = h5_len(g, "top_k_epoch");
    int64_t te[TOP_K];
    double tv[TOP_K];
    if (nk < 0 || nk > TOP_K || h5_read_i64(g, "top_k_epoch", te, nk) < 0 ||
        h5_read_f64(g, "top_k_val_loss", tv, nk) < 0)
        bad = 1;
    else {
        R->ntopk = (int)nk;
        for (int i = 0; i < R->ntopk; i++) R->topk[i] = (topk_entry_t){te[i], tv[i]};
    }
    hid_t mg = H5Lexists(g, "metrics", H5P_DEFAULT) > 0 ? H5Gopen2(g, "metrics", H5P_DEFAULT) : -1;
    bad |= mg < 0 || history_read(mg, &R->hist) < 0;
    if (mg >= 0) H5Gclose(mg);
    H5Gclose(g);
    H5Fclose(f);
    if (bad) die("%s: optimizer/trainer state is incomplete; the file is damaged", path);
    if (rows != R->ds.rows || nnz != R->ds.nnz)
        die("%s: was trained on a dataset with %lld rows and %lld non-zeros, but %s has %lld rows "
            "and %lld non-zeros", path, (long long)rows, (long long)nnz, o->dataset,
            (long long)R->ds.rows, (long long)R->ds.nnz);
    R->global_step = info.global_step;
}

/* A resumed run continues with its checkpoint's hyper-parameters; an option given on the
 * command line that contradicts them is an error (it would not be the same run). */
static void adopt_resume_options(train_opts_t *o)
{
    checkpoint_info_t info;
    char err[1024];
    hid_t f = checkpoint_open(o->resume, &info, err, sizeof err);
    if (f < 0) die("%s", err);
    if (H5Lexists(f, "optimizer", H5P_DEFAULT) <= 0 || H5Lexists(f, "trainer", H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        die("%s: no optimizer/trainer state (an ae-init checkpoint? start with --init instead)",
            o->resume);
    }
    hid_t og = H5Gopen2(f, "optimizer", H5P_DEFAULT), tg = H5Gopen2(f, "trainer", H5P_DEFAULT);
    double lr, wd, vs;
    int64_t bs, seed, shuffle, epochs;
    int bad = h5_attr_read_f64(og, "lr", &lr) | h5_attr_read_f64(og, "weight_decay", &wd) |
              h5_attr_read_i64(tg, "epochs", &epochs) |
              h5_attr_read_f64(tg, "val_split", &vs) | h5_attr_read_i64(tg, "batch_size", &bs) |
              h5_attr_read_i64(tg, "split_seed", &seed) | h5_attr_read_i64(tg, "shuffle", &shuffle);
    H5Gclose(og);
    H5Gclose(tg);
    H5Fclose(f);
    precision_t prec;
    if (bad || precision_parse(info.precision, &prec) < 0)
        die("%s: optimizer/trainer state is incomplete; the file is damaged", o->resume);
#define SAME(given, cur, ck, opt, fmt)                                                          \
    do {                                                                                        \
        if ((given) && (cur) != (ck))                                                           \
            die("%s %" fmt " differs from %s (%" fmt "); a resumed run keeps its settings", opt, \
                cur, o->resume, ck);                                                            \
        cur = ck;                                                                               \
    } while (0)
    SAME(o->given_lr, o->lr, lr, "--learning-rate", "g");
    SAME(o->given_wd, o->weight_decay, wd, "--weight-decay", "g");
    SAME(o->given_l1, o->l1_alpha, info.l1_alpha, "--l1-alpha", "g");
    SAME(o->given_val_split, o->val_split, vs, "--val-split", "g");
    SAME(o->given_batch, o->batch_size, (int)bs, "--batch-size", "d");
    SAME(o->given_seed, o->seed, seed, "--seed", PRId64);
#undef SAME
    if (o->given_precision && o->precision != prec)
        die("--precision %s differs from %s (%s); a resumed run keeps its settings",
            precision_name(o->precision), o->resume, info.precision);
    o->precision = prec;
    if (o->given_no_shuffle && shuffle)
        die("--no-shuffle differs from %s (shuffled); a resumed run keeps its settings",
            o->resume);
    o->no_shuffle = !shuffle;
    if (!o->given_epochs) o->epochs = (int)epochs;     /* -e may extend a run */
}

/* ---- config.yaml ------------------------------------------------------------------------- */

typedef struct { yaml_emitter_t e; int bad; } ye_t;

static void ye_ev(ye_t *y, yaml_event_t *ev)
{
    if (!yaml_emitter_emit(&y->e, ev)) y->bad = 1;
}
static void ye_scalar(ye_t *y, const char *s, int plain)
{
    yaml_event_t ev;
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain, 1,
                                 plain ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    ye_ev(y, &ev);
}
static void ye_map_start(ye_t *y)
{
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    ye_ev(y, &ev);
}
static void ye_map_end(ye_t *y)
{
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    ye_ev(y, &ev);
}
static void ye_str(ye_t *y, const char *k, const char *v)
{
    ye_scalar(y, k, 1);
    if (v) ye_scalar(y, v, 0);
    else ye_scalar(y, "null", 1);
}
static void ye_num(ye_t *y, const char *k, const char *fmt, double v)
{
    char b[64];
    (void)fmt;
    if (isnan(v)) snprintf(b, sizeof b, ".nan");
    else {
        /* the shortest decimal that reads back as v */
        for (int prec = 6; prec <= 17; prec++) {
            snprintf(b, sizeof b, "%.*g", prec, v);
            if (strtod(b, NULL) == v) break;
        }
    }
    ye_scalar(y, k, 1);
    ye_scalar(y, b, 1);
}
static void ye_int(ye_t *y, const char *k, long long v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", v);
    ye_scalar(y, k, 1);
    ye_scalar(y, b, 1);
}
static void ye_int_list(ye_t *y, const char *k, const int64_t *v, int n)
{
    yaml_event_t ev;
    ye_scalar(y, k, 1);
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
    ye_ev(y, &ev);
    for (int i = 0; i < n; i++) {
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)v[i]);
        ye_scalar(y, b, 1);
    }
    yaml_sequence_end_event_initialize(&ev);
    ye_ev(y, &ev);
}

/* Root attributes of the dataset (the feature-selection record among them), as strings. */
static herr_t attr_to_yaml(hid_t loc, const char *name, const H5A_info_t *ai, void *p)
{
    (void)ai;
    ye_t *y = p;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return 0;
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    H5T_class_t c = H5Tget_class(t);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    char buf[1024];
    if (c == H5T_STRING && n == 1) {
        if (h5_attr_read_str(loc, name, buf, sizeof buf) == 0) ye_str(y, name, buf);
    } else if ((c == H5T_INTEGER || c == H5T_FLOAT) && n >= 1 && n <= 64) {
        double v[64];
        if (H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0) {
            if (n == 1) ye_num(y, name, "%.17g", v[0]);
            else {
                int64_t iv[64];
                int integral = c == H5T_INTEGER;
                for (hssize_t i = 0; i < n; i++) iv[i] = (int64_t)v[i];
                if (integral) ye_int_list(y, name, iv, (int)n);
            }
        }
    }
    H5Sclose(s);
    H5Tclose(t);
    H5Aclose(a);
    return 0;
}

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) {
                c += 1 + (c[1] == ' ');
                c[strcspn(c, "\n")] = 0;
                snprintf(buf, n, "%s", c);
            }
            break;
        }
    }
    fclose(f);
}

static void write_config(run_t *R)
{
    const train_opts_t *o = R->o;
    char *tmp = atomic_tmp_name(R->config_path);
    tmpfile_register(tmp);
    FILE *f = fopen(tmp, "w");
    if (!f) die("%s:", tmp);
    ye_t y = {0};
    yaml_emitter_initialize(&y.e);
    yaml_emitter_set_output_file(&y.e, f);
    yaml_emitter_set_unicode(&y.e, 1);
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    ye_ev(&y, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    ye_ev(&y, &ev);
    ye_map_start(&y);
    char ts[32], b[1024];
    iso8601_now(ts, sizeof ts);
    ye_str(&y, "timestamp", ts);
    ye_str(&y, "command", util_cmdline());

    ye_scalar(&y, "dataset", 1);
    ye_map_start(&y);
    ye_str(&y, "path", o->dataset);
    int64_t shape[2] = {R->ds.rows, R->ds.cols};
    ye_int_list(&y, "shape", shape, 2);
    ye_int(&y, "nnz", R->ds.nnz);
    ye_int(&y, "format_version", R->ds.format_version);
    ye_int(&y, "train_rows", R->ntrain);
    ye_int(&y, "val_rows", R->nval);
    ye_scalar(&y, "attributes", 1);
    ye_map_start(&y);
    H5Aiterate2(R->ds.file, H5_INDEX_NAME, H5_ITER_INC, NULL, attr_to_yaml, &y);
    ye_map_end(&y);
    ye_map_end(&y);

    ye_scalar(&y, "model", 1);
    ye_map_start(&y);
    ye_int_list(&y, "dims", R->m.dims, R->m.ndims);
    ye_str(&y, "activation", act_name(R->m.act));
    ye_str(&y, "latent_activation", act_name(R->m.latent_act));
    ye_int(&y, "parameters", (long long)R->m.nparams);
    ye_str(&y, "init", o->init);
    ye_str(&y, "resume", o->resume);
    ye_map_end(&y);

    ye_scalar(&y, "hyperparameters", 1);
    ye_map_start(&y);
    ye_num(&y, "learning_rate", "%.17g", o->lr);
    ye_num(&y, "weight_decay", "%.17g", o->weight_decay);
    if (o->l1_alpha > 0) ye_num(&y, "l1_alpha", "%.17g", o->l1_alpha);
    else ye_str(&y, "l1_alpha", NULL);
    ye_str(&y, "optimizer", "AdamW(betas=(0.9, 0.999), eps=1e-08)");
    ye_int(&y, "batch_size", o->batch_size);
    ye_int(&y, "epochs", o->epochs);
    ye_num(&y, "val_split", "%.17g", o->val_split);
    ye_int(&y, "seed", (long long)o->seed);
    ye_str(&y, "precision", precision_name(o->precision));
    ye_int(&y, "num_workers", o->num_workers);
    if (o->patience > 0) ye_int(&y, "patience", o->patience);
    else ye_str(&y, "patience", NULL);
    ye_scalar(&y, "shuffle", 1);
    ye_scalar(&y, o->no_shuffle ? "false" : "true", 1);
    ye_int(&y, "log_every_n_steps", o->log_every);
    ye_str(&y, "device", R->be->name);
    ye_int(&y, "threads", o->threads);
    ye_str(&y, "mlflow_uri", o->mlflow_uri);
    ye_map_end(&y);

    ye_scalar(&y, "environment", 1);
    ye_map_start(&y);
    ye_str(&y, "aekit_version", AEKIT_VERSION);
    ye_str(&y, "git_commit", AEKIT_GIT_COMMIT);
#ifdef __VERSION__
    snprintf(b, sizeof b, "%s %s",
#ifdef __clang__
             "clang",
#else
             "gcc",
#endif
             __VERSION__);
#else
    snprintf(b, sizeof b, "unknown");
#endif
    ye_str(&y, "compiler", b);
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(b, sizeof b, "%u.%u.%u", maj, min, rel);
    ye_str(&y, "hdf5", b);
    backend_cpu()->describe(b, sizeof b);
    ye_str(&y, "blas", b);
    ye_int(&y, "blas_threads", backend_cpu_threads());
    if (strcmp(R->be->name, "cpu") != 0) {
        R->be->describe(b, sizeof b);
        ye_str(&y, "cuda", b);
    }
    cpu_model(b, sizeof b);
    ye_str(&y, "cpu", b);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(b, sizeof b, "%s %s %s", u.sysname, u.release, u.machine);
        ye_str(&y, "os", b);
        ye_str(&y, "hostname", u.nodename);
    }
    ye_map_end(&y);

    ye_map_end(&y);
    yaml_document_end_event_initialize(&ev, 1);
    ye_ev(&y, &ev);
    yaml_stream_end_event_initialize(&ev);
    ye_ev(&y, &ev);
    yaml_emitter_delete(&y.e);
    if (y.bad || fclose(f) != 0) die("%s: write failed", tmp);
    if (atomic_commit(tmp, R->config_path) < 0) die("%s:", R->config_path);
    free(tmp);
}

/* ---- training_metrics.h5 ----------------------------------------------------------------- */

static void write_metrics(run_t *R)
{
    char *tmp = atomic_tmp_name(R->metrics_path);
    tmpfile_register(tmp);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) die("%s: cannot create file", tmp);
    int bad = h5_stamp(f, METRICS_FORMAT, METRICS_FORMAT_VERSION);
    bad |= history_write(f, &R->hist);
    if (H5Fclose(f) < 0 || bad) die("%s: write failed (disk full?)", tmp);
    if (atomic_commit(tmp, R->metrics_path) < 0) die("%s:", R->metrics_path);
    free(tmp);
}

/* ---- setup ------------------------------------------------------------------------------- */

static void lock_outdir(const char *outdir)
{
    char *p = path_join(outdir, ".ae-train.lock");
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) die("%s:", p);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            die("%s: another ae-train is running in this directory (%s is locked)", outdir, p);
        die("%s:", p);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && write(fd, pid, (size_t)n) < 0) { /* informative only */ }
    free(p);
    /* fd stays open (and locked) until exit */
}

static void mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) die("cannot create %s:", p);
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) die("cannot create %s:", p);
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) die("%s: not a directory", p);
    free(p);
}

/* A new run must not mix its top-3 files with an earlier run's. */
static void refuse_old_checkpoints(const char *ckdir)
{
    DIR *d = opendir(ckdir);
    if (!d) die("%s:", ckdir);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".ckpt") == 0) {
            closedir(d);
            die("%s already holds checkpoints of an earlier run; continue it with --resume "
                "%s/last.ckpt or choose another OUTDIR", ckdir, ckdir);
        }
    }
    closedir(d);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void split_rows(run_t *R)
{
    const train_opts_t *o = R->o;
    int64_t N = R->ds.rows;
    int64_t nval = (int64_t)floor((double)N * o->val_split);
    R->nval = nval;
    R->ntrain = N - nval;
    if (R->ntrain < 1)
        die("%s: %lld rows leave no training rows with --val-split %g", o->dataset, (long long)N,
            o->val_split);
    int64_t *perm = xmalloc((size_t)(N + 1) * sizeof *perm);
    for (int64_t i = 0; i < N; i++) perm[i] = i;
    rng_t split;
    rng_seed(&split, (uint64_t)o->seed);
    if (nval > 0) rng_shuffle(&split, perm, N);
    R->train_rows = xmalloc((size_t)R->ntrain * sizeof(int64_t));
    R->val_rows = xmalloc((size_t)(nval + 1) * sizeof(int64_t));
    memcpy(R->train_rows, perm, (size_t)R->ntrain * sizeof(int64_t));
    memcpy(R->val_rows, perm + R->ntrain, (size_t)nval * sizeof(int64_t));
    qsort(R->train_rows, (size_t)R->ntrain, sizeof(int64_t), cmp_i64);
    qsort(R->val_rows, (size_t)nval, sizeof(int64_t), cmp_i64);
    R->order = xmalloc((size_t)R->ntrain * sizeof(int64_t));
    free(perm);
}

/* The model: --resume's, --init's, or a fresh one from DIMS and --seed. */
static void setup_model(run_t *R, checkpoint_info_t *rinfo)
{
    const train_opts_t *o = R->o;
    char err[1024];
    const char *from = o->resume ? o->resume : o->init;
    if (from) {
        if (checkpoint_load(from, &R->m, rinfo, err, sizeof err) < 0) die("%s", err);
        if (o->ndims) {
            int same = o->ndims == R->m.ndims;
            for (int i = 0; same && i < o->ndims; i++) same = o->dims[i] == R->m.dims[i];
            if (!same) {
                char d[256];
                model_dims_string(&R->m, d, sizeof d);
                die("DIMS does not match %s (its dims are %s)", from, d);
            }
        }
        if (o->given_act && o->act != R->m.act)
            die("--activation %s does not match %s (its activation is %s)", act_name(o->act),
                from, act_name(R->m.act));
        if (o->given_latent && o->latent_act != R->m.latent_act)
            die("--latent-activation %s does not match %s (its latent activation is %s)",
                act_name(o->latent_act), from, act_name(R->m.latent_act));
    } else {
        if (model_init(&R->m, o->dims, o->ndims, o->act, o->latent_act, err, sizeof err) < 0)
            die("%s", err);
        model_init_params(&R->m, (uint64_t)o->seed);
    }
    if (R->m.dims[0] != R->ds.cols)
        die("%s has %lld features but the model's input width d0 is %lld", o->dataset,
            (long long)R->ds.cols, (long long)R->m.dims[0]);
}

static void load_data(run_t *R)
{
    int64_t bytes = R->ds.nnz * 8 + (R->ds.rows + 1) * 8, limit = INMEM_MAX_BYTES;
    char err[1024];
    long env;
    const char *e = getenv("AEKIT_TRAIN_INMEM_MAX_BYTES");
    if (e && str_to_long(e, &env) == 0 && env >= 0) limit = env;
    csr_init(&R->mem);
    if (bytes > limit) return;
    if (dataset_read_rows(&R->ds, 0, R->ds.rows, &R->mem, err, sizeof err) < 0) die("%s", err);
    R->in_memory = 1;
}

/* ---- one pass ---------------------------------------------------------------------------- */

static double validate(run_t *R, loader_t *ld)
{
    if (R->nval == 0) return NAN;
    double sum = 0;
    loader_begin(ld, R->val_rows, R->nval, 0);
    slot_t *s;
    while ((s = loader_next(ld))) {
        model_ws_set_batch_normalized(R->ws, &s->x, s->vals);
        loss_t l = model_ws_forward(R->ws, R->o->l1_alpha);
        sum += l.loss * (double)s->x.rows;
    }
    loader_end(ld);
    return sum / (double)R->nval;
}

/* After epoch e: top-k files, last.ckpt, metrics file. */
static void end_of_epoch_files(run_t *R, int64_t e, double val)
{
    /* top-k: add while fewer than K, else replace the worst when strictly lower */
    topk_entry_t ne = {e, val};
    int slot = -1;
    if (R->ntopk < TOP_K) slot = R->ntopk++;
    else {
        int worst = 0;
        for (int i = 1; i < R->ntopk; i++)
            if (nan_inf(R->topk[i].val_loss) >= nan_inf(R->topk[worst].val_loss)) worst = i;
        if (nan_inf(val) < nan_inf(R->topk[worst].val_loss)) {
            char *old = topk_path(R, &R->topk[worst]);
            char *p = topk_path(R, &ne);
            save_checkpoint(R, p, e, val);
            if (strcmp(old, p) != 0 && unlink(old) != 0 && errno != ENOENT)
                warnmsg("cannot remove %s:", old);
            free(old);
            free(p);
            R->topk[worst] = ne;
        }
    }
    if (slot >= 0) {
        R->topk[slot] = ne;
        char *p = topk_path(R, &ne);
        save_checkpoint(R, p, e, val);
        free(p);
    }
    save_checkpoint(R, R->last_path, e, val);
    write_metrics(R);
}

int train_run(const train_opts_t *opts, const train_hooks_t *hooks)
{
    run_t R_, *R = &R_;
    memset(R, 0, sizeof *R);
    train_opts_t oc = *opts, *o = &oc;
    R->o = o;
    R->hooks = hooks;
    char err[1024];
    h5_quiet();
    install_signals();

    if (o->threads > 0) backend_cpu_set_threads(o->threads);
    R->be = backend_get(o->device, err, sizeof err);
    if (!R->be) die("%s", err);
    if (o->resume) adopt_resume_options(o);

    if (dataset_open(&R->ds, o->dataset, err, sizeof err) < 0) die("%s", err);
    checkpoint_info_t rinfo;
    setup_model(R, &rinfo);

    split_rows(R);
    R->ws = model_ws_create(&R->m, R->be, o->batch_size, o->precision, 1);
    adamw_init(&R->opt, R->be, R->m.nparams, o->lr, o->weight_decay);
    grad_scaler_init(&R->scaler, o->precision == PREC_FP16);
    R->best_val = INFINITY;
    rng_seed(&R->rng_epoch, (uint64_t)o->seed ^ 0x5368756666656c65ull);   /* "Shuffle" */
    if (o->resume) {
        load_resume(R, o->resume);
        if (R->next_epoch >= o->epochs)
            die("%s: the run already finished its %lld epochs (give a larger --epochs to "
                "continue)", o->resume, (long long)R->next_epoch);
    }

    /* everything checked: now OUTDIR */
    mkdir_p(o->outdir);
    lock_outdir(o->outdir);
    R->ckdir = path_join(o->outdir, "checkpoints");
    mkdir_p(R->ckdir);
    R->last_path = path_join(R->ckdir, "last.ckpt");
    if (!o->resume) refuse_old_checkpoints(R->ckdir);
    R->metrics_path = path_join(o->outdir, "training_metrics.h5");
    R->config_path = path_join(o->outdir, "config.yaml");
    load_data(R);
    write_config(R);
    if (hooks && hooks->on_start) hooks->on_start(hooks->ctx, o, R->config_path);

    loader_t ld;
    loader_init(&ld, R->in_memory ? &R->mem : NULL, &R->ds, o->batch_size, o->num_workers);
    int64_t nb = (R->ntrain + o->batch_size - 1) / o->batch_size;
    int status = 0, stopped_early = 0;
    /* testing aid: behave as if SIGINT arrived right after this optimiser step */
    long interrupt_at = 0;
    const char *ia = getenv("AEKIT_INTERRUPT_AFTER_STEP");
    if (ia && str_to_long(ia, &interrupt_at) < 0) interrupt_at = 0;

    for (int64_t e = R->next_epoch; e < o->epochs && !stopped_early; e++) {
        /* this epoch's order, from the generator state at its start */
        rng_t start = R->rng_epoch;
        memcpy(R->order, R->train_rows, (size_t)R->ntrain * sizeof(int64_t));
        if (!o->no_shuffle) rng_shuffle(&R->rng_epoch, R->order, R->ntrain);
        int64_t first = R->next_batch;
        if (first == 0) R->ep_loss = R->ep_recon = R->ep_l1 = R->ep_seconds = 0, R->ep_samples = 0;
        progress_t pr;
        char what[64];
        snprintf(what, sizeof what, "epoch %lld/%d", (long long)e + 1, o->epochs);
        progress_init(&pr, what, nb, o->quiet);
        double t0 = now_seconds();
        loader_begin(&ld, R->order, R->ntrain, first);
        slot_t *s;
        int64_t b = first;
        while ((s = loader_next(&ld))) {
            int64_t rows = s->x.rows;
            model_ws_set_batch_normalized(R->ws, &s->x, s->vals);
            loss_t l = model_ws_forward(R->ws, o->l1_alpha);
            model_ws_backward(R->ws, o->l1_alpha, (float)R->scaler.scale);
            int found_inf = grad_scaler_unscale(&R->scaler, R->be, R->ws->grads, R->m.nparams);
            if (!found_inf) adamw_step(&R->opt, R->ws->params, R->ws->grads);
            grad_scaler_update(&R->scaler, found_inf);
            R->global_step++;
            if (interrupt_at > 0 && R->global_step == interrupt_at) interrupted = SIGINT;
            R->ep_loss += l.loss * rows;
            R->ep_recon += l.recon * rows;
            R->ep_l1 += l.l1 * rows;
            R->ep_samples += rows;
            b++;
            if (R->global_step % o->log_every == 0) {
                history_add_step(&R->hist, R->global_step, l.loss);
                if (hooks && hooks->on_step) hooks->on_step(hooks->ctx, R->global_step, l.loss);
            }
            double el = R->ep_seconds + now_seconds() - t0;
            progress_update(&pr, b, "batch %lld/%lld loss %.6f %.0f samples/s", (long long)b,
                            (long long)nb, R->ep_loss / R->ep_samples,
                            el > 0 ? R->ep_samples / el : 0);
            if (interrupted && b < nb) break;
        }
        loader_end(&ld);
        progress_done(&pr);
        R->ep_seconds += now_seconds() - t0;
        if (interrupted && b < nb) {
            /* mid-epoch: remember where we are, and how this epoch's order was drawn */
            R->next_epoch = e;
            R->next_batch = b;
            R->rng_epoch = start;
            int64_t last = R->hist.n ? R->hist.e[R->hist.n - 1].epoch : -1;
            double lv = R->hist.n ? R->hist.e[R->hist.n - 1].val_loss : NAN;
            save_checkpoint(R, R->last_path, last, lv);
            write_metrics(R);
            fprintf(stderr, "%s: interrupted in epoch %lld/%d at batch %lld/%lld; resume with: "
                    "ae-train %s %s --resume %s\n", progname, (long long)e + 1, o->epochs,
                    (long long)b, (long long)nb, o->dataset, o->outdir, R->last_path);
            status = EXIT_INTERRUPTED;
            break;
        }
        double val = validate(R, &ld);
        double secs = R->ep_seconds;     /* training time of the epoch (validation excluded) */
        epoch_metrics_t em = {
            .epoch = e,
            .global_step = R->global_step,
            .train_loss = R->ep_loss / R->ep_samples,
            .val_loss = val,
            .train_recon_loss = R->ep_recon / R->ep_samples,
            .train_l1_loss = R->ep_l1 / R->ep_samples,
            .learning_rate = o->lr,
            .epoch_seconds = secs,
            .samples_per_second = secs > 0 ? R->ep_samples / secs : 0,
        };
        history_add_epoch(&R->hist, &em);
        /* early stopping state (min mode, improvement must be strict; NaN never improves) */
        if (nan_inf(val) < R->best_val) {
            R->best_val = nan_inf(val);
            R->bad_epochs = 0;
        } else {
            R->bad_epochs++;
        }
        if (o->patience > 0 && R->bad_epochs >= o->patience) stopped_early = 1;
        R->next_epoch = e + 1;
        R->next_batch = 0;
        end_of_epoch_files(R, e, val);
        /* the one place epoch metrics are reported: stderr line, then the tracking hook */
        if (!o->quiet)
            fprintf(stderr, "epoch %lld/%d: train_loss %.6f val_loss %.6f (%.1f s, %.0f samples/s)"
                    "\n", (long long)e + 1, o->epochs, em.train_loss, em.val_loss,
                    em.epoch_seconds, em.samples_per_second);
        if (hooks && hooks->on_epoch) hooks->on_epoch(hooks->ctx, &em);
        if (stopped_early && !o->quiet)
            fprintf(stderr, "%s: early stopping: val_loss did not improve for %d epochs\n",
                    progname, o->patience);
        if (interrupted) {
            fprintf(stderr, "%s: interrupted after epoch %lld/%d; resume with: ae-train %s %s "
                    "--resume %s\n", progname, (long long)e + 1, o->epochs, o->dataset,
                    o->outdir, R->last_path);
            status = EXIT_INTERRUPTED;
            break;
        }
    }
    if (hooks && hooks->on_end) hooks->on_end(hooks->ctx, status);
    loader_free(&ld);
    adamw_free(&R->opt);
    model_ws_free(R->ws);
    model_free(&R->m);
    csr_free(&R->mem);
    dataset_close(&R->ds);
    free(R->train_rows);
    free(R->val_rows);
    free(R->order);
    free(R->hist.e);
    free(R->hist.step);
    free(R->hist.step_loss);
    free(R->ckdir);
    free(R->last_path);
    free(R->metrics_path);
    free(R->config_path);
    return status;
}
