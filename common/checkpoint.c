/* checkpoint.c: the .ckpt file (HDF5): root attributes, /state_dict in PyTorch's names and
 * layout, and typed helpers that train.c uses for /optimizer and /trainer.
 * See checkpoint.h and man/man5/aekit-checkpoint.5. */
#include "checkpoint.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- writing ----------------------------------------------------------------------------- */

hid_t checkpoint_create(const char *path, const model_t *m, const checkpoint_info_t *info,
                        char **tmp, char *err, size_t errlen)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char *t = atomic_tmp_name(path);
    tmpfile_register(t);
    hid_t f = H5Fcreate(t, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        snprintf(err, errlen, "%s: cannot create file", t);
        tmpfile_unregister(t);
        free(t);
        return -1;
    }
    char created_at[32], created_by[1024];
    iso8601_now(created_at, sizeof created_at);
    snprintf(created_by, sizeof created_by, "%s %s: %s", progname, AEKIT_VERSION, util_cmdline());
    int bad = 0;
    bad |= h5_attr_write_str(f, "format", CHECKPOINT_FORMAT);
    bad |= h5_attr_write_i64(f, "format_version", CHECKPOINT_FORMAT_VERSION);
    bad |= h5_attr_write_i64v(f, "dims", m->dims, m->ndims);
    bad |= h5_attr_write_str(f, "activation", act_name(m->act));
    bad |= h5_attr_write_str(f, "latent_activation", act_name(m->latent_act));
    bad |= h5_attr_write_f64(f, "l1_alpha", info->l1_alpha);
    bad |= h5_attr_write_str(f, "precision", info->precision);
    bad |= h5_attr_write_i64(f, "seed", info->seed);
    bad |= h5_attr_write_i64(f, "epoch", info->epoch);
    bad |= h5_attr_write_i64(f, "global_step", info->global_step);
    bad |= h5_attr_write_f64(f, "val_loss", info->val_loss);
    bad |= h5_attr_write_str(f, "created_by", created_by);
    bad |= h5_attr_write_str(f, "created_at", created_at);
    hid_t g = H5Gcreate2(f, "state_dict", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= g < 0;
    for (int k = 0; g >= 0 && k < m->nlayers; k++) {
        char name[64];
        int64_t O = model_layer_out(m, k), I = model_layer_in(m, k);
        model_param_name(m, k, 0, name, sizeof name);
        bad |= h5_write_f32(g, name, m->params + model_weight_offset(m, k), O, I);
        model_param_name(m, k, 1, name, sizeof name);
        bad |= h5_write_f32(g, name, m->params + model_bias_offset(m, k), O, 0);
    }
    if (g >= 0) H5Gclose(g);
    if (bad) {
        snprintf(err, errlen, "%s: write failed (disk full?)", t);
        checkpoint_abort(f, t);
        return -1;
    }
    *tmp = t;
    return f;
}

int checkpoint_commit(hid_t file, char *tmp, const char *path, char *err, size_t errlen)
{
    if (H5Fclose(file) < 0) {
        snprintf(err, errlen, "%s: write failed (disk full?)", tmp);
        unlink(tmp);
        tmpfile_unregister(tmp);
        return -1;
    }
    if (atomic_commit(tmp, path) < 0) {
        snprintf(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
        unlink(tmp);
        tmpfile_unregister(tmp);
        return -1;
    }
    return 0;
}

void checkpoint_abort(hid_t file, char *tmp)
{
    if (file >= 0) H5Fclose(file);
    unlink(tmp);
    tmpfile_unregister(tmp);
    free(tmp);
}

/* ---- reading ----------------------------------------------------------------------------- */

hid_t checkpoint_open(const char *path, checkpoint_info_t *info, char *err, size_t errlen)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    memset(info, 0, sizeof *info);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, errlen, "%s: not an HDF5 file (aekit checkpoints are made by ae-init and "
                 "ae-train)", path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        snprintf(err, errlen, "%s: cannot open HDF5 file", path);
        return -1;
    }
    char fmt[64];
    int64_t ver = 0;
    if (h5_attr_read_str(f, "format", fmt, sizeof fmt) < 0 || strcmp(fmt, CHECKPOINT_FORMAT) != 0) {
        snprintf(err, errlen, "%s: not an aekit checkpoint (format attribute is not '%s'); "
                 "make one with ae-init or ae-train", path, CHECKPOINT_FORMAT);
        goto fail;
    }
    if (h5_attr_read_i64(f, "format_version", &ver) < 0 || ver < 1) {
        snprintf(err, errlen, "%s: checkpoint has no valid format_version; the file is damaged",
                 path);
        goto fail;
    }
    if (ver > CHECKPOINT_FORMAT_VERSION) {
        snprintf(err, errlen, "%s: checkpoint format version %lld is newer than this aekit "
                 "supports (%d); upgrade aekit", path, (long long)ver, CHECKPOINT_FORMAT_VERSION);
        goto fail;
    }
    info->format_version = (int)ver;
    /* dims: an int64 array attribute */
    {
        hid_t a = H5Aexists(f, "dims") > 0 ? H5Aopen(f, "dims", H5P_DEFAULT) : -1;
        int ok = 0;
        if (a >= 0) {
            hid_t s = H5Aget_space(a);
            hssize_t n = H5Sget_simple_extent_npoints(s);
            int64_t d[MODEL_MAX_DIMS];
            if (n >= 2 && n <= MODEL_MAX_DIMS && H5Aread(a, H5T_NATIVE_INT64, d) >= 0) {
                size_t used = 0;
                for (hssize_t i = 0; i < n; i++)
                    used += snprintf(info->dims + used, sizeof info->dims - used, "%s%lld",
                                     i ? "," : "", (long long)d[i]);
                ok = 1;
            }
            H5Sclose(s);
            H5Aclose(a);
        }
        if (!ok) {
            snprintf(err, errlen, "%s: checkpoint attribute 'dims' is missing or invalid", path);
            goto fail;
        }
    }
    if (h5_attr_read_str(f, "activation", info->act, sizeof info->act) < 0 ||
        h5_attr_read_str(f, "latent_activation", info->latent_act, sizeof info->latent_act) < 0) {
        snprintf(err, errlen, "%s: checkpoint attribute 'activation' or 'latent_activation' is "
                 "missing", path);
        goto fail;
    }
    if (h5_attr_read_i64(f, "epoch", &info->epoch) < 0) info->epoch = -1;
    if (h5_attr_read_i64(f, "global_step", &info->global_step) < 0) info->global_step = 0;
    if (h5_attr_read_f64(f, "val_loss", &info->val_loss) < 0) info->val_loss = NAN;
    if (h5_attr_read_f64(f, "l1_alpha", &info->l1_alpha) < 0) info->l1_alpha = 0;
    if (h5_attr_read_i64(f, "seed", &info->seed) < 0) info->seed = 0;
    if (h5_attr_read_str(f, "precision", info->precision, sizeof info->precision) < 0)
        snprintf(info->precision, sizeof info->precision, "32-true");
    return f;
fail:
    H5Fclose(f);
    return -1;
}

int checkpoint_load(const char *path, model_t *m, checkpoint_info_t *info, char *err, size_t errlen)
{
    checkpoint_info_t local;
    if (!info) info = &local;
    memset(m, 0, sizeof *m);
    hid_t f = checkpoint_open(path, info, err, errlen);
    if (f < 0) return -1;
    long d[MODEL_MAX_DIMS];
    int64_t dims[MODEL_MAX_DIMS];
    int nd = parse_int_list(info->dims, d, MODEL_MAX_DIMS);
    act_t act, lat;
    if (act_parse(info->act, 0, &act) < 0 || act_parse(info->latent_act, 1, &lat) < 0) {
        snprintf(err, errlen, "%s: unknown activation '%s' / latent activation '%s'", path,
                 info->act, info->latent_act);
        goto fail;
    }
    for (int i = 0; i < nd; i++) dims[i] = d[i];
    if (nd < 2 || model_init(m, dims, nd, act, lat, err, errlen) < 0) {
        snprintf(err, errlen, "%s: checkpoint attribute 'dims' (%s) is invalid", path, info->dims);
        goto fail;
    }
    hid_t g = H5Lexists(f, "state_dict", H5P_DEFAULT) > 0 ? H5Gopen2(f, "state_dict", H5P_DEFAULT)
                                                          : -1;
    if (g < 0) {
        snprintf(err, errlen, "%s: checkpoint has no /state_dict group", path);
        goto fail;
    }
    for (int k = 0; k < m->nlayers; k++) {
        for (int bias = 0; bias < 2; bias++) {
            char name[64];
            int64_t O = model_layer_out(m, k), I = model_layer_in(m, k);
            model_param_name(m, k, bias, name, sizeof name);
            float *dst = m->params + (bias ? model_bias_offset(m, k) : model_weight_offset(m, k));
            if (h5_read_f32(g, name, dst, O, bias ? 0 : I) < 0) {
                if (bias)
                    snprintf(err, errlen, "%s: state_dict/%s is missing or not float [%lld] "
                             "(dims %s)", path, name, (long long)O, info->dims);
                else
                    snprintf(err, errlen, "%s: state_dict/%s is missing or not float [%lld,%lld] "
                             "(dims %s)", path, name, (long long)O, (long long)I, info->dims);
                H5Gclose(g);
                goto fail;
            }
        }
    }
    H5Gclose(g);
    H5Fclose(f);
    return 0;
fail:
    model_free(m);
    H5Fclose(f);
    return -1;
}
