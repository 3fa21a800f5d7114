/* train.h: ae-train's loop (man/man1/ae-train.1): validation split, seeded shuffles, batches
 * prepared by worker threads, AdamW steps in the chosen precision, per-epoch validation, top-3
 * and last checkpoints, training_metrics.h5, config.yaml, interruption and exact resumption.
 *
 * Experiment tracking hooks in through train_hooks_t: the loop calls on_step for every logged
 * step and on_epoch after every epoch's files are written (the one place metrics are reported).
 */
#ifndef AEKIT_TRAIN_H
#define AEKIT_TRAIN_H

#include "backend.h"
#include "model.h"

#include <stdint.h>

typedef struct {
    const char *dataset, *outdir;
    const char *init;              /* --init FILE or NULL */
    const char *resume;            /* --resume CKPT or NULL */
    const char *mlflow_uri;        /* NULL when not given */
    int ndims;                     /* 0 when DIMS was not given */
    int64_t dims[MODEL_MAX_DIMS];
    act_t act, latent_act;
    double lr, weight_decay, l1_alpha, val_split;   /* l1_alpha 0: disabled */
    int batch_size, epochs, num_workers, threads, patience, log_every, quiet, no_shuffle;
    int64_t seed;
    precision_t precision;
    device_kind_t device;
    /* which options the command line gave (a resumed run must not contradict its checkpoint) */
    int given_act, given_latent, given_lr, given_wd, given_l1, given_val_split, given_batch,
        given_seed, given_precision, given_no_shuffle, given_epochs;
} train_opts_t;

void train_opts_defaults(train_opts_t *o);

/* One finished epoch, as written to training_metrics.h5. */
typedef struct {
    int64_t epoch;
    double train_loss, val_loss, train_recon_loss, train_l1_loss, learning_rate, epoch_seconds,
        samples_per_second;
    int64_t global_step;           /* training steps done at the epoch's end (tracking) */
} epoch_metrics_t;

typedef struct {
    void *ctx;
    /* once, after config.yaml is written */
    void (*on_start)(void *ctx, const train_opts_t *o, const char *config_yaml_path);
    void (*on_step)(void *ctx, int64_t step, double train_loss_step);
    void (*on_epoch)(void *ctx, const epoch_metrics_t *m);
    /* status: 0 finished, 130 interrupted */
    void (*on_end)(void *ctx, int status);
    /* the tracking run id to keep in checkpoints (/trainer mlflow_run_id), or NULL */
    const char *(*run_id)(void *ctx);
} train_hooks_t;

/* Run the training. Returns the exit status (0, or EXIT_INTERRUPTED after SIGINT/SIGTERM);
 * errors exit through die(). hooks may be NULL. */
int train_run(const train_opts_t *o, const train_hooks_t *hooks);

#endif
