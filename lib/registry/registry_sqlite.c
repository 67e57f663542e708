/* registry_sqlite.c — the SQLite back end of the store interface.
 *
 * One database file in WAL mode with foreign keys on and synchronous=FULL:
 * a committed import survives a crash or power loss (WAL + FULL syncs the
 * log on every commit; NORMAL could lose the last transactions on power
 * loss, which a system of record must not). Write transactions start with
 * BEGIN IMMEDIATE so two writers queue (up to WRITER_WAIT_MS) instead of
 * deadlocking on a lock upgrade. */
#include <sqlite3.h>
#include <string.h>
#include "registry_int.h"

typedef struct sq_db {
    upl_db base;
    sqlite3 *h;
    sqlite3_stmt *rollback;   /* prepared at open: rolling back must not need memory */
} sq_db;

typedef struct sq_stmt {
    sq_db *db;
    sqlite3_stmt *st;
    bool stepped;
} sq_stmt;

static int map_rc(int rc) {
    switch (rc & 0xff) {
    case SQLITE_NOMEM: return UPL_ENOMEM;
    case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CANTOPEN: return UPL_EIO;
    case SQLITE_CORRUPT: case SQLITE_NOTADB: return UPL_ECORRUPT;
    default: return UPL_EDB;
    }
}

static int sq_err(sq_db *d, int rc, upl_error *err, const char *what) {
    const char *msg = d && d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc);
    return upl_error_set(err, map_rc(rc), "sqlite: %s: %s", what, msg ? msg : sqlite3_errstr(rc));
}

static int sq_exec(upl_db *db, const char *sql, upl_error *err) {
    sq_db *d = (sq_db *)db;
    int rc = sqlite3_exec(d->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? UPL_OK : sq_err(d, rc, err, "exec");
}

/* Statements wait BUSY_MS for a lock; a write transaction waits longer:
 * another process's import holds the write lock for its whole run (a
 * county's first load: a minute or more), and a second importer or a
 * correction should queue behind it, not fail after 10 s with "database
 * is locked". When even that wait runs out the message says why. */
#define BUSY_MS 10000
#define WRITER_WAIT_MS 300000
static int sq_begin(upl_db *db, upl_error *err) {
    sq_db *d = (sq_db *)db;
    sqlite3_busy_timeout(d->h, WRITER_WAIT_MS);
    int rc = sqlite3_exec(d->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    sqlite3_busy_timeout(d->h, BUSY_MS);
    if (rc == SQLITE_OK) return UPL_OK;
    if ((rc & 0xff) == SQLITE_BUSY)
        return upl_error_set(err, UPL_EDB, "sqlite: the registry stayed locked by another writer (an import or a"
                             " correction in another process) for %d s; try again when it has finished"
                             " (登记库正被其他进程写入，请稍后重试)", WRITER_WAIT_MS / 1000);
    return sq_err(d, rc, err, "begin");
}
static int sq_commit(upl_db *db, upl_error *err) { return sq_exec(db, "COMMIT", err); }
static void sq_rollback(upl_db *db) {
    sq_db *d = (sq_db *)db;
    if (sqlite3_get_autocommit(d->h)) return;
    if (d->rollback) {
        sqlite3_step(d->rollback);
        sqlite3_reset(d->rollback);
    }
    /* Still open (e.g. the step itself failed): try the slow way. */
    if (!sqlite3_get_autocommit(d->h)) sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_prepare(upl_db *db, const char *sql, upl_stmt **out, upl_error *err) {
    sq_db *d = (sq_db *)db;
    sq_stmt *s = upl_calloc(1, sizeof *s);
    *out = NULL;
    if (!s) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    s->db = d;
    int rc = sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
    if (rc != SQLITE_OK) {
        upl_free(s);
        return sq_err(d, rc, err, "prepare");
    }
    *out = (upl_stmt *)s;
    return UPL_OK;
}

static int bind_rc(int rc) { return rc == SQLITE_OK ? UPL_OK : map_rc(rc); }
static int sq_bind_text(upl_stmt *st, int i, const char *s, size_t len) {
    sq_stmt *q = (sq_stmt *)st;
    if (!s) return bind_rc(sqlite3_bind_null(q->st, i));
    if (len == (size_t)-1) len = strlen(s);
    return bind_rc(sqlite3_bind_text64(q->st, i, s, len, SQLITE_TRANSIENT, SQLITE_UTF8));
}
static int sq_bind_text_ref(upl_stmt *st, int i, const char *s, size_t len) {
    sq_stmt *q = (sq_stmt *)st;
    if (!s) return bind_rc(sqlite3_bind_null(q->st, i));
    if (len == (size_t)-1) len = strlen(s);
    return bind_rc(sqlite3_bind_text64(q->st, i, s, len, SQLITE_STATIC, SQLITE_UTF8));
}
static int sq_bind_i64(upl_stmt *st, int i, int64_t v) {
    return bind_rc(sqlite3_bind_int64(((sq_stmt *)st)->st, i, v));
}
static int sq_bind_f64(upl_stmt *st, int i, double v) {
    return bind_rc(sqlite3_bind_double(((sq_stmt *)st)->st, i, v));
}
static int sq_bind_null(upl_stmt *st, int i) { return bind_rc(sqlite3_bind_null(((sq_stmt *)st)->st, i)); }

static int sq_step(upl_stmt *st, bool *has_row, upl_error *err) {
    sq_stmt *q = (sq_stmt *)st;
    int rc = sqlite3_step(q->st);
    q->stepped = true;
    if (rc == SQLITE_ROW) { *has_row = true; return UPL_OK; }
    *has_row = false;
    if (rc == SQLITE_DONE) return UPL_OK;
    int code = sq_err(q->db, rc, err, "step");
    sqlite3_reset(q->st);
    return code;
}

static int sq_n_cols(upl_stmt *st) { return sqlite3_column_count(((sq_stmt *)st)->st); }
static const char *sq_col_name(upl_stmt *st, int i) { return sqlite3_column_name(((sq_stmt *)st)->st, i); }
static bool sq_col_is_null(upl_stmt *st, int i) {
    return sqlite3_column_type(((sq_stmt *)st)->st, i) == SQLITE_NULL;
}
static const char *sq_col_text(upl_stmt *st, int i, size_t *len) {
    sq_stmt *q = (sq_stmt *)st;
    if (sqlite3_column_type(q->st, i) == SQLITE_NULL) { if (len) *len = 0; return NULL; }
    const char *s = (const char *)sqlite3_column_text(q->st, i);
    if (len) *len = s ? (size_t)sqlite3_column_bytes(q->st, i) : 0;
    return s;
}
static int64_t sq_col_i64(upl_stmt *st, int i) { return sqlite3_column_int64(((sq_stmt *)st)->st, i); }
static double sq_col_f64(upl_stmt *st, int i) { return sqlite3_column_double(((sq_stmt *)st)->st, i); }
static void sq_reset(upl_stmt *st) {
    sq_stmt *q = (sq_stmt *)st;
    sqlite3_reset(q->st);
    sqlite3_clear_bindings(q->st);
    q->stepped = false;
}
static void sq_finalize(upl_stmt *st) {
    sq_stmt *q = (sq_stmt *)st;
    if (!q) return;
    sqlite3_finalize(q->st);
    upl_free(q);
}
static void sq_close(upl_db *db) {
    sq_db *d = (sq_db *)db;
    if (!d) return;
    sqlite3_finalize(d->rollback);
    sqlite3_close_v2(d->h);
    upl_free(d);
}

/* Replace every occurrence of `from` by `to`. */
static char *replace_all(const char *s, const char *from, const char *to) {
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + fl, from)) n++;
    size_t len = strlen(s) + n * (tl > fl ? tl - fl : 0) + 1;
    char *out = upl_malloc(len), *o = out;
    if (!out) return NULL;
    const char *p = s, *q;
    while ((q = strstr(p, from))) {
        memcpy(o, p, (size_t)(q - p)); o += q - p;
        memcpy(o, to, tl); o += tl;
        p = q + fl;
    }
    strcpy(o, p);
    return out;
}

static char *sq_dialect(const char *sql) {
    return replace_all(sql, "@ID@", "INTEGER PRIMARY KEY AUTOINCREMENT");
}

static const upl_db_vt sq_vt = {
    "sqlite", sq_exec, sq_begin, sq_commit, sq_rollback, sq_prepare, sq_bind_text, sq_bind_i64,
    sq_bind_f64, sq_bind_null, sq_step, sq_n_cols, sq_col_name, sq_col_is_null, sq_col_text,
    sq_col_i64, sq_col_f64, sq_reset, sq_finalize, sq_close, sq_dialect, sq_bind_text_ref, NULL, NULL, NULL
};

int upl_sqlite_open(const char *path, upl_db **out, upl_error *err) {
    int rc;
    sq_db *d = upl_calloc(1, sizeof *d);
    *out = NULL;
    if (!d) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    d->base.vt = &sq_vt;
    int src = sqlite3_open_v2(path, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                              SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = upl_error_set(err, map_rc(src), "cannot open registry `%s`: %s", path,
                           d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(src));
        goto fail;
    }
    sqlite3_extended_result_codes(d->h, 1);
    sqlite3_busy_timeout(d->h, BUSY_MS);
    /* journal_mode returns a row; sqlite3_exec discards it. The mode may
     * stay "delete" on file systems without shared memory; that is still
     * safe, only slower. */
    UPL_TRY(sq_exec(&d->base, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                              "PRAGMA synchronous=FULL; PRAGMA trusted_schema=OFF;"
                              /* An import is one transaction: a 128 MiB page cache keeps
                               * its pages in memory instead of spilling them to the WAL
                               * again and again before the commit. */
                              " PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY", err));
    src = sqlite3_prepare_v3(d->h, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT, &d->rollback, NULL);
    if (src != SQLITE_OK) { rc = sq_err(d, src, err, "prepare"); goto fail; }
    *out = &d->base;
    return UPL_OK;
fail:
    sq_close(&d->base);
    return rc;
}
