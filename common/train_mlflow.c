/* train_mlflow.c: ae-train's hooks that log to MLflow (see train_mlflow.h). */
#include "train_mlflow.h"
#include "checkpoint.h"
#include "mlflow.h"
#include "util.h"

#include <dirent.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

/* one run a process: the atexit handler needs to find it */
static struct {
    mlflow_t *m;
    char *uri, *experiment, *outdir;
    log_model_t log_model;
    int atexit_set;
} T;

int log_model_parse(const char *s)
{
    if (!strcmp(s, "none")) return LOG_MODEL_NONE;
    if (!strcmp(s, "best")) return LOG_MODEL_BEST;
    if (!strcmp(s, "all")) return LOG_MODEL_ALL;
    return -1;
}

const char *track_resolve_uri(const char *opt_uri)
{
    const char *uri = opt_uri, *from = "--mlflow-uri";
    if (!uri) {
        uri = getenv("MLFLOW_TRACKING_URI");
        from = "MLFLOW_TRACKING_URI";
        if (!uri || !*uri) return TRACK_DEFAULT_URI;
    }
    if (mlflow_uri_kind(uri) < 0)
        usage_fail("%s: unsupported tracking URI '%s' (accepted: %s)", from, uri,
                   mlflow_uri_accepted);
    return uri;
}

/* ---- params from config.yaml ------------------------------------------------------------ */

typedef struct {
    yaml_parser_t p;
    int ok;
} cfg_t;

static int next_event(cfg_t *c, yaml_event_t *ev)
{
    if (!c->ok || !yaml_parser_parse(&c->p, ev)) { c->ok = 0; return 0; }
    return 1;
}

/* Skip the node whose start event was just read (ev already deleted by the caller). */
static void skip_node(cfg_t *c, yaml_event_type_t start)
{
    if (start != YAML_MAPPING_START_EVENT && start != YAML_SEQUENCE_START_EVENT) return;
    int depth = 1;
    yaml_event_t ev;
    while (depth > 0 && next_event(c, &ev)) {
        if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) depth++;
        if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) depth--;
        yaml_event_delete(&ev);
    }
}

/* A value as a param string: scalars as written (null as Python's None), a flat sequence
 * joined with commas as on the command line (dims 2000,500,2). Returns NULL for a mapping. */
static char *read_value(cfg_t *c, yaml_event_t *ev)
{
    if (ev->type == YAML_SCALAR_EVENT) {
        const char *v = (const char *)ev->data.scalar.value;
        int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (plain && (!strcmp(v, "null") || !strcmp(v, "~") || !*v)) return xstrdup("None");
        /* floats written with %.17g (3e-4 as 0.00029999999999999997) as Python prints them */
        double d;
        if (plain && strpbrk(v, ".eE") && str_to_double(v, &d) == 0 && isfinite(d)) {
            char buf[40];
            mlflow_format_double(buf, sizeof buf, d);
            return xstrdup(buf);
        }
        return xstrdup(v);
    }
    if (ev->type == YAML_SEQUENCE_START_EVENT) {
        size_t len = 0;
        char *s = xstrdup("");
        yaml_event_t e;
        while (next_event(c, &e)) {
            if (e.type == YAML_SEQUENCE_END_EVENT) { yaml_event_delete(&e); break; }
            if (e.type == YAML_SCALAR_EVENT) {
                size_t n = e.data.scalar.length;
                s = xrealloc(s, len + n + 2);
                if (len) s[len++] = ',';
                memcpy(s + len, e.data.scalar.value, n);
                len += n;
                s[len] = 0;
            } else {
                yaml_event_type_t t = e.type;
                yaml_event_delete(&e);
                skip_node(c, t);
                continue;
            }
            yaml_event_delete(&e);
        }
        return s;
    }
    skip_node(c, ev->type);
    return NULL;
}

/* The MLflow param name of config.yaml's SECTION.KEY, or NULL to leave it out. */
static const char *param_name(const char *section, const char *key, char *buf, size_t n)
{
    if (!strcmp(section, "dataset")) {
        if (!strcmp(key, "attributes")) return NULL;
        if (!strcmp(key, "path")) return "dataset";
        if (!strcmp(key, "train_rows") || !strcmp(key, "val_rows")) return key;
        snprintf(buf, n, "dataset_%s", key);
        return buf;
    }
    if (!strcmp(section, "model")) {
        if (!strcmp(key, "resume")) return NULL;    /* differs between the parts of one run */
        if (!strcmp(key, "parameters")) return "num_parameters";
        return key;
    }
    if (!strcmp(section, "hyperparameters")) {
        if (!strcmp(key, "mlflow_uri")) return NULL;
        return key;
    }
    return NULL;
}

static void log_config_params(mlflow_t *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { warnmsg("mlflow: %s: cannot read the params:", path); return; }
    cfg_t c = {.ok = 1};
    yaml_parser_initialize(&c.p);
    yaml_parser_set_input_file(&c.p, f);
    yaml_event_t ev;
    int depth = 0;
    char section[64] = "", *key = NULL;
    while (next_event(&c, &ev)) {
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) { yaml_event_delete(&ev); break; }
        if (t == YAML_MAPPING_START_EVENT && depth == 0) { depth = 1; yaml_event_delete(&ev); continue; }
        if (t == YAML_MAPPING_END_EVENT) {
            depth--;
            section[0] = 0;
            yaml_event_delete(&ev);
            continue;
        }
        if (depth == 1) {
            /* top-level key, then its value: a section mapping or something to skip */
            if (t != YAML_SCALAR_EVENT) { yaml_event_delete(&ev); skip_node(&c, t); continue; }
            snprintf(section, sizeof section, "%s", (const char *)ev.data.scalar.value);
            yaml_event_delete(&ev);
            if (!next_event(&c, &ev)) break;
            if (ev.type == YAML_MAPPING_START_EVENT &&
                (!strcmp(section, "dataset") || !strcmp(section, "model") ||
                 !strcmp(section, "hyperparameters"))) {
                depth = 2;
            } else {
                yaml_event_type_t vt = ev.type;
                yaml_event_delete(&ev);
                skip_node(&c, vt);
                section[0] = 0;
                continue;
            }
            yaml_event_delete(&ev);
            continue;
        }
        /* depth 2: KEY VALUE pairs of a section */
        if (!key) {
            key = t == YAML_SCALAR_EVENT ? xstrdup((const char *)ev.data.scalar.value) : NULL;
            yaml_event_delete(&ev);
            if (!key) skip_node(&c, t);
            continue;
        }
        char *v = read_value(&c, &ev);
        yaml_event_delete(&ev);
        char buf[128];
        const char *name = param_name(section, key, buf, sizeof buf);
        if (v && name) mlflow_log_param(m, name, v);
        free(v);
        free(key);
        key = NULL;
    }
    free(key);
    if (!c.ok) warnmsg("mlflow: %s: cannot parse the params", path);
    yaml_parser_delete(&c.p);
    fclose(f);
}

/* ---- hooks ------------------------------------------------------------------------------ */

/* The run id a checkpoint keeps (NULL if none). */
static char *checkpoint_run_id(const char *path)
{
    char buf[256];
    char *id = NULL;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return NULL;
    if (H5Lexists(f, "trainer", H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(f, "trainer", H5P_DEFAULT);
        if (g >= 0) {
            if (H5Aexists(g, TRACK_RUN_ID_ATTR) > 0 &&
                h5_attr_read_str(g, TRACK_RUN_ID_ATTR, buf, sizeof buf) == 0 && buf[0])
                id = xstrdup(buf);
            H5Gclose(g);
        }
    }
    H5Fclose(f);
    return id;
}

static char *outdir_base(const char *outdir)
{
    char *s = xstrdup(outdir);
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/') s[--n] = 0;
    char *slash = strrchr(s, '/');
    char *b = xstrdup(slash && slash[1] ? slash + 1 : s);
    free(s);
    return b;
}

static void track_at_exit(void)
{
    /* exit(1) from die() while the run is open: the run failed */
    if (T.m) {
        mlflow_t *m = T.m;
        T.m = NULL;
        char metrics[PATH_MAX];
        snprintf(metrics, sizeof metrics, "%s/training_metrics.h5", T.outdir);
        if (access(metrics, R_OK) == 0) mlflow_log_artifact(m, metrics, NULL);
        mlflow_close(m, MLFLOW_FAILED, -1);
    }
}

static void on_start(void *ctx, const train_opts_t *o, const char *config_path)
{
    (void)ctx;
    char *resume_id = o->resume ? checkpoint_run_id(o->resume) : NULL;
    char *name = outdir_base(o->outdir);
    T.m = mlflow_open(T.uri, T.experiment, name, resume_id);
    free(name);
    free(resume_id);
    if (!T.m) return;
    char abs[PATH_MAX];
    T.outdir = xstrdup(realpath(o->outdir, abs) ? abs : o->outdir);
    if (!T.atexit_set) { atexit(track_at_exit); T.atexit_set = 1; }

    log_config_params(T.m, config_path);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) exe[n] = 0;
    else snprintf(exe, sizeof exe, "%s", progname);
    mlflow_set_tag(T.m, "mlflow.source.name", exe);
    mlflow_set_tag(T.m, "mlflow.source.type", "LOCAL");
    mlflow_set_tag(T.m, "aekit.version", AEKIT_VERSION);
    mlflow_set_tag(T.m, "aekit.git_commit", AEKIT_GIT_COMMIT);
    mlflow_set_tag(T.m, "aekit.outdir", T.outdir);
    char cmd[5000];
    snprintf(cmd, sizeof cmd, "%s", util_cmdline());
    mlflow_set_tag(T.m, "aekit.command", cmd);
    mlflow_log_artifact(T.m, config_path, NULL);
}

static void on_step(void *ctx, int64_t step, double loss)
{
    (void)ctx;
    mlflow_log_metric(T.m, "train_loss_step", loss, step);
}

static void on_epoch(void *ctx, const epoch_metrics_t *e)
{
    (void)ctx;
    if (!T.m) return;
    int64_t s = e->global_step;
    mlflow_log_metric(T.m, "train_loss", e->train_loss, s);
    mlflow_log_metric(T.m, "val_loss", e->val_loss, s);
    mlflow_log_metric(T.m, "train_recon_loss", e->train_recon_loss, s);
    mlflow_log_metric(T.m, "train_l1_loss", e->train_l1_loss, s);
    mlflow_log_metric(T.m, "learning_rate", e->learning_rate, s);
    mlflow_log_metric(T.m, "epoch_seconds", e->epoch_seconds, s);
    mlflow_log_metric(T.m, "samples_per_second", e->samples_per_second, s);
    mlflow_log_metric(T.m, "epoch", (double)e->epoch, s);
}

static const char *run_id(void *ctx)
{
    (void)ctx;
    return mlflow_run_id(T.m);
}

/* val_loss from "autoencoder-epoch=EE-val_loss=V.VVVV.ckpt" (NaN as +inf), or -1 if not one */
static int top_ckpt_loss(const char *name, double *loss)
{
    const char *p = strstr(name, "-val_loss=");
    size_t n = strlen(name);
    if (strncmp(name, "autoencoder-epoch=", 18) != 0 || !p || n < 5 || strcmp(name + n - 5, ".ckpt"))
        return -1;
    char v[64];
    size_t vl = (size_t)(name + n - 5 - (p + 10));
    if (vl == 0 || vl >= sizeof v) return -1;
    memcpy(v, p + 10, vl);
    v[vl] = 0;
    *loss = strtod(v, NULL);
    if (isnan(*loss)) *loss = INFINITY;
    return 0;
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void log_checkpoints(void)
{
    char *dir = join_path(T.outdir, "checkpoints");
    DIR *d = opendir(dir);
    if (!d) { free(dir); return; }
    struct dirent *e;
    char best[NAME_MAX + 1] = "";
    double best_loss = INFINITY;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".ckpt") != 0) continue;
        double l;
        if (T.log_model == LOG_MODEL_ALL) {
            char *p = join_path(dir, e->d_name);
            mlflow_log_artifact(T.m, p, "checkpoints");
            free(p);
        } else if (top_ckpt_loss(e->d_name, &l) == 0 && (!best[0] || l < best_loss)) {
            best_loss = l;
            snprintf(best, sizeof best, "%s", e->d_name);
        }
    }
    closedir(d);
    if (T.log_model == LOG_MODEL_BEST && best[0]) {
        char *p = join_path(dir, best);
        mlflow_log_artifact(T.m, p, "checkpoints");
        free(p);
    }
    free(dir);
}

static void on_end(void *ctx, int status)
{
    (void)ctx;
    if (!T.m) return;
    char *metrics = join_path(T.outdir, "training_metrics.h5");
    if (access(metrics, R_OK) == 0) mlflow_log_artifact(T.m, metrics, NULL);
    free(metrics);
    if (T.log_model != LOG_MODEL_NONE) log_checkpoints();
    mlflow_t *m = T.m;
    T.m = NULL;
    mlflow_close(m, status == 0 ? MLFLOW_FINISHED : MLFLOW_KILLED, -1);
}

void track_hooks(train_hooks_t *hooks, const char *uri, const char *experiment,
                 log_model_t log_model)
{
    memset(hooks, 0, sizeof *hooks);
    if (mlflow_uri_kind(uri) == MLFLOW_NONE) return;
    T.uri = xstrdup(uri);
    T.experiment = xstrdup(experiment);
    T.log_model = log_model;
    hooks->on_start = on_start;
    hooks->on_step = on_step;
    hooks->on_epoch = on_epoch;
    hooks->on_end = on_end;
    hooks->run_id = run_id;
}
