/* svm2h5: convert LYRL2004 / SVMlight text files into an aekit dataset file (HDF5 CSR).
 * Options only; the work is in common/convert.c. See svm2h5(1). */
#include "convert.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *USAGE =
    "svm2h5 [-o OUT.h5] [--qrels FILE] [--n-features N] [--zero-based] [--labels]\n"
    "              [--compress L] [--jobs N] [-q] FILE...";

static void help(void)
{
    printf("usage: %s\n\n"
           "Convert LYRL2004 vector files (\"<docid>  <termid>:<weight> ...\", .gz or plain,\n"
           "- for standard input) into an aekit dataset file. Files are concatenated in order.\n\n"
           "  -o, --output OUT.h5   output file (default: first input's name with .h5)\n"
           "      --qrels FILE      topic assignments \"<TOPIC> <docid> 1\" -> /targets\n"
           "      --n-features N    fix the width; larger ids are errors (default: largest id)\n"
           "      --zero-based      feature ids start at 0 (default: 1)\n"
           "      --labels          generic SVMlight: first token is a numeric label -> /labels\n"
           "      --compress L      deflate level 0-9, 0 = none (default 4)\n"
           "  -j, --jobs N          files decompressed and parsed in parallel (default: CPUs)\n"
           "  -q, --quiet           no progress or summary on stderr\n"
           "  -h, --help            this help\n"
           "      --version         print the version\n",
           USAGE);
}

/* lyrl2004_vectors_train.dat.gz -> lyrl2004_vectors_train.h5 */
static char *default_output(const char *in)
{
    const char *base = strrchr(in, '/');
    base = base ? base + 1 : in;
    char *s = xmalloc(strlen(base) + 4);
    strcpy(s, base);
    const char *exts[] = {".gz", ".dat", ".txt", ".svm", ".libsvm"};
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        size_t n = strlen(s), e = strlen(exts[i]);
        if (n > e && strcmp(s + n - e, exts[i]) == 0) s[n - e] = 0;
    }
    strcat(s, ".h5");
    return s;
}

int main(int argc, char **argv)
{
    util_init(argc, argv, USAGE);
    convert_opts_t o = {0};
    o.compress = 4;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = ncpu > 0 ? (int)ncpu : 1;
    enum { OPT_QRELS = 256, OPT_NFEAT, OPT_ZERO, OPT_LABELS, OPT_COMPRESS, OPT_VERSION };
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"qrels", required_argument, 0, OPT_QRELS},
        {"n-features", required_argument, 0, OPT_NFEAT},
        {"zero-based", no_argument, 0, OPT_ZERO},
        {"labels", no_argument, 0, OPT_LABELS},
        {"compress", required_argument, 0, OPT_COMPRESS},
        {"jobs", required_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, OPT_VERSION},
        {0, 0, 0, 0},
    };
    int c;
        while ((c = getopt_long(argc, argv, ":o:j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.output = optarg; break;
        case OPT_QRELS: o.qrels = optarg; break;
        case OPT_NFEAT: o.svm.n_features = parse_long(optarg, 1, INT32_MAX, "--n-features"); break;
        case OPT_ZERO: o.svm.zero_based = 1; break;
        case OPT_LABELS: o.svm.labels = 1; break;
        case OPT_COMPRESS: o.compress = (int)parse_long(optarg, 0, 9, "--compress"); break;
        case 'j': o.jobs = (int)parse_long(optarg, 1, 256, "--jobs"); break;
        case 'q': o.quiet = 1; break;
        case 'h': help(); fshut(stdout, "stdout"); return 0;
        case OPT_VERSION: printf("svm2h5 (aekit) %s\n", AEKIT_VERSION); return 0;
        default: usage_bad_option(c, argv);
        }
    }
    if (optind >= argc) usage_fail("no input files");
    o.inputs = argv + optind;
    o.ninputs = argc - optind;
    if (o.qrels && o.svm.labels)
        usage_fail("--qrels needs document ids: it cannot be used with --labels");
    int stdin_uses = 0;
    for (int i = 0; i < o.ninputs; i++) stdin_uses += strcmp(o.inputs[i], "-") == 0;
    if (o.qrels && strcmp(o.qrels, "-") == 0) stdin_uses++;
    if (stdin_uses > 1) usage_fail("standard input (-) can be read only once");
    char *def = NULL;
    if (!o.output) {
        if (strcmp(o.inputs[0], "-") == 0) usage_fail("reading standard input needs -o OUT.h5");
        o.output = def = default_output(o.inputs[0]);
    }
    int r = convert_svm_to_h5(&o);
    free(def);
    return r;
}
