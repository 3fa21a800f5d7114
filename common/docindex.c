/* docindex.c: see docindex.h. Linear probing, load factor <= 1/2. */
#include "docindex.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash32(uint32_t x)
{
    uint64_t h = x * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static void alloc_table(docindex_t *h, uint64_t cap)
{
    h->mask = cap - 1;
    h->key = xmalloc(cap * sizeof *h->key);
    h->row = xmalloc(cap * sizeof *h->row);
    memset(h->row, 0xff, cap * sizeof *h->row);
}

void docindex_init(docindex_t *h)
{
    h->n = 0;
    alloc_table(h, 1024);
}

void docindex_free(docindex_t *h)
{
    free(h->key);
    free(h->row);
    memset(h, 0, sizeof *h);
}

static int64_t *slot(const docindex_t *h, uint32_t id, uint64_t *at)
{
    uint64_t i = hash32(id) & h->mask;
    while (h->row[i] >= 0 && h->key[i] != id) i = (i + 1) & h->mask;
    *at = i;
    return &h->row[i];
}

int64_t docindex_put(docindex_t *h, uint32_t id, int64_t row)
{
    if ((uint64_t)(h->n + 1) * 2 > h->mask + 1) {
        docindex_t old = *h;
        alloc_table(h, (old.mask + 1) * 2);
        for (uint64_t i = 0; i <= old.mask; i++)
            if (old.row[i] >= 0) {
                uint64_t at;
                *slot(h, old.key[i], &at) = old.row[i];
                h->key[at] = old.key[i];
            }
        free(old.key);
        free(old.row);
    }
    uint64_t at;
    int64_t *r = slot(h, id, &at);
    if (*r >= 0) return *r;
    *r = row;
    h->key[at] = id;
    h->n++;
    return -1;
}

int64_t docindex_get(const docindex_t *h, uint32_t id)
{
    uint64_t at;
    return *slot(h, id, &at);
}
