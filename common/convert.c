/* convert.c: stream rows from svm_reader into a dataset writer, reject duplicate document ids,
 * then join the qrels to rows to build /targets. Memory: the writer's indptr and ids (12 bytes a
 * row), the doc index (24 bytes a row), the reader's bounded queues and the qrels pairs. */
#include "convert.h"
#include "dataset.h"
#include "docindex.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* targets CSR for `rows` rows from the qrels pairs; counts unknown documents. */
static void build_targets(const qrels_t *q, const docindex_t *ix, int64_t rows, int64_t **tptr_out,
                          int32_t **tidx_out, int64_t *unknown, int64_t *nnz_out)
{
    int64_t *tptr = xcalloc((size_t)rows + 2, sizeof *tptr);
    int64_t *rowof = xmalloc((size_t)q->n * sizeof *rowof + 1);
    *unknown = 0;
    for (int64_t i = 0; i < q->n; i++) {
        rowof[i] = docindex_get(ix, q->docid[i]);
        if (rowof[i] < 0) (*unknown)++;
        else tptr[rowof[i] + 1]++;
    }
    for (int64_t r = 0; r < rows; r++) tptr[r + 1] += tptr[r];
    int32_t *tidx = xmalloc((size_t)tptr[rows] * sizeof *tidx + 1);
    int64_t *fill = xmalloc(((size_t)rows + 1) * sizeof *fill);
    memcpy(fill, tptr, ((size_t)rows + 1) * sizeof *fill);
    for (int64_t i = 0; i < q->n; i++)
        if (rowof[i] >= 0) tidx[fill[rowof[i]]++] = q->topic[i];
    /* sort each row's topics and drop repeats, compacting in place */
    int64_t out = 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t a = tptr[r], b = tptr[r + 1];
        qsort(tidx + a, (size_t)(b - a), sizeof *tidx, cmp_i32);
        tptr[r] = out;
        for (int64_t k = a; k < b; k++)
            if (k == a || tidx[k] != tidx[k - 1]) tidx[out++] = tidx[k];
    }
    tptr[rows] = out;
    free(fill);
    free(rowof);
    *tptr_out = tptr;
    *tidx_out = tidx;
    *nnz_out = out;
}

int convert_svm_to_h5(const convert_opts_t *o)
{
    char err[1024];
    int status = 1;
    qrels_t q = {0};
    docindex_t ix;
    docindex_init(&ix);
    /* read the qrels first: a bad qrels file should fail before the long conversion */
    if (o->qrels && qrels_read(o->qrels, &q, err, sizeof err) < 0) {
        warnmsg("%s", err);
        docindex_free(&ix);
        return 1;
    }
    dataset_writer_t *w = dsw_create(o->output, o->compress, err, sizeof err);
    if (!w) {
        warnmsg("%s", err);
        qrels_free(&q);
        docindex_free(&ix);
        return 1;
    }
    svm_reader_t *rd = svm_reader_open(o->inputs, o->ninputs, &o->svm, o->jobs);
    progress_t pr;
    progress_init(&pr, progname, 0, o->quiet);
    int64_t max_col = -1, rows = 0;
    svm_row_t *row;
    int k;
    while ((k = svm_reader_next(rd, &row, err, sizeof err)) == 1) {
        if (!o->svm.labels) {
            int64_t first = docindex_put(&ix, row->docid, rows);
            if (first >= 0) {
                warnmsg("%s: duplicate document id %u (first seen at row %lld)", svm_reader_where(rd),
                        row->docid, (long long)first + 1);
                goto out;
            }
        } else if (dsw_append_label(w, row->label) < 0) {
            warnmsg("%s: cannot store label", svm_reader_where(rd));
            goto out;
        }
        if (row->n && row->idx[row->n - 1] > max_col) max_col = row->idx[row->n - 1];
        uint32_t sid = o->svm.labels ? (uint32_t)rows : row->docid;
        if (dsw_append_row(w, sid, row->idx, row->val, row->n) < 0) {
            warnmsg("%s: writing rows failed", o->output);
            goto out;
        }
        rows++;
        if ((rows & 1023) == 0 && pr.enabled) {
            int64_t done, total;
            svm_reader_progress(rd, &done, &total);
            double el = now_seconds() - pr.start;
            pr.total = total;
            progress_update(&pr, done, "%.1f/%.1f MB, %lld docs, %.0f docs/s", done / 1e6,
                            total / 1e6, (long long)rows, el > 0 ? rows / el : 0);
        }
    }
    progress_done(&pr);
    if (k < 0) {
        warnmsg("%s: %s", svm_reader_where(rd), err);
        goto out;
    }
    int64_t cols = o->svm.n_features > 0 ? o->svm.n_features : max_col + 1;
    if (o->qrels) {
        int64_t *tptr, unknown, tnnz;
        int32_t *tidx;
        build_targets(&q, &ix, rows, &tptr, &tidx, &unknown, &tnnz);
        int64_t none = 0;
        for (int64_t r = 0; r < rows; r++) none += tptr[r + 1] == tptr[r];
        int e = dsw_write_targets(w, q.names, q.num_names, tptr, tidx);
        free(tptr);
        free(tidx);
        if (e < 0) {
            warnmsg("%s: writing targets failed", o->output);
            goto out;
        }
        if (!o->quiet)
            fprintf(stderr,
                    "%s: %s: %lld topics, %lld document-topic pairs; %lld documents without a "
                    "topic; %lld qrels lines for unknown documents\n",
                    progname, o->qrels, (long long)q.num_names, (long long)tnnz, (long long)none,
                    (long long)unknown);
    }
    int64_t nnz = dsw_nnz(w);
    if (dsw_finish(w, cols, cols, NULL, NULL, err, sizeof err) < 0) {
        w = NULL;
        warnmsg("%s", err);
        goto out;
    }
    w = NULL;
    if (!o->quiet)
        fprintf(stderr, "%s: wrote %s: %lld x %lld, %lld non-zeros\n", progname, o->output,
                (long long)rows, (long long)cols, (long long)nnz);
    status = 0;
out:
    svm_reader_close(rd);
    dsw_abort(w);
    qrels_free(&q);
    docindex_free(&ix);
    return status;
}
