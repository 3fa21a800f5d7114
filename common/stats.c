/* stats.c: streaming summary statistics and their text / JSON / TSV reports (see stats.h).
 *
 * Means and variances are merged batch by batch with Chan, Golub and LeVeque's pairwise
 * update in double precision, so a long stream of float32 values loses no accuracy to a
 * running sum of squares. Dimension legend: R rows, C columns, T topics.
 */
#include "stats.h"
#include "util.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* jansson refuses NaN and infinities: they become null. */
static json_t *jreal(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static void json_print_obj(json_t *o, FILE *out)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (!s) die("cannot format JSON output");
    fputs(s, out);
    fputc('\n', out);
    free(s);
    json_decref(o);
}

static void tsv_real(FILE *out, const char *name, const char *stat, const char *item, double v)
{
    fprintf(out, "%s\t%s\t%s\t%.9g\n", name, stat, item, v);
}

static void tsv_int(FILE *out, const char *name, const char *stat, const char *item, int64_t v)
{
    fprintf(out, "%s\t%s\t%s\t%lld\n", name, stat, item, (long long)v);
}

void stats_tsv_header(FILE *out)
{
    fputs("dataset\tstatistic\titem\tvalue\n", out);
}

/* Merge (nb, mb, m2b) into (na, ma, m2a). */
static void merge_moments(int64_t *na, double *ma, double *m2a, int64_t nb, double mb, double m2b)
{
    if (nb == 0) return;
    if (*na == 0) { *na = nb; *ma = mb; *m2a = m2b; return; }
    double n = (double)*na + (double)nb;
    double delta = mb - *ma;
    *ma += delta * (double)nb / n;
    *m2a += m2b + delta * delta * (double)*na * (double)nb / n;
    *na += nb;
}

/* ---------------------------------------------------------------- dense matrix */

void dense_stats_init(dense_stats_t *s, int64_t cols, double zero_tol)
{
    memset(s, 0, sizeof *s);
    s->cols = cols;
    s->zero_tol = zero_tol;
    size_t c = (size_t)(cols > 0 ? cols : 1);
    s->count = xcalloc(c, sizeof *s->count);
    s->mean = xcalloc(c, sizeof *s->mean);
    s->m2 = xcalloc(c, sizeof *s->m2);
    s->min = xmalloc(c * sizeof *s->min);
    s->max = xmalloc(c * sizeof *s->max);
    s->zeros = xcalloc(c, sizeof *s->zeros);
    s->nonfinite = xcalloc(c, sizeof *s->nonfinite);
    s->bmean = xmalloc(c * sizeof *s->bmean);
    s->bm2 = xmalloc(c * sizeof *s->bm2);
    s->bcount = xmalloc(c * sizeof *s->bcount);
    for (int64_t j = 0; j < cols; j++) { s->min[j] = INFINITY; s->max[j] = -INFINITY; }
}

void dense_stats_add(dense_stats_t *s, const float *x, int64_t rows)
{
    const int64_t C = s->cols;
    if (rows <= 0 || C <= 0) { if (rows > 0) s->rows += rows; return; }
    for (int64_t j = 0; j < C; j++) { s->bmean[j] = 0; s->bm2[j] = 0; s->bcount[j] = 0; }
    /* pass 1: sums, extremes, zeros */
    for (int64_t i = 0; i < rows; i++) {
        const float *r = x + i * C;
        for (int64_t j = 0; j < C; j++) {
            double v = r[j];
            if (!isfinite(v)) { s->nonfinite[j]++; continue; }
            s->bmean[j] += v;
            s->bcount[j]++;
            if (v < s->min[j]) s->min[j] = v;
            if (v > s->max[j]) s->max[j] = v;
            if (fabs(v) <= s->zero_tol) s->zeros[j]++;
        }
    }
    for (int64_t j = 0; j < C; j++)
        if (s->bcount[j]) s->bmean[j] /= (double)s->bcount[j];
    /* pass 2: squared deviations from the batch mean */
    for (int64_t i = 0; i < rows; i++) {
        const float *r = x + i * C;
        for (int64_t j = 0; j < C; j++) {
            double v = r[j];
            if (!isfinite(v)) continue;
            double d = v - s->bmean[j];
            s->bm2[j] += d * d;
        }
    }
    for (int64_t j = 0; j < C; j++)
        merge_moments(&s->count[j], &s->mean[j], &s->m2[j], s->bcount[j], s->bmean[j], s->bm2[j]);
    s->rows += rows;
}

typedef struct {
    double mean, std, min, max, sparsity;
    int64_t nonfinite;
} dense_col_t;

static dense_col_t dense_col(const dense_stats_t *s, int64_t j)
{
    dense_col_t c;
    int64_t n = s->count[j];
    c.mean = n ? s->mean[j] : NAN;
    c.std = n ? sqrt(s->m2[j] / (double)n) : NAN;
    c.min = n ? s->min[j] : NAN;
    c.max = n ? s->max[j] : NAN;
    c.sparsity = s->rows ? (double)s->zeros[j] / (double)s->rows : NAN;
    c.nonfinite = s->nonfinite[j];
    return c;
}

static dense_col_t dense_overall(const dense_stats_t *s)
{
    dense_col_t c;
    int64_t n = 0, zeros = 0, nonfinite = 0;
    double mean = 0, m2 = 0, mn = INFINITY, mx = -INFINITY;
    for (int64_t j = 0; j < s->cols; j++) {
        merge_moments(&n, &mean, &m2, s->count[j], s->mean[j], s->m2[j]);
        zeros += s->zeros[j];
        nonfinite += s->nonfinite[j];
        if (s->count[j]) {
            if (s->min[j] < mn) mn = s->min[j];
            if (s->max[j] > mx) mx = s->max[j];
        }
    }
    double total = (double)s->rows * (double)s->cols;
    c.mean = n ? mean : NAN;
    c.std = n ? sqrt(m2 / (double)n) : NAN;
    c.min = n ? mn : NAN;
    c.max = n ? mx : NAN;
    c.sparsity = total > 0 ? (double)zeros / total : NAN;
    c.nonfinite = nonfinite;
    return c;
}

static json_t *dense_col_json(dense_col_t c)
{
    json_t *o = json_object();
    json_object_set_new(o, "mean", jreal(c.mean));
    json_object_set_new(o, "std", jreal(c.std));
    json_object_set_new(o, "min", jreal(c.min));
    json_object_set_new(o, "max", jreal(c.max));
    json_object_set_new(o, "sparsity", jreal(c.sparsity));
    json_object_set_new(o, "nonfinite", json_integer(c.nonfinite));
    return o;
}

json_t *dense_stats_json(const dense_stats_t *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("dense"));
    json_object_set_new(o, "rows", json_integer(s->rows));
    json_object_set_new(o, "cols", json_integer(s->cols));
    json_object_set_new(o, "zero_tol", json_real(s->zero_tol));
    json_t *cols = json_array();
    for (int64_t j = 0; j < s->cols; j++) {
        json_t *c = dense_col_json(dense_col(s, j));
        json_object_set_new(c, "column", json_integer(j));
        json_array_append_new(cols, c);
    }
    json_object_set_new(o, "columns", cols);
    json_object_set_new(o, "overall", dense_col_json(dense_overall(s)));
    return o;
}

static void dense_tsv_col(FILE *out, const char *name, const char *item, dense_col_t c)
{
    tsv_real(out, name, "mean", item, c.mean);
    tsv_real(out, name, "std", item, c.std);
    tsv_real(out, name, "min", item, c.min);
    tsv_real(out, name, "max", item, c.max);
    tsv_real(out, name, "sparsity", item, c.sparsity);
}

static void dense_text_col(FILE *out, const char *item, dense_col_t c)
{
    fprintf(out, "  %8s %13.6g %13.6g %13.6g %13.6g %9.6f\n", item, c.mean, c.std, c.min, c.max,
            c.sparsity);
}

void dense_stats_print(const dense_stats_t *s, const char *name, stats_format_t fmt, FILE *out)
{
    char item[32];
    dense_col_t all = dense_overall(s);
    switch (fmt) {
    case STATS_JSON:
        json_print_obj(dense_stats_json(s), out);
        break;
    case STATS_TSV:
        tsv_int(out, name, "rows", "-", s->rows);
        tsv_int(out, name, "cols", "-", s->cols);
        tsv_real(out, name, "zero_tol", "-", s->zero_tol);
        for (int64_t j = 0; j < s->cols; j++) {
            snprintf(item, sizeof item, "%lld", (long long)j);
            dense_tsv_col(out, name, item, dense_col(s, j));
        }
        dense_tsv_col(out, name, "all", all);
        tsv_int(out, name, "nonfinite", "all", all.nonfinite);
        break;
    case STATS_TEXT:
        fprintf(out, "%s: dense %lld x %lld, sparsity = fraction with |x| <= %g\n", name,
                (long long)s->rows, (long long)s->cols, s->zero_tol);
        fprintf(out, "  %8s %13s %13s %13s %13s %9s\n", "column", "mean", "std", "min", "max",
                "sparsity");
        for (int64_t j = 0; j < s->cols; j++) {
            snprintf(item, sizeof item, "%lld", (long long)j);
            dense_text_col(out, item, dense_col(s, j));
        }
        dense_text_col(out, "all", all);
        if (all.nonfinite)
            fprintf(out, "  non-finite values (left out): %lld\n", (long long)all.nonfinite);
        break;
    }
}

void dense_stats_free(dense_stats_t *s)
{
    free(s->count); free(s->mean); free(s->m2); free(s->min); free(s->max);
    free(s->zeros); free(s->nonfinite); free(s->bmean); free(s->bm2); free(s->bcount);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- float vector */

void vec_stats_init(vec_stats_t *s)
{
    memset(s, 0, sizeof *s);
    s->min = INFINITY;
    s->max = -INFINITY;
}

void vec_stats_add(vec_stats_t *s, const float *x, int64_t n)
{
    if (s->n + n > s->cap) {
        s->cap = s->cap ? s->cap : 1024;
        while (s->cap < s->n + n) s->cap *= 2;
        s->v = xrealloc(s->v, (size_t)s->cap * sizeof *s->v);
    }
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v)) { s->nonfinite++; continue; }
        s->v[s->n++] = x[i];
        s->sum += v;
        if (v < s->min) s->min = v;
        if (v > s->max) s->max = v;
    }
    s->sorted = 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double vec_stats_quantile(vec_stats_t *s, double q)
{
    if (s->n == 0) return NAN;
    if (!s->sorted) {
        qsort(s->v, (size_t)s->n, sizeof *s->v, cmp_float);
        s->sorted = 1;
    }
    double pos = q * (double)(s->n - 1);
    int64_t lo = (int64_t)floor(pos);
    if (lo >= s->n - 1) return s->v[s->n - 1];
    double frac = pos - (double)lo;
    return (double)s->v[lo] + frac * ((double)s->v[lo + 1] - (double)s->v[lo]);
}

typedef struct {
    double mean, std, min, median, p90, p99, max;
} vec_summary_t;

static vec_summary_t vec_summary(vec_stats_t *s)
{
    vec_summary_t r;
    if (s->n == 0) {
        r.mean = r.std = r.min = r.median = r.p90 = r.p99 = r.max = NAN;
        return r;
    }
    r.mean = s->sum / (double)s->n;
    double m2 = 0;
    for (int64_t i = 0; i < s->n; i++) {
        double d = s->v[i] - r.mean;
        m2 += d * d;
    }
    r.std = sqrt(m2 / (double)s->n);
    r.min = s->min;
    r.max = s->max;
    r.median = vec_stats_quantile(s, 0.5);
    r.p90 = vec_stats_quantile(s, 0.9);
    r.p99 = vec_stats_quantile(s, 0.99);
    return r;
}

json_t *vec_stats_json(vec_stats_t *s)
{
    vec_summary_t r = vec_summary(s);
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("vector"));
    json_object_set_new(o, "count", json_integer(s->n));
    json_object_set_new(o, "nonfinite", json_integer(s->nonfinite));
    json_object_set_new(o, "mean", jreal(r.mean));
    json_object_set_new(o, "std", jreal(r.std));
    json_object_set_new(o, "min", jreal(r.min));
    json_object_set_new(o, "median", jreal(r.median));
    json_object_set_new(o, "p90", jreal(r.p90));
    json_object_set_new(o, "p99", jreal(r.p99));
    json_object_set_new(o, "max", jreal(r.max));
    return o;
}

void vec_stats_print(vec_stats_t *s, const char *name, stats_format_t fmt, FILE *out)
{
    vec_summary_t r;
    switch (fmt) {
    case STATS_JSON:
        json_print_obj(vec_stats_json(s), out);
        break;
    case STATS_TSV:
        r = vec_summary(s);
        tsv_int(out, name, "count", "-", s->n);
        tsv_int(out, name, "nonfinite", "-", s->nonfinite);
        tsv_real(out, name, "mean", "-", r.mean);
        tsv_real(out, name, "std", "-", r.std);
        tsv_real(out, name, "min", "-", r.min);
        tsv_real(out, name, "median", "-", r.median);
        tsv_real(out, name, "p90", "-", r.p90);
        tsv_real(out, name, "p99", "-", r.p99);
        tsv_real(out, name, "max", "-", r.max);
        break;
    case STATS_TEXT:
        r = vec_summary(s);
        fprintf(out, "%s: vector of %lld values\n", name, (long long)(s->n + s->nonfinite));
        fprintf(out, "  %-8s %13.6g\n", "mean", r.mean);
        fprintf(out, "  %-8s %13.6g\n", "std", r.std);
        fprintf(out, "  %-8s %13.6g\n", "min", r.min);
        fprintf(out, "  %-8s %13.6g\n", "median", r.median);
        fprintf(out, "  %-8s %13.6g\n", "p90", r.p90);
        fprintf(out, "  %-8s %13.6g\n", "p99", r.p99);
        fprintf(out, "  %-8s %13.6g\n", "max", r.max);
        if (s->nonfinite)
            fprintf(out, "  non-finite values (left out): %lld\n", (long long)s->nonfinite);
        break;
    }
}

void vec_stats_free(vec_stats_t *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- CSR matrix */

void csr_stats_init(csr_stats_t *s, int64_t cols)
{
    memset(s, 0, sizeof *s);
    s->cols = cols;
    s->df = xcalloc((size_t)(cols > 0 ? cols : 1), sizeof *s->df);
    s->norm_min = s->val_min = INFINITY;
    s->norm_max = s->val_max = -INFINITY;
}

void csr_stats_add(csr_stats_t *s, int64_t rows, const int64_t *indptr, const int32_t *indices,
                   const float *data)
{
    if (s->rows + rows > s->cap_rows) {
        s->cap_rows = s->cap_rows ? s->cap_rows : 1024;
        while (s->cap_rows < s->rows + rows) s->cap_rows *= 2;
        s->row_nnz = xrealloc(s->row_nnz, (size_t)s->cap_rows * sizeof *s->row_nnz);
    }
    for (int64_t i = 0; i < rows; i++) {
        int64_t a = indptr[i], b = indptr[i + 1];
        double ss = 0;
        for (int64_t k = a; k < b; k++) {
            double v = data[k];
            int32_t c = indices[k];
            if (c >= 0 && c < s->cols) s->df[c]++;
            else s->bad_index++;
            if (!isfinite(v)) { s->nonfinite++; continue; }
            ss += v * v;
            if (v < s->val_min) s->val_min = v;
            if (v > s->val_max) s->val_max = v;
        }
        double norm = sqrt(ss);
        if (norm < s->norm_min) s->norm_min = norm;
        if (norm > s->norm_max) s->norm_max = norm;
        s->norm_sum += norm;
        s->row_nnz[s->rows + i] = b - a;
        if (b == a) s->empty_rows++;
        s->nnz += b - a;
    }
    s->rows += rows;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double density, nnz_mean, nnz_median, norm_mean;
    int64_t nnz_min, nnz_max;
} csr_summary_t;

static csr_summary_t csr_summary(const csr_stats_t *s)
{
    csr_summary_t r = {NAN, NAN, NAN, NAN, 0, 0};
    double cells = (double)s->rows * (double)s->cols;
    if (cells > 0) r.density = (double)s->nnz / cells;
    if (s->rows == 0) return r;
    int64_t *tmp = xmalloc((size_t)s->rows * sizeof *tmp);
    memcpy(tmp, s->row_nnz, (size_t)s->rows * sizeof *tmp);
    qsort(tmp, (size_t)s->rows, sizeof *tmp, cmp_i64);
    r.nnz_min = tmp[0];
    r.nnz_max = tmp[s->rows - 1];
    int64_t h = s->rows / 2;
    r.nnz_median = s->rows % 2 ? (double)tmp[h] : 0.5 * ((double)tmp[h - 1] + (double)tmp[h]);
    free(tmp);
    r.nnz_mean = (double)s->nnz / (double)s->rows;
    r.norm_mean = s->norm_sum / (double)s->rows;
    return r;
}

int64_t csr_stats_top(const csr_stats_t *s, int top, int64_t *out)
{
    /* Selection by insertion into a sorted list of at most `top` entries: O(C * top) worst
     * case but O(C) in practice, since few columns beat the current last entry. */
    int64_t n = 0;
    if (top <= 0) return 0;
    for (int64_t c = 0; c < s->cols; c++) {
        int64_t d = s->df[c];
        if (n == top && d <= s->df[out[n - 1]]) continue;   /* ties keep the lower column */
        int64_t pos = n < top ? n : top - 1;
        while (pos > 0 && s->df[out[pos - 1]] < d) {
            out[pos] = out[pos - 1];
            pos--;
        }
        out[pos] = c;
        if (n < top) n++;
    }
    return n;
}

json_t *csr_stats_json(csr_stats_t *s, int top, const int32_t *feature_ids)
{
    csr_summary_t r = csr_summary(s);
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("csr"));
    json_object_set_new(o, "rows", json_integer(s->rows));
    json_object_set_new(o, "cols", json_integer(s->cols));
    json_object_set_new(o, "nnz", json_integer(s->nnz));
    json_object_set_new(o, "density", jreal(r.density));
    json_t *npr = json_object();
    json_object_set_new(npr, "min", json_integer(r.nnz_min));
    json_object_set_new(npr, "median", jreal(r.nnz_median));
    json_object_set_new(npr, "mean", jreal(r.nnz_mean));
    json_object_set_new(npr, "max", json_integer(r.nnz_max));
    json_object_set_new(o, "nnz_per_row", npr);
    json_object_set_new(o, "empty_rows", json_integer(s->empty_rows));
    json_t *rn = json_object();
    json_object_set_new(rn, "min", jreal(s->rows ? s->norm_min : NAN));
    json_object_set_new(rn, "mean", jreal(r.norm_mean));
    json_object_set_new(rn, "max", jreal(s->rows ? s->norm_max : NAN));
    json_object_set_new(o, "row_norm", rn);
    json_t *vr = json_object();
    json_object_set_new(vr, "min", jreal(s->val_min));
    json_object_set_new(vr, "max", jreal(s->val_max));
    json_object_set_new(o, "values", vr);
    json_object_set_new(o, "nonfinite", json_integer(s->nonfinite));
    json_object_set_new(o, "bad_indices", json_integer(s->bad_index));
    int64_t *tops = xmalloc((size_t)(top > 0 ? top : 1) * sizeof *tops);
    int64_t nt = csr_stats_top(s, top, tops);
    json_t *ta = json_array();
    for (int64_t i = 0; i < nt; i++) {
        json_t *t = json_object();
        int64_t c = tops[i];
        json_object_set_new(t, "rank", json_integer(i + 1));
        json_object_set_new(t, "column", json_integer(c));
        json_object_set_new(t, "feature_id", json_integer(feature_ids ? feature_ids[c] : c + 1));
        json_object_set_new(t, "df", json_integer(s->df[c]));
        json_array_append_new(ta, t);
    }
    free(tops);
    json_object_set_new(o, "top_columns", ta);
    return o;
}

void csr_stats_print(csr_stats_t *s, const char *name, int top, const int32_t *feature_ids,
                     stats_format_t fmt, FILE *out)
{
    if (fmt == STATS_JSON) {
        json_print_obj(csr_stats_json(s, top, feature_ids), out);
        return;
    }
    csr_summary_t r = csr_summary(s);
    double nmin = s->rows ? s->norm_min : NAN, nmax = s->rows ? s->norm_max : NAN;
    double vmin = isfinite(s->val_min) ? s->val_min : NAN;
    double vmax = isfinite(s->val_max) ? s->val_max : NAN;
    int64_t *tops = xmalloc((size_t)(top > 0 ? top : 1) * sizeof *tops);
    int64_t nt = csr_stats_top(s, top, tops);
    char item[32];
    if (fmt == STATS_TSV) {
        tsv_int(out, name, "rows", "-", s->rows);
        tsv_int(out, name, "cols", "-", s->cols);
        tsv_int(out, name, "nnz", "-", s->nnz);
        tsv_real(out, name, "density", "-", r.density);
        tsv_int(out, name, "nnz_per_row", "min", r.nnz_min);
        tsv_real(out, name, "nnz_per_row", "median", r.nnz_median);
        tsv_real(out, name, "nnz_per_row", "mean", r.nnz_mean);
        tsv_int(out, name, "nnz_per_row", "max", r.nnz_max);
        tsv_int(out, name, "empty_rows", "-", s->empty_rows);
        tsv_real(out, name, "row_norm", "min", nmin);
        tsv_real(out, name, "row_norm", "mean", r.norm_mean);
        tsv_real(out, name, "row_norm", "max", nmax);
        tsv_real(out, name, "values", "min", vmin);
        tsv_real(out, name, "values", "max", vmax);
        tsv_int(out, name, "nonfinite", "-", s->nonfinite);
        tsv_int(out, name, "bad_indices", "-", s->bad_index);
        for (int64_t i = 0; i < nt; i++) {
            int64_t c = tops[i];
            snprintf(item, sizeof item, "%lld", (long long)c);
            tsv_int(out, name, "df", item, s->df[c]);
            tsv_int(out, name, "feature_id", item, feature_ids ? feature_ids[c] : c + 1);
        }
    } else {
        fprintf(out, "%s: CSR matrix %lld x %lld\n", name, (long long)s->rows, (long long)s->cols);
        fprintf(out, "  %-16s %lld\n", "nnz", (long long)s->nnz);
        fprintf(out, "  %-16s %.6g\n", "density", r.density);
        fprintf(out, "  %-16s min %lld  median %.6g  mean %.6g  max %lld\n", "nnz per row",
                (long long)r.nnz_min, r.nnz_median, r.nnz_mean, (long long)r.nnz_max);
        fprintf(out, "  %-16s %lld\n", "empty rows", (long long)s->empty_rows);
        fprintf(out, "  %-16s min %.6g  mean %.6g  max %.6g\n", "row L2 norm", nmin, r.norm_mean,
                nmax);
        fprintf(out, "  %-16s min %.6g  max %.6g\n", "values", vmin, vmax);
        if (s->nonfinite)
            fprintf(out, "  %-16s %lld\n", "non-finite", (long long)s->nonfinite);
        if (s->bad_index)
            fprintf(out, "  %-16s %lld\n", "bad indices", (long long)s->bad_index);
        if (nt > 0) {
            fprintf(out, "  top %lld columns by document frequency:\n", (long long)nt);
            fprintf(out, "  %6s %8s %10s %10s %9s\n", "rank", "column", "feature_id", "df",
                    "fraction");
            for (int64_t i = 0; i < nt; i++) {
                int64_t c = tops[i];
                fprintf(out, "  %6lld %8lld %10lld %10lld %9.6f\n", (long long)(i + 1),
                        (long long)c, (long long)(feature_ids ? feature_ids[c] : c + 1),
                        (long long)s->df[c], s->rows ? (double)s->df[c] / (double)s->rows : NAN);
            }
        }
    }
    free(tops);
}

void csr_stats_free(csr_stats_t *s)
{
    free(s->row_nnz);
    free(s->df);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- topic lists */

void target_stats_init(target_stats_t *s, int64_t num_topics, char *const *names)
{
    memset(s, 0, sizeof *s);
    s->num_topics = num_topics;
    size_t t = (size_t)(num_topics > 0 ? num_topics : 1);
    s->docs = xcalloc(t, sizeof *s->docs);
    s->names = xcalloc(t, sizeof *s->names);
    for (int64_t i = 0; i < num_topics; i++)
        if (names && names[i]) s->names[i] = xstrdup(names[i]);
    s->min = INT64_MAX;
}

void target_stats_add(target_stats_t *s, int64_t rows, const int64_t *tptr, const int32_t *tidx)
{
    for (int64_t i = 0; i < rows; i++) {
        int64_t n = tptr[i + 1] - tptr[i];
        for (int64_t k = tptr[i]; k < tptr[i + 1]; k++) {
            int32_t t = tidx[k];
            if (t >= 0 && t < s->num_topics) s->docs[t]++;
            else s->bad_index++;
        }
        if (n == 0) s->none++;
        if (n < s->min) s->min = n;
        if (n > s->max) s->max = n;
        s->total += n;
    }
    s->rows += rows;
}

static const char *topic_name(const target_stats_t *s, int64_t t, char *buf, size_t n)
{
    if (s->names[t]) return s->names[t];
    snprintf(buf, n, "%lld", (long long)t);
    return buf;
}

json_t *target_stats_json(const target_stats_t *s)
{
    char buf[32];
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("targets"));
    json_object_set_new(o, "rows", json_integer(s->rows));
    json_object_set_new(o, "num_topics", json_integer(s->num_topics));
    json_object_set_new(o, "nnz", json_integer(s->total));
    json_t *tpd = json_object();
    json_object_set_new(tpd, "min", json_integer(s->rows ? s->min : 0));
    json_object_set_new(tpd, "mean", jreal(s->rows ? (double)s->total / (double)s->rows : NAN));
    json_object_set_new(tpd, "max", json_integer(s->max));
    json_object_set_new(o, "topics_per_document", tpd);
    json_object_set_new(o, "documents_without_topic", json_integer(s->none));
    json_object_set_new(o, "bad_indices", json_integer(s->bad_index));
    json_t *dpt = json_array();
    for (int64_t t = 0; t < s->num_topics; t++) {
        json_t *e = json_object();
        json_object_set_new(e, "topic", json_string(topic_name(s, t, buf, sizeof buf)));
        json_object_set_new(e, "documents", json_integer(s->docs[t]));
        json_array_append_new(dpt, e);
    }
    json_object_set_new(o, "documents_per_topic", dpt);
    return o;
}

void target_stats_print(const target_stats_t *s, const char *name, stats_format_t fmt, FILE *out)
{
    char buf[32];
    int64_t mn = s->rows ? s->min : 0;
    double mean = s->rows ? (double)s->total / (double)s->rows : NAN;
    switch (fmt) {
    case STATS_JSON:
        json_print_obj(target_stats_json(s), out);
        break;
    case STATS_TSV:
        tsv_int(out, name, "rows", "-", s->rows);
        tsv_int(out, name, "num_topics", "-", s->num_topics);
        tsv_int(out, name, "nnz", "-", s->total);
        tsv_int(out, name, "topics_per_document", "min", mn);
        tsv_real(out, name, "topics_per_document", "mean", mean);
        tsv_int(out, name, "topics_per_document", "max", s->max);
        tsv_int(out, name, "documents_without_topic", "-", s->none);
        tsv_int(out, name, "bad_indices", "-", s->bad_index);
        for (int64_t t = 0; t < s->num_topics; t++)
            tsv_int(out, name, "documents", topic_name(s, t, buf, sizeof buf), s->docs[t]);
        break;
    case STATS_TEXT:
        fprintf(out, "%s: %lld topics over %lld documents, %lld assignments\n", name,
                (long long)s->num_topics, (long long)s->rows, (long long)s->total);
        fprintf(out, "  %-24s min %lld  mean %.6g  max %lld\n", "topics per document",
                (long long)mn, mean, (long long)s->max);
        fprintf(out, "  %-24s %lld\n", "documents with none", (long long)s->none);
        if (s->bad_index)
            fprintf(out, "  %-24s %lld\n", "bad topic indices", (long long)s->bad_index);
        fprintf(out, "  documents per topic:\n");
        for (int64_t t = 0; t < s->num_topics; t++)
            fprintf(out, "    %-10s %10lld\n", topic_name(s, t, buf, sizeof buf),
                    (long long)s->docs[t]);
        break;
    }
}

void target_stats_free(target_stats_t *s)
{
    for (int64_t i = 0; i < s->num_topics; i++) free(s->names[i]);
    free(s->names);
    free(s->docs);
    memset(s, 0, sizeof *s);
}
