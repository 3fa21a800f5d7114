/* dataset.h: the aekit dataset file (man/man5/aekit-dataset.5), read and written in chunks.
 *
 * Layout (the Python tool's rcv1_dataset.h5, plus versioned additions):
 *   /data      float32 [nnz]        CSR values (float64 accepted on read)
 *   /indices   int32   [nnz]        0-based columns, strictly increasing within a row
 *   /indptr    int64   [rows+1]     (int32 accepted on read)
 *   /targets   vlen int32 [rows]    topic indices into /target_names, ascending   (optional)
 *   /target_names  strings [T]      bytewise sorted                              (optional)
 *   /sample_id uint32  [rows]       document ids                                  (v1)
 *   /feature_ids int32 [cols]       original 1-based term id of each column       (v1)
 *   /labels    float32 [rows]       SVMlight labels (svm2h5 --labels)             (optional)
 *   attributes: shape, num_samples, num_features, num_target_categories, original_num_features,
 *               format="aekit-dataset", format_version=1, created_by, created_at  (v1)
 * A file without format="aekit-dataset" (made by the Python tool) reads as version 0.
 *
 * Dimension legend: R rows (documents), C columns (features), N non-zeros, T topics.
 */
#ifndef AEKIT_DATASET_H
#define AEKIT_DATASET_H

#include "h5util.h"

#include <hdf5.h>
#include <stdint.h>

#define DATASET_FORMAT "aekit-dataset"
#define DATASET_FORMAT_VERSION 1
#define DATASET_CHUNK 65536          /* elements per chunk of /data and /indices */

/* A block of CSR rows in memory. indptr is relative to the block (indptr[0] == 0). */
typedef struct {
    int64_t rows, cols, nnz;
    int64_t *indptr;      /* [rows+1] */
    int32_t *indices;     /* [nnz] */
    float *data;          /* [nnz] */
    int64_t cap_rows, cap_nnz;
} csr_t;

void csr_init(csr_t *m);
void csr_free(csr_t *m);
void csr_reserve(csr_t *m, int64_t rows, int64_t nnz);

typedef struct {
    char *path;
    hid_t file, d_data, d_indices;
    int64_t rows, cols, nnz;
    int format_version;          /* 0: Python tool's file; 1: aekit */
    int64_t original_num_features;
    int64_t *indptr;             /* [rows+1], read whole at open (8 bytes a row) */
    int has_targets, has_sample_id, has_feature_ids, has_labels;
    int64_t num_targets;         /* T */
    char **target_names;         /* [T], NUL-terminated */
} dataset_t;

/* Open for reading. On failure returns -1 with a one-line reason in err (no "prog:" prefix),
 * e.g. "x.h5: not an HDF5 file" or "x.h5: no CSR matrix (/data, /indices, /indptr)". */
int dataset_open(dataset_t *ds, const char *path, char *err, size_t errlen);
void dataset_close(dataset_t *ds);

/* Rows [r0, r1) into m (resized as needed). Returns 0, or -1 with err set. */
int dataset_read_rows(dataset_t *ds, int64_t r0, int64_t r1, csr_t *m, char *err, size_t errlen);
/* The rows listed (any order, repeats allowed) into m, in the order listed. */
int dataset_read_row_list(dataset_t *ds, const int64_t *rows, int64_t n, csr_t *m,
                          char *err, size_t errlen);
/* sample ids of rows [r0,r1); when the file has none (version 0), the row numbers. */
int dataset_read_sample_ids(dataset_t *ds, int64_t r0, int64_t r1, uint32_t *out);
/* feature_ids [C]; when absent, column+1. */
int dataset_read_feature_ids(dataset_t *ds, int32_t *out);
/* targets of rows [r0,r1) as CSR: tptr [r1-r0+1] (relative), tidx grows as needed. */
int dataset_read_targets(dataset_t *ds, int64_t r0, int64_t r1, int64_t *tptr,
                         int32_t **tidx, int64_t *tcap);

/* Streaming writer: rows are appended; the file is written under a temporary name and
 * renamed by dsw_finish, removed by dsw_abort (or at exit if neither was called). */
typedef struct dataset_writer dataset_writer_t;
dataset_writer_t *dsw_create(const char *final_path, int compress_level, char *err, size_t errlen);
/* One row: sorted 0-based column indices and values. */
int dsw_append_row(dataset_writer_t *w, uint32_t sample_id, const int32_t *idx, const float *val,
                   int64_t n);
int dsw_append_label(dataset_writer_t *w, float label);
/* Optional: targets for every row (CSR over topics) and names; call before dsw_finish. */
int dsw_write_targets(dataset_writer_t *w, char *const *names, int64_t num_names,
                      const int64_t *tptr, const int32_t *tidx);
/* feature_ids[C] optional (NULL: 1..C). created_by is "tool version: command line". Extra
 * root attributes (strings) are given as key/value pairs terminated by NULL. */
int dsw_finish(dataset_writer_t *w, int64_t cols, int64_t original_num_features,
               const int32_t *feature_ids, const char *created_by, char *err, size_t errlen);
void dsw_abort(dataset_writer_t *w);
int64_t dsw_rows(const dataset_writer_t *w);
int64_t dsw_nnz(const dataset_writer_t *w);
hid_t dsw_file(dataset_writer_t *w);   /* for callers that add their own attributes/datasets */

#endif
