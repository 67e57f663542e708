/* error.h — status codes, error context, the allocation hook, arenas and logging.
 *
 * Every fallible function in libuplift returns an int from enum upl_status
 * (UPL_OK == 0) and reports the human-readable detail through an upl_error
 * the caller passes in. The numbering is stable: codes are only ever added.
 *
 * Messages name where the problem is: "households.csv:1204331:7: column
 * `hh_size`: expected an integer, found `3.5`". Build them with
 * upl_error_at(); upl_error_message() returns the full text.
 *
 * The library never prints. It logs through a sink the host installs with
 * upl_log_set_sink(); without a sink, log lines are dropped. */
#ifndef UPLIFT_ERROR_H
#define UPLIFT_ERROR_H

#include <stdarg.h>
#include "defs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Stable, numbered; never renumber, only append. */
enum upl_status {
    UPL_OK = 0,
    UPL_ENOMEM = 1,     /* an allocation failed */
    UPL_EIO = 2,        /* read/write/open failed (errno text in the message) */
    UPL_EPARSE = 3,     /* malformed input text */
    UPL_ESCHEMA = 4,    /* columns missing, duplicated or of the wrong type */
    UPL_EPROFILE = 5,   /* invalid policy profile or expression */
    UPL_EDB = 6,        /* registry back-end error */
    UPL_EMISUSE = 7,    /* API called with invalid arguments */
    UPL_EAUTH = 8,      /* authentication or scope violation */
    UPL_ENOTFOUND = 9,  /* file, column, group or record not found */
    UPL_ERANGE = 10,    /* a value outside its allowed range */
    UPL_EENCODING = 11, /* bytes that are not valid in the input encoding */
    UPL_ECORRUPT = 12,  /* checksum mismatch, truncated or corrupt file */
    UPL_EUNDEFINED = 13,/* a statistic that is undefined for this input */
    UPL_ELIMIT = 14,    /* a configured size limit was exceeded */
    UPL_EEXISTS = 15,   /* already exists / already imported */
    UPL_ECONFLICT = 16, /* conflicting records that need review */
    UPL_EUNSUPPORTED = 17, /* a format or feature this build does not handle */
    UPL_STATUS_COUNT_ = 18
};

/* Short stable name of a status code ("UPL_EPARSE"); never NULL. */
UPL_EXPORT const char *upl_errname(int rc);
/* One-line English description of a status code; never NULL. */
UPL_EXPORT const char *upl_errstr(int rc);

/* Error context. Zero-initialise ("upl_error e = {0};"), pass to calls,
 * read with upl_error_message(), release with upl_error_clear().
 * All strings are owned by the struct. Not thread-safe: one per thread. */
typedef struct upl_error {
    int code;          /* UPL_OK when no error is recorded */
    char *message;     /* the detail alone, without location */
    char *file;        /* input file, or NULL */
    uint64_t line;     /* 1-based physical line, 0 = unknown */
    uint64_t column;   /* 1-based column (field index or byte), 0 = unknown */
    char *field;       /* column/field name, or NULL */
    char *full;        /* cached "file:line:col: column `f`: message" */
} upl_error;

/* Record an error without location. Returns code, so callers can write
 * `return upl_error_set(err, UPL_EPARSE, "...")`. err may be NULL. */
UPL_EXPORT int upl_error_set(upl_error *err, int code, const char *fmt, ...) UPL_PRINTF(3, 4);
UPL_EXPORT int upl_error_vset(upl_error *err, int code, const char *fmt, va_list ap) UPL_PRINTF(3, 0);
/* Record an error with location; file/field may be NULL, line/column 0. */
UPL_EXPORT int upl_error_at(upl_error *err, int code, const char *file, uint64_t line,
                            uint64_t column, const char *field, const char *fmt, ...)
    UPL_PRINTF(7, 8);
/* The full message ("file:line:col: column `f`: detail"), or the code's
 * description when no detail was recorded. Valid until the next call on err. */
UPL_EXPORT const char *upl_error_message(upl_error *err);
/* Free the strings and reset to UPL_OK. NULL is a no-op. */
UPL_EXPORT void upl_error_clear(upl_error *err);
/* Copy src into dst (dst is cleared first). Returns dst->code. */
UPL_EXPORT int upl_error_copy(upl_error *dst, const upl_error *src);

/* Cleanup helpers: one exit per function (goto fail). `rc` must be an int in scope. */
#define UPL_TRY(expr) do { rc = (expr); if (rc != UPL_OK) goto fail; } while (0)
#define UPL_FAIL_IF(cond, err, code, ...) \
    do { if (cond) { rc = upl_error_set((err), (code), __VA_ARGS__); goto fail; } } while (0)

/* ---- Allocation hook --------------------------------------------------------
 * All library allocations go through these. Tests use upl_alloc_fail_after()
 * to make the N-th allocation from now fail (SQLite's test_malloc method).
 * Thread-safe (atomic counter). */
UPL_EXPORT void *upl_malloc(size_t n);
UPL_EXPORT void *upl_calloc(size_t count, size_t size);
UPL_EXPORT void *upl_realloc(void *p, size_t n);
/* Grow-style realloc that checks count*size for overflow. */
UPL_EXPORT void *upl_reallocarray(void *p, size_t count, size_t size);
UPL_EXPORT void upl_free(void *p);
UPL_EXPORT char *upl_strdup(const char *s);
UPL_EXPORT char *upl_strndup(const char *s, size_t n);
/* printf into a new string (free with upl_free), NULL on failure. */
UPL_EXPORT char *upl_asprintf(const char *fmt, ...) UPL_PRINTF(1, 2);

/* Fail the n-th allocation from now (1 = the next one). If continuous,
 * every allocation after it fails too. n <= 0 disables injection. */
UPL_EXPORT void upl_alloc_fail_after(long n, bool continuous);
/* Allocations attempted since the last upl_alloc_fail_after(). */
UPL_EXPORT long upl_alloc_count(void);
/* Whether an injected failure has happened since the last upl_alloc_fail_after(). */
UPL_EXPORT bool upl_alloc_failed(void);

/* ---- Arena: bump allocator for many small, same-lifetime objects ----------- */
typedef struct upl_arena upl_arena;
/* block_size: bytes per block (0 = 64 KiB). Free with upl_arena_free(). */
UPL_EXPORT upl_arena *upl_arena_new(size_t block_size);
/* n bytes aligned to 16, or NULL on ENOMEM. Valid until reset/free. */
UPL_EXPORT void *upl_arena_alloc(upl_arena *a, size_t n);
UPL_EXPORT char *upl_arena_strndup(upl_arena *a, const char *s, size_t n);
/* Forget every allocation, keep the first block for reuse. */
UPL_EXPORT void upl_arena_reset(upl_arena *a);
UPL_EXPORT size_t upl_arena_bytes(const upl_arena *a);
UPL_EXPORT void upl_arena_free(upl_arena *a); /* NULL is a no-op */

/* ---- Logging ---------------------------------------------------------------- */
enum upl_log_level { UPL_LOG_ERROR = 0, UPL_LOG_WARN = 1, UPL_LOG_INFO = 2, UPL_LOG_DEBUG = 3 };
typedef void (*upl_log_sink)(int level, const char *message, void *userdata);
/* Install a sink (NULL removes it); lines above max_level are not formatted. */
UPL_EXPORT void upl_log_set_sink(upl_log_sink sink, void *userdata, int max_level);
UPL_EXPORT void upl_log(int level, const char *fmt, ...) UPL_PRINTF(2, 3);

/* Progress for long work: the host installs a callback (the CLI shows it on
 * stderr when stderr is a terminal). done/total in units of `what`. */
typedef void (*upl_progress_fn)(const char *what, uint64_t done, uint64_t total, void *userdata);
UPL_EXPORT void upl_progress_set(upl_progress_fn fn, void *userdata);
UPL_EXPORT void upl_progress(const char *what, uint64_t done, uint64_t total);

#ifdef __cplusplus
}
#endif
#endif
