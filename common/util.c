/* util.c: error reporting, checked allocation, number parsing, atomic writes, progress.
 * See util.h for the conventions. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *progname = "aekit";
const char *usage_text = "";
static char *cmdline;

#define MAX_TMPFILES 64
static char *tmpfiles[MAX_TMPFILES];

static void tmpfiles_cleanup(void)
{
    for (int i = 0; i < MAX_TMPFILES; i++)
        if (tmpfiles[i]) unlink(tmpfiles[i]);
}

static void fatal_signal(int sig)
{
    /* async-signal-safe: only unlink and _exit / re-raise */
    for (int i = 0; i < MAX_TMPFILES; i++)
        if (tmpfiles[i]) unlink(tmpfiles[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void tmpfile_register(const char *path)
{
    for (int i = 0; i < MAX_TMPFILES; i++)
        if (!tmpfiles[i]) { tmpfiles[i] = xstrdup(path); return; }
}

void tmpfile_unregister(const char *path)
{
    for (int i = 0; i < MAX_TMPFILES; i++)
        if (tmpfiles[i] && strcmp(tmpfiles[i], path) == 0) {
            free(tmpfiles[i]);
            tmpfiles[i] = NULL;
        }
}

static int needs_quote(const char *s)
{
    if (!*s) return 1;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *s))
            return 1;
    return 0;
}

void util_init(int argc, char **argv, const char *usage)
{
    const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;
    progname = argc > 0 ? (slash ? slash + 1 : argv[0]) : "aekit";
    usage_text = usage;
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += 4 * strlen(argv[i]) + 3;
    cmdline = xmalloc(n);
    char *p = cmdline;
    for (int i = 0; i < argc; i++) {
        if (i) *p++ = ' ';
        if (needs_quote(argv[i])) {
            *p++ = '\'';
            for (const char *s = argv[i]; *s; s++) {
                if (*s == '\'') { memcpy(p, "'\\''", 4); p += 4; }
                else *p++ = *s;
            }
            *p++ = '\'';
        } else {
            p = stpcpy(p, argv[i]);
        }
    }
    *p = 0;
    atexit(tmpfiles_cleanup);
    struct sigaction sa = {0};
    sa.sa_handler = fatal_signal;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGHUP, SIGPIPE, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
    /* SIGINT and SIGTERM: tools that handle them (ae-train) install their own handlers. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

const char *util_cmdline(void) { return cmdline ? cmdline : ""; }

static void vmsg(const char *fmt, va_list ap)
{
    int saved = errno;
    if (!fmt) return;   /* usage_fail(NULL); also keeps gcc -fsanitize from warning */
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    size_t n = strlen(fmt);
    if (n && fmt[n - 1] == ':') fprintf(stderr, " %s", strerror(saved));
    fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    exit(1);
}

void warnmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

void usage_fail(const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vmsg(fmt, ap);
        va_end(ap);
    }
    fprintf(stderr, "usage: %s\n", usage_text);
    exit(EXIT_USAGE);
}

void usage_bad_option(int c, char **argv)
{
    if (c == ':') usage_fail("option '%s' needs a value", argv[optind - 1]);
    if (optopt) usage_fail("unknown option '-%c'", optopt);
    usage_fail("unknown option '%s'", argv[optind - 1]);
}

static void oom(size_t n, const char *file, int line)
{
    fprintf(stderr, "%s: out of memory allocating %zu bytes (%s:%d)\n", progname, n, file, line);
    exit(1);
}

void *xmalloc_(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n, file, line);
    return p;
}

void *xcalloc_(size_t n, size_t size, const char *file, int line)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size, file, line);
    return p;
}

void *xrealloc_(void *q, size_t n, const char *file, int line)
{
    void *p = realloc(q, n ? n : 1);
    if (!p) oom(n, file, line);
    return p;
}

char *xstrdup_(const char *s, const char *file, int line)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc_(n, file, line);
    memcpy(p, s, n);
    return p;
}

int str_to_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    if (!s || !*s) return -1;
    long v = strtol(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int str_to_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    if (!s || !*s) return -1;
    double v = strtod(s, &end);
    if (errno == ERANGE && fabs(v) > 1) return -1;
    if (*end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

long parse_long(const char *s, long min, long max, const char *opt)
{
    long v;
    if (str_to_long(s, &v) < 0)
        usage_fail("%s: '%s' is not an integer", opt, s);
    if (v < min || v > max)
        usage_fail("%s: %ld is out of range (%ld..%ld)", opt, v, min, max);
    return v;
}

double parse_double(const char *s, double min, double max, const char *opt)
{
    double v;
    if (str_to_double(s, &v) < 0)
        usage_fail("%s: '%s' is not a number", opt, s);
    if (v < min || v > max)
        usage_fail("%s: %g is out of range (%g..%g)", opt, v, min, max);
    return v;
}

int parse_int_list(const char *s, long *out, int max)
{
    int n = 0;
    const char *p = s;
    if (!*p) return -1;
    for (;;) {
        char *end;
        errno = 0;
        if (*p < '0' || *p > '9') return -1;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v <= 0 || n >= max) return -1;
        out[n++] = v;
        if (*end == 0) break;
        if (*end != ',') return -1;
        p = end + 1;
    }
    return n;
}

void fshut(FILE *f, const char *name)
{
    int err = fflush(f) != 0 || ferror(f);
    if (err && errno != EPIPE) die("write error on %s:", name);
}

char *atomic_tmp_name(const char *final_path)
{
    size_t n = strlen(final_path) + 32;
    char *t = xmalloc(n);
    snprintf(t, n, "%s.tmp.%ld", final_path, (long)getpid());
    return t;
}

int atomic_commit(const char *tmp_path, const char *final_path)
{
    int fd = open(tmp_path, O_RDONLY);
    if (fd < 0) return -1;
    if (fsync(fd) != 0) { close(fd); return -1; }
    close(fd);
    if (rename(tmp_path, final_path) != 0) return -1;
    char *d = xstrdup(final_path);
    int dfd = open(dirname(d), O_RDONLY | O_DIRECTORY);
    free(d);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    tmpfile_unregister(tmp_path);
    return 0;
}

void iso8601_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_init(progress_t *p, const char *what, int64_t total, int quiet)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->start = p->last = now_seconds();
    p->total = total;
    p->what = what;
}

void progress_update(progress_t *p, int64_t done, const char *fmt, ...)
{
    if (!p->enabled) return;
    double t = now_seconds();
    if (t - p->last < 0.2 && !(p->total && done >= p->total)) return;
    p->last = t;
    double el = t - p->start;
    fprintf(stderr, "\r\033[K%s: ", p->what);
    if (p->total > 0) {
        double frac = (double)done / p->total;
        double eta = frac > 0 ? el * (1 - frac) / frac : 0;
        fprintf(stderr, "%5.1f%% ", 100 * frac);
        if (fmt) {
            va_list ap;
            va_start(ap, fmt);
            vfprintf(stderr, fmt, ap);
            va_end(ap);
        }
        fprintf(stderr, " ETA %.0fs", eta);
    } else if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
}

void progress_done(progress_t *p)
{
    if (p->enabled) fprintf(stderr, "\r\033[K");
}
