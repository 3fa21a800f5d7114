/* docindex.h: document id -> row number, an open-addressing hash table (for duplicate
 * detection while converting, and for joining qrels to rows). */
#ifndef AEKIT_DOCINDEX_H
#define AEKIT_DOCINDEX_H

#include <stdint.h>

typedef struct {
    uint64_t mask;        /* capacity - 1 (a power of two) */
    int64_t n;
    uint32_t *key;        /* [capacity] */
    int64_t *row;         /* [capacity], -1 = empty */
} docindex_t;

void docindex_init(docindex_t *h);
void docindex_free(docindex_t *h);
/* Insert; returns -1 if new, else the row already stored for that id (nothing changed). */
int64_t docindex_put(docindex_t *h, uint32_t id, int64_t row);
/* Row of id, or -1. */
int64_t docindex_get(const docindex_t *h, uint32_t id);

#endif
