/* svmlight.h: parse LYRL2004 vector files and SVMlight/LIBSVM files, and RCV1 qrels.
 *
 * Line formats:
 *   LYRL    <docid>  <termid>:<weight> ...                   (docid: unsigned 32-bit)
 *   labels  <label> [qid:N] <idx>:<val> ... [# comment]      (label: a finite number)
 * Ids are 1-based unless zero_based; within a line strictly increasing.
 * Files are read through zlib (plain or .gz alike); "-" is standard input.
 *
 * svm_reader_* decompresses and parses several files in parallel (one worker thread per file,
 * up to `jobs`) and hands rows back in input order, through a bounded queue of row blocks, so
 * memory stays O(jobs x block) whatever the corpus size.
 */
#ifndef AEKIT_SVMLIGHT_H
#define AEKIT_SVMLIGHT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int labels;          /* 1: generic SVMlight with a numeric label first; 0: LYRL docid */
    int zero_based;      /* ids are 0-based */
    int64_t n_features;  /* > 0: ids above this (after base shift) are errors */
} svm_opts_t;

/* One parsed line. Arrays are owned by the caller and have room for `cap` pairs. */
typedef struct {
    uint32_t docid;
    float label;
    int64_t n;
    int32_t *idx;        /* 0-based columns */
    float *val;
} svm_row_t;

/* Parse one line (no trailing newline needed; it is modified in place). Returns 1 for a row,
 * 0 for a blank or comment-only line, -1 on error with a message (no location) in err. The row
 * arrays grow through *cap when needed. */
int svm_parse_line(char *line, const svm_opts_t *o, svm_row_t *row, int64_t *cap, char *err,
                   size_t errlen);

typedef struct svm_reader svm_reader_t;
svm_reader_t *svm_reader_open(char **paths, int npaths, const svm_opts_t *o, int jobs);
/* Next row in input order: 1 = row (valid until the next call), 0 = end of all input,
 * -1 = error with the reason in err. */
int svm_reader_next(svm_reader_t *r, svm_row_t **row, char *err, size_t errlen);
/* "FILE:LINE" (or "FILE") of the last row or error, formatted only when asked for: messages
 * need it, the parsing loop does not. Valid until the next call. */
const char *svm_reader_where(svm_reader_t *r);
/* bytes of input consumed so far (compressed bytes for .gz) and in total (0 if unknown) */
void svm_reader_progress(svm_reader_t *r, int64_t *done, int64_t *total);
void svm_reader_close(svm_reader_t *r);

/* RCV1 qrels: lines "<TOPIC> <docid> 1". */
typedef struct {
    int64_t n;             /* pairs */
    uint32_t *docid;       /* [n] */
    int32_t *topic;        /* [n] index into names (bytewise sorted) */
    char **names;          /* [num_names] */
    int64_t num_names;
} qrels_t;
int qrels_read(const char *path, qrels_t *q, char *err, size_t errlen);
void qrels_free(qrels_t *q);

#endif
