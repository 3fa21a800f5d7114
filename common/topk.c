/* topk.c: column selection for h5-topk-features (see topk.h).
 * Dimension legend: R rows, C columns, K kept columns, B rows in one block.
 */
#include "topk.h"
#include "util.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_NNZ (1 << 20)    /* non-zeros per row block */

const char *topk_by_name(topk_by_t by) { return by == TOPK_DF ? "df" : "sum"; }

/* End of the row block starting at r0: whole rows, about BATCH_NNZ non-zeros, at least one. */
static int64_t block_end(const dataset_t *ds, int64_t r0)
{
    int64_t r1 = r0 + 1;
    while (r1 < ds->rows && ds->indptr[r1 + 1] - ds->indptr[r0] <= BATCH_NNZ) r1++;
    return r1;
}

int topk_scores(dataset_t *ds, topk_by_t by, double *score, char *err, size_t errlen)
{
    csr_t m;
    csr_init(&m);
    for (int64_t c = 0; c < ds->cols; c++) score[c] = 0;
    for (int64_t r0 = 0; r0 < ds->rows;) {
        int64_t r1 = block_end(ds, r0);
        if (dataset_read_rows(ds, r0, r1, &m, err, errlen) < 0) {
            csr_free(&m);
            return -1;
        }
        if (by == TOPK_DF)
            for (int64_t k = 0; k < m.nnz; k++) score[m.indices[k]] += 1;
        else
            for (int64_t k = 0; k < m.nnz; k++) score[m.indices[k]] += (double)m.data[k];
        r0 = r1;
    }
    csr_free(&m);
    return 0;
}

static const double *g_score;   /* for the qsort comparators */

static int cmp_rank(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    if (g_score[x] != g_score[y]) return g_score[x] > g_score[y] ? -1 : 1;
    return (x > y) - (x < y);
}

static int cmp_col(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t topk_select(const double *score, int64_t C, int64_t k, int64_t *kept)
{
    if (k > C) k = C;
    if (k <= 0) return 0;
    int64_t *order = xmalloc((size_t)C * sizeof *order);     /* [C] */
    for (int64_t c = 0; c < C; c++) order[c] = c;
    g_score = score;
    qsort(order, (size_t)C, sizeof *order, cmp_rank);
    memcpy(kept, order, (size_t)k * sizeof *kept);
    qsort(kept, (size_t)k, sizeof *kept, cmp_col);
    free(order);
    return k;
}

/* ---------------------------------------------------------------- copying the rest */

static int is_rewritten(const char *name)
{
    static const char *const own[] = {"data", "indices", "indptr", "sample_id", "feature_ids"};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (!strcmp(name, own[i])) return 1;
    return 0;
}

static int is_own_attr(const char *name)
{
    static const char *const own[] = {"shape", "num_samples", "num_features",
                                      "original_num_features", "format", "format_version",
                                      "created_by", "created_at", "criterion", "k"};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (!strcmp(name, own[i])) return 1;
    return 0;
}

typedef struct {
    hid_t dst;
    int failed;
    char what[256];
} copy_ctx_t;

static herr_t copy_link(hid_t src, const char *name, const H5L_info_t *info, void *data)
{
    copy_ctx_t *c = data;
    (void)info;
    if (is_rewritten(name)) return 0;
    if (H5Ocopy(src, name, c->dst, name, H5P_DEFAULT, H5P_DEFAULT) < 0) {
        c->failed = 1;
        snprintf(c->what, sizeof c->what, "/%s", name);
        return -1;
    }
    return 0;
}

static herr_t copy_attr(hid_t src, const char *name, const H5A_info_t *info, void *data)
{
    copy_ctx_t *c = data;
    (void)info;
    if (is_own_attr(name)) return 0;
    hid_t a = H5Aopen(src, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    size_t sz = H5Tget_size(t);
    void *buf = xcalloc((size_t)(n > 0 ? n : 1), sz ? sz : 1);
    int vlen = H5Tdetect_class(t, H5T_VLEN) > 0 || H5Tis_variable_str(t) > 0;
    int ok = H5Aread(a, t, buf) >= 0;
    if (ok) {
        hid_t b = H5Acreate2(c->dst, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
        ok = b >= 0 && H5Awrite(b, t, buf) >= 0;
        if (b >= 0) H5Aclose(b);
        if (vlen) H5Dvlen_reclaim(t, s, H5P_DEFAULT, buf);
    }
    free(buf);
    H5Sclose(s);
    H5Tclose(t);
    H5Aclose(a);
    if (!ok) {
        c->failed = 1;
        snprintf(c->what, sizeof c->what, "attribute %s", name);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- writing */

int topk_write(dataset_t *ds, const int64_t *kept, int64_t K, const char *out_path,
               const topk_opts_t *o, char *err, size_t errlen)
{
    const int64_t C = ds->cols;
    int rc = -1;
    int32_t *newcol = xmalloc((size_t)(C + 1) * sizeof *newcol);   /* [C] -1 or kept position */
    int32_t *fid_in = xmalloc((size_t)(C + 1) * sizeof *fid_in);   /* [C] */
    int32_t *fid = xmalloc((size_t)(K + 1) * sizeof *fid);         /* [K] */
    int32_t *ridx = xmalloc((size_t)(K + 1) * sizeof *ridx);       /* [K] one output row */
    float *rval = xmalloc((size_t)(K + 1) * sizeof *rval);         /* [K] */
    uint32_t *ids = NULL;                                          /* [B] */
    int64_t ids_cap = 0;
    csr_t m;
    csr_init(&m);
    dataset_writer_t *w = NULL;

    for (int64_t c = 0; c < C; c++) newcol[c] = -1;
    for (int64_t j = 0; j < K; j++) newcol[kept[j]] = (int32_t)j;
    if (dataset_read_feature_ids(ds, fid_in) < 0) {
        snprintf(err, errlen, "%s: cannot read /feature_ids (%lld ids expected)", ds->path,
                 (long long)C);
        goto out;
    }
    for (int64_t j = 0; j < K; j++) fid[j] = fid_in[kept[j]];

    w = dsw_create(out_path, o->compress, err, errlen);
    if (!w) goto out;
    progress_t pr;
    progress_init(&pr, "h5-topk-features", ds->rows, o->quiet);
    for (int64_t r0 = 0; r0 < ds->rows;) {
        int64_t r1 = block_end(ds, r0);
        if (dataset_read_rows(ds, r0, r1, &m, err, errlen) < 0) goto out;
        if (r1 - r0 > ids_cap) {
            ids_cap = r1 - r0;
            ids = xrealloc(ids, (size_t)ids_cap * sizeof *ids);
        }
        if (dataset_read_sample_ids(ds, r0, r1, ids) < 0) {
            snprintf(err, errlen, "%s: cannot read /sample_id", ds->path);
            goto out;
        }
        for (int64_t i = 0; i < m.rows; i++) {
            int64_t n = 0;
            for (int64_t k = m.indptr[i]; k < m.indptr[i + 1]; k++) {
                int32_t j = newcol[m.indices[k]];
                if (j < 0) continue;
                ridx[n] = j;
                rval[n] = m.data[k];
                n++;
            }
            if (dsw_append_row(w, ids[i], ridx, rval, n) < 0) {
                snprintf(err, errlen, "%s: writing rows failed", out_path);
                goto out;
            }
        }
        r0 = r1;
        progress_update(&pr, r0, "%lld rows", (long long)r0);
    }
    progress_done(&pr);

    copy_ctx_t cc = {dsw_file(w), 0, ""};
    hsize_t idx = 0;
    if (H5Literate(ds->file, H5_INDEX_NAME, H5_ITER_INC, &idx, copy_link, &cc) < 0 ||
        H5Aiterate2(ds->file, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_attr, &cc) < 0 || cc.failed) {
        snprintf(err, errlen, "%s: cannot copy %s", out_path, cc.what[0] ? cc.what : "the file");
        goto out;
    }
    hid_t f = dsw_file(w);
    if (h5_attr_write_str(f, "criterion", topk_by_name(o->by)) < 0 ||
        h5_attr_write_i64(f, "k", o->k) < 0) {
        snprintf(err, errlen, "%s: cannot write attributes", out_path);
        goto out;
    }
    char by[8192];
    h5_created_by(by, sizeof by);
    int e = dsw_finish(w, K, ds->original_num_features, fid, by, err, errlen);
    w = NULL;   /* dsw_finish frees it, on failure too */
    if (e < 0) goto out;
    rc = 0;
out:
    if (w) dsw_abort(w);
    csr_free(&m);
    free(ids);
    free(rval);
    free(ridx);
    free(fid);
    free(fid_in);
    free(newcol);
    return rc;
}
