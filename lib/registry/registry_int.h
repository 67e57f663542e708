/* registry_int.h — private to lib/registry: the store interface (a small
 * SQL driver vtable that the SQLite and PostgreSQL back ends implement),
 * the registry handle, and helpers shared by registry_*.c.
 *
 * All registry logic (import, cases, audit, accounts) is written once over
 * this interface with '?' placeholders; the PostgreSQL driver rewrites them
 * to $1..$n. Values travel as text or int64/double; booleans are 0/1
 * integers and money is integer fen (分) in both dialects, so one set of SQL
 * statements serves both. */
#ifndef UPLIFT_REGISTRY_INT_H
#define UPLIFT_REGISTRY_INT_H

#include <stdarg.h>
#include "uplift/registry.h"

typedef struct upl_db upl_db;
typedef struct upl_stmt upl_stmt;

typedef struct upl_db_vt {
    const char *name;                      /* "sqlite" / "postgresql" */
    /* Run one or more statements without parameters (migrations, pragmas). */
    int (*exec)(upl_db *db, const char *sql, upl_error *err);
    int (*begin)(upl_db *db, upl_error *err);    /* a write transaction */
    int (*commit)(upl_db *db, upl_error *err);
    void (*rollback)(upl_db *db);                 /* best effort, never fails */
    int (*prepare)(upl_db *db, const char *sql, upl_stmt **out, upl_error *err);
    /* Bind (1-based). len == (size_t)-1 means strlen. s NULL binds NULL. */
    int (*bind_text)(upl_stmt *st, int i, const char *s, size_t len);
    int (*bind_i64)(upl_stmt *st, int i, int64_t v);
    int (*bind_f64)(upl_stmt *st, int i, double v);
    int (*bind_null)(upl_stmt *st, int i);
    /* Execute / advance: *has_row true while a row is available. */
    int (*step)(upl_stmt *st, bool *has_row, upl_error *err);
    int (*n_cols)(upl_stmt *st);
    const char *(*col_name)(upl_stmt *st, int i);
    bool (*col_is_null)(upl_stmt *st, int i);
    const char *(*col_text)(upl_stmt *st, int i, size_t *len); /* NULL when null */
    int64_t (*col_i64)(upl_stmt *st, int i);
    double (*col_f64)(upl_stmt *st, int i);
    /* Ready for new bindings and a new step (bindings are cleared). */
    void (*reset)(upl_stmt *st);
    void (*finalize)(upl_stmt *st);              /* NULL is a no-op */
    void (*close)(upl_db *db);                   /* NULL is a no-op */
    /* Schema text per dialect: replaces @ID@ etc. Returns a new string. */
    char *(*dialect)(const char *sql);
    /* Bind text the caller keeps alive and unchanged until the statement is
     * reset (no copy where the driver can avoid one). */
    int (*bind_text_ref)(upl_stmt *st, int i, const char *s, size_t len);
    /* PostgreSQL: `COPY ... FROM STDIN` (text format) of len bytes of rows.
     * NULL where the store has no bulk-load protocol (SQLite). */
    int (*copy_in)(upl_db *db, const char *copy_sql, const char *data, size_t len, upl_error *err);
    /* The same for up to 4 texts, sent on a second thread: returns at once;
     * the texts must stay unchanged until copy_wait or any other call that
     * talks to the server (each waits first and reports the COPY's error). */
    int (*copy_start)(upl_db *db, int n, const char *const *sql, const char *const *data, const size_t *len,
                      upl_error *err);
    int (*copy_wait)(upl_db *db, upl_error *err);
} upl_db_vt;

struct upl_db { const upl_db_vt *vt; };

int upl_sqlite_open(const char *path, upl_db **out, upl_error *err);
int upl_pg_open(const char *uri, upl_db **out, upl_error *err);

/* Registry handle. */
#define UPL_KEY_BYTES 32
struct upl_registry {
    upl_db *db;
    char *uri;
    char *key_created;
    int schema_version;
    unsigned char key_aead[UPL_KEY_BYTES];   /* XChaCha20-Poly1305 for IDs, phones, accounts, raw rows */
    unsigned char key_blind[UPL_KEY_BYTES];  /* keyed BLAKE2b blind index */
    unsigned char key_audit[UPL_KEY_BYTES];  /* keyed BLAKE2b audit chain */
    char *actor;          /* audit name */
    char *scope;          /* area-code prefix, "" = all */
    int role;
    int64_t account_id;   /* 0 = local operator */
    bool in_tx;
    /* The batch of audit entries being built (registry_audit.c), if any:
     * upl_reg_audit writes it out first, so entries keep their order. */
    struct upl_reg_audit_batch *audit_batch;
};

/* ---- helpers (registry_store.c) ------------------------------------------ */
/* Prepare+bind+step helpers. Bind spec characters: 's' text (const char*),
 * 'S' text with length (const char*, size_t), 'i' int64_t, 'd' double,
 * 'n' NULL (no argument), 'z' text or NULL if empty/NULL (const char*). */
int upl_db_run(upl_db *db, const char *sql, upl_error *err, const char *spec, ...);
/* Run, then read the first row's column 0 as int64 (*found false if none). */
int upl_db_query_i64(upl_db *db, const char *sql, int64_t *out, bool *found, upl_error *err,
                     const char *spec, ...);
/* Same, text (new string via upl_strdup, NULL when no row or NULL value). */
int upl_db_query_text(upl_db *db, const char *sql, char **out, upl_error *err, const char *spec, ...);
int upl_db_bindv(upl_db *db, upl_stmt *st, const char *spec, va_list ap);
/* Read every row of an executed-but-not-stepped statement into a table of
 * text columns (I64 for column names in i64_cols, comma-separated). */
int upl_db_to_table(upl_db *db, upl_stmt *st, const char *i64_cols, upl_table **out, upl_error *err);

/* Current UTC time "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 21 bytes). */
void upl_reg_now(char *buf);
/* Today as YYYYMMDD (UTC). */
int upl_reg_today(void);

/* Crypto (registry_crypto.c). Encrypt text to base64(nonce||ct) bound to
 * `context` (e.g. "member.id_number"). */
int upl_reg_encrypt(const upl_registry *r, const char *context, const char *plain, size_t len,
                    char **out, upl_error *err);
int upl_reg_decrypt(const upl_registry *r, const char *context, const char *b64, char **out,
                    size_t *len, upl_error *err);
/* Bulk variant (registry_import.c): the same format, written into out
 * (at least upl_reg_encrypted_size(len) bytes, len <= 256), the 24-byte
 * nonce taken from a pool filled from the system CSPRNG. */
typedef struct upl_nonce_pool { unsigned char buf[24 * 170]; size_t off; } upl_nonce_pool;
size_t upl_reg_encrypted_size(size_t len);
int upl_reg_encrypt_into(const upl_registry *r, const char *context, const char *plain, size_t len,
                         const unsigned char *nonce, char *out, size_t out_cap);
const unsigned char *upl_reg_nonce(upl_nonce_pool *p);   /* init: off = sizeof buf */
/* Hex of keyed BLAKE2b-128 of the 18-character person ID. buf >= 33. */
void upl_reg_blind(const upl_registry *r, const char *person18, char *buf);
/* Load the key file (or create it); derive subkeys. */
int upl_reg_load_key(upl_registry *r, const char *path, bool create, upl_error *err);
/* SHA-256 of a file, hex into buf (>= 65). */
int upl_reg_sha256_file(const char *path, char *buf, upl_error *err);
/* Mask a phone/account number: keep first 3 and last 4. New string. */
char *upl_reg_mask_digits(const char *s);

/* Scope / permission checks (registry_account.c). */
int upl_reg_require_role(upl_registry *r, int min_role, const char *what, upl_error *err);
int upl_reg_require_scope(upl_registry *r, const char *area_code, const char *what, upl_error *err);

/* Audit append within the caller's transaction (registry_audit.c). */
int upl_reg_audit(upl_registry *r, const char *action, const char *object, const char *before,
                  const char *after, upl_error *err);

/* Batched audit appends within the caller's transaction: the rows are the
 * ones the same sequence of upl_reg_audit calls would write (same seq, at,
 * hash chain), but the chain head is locked and read once per batch, each
 * hash is computed at _add, and _flush writes the rows with one COPY
 * (PostgreSQL) or 64-row INSERTs (SQLite) and the head with one statement.
 * _add flushes by itself every UPL_AUDIT_BATCH_MAX entries; upl_reg_audit
 * flushes an attached batch before its own entry. On any error the caller
 * must roll its transaction back (rows may be half written). _end drops
 * unflushed entries and detaches the batch; always call it. */
#define UPL_AUDIT_BATCH_MAX 4096
typedef struct upl_reg_audit_entry upl_reg_audit_entry;
typedef struct upl_reg_audit_batch {
    upl_registry *r;
    bool open;                 /* head read (and locked) for the entries waiting */
    bool had_head;             /* upl_meta.audit_head existed then */
    int64_t seq;               /* seq of the last entry added */
    char prev[65];             /* and its hash */
    upl_reg_audit_entry **e;
    size_t n, cap;
    upl_stmt *ins;             /* SQLite: the prepared 64-row INSERT */
} upl_reg_audit_batch;
void upl_reg_audit_batch_begin(upl_registry *r, upl_reg_audit_batch *b);
int upl_reg_audit_batch_add(upl_reg_audit_batch *b, const char *action, const char *object, const char *before,
                            const char *after, upl_error *err);
int upl_reg_audit_batch_flush(upl_reg_audit_batch *b, upl_error *err);
void upl_reg_audit_batch_end(upl_reg_audit_batch *b);

/* Migrations (registry_schema.c). */
int upl_reg_migrate(upl_registry *r, bool no_migrate, upl_error *err);

/* Small growable string (JSON building). */
typedef struct upl_sbuf { char *s; size_t len, cap; bool failed; } upl_sbuf;
void upl_sbuf_add(upl_sbuf *b, const char *s, size_t n);
void upl_sbuf_str(upl_sbuf *b, const char *s);
void upl_sbuf_json(upl_sbuf *b, const char *s);   /* quoted, escaped JSON string */
void upl_sbuf_fmt(upl_sbuf *b, const char *fmt, ...) UPL_PRINTF(2, 3);
void upl_sbuf_free(upl_sbuf *b);

/* The area-code prefix a read-back is limited to: the actor's scope, or the
 * requested `area` (NULL/"" = whole scope) when it lies inside the scope.
 * UPL_EMISUSE for a malformed prefix, UPL_EAUTH for one outside the scope. */
int upl_reg_area_prefix(const upl_registry *r, const char *area, const char **prefix, upl_error *err);

/* ---- review and correction (registry_review.c) -------------------------- */
/* A free-text note a person gives with a decision or an event: `required`
 * refuses an empty/blank one (UPL_EMISUSE naming `what`); at most 2000
 * bytes (UPL_ELIMIT); no run of 15 or more digits (UPL_EMISUSE), since notes
 * are stored and audited in clear and an ID or bank number must never be. */
int upl_reg_check_note(const char *note, bool required, const char *what, upl_error *err);
/* Record an authorization refusal in the audit log (auth.denied) in its own
 * transaction; best effort (ASVS 16.3.2), never changes `rc`'s meaning. */
void upl_reg_audit_denied(upl_registry *r, const char *object, const char *what);

#endif
