/* topk.h: keep the K highest-scoring columns of an aekit dataset (h5-topk-features).
 *
 * Two streaming passes over the CSR matrix in row blocks: the first scores every column
 * (sum of values, or document frequency), the second writes the kept columns, renumbered
 * 0..K-1 in ascending original order, with the values unchanged. Memory is O(C + one block)
 * (plus the O(R) row pointers the reader and writer keep), never O(nnz).
 * Dimension legend: R rows, C columns, K kept columns.
 */
#ifndef AEKIT_TOPK_H
#define AEKIT_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"

typedef enum { TOPK_SUM, TOPK_DF } topk_by_t;

const char *topk_by_name(topk_by_t by);   /* "sum", "df" */

/* score [C]: the column sums (double accumulation) or document frequencies of ds.
 * Returns 0, or -1 with err set. */
int topk_scores(dataset_t *ds, topk_by_t by, double *score, char *err, size_t errlen);

/* The k best columns of score [C] (larger first, ties to the lower column), written to
 * kept [min(k, C)] in ascending column order. Returns min(k, C). */
int64_t topk_select(const double *score, int64_t C, int64_t k, int64_t *kept);

typedef struct {
    int compress;        /* deflate level of the output, 0 = none */
    int quiet;           /* no progress */
    topk_by_t by;
    int64_t k;           /* as requested (recorded in the "k" attribute) */
} topk_opts_t;

/* Write ds restricted to kept [K] (ascending) to out_path atomically: the CSR matrix,
 * /sample_id, /feature_ids (the input's ids of the kept columns), every other root dataset
 * or group copied unchanged (/targets, /target_names, /labels, ...), the input's root
 * attributes, updated shape/num_features/original_num_features, criterion, k, created_by,
 * created_at. Returns 0, or -1 with err set (nothing is left under out_path). */
int topk_write(dataset_t *ds, const int64_t *kept, int64_t K, const char *out_path,
               const topk_opts_t *o, char *err, size_t errlen);

#endif
