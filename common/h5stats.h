/* h5stats.h: the report of h5-stats: walk an HDF5 file, list every dataset (shape, type,
 * chunking, compression), then read each kind of dataset in chunks and feed the accumulators
 * of stats.h:
 *   /data + /indices + /indptr   the CSR matrix (through dataset.h)
 *   /targets (+ /target_names)   topic lists
 *   any other 2-D float dataset  dense statistics per column (latent codes)
 *   any other 1-D float dataset  vector statistics (reconstruction errors)
 * Memory: O(rows + columns + one chunk), never O(nnz).
 */
#ifndef AEKIT_H5STATS_H
#define AEKIT_H5STATS_H

#include <stdio.h>

#include "stats.h"

typedef struct {
    stats_format_t fmt;
    int top;             /* columns listed by document frequency */
    double zero_tol;     /* dense sparsity threshold */
} h5stats_opts_t;

/* Prints the report of path on out. names[n] restricts it to those datasets (a leading '/'
 * is optional); n == 0 means all. Errors exit through die(): "prog: path: why". */
void h5stats_report(const char *path, char *const *names, int n, const h5stats_opts_t *o,
                    FILE *out);

#endif
