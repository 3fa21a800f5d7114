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

/* ---- typed helpers ----------------------------------------------------------------------- */

static int attr_write(hid_t loc, const char *name, hid_t type, hid_t space, const void *buf)
{
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    int rc = H5Awrite(a, type, buf) < 0 ? -1 : 0;
    H5Aclose(a);
    return rc;
}

int ck_attr_str(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = attr_write(loc, name, t, s, &value);
    H5Sclose(s);
    H5Tclose(t);
    return rc;
}

int ck_attr_i64(hid_t loc, const char *name, int64_t v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = attr_write(loc, name, H5T_NATIVE_INT64, s, &v);
    H5Sclose(s);
    return rc;
}

int ck_attr_f64(hid_t loc, const char *name, double v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = attr_write(loc, name, H5T_NATIVE_DOUBLE, s, &v);
    H5Sclose(s);
    return rc;
}

int ck_attr_i64v(hid_t loc, const char *name, const int64_t *v, int n)
{
    hsize_t d = (hsize_t)n;
    hid_t s = H5Screate_simple(1, &d, NULL);
    int rc = attr_write(loc, name, H5T_NATIVE_INT64, s, v);
    H5Sclose(s);
    return rc;
}

int ck_get_str(hid_t loc, const char *name, char *buf, size_t n)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a);
    int rc = -1;
    if (H5Tget_class(ft) == H5T_STRING) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_cset(mt, H5Tget_cset(ft));      /* HDF5 does not convert between csets */
        if (H5Tis_variable_str(ft) > 0) {
            char *s = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(buf, n, "%s", s);
                H5free_memory(s);
                rc = 0;
            }
        } else {
            size_t sz = H5Tget_size(ft);
            char *s = xcalloc(sz + 1, 1);
            H5Tset_size(mt, sz + 1);
            if (H5Aread(a, mt, s) >= 0) {
                snprintf(buf, n, "%s", s);
                rc = 0;
            }
            free(s);
        }
        H5Tclose(mt);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

static int get_num(hid_t loc, const char *name, hid_t mt, void *v)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
    H5T_class_t c = H5Tget_class(ft);
    int rc = -1;
    if ((c == H5T_INTEGER || c == H5T_FLOAT) && H5Sget_simple_extent_npoints(sp) == 1)
        rc = H5Aread(a, mt, v) < 0 ? -1 : 0;
    H5Sclose(sp);
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

int ck_get_i64(hid_t loc, const char *name, int64_t *v) { return get_num(loc, name, H5T_NATIVE_INT64, v); }
int ck_get_f64(hid_t loc, const char *name, double *v) { return get_num(loc, name, H5T_NATIVE_DOUBLE, v); }

static int write_ds(hid_t loc, const char *name, hid_t ft, hid_t mt, const void *v, int64_t d0,
                    int64_t d1)
{
    hsize_t d[2] = {(hsize_t)d0, (hsize_t)d1};
    hid_t s = H5Screate_simple(d1 ? 2 : 1, d, NULL);
    hid_t ds = H5Dcreate2(loc, name, ft, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = -1;
    if (ds >= 0) {
        rc = (d0 == 0 || H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) ? 0 : -1;
        H5Dclose(ds);
    }
    H5Sclose(s);
    return rc;
}

int ck_write_f32(hid_t loc, const char *name, const float *v, int64_t d0, int64_t d1)
{
    return write_ds(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, v, d0, d1);
}
int ck_write_f64(hid_t loc, const char *name, const double *v, int64_t n)
{
    return write_ds(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, n, 0);
}
int ck_write_i64(hid_t loc, const char *name, const int64_t *v, int64_t n)
{
    return write_ds(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, v, n, 0);
}
int ck_write_u64(hid_t loc, const char *name, const uint64_t *v, int64_t n)
{
    return write_ds(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, v, n, 0);
}

int ck_shape(hid_t loc, const char *name, int64_t *d0, int64_t *d1)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t s = H5Dget_space(ds);
    hsize_t d[2] = {0, 0};
    int rank = H5Sget_simple_extent_ndims(s);
    if (rank >= 1 && rank <= 2) H5Sget_simple_extent_dims(s, d, NULL);
    H5Sclose(s);
    H5Dclose(ds);
    *d0 = (int64_t)d[0];
    *d1 = (int64_t)d[1];
    return rank >= 1 && rank <= 2 ? rank : -1;
}

static int read_ds(hid_t loc, const char *name, hid_t mt, void *v, int64_t d0, int64_t d1)
{
    int64_t a, b;
    int rank = ck_shape(loc, name, &a, &b);
    if (rank != (d1 ? 2 : 1) || a != d0 || b != d1) return -1;
    if (d0 == 0) return 0;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    int rc = H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0 ? -1 : 0;
    H5Dclose(ds);
    return rc;
}

int ck_read_f32(hid_t loc, const char *name, float *v, int64_t d0, int64_t d1)
{
    return read_ds(loc, name, H5T_NATIVE_FLOAT, v, d0, d1);
}

int64_t ck_len(hid_t loc, const char *name)
{
    int64_t a, b;
    return ck_shape(loc, name, &a, &b) == 1 ? a : -1;
}

int ck_read_f64(hid_t loc, const char *name, double *v, int64_t n)
{
    return read_ds(loc, name, H5T_NATIVE_DOUBLE, v, n, 0);
}
int ck_read_i64(hid_t loc, const char *name, int64_t *v, int64_t n)
{
    return read_ds(loc, name, H5T_NATIVE_INT64, v, n, 0);
}
int ck_read_u64(hid_t loc, const char *name, uint64_t *v, int64_t n)
{
    return read_ds(loc, name, H5T_NATIVE_UINT64, v, n, 0);
}

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
    bad |= ck_attr_str(f, "format", CHECKPOINT_FORMAT);
    bad |= ck_attr_i64(f, "format_version", CHECKPOINT_FORMAT_VERSION);
    bad |= ck_attr_i64v(f, "dims", m->dims, m->ndims);
    bad |= ck_attr_str(f, "activation", act_name(m->act));
    bad |= ck_attr_str(f, "latent_activation", act_name(m->latent_act));
    bad |= ck_attr_f64(f, "l1_alpha", info->l1_alpha);
    bad |= ck_attr_str(f, "precision", info->precision);
    bad |= ck_attr_i64(f, "seed", info->seed);
    bad |= ck_attr_i64(f, "epoch", info->epoch);
    bad |= ck_attr_i64(f, "global_step", info->global_step);
    bad |= ck_attr_f64(f, "val_loss", info->val_loss);
    bad |= ck_attr_str(f, "created_by", created_by);
    bad |= ck_attr_str(f, "created_at", created_at);
    hid_t g = H5Gcreate2(f, "state_dict", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= g < 0;
    for (int k = 0; g >= 0 && k < m->nlayers; k++) {
        char name[64];
        int64_t O = model_layer_out(m, k), I = model_layer_in(m, k);
        model_param_name(m, k, 0, name, sizeof name);
        bad |= ck_write_f32(g, name, m->params + model_weight_offset(m, k), O, I);
        model_param_name(m, k, 1, name, sizeof name);
        bad |= ck_write_f32(g, name, m->params + model_bias_offset(m, k), O, 0);
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
    if (ck_get_str(f, "format", fmt, sizeof fmt) < 0 || strcmp(fmt, CHECKPOINT_FORMAT) != 0) {
        snprintf(err, errlen, "%s: not an aekit checkpoint (format attribute is not '%s'); "
                 "make one with ae-init or ae-train", path, CHECKPOINT_FORMAT);
        goto fail;
    }
    if (ck_get_i64(f, "format_version", &ver) < 0 || ver < 1) {
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
    if (ck_get_str(f, "activation", info->act, sizeof info->act) < 0 ||
        ck_get_str(f, "latent_activation", info->latent_act, sizeof info->latent_act) < 0) {
        snprintf(err, errlen, "%s: checkpoint attribute 'activation' or 'latent_activation' is "
                 "missing", path);
        goto fail;
    }
    if (ck_get_i64(f, "epoch", &info->epoch) < 0) info->epoch = -1;
    if (ck_get_i64(f, "global_step", &info->global_step) < 0) info->global_step = 0;
    if (ck_get_f64(f, "val_loss", &info->val_loss) < 0) info->val_loss = NAN;
    if (ck_get_f64(f, "l1_alpha", &info->l1_alpha) < 0) info->l1_alpha = 0;
    if (ck_get_i64(f, "seed", &info->seed) < 0) info->seed = 0;
    if (ck_get_str(f, "precision", info->precision, sizeof info->precision) < 0)
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
            if (ck_read_f32(g, name, dst, O, bias ? 0 : I) < 0) {
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
