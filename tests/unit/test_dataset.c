/* test_dataset.c: the dataset writer and reader agree: rows, row lists, sample ids, feature
 * ids, targets, attributes; a file without the format attribute reads as version 0. */
#include "dataset.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fails;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

int main(int argc, char **argv)
{
    util_init(argc, argv, "test_dataset");
    char path[] = "/tmp/aekit_test_dataset_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char err[512];
    /* 200000 rows (several chunks), row r has (r % 7) non-zeros at columns r%5 + 3k */
    const int64_t R = 200000, C = 40;
    dataset_writer_t *w = dsw_create(path, 4, err, sizeof err);
    CHECK(w != NULL);
    int32_t idx[16];
    float val[16];
    int64_t *tptr = xmalloc((R + 1) * sizeof *tptr);
    int32_t *tidx = xmalloc(R * 2 * sizeof *tidx);
    tptr[0] = 0;
    for (int64_t r = 0; r < R; r++) {
        int n = (int)(r % 7);
        for (int k = 0; k < n; k++) {
            idx[k] = (int32_t)(r % 5 + 3 * k);
            val[k] = (float)(r * 0.5 + k);
        }
        CHECK(dsw_append_row(w, (uint32_t)(1000 + 2 * r), idx, val, n) == 0);
        tptr[r + 1] = tptr[r];
        if (r % 3) tidx[tptr[r + 1]++] = (int32_t)(r % 3);
        if (r % 4 == 1) tidx[tptr[r + 1]++] = 3;
    }
    char *names[] = {"C11", "C12", "C151", "CCAT"};
    CHECK(dsw_write_targets(w, names, 4, tptr, tidx) == 0);
    CHECK(dsw_finish(w, C, 47236, NULL, NULL, err, sizeof err) == 0);

    dataset_t ds;
    CHECK(dataset_open(&ds, path, err, sizeof err) == 0);
    CHECK(ds.rows == R && ds.cols == C && ds.format_version == 1);
    CHECK(ds.original_num_features == 47236);
    CHECK(ds.num_targets == 4 && strcmp(ds.target_names[2], "C151") == 0);
    csr_t m;
    csr_init(&m);
    CHECK(dataset_read_rows(&ds, 99990, 100010, &m, err, sizeof err) == 0);
    for (int64_t i = 0; i < m.rows; i++) {
        int64_t r = 99990 + i;
        CHECK(m.indptr[i + 1] - m.indptr[i] == r % 7);
        for (int64_t k = m.indptr[i]; k < m.indptr[i + 1]; k++) {
            int kk = (int)(k - m.indptr[i]);
            CHECK(m.indices[k] == r % 5 + 3 * kk);
            CHECK(m.data[k] == (float)(r * 0.5 + kk));
        }
    }
    int64_t list[] = {5, 199999, 6, 7, 0, 5};
    CHECK(dataset_read_row_list(&ds, list, 6, &m, err, sizeof err) == 0);
    CHECK(m.rows == 6 && m.indptr[1] - m.indptr[0] == 5 && m.indptr[2] - m.indptr[1] == 199999 % 7);
    CHECK(m.data[m.indptr[1]] == (float)(199999 * 0.5));
    uint32_t ids[3];
    CHECK(dataset_read_sample_ids(&ds, 10, 13, ids) == 0);
    CHECK(ids[0] == 1020 && ids[2] == 1024);
    int32_t fid[40];
    CHECK(dataset_read_feature_ids(&ds, fid) == 0 && fid[0] == 1 && fid[39] == 40);
    int64_t tp[6];
    int32_t *ti = NULL;
    int64_t tcap = 0;
    CHECK(dataset_read_targets(&ds, 4, 9, tp, &ti, &tcap) == 0);
    for (int64_t i = 0; i < 5; i++) CHECK(tp[i + 1] - tp[i] == tptr[4 + i + 1] - tptr[4 + i]);
    CHECK(ti[tp[1]] == tidx[tptr[5]]);
    CHECK(dataset_read_rows(&ds, 5, R + 1, &m, err, sizeof err) == -1);
    free(ti);
    dataset_close(&ds);

    /* not an HDF5 file */
    FILE *f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    CHECK(dataset_open(&ds, path, err, sizeof err) == -1);
    CHECK(strstr(err, "not an HDF5 file") != NULL);
    unlink(path);
    csr_free(&m);
    free(tptr);
    free(tidx);
    if (fails) { fprintf(stderr, "test_dataset: %d checks failed\n", fails); return 1; }
    printf("test_dataset: ok\n");
    return 0;
}
