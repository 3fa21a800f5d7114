/* ae-init: write an untrained autoencoder checkpoint (nn.Linear initialisation from --seed). */
#include "checkpoint.h"
#include "model.h"
#include "util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "ae-init DIMS -o FILE [-a relu|tanh|sigmoid|leaky_relu] "
    "[--latent-activation linear|relu|tanh|sigmoid] [--seed N]";

static void help(void)
{
    printf("usage: %s\n\n"
           "Write an untrained autoencoder checkpoint with DIMS d0,d1,...,dL.\n\n"
           "  -o, --output FILE            the checkpoint to write (.ckpt)\n"
           "  -a, --activation A           hidden activation (relu)\n"
           "      --latent-activation A    latent activation (linear)\n"
           "      --seed N                 initialisation seed (42)\n"
           "  -h, --help                   this text\n"
           "      --version                print the version\n", usage);
}

int main(int argc, char **argv)
{
    util_init(argc, argv, usage);
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"activation", required_argument, 0, 'a'},
        {"latent-activation", required_argument, 0, 'L'},
        {"seed", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    const char *out = NULL;
    act_t act = ACT_RELU, lat = ACT_LINEAR;
    long seed = 42;
    int c;
    while ((c = getopt_long(argc, argv, ":o:a:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'a':
            if (act_parse(optarg, 0, &act) < 0)
                usage_fail("--activation: '%s' is not one of relu, tanh, sigmoid, leaky_relu",
                           optarg);
            break;
        case 'L':
            if (act_parse(optarg, 1, &lat) < 0)
                usage_fail("--latent-activation: '%s' is not one of linear, relu, tanh, sigmoid",
                           optarg);
            break;
        case 's': seed = parse_long(optarg, 0, 9223372036854775807L, "--seed"); break;
        case 'h': help(); fshut(stdout, "stdout"); return 0;
        case 'V': printf("ae-init (aekit) %s\n", AEKIT_VERSION); fshut(stdout, "stdout"); return 0;
        default: usage_bad_option(c, argv);
        }
    }
    if (argc - optind != 1) usage_fail(argc - optind ? "too many arguments" : "missing DIMS");
    if (!out) usage_fail("-o FILE is required");
    long d[MODEL_MAX_DIMS + 1];
    int nd = parse_int_list(argv[optind], d, MODEL_MAX_DIMS + 1);
    if (nd < 2 || nd > MODEL_MAX_DIMS)
        usage_fail("DIMS: '%s' is not a list of 2 to %d positive integers like 2000,500,125,2",
                   argv[optind], MODEL_MAX_DIMS);
    int64_t dims[MODEL_MAX_DIMS];
    for (int i = 0; i < nd; i++) dims[i] = d[i];
    char err[512];
    model_t m;
    if (model_init(&m, dims, nd, act, lat, err, sizeof err) < 0) usage_fail("%s", err);
    model_init_params(&m, (uint64_t)seed);
    checkpoint_info_t info = {.epoch = -1, .global_step = 0, .val_loss = NAN, .l1_alpha = 0,
                              .seed = seed};
    snprintf(info.precision, sizeof info.precision, "32-true");
    char *tmp;
    hid_t f = checkpoint_create(out, &m, &info, &tmp, err, sizeof err);
    if (f < 0 || checkpoint_commit(f, tmp, out, err, sizeof err) < 0) die("%s", err);
    free(tmp);
    model_free(&m);
    return 0;
}
