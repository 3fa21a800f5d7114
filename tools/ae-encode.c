/* ae-encode: latent codes (and optionally reconstruction errors) for every row of a dataset.
 * Options only; the work is encode_run in common/encode.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "encode.h"
#include "util.h"

static const char *usage_line =
    "ae-encode [-b N] [-d auto|cpu|cuda] [-r] [--tsv] [-q] DATASET CHECKPOINT OUT.h5";

static void help(void)
{
    printf("usage: %s\n"
           "Encode every row of DATASET with the autoencoder in CHECKPOINT; write OUT.h5 and\n"
           "print statistics of the latent space.\n"
           "  -b, --batch-size N        rows per forward pass (default 256)\n"
           "  -d, --device D            auto (default), cpu or cuda\n"
           "  -r, --with-reconstruction also store per-row reconstruction errors\n"
           "      --tsv                 write sample_id and codes as TSV to stdout (OUT.h5 is -)\n"
           "  -q, --quiet               no progress on stderr\n"
           "  -h, --help                this help\n",
           usage_line);
}

int main(int argc, char **argv)
{
    util_init(argc, argv, usage_line);
    encode_opts_t o = {.batch = 256, .device = DEVICE_AUTO};
    enum { OPT_TSV = 256 };
    static const struct option longopts[] = {
        {"batch-size", required_argument, NULL, 'b'},
        {"device", required_argument, NULL, 'd'},
        {"with-reconstruction", no_argument, NULL, 'r'},
        {"tsv", no_argument, NULL, OPT_TSV},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, ":b:d:rqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': o.batch = parse_long(optarg, 1, 1L << 20, "--batch-size"); break;
        case 'd':
            if (backend_parse_device(optarg, &o.device) < 0)
                usage_fail("--device: '%s' is not auto, cpu or cuda", optarg);
            break;
        case 'r': o.with_errors = 1; break;
        case OPT_TSV: o.tsv = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': help(); fshut(stdout, "stdout"); return 0;
        default: usage_bad_option(c, argv);
        }
    }
    if (argc - optind != 3) usage_fail("expected DATASET CHECKPOINT OUT.h5");
    o.dataset_path = argv[optind];
    o.checkpoint_path = argv[optind + 1];
    o.out_path = argv[optind + 2];
    if (o.tsv && strcmp(o.out_path, "-") != 0)
        usage_fail("--tsv writes to standard output: give OUT.h5 as -");
    if (!o.tsv && strcmp(o.out_path, "-") == 0)
        usage_fail("OUT.h5 is -: HDF5 cannot go to standard output (use --tsv for text)");
    if (o.tsv && o.with_errors)
        usage_fail("--tsv and -r cannot be combined (ae-recon-error prints errors)");
    encode_run(&o);
    fshut(stdout, "stdout");
    return 0;
}
