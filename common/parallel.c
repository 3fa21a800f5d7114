/* parallel.c: the thread pool behind parallel_for (see parallel.h). Workers sleep on a
 * condition variable between jobs; a job is published by bumping a generation counter. */
#include "parallel.h"
#include "util.h"

#include <pthread.h>
#include <unistd.h>

#define MAX_THREADS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static int nthreads;                 /* wanted, including the caller; 0: not set yet */
static int nstarted;                 /* worker threads running */
static uint64_t generation;
static int pending;                  /* ranges of the current job not finished */
static int64_t job_n, job_chunk;
static void (*job_fn)(void *, int64_t, int64_t);
static void *job_ctx;

void parallel_set_threads(int n)
{
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    pthread_mutex_lock(&lock);
    nthreads = n > MAX_THREADS ? MAX_THREADS : n;
    pthread_mutex_unlock(&lock);
}

int parallel_threads(void)
{
    if (!nthreads) parallel_set_threads(0);
    return nthreads;
}

static void run_range(int t)
{
    int64_t lo = t * job_chunk, hi = lo + job_chunk;
    if (hi > job_n) hi = job_n;
    if (lo < hi) job_fn(job_ctx, lo, hi);
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;      /* this worker runs range t (the caller runs range 0) */
    uint64_t seen = 0;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (generation == seen) pthread_cond_wait(&wake, &lock);
        seen = generation;
        int64_t ranges = (job_n + job_chunk - 1) / job_chunk;
        if (t < ranges) {
            pthread_mutex_unlock(&lock);
            run_range(t);
            pthread_mutex_lock(&lock);
            if (--pending == 0) pthread_cond_signal(&done);
        }
    }
    return NULL;
}

void parallel_for(int64_t n, int64_t grain, void (*fn)(void *ctx, int64_t lo, int64_t hi),
                  void *ctx)
{
    int T = parallel_threads();
    if (grain < 1) grain = 1;
    int64_t ranges = (n + grain - 1) / grain;
    if (ranges > T) ranges = T;
    if (ranges <= 1) {
        if (n > 0) fn(ctx, 0, n);
        return;
    }
    pthread_mutex_lock(&lock);
    while (nstarted < ranges - 1) {
        pthread_t th;
        if (pthread_create(&th, NULL, worker, (void *)(intptr_t)(nstarted + 1)) != 0) break;
        pthread_detach(th);
        nstarted++;
    }
    if (ranges > nstarted + 1) ranges = nstarted + 1;
    job_n = n;
    job_chunk = (n + ranges - 1) / ranges;
    ranges = (n + job_chunk - 1) / job_chunk;
    job_fn = fn;
    job_ctx = ctx;
    pending = (int)ranges - 1;
    generation++;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    run_range(0);
    pthread_mutex_lock(&lock);
    while (pending > 0) pthread_cond_wait(&done, &lock);
    pthread_mutex_unlock(&lock);
}
