/* alloc.c — the one allocation hook (with failure injection for tests, after
 * SQLite's test_malloc.c) and a bump arena for same-lifetime objects. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/error.h"

static atomic_long fail_at = 0;      /* 0 = injection off */
static atomic_bool fail_continuous = false;
static atomic_long alloc_count = 0;
static atomic_bool has_failed = false;

void upl_alloc_fail_after(long n, bool continuous) {
    atomic_store(&alloc_count, 0);
    atomic_store(&has_failed, false);
    atomic_store(&fail_continuous, continuous);
    atomic_store(&fail_at, n > 0 ? n : 0);
}

long upl_alloc_count(void) { return atomic_load(&alloc_count); }
bool upl_alloc_failed(void) { return atomic_load(&has_failed); }

static bool should_fail(void) {
    long at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    if (at == 0) return false;
    long n = atomic_fetch_add(&alloc_count, 1) + 1;
    if (n == at || (n > at && atomic_load(&fail_continuous))) {
        atomic_store(&has_failed, true);
        return true;
    }
    return false;
}

void *upl_malloc(size_t n) {
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *upl_calloc(size_t count, size_t size) {
    if (should_fail()) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *upl_realloc(void *p, size_t n) {
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void *upl_reallocarray(void *p, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    return upl_realloc(p, count * size);
}

void upl_free(void *p) { free(p); }

char *upl_strndup(const char *s, size_t n) {
    char *d = upl_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *upl_strdup(const char *s) { return s ? upl_strndup(s, strlen(s)) : NULL; }

char *upl_asprintf(const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = NULL;
    if (n >= 0 && (s = upl_malloc((size_t)n + 1)) != NULL) vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

/* ---- arena ---- */
typedef struct arena_block {
    struct arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} arena_block;

struct upl_arena {
    arena_block *head;   /* current block (most recent) */
    size_t block_size;
    size_t bytes;
};

upl_arena *upl_arena_new(size_t block_size) {
    upl_arena *a = upl_calloc(1, sizeof *a);
    if (!a) return NULL;
    a->block_size = block_size ? block_size : 65536;
    return a;
}

void *upl_arena_alloc(upl_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->size - a->head->used < n) {
        size_t sz = n > a->block_size ? n : a->block_size;
        arena_block *b = upl_malloc(sizeof *b + sz);
        if (!b) return NULL;
        b->next = a->head;
        b->size = sz;
        b->used = 0;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    a->bytes += n;
    return p;
}

char *upl_arena_strndup(upl_arena *a, const char *s, size_t n) {
    char *d = upl_arena_alloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void upl_arena_reset(upl_arena *a) {
    if (!a || !a->head) return;
    /* keep the oldest block (the last in the list) */
    arena_block *b = a->head;
    while (b->next) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    b->used = 0;
    a->head = b;
    a->bytes = 0;
}

size_t upl_arena_bytes(const upl_arena *a) { return a ? a->bytes : 0; }

void upl_arena_free(upl_arena *a) {
    if (!a) return;
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}
