/* train_mlflow.h: ae-train's experiment tracking (man/man1/ae-train.1, TRACKING) as the
 * training loop's hooks, on top of the MLflow client in mlflow.h.
 *
 * A run holds: params from config.yaml (model, hyper-parameters, dataset path and shape,
 * precision, device); metrics train_loss, val_loss, train_recon_loss, train_l1_loss,
 * learning_rate, epoch_seconds, samples_per_second and epoch at each epoch's end and
 * train_loss_step at every logged step, all at global training steps; tags mlflow.runName
 * (OUTDIR's base name), mlflow.user, mlflow.source.name, mlflow.source.type, aekit.version,
 * aekit.git_commit, aekit.outdir; artifacts config.yaml, training_metrics.h5 and, with
 * --log-model, checkpoints/. Status RUNNING, then FINISHED, KILLED (interrupted) or FAILED (the
 * process exits on an error). The run id goes into every checkpoint (/trainer attribute
 * mlflow_run_id) so that --resume continues the same run.
 */
#ifndef AEKIT_TRAIN_MLFLOW_H
#define AEKIT_TRAIN_MLFLOW_H

#include "train.h"

typedef enum { LOG_MODEL_NONE, LOG_MODEL_BEST, LOG_MODEL_ALL } log_model_t;

#define TRACK_DEFAULT_URI "./mlruns"
#define TRACK_DEFAULT_EXPERIMENT "autoencoder_nlp"

/* "best" | "all" | "none" -> log_model_t, or -1. */
int log_model_parse(const char *s);

/* The tracking URI: --mlflow-uri if given, else MLFLOW_TRACKING_URI, else ./mlruns. An
 * unsupported scheme is a usage error naming where the URI came from. */
const char *track_resolve_uri(const char *opt_uri);

/* Fill hooks so that train_run logs to uri (kind none: hooks stay empty). One run a process. */
void track_hooks(train_hooks_t *hooks, const char *uri, const char *experiment,
                 log_model_t log_model);

/* The checkpoint attribute that keeps the run id. */
#define TRACK_RUN_ID_ATTR "mlflow_run_id"

#endif
