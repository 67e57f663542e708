/* pool.c — a small persistent thread pool that hands out fixed-size row
 * chunks from an atomic counter. The chunk layout depends only on the row
 * count, so callers that keep one accumulator per chunk and merge in chunk
 * order get bit-identical results for any thread count. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include "uplift/table.h"

typedef struct job {
    upl_chunk_fn fn;
    void *ctx;
    size_t n_rows, chunk_rows, n_chunks;
    atomic_size_t next;
    atomic_int status;
} job;

struct upl_pool {
    int n_threads;            /* including the caller */
    pthread_t *workers;       /* n_threads - 1 */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    job *current;
    uint64_t generation;
    int busy;                 /* workers still on the current job */
    bool stopping;
};

static void run_chunks(job *j) {
    for (;;) {
        if (atomic_load(&j->status) != UPL_OK) return;
        size_t c = atomic_fetch_add(&j->next, 1);
        if (c >= j->n_chunks) return;
        size_t begin = c * j->chunk_rows;
        size_t end = begin + j->chunk_rows < j->n_rows ? begin + j->chunk_rows : j->n_rows;
        int rc = j->fn(j->ctx, c, begin, end);
        if (rc != UPL_OK) {
            int expected = UPL_OK;
            atomic_compare_exchange_strong(&j->status, &expected, rc);
        }
    }
}

static void *worker_main(void *arg) {
    upl_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stopping && p->generation == seen) pthread_cond_wait(&p->wake, &p->lock);
        if (p->stopping) break;
        seen = p->generation;
        job *j = p->current;
        pthread_mutex_unlock(&p->lock);
        run_chunks(j);
        pthread_mutex_lock(&p->lock);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int upl_pool_new(int n_threads, upl_pool **out) {
    *out = NULL;
    if (n_threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = n > 0 ? (int)n : 1;
    }
    if (n_threads > 256) n_threads = 256;
    upl_pool *p = upl_calloc(1, sizeof *p);
    if (!p) return UPL_ENOMEM;
    p->n_threads = 1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    if (n_threads > 1) {
        p->workers = upl_calloc((size_t)n_threads - 1, sizeof *p->workers);
        if (!p->workers) { upl_pool_free(p); return UPL_ENOMEM; }
        for (int i = 0; i < n_threads - 1; i++) {
            if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) break;
            p->n_threads++;
        }
    }
    *out = p;
    return UPL_OK;
}

void upl_pool_free(upl_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_threads - 1; i++) pthread_join(p->workers[i], NULL);
    upl_free(p->workers);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    upl_free(p);
}

int upl_pool_threads(const upl_pool *p) { return p ? p->n_threads : 1; }

int upl_pool_for_chunks(upl_pool *p, size_t n_rows, size_t chunk_rows, upl_chunk_fn fn, void *ctx) {
    if (!fn || chunk_rows == 0) return UPL_EMISUSE;
    job j = { .fn = fn, .ctx = ctx, .n_rows = n_rows, .chunk_rows = chunk_rows,
              .n_chunks = upl_n_chunks(n_rows, chunk_rows) };
    atomic_init(&j.next, 0);
    atomic_init(&j.status, UPL_OK);
    if (j.n_chunks == 0) return UPL_OK;
    if (!p || p->n_threads == 1 || j.n_chunks == 1) {
        run_chunks(&j);
        return atomic_load(&j.status);
    }
    pthread_mutex_lock(&p->lock);
    p->current = &j;
    p->busy = p->n_threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    run_chunks(&j);
    pthread_mutex_lock(&p->lock);
    while (p->busy > 0) pthread_cond_wait(&p->done, &p->lock);
    p->current = NULL;
    pthread_mutex_unlock(&p->lock);
    return atomic_load(&j.status);
}
