/* mlflow.h: experiment tracking to MLflow, with one API and two stores.
 *
 *   file store  a directory path or file: URI. The MLflow file-store layout is written directly:
 *               ROOT/<experiment_id>/meta.yaml, ROOT/<experiment_id>/<run_id>/{meta.yaml,
 *               metrics/<key> ("<timestamp_ms> <value> <step>" lines), params/<key>,
 *               tags/<key>, artifacts/}. YAML keys sorted, as MLflow's own dumper writes them.
 *   REST        http:// or https:// tracking server, through libcurl: experiments/get-by-name,
 *               experiments/create, runs/create, runs/get, runs/log-batch (at most 1000
 *               metrics, 100 params, 100 tags per call), runs/update; artifacts through the
 *               server's mlflow-artifacts proxy. Basic auth from MLFLOW_TRACKING_USERNAME and
 *               MLFLOW_TRACKING_PASSWORD, bearer from MLFLOW_TRACKING_TOKEN,
 *               MLFLOW_TRACKING_INSECURE_TLS=true skips certificate checks.
 *
 * Everything is logged by a background thread, so a slow or dead tracking server never stops
 * the caller: failures are retried with backoff (429, 5xx, transport errors), one warning is
 * printed the first time, and mlflow_close says what could not be logged. Timestamps are taken
 * when the caller logs, not when the value is sent.
 */
#ifndef AEKIT_MLFLOW_H
#define AEKIT_MLFLOW_H

#include <stddef.h>
#include <stdint.h>

typedef enum { MLFLOW_NONE, MLFLOW_FILE, MLFLOW_REST } mlflow_kind_t;

/* MLflow's run statuses; the values are the integers of the file store's meta.yaml. */
typedef enum {
    MLFLOW_RUNNING = 1, MLFLOW_SCHEDULED = 2, MLFLOW_FINISHED = 3, MLFLOW_FAILED = 4,
    MLFLOW_KILLED = 5
} mlflow_status_t;

/* What --mlflow-uri accepts, for usage messages. */
extern const char mlflow_uri_accepted[];

/* Classify a tracking URI: MLFLOW_NONE for "none", MLFLOW_FILE for a path or file: URI,
 * MLFLOW_REST for http(s)://; -1 for anything else. */
int mlflow_uri_kind(const char *uri);

const char *mlflow_status_name(mlflow_status_t s);

typedef struct mlflow mlflow_t;

/* Start (or, with resume_run_id, continue) a run in experiment `experiment` (created when
 * missing) named run_name. Waits for the first attempt to create the run, at most one request
 * timeout and at most 10 s; if the store cannot be reached the run is created in the
 * background later.
 * Returns NULL (after a warning) only when the URI cannot be used at all (for example a file
 * store that cannot be created); returns NULL silently for "none". */
mlflow_t *mlflow_open(const char *uri, const char *experiment, const char *run_name,
                      const char *resume_run_id);

/* The run id, or NULL while the run has not been created yet. */
const char *mlflow_run_id(mlflow_t *m);
/* The tracking URI as given, for messages. */
const char *mlflow_uri(mlflow_t *m);

/* Queue values to log; these never block on the store. */
void mlflow_log_param(mlflow_t *m, const char *key, const char *value);
void mlflow_set_tag(mlflow_t *m, const char *key, const char *value);
void mlflow_log_metric(mlflow_t *m, const char *key, double value, int64_t step);
/* Upload local_path as <artifact_dir>/<basename> (artifact_dir NULL or "" = the root). The file
 * is read when it is sent, so log files that no longer change. */
void mlflow_log_artifact(mlflow_t *m, const char *local_path, const char *artifact_dir);

/* Set the final status, wait until everything is sent or timeout_s seconds have passed
 * (AEKIT_MLFLOW_FLUSH_TIMEOUT overrides when timeout_s < 0; default 30), stop the thread and
 * free m. Prints one line naming what could not be logged, if anything. Returns the number of
 * values (metrics, params, tags, artifacts, status) that were not logged. */
long mlflow_close(mlflow_t *m, mlflow_status_t status, double timeout_s);

/* Format a double as Python's repr does closely enough to read back bit-exactly (shortest
 * %.Ng that round-trips; nan, inf, -inf). buf needs 32 bytes. */
void mlflow_format_double(char *buf, size_t n, double v);

#endif
