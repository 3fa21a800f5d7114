/* test_svmlight.c: svm_parse_line on good lines and on every malformed case svm2h5 rejects. */
#include "svmlight.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails;

/* expect k (1 row, 0 blank, -1 error); for errors, err must contain msg */
static void expect(const char *line, svm_opts_t o, int k, const char *msg, int64_t n)
{
    char buf[512], err[256] = "";
    snprintf(buf, sizeof buf, "%s", line);
    svm_row_t row = {0};
    int64_t cap = 0;
    int got = svm_parse_line(buf, &o, &row, &cap, err, sizeof err);
    if (got != k || (msg && strcmp(err, msg) != 0) || (k == 1 && row.n != n)) {
        fprintf(stderr, "FAIL: '%s': got %d (n=%lld) err '%s'; expected %d '%s'\n", line, got,
                (long long)row.n, err, k, msg ? msg : "");
        fails++;
    }
    free(row.idx);
    free(row.val);
}

int main(int argc, char **argv)
{
    util_init(argc, argv, "test_svmlight");
    svm_opts_t lyrl = {0, 0, 0}, lab = {1, 0, 0}, zero = {0, 1, 0}, nf = {0, 0, 10};

    /* good lines */
    expect("2286  1:0.5 3:0.25 47236:1e-3", lyrl, 1, NULL, 3);
    expect("2286\t1:0.5   3:0.25\r", lyrl, 1, NULL, 2);
    expect("2286", lyrl, 1, NULL, 0);
    expect("", lyrl, 0, NULL, 0);
    expect("   # only a comment", lyrl, 0, NULL, 0);
    expect("-1 qid:3 1:2 4:5 # comment", lab, 1, NULL, 2);
    expect("+1.5 1:2", lab, 1, NULL, 1);
    expect("7 0:1 1:2", zero, 1, NULL, 2);
    expect("7 10:1", nf, 1, NULL, 1);

    /* every malformed case */
    expect("abc 1:0.5", lyrl, -1, "expected a document id, got 'abc'", 0);
    expect("4294967296 1:0.5", lyrl, -1, "expected a document id, got '4294967296'", 0);
    expect("x 1:0.5", lab, -1, "expected a numeric label, got 'x'", 0);
    expect("5 1:0.5 2", lyrl, -1, "malformed pair '2' (expected INDEX:VALUE)", 0);
    expect("5 1:", lyrl, -1, "malformed pair '1:' (expected INDEX:VALUE)", 0);
    expect("5 :3", lyrl, -1, "malformed pair ':3' (expected INDEX:VALUE)", 0);
    expect("5 a:3", lyrl, -1, "malformed pair 'a:3' (expected INDEX:VALUE)", 0);
    expect("5 -1:3", lyrl, -1, "malformed pair '-1:3' (expected INDEX:VALUE)", 0);
    expect("5 0:3", lyrl, -1, "feature id 0 in '0:3', but ids are 1-based (use --zero-based)", 0);
    expect("5 11:3", nf, -1, "feature id 11 out of range (--n-features 10)", 0);
    expect("5 99999999999:3", lyrl, -1, "feature id in '99999999999:3' out of range", 0);
    expect("5 3:1 2:1", lyrl, -1, "feature ids not increasing (2 after 3)", 0);
    expect("5 3:1 3:1", lyrl, -1, "feature ids not increasing (3 after 3)", 0);
    expect("5 3:nan", lyrl, -1, "non-finite value in '3:nan'", 0);
    expect("5 3:inf", lyrl, -1, "non-finite value in '3:inf'", 0);
    expect("5 3:1e99", lyrl, -1, "non-finite value in '3:1e99'", 0);
    expect("5 3:0.5x", lyrl, -1, "unparsable value in '3:0.5x'", 0);
    expect("5 3:abc", lyrl, -1, "unparsable value in '3:abc'", 0);
    expect("1 qid:x 1:2", lab, -1, "malformed qid 'qid:x'", 0);
    expect("5 qid:1 1:2", lyrl, -1, "malformed pair 'qid:1' (expected INDEX:VALUE)", 0);

    if (fails) { fprintf(stderr, "test_svmlight: %d failures\n", fails); return 1; }
    printf("test_svmlight: ok\n");
    return 0;
}
