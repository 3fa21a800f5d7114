/* fetch.c: the download engine behind rcv1-fetch (see fetch.h for the contract).
 *
 * One job per file, driven by a single libcurl multi handle:
 *   WAIT --start--> RUN --done--> OK | FAIL, or back to WAIT (retry after a backoff delay).
 * The job owns NAME.part: it is opened for appending, its bytes are hashed once when the job
 * starts, and every byte written afterwards is fed to the same SHA-256 context, so the digest
 * of a resumed file costs no second pass. The file is renamed to NAME only after the digest
 * matches. SIGINT/SIGTERM set a flag; the loop then drops every transfer, keeps the .part
 * files, and returns 128+signal.
 */
#include "fetch.h"
#include "util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const rcv1_file_t rcv1_files[RCV1_NFILES] = {
    {"lyrl2004_vectors_test_pt0.dat.gz", "https://ndownloader.figshare.com/files/5976069",
     "a13-vector-files/lyrl2004_vectors_test_pt0.dat.gz",
     "ed40f7e418d10484091b059703eeb95ae3199fe042891dcec4be6696b9968374"},
    {"lyrl2004_vectors_test_pt1.dat.gz", "https://ndownloader.figshare.com/files/5976066",
     "a13-vector-files/lyrl2004_vectors_test_pt1.dat.gz",
     "87700668ae45d45d5ca1ef6ae9bd81ab0f5ec88cc95dcef9ae7838f727a13aa6"},
    {"lyrl2004_vectors_test_pt2.dat.gz", "https://ndownloader.figshare.com/files/5976063",
     "a13-vector-files/lyrl2004_vectors_test_pt2.dat.gz",
     "48143ac703cbe33299f7ae9f4995db49a258690f60e5debbff8995c34841c7f5"},
    {"lyrl2004_vectors_test_pt3.dat.gz", "https://ndownloader.figshare.com/files/5976060",
     "a13-vector-files/lyrl2004_vectors_test_pt3.dat.gz",
     "dfcb0d658311481523c6e6ca0c3f5a3e1d3d12cde5d7a8ce629a9006ec7dbb39"},
    {"lyrl2004_vectors_train.dat.gz", "https://ndownloader.figshare.com/files/5976057",
     "a13-vector-files/lyrl2004_vectors_train.dat.gz",
     "5468f656d0ba7a83afc7ad44841cf9a53048a5c083eedc005dcdb5cc768924ae"},
    {"rcv1v2.topics.qrels.gz", "https://ndownloader.figshare.com/files/5976048",
     "a08-topic-qrels/rcv1-v2.topics.qrels.gz",
     "2a98e5e5d8b770bded93afc8930d88299474317fe14181aee1466cc754d0d1c1"},
};

/* ---------------------------------------------------------------- checksums and the list */

static int name_ok(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-+", *s)) return 0;
    return 1;
}

static int hex_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return 0;
    return 1;
}

int fetch_checksums_read(const char *path, fetch_item_t **items, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    fetch_item_t *v = NULL;
    int n = 0, cap = 0, lineno = 0, rc = -1;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0 || line[0] == '#') continue;
        /* "HEX  NAME" (text mode) or "HEX *NAME" (binary mode), as sha256sum writes them */
        if (len < FETCH_SHA256_HEX + 3 || !hex_ok(line, FETCH_SHA256_HEX) ||
            line[FETCH_SHA256_HEX] != ' ' ||
            (line[FETCH_SHA256_HEX + 1] != ' ' && line[FETCH_SHA256_HEX + 1] != '*')) {
            snprintf(err, errlen, "%s:%d: not a sha256sum line (HEX  NAME)", path, lineno);
            goto out;
        }
        const char *name = line + FETCH_SHA256_HEX + 2;
        if (!name_ok(name)) {
            snprintf(err, errlen, "%s:%d: bad file name '%s' (letters, digits, '._-+' only)",
                     path, lineno, name);
            goto out;
        }
        for (int i = 0; i < n; i++)
            if (strcmp(v[i].name, name) == 0) {
                snprintf(err, errlen, "%s:%d: %s is listed twice", path, lineno, name);
                goto out;
            }
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[n].name = xstrdup(name);
        v[n].url = NULL;
        for (int i = 0; i < FETCH_SHA256_HEX; i++) v[n].sha256[i] = tolower((unsigned char)line[i]);
        v[n].sha256[FETCH_SHA256_HEX] = 0;
        n++;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (n == 0) {
        snprintf(err, errlen, "%s: no files listed", path);
        goto out;
    }
    rc = n;
out:
    free(line);
    fclose(f);
    if (rc < 0) fetch_items_free(v, n);
    else *items = v;
    return rc;
}

void fetch_items_free(fetch_item_t *items, int n)
{
    if (!items) return;
    for (int i = 0; i < n; i++) {
        free(items[i].name);
        free(items[i].url);
    }
    free(items);
}

/* Is name one of the comma-separated entries of list? */
static int list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

int fetch_items_build(const fetch_item_t *sums, int n_sums, const char *only, fetch_source_t src,
                      const char *base_url, fetch_item_t **items, int *bad_only,
                      char *err, size_t errlen)
{
    *bad_only = 0;
    int n_all = sums ? n_sums : RCV1_NFILES;
    /* Every --only entry must name a listed file. */
    if (only) {
        const char *p = only;
        for (;;) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            int found = 0;
            for (int i = 0; i < n_all && len; i++) {
                const char *nm = sums ? sums[i].name : rcv1_files[i].name;
                if (strlen(nm) == len && strncmp(nm, p, len) == 0) found = 1;
            }
            if (!found) {
                *bad_only = 1;
                if (len == 0) snprintf(err, errlen, "--only: empty file name");
                else snprintf(err, errlen, "--only: no file named '%.*s'", (int)len, p);
                return -1;
            }
            if (!e) break;
            p = e + 1;
        }
    }
    fetch_item_t *v = xcalloc(n_all, sizeof *v);
    int n = 0;
    for (int i = 0; i < n_all; i++) {
        const char *nm = sums ? sums[i].name : rcv1_files[i].name;
        if (only && !list_has(only, nm)) continue;
        const rcv1_file_t *t = NULL;
        for (int k = 0; k < RCV1_NFILES; k++)
            if (strcmp(rcv1_files[k].name, nm) == 0) t = &rcv1_files[k];
        v[n].name = xstrdup(nm);
        strcpy(v[n].sha256, sums ? sums[i].sha256 : t->sha256);
        if (src == FETCH_SRC_BASE) {
            size_t bl = strlen(base_url);
            while (bl > 0 && base_url[bl - 1] == '/') bl--;
            size_t sz = bl + strlen(nm) + 2;
            v[n].url = xmalloc(sz);
            snprintf(v[n].url, sz, "%.*s/%s", (int)bl, base_url, nm);
        } else if (!t) {
            snprintf(err, errlen, "%s: not one of the RCV1 files, so it has no %s URL; "
                     "give --base-url", nm, src == FETCH_SRC_JMLR ? "JMLR" : "default");
            fetch_items_free(v, n + 1);
            return -1;
        } else if (src == FETCH_SRC_JMLR) {
            size_t sz = strlen(FETCH_JMLR_BASE) + strlen(t->jmlr_path) + 1;
            v[n].url = xmalloc(sz);
            snprintf(v[n].url, sz, "%s%s", FETCH_JMLR_BASE, t->jmlr_path);
        } else {
            v[n].url = xstrdup(t->url);
        }
        n++;
    }
    *items = v;
    return n;
}

/* ---------------------------------------------------------------- hashing */

static void hex_digest(EVP_MD_CTX *md, char hex[FETCH_SHA256_HEX + 1])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || !EVP_MD_CTX_copy_ex(c, md) || !EVP_DigestFinal_ex(c, d, &dl))
        die("SHA-256: OpenSSL failed");
    EVP_MD_CTX_free(c);
    for (unsigned int i = 0; i < dl && i < 32; i++) sprintf(hex + 2 * i, "%02x", d[i]);
    hex[FETCH_SHA256_HEX] = 0;
}

static void md_reset(EVP_MD_CTX *md)
{
    if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL)) die("SHA-256: OpenSSL failed");
}

static volatile sig_atomic_t interrupted;

/* Feed the first `len` bytes of fd to md (from offset 0). Returns 0, -1 (errno), or 1 when
 * interrupted. */
static int md_file(EVP_MD_CTX *md, int fd, int64_t len)
{
    static unsigned char buf[1 << 16];
    int64_t done = 0;
    if (lseek(fd, 0, SEEK_SET) < 0) return -1;
    while (done < len) {
        if (interrupted) return 1;
        size_t want = len - done < (int64_t)sizeof buf ? (size_t)(len - done) : sizeof buf;
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) { errno = EIO; return -1; }
        EVP_DigestUpdate(md, buf, r);
        done += r;
    }
    return 0;
}

int fetch_sha256_file(const char *path, char hex[FETCH_SHA256_HEX + 1])
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    struct stat st;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md) die("SHA-256: OpenSSL failed");
    md_reset(md);
    int rc = fstat(fd, &st) < 0 ? -1 : md_file(md, fd, st.st_size);
    int saved = errno;
    close(fd);
    if (rc == 0) hex_digest(md, hex);
    EVP_MD_CTX_free(md);
    errno = saved;
    return rc == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- jobs */

typedef enum { JOB_WAIT, JOB_RUN, JOB_OK, JOB_UPTODATE, JOB_FAIL } job_state_t;
typedef enum { AB_NONE, AB_WRITE, AB_RANGE, AB_STALL } abort_t;

typedef struct {
    fetch_item_t *it;
    char *final, *part;
    job_state_t state;
    double ready_at;        /* WAIT: when it may start */
    int attempts;           /* transfers started so far */
    int retry_now;          /* next start without counting a backoff delay */
    int is_http;
    CURL *easy;
    int fd;                 /* the .part file while RUN, else -1 */
    EVP_MD_CTX *md;         /* digest of the first `have` bytes of .part */
    int md_valid;
    int64_t have;           /* bytes in .part, all hashed */
    int64_t recv;           /* body bytes received in this run (for the rate) */
    int64_t start_off;      /* offset the running transfer asked for */
    int64_t total;          /* expected size, -1 when unknown */
    int64_t cr_start;       /* start of Content-Range of the last response, -1 none */
    int first_body;         /* no body byte seen yet in this transfer */
    int resumed;            /* the bytes came partly from an earlier .part (a 206 answer) */
    abort_t abort;
    int write_errno;
    double last_data;       /* when the last byte (or header) arrived */
    char status[64];        /* "404 Not Found" from the last status line */
    char errbuf[CURL_ERROR_SIZE];
} job_t;

typedef struct {
    const fetch_opts_t *o;
    CURLM *multi;
    job_t *jobs;
    int n;
    int running;
    /* progress block */
    int prog;               /* drawing enabled */
    int drawn;              /* lines drawn last time */
    double t0, last_draw;
} fetcher_t;

static void on_signal(int sig) { interrupted = sig; }

static void progress_clear(fetcher_t *F)
{
    if (!F->prog || !F->drawn) return;
    fprintf(stderr, "\r\033[%dA\033[J", F->drawn);
    F->drawn = 0;
}

/* A note or error line that does not tear the progress block. */
static void note(fetcher_t *F, int always, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(fetcher_t *F, int always, const char *fmt, ...)
{
    if (!always && F->o->quiet) return;
    progress_clear(F);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void human(char *buf, size_t n, double b)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4) { b /= 1024; i++; }
    snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

static void bar(char *buf, int width, double frac)
{
    int k = (int)(frac * width + 0.5);
    if (k > width) k = width;
    for (int i = 0; i < width; i++) buf[i] = i < k ? '#' : '-';
    buf[width] = 0;
}

/* One line per running file and a total line: bytes, rate, ETA. */
static void progress_draw(fetcher_t *F, int force)
{
    if (!F->prog) return;
    double t = now_seconds();
    if (!force && t - F->last_draw < 0.2) return;
    F->last_draw = t;
    progress_clear(F);
    int64_t got = 0, total = 0, recv = 0;
    int known = 1;
    char b1[32], b2[32], b3[32], pb[32];
    for (int i = 0; i < F->n; i++) {
        job_t *j = &F->jobs[i];
        got += j->have;
        recv += j->recv;
        if (j->total >= 0) total += j->total;
        else if (j->state == JOB_OK || j->state == JOB_UPTODATE) total += j->have;
        else known = 0;
        if (j->state != JOB_RUN) continue;
        human(b1, sizeof b1, j->have);
        if (j->total > 0) {
            human(b2, sizeof b2, j->total);
            bar(pb, 20, (double)j->have / j->total);
            fprintf(stderr, "%-34s [%s] %5.1f%% %s / %s\n", j->it->name, pb,
                    100.0 * j->have / j->total, b1, b2);
        } else {
            fprintf(stderr, "%-34s %s\n", j->it->name, b1);
        }
        F->drawn++;
    }
    double el = t - F->t0, rate = el > 0 ? recv / el : 0;
    human(b1, sizeof b1, got);
    human(b3, sizeof b3, rate);
    if (known && total > 0) {
        human(b2, sizeof b2, total);
        bar(pb, 20, (double)got / total);
        double eta = rate > 0 ? (total - got) / rate : 0;
        fprintf(stderr, "%-34s [%s] %5.1f%% %s / %s  %s/s  ETA %.0fs\n", "total", pb,
                100.0 * got / total, b1, b2, b3, eta);
    } else {
        fprintf(stderr, "%-34s %s  %s/s\n", "total", b1, b3);
    }
    F->drawn++;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *u)
{
    job_t *j = u;
    size_t n = sz * nm;
    j->last_data = now_seconds();
    char line[256];                 /* the header line, NUL-terminated, without CR LF */
    size_t k = n < sizeof line - 1 ? n : sizeof line - 1;
    memcpy(line, p, k);
    while (k > 0 && (line[k - 1] == '\r' || line[k - 1] == '\n' || line[k - 1] == ' ')) k--;
    line[k] = 0;
    if (strncmp(line, "HTTP/", 5) == 0) {
        /* a new response (redirects and 1xx give several): forget the previous one's */
        j->cr_start = -1;
        const char *s = strchr(line, ' ');
        snprintf(j->status, sizeof j->status, "%s", s ? s + 1 : "");
    } else if (strncasecmp(line, "Content-Range:", 14) == 0) {
        long long a;
        const char *s = line + 14;
        while (*s == ' ' || *s == '\t') s++;
        if (strncasecmp(s, "bytes ", 6) == 0 && sscanf(s + 6, "%lld-", &a) == 1) j->cr_start = a;
    }
    return n;
}

static size_t on_write(char *p, size_t sz, size_t nm, void *u)
{
    job_t *j = u;
    size_t n = sz * nm;
    if (interrupted) return 0;
    j->last_data = now_seconds();
    if (j->first_body) {
        j->first_body = 0;
        long code = 0;
        curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
        curl_off_t cl = -1;
        curl_easy_getinfo(j->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        if (j->start_off > 0 && code == 206) {
            if (j->cr_start != j->start_off) { j->abort = AB_RANGE; return 0; }
            j->resumed = 1;
            j->total = cl >= 0 ? j->start_off + cl : -1;
        } else {
            /* The whole file is coming (no Range sent, or a server that ignores it):
             * start the .part again from byte 0. */
            if (j->have > 0) {
                if (ftruncate(j->fd, 0) < 0 || lseek(j->fd, 0, SEEK_SET) < 0) {
                    j->write_errno = errno;
                    j->abort = AB_WRITE;
                    return 0;
                }
                md_reset(j->md);
                j->have = 0;
            }
            j->resumed = 0;
            j->total = cl >= 0 ? cl : -1;
        }
    }
    for (size_t off = 0; off < n;) {
        ssize_t w = write(j->fd, p + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            j->write_errno = errno;
            j->abort = AB_WRITE;
            return 0;
        }
        off += w;
    }
    EVP_DigestUpdate(j->md, p, n);
    j->have += n;
    j->recv += n;
    return n;
}

static int is_http_url(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static void job_fail(fetcher_t *F, job_t *j, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void job_fail(fetcher_t *F, job_t *j, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    note(F, 1, "%s: %s", j->it->name, msg);
    j->state = JOB_FAIL;
}

/* A transient failure: try again after a backoff delay, or give up. */
static void job_retry(fetcher_t *F, job_t *j, const char *why)
{
    if (j->attempts > F->o->retries) {
        job_fail(F, j, "%s; giving up after %d attempt%s", why, j->attempts,
                 j->attempts == 1 ? "" : "s");
        return;
    }
    note(F, 0, "%s: %s; retry %d of %d", j->it->name, why, j->attempts, F->o->retries);
    /* exponential backoff with "equal jitter": half the delay fixed, half random */
    double d = F->o->backoff * pow(2, j->attempts - 1);
    if (d > 60) d = 60;
    d = d / 2 + d / 2 * ((double)random() / RAND_MAX);
    j->ready_at = now_seconds() + d;
    j->state = JOB_WAIT;
}

static int looks_html(const unsigned char *b, size_t n)
{
    char s[513];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof s - 1; i++) s[k++] = tolower(b[i]) ? tolower(b[i]) : ' ';
    s[k] = 0;
    const char *p = s;
    if (strncmp(p, "\xef\xbb\xbf", 3) == 0) p += 3;
    while (isspace((unsigned char)*p)) p++;
    if (*p != '<') return 0;
    return strstr(p, "<html") || strstr(p, "<!doctype html") || strstr(p, "<head") ||
           strstr(p, "<body") || strstr(p, "<title");
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The transfer is complete: check the content, verify, rename. fd is closed here. */
static void job_finish(fetcher_t *F, job_t *j)
{
    const char *res = j->resumed ? "; it continued an earlier .part" : "";
    int fd = j->fd;
    j->fd = -1;
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        job_fail(F, j, "cannot write %s: %s", j->part, strerror(e));
        return;
    }
    unsigned char head[512];
    ssize_t hn = pread(fd, head, sizeof head, 0);
    close(fd);
    if (hn < 0) {
        job_fail(F, j, "cannot read %s: %s", j->part, strerror(errno));
        return;
    }
    if (ends_with(j->it->name, ".gz") && (hn < 2 || head[0] != 0x1f || head[1] != 0x8b)) {
        unlink(j->part);
        if (looks_html(head, hn))
            job_fail(F, j, "%s sent an HTML page, not gzip data (removed%s)", j->it->url, res);
        else if (hn == 0)
            job_fail(F, j, "%s sent an empty file (removed)", j->it->url);
        else
            job_fail(F, j, "%s sent data that is not gzip (first bytes %02x %02x; removed%s)",
                     j->it->url, head[0], hn > 1 ? head[1] : 0, res);
        return;
    }
    if (F->o->verify && j->it->sha256[0]) {
        char hex[FETCH_SHA256_HEX + 1];
        hex_digest(j->md, hex);
        if (strcmp(hex, j->it->sha256) != 0) {
            unlink(j->part);
            job_fail(F, j, "SHA-256 mismatch (removed%s): expected %s, got %s", res,
                     j->it->sha256, hex);
            return;
        }
    }
    if (atomic_commit(j->part, j->final) != 0) {
        job_fail(F, j, "cannot rename %s to %s: %s", j->part, j->final, strerror(errno));
        return;
    }
    j->state = JOB_OK;
}

static void job_start(fetcher_t *F, job_t *j)
{
    j->attempts++;
    j->abort = AB_NONE;
    j->errbuf[0] = 0;
    j->status[0] = 0;
    j->cr_start = -1;
    j->first_body = 1;
    j->fd = open(j->part, O_RDWR | O_CREAT | (j->is_http ? 0 : O_TRUNC), 0644);
    if (j->fd < 0) {
        job_fail(F, j, "cannot open %s: %s", j->part, strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(j->fd, &st) < 0) {
        int e = errno;
        close(j->fd);
        j->fd = -1;
        job_fail(F, j, "cannot stat %s: %s", j->part, strerror(e));
        return;
    }
    if (!j->md_valid || j->have != st.st_size) {
        /* hash what an earlier run (or attempt) left */
        md_reset(j->md);
        int r = md_file(j->md, j->fd, st.st_size);
        if (r == 1) { close(j->fd); j->fd = -1; j->state = JOB_WAIT; j->attempts--; return; }
        if (r < 0) {
            int e = errno;
            close(j->fd);
            j->fd = -1;
            job_fail(F, j, "cannot read %s: %s", j->part, strerror(e));
            return;
        }
        j->have = st.st_size;
        j->md_valid = 1;
        if (j->have > 0 && j->attempts == 1 && F->o->verify && j->it->sha256[0]) {
            /* a .part that is already whole (interrupted before the rename) */
            char hex[FETCH_SHA256_HEX + 1];
            hex_digest(j->md, hex);
            if (strcmp(hex, j->it->sha256) == 0) {
                lseek(j->fd, 0, SEEK_END);
                job_finish(F, j);
                return;
            }
        }
    }
    if (lseek(j->fd, 0, SEEK_END) < 0) {
        int e = errno;
        close(j->fd);
        j->fd = -1;
        job_fail(F, j, "cannot seek %s: %s", j->part, strerror(e));
        return;
    }
    j->start_off = j->is_http ? j->have : 0;
    j->total = -1;

    CURL *e = curl_easy_init();
    if (!e) die("libcurl: cannot create a transfer");
    j->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, j->it->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(e, CURLOPT_USERAGENT, F->o->user_agent);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)ceil(F->o->timeout * 1000));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,ftp,ftps,file");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp,ftps");
    if (j->start_off > 0) {
        char range[48];
        snprintf(range, sizeof range, "%lld-", (long long)j->start_off);
        curl_easy_setopt(e, CURLOPT_RANGE, range);
    }
    if (curl_multi_add_handle(F->multi, e) != CURLM_OK) die("libcurl: cannot start a transfer");
    j->last_data = now_seconds();
    j->state = JOB_RUN;
    F->running++;
}

/* HTTP statuses worth another try. */
static int http_transient(long code)
{
    return code == 408 || code == 429 || (code >= 500 && code <= 599);
}

static int curl_transient(CURLcode r)
{
    switch (r) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_FTP_ACCEPT_TIMEOUT:
        return 1;
    default:
        return 0;
    }
}

static void job_detach(fetcher_t *F, job_t *j)
{
    curl_multi_remove_handle(F->multi, j->easy);
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
    F->running--;
}

/* Close the .part; an empty one is removed (nothing to resume). */
static void job_close_part(job_t *j)
{
    if (j->fd < 0) return;
    close(j->fd);
    j->fd = -1;
    if (j->have == 0) unlink(j->part);
}

/* Truncate the .part (its bytes are useless) so the next attempt starts at 0. */
static void job_drop_part(job_t *j)
{
    if (j->fd >= 0 && ftruncate(j->fd, 0) == 0) {
        md_reset(j->md);
        j->have = 0;
    } else {
        j->md_valid = 0;
    }
}

static void job_done(fetcher_t *F, job_t *j, CURLcode r)
{
    long code = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
    char why[CURL_ERROR_SIZE + 64];
    snprintf(why, sizeof why, "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(r));
    abort_t ab = j->abort;
    job_detach(F, j);
    if (interrupted) {
        /* the write callback refused data because of the signal: not a failure */
        job_close_part(j);
        j->state = JOB_WAIT;
        return;
    }

    if (ab == AB_WRITE) {
        job_close_part(j);
        job_fail(F, j, "cannot write %s: %s", j->part, strerror(j->write_errno));
        return;
    }
    if (ab == AB_RANGE) {
        job_drop_part(j);
        job_close_part(j);
        job_retry(F, j, "server sent the wrong byte range; starting again");
        return;
    }
    if (ab == AB_STALL) {
        job_close_part(j);
        snprintf(why, sizeof why, "no data for %g s", F->o->timeout);
        job_retry(F, j, why);
        return;
    }
    if (r == CURLE_OK) {
        if (j->first_body && j->start_off > 0 && code != 206) job_drop_part(j); /* empty 200 */
        job_finish(F, j);
        return;
    }
    if (r == CURLE_HTTP_RETURNED_ERROR) {
        snprintf(why, sizeof why, "HTTP %s", j->status[0] ? j->status : "error");
        if (code == 416 && j->start_off > 0) {
            /* the .part is not a prefix the server can continue: start again */
            job_drop_part(j);
            job_close_part(j);
            job_retry(F, j, "server refused to resume (HTTP 416); starting again");
            return;
        }
        job_close_part(j);
        if (http_transient(code)) job_retry(F, j, why);
        else job_fail(F, j, "%s: %s", j->it->url, why);
        return;
    }
    job_close_part(j);
    if (curl_transient(r)) job_retry(F, j, why);
    else job_fail(F, j, "%s: %s", j->it->url, why);
}

/* A file already under its final name: up to date when its digest matches. */
static int job_check_present(fetcher_t *F, job_t *j)
{
    struct stat st;
    if (stat(j->final, &st) != 0) return 0;
    if (!S_ISREG(st.st_mode)) {
        job_fail(F, j, "%s exists and is not a regular file", j->final);
        return 1;
    }
    if (!F->o->verify || !j->it->sha256[0]) {
        j->state = JOB_UPTODATE;
        return 1;
    }
    char hex[FETCH_SHA256_HEX + 1];
    if (fetch_sha256_file(j->final, hex) != 0) {
        if (interrupted) return 1;
        job_fail(F, j, "cannot read %s: %s", j->final, strerror(errno));
        return 1;
    }
    if (strcmp(hex, j->it->sha256) == 0) {
        j->state = JOB_UPTODATE;
        return 1;
    }
    note(F, 1, "%s: present but its SHA-256 differs (expected %s, got %s); fetching it again",
         j->it->name, j->it->sha256, hex);
    if (unlink(j->final) != 0) {
        job_fail(F, j, "cannot remove %s: %s", j->final, strerror(errno));
        return 1;
    }
    return 0;
}

static int mkdir_p(const char *dir)
{
    char *p = xstrdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) { free(p); return -1; }
        *s = '/';
    }
    int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    if (rc == 0) {
        struct stat st;
        if (stat(dir, &st) != 0) return -1;
        if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; return -1; }
    }
    return rc;
}

int fetch_run(const char *outdir, fetch_item_t *items, int n, const fetch_opts_t *o)
{
    if (mkdir_p(outdir) != 0) die("cannot create %s:", outdir);
    /* one rcv1-fetch per directory: a lock on the directory itself leaves no file behind */
    int dfd = open(outdir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) die("cannot open %s:", outdir);
    if (flock(dfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) die("%s: another rcv1-fetch is downloading into it", outdir);
        die("cannot lock %s:", outdir);
    }

    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    srandom((unsigned)(now_seconds() * 1e6) ^ (unsigned)getpid());

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) die("libcurl: initialisation failed");
    fetcher_t F = {0};
    F.o = o;
    F.n = n;
    F.jobs = xcalloc(n, sizeof *F.jobs);
    F.multi = curl_multi_init();
    if (!F.multi) die("libcurl: cannot create a multi handle");
    curl_multi_setopt(F.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->jobs);
    F.prog = !o->quiet && isatty(STDERR_FILENO);

    size_t dl = strlen(outdir);
    while (dl > 1 && outdir[dl - 1] == '/') dl--;
    for (int i = 0; i < n; i++) {
        job_t *j = &F.jobs[i];
        j->it = &items[i];
        size_t sz = dl + strlen(items[i].name) + 8;
        j->final = xmalloc(sz);
        snprintf(j->final, sz, "%.*s%s%s", (int)dl, outdir,
                 outdir[dl - 1] == '/' ? "" : "/", items[i].name);
        j->part = xmalloc(sz);
        snprintf(j->part, sz, "%s.part", j->final);
        j->fd = -1;
        j->is_http = is_http_url(items[i].url);
        j->md = EVP_MD_CTX_new();
        if (!j->md) die("SHA-256: OpenSSL failed");
        j->state = JOB_WAIT;
    }

    for (int i = 0; i < n && !interrupted; i++) job_check_present(&F, &F.jobs[i]);

    F.t0 = now_seconds();
    while (!interrupted) {
        double t = now_seconds(), next = INFINITY;
        int waiting = 0;
        for (int i = 0; i < n; i++) {
            job_t *j = &F.jobs[i];
            if (j->state != JOB_WAIT) continue;
            if (j->ready_at <= t && F.running < o->jobs) job_start(&F, j);
            if (j->state == JOB_WAIT) {
                waiting++;
                if (j->ready_at < next) next = j->ready_at;
            }
        }
        if (!F.running && !waiting) break;
        int still;
        curl_multi_perform(F.multi, &still);
        CURLMsg *m;
        int q;
        while ((m = curl_multi_info_read(F.multi, &q))) {
            if (m->msg != CURLMSG_DONE) continue;
            job_t *j;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            job_done(&F, j, m->data.result);
        }
        if (interrupted) break;
        t = now_seconds();
        for (int i = 0; i < n; i++) {
            job_t *j = &F.jobs[i];
            if (j->state == JOB_RUN && t - j->last_data > o->timeout) {
                j->abort = AB_STALL;
                job_done(&F, j, CURLE_OPERATION_TIMEDOUT);
            }
        }
        progress_draw(&F, 0);
        int wait_ms = 100;
        if (!F.running && next > t && next - t < 0.1) wait_ms = (int)((next - t) * 1000) + 1;
        curl_multi_poll(F.multi, NULL, 0, wait_ms, NULL);
    }
    progress_clear(&F);

    int sig = interrupted, failed = 0, uptodate = 0;
    for (int i = 0; i < n; i++) {
        job_t *j = &F.jobs[i];
        if (j->state == JOB_RUN) job_detach(&F, j);
        job_close_part(j);
        if (j->state == JOB_UPTODATE) uptodate++;
        if (j->state != JOB_OK && j->state != JOB_UPTODATE) failed++;
    }
    curl_multi_cleanup(F.multi);
    curl_global_cleanup();

    int rc;
    if (sig) {
        fprintf(stderr, "%s: interrupted; partial downloads kept as .part files in %s\n",
                progname, outdir);
        rc = 128 + sig;
    } else {
        for (int i = 0; i < n; i++)
            if (F.jobs[i].state == JOB_OK || F.jobs[i].state == JOB_UPTODATE)
                printf("%s\n", F.jobs[i].final);
        if (failed) {
            char list[4096];
            size_t k = 0;
            list[0] = 0;
            for (int i = 0; i < n; i++) {
                if (F.jobs[i].state == JOB_OK || F.jobs[i].state == JOB_UPTODATE) continue;
                k += snprintf(list + k, k < sizeof list ? sizeof list - k : 0, "%s%s",
                              k ? ", " : "", F.jobs[i].it->name);
            }
            fprintf(stderr, "%s: %d of %d file%s failed: %s\n", progname, failed, n,
                    n == 1 ? "" : "s", list);
            rc = 1;
        } else {
            if (uptodate == n && !o->quiet)
                fprintf(stderr, "%s: all %d file%s up to date in %s\n", progname, n,
                        n == 1 ? " is" : "s are", outdir);
            rc = 0;
        }
    }
    for (int i = 0; i < n; i++) {
        EVP_MD_CTX_free(F.jobs[i].md);
        free(F.jobs[i].final);
        free(F.jobs[i].part);
    }
    free(F.jobs);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    close(dfd);
    return rc;
}
