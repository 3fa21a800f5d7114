/* convert.h: SVMlight/LYRL text -> aekit dataset file (the work behind svm2h5). */
#ifndef AEKIT_CONVERT_H
#define AEKIT_CONVERT_H

#include "svmlight.h"

typedef struct {
    char **inputs;          /* vector files in order; "-" = stdin */
    int ninputs;
    const char *output;
    const char *qrels;      /* NULL: no targets */
    svm_opts_t svm;
    int compress;           /* deflate level 0..9 */
    int jobs;
    int quiet;
} convert_opts_t;

/* Converts; on any error prints "prog: WHERE: what" and returns 1 (no output file left). */
int convert_svm_to_h5(const convert_opts_t *o);

#endif
