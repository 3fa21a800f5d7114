/* h5-stats: list the datasets of an HDF5 file and summarise each by kind (CSR matrix, topic
 * lists, latent codes, reconstruction errors). Options only; the report is common/h5stats.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "h5stats.h"
#include "util.h"

static const char *usage_line =
    "h5-stats [--json | --tsv] [--top N] [--zero-tol X] FILE [DATASET...]";

static void help(void)
{
    printf("usage: %s\n\n"
           "List every dataset of FILE (shape, type, chunking, compression), then statistics\n"
           "by kind: the CSR matrix, the topic lists, dense 2-D float datasets (per column)\n"
           "and 1-D float datasets. DATASET... restricts the report to those datasets.\n\n"
           "  --json        one JSON object\n"
           "  --tsv         one row per statistic: dataset, statistic, item, value\n"
           "  --top N       columns listed by document frequency (default 10, 0 for none)\n"
           "  --zero-tol X  dense sparsity counts |x| <= X (default 1e-6)\n"
           "  -h, --help    this help\n",
           usage_line);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"tsv", no_argument, NULL, 't'},
        {"top", required_argument, NULL, 'n'},
        {"zero-tol", required_argument, NULL, 'z'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    util_init(argc, argv, usage_line);
    h5stats_opts_t o = {STATS_TEXT, 10, STATS_ZERO_TOL};
    int json = 0, tsv = 0, c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 't': tsv = 1; break;
        case 'n': o.top = (int)parse_long(optarg, 0, 1000000, "--top"); break;
        case 'z': o.zero_tol = parse_double(optarg, 0, 1e300, "--zero-tol"); break;
        case 'h': help(); fshut(stdout, "standard output"); return 0;
        default: usage_bad_option(c, argv);
        }
    }
    if (json && tsv) usage_fail("--json and --tsv cannot be used together");
    if (optind >= argc) usage_fail("no input file");
    o.fmt = json ? STATS_JSON : tsv ? STATS_TSV : STATS_TEXT;
    h5stats_report(argv[optind], argv + optind + 1, argc - optind - 1, &o, stdout);
    fshut(stdout, "standard output");
    return 0;
}
