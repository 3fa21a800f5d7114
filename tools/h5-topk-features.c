/* h5-topk-features: keep the N columns of an aekit dataset with the largest column sum or
 * document frequency. Options only; the work is common/topk.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "topk.h"
#include "util.h"

static const char *usage_line =
    "h5-topk-features -k N [--by sum|df] [-o OUT.h5] [--compress L] [-q] IN.h5";

static void help(void)
{
    printf("usage: %s\n\n"
           "Keep the N columns of IN.h5 with the largest score, in ascending original order,\n"
           "values unchanged; /feature_ids records the original ids, other datasets are copied.\n\n"
           "  -k N            columns to keep (N >= 1)\n"
           "  --by sum|df     score: column sum of the values (default) or document frequency\n"
           "  -o OUT.h5       output (default: IN with .h5 replaced by .topN.h5)\n"
           "  --compress L    deflate level of the output, 0 = none (default 4)\n"
           "  -q, --quiet     no progress or summary on stderr\n"
           "  -h, --help      this help\n",
           usage_line);
}

/* "dir/x.h5" -> "dir/x.top2000.h5" */
static char *default_output(const char *in, long k)
{
    size_t n = strlen(in);
    size_t stem = n > 3 && !strcmp(in + n - 3, ".h5") ? n - 3 : n;
    char *out = xmalloc(stem + 32);
    snprintf(out, stem + 32, "%.*s.top%ld.h5", (int)stem, in, k);
    return out;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"by", required_argument, NULL, 'b'},
        {"output", required_argument, NULL, 'o'},
        {"compress", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    util_init(argc, argv, usage_line);
    topk_opts_t o = {4, 0, TOPK_SUM, 0};
    const char *out = NULL;
    long k = -1;
    int c;
    while ((c = getopt_long(argc, argv, ":k:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'k': k = parse_long(optarg, 1, INT32_MAX, "-k"); break;
        case 'b':
            if (!strcmp(optarg, "sum")) o.by = TOPK_SUM;
            else if (!strcmp(optarg, "df")) o.by = TOPK_DF;
            else usage_fail("--by: '%s' is not sum or df", optarg);
            break;
        case 'o': out = optarg; break;
        case 'c': o.compress = (int)parse_long(optarg, 0, 9, "--compress"); break;
        case 'q': o.quiet = 1; break;
        case 'h': help(); fshut(stdout, "standard output"); return 0;
        default: usage_bad_option(c, argv);
        }
    }
    if (k < 0) usage_fail("-k N is required");
    if (optind >= argc) usage_fail("no input file");
    if (argc - optind > 1) usage_fail("one input file expected, got %d", argc - optind);
    const char *in = argv[optind];
    char *outbuf = out ? NULL : default_output(in, k);
    if (!out) out = outbuf;
    o.k = k;

    char err[1024];
    dataset_t ds;
    h5_quiet();
    if (dataset_open(&ds, in, err, sizeof err) < 0) die("%s", err);
    int64_t C = ds.cols;
    if (k >= C)
        warnmsg("-k %ld is not below the %lld columns of %s: keeping every column", k,
                (long long)C, in);
    double *score = xmalloc((size_t)(C + 1) * sizeof *score);     /* [C] */
    int64_t *kept = xmalloc((size_t)(C + 1) * sizeof *kept);      /* [K] */
    if (topk_scores(&ds, o.by, score, err, sizeof err) < 0) die("%s", err);
    int64_t K = topk_select(score, C, k, kept);
    if (topk_write(&ds, kept, K, out, &o, err, sizeof err) < 0) die("%s", err);
    if (!o.quiet)
        fprintf(stderr, "%s: kept %lld of %lld columns by %s, %lld rows: %s\n", progname,
                (long long)K, (long long)C, topk_by_name(o.by), (long long)ds.rows, out);
    dataset_close(&ds);
    free(score);
    free(kept);
    free(outbuf);
    return 0;
}
