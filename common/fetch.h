/* fetch.h: download a fixed set of files into a directory, verified by SHA-256.
 *
 * The engine behind rcv1-fetch (man/man1/rcv1-fetch.1). Each file is downloaded to
 * OUTDIR/NAME.part and renamed to OUTDIR/NAME only after its SHA-256 (OpenSSL libcrypto)
 * matches, so a file under its final name is always a verified one. Transfers run in parallel
 * on one libcurl multi handle. A .part left by an earlier run (or a dropped connection) is
 * continued with an HTTP Range request; a server that answers 200 instead of 206 makes the
 * file start again from byte 0. Transient failures (timeouts, resets, HTTP 408/429/5xx) are
 * retried with exponential backoff and jitter; other HTTP errors (403, 404, ...) fail the file
 * at once. Names ending in .gz must start with the gzip magic bytes; an HTML page served
 * instead is recognised and reported.
 */
#ifndef AEKIT_FETCH_H
#define AEKIT_FETCH_H

#include <stddef.h>

#define FETCH_SHA256_HEX 64

/* One file to fetch. */
typedef struct {
    char *name;                         /* file name inside OUTDIR (no '/') */
    char *url;                          /* where to get it (http, https, ftp or file URL) */
    char sha256[FETCH_SHA256_HEX + 1];  /* lower-case hex; "" when unknown */
} fetch_item_t;

/* The six files scikit-learn's fetch_rcv1 downloads. */
typedef struct {
    const char *name;        /* saved under this name */
    const char *url;         /* default (figshare) location */
    const char *jmlr_path;   /* relative to FETCH_JMLR_BASE */
    const char *sha256;
} rcv1_file_t;

#define FETCH_JMLR_BASE "https://jmlr.csail.mit.edu/papers/volume5/lewis04a/"
#define RCV1_NFILES 6
extern const rcv1_file_t rcv1_files[RCV1_NFILES];

typedef enum { FETCH_SRC_DEFAULT, FETCH_SRC_JMLR, FETCH_SRC_BASE } fetch_source_t;

typedef struct {
    int jobs;             /* parallel transfers, >= 1 */
    int retries;          /* retries after the first attempt of each file */
    double timeout;       /* seconds to connect, and seconds without data before giving up */
    double backoff;       /* first retry delay in seconds; doubles each retry, with jitter */
    int verify;           /* compare SHA-256 (0: --no-verify) */
    int quiet;            /* no progress, no notes; errors only */
    const char *user_agent;
} fetch_opts_t;

/* Read a sha256sum-format file ("HEX  NAME" or "HEX *NAME" lines; blank lines and lines
 * starting with '#' are skipped). Fills *items (name and sha256; url NULL) and returns the
 * count, or -1 with a message "FILE:LINE: why" in err. */
int fetch_checksums_read(const char *path, fetch_item_t **items, char *err, size_t errlen);

/* Build the list of files to fetch. sums (n_sums entries, or NULL for the built-in table)
 * gives names and digests; only (a comma-separated list, or NULL) keeps a subset, in list
 * order of the table. URLs come from src: the table's default or JMLR location, or
 * base_url/NAME. Returns the count, or -1 with a message in err; *bad_only is set when the
 * failure is a name in `only` that is not in the list (a usage error). */
int fetch_items_build(const fetch_item_t *sums, int n_sums, const char *only, fetch_source_t src,
                      const char *base_url, fetch_item_t **items, int *bad_only,
                      char *err, size_t errlen);
void fetch_items_free(fetch_item_t *items, int n);

/* Fetch items into outdir (created if missing). Prints each verified file's path on stdout,
 * in list order. Returns 0 when every file is verified, 1 otherwise (the failures named on
 * stderr), 128+signal when interrupted by SIGINT/SIGTERM (only .part files are left). */
int fetch_run(const char *outdir, fetch_item_t *items, int n, const fetch_opts_t *o);

/* SHA-256 of a whole file as lower-case hex (65 bytes). Returns 0, or -1 with errno set. */
int fetch_sha256_file(const char *path, char hex[FETCH_SHA256_HEX + 1]);

#endif
