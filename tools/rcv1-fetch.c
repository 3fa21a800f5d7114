/* rcv1-fetch: download the six RCV1-v2 files scikit-learn's fetch_rcv1 uses, verified by
 * SHA-256, resumable, in parallel. Options only; the engine is common/fetch.c. */
#include "fetch.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNOPSIS "rcv1-fetch [--base-url URL | --jmlr] [--checksums FILE] [--only NAME,...] " \
                 "[--jobs N] [--retries N] [--timeout S] [--no-verify] [-q] OUTDIR"

static void usage(void)
{
    printf("usage: %s\n\n"
           "Download the RCV1-v2 files into OUTDIR, verify their SHA-256, and print the path\n"
           "of each verified file.\n\n"
           "  --base-url URL     fetch URL/NAME for each file (a mirror; file:///dir works)\n"
           "  --jmlr             fetch from the original JMLR locations\n"
           "  --checksums FILE   sha256sum-format list that replaces the built-in table\n"
           "  --only NAME,...    fetch only these files\n"
           "  -j, --jobs N       parallel downloads (default 3)\n"
           "  --retries N        retries per file on transient errors (default 5)\n"
           "  --timeout S        seconds to connect, and without data, before a retry (default 30)\n"
           "  --no-verify        do not check SHA-256 digests\n"
           "  -q, --quiet        no progress or notes, errors only\n"
           "  -h, --help         this text\n",
           SYNOPSIS);
}

int main(int argc, char **argv)
{
    util_init(argc, argv, SYNOPSIS);
    enum { OPT_BASE = 256, OPT_JMLR, OPT_SUMS, OPT_ONLY, OPT_RETRIES, OPT_TIMEOUT, OPT_NOVERIFY };
    static const struct option longopts[] = {
        {"base-url", required_argument, NULL, OPT_BASE},
        {"jmlr", no_argument, NULL, OPT_JMLR},
        {"checksums", required_argument, NULL, OPT_SUMS},
        {"only", required_argument, NULL, OPT_ONLY},
        {"jobs", required_argument, NULL, 'j'},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"no-verify", no_argument, NULL, OPT_NOVERIFY},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fetch_opts_t o = {
        .jobs = 3, .retries = 5, .timeout = 30, .backoff = 1, .verify = 1, .quiet = 0,
        .user_agent = "aekit/" AEKIT_VERSION,
    };
    const char *base_url = NULL, *sums_path = NULL, *only = NULL;
    int jmlr = 0, c;
    while ((c = getopt_long(argc, argv, ":j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_BASE: base_url = optarg; break;
        case OPT_JMLR: jmlr = 1; break;
        case OPT_SUMS: sums_path = optarg; break;
        case OPT_ONLY: only = optarg; break;
        case 'j': o.jobs = (int)parse_long(optarg, 1, 64, "--jobs"); break;
        case OPT_RETRIES: o.retries = (int)parse_long(optarg, 0, 100, "--retries"); break;
        case OPT_TIMEOUT: o.timeout = parse_double(optarg, 0.1, 86400, "--timeout"); break;
        case OPT_NOVERIFY: o.verify = 0; break;
        case 'q': o.quiet = 1; break;
        case 'h': usage(); fshut(stdout, "stdout"); return 0;
        default: usage_bad_option(c, argv);
        }
    }
    if (optind == argc) usage_fail("missing OUTDIR");
    if (argc - optind > 1) usage_fail("unexpected argument '%s'", argv[optind + 1]);
    const char *outdir = argv[optind];
    if (!*outdir) usage_fail("OUTDIR is empty");
    if (base_url && jmlr) usage_fail("--base-url and --jmlr cannot be used together");
    if (base_url && !*base_url) usage_fail("--base-url: empty URL");
    const char *env = getenv("AEKIT_FETCH_BACKOFF");
    if (env && *env) {
        double b;
        if (str_to_double(env, &b) < 0 || b < 0 || b > 3600)
            die("AEKIT_FETCH_BACKOFF: '%s' is not a number of seconds (0..3600)", env);
        o.backoff = b;
    }

    char err[1024];
    fetch_item_t *sums = NULL;
    int n_sums = 0;
    if (sums_path && (n_sums = fetch_checksums_read(sums_path, &sums, err, sizeof err)) < 0)
        die("%s", err);
    fetch_item_t *items;
    int bad_only;
    int n = fetch_items_build(sums, n_sums, only,
                              base_url ? FETCH_SRC_BASE : jmlr ? FETCH_SRC_JMLR : FETCH_SRC_DEFAULT,
                              base_url, &items, &bad_only, err, sizeof err);
    if (n < 0) {
        if (bad_only) usage_fail("%s", err);
        die("%s", err);
    }
    fetch_items_free(sums, n_sums);
    int rc = fetch_run(outdir, items, n, &o);
    fetch_items_free(items, n);
    fshut(stdout, "stdout");
    return rc;
}
