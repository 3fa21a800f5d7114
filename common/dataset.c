/* dataset.c: read and write the aekit dataset file (layout in dataset.h and aekit-dataset(5)).
 *
 * Reading keeps only /indptr in memory (8 bytes a row) and reads the non-zeros of any block or
 * list of rows by hyperslab; a large chunk cache keeps shuffled reads cheap. Writing streams rows
 * into extendible chunked datasets through a small buffer, under a temporary name. */
#include "dataset.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- CSR blocks */

void csr_init(csr_t *m) { memset(m, 0, sizeof *m); }

void csr_free(csr_t *m)
{
    free(m->indptr);
    free(m->indices);
    free(m->data);
    csr_init(m);
}

void csr_reserve(csr_t *m, int64_t rows, int64_t nnz)
{
    if (rows + 1 > m->cap_rows) {
        m->cap_rows = rows + 1;
        m->indptr = xrealloc(m->indptr, (size_t)m->cap_rows * sizeof *m->indptr);
    }
    if (nnz > m->cap_nnz) {
        m->cap_nnz = nnz + nnz / 4;
        m->indices = xrealloc(m->indices, (size_t)m->cap_nnz * sizeof *m->indices);
        m->data = xrealloc(m->data, (size_t)m->cap_nnz * sizeof *m->data);
    }
}

/* ---------------------------------------------------------------- reading */

static int read_1d(hid_t d, hid_t memtype, hsize_t off, hsize_t n, void *buf)
{
    if (n == 0) return 0;
    hid_t fs = H5Dget_space(d);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &off, NULL, &n, NULL);
    hid_t ms = H5Screate_simple(1, &n, NULL);
    herr_t e = H5Dread(d, memtype, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    return e < 0 ? -1 : 0;
}

static int64_t dataset_len(hid_t d)
{
    hid_t s = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int rank = H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    return rank == 1 ? (int64_t)dims[0] : -1;
}

static int has_link(hid_t f, const char *name) { return H5Lexists(f, name, H5P_DEFAULT) > 0; }

static int read_target_names(dataset_t *ds, char *err, size_t errlen)
{
    hid_t d = H5Dopen2(ds->file, "target_names", H5P_DEFAULT);
    if (d < 0) { snprintf(err, errlen, "%s: cannot open /target_names", ds->path); return -1; }
    int64_t n = dataset_len(d);
    hid_t t = H5Dget_type(d);
    int r = -1;
    if (n < 0 || H5Tget_class(t) != H5T_STRING) {
        snprintf(err, errlen, "%s: /target_names is not a 1-D string dataset", ds->path);
        goto out;
    }
    ds->num_targets = n;
    ds->target_names = xcalloc((size_t)n + 1, sizeof(char *));
    if (H5Tis_variable_str(t) > 0) {
        char **tmp = xcalloc((size_t)n + 1, sizeof(char *));
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        if (n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0) {
            H5Tclose(mt);
            free(tmp);
            snprintf(err, errlen, "%s: cannot read /target_names", ds->path);
            goto out;
        }
        for (int64_t i = 0; i < n; i++) {
            ds->target_names[i] = xstrdup(tmp[i] ? tmp[i] : "");
            H5free_memory(tmp[i]);
        }
        H5Tclose(mt);
        free(tmp);
    } else {
        size_t sz = H5Tget_size(t);
        char *buf = xcalloc((size_t)n * sz + 1, 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz);
        H5Tset_strpad(mt, H5T_STR_NULLPAD);
        H5Tset_cset(mt, H5Tget_cset(t));
        if (n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            H5Tclose(mt);
            free(buf);
            snprintf(err, errlen, "%s: cannot read /target_names", ds->path);
            goto out;
        }
        for (int64_t i = 0; i < n; i++) {
            char *s = xcalloc(sz + 1, 1);
            memcpy(s, buf + i * sz, sz);
            ds->target_names[i] = s;
        }
        H5Tclose(mt);
        free(buf);
    }
    r = 0;
out:
    H5Tclose(t);
    H5Dclose(d);
    return r;
}

int dataset_open(dataset_t *ds, const char *path, char *err, size_t errlen)
{
    memset(ds, 0, sizeof *ds);
    ds->file = ds->d_data = ds->d_indices = H5I_INVALID_HID;
    ds->path = xstrdup(path);
    h5_quiet();
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, errlen, "%s: not an HDF5 file", path);
        goto fail;
    }
    ds->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (ds->file < 0) {
        snprintf(err, errlen, "%s: cannot open HDF5 file", path);
        goto fail;
    }
    if (!has_link(ds->file, "data") || !has_link(ds->file, "indices") ||
        !has_link(ds->file, "indptr")) {
        snprintf(err, errlen, "%s: not an aekit dataset (no CSR matrix /data, /indices, /indptr)",
                 path);
        goto fail;
    }
    char fmt[64];
    if (h5_attr_read_str(ds->file, "format", fmt, sizeof fmt) == 0) {
        if (strcmp(fmt, DATASET_FORMAT) != 0) {
            snprintf(err, errlen, "%s: format is '%s', expected '%s'", path, fmt, DATASET_FORMAT);
            goto fail;
        }
        int64_t v;
        if (h5_attr_read_i64(ds->file, "format_version", &v) < 0 || v < 1 ||
            v > DATASET_FORMAT_VERSION) {
            snprintf(err, errlen,
                     "%s: unsupported %s format_version (this aekit reads 0..%d); "
                     "HINT: upgrade aekit or recreate the file with svm2h5",
                     path, DATASET_FORMAT, DATASET_FORMAT_VERSION);
            goto fail;
        }
        ds->format_version = (int)v;
    }

    /* lapl: a chunk cache large enough for shuffled batches (64 MiB, 12421 slots) */
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 12421, 64u << 20, 0.75);
    ds->d_data = H5Dopen2(ds->file, "data", dapl);
    ds->d_indices = H5Dopen2(ds->file, "indices", dapl);
    H5Pclose(dapl);
    hid_t d_indptr = H5Dopen2(ds->file, "indptr", H5P_DEFAULT);
    if (ds->d_data < 0 || ds->d_indices < 0 || d_indptr < 0) {
        if (d_indptr >= 0) H5Dclose(d_indptr);
        snprintf(err, errlen, "%s: cannot open the CSR datasets", path);
        goto fail;
    }
    int64_t np = dataset_len(d_indptr);
    ds->nnz = dataset_len(ds->d_data);
    if (np < 1 || ds->nnz < 0 || dataset_len(ds->d_indices) != ds->nnz) {
        H5Dclose(d_indptr);
        snprintf(err, errlen, "%s: /data, /indices and /indptr are not consistent 1-D datasets",
                 path);
        goto fail;
    }
    ds->rows = np - 1;
    ds->indptr = xmalloc((size_t)np * sizeof *ds->indptr);
    int e = read_1d(d_indptr, H5T_NATIVE_INT64, 0, (hsize_t)np, ds->indptr);
    H5Dclose(d_indptr);
    if (e < 0) {
        snprintf(err, errlen, "%s: cannot read /indptr", path);
        goto fail;
    }
    if (ds->indptr[0] != 0 || ds->indptr[ds->rows] != ds->nnz) {
        snprintf(err, errlen, "%s: /indptr does not span /data (%lld..%lld, nnz %lld)", path,
                 (long long)ds->indptr[0], (long long)ds->indptr[ds->rows], (long long)ds->nnz);
        goto fail;
    }
    for (int64_t r = 0; r < ds->rows; r++)
        if (ds->indptr[r + 1] < ds->indptr[r]) {
            snprintf(err, errlen, "%s: /indptr decreases at row %lld", path, (long long)r);
            goto fail;
        }

    /* width: the shape attribute, else num_features */
    int64_t shape[2] = {-1, -1};
    hid_t a = H5Aexists(ds->file, "shape") > 0 ? H5Aopen(ds->file, "shape", H5P_DEFAULT) : -1;
    if (a >= 0) {
        hid_t s = H5Aget_space(a);
        if (H5Sget_simple_extent_npoints(s) == 2) H5Aread(a, H5T_NATIVE_INT64, shape);
        H5Sclose(s);
        H5Aclose(a);
    }
    if (shape[1] < 0) h5_attr_read_i64(ds->file, "num_features", &shape[1]);
    if (shape[1] < 0) {
        snprintf(err, errlen, "%s: no 'shape' or 'num_features' attribute", path);
        goto fail;
    }
    if (shape[0] >= 0 && shape[0] != ds->rows) {
        snprintf(err, errlen, "%s: shape says %lld rows but /indptr has %lld", path,
                 (long long)shape[0], (long long)ds->rows);
        goto fail;
    }
    ds->cols = shape[1];
    ds->original_num_features = ds->cols;
    h5_attr_read_i64(ds->file, "original_num_features", &ds->original_num_features);

    ds->has_targets = has_link(ds->file, "targets") && has_link(ds->file, "target_names");
    ds->has_sample_id = has_link(ds->file, "sample_id");
    ds->has_feature_ids = has_link(ds->file, "feature_ids");
    ds->has_labels = has_link(ds->file, "labels");
    if (ds->has_targets && read_target_names(ds, err, errlen) < 0) goto fail;
    return 0;
fail:
    dataset_close(ds);
    return -1;
}

void dataset_close(dataset_t *ds)
{
    if (ds->d_data >= 0) H5Dclose(ds->d_data);
    if (ds->d_indices >= 0) H5Dclose(ds->d_indices);
    if (ds->file >= 0) H5Fclose(ds->file);
    for (int64_t i = 0; ds->target_names && i < ds->num_targets; i++) free(ds->target_names[i]);
    free(ds->target_names);
    free(ds->indptr);
    free(ds->path);
    memset(ds, 0, sizeof *ds);
    ds->file = ds->d_data = ds->d_indices = H5I_INVALID_HID;
}

static int check_block(const dataset_t *ds, const csr_t *m, int64_t at, int64_t n, char *err,
                       size_t errlen, int64_t row)
{
    for (int64_t i = at; i < at + n; i++) {
        int32_t c = m->indices[i];
        if (c < 0 || c >= ds->cols || (i > at && c <= m->indices[i - 1])) {
            snprintf(err, errlen, "%s: row %lld: column index %d out of range or not increasing",
                     ds->path, (long long)row, c);
            return -1;
        }
    }
    return 0;
}

/* Read rows [r0, r0+n) of the file into m at row offset `at` (m already sized). */
static int read_run(dataset_t *ds, int64_t r0, int64_t n, csr_t *m, int64_t at, char *err,
                    size_t errlen)
{
    int64_t a = ds->indptr[r0], b = ds->indptr[r0 + n], off = m->indptr[at];
    if (read_1d(ds->d_indices, H5T_NATIVE_INT32, (hsize_t)a, (hsize_t)(b - a), m->indices + off) < 0 ||
        read_1d(ds->d_data, H5T_NATIVE_FLOAT, (hsize_t)a, (hsize_t)(b - a), m->data + off) < 0) {
        snprintf(err, errlen, "%s: cannot read rows %lld..%lld", ds->path, (long long)r0,
                 (long long)(r0 + n - 1));
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        m->indptr[at + i + 1] = off + ds->indptr[r0 + i + 1] - a;
        if (check_block(ds, m, m->indptr[at + i], m->indptr[at + i + 1] - m->indptr[at + i], err,
                        errlen, r0 + i) < 0)
            return -1;
    }
    return 0;
}

int dataset_read_rows(dataset_t *ds, int64_t r0, int64_t r1, csr_t *m, char *err, size_t errlen)
{
    if (r0 < 0 || r1 > ds->rows || r1 < r0) {
        snprintf(err, errlen, "%s: rows %lld..%lld out of range", ds->path, (long long)r0,
                 (long long)r1);
        return -1;
    }
    int64_t n = r1 - r0;
    csr_reserve(m, n, ds->indptr[r1] - ds->indptr[r0]);
    m->rows = n;
    m->cols = ds->cols;
    m->nnz = ds->indptr[r1] - ds->indptr[r0];
    m->indptr[0] = 0;
    return read_run(ds, r0, n, m, 0, err, errlen);
}

int dataset_read_row_list(dataset_t *ds, const int64_t *rows, int64_t n, csr_t *m, char *err,
                          size_t errlen)
{
    int64_t nnz = 0;
    for (int64_t i = 0; i < n; i++) {
        if (rows[i] < 0 || rows[i] >= ds->rows) {
            snprintf(err, errlen, "%s: row %lld out of range", ds->path, (long long)rows[i]);
            return -1;
        }
        nnz += ds->indptr[rows[i] + 1] - ds->indptr[rows[i]];
    }
    csr_reserve(m, n, nnz);
    m->rows = n;
    m->cols = ds->cols;
    m->nnz = nnz;
    m->indptr[0] = 0;
    /* runs of consecutive rows are read with one hyperslab each */
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && rows[j] == rows[j - 1] + 1) j++;
        if (read_run(ds, rows[i], j - i, m, i, err, errlen) < 0) return -1;
        i = j;
    }
    return 0;
}

int dataset_read_sample_ids(dataset_t *ds, int64_t r0, int64_t r1, uint32_t *out)
{
    if (!ds->has_sample_id) {
        for (int64_t r = r0; r < r1; r++) out[r - r0] = (uint32_t)r;
        return 0;
    }
    hid_t d = H5Dopen2(ds->file, "sample_id", H5P_DEFAULT);
    if (d < 0) return -1;
    int e = dataset_len(d) == ds->rows ? read_1d(d, H5T_NATIVE_UINT32, (hsize_t)r0,
                                                  (hsize_t)(r1 - r0), out) : -1;
    H5Dclose(d);
    return e;
}

int dataset_read_feature_ids(dataset_t *ds, int32_t *out)
{
    if (!ds->has_feature_ids) {
        for (int64_t c = 0; c < ds->cols; c++) out[c] = (int32_t)(c + 1);
        return 0;
    }
    hid_t d = H5Dopen2(ds->file, "feature_ids", H5P_DEFAULT);
    if (d < 0) return -1;
    int e = dataset_len(d) == ds->cols ? read_1d(d, H5T_NATIVE_INT32, 0, (hsize_t)ds->cols, out)
                                       : -1;
    H5Dclose(d);
    return e;
}

int dataset_read_targets(dataset_t *ds, int64_t r0, int64_t r1, int64_t *tptr, int32_t **tidx,
                         int64_t *tcap)
{
    int64_t n = r1 - r0;
    tptr[0] = 0;
    if (!ds->has_targets) {
        for (int64_t i = 0; i < n; i++) tptr[i + 1] = 0;
        return 0;
    }
    hid_t d = H5Dopen2(ds->file, "targets", H5P_DEFAULT);
    if (d < 0 || dataset_len(d) != ds->rows) {
        if (d >= 0) H5Dclose(d);
        return -1;
    }
    hvl_t *vl = xcalloc((size_t)n + 1, sizeof *vl);
    hid_t mt = H5Tvlen_create(H5T_NATIVE_INT32);
    hsize_t off = (hsize_t)r0, cnt = (hsize_t)n;
    hid_t fs = H5Dget_space(d);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &off, NULL, &cnt, NULL);
    hid_t ms = H5Screate_simple(1, &cnt, NULL);
    int r = n ? (H5Dread(d, mt, ms, fs, H5P_DEFAULT, vl) < 0 ? -1 : 0) : 0;
    if (r == 0) {
        int64_t total = 0;
        for (int64_t i = 0; i < n; i++) total += (int64_t)vl[i].len;
        if (total > *tcap) {
            *tcap = total + 16;
            *tidx = xrealloc(*tidx, (size_t)*tcap * sizeof **tidx);
        }
        for (int64_t i = 0; i < n; i++) {
            if (vl[i].len) memcpy(*tidx + tptr[i], vl[i].p, vl[i].len * sizeof(int32_t));
            tptr[i + 1] = tptr[i] + (int64_t)vl[i].len;
        }
        H5Dvlen_reclaim(mt, ms, H5P_DEFAULT, vl);
    }
    H5Sclose(ms);
    H5Sclose(fs);
    H5Tclose(mt);
    H5Dclose(d);
    free(vl);
    return r;
}

/* ---------------------------------------------------------------- writing */

struct dataset_writer {
    char *final_path, *tmp_path;
    hid_t file, d_data, d_indices;
    int level;
    int64_t rows, nnz, flushed;      /* nnz appended; nnz already in the file */
    int64_t *indptr;                 /* [rows+1] */
    uint32_t *ids;                   /* [rows] */
    float *labels;                   /* [rows] when labels were appended */
    int64_t nlabels, cap;
    int32_t *bidx;                   /* [DATASET_CHUNK] buffered non-zeros */
    float *bval;
    int64_t bn;
};

static hid_t create_extendible(hid_t f, const char *name, hid_t type, int level)
{
    hsize_t dim = 0, maxdim = H5S_UNLIMITED, chunk = DATASET_CHUNK;
    hid_t space = H5Screate_simple(1, &dim, &maxdim);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    if (level > 0) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, (unsigned)level);
    }
    hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    return d;
}

dataset_writer_t *dsw_create(const char *final_path, int level, char *err, size_t errlen)
{
    h5_quiet();
    dataset_writer_t *w = xcalloc(1, sizeof *w);
    w->final_path = xstrdup(final_path);
    w->tmp_path = atomic_tmp_name(final_path);
    w->level = level;
    w->file = H5Fcreate(w->tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0) {
        snprintf(err, errlen, "%s: cannot create file: %s", w->tmp_path, strerror(errno));
        free(w->final_path);
        free(w->tmp_path);
        free(w);
        return NULL;
    }
    tmpfile_register(w->tmp_path);
    w->d_data = create_extendible(w->file, "data", H5T_IEEE_F32LE, level);
    w->d_indices = create_extendible(w->file, "indices", H5T_STD_I32LE, level);
    w->cap = 1024;
    w->indptr = xmalloc((size_t)(w->cap + 1) * sizeof *w->indptr);
    w->ids = xmalloc((size_t)w->cap * sizeof *w->ids);
    w->indptr[0] = 0;
    w->bidx = xmalloc(DATASET_CHUNK * sizeof *w->bidx);
    w->bval = xmalloc(DATASET_CHUNK * sizeof *w->bval);
    return w;
}

static int append_1d(hid_t d, hid_t memtype, int64_t at, int64_t n, const void *buf)
{
    hsize_t size = (hsize_t)(at + n), off = (hsize_t)at, cnt = (hsize_t)n;
    if (H5Dset_extent(d, &size) < 0) return -1;
    hid_t fs = H5Dget_space(d);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &off, NULL, &cnt, NULL);
    hid_t ms = H5Screate_simple(1, &cnt, NULL);
    herr_t e = H5Dwrite(d, memtype, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    return e < 0 ? -1 : 0;
}

static int flush_buffer(dataset_writer_t *w)
{
    if (w->bn == 0) return 0;
    if (append_1d(w->d_indices, H5T_NATIVE_INT32, w->flushed, w->bn, w->bidx) < 0 ||
        append_1d(w->d_data, H5T_NATIVE_FLOAT, w->flushed, w->bn, w->bval) < 0)
        return -1;
    w->flushed += w->bn;
    w->bn = 0;
    return 0;
}

int dsw_append_row(dataset_writer_t *w, uint32_t sample_id, const int32_t *idx, const float *val,
                   int64_t n)
{
    if (w->rows == w->cap) {
        w->cap *= 2;
        w->indptr = xrealloc(w->indptr, (size_t)(w->cap + 1) * sizeof *w->indptr);
        w->ids = xrealloc(w->ids, (size_t)w->cap * sizeof *w->ids);
        if (w->labels) w->labels = xrealloc(w->labels, (size_t)w->cap * sizeof *w->labels);
    }
    while (n > 0) {
        int64_t k = DATASET_CHUNK - w->bn < n ? DATASET_CHUNK - w->bn : n;
        memcpy(w->bidx + w->bn, idx, (size_t)k * sizeof *idx);
        memcpy(w->bval + w->bn, val, (size_t)k * sizeof *val);
        w->bn += k;
        w->nnz += k;
        idx += k;
        val += k;
        n -= k;
        if (w->bn == DATASET_CHUNK && flush_buffer(w) < 0) return -1;
    }
    w->ids[w->rows] = sample_id;
    w->indptr[++w->rows] = w->nnz;
    return 0;
}

int dsw_append_label(dataset_writer_t *w, float label)
{
    if (!w->labels) w->labels = xmalloc((size_t)w->cap * sizeof *w->labels);
    if (w->nlabels >= w->cap) return -1;
    w->labels[w->nlabels++] = label;
    return 0;
}

int64_t dsw_rows(const dataset_writer_t *w) { return w->rows; }
int64_t dsw_nnz(const dataset_writer_t *w) { return w->nnz; }
hid_t dsw_file(dataset_writer_t *w) { return w->file; }

static int write_whole(hid_t f, const char *name, hid_t ftype, hid_t mtype, int64_t n,
                       const void *buf, int level)
{
    hsize_t dim = (hsize_t)n;
    hid_t d = h5_create_dataset(f, name, ftype, 1, &dim, level);
    if (d < 0) return -1;
    herr_t e = n ? H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    H5Dclose(d);
    return e < 0 ? -1 : 0;
}

int dsw_write_targets(dataset_writer_t *w, char *const *names, int64_t num_names,
                      const int64_t *tptr, const int32_t *tidx)
{
    /* /target_names: fixed-length NUL-padded byte strings, as h5py writes numpy 'S' arrays */
    size_t width = 1;
    for (int64_t i = 0; i < num_names; i++)
        if (strlen(names[i]) > width) width = strlen(names[i]);
    char *buf = xcalloc((size_t)num_names * width + 1, 1);
    for (int64_t i = 0; i < num_names; i++) memcpy(buf + i * width, names[i], strlen(names[i]));
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, width);
    H5Tset_strpad(st, H5T_STR_NULLPAD);
    int r = write_whole(w->file, "target_names", st, st, num_names, buf, 0);
    H5Tclose(st);
    free(buf);
    if (r < 0) return -1;

    hvl_t *vl = xcalloc((size_t)w->rows + 1, sizeof *vl);
    for (int64_t i = 0; i < w->rows; i++) {
        vl[i].len = (size_t)(tptr[i + 1] - tptr[i]);
        vl[i].p = (void *)(tidx + tptr[i]);
    }
    hid_t ft = H5Tvlen_create(H5T_STD_I32LE), mt = H5Tvlen_create(H5T_NATIVE_INT32);
    r = write_whole(w->file, "targets", ft, mt, w->rows, vl, w->level);
    H5Tclose(ft);
    H5Tclose(mt);
    free(vl);
    if (r == 0) r = h5_attr_write_i64(w->file, "num_target_categories", num_names);
    return r;
}

int dsw_finish(dataset_writer_t *w, int64_t cols, int64_t original_num_features,
               const int32_t *feature_ids, const char *created_by, char *err, size_t errlen)
{
    int r = flush_buffer(w);
    r |= write_whole(w->file, "indptr", H5T_STD_I64LE, H5T_NATIVE_INT64, w->rows + 1, w->indptr,
                     w->level);
    r |= write_whole(w->file, "sample_id", H5T_STD_U32LE, H5T_NATIVE_UINT32, w->rows, w->ids,
                     w->level);
    if (w->labels) {
        if (w->nlabels != w->rows) r = -1;
        r |= write_whole(w->file, "labels", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, w->rows, w->labels,
                         w->level);
    }
    int32_t *fid = (int32_t *)feature_ids;
    if (!fid) {
        fid = xmalloc((size_t)(cols + 1) * sizeof *fid);
        for (int64_t c = 0; c < cols; c++) fid[c] = (int32_t)(c + 1);
    }
    r |= write_whole(w->file, "feature_ids", H5T_STD_I32LE, H5T_NATIVE_INT32, cols, fid, w->level);
    if (fid != feature_ids) free(fid);

    int64_t shape[2] = {w->rows, cols};
    r |= h5_attr_write_i64v(w->file, "shape", shape, 2);
    r |= h5_attr_write_i64(w->file, "num_samples", w->rows);
    r |= h5_attr_write_i64(w->file, "num_features", cols);
    r |= h5_attr_write_i64(w->file, "original_num_features", original_num_features);
    if (H5Aexists(w->file, "num_target_categories") <= 0)
        r |= h5_attr_write_i64(w->file, "num_target_categories", 0);
    r |= h5_stamp(w->file, DATASET_FORMAT, DATASET_FORMAT_VERSION);
    if (created_by) r |= h5_attr_write_str(w->file, "created_by", created_by);

    H5Dclose(w->d_data);
    H5Dclose(w->d_indices);
    w->d_data = w->d_indices = H5I_INVALID_HID;
    if (H5Fclose(w->file) < 0) r = -1;
    w->file = H5I_INVALID_HID;
    if (r != 0) {
        snprintf(err, errlen, "%s: writing the HDF5 file failed", w->tmp_path);
        dsw_abort(w);
        return -1;
    }
    if (atomic_commit(w->tmp_path, w->final_path) < 0) {
        snprintf(err, errlen, "%s: cannot rename into place: %s", w->final_path, strerror(errno));
        dsw_abort(w);
        return -1;
    }
    dsw_abort(w);   /* frees; the temporary name no longer exists */
    return 0;
}

void dsw_abort(dataset_writer_t *w)
{
    if (!w) return;
    if (w->d_data >= 0 && w->file >= 0) H5Dclose(w->d_data);
    if (w->d_indices >= 0 && w->file >= 0) H5Dclose(w->d_indices);
    if (w->file >= 0) H5Fclose(w->file);
    unlink(w->tmp_path);
    tmpfile_unregister(w->tmp_path);
    free(w->final_path);
    free(w->tmp_path);
    free(w->indptr);
    free(w->ids);
    free(w->labels);
    free(w->bidx);
    free(w->bval);
    free(w);
}
