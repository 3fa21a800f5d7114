/* mlflow.c: MLflow tracking client (see mlflow.h).
 *
 * Shape: the caller's thread only appends operations (param, tag, metric, artifact, final
 * status) to a queue under a mutex; one worker thread creates the run, then drains the queue in
 * batches through a backend (file store or REST). A retryable failure (HTTP 429 or 5xx, a
 * transport error or timeout) leaves the batch at the head of the queue and the worker sleeps
 * with exponential backoff; a permanent failure (another 4xx) is retried item by item so one
 * bad value costs only itself. mlflow_close sets a deadline, waits for the worker and counts
 * what is left.
 *
 * File-store writes: meta.yaml, params and tags go to a hidden temporary file in the run (or
 * experiment) folder, are fsynced and renamed into place, so MLflow never reads a half-written
 * file and a stray temporary is never taken for a param; metric lines are appended with one
 * write(2) per key and batch, as MLflow appends them.
 */
#include "mlflow.h"
#include "util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#define MAX_BATCH_METRICS 1000
#define MAX_BATCH_PARAMS 100
#define MAX_BATCH_TAGS 100
#define MAX_BATCH_TOTAL 1000
#define MAX_QUEUED 200000
#define BACKOFF_FIRST 0.5
#define BACKOFF_MAX 30.0
#define DEFAULT_FLUSH_TIMEOUT 30.0
#define DEFAULT_REQUEST_TIMEOUT 120.0
#define OPEN_WAIT_MAX 10.0

const char mlflow_uri_accepted[] =
    "a directory path, file:PATH, http://HOST[:PORT][/PATH], https://HOST[:PORT][/PATH] or none";

static const char *status_names[] = {"", "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"};

const char *mlflow_status_name(mlflow_status_t s)
{
    return s >= MLFLOW_RUNNING && s <= MLFLOW_KILLED ? status_names[s] : "UNKNOWN";
}

/* ---------------------------------------------------------------- small helpers */

typedef struct {
    char *p;
    size_t len, cap;
} sbuf_t;

static void sb_addn(sbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) { sb_addn(b, tmp, (size_t)n); return; }
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_addn(b, big, (size_t)n);
    free(big);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void random_bytes(unsigned char *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(b + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("getrandom:");
        }
        got += (size_t)r;
    }
}

/* uuid4().hex, as MLflow's run ids */
static void new_run_id(char out[33])
{
    unsigned char b[16];
    random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* 18 decimal digits without a leading zero, as MLflow's _generate_unique_integer_id */
static void new_experiment_id(char out[19])
{
    unsigned char b[18];
    random_bytes(b, sizeof b);
    out[0] = (char)('1' + b[0] % 9);
    for (int i = 1; i < 18; i++) out[i] = (char)('0' + b[i] % 10);
    out[18] = 0;
}

void mlflow_format_double(char *buf, size_t n, double v)
{
    if (isnan(v)) { snprintf(buf, n, "nan"); return; }
    if (isinf(v)) { snprintf(buf, n, v > 0 ? "inf" : "-inf"); return; }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    /* Python writes integral floats as 3.0, not 3 */
    if (!strpbrk(buf, ".eEn")) {
        size_t l = strlen(buf);
        if (l + 3 <= n) memcpy(buf + l, ".0", 3);
    }
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int env_true(const char *name)
{
    const char *v = getenv(name);
    return v && (!strcasecmp(v, "true") || !strcmp(v, "1"));
}

static double env_seconds(const char *name, double dflt)
{
    const char *v = env_nonempty(name);
    double d;
    if (v && str_to_double(v, &d) == 0 && d >= 0) return d;
    return dflt;
}

/* ---------------------------------------------------------------- URIs */

static int has_scheme(const char *uri, size_t *len)
{
    size_t i = 0;
    if (!isalpha((unsigned char)uri[0])) return 0;
    while (isalnum((unsigned char)uri[i]) || uri[i] == '+' || uri[i] == '-' || uri[i] == '.') i++;
    if (uri[i] != ':') return 0;
    *len = i;
    return 1;
}

int mlflow_uri_kind(const char *uri)
{
    size_t n;
    if (!uri || !*uri) return -1;
    if (!strcmp(uri, "none")) return MLFLOW_NONE;
    if (!has_scheme(uri, &n)) return MLFLOW_FILE;
    if (n == 4 && !strncasecmp(uri, "file", 4)) return uri[5] ? MLFLOW_FILE : -1;
    if ((n == 4 && !strncasecmp(uri, "http", 4)) || (n == 5 && !strncasecmp(uri, "https", 5)))
        return strncmp(uri + n + 1, "//", 2) == 0 && uri[n + 3] ? MLFLOW_REST : -1;
    return -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *percent_decode(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
    return out;
}

/* Local path of a file-store URI ("mlruns", "file:///abs", "file:rel"), made absolute. */
static char *file_uri_path(const char *uri)
{
    char *path;
    if (!strncasecmp(uri, "file://", 7)) {
        const char *p = uri + 7;
        if (!strncasecmp(p, "localhost/", 10)) p += 9;
        path = percent_decode(p);
    } else if (!strncasecmp(uri, "file:", 5)) {
        path = percent_decode(uri + 5);
    } else {
        path = xstrdup(uri);
    }
    if (path[0] != '/') {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) { free(path); return NULL; }
        const char *rel = path;
        while (rel[0] == '.' && rel[1] == '/') rel += 2;
        char *abs = !strcmp(rel, ".") ? xstrdup(cwd) : xasprintf("%s/%s", cwd, rel);
        free(path);
        path = abs;
    }
    size_t l = strlen(path);
    while (l > 1 && path[l - 1] == '/') path[--l] = 0;
    return path;
}

/* file:// URI of an absolute path, percent-encoding as pathlib's as_uri does. */
static char *path_to_file_uri(const char *path)
{
    sbuf_t b = {0};
    sb_addn(&b, "file://", 7);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || strchr("/-._~!$&'()*+,;=:@", *p)) sb_addn(&b, (const char *)p, 1);
        else sb_printf(&b, "%%%02X", *p);
    }
    return b.p;
}

/* ---------------------------------------------------------------- YAML */

/* PyYAML's implicit resolvers (yaml/resolver.py): a string matching one of these is written
 * quoted by yaml.safe_dump, so that it reads back as a string. */
static const char *const yaml_implicit_re[] = {
    "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
    "^([-+]?([0-9][0-9_]*)\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9][0-9_]*([eE][-+][0-9]+)?"
    "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
    "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
    "|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
    "^(<<)$",
    "^(~|null|Null|NULL|)$",
    "^([0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
    "([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\\.[0-9]*)?"
    "([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?)$",
    "^(=)$",
};
#define N_IMPLICIT (sizeof yaml_implicit_re / sizeof yaml_implicit_re[0])
static regex_t yaml_implicit[N_IMPLICIT];
static pthread_once_t yaml_once = PTHREAD_ONCE_INIT;

static void yaml_compile(void)
{
    for (size_t i = 0; i < N_IMPLICIT; i++)
        if (regcomp(&yaml_implicit[i], yaml_implicit_re[i], REG_EXTENDED | REG_NOSUB) != 0)
            die("mlflow: internal regex %zu does not compile", i);
}

static int yaml_resolves_implicitly(const char *s)
{
    pthread_once(&yaml_once, yaml_compile);
    for (size_t i = 0; i < N_IMPLICIT; i++)
        if (regexec(&yaml_implicit[i], s, 0, NULL, 0) == 0) return 1;
    return 0;
}

typedef enum { YV_STR, YV_INT, YV_NULL, YV_EMPTY_LIST } yval_kind_t;
typedef struct {
    const char *key;
    yval_kind_t kind;
    const char *str;     /* YV_STR */
    int64_t num;         /* YV_INT */
} ykv_t;

static int yaml_write_handler(void *data, unsigned char *buf, size_t size)
{
    sb_addn((sbuf_t *)data, (const char *)buf, size);
    return 1;
}

static int ykv_cmp(const void *a, const void *b)
{
    return strcmp(((const ykv_t *)a)->key, ((const ykv_t *)b)->key);
}

static int emit_scalar(yaml_emitter_t *em, const char *s, int plain_ok)
{
    yaml_event_t ev;
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain_ok, 1,
                                 YAML_ANY_SCALAR_STYLE);
    return yaml_emitter_emit(em, &ev);
}

/* A flat mapping, keys sorted, as yaml.safe_dump(d, default_flow_style=False,
 * allow_unicode=True, sort_keys=True) writes it. Returns a malloc'd string or NULL. */
static char *yaml_dump_mapping(ykv_t *kv, int n)
{
    yaml_emitter_t em;
    yaml_event_t ev;
    sbuf_t out = {0};
    int ok = 1;
    qsort(kv, (size_t)n, sizeof *kv, ykv_cmp);
    if (!yaml_emitter_initialize(&em)) return NULL;
    yaml_emitter_set_output(&em, yaml_write_handler, &out);
    yaml_emitter_set_unicode(&em, 1);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    ok = ok && yaml_emitter_emit(&em, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    ok = ok && yaml_emitter_emit(&em, &ev);
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    ok = ok && yaml_emitter_emit(&em, &ev);
    for (int i = 0; ok && i < n; i++) {
        char num[32];
        ok = emit_scalar(&em, kv[i].key, !yaml_resolves_implicitly(kv[i].key));
        if (!ok) break;
        switch (kv[i].kind) {
        case YV_STR:
            ok = emit_scalar(&em, kv[i].str, !yaml_resolves_implicitly(kv[i].str));
            break;
        case YV_INT:
            snprintf(num, sizeof num, "%lld", (long long)kv[i].num);
            ok = emit_scalar(&em, num, 1);
            break;
        case YV_NULL:
            ok = emit_scalar(&em, "null", 1);
            break;
        case YV_EMPTY_LIST:
            yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
            ok = yaml_emitter_emit(&em, &ev);
            yaml_sequence_end_event_initialize(&ev);
            ok = ok && yaml_emitter_emit(&em, &ev);
            break;
        }
    }
    yaml_mapping_end_event_initialize(&ev);
    ok = ok && yaml_emitter_emit(&em, &ev);
    yaml_document_end_event_initialize(&ev, 1);
    ok = ok && yaml_emitter_emit(&em, &ev);
    yaml_stream_end_event_initialize(&ev);
    ok = ok && yaml_emitter_emit(&em, &ev);
    yaml_emitter_delete(&em);
    if (!ok) { free(out.p); return NULL; }
    return out.p;
}

/* The scalar values of a top-level YAML mapping (nested values are skipped). */
typedef struct {
    int n;
    char **key, **val;
    int *quoted;
} ymap_t;

static void ymap_free(ymap_t *m)
{
    for (int i = 0; i < m->n; i++) { free(m->key[i]); free(m->val[i]); }
    free(m->key); free(m->val); free(m->quoted);
    memset(m, 0, sizeof *m);
}

static const char *ymap_get(const ymap_t *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->key[i], key)) return m->val[i];
    return NULL;
}

static int yaml_read_mapping(const char *path, ymap_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    yaml_parser_t p;
    yaml_event_t ev;
    int depth = 0, ok = 0, done = 0;
    char *key = NULL;
    memset(out, 0, sizeof *out);
    if (!yaml_parser_initialize(&p)) { fclose(f); return -1; }
    yaml_parser_set_input_file(&p, f);
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) break;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = 1; ok = 1; break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            depth++;
            if (depth == 2 && key) { free(key); key = NULL; }
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            depth--;
            break;
        case YAML_SCALAR_EVENT:
            if (depth != 1) break;
            if (!key) {
                key = xstrdup((const char *)ev.data.scalar.value);
            } else {
                out->key = xrealloc(out->key, sizeof(char *) * (size_t)(out->n + 1));
                out->val = xrealloc(out->val, sizeof(char *) * (size_t)(out->n + 1));
                out->quoted = xrealloc(out->quoted, sizeof(int) * (size_t)(out->n + 1));
                out->key[out->n] = key;
                out->val[out->n] = xstrdup((const char *)ev.data.scalar.value);
                out->quoted[out->n] = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
                out->n++;
                key = NULL;
            }
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    free(key);
    yaml_parser_delete(&p);
    fclose(f);
    if (!ok) { ymap_free(out); return -1; }
    return 0;
}

/* ---------------------------------------------------------------- the client */

typedef enum { OP_PARAM, OP_TAG, OP_METRIC, OP_ARTIFACT, OP_STATUS } op_kind_t;

typedef struct op {
    op_kind_t kind;
    char *key;          /* param/tag/metric key; artifact: local path */
    char *value;        /* param/tag value; artifact: artifact dir ("" = root) */
    double num;         /* metric value */
    int64_t step;       /* metric step; status: the status */
    int64_t ts;         /* metric timestamp, status end time (ms) */
    int solo;           /* refused in a batch: send alone, so it costs only itself */
    int checked;        /* param compared with the resumed run's */
    int skip;           /* param the resumed run already has */
    struct op *next;
} op_t;

typedef enum { RES_OK, RES_RETRY, RES_FAIL } res_t;

struct mlflow {
    mlflow_kind_t kind;
    char *uri, *experiment, *run_name, *resume_id, *user;
    /* filled by the start */
    char *experiment_id, *run_id, *artifact_uri;
    /* params the resumed run already has */
    int n_old;
    char **old_key, **old_val;

    /* file store */
    char *root, *run_dir;
    int64_t start_time;
    char *lifecycle;
    unsigned tmp_counter;

    /* REST */
    char *base;
    CURL *curl;
    double request_timeout;

    /* queue and worker */
    pthread_mutex_t mu;
    pthread_cond_t cv;        /* signalled on new work, on close, and on the first attempt */
    pthread_t thread;
    op_t *head, *tail;
    long queued;
    int started;              /* run created */
    int first_attempt_done;
    int dead;                 /* the run cannot be created: drop everything */
    int closing;
    double deadline;          /* monotonic seconds, when closing */
    int warned;
    long warned_refused;      /* permanent refusals so far (warned about once) */
    int failing;              /* the last attempt failed (retryable) */
    char err[1024];           /* the last error */
    long lost_metrics, lost_params, lost_tags, lost_status;
    sbuf_t lost_artifacts;
    long n_lost_artifacts;
};

static void set_err(mlflow_t *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(mlflow_t *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
}

static void op_free(op_t *o)
{
    free(o->key);
    free(o->value);
    free(o);
}

/* ---------------------------------------------------------------- file store backend */

/* Write data to dir/name through a hidden temporary in tmpdir (same file system). */
static int fs_write_atomic(mlflow_t *m, const char *tmpdir, const char *final, const char *data,
                           size_t len)
{
    char *tmp = xasprintf("%s/.aekit-tmp.%ld.%u", tmpdir, (long)getpid(), m->tmp_counter++);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { set_err(m, "%s: %s", tmp, strerror(errno)); free(tmp); return -1; }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            set_err(m, "%s: %s", tmp, strerror(errno));
            close(fd); unlink(tmp); free(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        set_err(m, "%s: %s", tmp, strerror(errno));
        unlink(tmp); free(tmp);
        return -1;
    }
    if (rename(tmp, final) != 0) {
        set_err(m, "%s: %s", final, strerror(errno));
        unlink(tmp); free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

static int mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) { free(p); return -1; }
        *s = '/';
    }
    int r = mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return r;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int fs_write_experiment_meta(mlflow_t *m, const char *id, const char *name)
{
    char *dir = xasprintf("%s/%s", m->root, id);
    char *final = xasprintf("%s/meta.yaml", dir);
    char *loc = path_to_file_uri(dir);
    int64_t t = now_ms();
    ykv_t kv[] = {
        {"artifact_location", YV_STR, loc, 0},
        {"creation_time", YV_INT, NULL, t},
        {"effective_trace_archival_retention", YV_NULL, NULL, 0},
        {"experiment_id", YV_STR, id, 0},
        {"last_update_time", YV_INT, NULL, t},
        {"lifecycle_stage", YV_STR, "active", 0},
        {"name", YV_STR, name, 0},
        {"trace_location", YV_NULL, NULL, 0},
        {"workspace", YV_STR, "default", 0},
    };
    char *y = yaml_dump_mapping(kv, (int)(sizeof kv / sizeof kv[0]));
    int r = -1;
    if (!y) set_err(m, "%s: cannot format YAML", final);
    else if (mkdir(dir, 0755) != 0 && errno != EEXIST) set_err(m, "%s: %s", dir, strerror(errno));
    else r = fs_write_atomic(m, dir, final, y, strlen(y));
    free(y); free(loc); free(final); free(dir);
    return r;
}

static int fs_write_run_meta(mlflow_t *m, int status, int64_t end_time)
{
    char *final = xasprintf("%s/meta.yaml", m->run_dir);
    ykv_t kv[] = {
        {"artifact_uri", YV_STR, m->artifact_uri, 0},
        {"end_time", end_time ? YV_INT : YV_NULL, NULL, end_time},
        {"entry_point_name", YV_STR, "", 0},
        {"experiment_id", YV_STR, m->experiment_id, 0},
        {"lifecycle_stage", YV_STR, m->lifecycle ? m->lifecycle : "active", 0},
        {"run_id", YV_STR, m->run_id, 0},
        {"run_name", YV_STR, m->run_name, 0},
        {"run_uuid", YV_STR, m->run_id, 0},
        {"source_name", YV_STR, "", 0},
        {"source_type", YV_INT, NULL, 4},       /* SourceType.LOCAL */
        {"source_version", YV_STR, "", 0},
        {"start_time", YV_INT, NULL, m->start_time},
        {"status", YV_INT, NULL, status},
        {"tags", YV_EMPTY_LIST, NULL, 0},
        {"user_id", YV_STR, m->user, 0},
    };
    char *y = yaml_dump_mapping(kv, (int)(sizeof kv / sizeof kv[0]));
    int r = -1;
    if (!y) set_err(m, "%s: cannot format YAML", final);
    else r = fs_write_atomic(m, m->run_dir, final, y, strlen(y));
    free(y);
    free(final);
    return r;
}

static char *read_small_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    sbuf_t b = {0};
    char buf[4096];
    size_t n;
    sb_addn(&b, "", 0);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_addn(&b, buf, n);
    fclose(f);
    return b.p;
}

static void old_param_add(mlflow_t *m, const char *k, const char *v)
{
    m->old_key = xrealloc(m->old_key, sizeof(char *) * (size_t)(m->n_old + 1));
    m->old_val = xrealloc(m->old_val, sizeof(char *) * (size_t)(m->n_old + 1));
    m->old_key[m->n_old] = xstrdup(k);
    m->old_val[m->n_old] = xstrdup(v);
    m->n_old++;
}

/* Find experiment `name` under the root (active ones, then the trash). */
static res_t fs_find_experiment(mlflow_t *m, const char *name, char **id_out)
{
    const char *where[] = {"", "/.trash"};
    *id_out = NULL;
    for (int w = 0; w < 2; w++) {
        char *dir = xasprintf("%s%s", m->root, where[w]);
        DIR *d = opendir(dir);
        if (!d) { free(dir); continue; }
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char *meta = xasprintf("%s/%s/meta.yaml", dir, e->d_name);
            ymap_t y;
            if (yaml_read_mapping(meta, &y) == 0) {
                const char *n = ymap_get(&y, "name");
                const char *stage = ymap_get(&y, "lifecycle_stage");
                const char *id = ymap_get(&y, "experiment_id");
                if (n && id && !strcmp(n, name)) {
                    if (w == 1 || (stage && strcmp(stage, "active") != 0)) {
                        set_err(m, "experiment '%s' is deleted (%s/%s); restore it with "
                                   "'mlflow experiments restore' or choose another name",
                                name, dir, e->d_name);
                        ymap_free(&y); free(meta); closedir(d); free(dir);
                        return RES_FAIL;
                    }
                    *id_out = xstrdup(id);
                    ymap_free(&y); free(meta); closedir(d); free(dir);
                    return RES_OK;
                }
                ymap_free(&y);
            }
            free(meta);
        }
        closedir(d);
        free(dir);
    }
    return RES_OK;
}

static res_t fs_resume(mlflow_t *m)
{
    DIR *d = opendir(m->root);
    if (!d) return RES_OK;
    struct dirent *e;
    char *found = NULL;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *meta = xasprintf("%s/%s/%s/meta.yaml", m->root, e->d_name, m->resume_id);
        if (access(meta, R_OK) == 0) found = xasprintf("%s/%s/%s", m->root, e->d_name, m->resume_id);
        free(meta);
    }
    closedir(d);
    if (!found) return RES_OK;
    char *meta = xasprintf("%s/meta.yaml", found);
    ymap_t y;
    if (yaml_read_mapping(meta, &y) != 0) {
        set_err(m, "%s: cannot read", meta);
        free(meta); free(found);
        return RES_FAIL;
    }
    free(meta);
    const char *exp = ymap_get(&y, "experiment_id"), *art = ymap_get(&y, "artifact_uri");
    const char *st = ymap_get(&y, "start_time"), *name = ymap_get(&y, "run_name");
    const char *user = ymap_get(&y, "user_id"), *stage = ymap_get(&y, "lifecycle_stage");
    long start = 0;
    if (!exp || !art || !st || str_to_long(st, &start) != 0) {
        set_err(m, "%s/meta.yaml: not an MLflow run", found);
        ymap_free(&y); free(found);
        return RES_FAIL;
    }
    m->run_dir = found;
    m->run_id = xstrdup(m->resume_id);
    m->experiment_id = xstrdup(exp);
    m->artifact_uri = xstrdup(art);
    m->start_time = start;
    if (name && *name) { free(m->run_name); m->run_name = xstrdup(name); }
    if (user && *user) { free(m->user); m->user = xstrdup(user); }
    if (stage) m->lifecycle = xstrdup(stage);
    ymap_free(&y);
    /* the params it has: a resumed run may not change them */
    char *pdir = xasprintf("%s/params", m->run_dir);
    DIR *pd = opendir(pdir);
    if (pd) {
        while ((e = readdir(pd))) {
            if (e->d_name[0] == '.') continue;
            char *pf = xasprintf("%s/%s", pdir, e->d_name);
            char *v = read_small_file(pf);
            if (v) { old_param_add(m, e->d_name, v); free(v); }
            free(pf);
        }
        closedir(pd);
    }
    free(pdir);
    if (fs_write_run_meta(m, MLFLOW_RUNNING, 0) != 0) return RES_FAIL;
    return RES_OK;
}

static res_t fs_start(mlflow_t *m)
{
    res_t r = RES_FAIL;
    int lockfd = -1;
    char *exp_id = NULL;
    if (!is_dir(m->root)) {
        if (mkdir_p(m->root) != 0) {
            set_err(m, "%s: %s", m->root, strerror(errno));
            return RES_FAIL;
        }
        if (fs_write_experiment_meta(m, "0", "Default") != 0) return RES_FAIL;
        char *trash = xasprintf("%s/.trash", m->root);
        mkdir(trash, 0755);
        free(trash);
    }
    /* two runs starting at once must not both create the experiment */
    lockfd = open(m->root, O_RDONLY | O_DIRECTORY);
    if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0) {
        set_err(m, "%s: %s", m->root, strerror(errno));
        goto out;
    }
    if (m->resume_id) {
        if (fs_resume(m) != RES_OK) goto out;
        if (m->run_id) { r = RES_OK; goto out; }
        warnmsg("mlflow: run %s is not in %s; starting a new run", m->resume_id, m->uri);
    }
    if (fs_find_experiment(m, m->experiment, &exp_id) != RES_OK) goto out;
    if (!exp_id) {
        char id[19];
        for (int tries = 0; tries < 100; tries++) {
            new_experiment_id(id);
            char *dir = xasprintf("%s/%s", m->root, id);
            int e = mkdir(dir, 0755);
            free(dir);
            if (e == 0) break;
            if (errno != EEXIST) { set_err(m, "%s/%s: %s", m->root, id, strerror(errno)); goto out; }
        }
        if (fs_write_experiment_meta(m, id, m->experiment) != 0) goto out;
        exp_id = xstrdup(id);
    }
    char rid[33];
    new_run_id(rid);
    m->experiment_id = exp_id;
    exp_id = NULL;
    m->run_id = xstrdup(rid);
    m->run_dir = xasprintf("%s/%s/%s", m->root, m->experiment_id, rid);
    char *art = xasprintf("%s/artifacts", m->run_dir);
    m->artifact_uri = path_to_file_uri(art);
    m->start_time = now_ms();
    const char *sub[] = {"metrics", "params", "tags", "artifacts"};
    if (mkdir_p(m->run_dir) != 0) {
        set_err(m, "%s: %s", m->run_dir, strerror(errno));
        free(art);
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        char *s = xasprintf("%s/%s", m->run_dir, sub[i]);
        int e = mkdir(s, 0755);
        if (e != 0 && errno != EEXIST) {
            set_err(m, "%s: %s", s, strerror(errno));
            free(s); free(art);
            goto out;
        }
        free(s);
    }
    free(art);
    if (fs_write_run_meta(m, MLFLOW_RUNNING, 0) != 0) goto out;
    r = RES_OK;
out:
    free(exp_id);
    if (lockfd >= 0) close(lockfd);
    return r;
}

static int fs_append(mlflow_t *m, const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) { set_err(m, "%s: %s", path, strerror(errno)); return -1; }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            set_err(m, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    if (close(fd) != 0) { set_err(m, "%s: %s", path, strerror(errno)); return -1; }
    return 0;
}

/* A key as a relative path under the run: MLflow allows '/', never '..' or a leading '/'. */
static int key_ok(const char *k)
{
    if (!*k || k[0] == '/' || strstr(k, "..") || strlen(k) > 250) return 0;
    for (const char *s = k; *s; s++)
        if (!(isalnum((unsigned char)*s) || strchr("_-. /:", *s))) return 0;
    return 1;
}

static res_t fs_log_batch(mlflow_t *m, op_t **ops, int n)
{
    char *done = xcalloc((size_t)n, 1);
    res_t r = RES_OK;
    for (int i = 0; i < n && r == RES_OK; i++) {
        op_t *o = ops[i];
        if (done[i]) continue;          /* written with an earlier metric of the same key */
        if (!key_ok(o->key)) {
            set_err(m, "invalid key '%s'", o->key);
            r = RES_FAIL;
            break;
        }
        char *path;
        int e;
        if (o->kind == OP_METRIC) {
            /* all lines of this key in the batch, in one append */
            sbuf_t b = {0};
            for (int j = i; j < n; j++) {
                if (ops[j]->kind != OP_METRIC || strcmp(ops[j]->key, o->key) != 0) continue;
                char v[40];
                mlflow_format_double(v, sizeof v, ops[j]->num);
                sb_printf(&b, "%lld %s %lld\n", (long long)ops[j]->ts, v, (long long)ops[j]->step);
                done[j] = 1;
            }
            path = xasprintf("%s/metrics/%s", m->run_dir, o->key);
            char *slash = strrchr(path, '/');
            *slash = 0;
            mkdir_p(path);
            *slash = '/';
            e = fs_append(m, path, b.p, b.len);
            free(b.p);
        } else {
            path = xasprintf("%s/%s/%s", m->run_dir, o->kind == OP_PARAM ? "params" : "tags", o->key);
            char *slash = strrchr(path, '/');
            *slash = 0;
            mkdir_p(path);
            *slash = '/';
            e = fs_write_atomic(m, m->run_dir, path, o->value, strlen(o->value));
        }
        free(path);
        if (e != 0) r = RES_FAIL;
    }
    free(done);
    return r;
}

static int copy_file_atomic(mlflow_t *m, const char *src, const char *dir, const char *name,
                            const char *tmpdir)
{
    FILE *in = fopen(src, "rb");
    if (!in) { set_err(m, "%s: %s", src, strerror(errno)); return -1; }
    if (mkdir_p(dir) != 0) {
        set_err(m, "%s: %s", dir, strerror(errno));
        fclose(in);
        return -1;
    }
    char *tmp = xasprintf("%s/.aekit-tmp.%ld.%u", tmpdir, (long)getpid(), m->tmp_counter++);
    char *final = xasprintf("%s/%s", dir, name);
    FILE *out = fopen(tmp, "wb");
    int r = -1;
    if (!out) { set_err(m, "%s: %s", tmp, strerror(errno)); goto done; }
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) break;
    if (ferror(in)) { set_err(m, "%s: read error", src); fclose(out); unlink(tmp); goto done; }
    if (fflush(out) != 0 || fsync(fileno(out)) != 0 || ferror(out)) {
        set_err(m, "%s: %s", tmp, strerror(errno));
        fclose(out); unlink(tmp);
        goto done;
    }
    if (fclose(out) != 0 || rename(tmp, final) != 0) {
        set_err(m, "%s: %s", final, strerror(errno));
        unlink(tmp);
        goto done;
    }
    r = 0;
done:
    fclose(in);
    free(tmp);
    free(final);
    return r;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Copy an artifact into a local artifact location (file:// URI or plain path). */
static res_t local_artifact(mlflow_t *m, const char *art_uri, op_t *o)
{
    char *root = file_uri_path(art_uri);
    if (!root) { set_err(m, "getcwd: %s", strerror(errno)); return RES_FAIL; }
    char *dir = *o->value ? xasprintf("%s/%s", root, o->value) : xstrdup(root);
    /* the temporary goes beside the artifacts folder, never inside it */
    char *tmpdir = xstrdup(root);
    char *slash = strrchr(tmpdir, '/');
    if (slash && slash != tmpdir) *slash = 0;
    int e = copy_file_atomic(m, o->key, dir, base_name(o->key), tmpdir);
    free(tmpdir); free(dir); free(root);
    return e == 0 ? RES_OK : RES_FAIL;
}

static res_t fs_artifact(mlflow_t *m, op_t *o)
{
    return local_artifact(m, m->artifact_uri, o);
}

static res_t fs_update(mlflow_t *m, int status, int64_t end_time)
{
    return fs_write_run_meta(m, status, end_time) == 0 ? RES_OK : RES_FAIL;
}

/* ---------------------------------------------------------------- REST backend */

typedef struct {
    long code;
    sbuf_t body;
} http_resp_t;

static size_t curl_sink(char *p, size_t size, size_t nmemb, void *data)
{
    sb_addn(&((http_resp_t *)data)->body, p, size * nmemb);
    return size * nmemb;
}

static double mono(void) { return now_seconds(); }

/* "runs/log-batch" for "/api/2.0/mlflow/runs/log-batch", for messages */
static const char *api_name(const char *path)
{
    const char *pre[] = {"/api/2.0/mlflow/", "/api/2.0/mlflow-artifacts/"};
    for (int i = 0; i < 2; i++)
        if (!strncmp(path, pre[i], strlen(pre[i]))) return path + strlen(pre[i]);
    return path;
}

/* One HTTP request. json_body (POST) or upload (PUT of a file) or neither (GET).
 * On success (2xx) returns RES_OK with *out the parsed JSON (may be NULL for an empty body). */
static res_t rest_call(mlflow_t *m, const char *method, const char *path, json_t *json_body,
                       FILE *upload, curl_off_t upload_size, json_t **out, long *code_out)
{
    CURL *c = m->curl;
    http_resp_t resp = {0};
    struct curl_slist *hdr = NULL;
    char *url = xasprintf("%s%s", m->base, path);
    char *body = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    res_t r;
    if (out) *out = NULL;
    if (code_out) *code_out = 0;

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "aekit/" AEKIT_VERSION);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    double limit = m->request_timeout;
    pthread_mutex_lock(&m->mu);
    if (m->closing) {
        double left = m->deadline - mono();
        if (left < limit) limit = left > 0.5 ? left : 0.5;
    }
    pthread_mutex_unlock(&m->mu);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(limit * 1000));
    const char *user = env_nonempty("MLFLOW_TRACKING_USERNAME");
    const char *pass = env_nonempty("MLFLOW_TRACKING_PASSWORD");
    const char *token = env_nonempty("MLFLOW_TRACKING_TOKEN");
    if (user && pass) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
    } else if (token) {
        char *h = xasprintf("Authorization: Bearer %s", token);
        hdr = curl_slist_append(hdr, h);
        free(h);
    }
    if (env_true("MLFLOW_TRACKING_INSECURE_TLS")) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    const char *ca = env_nonempty("MLFLOW_TRACKING_SERVER_CERT_PATH");
    if (ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    const char *cert = env_nonempty("MLFLOW_TRACKING_CLIENT_CERT_PATH");
    if (cert) curl_easy_setopt(c, CURLOPT_SSLCERT, cert);

    if (json_body) {
        body = json_dumps(json_body, JSON_COMPACT);
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (upload) {
        hdr = curl_slist_append(hdr, "Content-Type: application/octet-stream");
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READDATA, upload);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, upload_size);
    }
    hdr = curl_slist_append(hdr, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);

    CURLcode cr = curl_easy_perform(c);
    if (cr != CURLE_OK) {
        set_err(m, "%s %s: %s", method, api_name(path), *errbuf ? errbuf : curl_easy_strerror(cr));
        r = RES_RETRY;
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.code);
    if (code_out) *code_out = resp.code;
    json_t *j = resp.body.len ? json_loadb(resp.body.p, resp.body.len, 0, NULL) : NULL;
    if (resp.code >= 200 && resp.code < 300) {
        if (out) *out = j;
        else json_decref(j);
        r = RES_OK;
        goto done;
    }
    const char *ec = j ? json_string_value(json_object_get(j, "error_code")) : NULL;
    const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
    if (msg || ec)
        set_err(m, "%s %s: HTTP %ld %s%s%s", method, api_name(path), resp.code, ec ? ec : "",
                ec && msg ? ": " : "", msg ? msg : "");
    else
        set_err(m, "%s %s: HTTP %ld%s%.200s", method, api_name(path), resp.code, resp.body.len ? ": " : "",
                resp.body.len ? resp.body.p : "");
    /* keep the error code for the caller (RESOURCE_DOES_NOT_EXIST etc.) */
    if (out && j) *out = j;
    else json_decref(j);
    r = resp.code == 429 || resp.code >= 500 ? RES_RETRY : RES_FAIL;
done:
    curl_slist_free_all(hdr);
    free(body);
    free(url);
    free(resp.body.p);
    return r;
}

static const char *json_err_code(json_t *j)
{
    return j ? json_string_value(json_object_get(j, "error_code")) : NULL;
}

static char *url_escape(mlflow_t *m, const char *s)
{
    char *e = curl_easy_escape(m->curl, s, 0);
    char *r = xstrdup(e ? e : "");
    curl_free(e);
    return r;
}

static json_t *tag_obj(const char *k, const char *v)
{
    return json_pack("{s:s, s:s}", "key", k, "value", v);
}

static res_t rest_resume(mlflow_t *m)
{
    json_t *j = NULL;
    long code;
    char *id = url_escape(m, m->resume_id);
    char *path = xasprintf("/api/2.0/mlflow/runs/get?run_id=%s", id);
    free(id);
    res_t r = rest_call(m, "GET", path, NULL, NULL, 0, &j, &code);
    free(path);
    if (r == RES_RETRY) { json_decref(j); return r; }
    if (r == RES_FAIL) {
        const char *ec = json_err_code(j);
        int missing = code == 404 || (ec && !strcmp(ec, "RESOURCE_DOES_NOT_EXIST"));
        json_decref(j);
        return missing ? RES_OK : RES_FAIL;     /* missing: the caller starts a new run */
    }
    json_t *info = json_object_get(json_object_get(j, "run"), "info");
    const char *exp = json_string_value(json_object_get(info, "experiment_id"));
    const char *art = json_string_value(json_object_get(info, "artifact_uri"));
    if (!exp || !art) {
        set_err(m, "runs/get: no run info in the answer");
        json_decref(j);
        return RES_FAIL;
    }
    json_t *params = json_object_get(json_object_get(json_object_get(j, "run"), "data"), "params");
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p) {
        const char *k = json_string_value(json_object_get(p, "key"));
        const char *v = json_string_value(json_object_get(p, "value"));
        if (k) old_param_add(m, k, v ? v : "");
    }
    json_t *req = json_pack("{s:s, s:s, s:s}", "run_id", m->resume_id, "run_uuid", m->resume_id,
                            "status", "RUNNING");
    json_t *ans = NULL;
    r = rest_call(m, "POST", "/api/2.0/mlflow/runs/update", req, NULL, 0, &ans, NULL);
    json_decref(req);
    json_decref(ans);
    if (r != RES_OK) {
        for (int k = 0; k < m->n_old; k++) { free(m->old_key[k]); free(m->old_val[k]); }
        m->n_old = 0;
        json_decref(j);
        return r;
    }
    m->experiment_id = xstrdup(exp);
    m->artifact_uri = xstrdup(art);
    m->run_id = xstrdup(m->resume_id);
    json_decref(j);
    return RES_OK;
}

static res_t rest_experiment(mlflow_t *m, char **id_out)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        json_t *j = NULL;
        long code;
        char *name = url_escape(m, m->experiment);
        char *path = xasprintf("/api/2.0/mlflow/experiments/get-by-name?experiment_name=%s", name);
        free(name);
        res_t r = rest_call(m, "GET", path, NULL, NULL, 0, &j, &code);
        free(path);
        if (r == RES_OK) {
            json_t *e = json_object_get(j, "experiment");
            const char *id = json_string_value(json_object_get(e, "experiment_id"));
            const char *stage = json_string_value(json_object_get(e, "lifecycle_stage"));
            if (!id) {
                set_err(m, "experiments/get-by-name: no experiment_id in the answer");
                json_decref(j);
                return RES_FAIL;
            }
            if (stage && strcmp(stage, "active") != 0) {
                set_err(m, "experiment '%s' is deleted on the server; restore it or choose "
                           "another name", m->experiment);
                json_decref(j);
                return RES_FAIL;
            }
            *id_out = xstrdup(id);
            json_decref(j);
            return RES_OK;
        }
        const char *ec = json_err_code(j);
        int missing = r == RES_FAIL && (code == 404 || (ec && !strcmp(ec, "RESOURCE_DOES_NOT_EXIST")));
        json_decref(j);
        if (!missing) return r;
        json_t *req = json_pack("{s:s}", "name", m->experiment);
        j = NULL;
        r = rest_call(m, "POST", "/api/2.0/mlflow/experiments/create", req, NULL, 0, &j, &code);
        json_decref(req);
        if (r == RES_OK) {
            const char *id = json_string_value(json_object_get(j, "experiment_id"));
            if (!id) {
                set_err(m, "experiments/create: no experiment_id in the answer");
                json_decref(j);
                return RES_FAIL;
            }
            *id_out = xstrdup(id);
            json_decref(j);
            return RES_OK;
        }
        ec = json_err_code(j);
        int exists = ec && !strcmp(ec, "RESOURCE_ALREADY_EXISTS");
        json_decref(j);
        if (!exists) return r;
        /* created by someone else meanwhile: look it up again */
    }
    return RES_RETRY;
}

static res_t rest_start(mlflow_t *m)
{
    if (m->resume_id && !m->run_id) {
        res_t r = rest_resume(m);
        if (r != RES_OK) return r;
        if (m->run_id) return RES_OK;
        warnmsg("mlflow: run %s is not on %s; starting a new run", m->resume_id, m->uri);
        free(m->resume_id);
        m->resume_id = NULL;
    }
    if (!m->experiment_id) {
        char *id = NULL;
        res_t r = rest_experiment(m, &id);
        if (r != RES_OK) return r;
        m->experiment_id = id;
    }
    json_t *tags = json_array();
    json_array_append_new(tags, tag_obj("mlflow.runName", m->run_name));
    json_array_append_new(tags, tag_obj("mlflow.user", m->user));
    json_t *req = json_pack("{s:s, s:s, s:s, s:I, s:o}", "experiment_id", m->experiment_id,
                            "user_id", m->user, "run_name", m->run_name, "start_time",
                            (json_int_t)m->start_time, "tags", tags);
    json_t *j = NULL;
    res_t r = rest_call(m, "POST", "/api/2.0/mlflow/runs/create", req, NULL, 0, &j, NULL);
    json_decref(req);
    if (r != RES_OK) { json_decref(j); return r; }
    json_t *info = json_object_get(json_object_get(j, "run"), "info");
    const char *id = json_string_value(json_object_get(info, "run_id"));
    const char *art = json_string_value(json_object_get(info, "artifact_uri"));
    if (!id) {
        set_err(m, "runs/create: no run_id in the answer");
        json_decref(j);
        return RES_FAIL;
    }
    m->run_id = xstrdup(id);
    m->artifact_uri = xstrdup(art ? art : "");
    json_decref(j);
    return RES_OK;
}

static json_t *json_metric_value(double v)
{
    if (isnan(v)) return json_string("NaN");
    if (isinf(v)) return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

static res_t rest_log_batch(mlflow_t *m, op_t **ops, int n)
{
    json_t *metrics = json_array(), *params = json_array(), *tags = json_array();
    for (int i = 0; i < n; i++) {
        op_t *o = ops[i];
        if (o->kind == OP_METRIC)
            json_array_append_new(metrics, json_pack("{s:s, s:o, s:I, s:I}", "key", o->key,
                                                     "value", json_metric_value(o->num),
                                                     "timestamp", (json_int_t)o->ts, "step",
                                                     (json_int_t)o->step));
        else if (o->kind == OP_PARAM)
            json_array_append_new(params, tag_obj(o->key, o->value));
        else
            json_array_append_new(tags, tag_obj(o->key, o->value));
    }
    json_t *req = json_pack("{s:s, s:o, s:o, s:o}", "run_id", m->run_id, "metrics", metrics,
                            "params", params, "tags", tags);
    json_t *j = NULL;
    res_t r = rest_call(m, "POST", "/api/2.0/mlflow/runs/log-batch", req, NULL, 0, &j, NULL);
    json_decref(req);
    json_decref(j);
    return r;
}

/* Path segments percent-encoded, '/' kept. */
static char *url_escape_path(mlflow_t *m, const char *p)
{
    sbuf_t b = {0};
    sb_addn(&b, "", 0);
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        char *seg = curl_easy_escape(m->curl, s, (int)len);
        sb_addn(&b, seg ? seg : "", seg ? strlen(seg) : 0);
        curl_free(seg);
        if (!e) break;
        sb_addn(&b, "/", 1);
        s = e + 1;
    }
    return b.p;
}

static res_t rest_artifact(mlflow_t *m, op_t *o)
{
    const char *a = m->artifact_uri;
    if (!strncmp(a, "mlflow-artifacts:", 17)) {
        const char *p = a + 17;
        if (!strncmp(p, "//", 2)) {          /* mlflow-artifacts://host:port/path */
            p = strchr(p + 2, '/');
            if (!p) p = "";
        }
        while (*p == '/') p++;
        FILE *f = fopen(o->key, "rb");
        if (!f) { set_err(m, "%s: %s", o->key, strerror(errno)); return RES_FAIL; }
        struct stat st;
        if (fstat(fileno(f), &st) != 0) {
            set_err(m, "%s: %s", o->key, strerror(errno));
            fclose(f);
            return RES_FAIL;
        }
        char *rel = *o->value ? xasprintf("%s/%s/%s", p, o->value, base_name(o->key))
                              : xasprintf("%s/%s", p, base_name(o->key));
        char *esc = url_escape_path(m, rel);
        char *path = xasprintf("/api/2.0/mlflow-artifacts/artifacts/%s", esc);
        res_t r = rest_call(m, "PUT", path, NULL, f, (curl_off_t)st.st_size, NULL, NULL);
        free(path); free(esc); free(rel);
        fclose(f);
        return r;
    }
    if (!strncmp(a, "file:", 5) || a[0] == '/') return local_artifact(m, a, o);
    set_err(m, "artifact location %s cannot be written by this client (start the server with "
               "artifact proxying, the default of 'mlflow server')", a);
    return RES_FAIL;
}

static res_t rest_update(mlflow_t *m, int status, int64_t end_time)
{
    json_t *req = json_pack("{s:s, s:s, s:s, s:I}", "run_id", m->run_id, "run_uuid", m->run_id,
                            "status", status_names[status], "end_time", (json_int_t)end_time);
    json_t *j = NULL;
    res_t r = rest_call(m, "POST", "/api/2.0/mlflow/runs/update", req, NULL, 0, &j, NULL);
    json_decref(req);
    json_decref(j);
    return r;
}

/* ---------------------------------------------------------------- worker */

static res_t backend_start(mlflow_t *m)
{
    return m->kind == MLFLOW_FILE ? fs_start(m) : rest_start(m);
}

static res_t backend_batch(mlflow_t *m, op_t **ops, int n)
{
    return m->kind == MLFLOW_FILE ? fs_log_batch(m, ops, n) : rest_log_batch(m, ops, n);
}

static res_t backend_artifact(mlflow_t *m, op_t *o)
{
    return m->kind == MLFLOW_FILE ? fs_artifact(m, o) : rest_artifact(m, o);
}

static res_t backend_update(mlflow_t *m, int status, int64_t end_time)
{
    return m->kind == MLFLOW_FILE ? fs_update(m, status, end_time) : rest_update(m, status, end_time);
}

/* Count op as not logged (mutex held). */
static void lose(mlflow_t *m, op_t *o)
{
    switch (o->kind) {
    case OP_METRIC: m->lost_metrics++; break;
    case OP_PARAM: m->lost_params++; break;
    case OP_TAG: m->lost_tags++; break;
    case OP_STATUS: m->lost_status++; break;
    case OP_ARTIFACT:
        if (m->n_lost_artifacts++) sb_addn(&m->lost_artifacts, ", ", 2);
        sb_printf(&m->lost_artifacts, "%s", base_name(o->key));
        break;
    }
}

/* Remove the first n ops from the queue (mutex held), counting them lost if asked. */
static void pop_ops(mlflow_t *m, int n, int lost)
{
    for (int i = 0; i < n && m->head; i++) {
        op_t *o = m->head;
        m->head = o->next;
        if (!m->head) m->tail = NULL;
        m->queued--;
        if (lost) lose(m, o);
        op_free(o);
    }
}

/* After a retryable failure: warn the first time, then sleep (mutex held). Returns 0 when the
 * close deadline has passed and the worker should stop. */
static int backoff(mlflow_t *m, double *delay)
{
    if (!m->warned) {
        m->warned = 1;
        warnmsg("mlflow: cannot log to %s: %s; going on, retrying in the background", m->uri,
                m->err);
    }
    m->failing = 1;
    double until = mono() + *delay;
    *delay = *delay * 2 > BACKOFF_MAX ? BACKOFF_MAX : *delay * 2;
    for (;;) {
        double t = mono();
        if (m->closing && t >= m->deadline) return 0;
        double end = m->closing && m->deadline < until ? m->deadline : until;
        if (t >= end) return 1;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double w = end - t;
        ts.tv_sec += (time_t)w;
        ts.tv_nsec += (long)((w - (double)(time_t)w) * 1e9);
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&m->cv, &m->mu, &ts);
    }
}

/* Drop params a resumed run already has (same value: nothing to do; another value: MLflow
 * keeps the first, say so). Mutex not held; returns 1 if o should be skipped. */
static int param_already_logged(mlflow_t *m, op_t *o)
{
    for (int i = 0; i < m->n_old; i++) {
        if (strcmp(m->old_key[i], o->key) != 0) continue;
        if (strcmp(m->old_val[i], o->value) != 0)
            warnmsg("mlflow: run %s keeps param %s=%s (MLflow params cannot change; now %s)",
                    m->run_id, o->key, m->old_val[i], o->value);
        return 1;
    }
    return 0;
}

static void *worker_main(void *arg)
{
    mlflow_t *m = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);      /* signals belong to the training thread */
    double delay = BACKOFF_FIRST;
    op_t **batch = xmalloc(sizeof(op_t *) * MAX_BATCH_TOTAL);
    op_t **send = xmalloc(sizeof(op_t *) * MAX_BATCH_TOTAL);

    pthread_mutex_lock(&m->mu);
    while (!m->started) {
        pthread_mutex_unlock(&m->mu);
        res_t r = backend_start(m);
        pthread_mutex_lock(&m->mu);
        m->first_attempt_done = 1;
        pthread_cond_broadcast(&m->cv);
        if (r == RES_OK) { m->started = 1; break; }
        if (r == RES_FAIL) {
            m->dead = 1;
            warnmsg("mlflow: cannot start a run at %s: %s; nothing will be logged", m->uri, m->err);
            pop_ops(m, (int)m->queued, 1);
            goto out;
        }
        if (!backoff(m, &delay)) goto out;
    }
    delay = BACKOFF_FIRST;

    for (;;) {
        while (!m->head && !m->closing) pthread_cond_wait(&m->cv, &m->mu);
        if (!m->head) break;
        if (m->closing && mono() >= m->deadline) break;
        op_t *o = m->head;
        int n = 0;
        if ((o->kind == OP_METRIC || o->kind == OP_PARAM || o->kind == OP_TAG) && !o->solo) {
            int nm = 0, np = 0, nt = 0;
            for (op_t *q = o; q && !q->solo && n < MAX_BATCH_TOTAL; q = q->next) {
                if (q->kind == OP_METRIC && nm < MAX_BATCH_METRICS) nm++;
                else if (q->kind == OP_PARAM && np < MAX_BATCH_PARAMS) np++;
                else if (q->kind == OP_TAG && nt < MAX_BATCH_TAGS) nt++;
                else break;
                batch[n++] = q;
            }
        } else {
            batch[n++] = o;
        }
        pthread_mutex_unlock(&m->mu);

        res_t r;
        if (o->kind == OP_ARTIFACT) {
            r = backend_artifact(m, o);
        } else if (o->kind == OP_STATUS) {
            r = backend_update(m, (int)o->step, o->ts);
        } else {
            /* params the resumed run has are not sent again */
            int k = 0;
            for (int i = 0; i < n; i++) {
                op_t *q = batch[i];
                if (q->kind == OP_PARAM && !q->checked) {
                    q->checked = 1;
                    q->skip = param_already_logged(m, q);
                }
                if (!(q->kind == OP_PARAM && q->skip)) send[k++] = q;
            }
            r = k ? backend_batch(m, send, k) : RES_OK;
            if (r == RES_FAIL && n > 1) {
                /* one bad value must not cost the others: send each alone */
                pthread_mutex_lock(&m->mu);
                for (int i = 0; i < n; i++) batch[i]->solo = 1;
                continue;
            }
        }

        pthread_mutex_lock(&m->mu);
        if (r == RES_OK) {
            m->failing = 0;
            delay = BACKOFF_FIRST;
            pop_ops(m, n, 0);
        } else if (r == RES_FAIL) {
            /* once: the summary at the end counts the others */
            if (!m->warned_refused++) warnmsg("mlflow: %s refused a value: %s", m->uri, m->err);
            pop_ops(m, n, 1);
        } else if (!backoff(m, &delay)) {
            break;
        }
    }
out:
    pthread_mutex_unlock(&m->mu);
    free(batch);
    free(send);
    return NULL;
}

/* ---------------------------------------------------------------- API */

static char *current_user(void)
{
    const char *names[] = {"LOGNAME", "USER", "LNAME", "USERNAME"};
    for (size_t i = 0; i < 4; i++)
        if (env_nonempty(names[i])) return xstrdup(getenv(names[i]));
    struct passwd *pw = getpwuid(getuid());
    return xstrdup(pw && pw->pw_name ? pw->pw_name : "unknown");
}

static void enqueue(mlflow_t *m, op_t *o)
{
    pthread_mutex_lock(&m->mu);
    if (m->dead || (m->queued >= MAX_QUEUED && o->kind == OP_METRIC)) {
        lose(m, o);
        op_free(o);
    } else {
        if (m->tail) m->tail->next = o;
        else m->head = o;
        m->tail = o;
        m->queued++;
        pthread_cond_broadcast(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
}

static op_t *op_new(op_kind_t kind, const char *key, const char *value)
{
    op_t *o = xcalloc(1, sizeof *o);
    o->kind = kind;
    o->key = key ? xstrdup(key) : NULL;
    o->value = value ? xstrdup(value) : NULL;
    return o;
}

mlflow_t *mlflow_open(const char *uri, const char *experiment, const char *run_name,
                      const char *resume_run_id)
{
    int kind = mlflow_uri_kind(uri);
    if (kind == MLFLOW_NONE) return NULL;
    if (kind < 0) {
        warnmsg("mlflow: unsupported tracking URI '%s' (accepted: %s)", uri, mlflow_uri_accepted);
        return NULL;
    }
    mlflow_t *m = xcalloc(1, sizeof *m);
    m->kind = (mlflow_kind_t)kind;
    m->uri = xstrdup(uri);
    m->experiment = xstrdup(experiment);
    m->run_name = xstrdup(run_name);
    m->resume_id = resume_run_id && *resume_run_id ? xstrdup(resume_run_id) : NULL;
    m->user = current_user();
    m->start_time = now_ms();
    m->request_timeout = env_seconds("MLFLOW_HTTP_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT);
    if (m->request_timeout <= 0) m->request_timeout = DEFAULT_REQUEST_TIMEOUT;
    if (kind == MLFLOW_FILE) {
        m->root = file_uri_path(uri);
        if (!m->root) {
            warnmsg("mlflow: %s: cannot resolve the path: %s", uri, strerror(errno));
            goto fail;
        }
    } else {
        m->base = xstrdup(uri);
        size_t l = strlen(m->base);
        while (l > 0 && m->base[l - 1] == '/') m->base[--l] = 0;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(m->curl = curl_easy_init())) {
            warnmsg("mlflow: cannot initialise libcurl");
            goto fail;
        }
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&m->thread, NULL, worker_main, m) != 0) {
        warnmsg("mlflow: cannot start the logging thread");
        goto fail;
    }
    /* the first attempt to create the run, so the run id is usually known at once; a server
     * that does not answer holds the caller up at most OPEN_WAIT_MAX seconds */
    pthread_mutex_lock(&m->mu);
    double wait_until = mono() + (m->request_timeout < OPEN_WAIT_MAX ? m->request_timeout : OPEN_WAIT_MAX);
    while (!m->first_attempt_done) {
        double left = wait_until - mono();
        if (left <= 0) break;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t)left;
        ts.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&m->cv, &m->mu, &ts);
    }
    int dead = m->dead;
    pthread_mutex_unlock(&m->mu);
    if (dead) {
        pthread_join(m->thread, NULL);
        pthread_mutex_destroy(&m->mu);
        pthread_cond_destroy(&m->cv);
        goto fail;
    }
    if (kind == MLFLOW_FILE) {
        /* the REST server sets these itself from runs/create */
        mlflow_set_tag(m, "mlflow.runName", m->run_name);
        mlflow_set_tag(m, "mlflow.user", m->user);
    }
    return m;
fail:
    if (m->curl) curl_easy_cleanup(m->curl);
    free(m->uri); free(m->experiment); free(m->run_name); free(m->resume_id); free(m->user);
    free(m->root); free(m->base); free(m->experiment_id); free(m->run_id); free(m->artifact_uri);
    free(m->run_dir); free(m->lifecycle);
    for (int i = 0; i < m->n_old; i++) { free(m->old_key[i]); free(m->old_val[i]); }
    free(m->old_key); free(m->old_val);
    free(m);
    return NULL;
}

const char *mlflow_run_id(mlflow_t *m)
{
    if (!m) return NULL;
    pthread_mutex_lock(&m->mu);
    const char *id = m->started ? m->run_id : NULL;
    pthread_mutex_unlock(&m->mu);
    return id;
}

const char *mlflow_uri(mlflow_t *m) { return m ? m->uri : NULL; }

void mlflow_log_param(mlflow_t *m, const char *key, const char *value)
{
    if (m) enqueue(m, op_new(OP_PARAM, key, value ? value : ""));
}

void mlflow_set_tag(mlflow_t *m, const char *key, const char *value)
{
    if (m) enqueue(m, op_new(OP_TAG, key, value ? value : ""));
}

void mlflow_log_metric(mlflow_t *m, const char *key, double value, int64_t step)
{
    if (!m) return;
    op_t *o = op_new(OP_METRIC, key, NULL);
    o->num = value;
    o->step = step;
    o->ts = now_ms();
    enqueue(m, o);
}

void mlflow_log_artifact(mlflow_t *m, const char *local_path, const char *artifact_dir)
{
    if (!m) return;
    char *abs = NULL;
    if (local_path[0] != '/') {
        char cwd[4096];
        if (getcwd(cwd, sizeof cwd)) abs = xasprintf("%s/%s", cwd, local_path);
    }
    enqueue(m, op_new(OP_ARTIFACT, abs ? abs : local_path, artifact_dir ? artifact_dir : ""));
    free(abs);
}

long mlflow_close(mlflow_t *m, mlflow_status_t status, double timeout_s)
{
    if (!m) return 0;
    if (pthread_equal(pthread_self(), m->thread)) return 0;   /* exit() from the worker itself */
    if (timeout_s < 0) timeout_s = env_seconds("AEKIT_MLFLOW_FLUSH_TIMEOUT", DEFAULT_FLUSH_TIMEOUT);
    op_t *o = op_new(OP_STATUS, NULL, NULL);
    o->step = status;
    o->ts = now_ms();
    enqueue(m, o);
    pthread_mutex_lock(&m->mu);
    m->closing = 1;
    m->deadline = mono() + timeout_s;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);

    /* whatever is still queued was not logged */
    pop_ops(m, (int)m->queued, 1);
    long lost = m->lost_metrics + m->lost_params + m->lost_tags + m->lost_status +
                m->n_lost_artifacts;
    if (lost) {
        sbuf_t b = {0};
        const char *sep = "";
        sb_addn(&b, "", 0);
        if (m->lost_metrics) { sb_printf(&b, "%ld metric value%s", m->lost_metrics, m->lost_metrics == 1 ? "" : "s"); sep = ", "; }
        if (m->lost_params) { sb_printf(&b, "%s%ld param%s", sep, m->lost_params, m->lost_params == 1 ? "" : "s"); sep = ", "; }
        if (m->lost_tags) { sb_printf(&b, "%s%ld tag%s", sep, m->lost_tags, m->lost_tags == 1 ? "" : "s"); sep = ", "; }
        if (m->n_lost_artifacts) { sb_printf(&b, "%sartifacts %s", sep, m->lost_artifacts.p); sep = ", "; }
        if (m->lost_status) sb_printf(&b, "%sthe final status %s", sep, mlflow_status_name(status));
        if (m->started)
            warnmsg("mlflow: not logged to %s (run %s): %s; last error: %s", m->uri, m->run_id,
                    b.p, m->err);
        else
            warnmsg("mlflow: no run was created at %s, nothing was logged (%s); last error: %s",
                    m->uri, b.p, m->err);
        free(b.p);
    }
    if (m->curl) curl_easy_cleanup(m->curl);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m->uri); free(m->experiment); free(m->run_name); free(m->resume_id); free(m->user);
    free(m->root); free(m->base); free(m->experiment_id); free(m->run_id); free(m->artifact_uri);
    free(m->run_dir); free(m->lifecycle); free(m->lost_artifacts.p);
    for (int i = 0; i < m->n_old; i++) { free(m->old_key[i]); free(m->old_val[i]); }
    free(m->old_key); free(m->old_val);
    free(m);
    return lost;
}
