/* ae-train: train the autoencoder on an aekit dataset (the Python tool's `train`).
 * Options only; the loop is common/train.c. */
#include "model.h"
#include "train.h"
#include "train_mlflow.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "ae-train DATASET OUTDIR [DIMS] [--init FILE | --resume CKPT] [-a A] "
    "[--latent-activation A] [--l1-alpha X] [--lr X] [--wd X] [-b N] [-e N] [--val-split X] "
    "[--num-workers N] [--seed N] [--precision P] [--mlflow-uri URI] [--experiment NAME] "
    "[--log-model M] [--device D] "
    "[--threads N] [--patience N] [--no-shuffle] [--log-every-n-steps N] [-q]";

static void help(void)
{
    printf("usage: %s\n\n"
           "Train an autoencoder with DIMS d0,d1,...,dL on DATASET; write checkpoints,\n"
           "config.yaml and training_metrics.h5 into OUTDIR.\n\n"
           "  --init FILE                start from an ae-init checkpoint (DIMS optional)\n"
           "  --resume CKPT              continue an interrupted or finished run\n"
           "  -a, --activation A         relu (default), tanh, sigmoid, leaky_relu\n"
           "  --latent-activation A      linear (default), relu, tanh, sigmoid\n"
           "  --l1-alpha X               L1 penalty on the latent codes (None: off)\n"
           "  --learning-rate, --lr X    AdamW learning rate (3e-4)\n"
           "  --weight-decay, --wd X     AdamW weight decay (0.01)\n"
           "  -b, --batch-size N         rows per batch (32)\n"
           "  -e, --epochs N             epochs (100)\n"
           "  --val-split X              validation fraction (0.2)\n"
           "  --num-workers N            batch-preparing threads (0: in the training thread)\n"
           "  --seed N                   seed of the split, shuffles and initialisation (42)\n"
           "  --precision P              32-true (default), bf16-mixed, 16-mixed\n"
           "  --mlflow-uri URI           MLflow tracking: a directory, file:PATH, http(s)://HOST\n"
           "                             or none (./mlruns; MLFLOW_TRACKING_URI)\n"
           "  --experiment NAME          MLflow experiment (autoencoder_nlp)\n"
           "  --log-model M              upload checkpoints: none (default), best, all\n"
           "  --device D                 auto (default), cpu, cuda\n"
           "  --threads N                BLAS threads (0: library default)\n"
           "  --patience N               stop after N epochs without a lower val_loss\n"
           "  --no-shuffle               training rows in dataset order every epoch\n"
           "  --log-every-n-steps N      record train_loss_step every N steps (50)\n"
           "  -q, --quiet                no progress or per-epoch lines\n"
           "  -h, --help                 this text\n"
           "  --version                  print the version\n", usage);
}

enum {
    O_INIT = 256, O_RESUME, O_LATENT, O_L1, O_LR, O_WD, O_VAL, O_WORKERS, O_SEED, O_PREC,
    O_MLFLOW, O_DEVICE, O_THREADS, O_PATIENCE, O_NOSHUF, O_LOGN, O_EXPERIMENT, O_LOGMODEL,
};

int main(int argc, char **argv)
{
    util_init(argc, argv, usage);
    static const struct option opts[] = {
        {"init", required_argument, 0, O_INIT},
        {"resume", required_argument, 0, O_RESUME},
        {"activation", required_argument, 0, 'a'},
        {"latent-activation", required_argument, 0, O_LATENT},
        {"l1-alpha", required_argument, 0, O_L1},
        {"learning-rate", required_argument, 0, O_LR},
        {"lr", required_argument, 0, O_LR},
        {"weight-decay", required_argument, 0, O_WD},
        {"wd", required_argument, 0, O_WD},
        {"batch-size", required_argument, 0, 'b'},
        {"epochs", required_argument, 0, 'e'},
        {"val-split", required_argument, 0, O_VAL},
        {"num-workers", required_argument, 0, O_WORKERS},
        {"seed", required_argument, 0, O_SEED},
        {"precision", required_argument, 0, O_PREC},
        {"mlflow-uri", required_argument, 0, O_MLFLOW},
        {"experiment", required_argument, 0, O_EXPERIMENT},
        {"log-model", required_argument, 0, O_LOGMODEL},
        {"device", required_argument, 0, O_DEVICE},
        {"threads", required_argument, 0, O_THREADS},
        {"patience", required_argument, 0, O_PATIENCE},
        {"no-shuffle", no_argument, 0, O_NOSHUF},
        {"log-every-n-steps", required_argument, 0, O_LOGN},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    train_opts_t o;
    train_opts_defaults(&o);
    const char *experiment = TRACK_DEFAULT_EXPERIMENT;
    int log_model = LOG_MODEL_NONE;
    int c;
    while ((c = getopt_long(argc, argv, ":a:b:e:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_INIT: o.init = optarg; break;
        case O_RESUME: o.resume = optarg; break;
        case 'a':
            if (act_parse(optarg, 0, &o.act) < 0)
                usage_fail("--activation: '%s' is not one of relu, tanh, sigmoid, leaky_relu",
                           optarg);
            o.given_act = 1;
            break;
        case O_LATENT:
            if (act_parse(optarg, 1, &o.latent_act) < 0)
                usage_fail("--latent-activation: '%s' is not one of linear, relu, tanh, sigmoid",
                           optarg);
            o.given_latent = 1;
            break;
        case O_L1:
            o.l1_alpha = strcmp(optarg, "None") == 0 ? 0 : parse_double(optarg, 0, 1e6, "--l1-alpha");
            o.given_l1 = 1;
            break;
        case O_LR: o.lr = parse_double(optarg, 0, 1e6, "--learning-rate"); o.given_lr = 1; break;
        case O_WD: o.weight_decay = parse_double(optarg, 0, 1e6, "--weight-decay"); o.given_wd = 1; break;
        case 'b': o.batch_size = (int)parse_long(optarg, 1, 1 << 20, "--batch-size"); o.given_batch = 1; break;
        case 'e': o.epochs = (int)parse_long(optarg, 1, 1000000000, "--epochs"); o.given_epochs = 1; break;
        case O_VAL:
            o.val_split = parse_double(optarg, 0, 0.99, "--val-split");
            o.given_val_split = 1;
            break;
        case O_WORKERS: o.num_workers = (int)parse_long(optarg, 0, 64, "--num-workers"); break;
        case O_SEED: o.seed = parse_long(optarg, 0, 9223372036854775807L, "--seed"); o.given_seed = 1; break;
        case O_PREC:
            if (precision_parse(optarg, &o.precision) < 0)
                usage_fail("--precision: '%s' is not one of 32-true, bf16-mixed, 16-mixed", optarg);
            o.given_precision = 1;
            break;
        case O_MLFLOW: o.mlflow_uri = optarg; break;
        case O_EXPERIMENT:
            if (!*optarg) usage_fail("--experiment: the name is empty");
            experiment = optarg;
            break;
        case O_LOGMODEL:
            if ((log_model = log_model_parse(optarg)) < 0)
                usage_fail("--log-model: '%s' is not one of best, all, none", optarg);
            break;
        case O_DEVICE:
            if (backend_parse_device(optarg, &o.device) < 0)
                usage_fail("--device: '%s' is not one of auto, cpu, cuda", optarg);
            break;
        case O_THREADS: o.threads = (int)parse_long(optarg, 0, 1024, "--threads"); break;
        case O_PATIENCE: o.patience = (int)parse_long(optarg, 1, 1000000000, "--patience"); break;
        case O_NOSHUF: o.no_shuffle = 1; o.given_no_shuffle = 1; break;
        case O_LOGN: o.log_every = (int)parse_long(optarg, 1, 1000000000, "--log-every-n-steps"); break;
        case 'q': o.quiet = 1; break;
        case 'h': help(); fshut(stdout, "stdout"); return 0;
        case 'V': printf("ae-train (aekit) %s\n", AEKIT_VERSION); fshut(stdout, "stdout"); return 0;
        default: usage_bad_option(c, argv);
        }
    }
    int npos = argc - optind;
    if (npos < 2) usage_fail(npos ? "missing OUTDIR" : "missing DATASET and OUTDIR");
    if (npos > 3) usage_fail("too many arguments");
    o.dataset = argv[optind];
    o.outdir = argv[optind + 1];
    if (o.init && o.resume) usage_fail("--init and --resume cannot be used together");
    if (npos == 3) {
        long d[MODEL_MAX_DIMS + 1];
        int nd = parse_int_list(argv[optind + 2], d, MODEL_MAX_DIMS + 1);
        if (nd < 2 || nd > MODEL_MAX_DIMS)
            usage_fail("DIMS: '%s' is not a list of 2 to %d positive integers like 2000,500,125,2",
                       argv[optind + 2], MODEL_MAX_DIMS);
        o.ndims = nd;
        for (int i = 0; i < nd; i++) o.dims[i] = d[i];
    } else if (!o.init && !o.resume) {
        usage_fail("DIMS is required unless --init or --resume is given");
    }
    o.mlflow_uri = track_resolve_uri(o.mlflow_uri);
    train_hooks_t hooks;
    track_hooks(&hooks, o.mlflow_uri, experiment, (log_model_t)log_model);
    int status = train_run(&o, &hooks);
    fshut(stdout, "stdout");
    return status;
}
