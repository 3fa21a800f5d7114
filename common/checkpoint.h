/* checkpoint.h: writing and reading the pieces of a .ckpt file (man/man5/aekit-checkpoint.5).
 * checkpoint_load (model.h) is all an inference tool needs; ae-init and ae-train write with
 * checkpoint_create + their groups + checkpoint_commit, so the file appears atomically.
 *
 * Layout: root attributes format, format_version, dims, activation, latent_activation,
 * l1_alpha, precision, seed, epoch, global_step, val_loss, created_by, created_at;
 * /state_dict/<key> float32 tensors; /optimizer and /trainer written by ae-train (train.c). */
#ifndef AEKIT_CHECKPOINT_H
#define AEKIT_CHECKPOINT_H

#include "model.h"

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Create path's temporary file with the root attributes and /state_dict of m (host params).
 * Returns the open file (>= 0) and *tmp (free it after commit/abort), or -1 with err set. */
hid_t checkpoint_create(const char *path, const model_t *m, const checkpoint_info_t *info,
                        char **tmp, char *err, size_t errlen);
/* Close the file and rename it into place. Returns 0, or -1 with err set (tmp removed). */
int checkpoint_commit(hid_t file, char *tmp, const char *path, char *err, size_t errlen);
/* Close and remove the temporary file after a failed write. */
void checkpoint_abort(hid_t file, char *tmp);

/* Open a checkpoint for reading after checking its format and version; fills info. Returns the
 * file, or -1 with err set (hint included). */
hid_t checkpoint_open(const char *path, checkpoint_info_t *info, char *err, size_t errlen);

/* Small typed helpers over HDF5 used by the checkpoint and metrics writers. All return 0 / -1. */
int ck_attr_str(hid_t loc, const char *name, const char *value);
int ck_attr_i64(hid_t loc, const char *name, int64_t v);
int ck_attr_f64(hid_t loc, const char *name, double v);
int ck_attr_i64v(hid_t loc, const char *name, const int64_t *v, int n);
int ck_get_str(hid_t loc, const char *name, char *buf, size_t n);
int ck_get_i64(hid_t loc, const char *name, int64_t *v);
int ck_get_f64(hid_t loc, const char *name, double *v);
/* 1-D or 2-D datasets (rank 1 when d1 == 0), written / read whole. Reading checks the shape. */
int ck_write_f32(hid_t loc, const char *name, const float *v, int64_t d0, int64_t d1);
int ck_write_f64(hid_t loc, const char *name, const double *v, int64_t n);
int ck_write_i64(hid_t loc, const char *name, const int64_t *v, int64_t n);
int ck_write_u64(hid_t loc, const char *name, const uint64_t *v, int64_t n);
int ck_read_f32(hid_t loc, const char *name, float *v, int64_t d0, int64_t d1);
/* Length of a 1-D dataset (-1 when missing), then read it. */
int64_t ck_len(hid_t loc, const char *name);
int ck_read_f64(hid_t loc, const char *name, double *v, int64_t n);
int ck_read_i64(hid_t loc, const char *name, int64_t *v, int64_t n);
int ck_read_u64(hid_t loc, const char *name, uint64_t *v, int64_t n);
/* Rank and shape of a dataset; -1 when missing. */
int ck_shape(hid_t loc, const char *name, int64_t *d0, int64_t *d1);

#endif
