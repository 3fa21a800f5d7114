/* checkpoint.h: writing and reading the pieces of a .ckpt file (man/man5/aekit-checkpoint.5).
 * checkpoint_load (model.h) is all an inference tool needs; ae-init and ae-train write with
 * checkpoint_create + their groups + checkpoint_commit, so the file appears atomically.
 *
 * Layout: root attributes format, format_version, dims, activation, latent_activation,
 * l1_alpha, precision, seed, epoch, global_step, val_loss, created_by, created_at;
 * /state_dict/<key> float32 tensors; /optimizer and /trainer written by ae-train (train.c). */
#ifndef AEKIT_CHECKPOINT_H
#define AEKIT_CHECKPOINT_H

#include "h5util.h"
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

#endif
