/* registry_pg.c — the PostgreSQL back end of the store interface (libpq).
 *
 * Statements are server-side prepared (PQprepare) with the '?' placeholders
 * of the shared SQL rewritten to $1..$n; every parameter travels as text
 * (the server infers its type from the column it meets), results come back
 * in text format. Connection strings are libpq URIs; use sslmode=verify-full
 * for a remote server (ASVS 12.3.1). */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry_int.h"

/* A COPY sent on a second thread (copy_start) while the caller prepares
 * the next rows. The connection is the sender's until pg_sync joins it:
 * every entry point that talks to the server calls pg_sync first, so the
 * connection is never used by two threads at once. The thread allocates
 * nothing of ours: its error is kept as a code and a fixed-size text. */
typedef struct pg_copy_job {
    int n;
    const char *sql[4], *data[4];
    size_t len[4];
    int code;
    char msg[512];
} pg_copy_job;

typedef struct pg_db {
    upl_db base;
    PGconn *c;
    unsigned long next_name;
    bool busy;
    pthread_t th;
    pg_copy_job job;
} pg_db;

typedef struct pg_stmt {
    pg_db *db;
    char name[32];
    int n_params;
    char **params;        /* owned copies; NULL = SQL NULL */
    PGresult *res;
    int row;              /* current row, -1 before the first */
    bool executed;
} pg_stmt;

static int pg_err_code(PGresult *res) {
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (st && !strncmp(st, "08", 2)) return UPL_EIO;
    if (st && !strcmp(st, "53200")) return UPL_ENOMEM;
    return UPL_EDB;
}

static int pg_fail(pg_db *d, PGresult *res, upl_error *err, const char *what) {
    const char *m = res ? PQresultErrorMessage(res) : NULL;
    if (!m || !*m) m = PQerrorMessage(d->c);
    int code = pg_err_code(res);
    /* libpq messages end with a newline. */
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
    return upl_error_set(err, code, "postgresql: %s: %.*s", what, (int)n, m);
}

static void set_msg(char *msg, size_t cap, PGresult *res, PGconn *c, const char *what) {
    const char *m = res ? PQresultErrorMessage(res) : NULL;
    if (!m || !*m) m = PQerrorMessage(c);
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
    snprintf(msg, cap, "postgresql: %s: %.*s", what, (int)n, m);
}

/* One COPY ... FROM STDIN; on failure *code and msg say why. Errors (a
 * constraint, a malformed row) come back from the final result and fail
 * the caller's transaction like any statement's. */
static void copy_run(PGconn *c, const char *copy_sql, const char *data, size_t len, int *code, char *msg,
                     size_t cap) {
    PGresult *res = PQexec(c, copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        *code = pg_err_code(res);
        set_msg(msg, cap, res, c, "copy");
        PQclear(res);
        return;
    }
    PQclear(res);
    /* libpq takes at most INT_MAX bytes per call. */
    for (size_t off = 0; off < len && *code == UPL_OK;) {
        size_t n = len - off > (1u << 30) ? (1u << 30) : len - off;
        if (PQputCopyData(c, data + off, (int)n) != 1) { *code = UPL_EIO; set_msg(msg, cap, NULL, c, "copy data"); }
        off += n;
    }
    if (PQputCopyEnd(c, *code == UPL_OK ? NULL : "client error") != 1 && *code == UPL_OK) {
        *code = UPL_EIO;
        set_msg(msg, cap, NULL, c, "copy end");
    }
    while ((res = PQgetResult(c)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && *code == UPL_OK) {
            *code = pg_err_code(res);
            set_msg(msg, cap, res, c, "copy");
        }
        PQclear(res);
    }
}

static void *copy_thread(void *arg) {
    pg_db *d = arg;
    for (int i = 0; i < d->job.n && d->job.code == UPL_OK; i++)
        copy_run(d->c, d->job.sql[i], d->job.data[i], d->job.len[i], &d->job.code, d->job.msg, sizeof d->job.msg);
    return NULL;
}

/* Wait for a COPY in flight; its error, if any, is this call's. A caller
 * that cannot report an error (err NULL: finalize, close) leaves it
 * pending for the next call that can, so a failed COPY is never lost: the
 * next statement would otherwise succeed (outside a transaction) or fail
 * with "current transaction is aborted", naming nothing. Only a rollback
 * discards it (pg_drop_copy_error). */
static int pg_sync(pg_db *d, upl_error *err) {
    if (d->busy) {
        pthread_join(d->th, NULL);
        d->busy = false;
    }
    if (d->job.code == UPL_OK || !err) return d->job.code;
    int code = d->job.code;
    d->job.code = UPL_OK;
    return upl_error_set(err, code, "%s", d->job.msg);
}

static void pg_drop_copy_error(pg_db *d) {
    (void)pg_sync(d, NULL);
    d->job.code = UPL_OK;
}

static int pg_copy_wait(upl_db *db, upl_error *err) { return pg_sync((pg_db *)db, err); }

/* Start sending n COPY texts (at most 4) on a second thread; the texts must
 * stay unchanged until the next call that talks to the server. */
static int pg_copy_start(upl_db *db, int n, const char *const *sql, const char *const *data, const size_t *len,
                         upl_error *err) {
    pg_db *d = (pg_db *)db;
    int rc = pg_sync(d, err);
    if (rc) return rc;
    if (n < 1) return UPL_OK;
    if (n > 4) return upl_error_set(err, UPL_EMISUSE, "copy_start: at most 4 texts");
    memset(&d->job, 0, sizeof d->job);
    d->job.n = n;
    for (int i = 0; i < n; i++) { d->job.sql[i] = sql[i]; d->job.data[i] = data[i]; d->job.len[i] = len[i]; }
    if (pthread_create(&d->th, NULL, copy_thread, d) != 0) {
        copy_thread(d);                       /* no thread: send now; busy stays false */
        return pg_sync(d, err);               /* reports job.code (it once returned OK here) */
    }
    d->busy = true;
    return UPL_OK;
}

static int pg_exec(upl_db *db, const char *sql, upl_error *err) {
    pg_db *d = (pg_db *)db;
    int src = pg_sync(d, err);
    if (src) return src;
    PGresult *res = PQexec(d->c, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = UPL_OK;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) rc = pg_fail(d, res, err, "exec");
    PQclear(res);
    return rc;
}

static int pg_begin(upl_db *db, upl_error *err) { return pg_exec(db, "BEGIN ISOLATION LEVEL READ COMMITTED", err); }
static int pg_commit(upl_db *db, upl_error *err) { return pg_exec(db, "COMMIT", err); }
static void pg_rollback(upl_db *db) {
    pg_db *d = (pg_db *)db;
    pg_drop_copy_error(d);                    /* the rollback undoes the COPY too */
    if (PQtransactionStatus(d->c) != PQTRANS_IDLE) PQclear(PQexec(d->c, "ROLLBACK"));
}

/* '?' → $n outside quotes. */
static char *rewrite(const char *sql, int *n_params) {
    size_t len = strlen(sql), n = 0;
    for (size_t i = 0; i < len; i++) if (sql[i] == '?') n++;
    char *out = upl_malloc(len + n * 6 + 1);
    if (!out) return NULL;
    char *o = out;
    int k = 0;
    char quote = 0;
    for (size_t i = 0; i < len; i++) {
        char c = sql[i];
        if (quote) { if (c == quote) quote = 0; *o++ = c; continue; }
        if (c == '\'' || c == '"') { quote = c; *o++ = c; continue; }
        if (c == '?' && sql[i + 1] >= '0' && sql[i + 1] <= '9') {   /* ?N keeps its number */
            int v = 0;
            *o++ = '$';
            while (sql[i + 1] >= '0' && sql[i + 1] <= '9') { v = v * 10 + (sql[i + 1] - '0'); *o++ = sql[++i]; }
            if (v > k) k = v;
            continue;
        }
        if (c == '?') { o += sprintf(o, "$%d", ++k); continue; }
        *o++ = c;
    }
    *o = 0;
    *n_params = k;
    return out;
}

static void clear_params(pg_stmt *q) {
    for (int i = 0; i < q->n_params; i++) { upl_free(q->params[i]); q->params[i] = NULL; }
}

static int pg_prepare(upl_db *db, const char *sql, upl_stmt **out, upl_error *err) {
    pg_db *d = (pg_db *)db;
    int rc = UPL_OK;
    char *text = NULL;
    PGresult *res = NULL;
    pg_stmt *q = NULL;
    *out = NULL;
    UPL_TRY(pg_sync(d, err));
    q = upl_calloc(1, sizeof *q);
    UPL_FAIL_IF(!q, err, UPL_ENOMEM, "out of memory");
    q->db = d;
    q->row = -1;
    text = rewrite(sql, &q->n_params);
    UPL_FAIL_IF(!text, err, UPL_ENOMEM, "out of memory");
    if (q->n_params) {
        q->params = upl_calloc((size_t)q->n_params, sizeof *q->params);
        UPL_FAIL_IF(!q->params, err, UPL_ENOMEM, "out of memory");
    }
    snprintf(q->name, sizeof q->name, "upl_%lu", ++d->next_name);
    res = PQprepare(d->c, q->name, text, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) { rc = pg_fail(d, res, err, "prepare"); goto fail; }
    PQclear(res);
    upl_free(text);
    *out = (upl_stmt *)q;
    return UPL_OK;
fail:
    PQclear(res);
    upl_free(text);
    if (q) { upl_free(q->params); upl_free(q); }
    return rc;
}

static int set_param(pg_stmt *q, int i, char *v) {
    if (i < 1 || i > q->n_params) { upl_free(v); return UPL_EMISUSE; }
    upl_free(q->params[i - 1]);
    q->params[i - 1] = v;
    return UPL_OK;
}
static int pg_bind_text(upl_stmt *st, int i, const char *s, size_t len) {
    if (!s) return set_param((pg_stmt *)st, i, NULL);
    if (len == (size_t)-1) len = strlen(s);
    char *v = upl_strndup(s, len);
    if (!v) return UPL_ENOMEM;
    return set_param((pg_stmt *)st, i, v);
}
static int pg_bind_i64(upl_stmt *st, int i, int64_t x) {
    char *v = upl_asprintf("%lld", (long long)x);
    if (!v) return UPL_ENOMEM;
    return set_param((pg_stmt *)st, i, v);
}
static int pg_bind_f64(upl_stmt *st, int i, double x) {
    char *v = upl_asprintf("%.17g", x);
    if (!v) return UPL_ENOMEM;
    return set_param((pg_stmt *)st, i, v);
}
static int pg_bind_null(upl_stmt *st, int i) { return set_param((pg_stmt *)st, i, NULL); }

static int pg_step(upl_stmt *st, bool *has_row, upl_error *err) {
    pg_stmt *q = (pg_stmt *)st;
    *has_row = false;
    if (!q->executed) {
        int src = pg_sync(q->db, err);
        if (src) return src;
        q->res = PQexecPrepared(q->db->c, q->name, q->n_params, (const char *const *)q->params,
                                NULL, NULL, 0);
        q->executed = true;
        ExecStatusType s = PQresultStatus(q->res);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            int rc = pg_fail(q->db, q->res, err, "step");
            PQclear(q->res);
            q->res = NULL;
            return rc;
        }
        q->row = -1;
    }
    if (!q->res) return UPL_OK;
    q->row++;
    *has_row = q->row < PQntuples(q->res);
    return UPL_OK;
}

static int pg_n_cols(upl_stmt *st) { pg_stmt *q = (pg_stmt *)st; return q->res ? PQnfields(q->res) : 0; }
static const char *pg_col_name(upl_stmt *st, int i) { return PQfname(((pg_stmt *)st)->res, i); }
static bool pg_col_is_null(upl_stmt *st, int i) {
    pg_stmt *q = (pg_stmt *)st;
    return PQgetisnull(q->res, q->row, i) == 1;
}
static const char *pg_col_text(upl_stmt *st, int i, size_t *len) {
    pg_stmt *q = (pg_stmt *)st;
    if (PQgetisnull(q->res, q->row, i)) { if (len) *len = 0; return NULL; }
    if (len) *len = (size_t)PQgetlength(q->res, q->row, i);
    return PQgetvalue(q->res, q->row, i);
}
static int64_t pg_col_i64(upl_stmt *st, int i) {
    const char *s = pg_col_text(st, i, NULL);
    return s ? strtoll(s, NULL, 10) : 0;
}
static double pg_col_f64(upl_stmt *st, int i) {
    const char *s = pg_col_text(st, i, NULL);
    return s ? strtod(s, NULL) : 0.0;
}
static void pg_reset(upl_stmt *st) {
    pg_stmt *q = (pg_stmt *)st;
    PQclear(q->res);
    q->res = NULL;
    q->executed = false;
    q->row = -1;
    clear_params(q);
}
static void pg_finalize(upl_stmt *st) {
    pg_stmt *q = (pg_stmt *)st;
    if (!q) return;
    PQclear(q->res);
    clear_params(q);
    upl_free(q->params);
    char sql[64];
    (void)pg_sync(q->db, NULL);
    snprintf(sql, sizeof sql, "DEALLOCATE %s", q->name);
    if (PQstatus(q->db->c) == CONNECTION_OK) PQclear(PQexec(q->db->c, sql));
    upl_free(q);
}
static void pg_close(upl_db *db) {
    pg_db *d = (pg_db *)db;
    if (!d) return;
    (void)pg_sync(d, NULL);
    PQfinish(d->c);
    upl_free(d);
}

static char *pg_dialect(const char *sql) {
    const char *from = "@ID@", *to = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *p = strstr(sql, from); p; p = strstr(p + fl, from)) n++;
    char *out = upl_malloc(strlen(sql) + n * tl + 1), *o = out;
    if (!out) return NULL;
    const char *p = sql, *q;
    while ((q = strstr(p, from))) {
        memcpy(o, p, (size_t)(q - p)); o += q - p;
        memcpy(o, to, tl); o += tl;
        p = q + fl;
    }
    strcpy(o, p);
    return out;
}

/* COPY ... FROM STDIN, waiting for the result. */
static int pg_copy_in(upl_db *db, const char *copy_sql, const char *data, size_t len, upl_error *err) {
    pg_db *d = (pg_db *)db;
    int rc = pg_sync(d, err);
    if (rc) return rc;
    int code = UPL_OK;
    char msg[512];
    copy_run(d->c, copy_sql, data, len, &code, msg, sizeof msg);
    return code == UPL_OK ? UPL_OK : upl_error_set(err, code, "%s", msg);
}

static const upl_db_vt pg_vt = {
    "postgresql", pg_exec, pg_begin, pg_commit, pg_rollback, pg_prepare, pg_bind_text, pg_bind_i64,
    pg_bind_f64, pg_bind_null, pg_step, pg_n_cols, pg_col_name, pg_col_is_null, pg_col_text,
    pg_col_i64, pg_col_f64, pg_reset, pg_finalize, pg_close, pg_dialect, pg_bind_text, pg_copy_in,
    pg_copy_start, pg_copy_wait
};

static void pg_notice(void *arg, const char *msg) { (void)arg; (void)msg; }

int upl_pg_open(const char *uri, upl_db **out, upl_error *err) {
    int rc;
    pg_db *d = upl_calloc(1, sizeof *d);
    *out = NULL;
    if (!d) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    d->base.vt = &pg_vt;
    d->c = PQconnectdb(uri);
    if (!d->c) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    if (PQstatus(d->c) != CONNECTION_OK) {
        const char *m = PQerrorMessage(d->c);
        size_t n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
        rc = upl_error_set(err, UPL_EIO, "cannot connect to PostgreSQL: %.*s", (int)n, m);
        goto fail;
    }
    PQsetNoticeProcessor(d->c, pg_notice, NULL);
    UPL_TRY(pg_exec(&d->base, "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; "
                              "SET client_min_messages = warning", err));
    *out = &d->base;
    return UPL_OK;
fail:
    pg_close(&d->base);
    return rc;
}
