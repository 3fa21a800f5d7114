/* util.h: what every aekit tool needs: error reporting in the house format, checked
 * allocation, range-checked number parsing, atomic file writes, timestamps, terminal progress.
 *
 * Error conventions (see STYLE.md):
 *   usage errors   -> "usage: ..." on stderr, exit 2          (usage_fail)
 *   runtime errors -> "prog: what failed: why" on stderr, exit 1 (die)
 * A message ending in ':' gets ": strerror(errno)" appended, as sbase's eprintf does.
 */
#ifndef AEKIT_UTIL_H
#define AEKIT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

extern const char *progname;           /* set by util_init from argv[0] */
extern const char *usage_text;         /* the tool's one-line synopsis, for usage errors */

void util_init(int argc, char **argv, const char *usage);
/* The full command line, shell-quoted where needed, for created_by attributes. */
const char *util_cmdline(void);

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "prog: msg" (if fmt) then "usage: <usage_text>" and exits 2. */
void usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

void *xmalloc_(size_t n, const char *file, int line);
void *xcalloc_(size_t n, size_t size, const char *file, int line);
void *xrealloc_(void *p, size_t n, const char *file, int line);
char *xstrdup_(const char *s, const char *file, int line);
#define xmalloc(n) xmalloc_((n), __FILE__, __LINE__)
#define xcalloc(n, s) xcalloc_((n), (s), __FILE__, __LINE__)
#define xrealloc(p, n) xrealloc_((p), (n), __FILE__, __LINE__)
#define xstrdup(s) xstrdup_((s), __FILE__, __LINE__)

/* For getopt_long with a leading ':' in the option string: report the ':' (missing value) or
 * '?' (unknown option) it returned as "prog: option 'X' needs a value" / "prog: unknown option
 * 'X'", then the usage line, exit 2. One wording for every tool. */
void usage_bad_option(int c, char **argv) __attribute__((noreturn));

/* Range-checked option parsing: a bad value is a usage error naming the option. */
long parse_long(const char *s, long min, long max, const char *opt);
double parse_double(const char *s, double min, double max, const char *opt);
/* Non-dying variants: return 0 on success, -1 on a bad/out-of-range value. */
int str_to_long(const char *s, long *out);
int str_to_double(const char *s, double *out);

/* Flush and check a stream at exit (so `| head` and a full disk are reported). */
void fshut(FILE *f, const char *name);

/* Atomic writes: write to atomic_tmp_name(final) ("final.tmp.<pid>"), then atomic_commit
 * fsyncs the file and its directory and renames it into place. */
char *atomic_tmp_name(const char *final_path);
int atomic_commit(const char *tmp_path, const char *final_path);
/* Remove registered temporary files on exit and on fatal signals (so a failed run leaves
 * nothing half-written under any name). */
void tmpfile_register(const char *path);
void tmpfile_unregister(const char *path);

/* ISO 8601 UTC, e.g. 2026-12-04T16:21:43Z; buf needs 32 bytes. */
void iso8601_now(char *buf, size_t n);
double now_seconds(void);   /* monotonic clock */

/* Progress on stderr, only when stderr is a terminal and not quiet. */
typedef struct {
    int enabled;
    double start, last;
    int64_t total;          /* 0 when unknown */
    const char *what;
} progress_t;
void progress_init(progress_t *p, const char *what, int64_t total, int quiet);
void progress_update(progress_t *p, int64_t done, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void progress_done(progress_t *p);

/* Split "a,b,c" into positive integers; returns count or -1. */
int parse_int_list(const char *s, long *out, int max);

#endif
