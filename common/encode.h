/* encode.h: what ae-encode and ae-recon-error share: the encoded-output file (OUT.h5) written
 * in batches, adding reconstruction errors to an existing one, and the summaries printed for
 * reconstruction errors (percentiles, worst documents, per-topic means).
 *
 * The forward pass itself is the model's (model.h); this module only moves its results to
 * files and text. Layout of an ae-encode output (format "aekit-encoding", version 1):
 *   /latent_representations  float32 [R, L]    one latent code per dataset row, in row order
 *   /sample_id               uint32  [R]       the dataset's document ids (row numbers if none)
 *   /targets                 vlen int32 [R]    copied from the dataset                (optional)
 *   /target_names            strings [T]       copied from the dataset                (optional)
 *   /reconstruction_errors   float32 [R]       per-row MSE over the d0 features       (optional)
 *   root attributes: format, format_version, created_by, created_at, toolkit_version,
 *     dataset, checkpoint (paths), num_samples, latent_dim, dims, activation,
 *     latent_activation, epoch, global_step, val_loss (of the checkpoint)
 * An ae-recon-error output made from scratch (format "aekit-recon-errors", version 1) holds
 * /reconstruction_errors and /sample_id with the same root attributes except latent ones.
 *
 * Dimension legend: R rows (documents), L latent size, T topics, n rows in a batch.
 */
#ifndef AEKIT_ENCODE_H
#define AEKIT_ENCODE_H

#include <stdint.h>
#include <stdio.h>

#include "backend.h"
#include "dataset.h"

#define ENCODE_FORMAT "aekit-encoding"
#define ENCODE_FORMAT_VERSION 1
#define RECON_FORMAT "aekit-recon-errors"
#define RECON_FORMAT_VERSION 1

/* What the output files record about their inputs. */
typedef struct {
    const char *dataset_path, *checkpoint_path;
    int n_dims;
    const int64_t *dims;               /* [n_dims]: d0 .. dL */
    const char *activation, *latent_activation;
    int64_t epoch, global_step;
    double val_loss;
} encode_meta_t;

/* ---- The two tools. Both die() with "prog: what: why" on any failure. */
typedef struct {
    const char *dataset_path, *checkpoint_path, *out_path;
    int64_t batch;                     /* rows per forward pass */
    device_kind_t device;
    int with_errors, tsv, quiet;
} encode_opts_t;
/* ae-encode: writes OUT.h5 (or TSV on stdout) and prints the latent statistics. */
void encode_run(const encode_opts_t *o);

typedef struct {
    const char *dataset_path, *checkpoint_path, *out_path;   /* out_path NULL: no file */
    int64_t batch, top;
    device_kind_t device;
    int by_topic, quiet;
} recon_opts_t;
/* ae-recon-error: prints the summary, the top worst rows, optionally per-topic means. */
void recon_run(const recon_opts_t *o);

/* ---- ae-encode output, written batch by batch under a temporary name. */
typedef struct encode_writer encode_writer_t;
encode_writer_t *encw_create(const char *path, dataset_t *ds, int64_t latent, int with_errors,
                             const encode_meta_t *meta, char *err, size_t errlen);
/* Rows [r0, r0+n): z [n, L], errs [n] (NULL unless with_errors), sample ids [n]. Targets of
 * those rows are copied from the dataset here. */
int encw_write_batch(encode_writer_t *w, int64_t r0, int64_t n, const float *z,
                     const float *errs, const uint32_t *sid, char *err, size_t errlen);
/* Closes the file and renames it into place (every row must have been written). */
int encw_finish(encode_writer_t *w, char *err, size_t errlen);
void encw_abort(encode_writer_t *w);

/* ---- ae-recon-error -o OUT.h5. */
typedef enum { RECON_OUT_NEW, RECON_OUT_ADD } recon_out_mode_t;
/* Decide how OUT.h5 will be written before any work is done: RECON_OUT_NEW when it does not
 * exist or is an earlier ae-recon-error output (replaced), RECON_OUT_ADD when it is an
 * ae-encode output of the same dataset (same row count and sample ids). Otherwise -1 with the
 * reason in err, e.g. "out.h5: has 10 rows, data.h5 has 12: not an encoding of this dataset". */
int recon_out_check(const char *path, dataset_t *ds, recon_out_mode_t *mode, char *err,
                    size_t errlen);
/* Write errs [R] (and sample ids) as decided by recon_out_check; atomic in both modes. */
int recon_out_write(const char *path, recon_out_mode_t mode, dataset_t *ds, const float *errs,
                    const encode_meta_t *meta, char *err, size_t errlen);

/* ---- Summaries of per-row errors (count, mean, std, quantiles: vec_stats in stats.h). */
/* Indices of the k largest values (NaN counts as largest; ties by lower index), worst first.
 * Returns how many were stored in idx [min(k, n)]. */
int64_t top_k_indices(const float *v, int64_t n, int64_t k, int64_t *idx);
/* The worst k documents: rank, sample id, error, topic names; tab-separated with a header. */
int recon_print_top(FILE *f, dataset_t *ds, const float *errs, int64_t k, char *err,
                    size_t errlen);
/* Mean error and document count per topic, sorted by mean error (highest first, then name);
 * documents without topics are counted on a last line. */
int recon_print_by_topic(FILE *f, dataset_t *ds, const float *errs, char *err, size_t errlen);

#endif
