/* ae-recon-error: per-document reconstruction errors of a checkpoint on a dataset, their
 * summary, the worst documents and per-topic means. Options only; the work is recon_run in
 * common/encode.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "encode.h"
#include "util.h"

static const char *usage_line =
    "ae-recon-error [-b N] [-d auto|cpu|cuda] [--top K] [--by-topic] [-o OUT.h5] [-q] "
    "DATASET CHECKPOINT";

static void help(void)
{
    printf("usage: %s\n"
           "Reconstruction error (MSE over the features) of every row of DATASET under the\n"
           "autoencoder in CHECKPOINT: summary, worst documents, optional per-topic means.\n"
           "  -b, --batch-size N   rows per forward pass (default 256)\n"
           "  -d, --device D       auto (default), cpu or cuda\n"
           "      --top K          list the K worst documents (default 10, 0 for none)\n"
           "      --by-topic       mean error and document count per topic\n"
           "  -o, --output OUT.h5  write reconstruction_errors (added to an ae-encode output\n"
           "                       of the same dataset, else a new file)\n"
           "  -q, --quiet          no progress on stderr\n"
           "  -h, --help           this help\n",
           usage_line);
}

int main(int argc, char **argv)
{
    util_init(argc, argv, usage_line);
    recon_opts_t o = {.batch = 256, .device = DEVICE_AUTO, .top = 10};
    enum { OPT_TOP = 256, OPT_BY_TOPIC };
    static const struct option longopts[] = {
        {"batch-size", required_argument, NULL, 'b'},
        {"device", required_argument, NULL, 'd'},
        {"top", required_argument, NULL, OPT_TOP},
        {"by-topic", no_argument, NULL, OPT_BY_TOPIC},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, ":b:d:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': o.batch = parse_long(optarg, 1, 1L << 20, "--batch-size"); break;
        case 'd':
            if (backend_parse_device(optarg, &o.device) < 0)
                usage_fail("--device: '%s' is not auto, cpu or cuda", optarg);
            break;
        case OPT_TOP: o.top = parse_long(optarg, 0, 1L << 30, "--top"); break;
        case OPT_BY_TOPIC: o.by_topic = 1; break;
        case 'o': o.out_path = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'h': help(); fshut(stdout, "stdout"); return 0;
        default: usage_bad_option(c, argv);
        }
    }
    if (argc - optind != 2) usage_fail("expected DATASET CHECKPOINT");
    o.dataset_path = argv[optind];
    o.checkpoint_path = argv[optind + 1];
    recon_run(&o);
    fshut(stdout, "stdout");
    return 0;
}
