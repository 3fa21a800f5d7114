/* encode.c: the encoded-output file of ae-encode, reconstruction errors added to it or written
 * alone by ae-recon-error, and the error summaries (worst documents, per-topic means).
 * See encode.h for the file layout. Every file is written under a temporary name and renamed
 * into place, so a failed run never leaves a half-written OUT.h5.
 */
#include "encode.h"
#include "model.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROW_CHUNK 4096                 /* rows per chunk of the 1-D outputs */
#define BLOCK_ROWS 65536               /* rows read at once when scanning targets/sample ids */

struct encode_writer {
    char *path, *tmp;
    dataset_t *ds;
    hid_t file, d_latent, d_sid, d_targets, d_errors;
    int64_t rows, latent, written;
    /* targets of one batch */
    int64_t *tptr;                     /* [n+1] */
    int32_t *tidx;                     /* [tcap] */
    int64_t tcap, tptr_cap;
    hvl_t *vl;                         /* [n] */
};

/* ---- small HDF5 helpers */

static hid_t create_rows_dataset(hid_t loc, const char *name, hid_t ftype, int64_t rows,
                                 int64_t cols)
{
    int rank = cols > 0 ? 2 : 1;
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    hsize_t maxd[2] = {H5S_UNLIMITED, (hsize_t)cols};
    hsize_t chunk[2] = {ROW_CHUNK, (hsize_t)(cols > 0 ? cols : 1)};
    if (cols > 0) {
        int64_t r = (1 << 20) / (cols * 4);          /* about 1 MiB a chunk */
        chunk[0] = r < 1 ? 1 : r > ROW_CHUNK ? ROW_CHUNK : (hsize_t)r;
    }
    hid_t sp = H5Screate_simple(rank, dims, maxd);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, rank, chunk);
    hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    H5Pclose(pl);
    H5Sclose(sp);
    return d;
}

/* Write n rows starting at r0 of a [rows] or [rows, cols] dataset from buf. */
static int write_rows(hid_t d, hid_t mtype, int64_t r0, int64_t n, int64_t cols, const void *buf)
{
    if (n == 0) return 0;
    int rank = cols > 0 ? 2 : 1;
    hsize_t start[2] = {(hsize_t)r0, 0}, count[2] = {(hsize_t)n, (hsize_t)cols};
    hid_t fs = H5Dget_space(d);
    hid_t ms = H5Screate_simple(rank, count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    herr_t rc = H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    return rc < 0 ? -1 : 0;
}

static int read_rows(hid_t d, hid_t mtype, int64_t r0, int64_t n, void *buf)
{
    if (n == 0) return 0;
    hsize_t start = (hsize_t)r0, count = (hsize_t)n;
    hid_t fs = H5Dget_space(d);
    hid_t ms = H5Screate_simple(1, &count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
    herr_t rc = H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    return rc < 0 ? -1 : 0;
}

/* Number of rows (first dimension) of a dataset, -1 if it cannot be read. */
static int64_t dataset_rows(hid_t d)
{
    hid_t sp = H5Dget_space(d);
    if (sp < 0) return -1;
    hsize_t dims[2] = {0, 0};
    int rank = H5Sget_simple_extent_ndims(sp);
    if (rank >= 1 && rank <= 2) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    return rank >= 1 && rank <= 2 ? (int64_t)dims[0] : -1;
}

static int write_target_names(hid_t file, dataset_t *ds)
{
    size_t maxlen = 1;
    for (int64_t i = 0; i < ds->num_targets; i++) {
        size_t l = strlen(ds->target_names[i]);
        if (l > maxlen) maxlen = l;
    }
    char *buf = xcalloc((size_t)(ds->num_targets ? ds->num_targets : 1), maxlen);
    for (int64_t i = 0; i < ds->num_targets; i++)
        memcpy(buf + i * maxlen, ds->target_names[i], strlen(ds->target_names[i]));
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, maxlen);
    H5Tset_strpad(st, H5T_STR_NULLPAD);
    hsize_t n = (hsize_t)ds->num_targets;
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(file, "target_names", st, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 || H5Dwrite(d, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(st);
    free(buf);
    return rc;
}

/* Root attributes shared by both output kinds. */
static int write_meta(hid_t loc, const char *format, int version, dataset_t *ds,
                      const encode_meta_t *m)
{
    int rc = 0;
    rc |= h5_stamp(loc, format, version);
    rc |= h5_attr_write_str(loc, "toolkit_version", AEKIT_VERSION);
    rc |= h5_attr_write_str(loc, "dataset", m->dataset_path);
    rc |= h5_attr_write_str(loc, "checkpoint", m->checkpoint_path);
    rc |= h5_attr_write_i64(loc, "num_samples", ds->rows);
    rc |= h5_attr_write_i64v(loc, "dims", m->dims, m->n_dims);
    rc |= h5_attr_write_str(loc, "activation", m->activation);
    rc |= h5_attr_write_str(loc, "latent_activation", m->latent_activation);
    rc |= h5_attr_write_i64(loc, "epoch", m->epoch);
    rc |= h5_attr_write_i64(loc, "global_step", m->global_step);
    rc |= h5_attr_write_f64(loc, "val_loss", m->val_loss);
    return rc ? -1 : 0;
}

/* Attributes on /reconstruction_errors itself: which checkpoint made them, and how. */
static int write_error_attrs(hid_t d, const encode_meta_t *m)
{
    int rc = 0;
    rc |= h5_attr_write_str(d, "checkpoint", m->checkpoint_path);
    rc |= h5_attr_write_str(d, "definition",
                            "mean over the d0 features of (reconstruction - input)^2, "
                            "input rows L2-normalised");
    rc |= h5_attr_write_i64(d, "num_features", m->dims[0]);
    return rc ? -1 : 0;
}

/* ---- ae-encode output */

encode_writer_t *encw_create(const char *path, dataset_t *ds, int64_t latent, int with_errors,
                             const encode_meta_t *meta, char *err, size_t errlen)
{
    encode_writer_t *w = xcalloc(1, sizeof *w);
    w->path = xstrdup(path);
    w->tmp = atomic_tmp_name(path);
    w->ds = ds;
    w->rows = ds->rows;
    w->latent = latent;
    w->d_latent = w->d_sid = w->d_targets = w->d_errors = -1;
    tmpfile_register(w->tmp);
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno ? errno : EIO));
        goto fail;
    }
    w->d_latent = create_rows_dataset(w->file, "latent_representations", H5T_IEEE_F32LE,
                                      w->rows, latent);
    w->d_sid = create_rows_dataset(w->file, "sample_id", H5T_STD_U32LE, w->rows, 0);
    if (with_errors)
        w->d_errors = create_rows_dataset(w->file, "reconstruction_errors", H5T_IEEE_F32LE,
                                          w->rows, 0);
    if (w->d_latent < 0 || w->d_sid < 0 || (with_errors && w->d_errors < 0))
        goto write_fail;
    if (ds->has_targets) {
        hid_t vt = H5Tvlen_create(H5T_STD_I32LE);
        w->d_targets = create_rows_dataset(w->file, "targets", vt, w->rows, 0);
        H5Tclose(vt);
        if (w->d_targets < 0 || write_target_names(w->file, ds) < 0) goto write_fail;
    }
    if (write_meta(w->file, ENCODE_FORMAT, ENCODE_FORMAT_VERSION, ds, meta) < 0 ||
        h5_attr_write_i64(w->file, "latent_dim", latent) < 0)
        goto write_fail;
    if (with_errors && write_error_attrs(w->d_errors, meta) < 0) goto write_fail;
    return w;
write_fail:
    snprintf(err, errlen, "%s: cannot write HDF5 output", path);
fail:
    encw_abort(w);
    return NULL;
}

int encw_write_batch(encode_writer_t *w, int64_t r0, int64_t n, const float *z,
                     const float *errs, const uint32_t *sid, char *err, size_t errlen)
{
    if (write_rows(w->d_latent, H5T_NATIVE_FLOAT, r0, n, w->latent, z) < 0 ||
        write_rows(w->d_sid, H5T_NATIVE_UINT32, r0, n, 0, sid) < 0 ||
        (w->d_errors >= 0 && write_rows(w->d_errors, H5T_NATIVE_FLOAT, r0, n, 0, errs) < 0))
        goto write_fail;
    if (w->d_targets >= 0 && n > 0) {
        if (n + 1 > w->tptr_cap) {
            w->tptr_cap = n + 1;
            w->tptr = xrealloc(w->tptr, (size_t)w->tptr_cap * sizeof *w->tptr);
            w->vl = xrealloc(w->vl, (size_t)w->tptr_cap * sizeof *w->vl);
        }
        if (dataset_read_targets(w->ds, r0, r0 + n, w->tptr, &w->tidx, &w->tcap) < 0) {
            snprintf(err, errlen, "%s: cannot read targets of rows %lld..%lld", w->ds->path,
                     (long long)r0, (long long)(r0 + n - 1));
            return -1;
        }
        for (int64_t i = 0; i < n; i++) {
            w->vl[i].len = (size_t)(w->tptr[i + 1] - w->tptr[i]);
            w->vl[i].p = w->tidx + w->tptr[i];
        }
        hid_t mt = H5Tvlen_create(H5T_NATIVE_INT32);
        int rc = write_rows(w->d_targets, mt, r0, n, 0, w->vl);
        H5Tclose(mt);
        if (rc < 0) goto write_fail;
    }
    w->written += n;
    return 0;
write_fail:
    snprintf(err, errlen, "%s: cannot write rows %lld..%lld", w->path, (long long)r0,
             (long long)(r0 + n - 1));
    return -1;
}

static void encw_close(encode_writer_t *w)
{
    hid_t *ids[] = {&w->d_latent, &w->d_sid, &w->d_targets, &w->d_errors};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        if (*ids[i] >= 0) { H5Dclose(*ids[i]); *ids[i] = -1; }
}

static void encw_free(encode_writer_t *w)
{
    free(w->path);
    free(w->tmp);
    free(w->tptr);
    free(w->tidx);
    free(w->vl);
    free(w);
}

int encw_finish(encode_writer_t *w, char *err, size_t errlen)
{
    if (w->written != w->rows) {
        snprintf(err, errlen, "%s: %lld of %lld rows written", w->path, (long long)w->written,
                 (long long)w->rows);
        encw_abort(w);
        return -1;
    }
    encw_close(w);
    herr_t rc = H5Fclose(w->file);
    w->file = -1;
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot write HDF5 output", w->path);
        encw_abort(w);
        return -1;
    }
    if (atomic_commit(w->tmp, w->path) < 0) {
        snprintf(err, errlen, "%s: cannot rename into place: %s", w->path, strerror(errno));
        encw_abort(w);
        return -1;
    }
    encw_free(w);
    return 0;
}

void encw_abort(encode_writer_t *w)
{
    if (!w) return;
    encw_close(w);
    if (w->file >= 0) H5Fclose(w->file);
    unlink(w->tmp);
    tmpfile_unregister(w->tmp);
    encw_free(w);
}

/* ---- ae-recon-error -o */

/* Compare the sample ids of an output file with the dataset's, block by block. */
static int check_sample_ids(hid_t file, const char *path, dataset_t *ds, char *err,
                            size_t errlen)
{
    hid_t d = H5Dopen2(file, "sample_id", H5P_DEFAULT);
    if (d < 0) {
        snprintf(err, errlen, "%s: has no sample_id: not an encoding of %s", path, ds->path);
        return -1;
    }
    int rc = 0;
    if (dataset_rows(d) != ds->rows) {
        snprintf(err, errlen, "%s: sample_id has %lld rows, %s has %lld: not an encoding of "
                 "this dataset", path, (long long)dataset_rows(d), ds->path,
                 (long long)ds->rows);
        rc = -1;
    }
    uint32_t *a = xmalloc(BLOCK_ROWS * sizeof *a), *b = xmalloc(BLOCK_ROWS * sizeof *b);
    for (int64_t r0 = 0; rc == 0 && r0 < ds->rows; r0 += BLOCK_ROWS) {
        int64_t n = ds->rows - r0 < BLOCK_ROWS ? ds->rows - r0 : BLOCK_ROWS;
        if (read_rows(d, H5T_NATIVE_UINT32, r0, n, a) < 0 ||
            dataset_read_sample_ids(ds, r0, r0 + n, b) < 0) {
            snprintf(err, errlen, "%s: cannot read sample_id", path);
            rc = -1;
            break;
        }
        for (int64_t i = 0; i < n; i++)
            if (a[i] != b[i]) {
                snprintf(err, errlen, "%s: sample_id of row %lld is %lu, in %s it is %lu: not "
                         "an encoding of this dataset", path, (long long)(r0 + i),
                         (unsigned long)a[i], ds->path, (unsigned long)b[i]);
                rc = -1;
                break;
            }
    }
    free(a);
    free(b);
    H5Dclose(d);
    return rc;
}

int recon_out_check(const char *path, dataset_t *ds, recon_out_mode_t *mode, char *err,
                    size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) { *mode = RECON_OUT_NEW; return 0; }
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, errlen, "%s: exists and is not an HDF5 file; refusing to overwrite it",
                 path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        snprintf(err, errlen, "%s: cannot open HDF5 file", path);
        return -1;
    }
    char format[64] = "";
    int rc = 0;
    int64_t version = 0;
    if (h5_attr_read_str(f, "format", format, sizeof format) < 0) {
        snprintf(err, errlen, "%s: exists and is not an ae-encode output (no format "
                 "attribute); refusing to overwrite it", path);
        rc = -1;
    } else if (strcmp(format, RECON_FORMAT) == 0) {
        *mode = RECON_OUT_NEW;                       /* our own earlier output: replaced */
    } else if (strcmp(format, ENCODE_FORMAT) != 0) {
        snprintf(err, errlen, "%s: exists and is an %s file, not an ae-encode output; refusing "
                 "to overwrite it", path, format);
        rc = -1;
    } else if (h5_attr_read_i64(f, "format_version", &version) < 0 ||
               version != ENCODE_FORMAT_VERSION) {
        snprintf(err, errlen, "%s: %s format version %lld, this ae-recon-error writes "
                 "version %d; run ae-encode again", path, ENCODE_FORMAT, (long long)version,
                 ENCODE_FORMAT_VERSION);
        rc = -1;
    } else {
        hid_t d = H5Dopen2(f, "latent_representations", H5P_DEFAULT);
        int64_t rows = d >= 0 ? dataset_rows(d) : -1;
        if (d >= 0) H5Dclose(d);
        if (rows < 0) {
            snprintf(err, errlen, "%s: has no latent_representations", path);
            rc = -1;
        } else if (rows != ds->rows) {
            snprintf(err, errlen, "%s: has %lld rows, %s has %lld: not an encoding of this "
                     "dataset", path, (long long)rows, ds->path, (long long)ds->rows);
            rc = -1;
        } else {
            rc = check_sample_ids(f, path, ds, err, errlen);
            *mode = RECON_OUT_ADD;
        }
    }
    H5Fclose(f);
    return rc;
}

/* Copy a file byte for byte (the start of an atomic in-place update). */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY), out = -1, rc = -1;
    char *buf = xmalloc(1 << 20);
    if (in < 0) goto done;
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) goto done;
    for (;;) {
        ssize_t n = read(in, buf, 1 << 20);
        if (n < 0) goto done;
        if (n == 0) break;
        for (ssize_t o = 0; o < n;) {
            ssize_t m = write(out, buf + o, (size_t)(n - o));
            if (m < 0) goto done;
            o += m;
        }
    }
    rc = 0;
done:
    if (in >= 0) close(in);
    if (out >= 0 && close(out) != 0) rc = -1;
    free(buf);
    return rc;
}

int recon_out_write(const char *path, recon_out_mode_t mode, dataset_t *ds, const float *errs,
                    const encode_meta_t *meta, char *err, size_t errlen)
{
    char *tmp = atomic_tmp_name(path);
    hid_t f = -1, d = -1;
    int rc = -1;
    tmpfile_register(tmp);
    if (mode == RECON_OUT_ADD) {
        if (copy_file(path, tmp) < 0) {
            snprintf(err, errlen, "%s: cannot copy to %s: %s", path, tmp, strerror(errno));
            goto done;
        }
        f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
        if (f < 0) goto write_fail;
        if (H5Lexists(f, "reconstruction_errors", H5P_DEFAULT) > 0 &&
            H5Ldelete(f, "reconstruction_errors", H5P_DEFAULT) < 0)
            goto write_fail;
    } else {
        f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        if (f < 0) {
            snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno ? errno : EIO));
            goto done;
        }
        if (write_meta(f, RECON_FORMAT, RECON_FORMAT_VERSION, ds, meta) < 0) goto write_fail;
        hid_t s = create_rows_dataset(f, "sample_id", H5T_STD_U32LE, ds->rows, 0);
        if (s < 0) goto write_fail;
        uint32_t *sid = xmalloc(BLOCK_ROWS * sizeof *sid);
        int wrc = 0;
        for (int64_t r0 = 0; wrc == 0 && r0 < ds->rows; r0 += BLOCK_ROWS) {
            int64_t n = ds->rows - r0 < BLOCK_ROWS ? ds->rows - r0 : BLOCK_ROWS;
            wrc = dataset_read_sample_ids(ds, r0, r0 + n, sid) < 0 ||
                  write_rows(s, H5T_NATIVE_UINT32, r0, n, 0, sid) < 0 ? -1 : 0;
        }
        free(sid);
        H5Dclose(s);
        if (wrc < 0) goto write_fail;
    }
    d = create_rows_dataset(f, "reconstruction_errors", H5T_IEEE_F32LE, ds->rows, 0);
    if (d < 0 || write_rows(d, H5T_NATIVE_FLOAT, 0, ds->rows, 0, errs) < 0 ||
        write_error_attrs(d, meta) < 0)
        goto write_fail;
    H5Dclose(d);
    d = -1;
    herr_t crc = H5Fclose(f);
    f = -1;
    if (crc < 0) goto write_fail;
    if (atomic_commit(tmp, path) < 0) {
        snprintf(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
    goto done;
write_fail:
    snprintf(err, errlen, "%s: cannot write HDF5 output", path);
done:
    if (d >= 0) H5Dclose(d);
    if (f >= 0) H5Fclose(f);
    if (rc < 0) {
        unlink(tmp);
        tmpfile_unregister(tmp);
    }
    free(tmp);
    return rc;
}

/* ---- summaries */

/* worse(a, b): a ranks before b. NaN is the worst; ties go to the lower index. */
static int worse(const float *v, int64_t a, int64_t b)
{
    float x = v[a], y = v[b];
    int xn = isnan(x), yn = isnan(y);
    if (xn != yn) return xn;
    if (!xn && x != y) return x > y;
    return a < b;
}

static int cmp_worse(const void *pa, const void *pb, void *v)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return worse(v, a, b) ? -1 : worse(v, b, a) ? 1 : 0;
}

int64_t top_k_indices(const float *v, int64_t n, int64_t k, int64_t *idx)
{
    if (k > n) k = n;
    if (k <= 0) return 0;
    if (k > 64) {                      /* many: sort every index once */
        int64_t *all = xmalloc((size_t)n * sizeof *all);
        for (int64_t i = 0; i < n; i++) all[i] = i;
        qsort_r(all, (size_t)n, sizeof *all, cmp_worse, (void *)v);
        memcpy(idx, all, (size_t)k * sizeof *idx);
        free(all);
        return k;
    }
    /* few: keep the k worst seen so far, sorted worst first (insertion is O(k)) */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (m == k && !worse(v, i, idx[k - 1])) continue;
        int64_t j = m < k ? m++ : k - 1;
        while (j > 0 && worse(v, i, idx[j - 1])) { idx[j] = idx[j - 1]; j--; }
        idx[j] = i;
    }
    return m;
}

/* Comma-separated topic names of row r into buf. */
static int row_topics(dataset_t *ds, int64_t r, char *buf, size_t n)
{
    int64_t tptr[2];
    int32_t *tidx = NULL;
    int64_t tcap = 0;
    buf[0] = 0;
    if (!ds->has_targets) return 0;
    if (dataset_read_targets(ds, r, r + 1, tptr, &tidx, &tcap) < 0) { free(tidx); return -1; }
    size_t o = 0;
    for (int64_t i = tptr[0]; i < tptr[1]; i++) {
        int32_t t = tidx[i];
        const char *name = t >= 0 && t < ds->num_targets ? ds->target_names[t] : "?";
        int w = snprintf(buf + o, n - o, "%s%s", i > tptr[0] ? "," : "", name);
        if (w < 0 || (size_t)w >= n - o) break;
        o += (size_t)w;
    }
    free(tidx);
    return 0;
}

int recon_print_top(FILE *f, dataset_t *ds, const float *errs, int64_t k, char *err,
                    size_t errlen)
{
    int64_t *idx = xmalloc((size_t)(k > 0 ? k : 1) * sizeof *idx);
    int64_t m = top_k_indices(errs, ds->rows, k, idx);
    char topics[4096];
    fprintf(f, "worst %lld documents\n", (long long)m);
    fprintf(f, "rank\tsample_id\terror\ttopics\n");
    for (int64_t i = 0; i < m; i++) {
        uint32_t sid;
        if (dataset_read_sample_ids(ds, idx[i], idx[i] + 1, &sid) < 0 ||
            row_topics(ds, idx[i], topics, sizeof topics) < 0) {
            snprintf(err, errlen, "%s: cannot read row %lld", ds->path, (long long)idx[i]);
            free(idx);
            return -1;
        }
        fprintf(f, "%lld\t%lu\t%.9g\t%s\n", (long long)(i + 1), (unsigned long)sid,
                (double)errs[idx[i]], topics[0] ? topics : "-");
    }
    free(idx);
    return 0;
}

typedef struct { double sum; int64_t count; const char *name; } topic_acc_t;

static int cmp_topic(const void *pa, const void *pb)
{
    const topic_acc_t *a = pa, *b = pb;
    if ((a->count > 0) != (b->count > 0)) return a->count > 0 ? -1 : 1;
    if (a->count > 0) {
        double ma = a->sum / (double)a->count, mb = b->sum / (double)b->count;
        if (isnan(ma) != isnan(mb)) return isnan(ma) ? -1 : 1;
        if (ma != mb && !isnan(ma)) return ma > mb ? -1 : 1;
    }
    return strcmp(a->name, b->name);
}

int recon_print_by_topic(FILE *f, dataset_t *ds, const float *errs, char *err, size_t errlen)
{
    if (!ds->has_targets) {
        snprintf(err, errlen, "%s: has no targets: --by-topic needs topics", ds->path);
        return -1;
    }
    int64_t T = ds->num_targets;
    topic_acc_t *acc = xcalloc((size_t)(T ? T : 1), sizeof *acc);
    for (int64_t t = 0; t < T; t++) acc[t].name = ds->target_names[t];
    double none_sum = 0;
    int64_t none_count = 0;
    int64_t *tptr = xmalloc((BLOCK_ROWS + 1) * sizeof *tptr);
    int32_t *tidx = NULL;
    int64_t tcap = 0;
    int rc = 0;
    for (int64_t r0 = 0; r0 < ds->rows; r0 += BLOCK_ROWS) {
        int64_t n = ds->rows - r0 < BLOCK_ROWS ? ds->rows - r0 : BLOCK_ROWS;
        if (dataset_read_targets(ds, r0, r0 + n, tptr, &tidx, &tcap) < 0) {
            snprintf(err, errlen, "%s: cannot read targets of rows %lld..%lld", ds->path,
                     (long long)r0, (long long)(r0 + n - 1));
            rc = -1;
            break;
        }
        for (int64_t i = 0; i < n; i++) {
            double e = errs[r0 + i];
            if (tptr[i + 1] == tptr[i]) { none_sum += e; none_count++; }
            for (int64_t j = tptr[i]; j < tptr[i + 1]; j++) {
                int32_t t = tidx[j];
                if (t < 0 || t >= T) continue;
                acc[t].sum += e;
                acc[t].count++;
            }
        }
    }
    if (rc == 0) {
        qsort(acc, (size_t)T, sizeof *acc, cmp_topic);
        fprintf(f, "mean error by topic\n");
        fprintf(f, "topic\tdocuments\tmean_error\n");
        for (int64_t t = 0; t < T && acc[t].count > 0; t++)
            fprintf(f, "%s\t%lld\t%.9g\n", acc[t].name,
                    (long long)acc[t].count, acc[t].sum / (double)acc[t].count);
        if (none_count > 0)
            fprintf(f, "(none)\t%lld\t%.9g\n", (long long)none_count,
                    none_sum / (double)none_count);
    }
    free(acc);
    free(tptr);
    free(tidx);
    return rc;
}

/* ---- the two tools */

/* Everything both tools hold while running. */
typedef struct {
    dataset_t ds;
    model_t m;
    checkpoint_info_t info;
    model_ws_t *ws;
    int64_t batch, latent;             /* B, L */
    encode_meta_t meta;
} run_t;

/* Open the dataset and the checkpoint, check they fit, pick the device. Dies on failure. */
static void run_open(run_t *r, const char *dataset_path, const char *checkpoint_path,
                     int64_t batch, device_kind_t device)
{
    char err[1024];
    h5_quiet();
    if (dataset_open(&r->ds, dataset_path, err, sizeof err) < 0) die("%s", err);
    if (checkpoint_load(checkpoint_path, &r->m, &r->info, err, sizeof err) < 0) die("%s", err);
    if (r->ds.cols != r->m.dims[0]) {
        char dims[256];
        model_dims_string(&r->m, dims, sizeof dims);
        die("%s has %lld features but %s expects %lld (d0 of dims %s)", dataset_path,
            (long long)r->ds.cols, checkpoint_path, (long long)r->m.dims[0], dims);
    }
    const backend_t *be = backend_get(device, err, sizeof err);
    if (!be) die("%s", err);
    r->latent = r->m.dims[r->m.ndims - 1];
    r->batch = batch < r->ds.rows ? batch : r->ds.rows > 0 ? r->ds.rows : 1;
    r->ws = model_ws_create(&r->m, be, (int)r->batch, PREC_32, 0);
    model_ws_upload(r->ws);
    r->meta = (encode_meta_t){
        .dataset_path = dataset_path,
        .checkpoint_path = checkpoint_path,
        .n_dims = r->m.ndims,
        .dims = r->m.dims,
        .activation = act_name(r->m.act),
        .latent_activation = act_name(r->m.latent_act),
        .epoch = r->info.epoch,
        .global_step = r->info.global_step,
        .val_loss = r->info.val_loss,
    };
}

static void run_close(run_t *r)
{
    model_ws_free(r->ws);
    model_free(&r->m);
    dataset_close(&r->ds);
}

/* 1 when a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

void encode_run(const encode_opts_t *o)
{
    run_t r = {0};
    char err[1024];
    if (!o->tsv &&
        (same_file(o->out_path, o->dataset_path) || same_file(o->out_path, o->checkpoint_path)))
        die("%s: is the %s; refusing to overwrite it with the encoding", o->out_path,
            same_file(o->out_path, o->dataset_path) ? "dataset" : "checkpoint");
    run_open(&r, o->dataset_path, o->checkpoint_path, o->batch, o->device);
    int64_t R = r.ds.rows, B = r.batch, L = r.latent;
    float *z = xmalloc((size_t)(B * L) * sizeof *z);                      /* [B, L] */
    float *e = o->with_errors ? xmalloc((size_t)B * sizeof *e) : NULL;   /* [B] */
    uint32_t *sid = xmalloc((size_t)B * sizeof *sid);                    /* [B] */
    encode_writer_t *w = NULL;
    if (!o->tsv) {
        w = encw_create(o->out_path, &r.ds, L, o->with_errors, &r.meta, err, sizeof err);
        if (!w) die("%s", err);
    }
    dense_stats_t st;
    dense_stats_init(&st, L, STATS_ZERO_TOL);
    csr_t x;
    csr_init(&x);
    progress_t p;
    progress_init(&p, progname, R, o->quiet);
    for (int64_t r0 = 0; r0 < R; r0 += B) {
        int64_t n = R - r0 < B ? R - r0 : B;
        if (dataset_read_rows(&r.ds, r0, r0 + n, &x, err, sizeof err) < 0) die("%s", err);
        if (dataset_read_sample_ids(&r.ds, r0, r0 + n, sid) < 0)
            die("%s: cannot read sample ids", o->dataset_path);
        model_forward(r.ws, &x, z, e);
        if (o->tsv) {
            for (int64_t i = 0; i < n; i++) {
                printf("%lu", (unsigned long)sid[i]);
                for (int64_t j = 0; j < L; j++) printf("\t%.9g", (double)z[i * L + j]);
                putchar('\n');
            }
            if (ferror(stdout)) fshut(stdout, "stdout");
        } else if (encw_write_batch(w, r0, n, z, e, sid, err, sizeof err) < 0) {
            die("%s", err);
        }
        dense_stats_add(&st, z, n);
        progress_update(&p, r0 + n, "%lld/%lld rows", (long long)(r0 + n), (long long)R);
    }
    progress_done(&p);
    if (w && encw_finish(w, err, sizeof err) < 0) die("%s", err);
    if (!o->tsv) dense_stats_print(&st, "/latent_representations", STATS_TEXT, stdout);
    dense_stats_free(&st);
    csr_free(&x);
    free(z);
    free(e);
    free(sid);
    run_close(&r);
}

void recon_run(const recon_opts_t *o)
{
    run_t r = {0};
    char err[1024];
    run_open(&r, o->dataset_path, o->checkpoint_path, o->batch, o->device);
    if (o->by_topic && !r.ds.has_targets)
        die("%s: has no /targets and /target_names: --by-topic needs topics", o->dataset_path);
    recon_out_mode_t mode = RECON_OUT_NEW;
    if (o->out_path && recon_out_check(o->out_path, &r.ds, &mode, err, sizeof err) < 0)
        die("%s", err);
    int64_t R = r.ds.rows, B = r.batch, L = r.latent;
    float *z = xmalloc((size_t)(B * L) * sizeof *z);                      /* [B, L] */
    float *errs = xmalloc((size_t)(R > 0 ? R : 1) * sizeof *errs);       /* [R] */
    csr_t x;
    csr_init(&x);
    progress_t p;
    progress_init(&p, progname, R, o->quiet);
    for (int64_t r0 = 0; r0 < R; r0 += B) {
        int64_t n = R - r0 < B ? R - r0 : B;
        if (dataset_read_rows(&r.ds, r0, r0 + n, &x, err, sizeof err) < 0) die("%s", err);
        model_forward(r.ws, &x, z, errs + r0);
        progress_update(&p, r0 + n, "%lld/%lld rows", (long long)(r0 + n), (long long)R);
    }
    progress_done(&p);
    if (o->out_path &&
        recon_out_write(o->out_path, mode, &r.ds, errs, &r.meta, err, sizeof err) < 0)
        die("%s", err);
    vec_stats_t vs;
    vec_stats_init(&vs);
    vec_stats_add(&vs, errs, R);
    vec_stats_print(&vs, "/reconstruction_errors", STATS_TEXT, stdout);
    vec_stats_free(&vs);
    if (o->top > 0) {
        putchar('\n');
        if (recon_print_top(stdout, &r.ds, errs, o->top, err, sizeof err) < 0) die("%s", err);
    }
    if (o->by_topic) {
        putchar('\n');
        if (recon_print_by_topic(stdout, &r.ds, errs, err, sizeof err) < 0) die("%s", err);
    }
    csr_free(&x);
    free(z);
    free(errs);
    run_close(&r);
}
