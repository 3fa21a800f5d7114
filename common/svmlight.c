/* svmlight.c: LYRL / SVMlight line parser, parallel in-order file reader, qrels reader.
 * See svmlight.h. No allocation per token: a line is split in place and its pairs go straight
 * into the row arrays of a block. */
#include "svmlight.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n'; }

/* Digits only, no sign; returns -1 on anything else or overflow past max. */
static int64_t parse_uint(const char *s, const char *end, int64_t max)
{
    if (s == end) return -1;
    int64_t v = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
        if (v > max) return -1;
    }
    return v;
}

int svm_parse_line(char *line, const svm_opts_t *o, svm_row_t *row, int64_t *cap, char *err,
                   size_t errlen)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *p = line;
    while (is_space(*p)) p++;
    if (!*p) return 0;
    char *tok = p;
    while (*p && !is_space(*p)) p++;
    if (*p) *p++ = 0;
    row->n = 0;
    if (o->labels) {
        char *end;
        errno = 0;
        double v = strtod(tok, &end);
        if (*end || end == tok || !isfinite(v)) {
            snprintf(err, errlen, "expected a numeric label, got '%.40s'", tok);
            return -1;
        }
        row->label = (float)v;
        row->docid = 0;
    } else {
        int64_t id = parse_uint(tok, tok + strlen(tok), UINT32_MAX);
        if (id < 0) {
            snprintf(err, errlen, "expected a document id, got '%.40s'", tok);
            return -1;
        }
        row->docid = (uint32_t)id;
        row->label = 0;
    }
    int64_t prev = -1, base = o->zero_based ? 0 : 1;
    int first = 1;
    for (;;) {
        while (is_space(*p)) p++;
        if (!*p) break;
        tok = p;
        while (*p && !is_space(*p)) p++;
        char *tend = p;
        if (*p) *p++ = 0;
        char *colon = memchr(tok, ':', (size_t)(tend - tok));
        if (o->labels && first && colon && colon - tok == 3 && memcmp(tok, "qid", 3) == 0) {
            if (parse_uint(colon + 1, tend, INT64_MAX) < 0) {
                snprintf(err, errlen, "malformed qid '%.40s'", tok);
                return -1;
            }
            first = 0;
            continue;
        }
        first = 0;
        if (!colon || colon == tok || colon + 1 == tend) {
            snprintf(err, errlen, "malformed pair '%.40s' (expected INDEX:VALUE)", tok);
            return -1;
        }
        int64_t id = parse_uint(tok, colon, (int64_t)INT32_MAX + base);
        if (id < 0) {
            if (parse_uint(tok, colon, INT64_MAX) >= 0)
                snprintf(err, errlen, "feature id in '%.40s' out of range", tok);
            else
                snprintf(err, errlen, "malformed pair '%.40s' (expected INDEX:VALUE)", tok);
            return -1;
        }
        if (id < base) {
            snprintf(err, errlen,
                     "feature id 0 in '%.40s', but ids are 1-based (use --zero-based)", tok);
            return -1;
        }
        int64_t col = id - base;
        if (o->n_features > 0 && col >= o->n_features) {
            snprintf(err, errlen, "feature id %lld out of range (--n-features %lld)",
                     (long long)id, (long long)o->n_features);
            return -1;
        }
        if (col <= prev) {
            snprintf(err, errlen, "feature ids not increasing (%lld after %lld)", (long long)id,
                     (long long)(prev + base));
            return -1;
        }
        char *vend;
        errno = 0;
        float v = strtof(colon + 1, &vend);
        if (vend != tend || vend == colon + 1) {
            snprintf(err, errlen, "unparsable value in '%.40s'", tok);
            return -1;
        }
        if (!isfinite(v)) {
            snprintf(err, errlen, "non-finite value in '%.40s'", tok);
            return -1;
        }
        if (row->n == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            row->idx = xrealloc(row->idx, (size_t)*cap * sizeof *row->idx);
            row->val = xrealloc(row->val, (size_t)*cap * sizeof *row->val);
        }
        row->idx[row->n] = (int32_t)col;
        row->val[row->n] = v;
        row->n++;
        prev = col;
    }
    return 1;
}

/* ---------------------------------------------------------------- parallel reader */

#define BLOCK_NNZ 262144
#define BLOCK_ROWS 8192
#define QUEUE_MAX 4

typedef struct block {
    int64_t rows, nnz, cap_nnz;
    int64_t ptr[BLOCK_ROWS + 1];        /* [rows+1] */
    int64_t line[BLOCK_ROWS];           /* [rows] line number of each row */
    uint32_t docid[BLOCK_ROWS];
    float label[BLOCK_ROWS];
    int32_t *idx;                       /* [nnz] */
    float *val;
    int err;                            /* after the rows: an error at errline */
    int64_t errline;
    char errmsg[400];
    struct block *next;
} block_t;

typedef struct {
    const char *path;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    block_t *head, *tail;
    int nq, done;
    int64_t bytes_done, bytes_total;
} filejob_t;

struct svm_reader {
    svm_opts_t opts;
    int nfiles, jobs, next_file, stop;
    filejob_t *files;
    pthread_t *threads;
    pthread_mutex_t mu;                 /* guards next_file */
    int cur;                            /* file being consumed */
    block_t *blk;
    int64_t pos;                        /* next row in blk */
    svm_row_t row;
    int64_t line;                       /* line of the last row or error; 0 = whole file */
    char where[1200];
};

static block_t *block_new(void)
{
    block_t *b = xcalloc(1, sizeof *b);
    b->cap_nnz = BLOCK_NNZ;
    b->idx = xmalloc(BLOCK_NNZ * sizeof *b->idx);
    b->val = xmalloc(BLOCK_NNZ * sizeof *b->val);
    return b;
}

static void block_free(block_t *b)
{
    if (!b) return;
    free(b->idx);
    free(b->val);
    free(b);
}

/* returns 0, or -1 when the reader is being closed */
static int push_block(svm_reader_t *r, filejob_t *f, block_t *b)
{
    pthread_mutex_lock(&f->mu);
    while (f->nq >= QUEUE_MAX && !r->stop) pthread_cond_wait(&f->cv, &f->mu);
    if (r->stop) {
        pthread_mutex_unlock(&f->mu);
        block_free(b);
        return -1;
    }
    if (f->tail) f->tail->next = b;
    else f->head = b;
    f->tail = b;
    f->nq++;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

static void parse_file(svm_reader_t *r, filejob_t *f)
{
    block_t *b = block_new();
    gzFile gz = NULL;
    struct stat st;
    if (strcmp(f->path, "-") == 0) {
        gz = gzdopen(dup(STDIN_FILENO), "rb");
    } else {
        if (stat(f->path, &st) == 0) f->bytes_total = st.st_size;
        gz = gzopen(f->path, "rb");
    }
    if (!gz) {
        b->err = 1;
        b->errline = 0;
        snprintf(b->errmsg, sizeof b->errmsg, "%s", strerror(errno ? errno : ENOENT));
        push_block(r, f, b);
        return;
    }
    gzbuffer(gz, 1 << 20);
    size_t lcap = 1 << 16;
    char *line = xmalloc(lcap);
    int64_t lineno = 0, cap = 0;
    svm_row_t row = {0};
    for (;;) {
        /* one whole line, however long */
        size_t len = 0;
        int got = 0;
        for (;;) {
            if (!gzgets(gz, line + len, (int)(lcap - len))) break;
            got = 1;
            len += strlen(line + len);
            if (len > 0 && line[len - 1] == '\n') break;
            if (len + 1 < lcap) continue;   /* embedded NUL or EOF: take what we have */
            lcap *= 2;
            line = xrealloc(line, lcap);
        }
        /* zlib flags a truncated stream (Z_BUF_ERROR) as soon as it has read the last input
         * but still hands out the lines before it: it is an error at the line that ends early */
        int zerr;
        const char *zmsg = gzerror(gz, &zerr);
        int truncated = zerr == Z_BUF_ERROR && (!got || line[len - 1] != '\n');
        if ((zerr != Z_OK && zerr != Z_STREAM_END && zerr != Z_BUF_ERROR) || truncated) {
            b->err = 1;
            b->errline = lineno + 1;
            snprintf(b->errmsg, sizeof b->errmsg, "%s",
                     zerr == Z_BUF_ERROR ? "truncated gzip file (unexpected end of data)"
                     : zerr == Z_ERRNO ? strerror(errno)
                                       : zmsg);
            break;
        }
        if (!got) break;
        lineno++;
        if (lineno % 4096 == 0) __atomic_store_n(&f->bytes_done, (int64_t)gzoffset(gz), __ATOMIC_RELAXED);
        row.n = 0;
        int k = svm_parse_line(line, &r->opts, &row, &cap, b->errmsg, sizeof b->errmsg);
        if (k < 0) {
            b->err = 1;
            b->errline = lineno;
            break;
        }
        if (k == 0) continue;
        if (b->rows == BLOCK_ROWS || b->nnz + row.n > b->cap_nnz) {
            if (b->rows > 0) {
                if (push_block(r, f, b) < 0) goto out;
                b = block_new();
            }
            if (row.n > b->cap_nnz) {
                b->cap_nnz = row.n;
                b->idx = xrealloc(b->idx, (size_t)row.n * sizeof *b->idx);
                b->val = xrealloc(b->val, (size_t)row.n * sizeof *b->val);
            }
        }
        memcpy(b->idx + b->nnz, row.idx, (size_t)row.n * sizeof *row.idx);
        memcpy(b->val + b->nnz, row.val, (size_t)row.n * sizeof *row.val);
        b->docid[b->rows] = row.docid;
        b->label[b->rows] = row.label;
        b->line[b->rows] = lineno;
        b->nnz += row.n;
        b->rows++;
        b->ptr[b->rows] = b->nnz;
    }
    __atomic_store_n(&f->bytes_done, f->bytes_total, __ATOMIC_RELAXED);
    push_block(r, f, b);
    b = NULL;
out:
    block_free(b);
    free(line);
    free(row.idx);
    free(row.val);
    gzclose(gz);
}

static void *worker(void *arg)
{
    svm_reader_t *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        int i = r->stop ? r->nfiles : r->next_file++;
        pthread_mutex_unlock(&r->mu);
        if (i >= r->nfiles) return NULL;
        filejob_t *f = &r->files[i];
        parse_file(r, f);
        pthread_mutex_lock(&f->mu);
        f->done = 1;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
    }
}

svm_reader_t *svm_reader_open(char **paths, int npaths, const svm_opts_t *o, int jobs)
{
    svm_reader_t *r = xcalloc(1, sizeof *r);
    r->opts = *o;
    r->nfiles = npaths;
    r->jobs = jobs < 1 ? 1 : jobs > npaths ? npaths : jobs;
    r->files = xcalloc((size_t)npaths, sizeof *r->files);
    pthread_mutex_init(&r->mu, NULL);
    for (int i = 0; i < npaths; i++) {
        r->files[i].path = paths[i];
        pthread_mutex_init(&r->files[i].mu, NULL);
        pthread_cond_init(&r->files[i].cv, NULL);
    }
    r->threads = xcalloc((size_t)r->jobs, sizeof *r->threads);
    for (int i = 0; i < r->jobs; i++) pthread_create(&r->threads[i], NULL, worker, r);
    return r;
}

int svm_reader_next(svm_reader_t *r, svm_row_t **row, char *err, size_t errlen)
{
    for (;;) {
        if (r->cur >= r->nfiles) return 0;
        filejob_t *f = &r->files[r->cur];
        block_t *b = r->blk;
        if (b && r->pos < b->rows) {
            int64_t i = r->pos++;
            r->row.docid = b->docid[i];
            r->row.label = b->label[i];
            r->row.n = b->ptr[i + 1] - b->ptr[i];
            r->row.idx = b->idx + b->ptr[i];
            r->row.val = b->val + b->ptr[i];
            r->line = b->line[i];
            *row = &r->row;
            return 1;
        }
        if (b && b->err) {
            r->line = b->errline;
            snprintf(err, errlen, "%s", b->errmsg);
            return -1;
        }
        block_free(b);
        r->blk = NULL;
        r->pos = 0;
        pthread_mutex_lock(&f->mu);
        while (!f->head && !f->done) pthread_cond_wait(&f->cv, &f->mu);
        if (f->head) {
            r->blk = f->head;
            f->head = f->head->next;
            if (!f->head) f->tail = NULL;
            f->nq--;
            pthread_cond_broadcast(&f->cv);
        } else {
            r->cur++;
        }
        pthread_mutex_unlock(&f->mu);
    }
}

const char *svm_reader_where(svm_reader_t *r)
{
    const char *path = r->files[r->cur < r->nfiles ? r->cur : r->nfiles - 1].path;
    if (r->line > 0)
        snprintf(r->where, sizeof r->where, "%s:%lld", path, (long long)r->line);
    else
        snprintf(r->where, sizeof r->where, "%s", path);
    return r->where;
}

void svm_reader_progress(svm_reader_t *r, int64_t *done, int64_t *total)
{
    *done = *total = 0;
    for (int i = 0; i < r->nfiles; i++) {
        *done += __atomic_load_n(&r->files[i].bytes_done, __ATOMIC_RELAXED);
        *total += r->files[i].bytes_total;
    }
}

void svm_reader_close(svm_reader_t *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < r->nfiles; i++) {
        pthread_mutex_lock(&r->files[i].mu);
        pthread_cond_broadcast(&r->files[i].cv);
        pthread_mutex_unlock(&r->files[i].mu);
    }
    for (int i = 0; i < r->jobs; i++) pthread_join(r->threads[i], NULL);
    for (int i = 0; i < r->nfiles; i++) {
        for (block_t *b = r->files[i].head, *n; b; b = n) {
            n = b->next;
            block_free(b);
        }
        pthread_mutex_destroy(&r->files[i].mu);
        pthread_cond_destroy(&r->files[i].cv);
    }
    block_free(r->blk);
    pthread_mutex_destroy(&r->mu);
    free(r->files);
    free(r->threads);
    free(r);
}

/* ---------------------------------------------------------------- qrels */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int qrels_read(const char *path, qrels_t *q, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    gzFile gz = strcmp(path, "-") == 0 ? gzdopen(dup(STDIN_FILENO), "rb") : gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : ENOENT));
        return -1;
    }
    char line[4096];
    int64_t lineno = 0, cap = 0, ncap = 0;
    char **names = NULL;      /* unsorted, as first seen */
    int64_t nnames = 0;
    int32_t *raw = NULL;      /* topic index into names (unsorted) */
    int r = -1;
    while (gzgets(gz, line, sizeof line)) {
        lineno++;
        char *t = strtok(line, " \t\r\n"), *d = strtok(NULL, " \t\r\n"),
             *one = strtok(NULL, " \t\r\n"), *extra = strtok(NULL, " \t\r\n");
        if (!t) continue;
        int64_t id = d ? parse_uint(d, d + strlen(d), UINT32_MAX) : -1;
        if (id < 0 || !one || strcmp(one, "1") != 0 || extra) {
            snprintf(err, errlen, "%s:%lld: expected '<TOPIC> <docid> 1'", path, (long long)lineno);
            goto out;
        }
        int64_t k = 0;
        /* topics are few (103): a linear search over the most recent first is fast enough */
        for (k = nnames - 1; k >= 0; k--)
            if (strcmp(names[k], t) == 0) break;
        if (k < 0) {
            if (nnames == ncap) {
                ncap = ncap ? 2 * ncap : 128;
                names = xrealloc(names, (size_t)ncap * sizeof *names);
            }
            names[nnames] = xstrdup(t);
            k = nnames++;
        }
        if (q->n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            q->docid = xrealloc(q->docid, (size_t)cap * sizeof *q->docid);
            raw = xrealloc(raw, (size_t)cap * sizeof *raw);
        }
        q->docid[q->n] = (uint32_t)id;
        raw[q->n] = (int32_t)k;
        q->n++;
    }
    int zerr;
    const char *zmsg = gzerror(gz, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END) {
        snprintf(err, errlen, "%s:%lld: %s", path, (long long)lineno + 1,
                 zerr == Z_BUF_ERROR ? "truncated gzip file (unexpected end of data)" : zmsg);
        goto out;
    }
    /* sort names bytewise and remap */
    q->names = xmalloc((size_t)(nnames + 1) * sizeof *q->names);
    memcpy(q->names, names, (size_t)nnames * sizeof *names);
    qsort(q->names, (size_t)nnames, sizeof *q->names, cmp_str);
    q->num_names = nnames;
    int32_t *map = xmalloc((size_t)(nnames + 1) * sizeof *map);
    for (int64_t i = 0; i < nnames; i++)
        for (int64_t j = 0; j < nnames; j++)
            if (q->names[j] == names[i]) map[i] = (int32_t)j;
    q->topic = xmalloc((size_t)(q->n + 1) * sizeof *q->topic);
    for (int64_t i = 0; i < q->n; i++) q->topic[i] = map[raw[i]];
    free(map);
    r = 0;
out:
    if (r < 0) {
        for (int64_t i = 0; i < nnames; i++) free(names[i]);
        free(q->docid);
        memset(q, 0, sizeof *q);
    }
    free(names);
    free(raw);
    gzclose(gz);
    return r;
}

void qrels_free(qrels_t *q)
{
    for (int64_t i = 0; i < q->num_names; i++) free(q->names[i]);
    free(q->names);
    free(q->docid);
    free(q->topic);
    memset(q, 0, sizeof *q);
}
