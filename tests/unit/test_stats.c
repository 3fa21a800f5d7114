/* Unit test for common/stats.c and topk_select: the streaming accumulators fed in uneven
 * batches must agree with direct two-pass computations over the whole data, and the top-N
 * selections must break ties toward the lower column. Exits 1 on the first mismatch. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "topk.h"
#include "util.h"

static int failures;

static void near(double got, double want, double tol, const char *what, long i)
{
    if (!(fabs(got - want) <= tol * (1 + fabs(want)))) {
        fprintf(stderr, "FAIL %s[%ld]: got %.17g want %.17g\n", what, i, got, want);
        failures++;
    }
}

static void eq(long got, long want, const char *what)
{
    if (got != want) {
        fprintf(stderr, "FAIL %s: got %ld want %ld\n", what, got, want);
        failures++;
    }
}

static double urand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffffff) / (double)0x1000000;
}

static void test_dense(void)
{
    enum { R = 1003, C = 7 };
    static float x[R * C];
    unsigned seed = 42;
    for (int i = 0; i < R * C; i++) {
        double u = urand(&seed);
        x[i] = u < 0.3 ? 0.0f : (float)(1000.0 + 10 * u);   /* large offset: tests stability */
        if (i % C == 3) x[i] = (float)(u - 0.5) * 1e-7f;      /* all below the tolerance */
    }
    dense_stats_t s;
    dense_stats_init(&s, C, 1e-6);
    int batches[] = {1, 500, 2, 0, 300, 200};
    int at = 0;
    for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
        dense_stats_add(&s, x + (size_t)at * C, batches[b]);
        at += batches[b];
    }
    eq(at, R, "batches cover the rows");
    eq(s.rows, R, "dense rows");
    json_decref(dense_stats_json(&s));   /* exercised for leaks under asan */
    for (int c = 0; c < C; c++) {
        double sum = 0, mn = INFINITY, mx = -INFINITY, m2 = 0;
        long zeros = 0;
        for (int i = 0; i < R; i++) {
            double v = x[i * C + c];
            sum += v;
            mn = fmin(mn, v);
            mx = fmax(mx, v);
            zeros += fabs(v) <= 1e-6;
        }
        double mean = sum / R;
        for (int i = 0; i < R; i++) m2 += (x[i * C + c] - mean) * (x[i * C + c] - mean);
        near(s.mean[c], mean, 1e-12, "dense mean", c);
        near(sqrt(s.m2[c] / s.count[c]), sqrt(m2 / R), 1e-9, "dense std", c);
        near(s.min[c], mn, 0, "dense min", c);
        near(s.max[c], mx, 0, "dense max", c);
        eq(s.zeros[c], zeros, "dense zeros");
    }
    dense_stats_free(&s);
}

static void test_vec(void)
{
    float v[] = {5, 1, 4, 2, 3, NAN, 10};
    vec_stats_t s;
    vec_stats_init(&s);
    vec_stats_add(&s, v, 3);
    vec_stats_add(&s, v + 3, 4);
    eq(s.n, 6, "vec finite count");
    eq(s.nonfinite, 1, "vec nonfinite");
    /* sorted 1 2 3 4 5 10: numpy.percentile linear interpolation */
    near(vec_stats_quantile(&s, 0.5), 3.5, 0, "median", 0);
    near(vec_stats_quantile(&s, 0.9), 5 + 0.5 * 5, 1e-12, "p90", 0);
    near(vec_stats_quantile(&s, 0.99), 5 + 0.95 * 5, 1e-12, "p99", 0);
    near(vec_stats_quantile(&s, 1.0), 10, 0, "max", 0);
    vec_stats_free(&s);
}

static void test_csr_top(void)
{
    /* 3 rows over 6 columns; df = {1, 2, 0, 2, 3, 1}, then {1, 2, 0, 2, 3, 2} */
    int64_t indptr[] = {0, 4, 6, 9};
    int32_t indices[] = {0, 1, 3, 4, 4, 5, 1, 3, 4};
    float data[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    int32_t idx2[] = {5};
    int64_t ptr2[] = {0, 0, 1};
    csr_stats_t s;
    csr_stats_init(&s, 6);
    csr_stats_add(&s, 3, indptr, indices, data);
    csr_stats_add(&s, 2, ptr2, idx2, data);      /* an empty row and one more for column 5 */
    int64_t top[6];
    eq(csr_stats_top(&s, 4, top), 4, "top count");
    long want[] = {4, 1, 3, 5};                   /* df 3, then the ties at 2 by column */
    for (int i = 0; i < 4; i++) eq(top[i], want[i], "top order");
    eq(s.empty_rows, 1, "empty rows");
    eq(s.nnz, 10, "csr nnz");
    csr_stats_free(&s);

    double score[] = {1, 2, 0, 2, 3, 2};
    int64_t kept[6];
    eq(topk_select(score, 6, 3, kept), 3, "topk count");
    long wk[] = {1, 3, 4};                         /* 4, then ties 1, 3 (5 loses) */
    for (int i = 0; i < 3; i++) eq(kept[i], wk[i], "topk kept");
    eq(topk_select(score, 6, 10, kept), 6, "topk all");
}

static void test_targets(void)
{
    char *names[] = {"A", "B", "C"};
    int64_t tptr[] = {0, 2, 2, 5};
    int32_t tidx[] = {0, 2, 0, 1, 2};
    target_stats_t s;
    target_stats_init(&s, 3, names);
    target_stats_add(&s, 3, tptr, tidx);
    eq(s.docs[0], 2, "topic A");
    eq(s.docs[1], 1, "topic B");
    eq(s.docs[2], 2, "topic C");
    eq(s.none, 1, "documents without topic");
    eq(s.min, 0, "min topics");
    eq(s.max, 3, "max topics");
    target_stats_free(&s);
}

int main(int argc, char **argv)
{
    util_init(argc, argv, "stats");
    test_dense();
    test_vec();
    test_csr_top();
    test_targets();
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("stats: ok\n");
    return 0;
}
