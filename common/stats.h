/* stats.h: streaming summary statistics, shared by h5-stats, ae-encode and ae-recon-error, so
 * that every tool reports the same numbers in the same format.
 *
 * Each accumulator is fed in batches (init, add..., print, free) and never needs the whole
 * matrix: memory is O(columns) for dense_stats and csr_stats, O(rows) for the per-row counts
 * and for vec_stats (quantiles need the values).
 *
 *   dense_stats  a dense float matrix [R x C] given in row batches (latent codes): per column
 *                and overall mean, std (population, ddof 0), min, max and sparsity (fraction
 *                of values with |x| <= zero_tol). Non-finite values are counted apart and left
 *                out of the other statistics.
 *   vec_stats    a float vector [R] (reconstruction errors): count, mean, std, median, p90,
 *                p99, max. Quantiles interpolate linearly as numpy.percentile does.
 *   csr_stats    a CSR matrix [R x C] given in row blocks: nnz, density, non-zeros per row
 *                (min, median, mean, max), empty rows, row L2 norms (min, mean, max), value
 *                range, document frequency of every column (for the top-N list).
 *   target_stats topic lists (CSR over T topics) given in row blocks: documents per topic,
 *                topics per document (min, mean, max), documents with none.
 *
 * Output formats (stats_format_t):
 *   STATS_TEXT  aligned, human-readable lines.
 *   STATS_JSON  one JSON object (printed by the *_print functions, one line); the *_json
 *               functions return the same object (a jansson json_t *, new reference) for
 *               callers that nest it in a larger one, as h5-stats does.
 *   STATS_TSV   rows "dataset<TAB>statistic<TAB>item<TAB>value", one per column statistic,
 *               item "all" for overall values and "-" where there is none. The *_print
 *               functions print rows only; stats_tsv_header prints the header line once.
 *
 * Dimension legend: R rows, C columns, T topics.
 */
#ifndef AEKIT_STATS_H
#define AEKIT_STATS_H

#include <stdint.h>
#include <stdio.h>

struct json_t;   /* jansson's json_t */

typedef enum { STATS_TEXT, STATS_JSON, STATS_TSV } stats_format_t;

#define STATS_ZERO_TOL 1e-6

void stats_tsv_header(FILE *out);

/* ---- dense matrix, row batches (latent codes) ---- */
typedef struct {
    int64_t cols;        /* C */
    int64_t rows;        /* rows added so far */
    double zero_tol;
    int64_t *count;      /* [C] finite values seen */
    double *mean, *m2;   /* [C] running mean and sum of squared deviations (Chan et al.) */
    double *min, *max;   /* [C] */
    int64_t *zeros;      /* [C] values with |x| <= zero_tol */
    int64_t *nonfinite;  /* [C] NaN and infinities */
    double *bmean, *bm2; /* [C] scratch for one batch */
    int64_t *bcount;     /* [C] scratch */
} dense_stats_t;

void dense_stats_init(dense_stats_t *s, int64_t cols, double zero_tol);
/* x: [rows x C], row-major. */
void dense_stats_add(dense_stats_t *s, const float *x, int64_t rows);
/* name labels the report (e.g. "/codes"); out is any stream. */
void dense_stats_print(const dense_stats_t *s, const char *name, stats_format_t fmt, FILE *out);
struct json_t *dense_stats_json(const dense_stats_t *s);
void dense_stats_free(dense_stats_t *s);

/* ---- float vector (reconstruction errors) ---- */
typedef struct {
    int64_t n, cap;      /* values kept */
    float *v;            /* [n] finite values, sorted by vec_stats_print/json */
    int64_t nonfinite;
    double sum, min, max;
    int sorted;
} vec_stats_t;

void vec_stats_init(vec_stats_t *s);
void vec_stats_add(vec_stats_t *s, const float *x, int64_t n);
/* Quantile q in [0,1] of the finite values (sorts them on first use); NAN when empty. */
double vec_stats_quantile(vec_stats_t *s, double q);
void vec_stats_print(vec_stats_t *s, const char *name, stats_format_t fmt, FILE *out);
struct json_t *vec_stats_json(vec_stats_t *s);
void vec_stats_free(vec_stats_t *s);

/* ---- CSR matrix, row blocks ---- */
typedef struct {
    int64_t rows, cols;  /* R (rows added so far), C */
    int64_t nnz, cap_rows;
    int64_t *row_nnz;    /* [R] non-zeros of each row */
    int64_t *df;         /* [C] document frequency */
    int64_t empty_rows;
    double norm_min, norm_max, norm_sum;
    double val_min, val_max;
    int64_t nonfinite;
    int64_t bad_index;   /* column indices outside [0, C) (not counted in df) */
} csr_stats_t;

void csr_stats_init(csr_stats_t *s, int64_t cols);
/* A block of rows: indptr [rows+1] relative to the block (indptr[0] == 0), indices/data [nnz]. */
void csr_stats_add(csr_stats_t *s, int64_t rows, const int64_t *indptr, const int32_t *indices,
                   const float *data);
/* top: how many columns to list by document frequency (ties: lower column first);
 * feature_ids [C] original ids of the columns, or NULL for column+1. */
void csr_stats_print(csr_stats_t *s, const char *name, int top, const int32_t *feature_ids,
                     stats_format_t fmt, FILE *out);
struct json_t *csr_stats_json(csr_stats_t *s, int top, const int32_t *feature_ids);
/* The columns sorted by decreasing df, ties to the lower column; out [min(top, C)]. */
int64_t csr_stats_top(const csr_stats_t *s, int top, int64_t *out);
void csr_stats_free(csr_stats_t *s);

/* ---- topic lists ---- */
typedef struct {
    int64_t num_topics;  /* T */
    char **names;        /* [T] copied; NULL entries print as the index */
    int64_t *docs;       /* [T] documents per topic */
    int64_t rows, none, min, max, total;
    int64_t bad_index;   /* topic indices outside [0, T) */
} target_stats_t;

void target_stats_init(target_stats_t *s, int64_t num_topics, char *const *names);
/* tptr [rows+1] relative, tidx [tptr[rows]] */
void target_stats_add(target_stats_t *s, int64_t rows, const int64_t *tptr, const int32_t *tidx);
void target_stats_print(const target_stats_t *s, const char *name, stats_format_t fmt, FILE *out);
struct json_t *target_stats_json(const target_stats_t *s);
void target_stats_free(target_stats_t *s);

#endif
