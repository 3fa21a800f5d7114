/* test_mlflow.c: checks of the MLflow client that need no MLflow (no arguments), and a driver
 * that tests/mlflow.bats uses to log through the client and then read the result with MLflow
 * itself (arguments: a script on stdin).
 *
 * Driver script, one command a line (fields separated by tabs):
 *   open URI EXPERIMENT RUN_NAME [RESUME_RUN_ID]   prints "run_id <id>" (or "run_id -")
 *   param KEY VALUE | tag KEY VALUE | metric KEY VALUE STEP | artifact PATH [DIR]
 *   sleep SECONDS | runid (prints "run_id <id>") | close STATUS [TIMEOUT]  prints "lost <n>"
 */
#include "mlflow.h"
#include "util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static void test_format_double(void)
{
    char buf[40];
    const double fixed[] = {0.0, 1.0, -2.5, 0.1, 1e-5, 3e-4, 1.0 / 3.0, 123456789.0, 1e300, 5e-324,
                            0.6931471805599453};
    const char *expect[] = {"0.0", "1.0", "-2.5", "0.1", "1e-05", "0.0003", "0.3333333333333333",
                            "123456789.0", "1e+300", "5e-324", "0.6931471805599453"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        mlflow_format_double(buf, sizeof buf, fixed[i]);
        CHECK(strcmp(buf, expect[i]) == 0, "%.17g -> %s, want %s (Python's repr)", fixed[i], buf,
              expect[i]);
    }
    mlflow_format_double(buf, sizeof buf, NAN);
    CHECK(!strcmp(buf, "nan"), "%s", buf);
    mlflow_format_double(buf, sizeof buf, -INFINITY);
    CHECK(!strcmp(buf, "-inf"), "%s", buf);
    /* round trip of many bit patterns */
    unsigned long long x = 88172645463325252ULL;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (!isfinite(d)) continue;
        mlflow_format_double(buf, sizeof buf, d);
        double back = strtod(buf, NULL);
        CHECK(memcmp(&back, &d, sizeof d) == 0, "%a -> %s -> %a", d, buf, back);
        if (failures > 10) return;
    }
}

static void test_uri_kind(void)
{
    CHECK(mlflow_uri_kind("none") == MLFLOW_NONE, "none");
    CHECK(mlflow_uri_kind("./mlruns") == MLFLOW_FILE, "path");
    CHECK(mlflow_uri_kind("/tmp/x") == MLFLOW_FILE, "abs path");
    CHECK(mlflow_uri_kind("file:///tmp/x") == MLFLOW_FILE, "file URI");
    CHECK(mlflow_uri_kind("file:rel") == MLFLOW_FILE, "file: relative");
    CHECK(mlflow_uri_kind("http://127.0.0.1:5000") == MLFLOW_REST, "http");
    CHECK(mlflow_uri_kind("HTTPS://example.org/mlflow") == MLFLOW_REST, "https");
    CHECK(mlflow_uri_kind("sqlite:///mlflow.db") == -1, "sqlite");
    CHECK(mlflow_uri_kind("databricks") == MLFLOW_FILE, "a plain word is a path");
    CHECK(mlflow_uri_kind("databricks://profile") == -1, "databricks");
    CHECK(mlflow_uri_kind("http:") == -1, "bare http:");
    CHECK(mlflow_uri_kind("http://") == -1, "http:// without host");
    CHECK(mlflow_uri_kind("") == -1, "empty");
    CHECK(!strcmp(mlflow_status_name(MLFLOW_KILLED), "KILLED"), "status name");
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* The file store without MLflow: layout, metric lines, meta.yaml fields. (tests/mlflow.bats
 * reads the same layout with MLflow itself.) */
static void test_file_store(void)
{
    char root[] = "/tmp/test_mlflow.XXXXXX";
    if (!mkdtemp(root)) { perror("mkdtemp"); failures++; return; }
    char uri[256], path[512];
    snprintf(uri, sizeof uri, "%s/mlruns", root);
    mlflow_t *m = mlflow_open(uri, "unit 'exp'", "run-1", NULL);
    CHECK(m != NULL, "open file store");
    if (!m) return;
    const char *id = mlflow_run_id(m);
    CHECK(id && strlen(id) == 32, "run id %s", id ? id : "(null)");
    char run_id[64];
    snprintf(run_id, sizeof run_id, "%s", id ? id : "");
    mlflow_log_param(m, "lr", "0.0003");
    mlflow_set_tag(m, "aekit.version", "1.0");
    mlflow_log_metric(m, "loss", 0.5, 0);
    mlflow_log_metric(m, "loss", 0.25, 10);
    mlflow_log_metric(m, "other", 1.0, 10);
    CHECK(mlflow_close(m, MLFLOW_FINISHED, 10) == 0, "nothing lost");

    /* find the experiment folder: the one that is not 0 and not .trash */
    DIR *d = opendir(uri);
    char exp[300] = "";
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && strcmp(e->d_name, "0") != 0) snprintf(exp, sizeof exp, "%s", e->d_name);
    if (d) closedir(d);
    CHECK(strlen(exp) == 18 && exp[0] != '0', "experiment id %s", exp);
    snprintf(path, sizeof path, "%s/0/meta.yaml", uri);
    char *s = slurp(path);
    CHECK(s && strstr(s, "\nname: Default\n"), "Default experiment: %s", s ? s : "(missing)");
    snprintf(path, sizeof path, "%s/%s/meta.yaml", uri, exp);
    s = slurp(path);
    CHECK(s && strstr(s, "name: unit 'exp'\n"), "experiment name: %s", s ? s : "(missing)");
    char want[512];
    snprintf(want, sizeof want, "\nexperiment_id: '%s'\n", exp);
    CHECK(s && strstr(s, want), "experiment id quoted: %s", s ? s : "(missing)");
    snprintf(path, sizeof path, "%s/%s/%s/meta.yaml", uri, exp, run_id);
    s = slurp(path);
    CHECK(s && strstr(s, "\nstatus: 3\n") && strstr(s, "\ntags: []\n"), "run meta: %s", s ? s : "");
    snprintf(want, sizeof want, "\nrun_id: %s\nrun_name: run-1\nrun_uuid: %s\n", run_id, run_id);
    CHECK(s && strstr(s, want), "run ids: %s", s ? s : "");
    snprintf(path, sizeof path, "%s/%s/%s/params/lr", uri, exp, run_id);
    s = slurp(path);
    CHECK(s && !strcmp(s, "0.0003"), "param %s", s ? s : "(missing)");
    snprintf(path, sizeof path, "%s/%s/%s/tags/mlflow.runName", uri, exp, run_id);
    s = slurp(path);
    CHECK(s && !strcmp(s, "run-1"), "runName tag %s", s ? s : "(missing)");
    snprintf(path, sizeof path, "%s/%s/%s/metrics/loss", uri, exp, run_id);
    s = slurp(path);
    long long t1, t2;
    long long st1, st2;
    char v1[32], v2[32];
    CHECK(s && sscanf(s, "%lld %31s %lld\n%lld %31s %lld\n", &t1, v1, &st1, &t2, v2, &st2) == 6 &&
              !strcmp(v1, "0.5") && st1 == 0 && !strcmp(v2, "0.25") && st2 == 10 &&
              t1 > 1600000000000LL && t2 >= t1,
          "metric lines: %s", s ? s : "(missing)");

    /* resume: same run, RUNNING again, a changed param keeps its first value */
    m = mlflow_open(uri, "unit 'exp'", "ignored", run_id);
    CHECK(m && mlflow_run_id(m) && !strcmp(mlflow_run_id(m), run_id), "resumed the same run");
    if (m) {
        snprintf(path, sizeof path, "%s/%s/%s/meta.yaml", uri, exp, run_id);
        s = slurp(path);
        CHECK(s && strstr(s, "\nstatus: 1\n") && strstr(s, "\nend_time: null\n"), "running again: %s", s);
        mlflow_log_param(m, "lr", "0.1");
        mlflow_log_metric(m, "loss", 0.125, 20);
        CHECK(mlflow_close(m, MLFLOW_KILLED, 10) == 0, "nothing lost on resume");
        snprintf(path, sizeof path, "%s/%s/%s/params/lr", uri, exp, run_id);
        s = slurp(path);
        CHECK(s && !strcmp(s, "0.0003"), "param kept: %s", s ? s : "(missing)");
        snprintf(path, sizeof path, "%s/%s/%s/meta.yaml", uri, exp, run_id);
        s = slurp(path);
        CHECK(s && strstr(s, "\nstatus: 5\n") && strstr(s, "run_name: run-1\n"), "killed: %s", s);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", root);
}

static char *field(char **save)
{
    return strtok_r(NULL, "\t\n", save);
}

static int driver(void)
{
    char line[8192];
    mlflow_t *m = NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin)) {
        char *save = NULL;
        char *cmd = strtok_r(line, "\t\n", &save);
        if (!cmd || cmd[0] == '#') continue;
        if (!strcmp(cmd, "open")) {
            char *uri = field(&save), *exp = field(&save), *name = field(&save);
            char *resume = field(&save);
            if (!uri || !exp || !name) die("open: URI EXPERIMENT RUN_NAME [RESUME]");
            m = mlflow_open(uri, exp, name, resume);
            const char *id = mlflow_run_id(m);
            printf("run_id %s\n", id ? id : "-");
        } else if (!strcmp(cmd, "runid")) {
            const char *id = mlflow_run_id(m);
            printf("run_id %s\n", id ? id : "-");
        } else if (!strcmp(cmd, "param") || !strcmp(cmd, "tag")) {
            char *k = field(&save), *v = field(&save);
            if (!k) die("%s: KEY VALUE", cmd);
            if (cmd[0] == 'p') mlflow_log_param(m, k, v ? v : "");
            else mlflow_set_tag(m, k, v ? v : "");
        } else if (!strcmp(cmd, "metric")) {
            char *k = field(&save), *v = field(&save), *st = field(&save);
            char *end = NULL;
            long step;
            double d = v ? strtod(v, &end) : 0;     /* nan and inf too */
            if (!k || !v || end == v || *end || !st || str_to_long(st, &step))
                die("metric: KEY VALUE STEP");
            mlflow_log_metric(m, k, d, step);
        } else if (!strcmp(cmd, "artifact")) {
            char *p = field(&save), *dir = field(&save);
            if (!p) die("artifact: PATH [DIR]");
            mlflow_log_artifact(m, p, dir);
        } else if (!strcmp(cmd, "sleep")) {
            char *v = field(&save);
            double d;
            if (!v || str_to_double(v, &d)) die("sleep: SECONDS");
            struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
            nanosleep(&ts, NULL);
        } else if (!strcmp(cmd, "close")) {
            char *st = field(&save), *to = field(&save);
            const char *names[] = {"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"};
            int status = 0;
            for (int i = 0; i < 5; i++)
                if (st && !strcmp(st, names[i])) status = i + 1;
            double t = -1;
            if (!status || (to && str_to_double(to, &t))) die("close: STATUS [TIMEOUT]");
            printf("lost %ld\n", mlflow_close(m, (mlflow_status_t)status, t));
            m = NULL;
        } else {
            die("unknown command '%s'", cmd);
        }
    }
    fshut(stdout, "<stdout>");
    return 0;
}

int main(int argc, char **argv)
{
    util_init(argc, argv, "test_mlflow [driver] < SCRIPT");
    if (argc > 1 && !strcmp(argv[1], "driver")) return driver();
    test_format_double();
    test_uri_kind();
    test_file_store();
    if (failures) {
        fprintf(stderr, "test_mlflow: %d failures\n", failures);
        return 1;
    }
    printf("test_mlflow: all passed\n");
    return 0;
}
