/* parallel.h: a small pool of threads for the CPU backend's own loops (AdamW, the sparse first
 * layer). Work is split into contiguous index ranges, one per thread, and every element is
 * computed by exactly one thread in the serial order, so results do not depend on the thread
 * count. */
#ifndef AEKIT_PARALLEL_H
#define AEKIT_PARALLEL_H

#include <stdint.h>

/* Threads used by parallel_for (including the caller); n <= 0 means the number of CPUs. */
void parallel_set_threads(int n);
int parallel_threads(void);
/* Call fn(ctx, lo, hi) over [0, n) split into at most parallel_threads() ranges of at least
 * grain indices each; returns when all are done. */
void parallel_for(int64_t n, int64_t grain, void (*fn)(void *ctx, int64_t lo, int64_t hi),
                  void *ctx);

#endif
