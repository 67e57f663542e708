/* registry_audit.c — the append-only, hash-chained audit log.
 *
 * Row n stores hash_n = BLAKE2b-256 keyed with the audit subkey over
 * (hash_{n-1}, seq, at, actor, scope, action, object, before, after), each
 * field length-prefixed so no two rows serialise alike. The chain starts
 * from 64 zeros. The last (seq, hash) is also kept in upl_meta.audit_head.
 * Verification recomputes every hash: an edited row breaks its own hash, a
 * deleted row leaves a gap in seq or breaks the next row's prev_hash, a
 * deleted tail disagrees with audit_head. The key is outside the database,
 * so someone who can write the file cannot forge a consistent chain. (A
 * holder of both the file and the key can; anchor the head off-box with
 * `uplift audit verify` output for that.)
 *
 * Entries never carry full ID numbers: callers pass masked values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "registry_int.h"

static const char zero_hash[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void feed(crypto_generichash_state *s, const char *v) {
    uint64_t n = v ? (uint64_t)strlen(v) : UINT64_MAX;
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(n >> (8 * i));
    crypto_generichash_update(s, len, 8);
    if (v) crypto_generichash_update(s, (const unsigned char *)v, strlen(v));
}

static void row_hash(const upl_registry *r, const char *prev, int64_t seq, const char *at,
                     const char *actor, const char *scope, const char *action, const char *object,
                     const char *before, const char *after, char out[65]) {
    crypto_generichash_state s;
    char seqs[32];
    unsigned char h[32];
    snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
    crypto_generichash_init(&s, r->key_audit, sizeof r->key_audit, sizeof h);
    feed(&s, prev); feed(&s, seqs); feed(&s, at); feed(&s, actor); feed(&s, scope);
    feed(&s, action); feed(&s, object); feed(&s, before); feed(&s, after);
    crypto_generichash_final(&s, h, sizeof h);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* Lock the chain and read its head: *seq and prev are the last row's (0 and
 * zeros for an empty log), *had_head whether upl_meta holds a head yet. */
static int read_head(upl_registry *r, int64_t *seq, char prev[65], bool *had_head, upl_error *err) {
    int rc;
    char *head = NULL;
    /* Writers queue on this lock in PostgreSQL so seq numbers cannot race;
     * SQLite's BEGIN IMMEDIATE already serialises writers. */
    if (!strcmp(r->db->vt->name, "postgresql"))
        UPL_TRY(r->db->vt->exec(r->db, "LOCK TABLE audit_log IN EXCLUSIVE MODE", err));
    UPL_TRY(upl_db_query_text(r->db, "SELECT value FROM upl_meta WHERE key = 'audit_head'", &head, err, ""));
    *seq = 0;
    *had_head = head != NULL;
    if (head) {
        char *colon = strchr(head, ':');
        UPL_FAIL_IF(!colon || strlen(colon + 1) != 64, err, UPL_ECORRUPT, "audit head is damaged");
        *seq = strtoll(head, NULL, 10);
        memcpy(prev, colon + 1, 65);
    } else {
        memcpy(prev, zero_hash, 65);
    }
    rc = UPL_OK;
fail:
    upl_free(head);
    return rc;
}

static int write_head(upl_registry *r, bool had_head, int64_t seq, const char *hash, upl_error *err) {
    char val[96];
    snprintf(val, sizeof val, "%lld:%s", (long long)seq, hash);
    if (had_head) return upl_db_run(r->db, "UPDATE upl_meta SET value = ? WHERE key = 'audit_head'", err, "s", val);
    return upl_db_run(r->db, "INSERT INTO upl_meta (key, value) VALUES ('audit_head', ?)", err, "s", val);
}

/* The values a row stores, and so the values its hash covers (verify
 * hashes what it reads back): object NULL is stored as "", before/after
 * "" as NULL. Hashing the values as passed made such a row fail `verify`. */
#define STORED_OBJECT(o) ((o) ? (o) : "")
#define STORED_JSON(j) ((j) && *(j) ? (j) : NULL)

int upl_reg_audit(upl_registry *r, const char *action, const char *object, const char *before,
                  const char *after, upl_error *err) {
    int rc;
    object = STORED_OBJECT(object);
    before = STORED_JSON(before);
    after = STORED_JSON(after);
    char prev[65], hash[65], now[32];
    int64_t seq = 0;
    bool had_head = false;
    /* Entries batched before this one come first in the chain. */
    if (r->audit_batch) UPL_TRY(upl_reg_audit_batch_flush(r->audit_batch, err));
    upl_reg_now(now);
    UPL_TRY(read_head(r, &seq, prev, &had_head, err));
    seq++;
    row_hash(r, prev, seq, now, r->actor, r->scope, action, object, before, after, hash);
    UPL_TRY(upl_db_run(r->db,
        "INSERT INTO audit_log (seq, at, actor, scope, action, object, before_json, after_json,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err, "isssszzzss",
        seq, now, r->actor, r->scope, action, object, before, after, prev, hash));
    UPL_TRY(write_head(r, had_head, seq, hash, err));
    rc = UPL_OK;
fail:
    return rc;
}

/* ---- batched appends ---------------------------------------------------------
 * An entry is one allocation: the fixed fields, then action, object, before
 * and after as NUL-terminated texts, exactly what upl_reg_audit stores. */
struct upl_reg_audit_entry {
    int64_t seq;
    char at[32], prev[65], hash[65];
    const char *action, *object, *before, *after;
    char text[];
};

/* Rows per INSERT where there is no COPY: 640 parameters, under every
 * SQLite's limit (999 before 3.32). */
#define AUDIT_INSERT_ROWS 64
static const char audit_cols[] =
    "audit_log (seq, at, actor, scope, action, object, before_json, after_json, prev_hash, hash)";

void upl_reg_audit_batch_begin(upl_registry *r, upl_reg_audit_batch *b) {
    memset(b, 0, sizeof *b);
    b->r = r;
    r->audit_batch = b;
}

static void drop_entries(upl_reg_audit_batch *b) {
    for (size_t i = 0; i < b->n; i++) upl_free(b->e[i]);
    b->n = 0;
    b->open = false;
}

void upl_reg_audit_batch_end(upl_reg_audit_batch *b) {
    if (!b->r) return;
    drop_entries(b);
    upl_free(b->e);
    if (b->ins) b->r->db->vt->finalize(b->ins);
    if (b->r->audit_batch == b) b->r->audit_batch = NULL;
    memset(b, 0, sizeof *b);
}

static char *put(char **p, const char *s) {
    char *at = *p;
    size_t n = strlen(s) + 1;
    memcpy(at, s, n);
    *p += n;
    return at;
}

int upl_reg_audit_batch_add(upl_reg_audit_batch *b, const char *action, const char *object, const char *before,
                            const char *after, upl_error *err) {
    int rc;
    upl_registry *r = b->r;
    upl_reg_audit_entry *e = NULL;
    const char *obj = STORED_OBJECT(object), *bef = STORED_JSON(before), *aft = STORED_JSON(after);
    if (!b->open) {
        UPL_TRY(read_head(r, &b->seq, b->prev, &b->had_head, err));
        b->open = true;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        upl_reg_audit_entry **g = upl_realloc(b->e, cap * sizeof *g);
        UPL_FAIL_IF(!g, err, UPL_ENOMEM, "out of memory");
        b->e = g;
        b->cap = cap;
    }
    size_t need = strlen(action) + 1 + strlen(obj) + 1 + (bef ? strlen(bef) + 1 : 0) + (aft ? strlen(aft) + 1 : 0);
    e = upl_malloc(sizeof *e + need);
    UPL_FAIL_IF(!e, err, UPL_ENOMEM, "out of memory");
    /* The same `at` as an unbatched append: the time of this call. */
    upl_reg_now(e->at);
    e->seq = b->seq + 1;
    memcpy(e->prev, b->prev, 65);
    row_hash(r, e->prev, e->seq, e->at, r->actor, r->scope, action, obj, bef, aft, e->hash);
    char *p = e->text;
    e->action = put(&p, action);
    e->object = put(&p, obj);
    e->before = bef ? put(&p, bef) : NULL;
    e->after = aft ? put(&p, aft) : NULL;
    b->e[b->n++] = e;
    e = NULL;
    b->seq++;
    memcpy(b->prev, b->e[b->n - 1]->hash, 65);
    if (b->n >= UPL_AUDIT_BATCH_MAX) UPL_TRY(upl_reg_audit_batch_flush(b, err));
    rc = UPL_OK;
fail:
    upl_free(e);
    return rc;
}

/* COPY text format: backslash, tab, newline and carriage return escaped;
 * NULL is \N. */
static void copy_field(upl_sbuf *o, const char *s, bool last) {
    if (!s) {
        upl_sbuf_add(o, "\\N", 2);
    } else {
        const char *run = s;
        for (; *s; s++) {
            const char *esc = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;
            if (!esc) continue;
            upl_sbuf_add(o, run, (size_t)(s - run));
            upl_sbuf_add(o, esc, 2);
            run = s + 1;
        }
        upl_sbuf_add(o, run, (size_t)(s - run));
    }
    upl_sbuf_add(o, last ? "\n" : "\t", 1);
}

static int flush_copy(upl_reg_audit_batch *b, upl_error *err) {
    int rc;
    upl_registry *r = b->r;
    upl_sbuf o = {0};
    char *sql = upl_asprintf("COPY %s FROM STDIN", audit_cols);
    UPL_FAIL_IF(!sql, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < b->n; i++) {
        const upl_reg_audit_entry *e = b->e[i];
        char seq[32];
        snprintf(seq, sizeof seq, "%lld", (long long)e->seq);
        const char *f[10] = { seq, e->at, r->actor, r->scope, e->action, e->object, e->before, e->after,
                              e->prev, e->hash };
        for (int k = 0; k < 10; k++) copy_field(&o, f[k], k == 9);
    }
    UPL_FAIL_IF(o.failed, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(r->db->vt->copy_in(r->db, sql, o.s, o.len, err));
    rc = UPL_OK;
fail:
    upl_free(sql);
    upl_sbuf_free(&o);
    return rc;
}

/* A k-row INSERT statement. */
static int prepare_insert(upl_db *db, size_t k, upl_stmt **out, upl_error *err) {
    int rc;
    upl_sbuf q = {0};
    upl_sbuf_fmt(&q, "INSERT INTO %s VALUES ", audit_cols);
    for (size_t i = 0; i < k; i++) upl_sbuf_str(&q, i ? ",(?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?)");
    UPL_FAIL_IF(q.failed, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(db->vt->prepare(db, q.s, out, err));
fail:
    upl_sbuf_free(&q);
    return rc;
}

static int flush_insert(upl_reg_audit_batch *b, upl_error *err) {
    int rc = UPL_OK;
    upl_registry *r = b->r;
    upl_db *db = r->db;
    const upl_db_vt *vt = db->vt;
    int (*bind)(upl_stmt *, int, const char *, size_t) = vt->bind_text_ref ? vt->bind_text_ref : vt->bind_text;
    upl_stmt *tail = NULL;
    for (size_t i = 0; i < b->n; i += AUDIT_INSERT_ROWS) {
        size_t k = b->n - i < AUDIT_INSERT_ROWS ? b->n - i : AUDIT_INSERT_ROWS;
        upl_stmt *st;
        if (k == AUDIT_INSERT_ROWS) {
            if (!b->ins) UPL_TRY(prepare_insert(db, k, &b->ins, err));
            st = b->ins;
        } else {
            UPL_TRY(prepare_insert(db, k, &tail, err));
            st = tail;
        }
        vt->reset(st);
        int p = 1, brc = 0;
        for (size_t j = i; j < i + k && !brc; j++) {
            const upl_reg_audit_entry *e = b->e[j];
            const char *f[9] = { e->at, r->actor, r->scope, e->action, e->object, e->before, e->after, e->prev,
                                 e->hash };
            brc = vt->bind_i64(st, p++, e->seq);
            for (int q = 0; q < 9 && !brc; q++)
                brc = f[q] ? bind(st, p++, f[q], (size_t)-1) : vt->bind_null(st, p++);
        }
        UPL_FAIL_IF(brc, err, UPL_ENOMEM, "out of memory");
        bool row = false;
        rc = vt->step(st, &row, err);
        vt->reset(st);
        UPL_TRY(rc);
    }
fail:
    if (tail) vt->finalize(tail);
    return rc;
}

int upl_reg_audit_batch_flush(upl_reg_audit_batch *b, upl_error *err) {
    int rc;
    upl_registry *r = b->r;
    if (!r || !b->n) return UPL_OK;   /* nothing waiting: no statement at all */
    if (r->db->vt->copy_in) UPL_TRY(flush_copy(b, err));
    else UPL_TRY(flush_insert(b, err));
    UPL_TRY(write_head(r, b->had_head, b->seq, b->prev, err));
    /* The next entry reads the head again: an unbatched append may come
     * between (it would be written after these, seq read from the table). */
    drop_entries(b);
    rc = UPL_OK;
fail:
    return rc;
}

int upl_audit_append(upl_registry *r, const char *action, const char *object, const char *before,
                     const char *after, upl_error *err) {
    int rc;
    UPL_FAIL_IF(!action || !*action, err, UPL_EMISUSE, "audit entry needs an action");
    UPL_TRY(r->db->vt->begin(r->db, err));
    rc = upl_reg_audit(r, action, object, before, after, err);
    if (rc == UPL_OK) rc = r->db->vt->commit(r->db, err);
    if (rc != UPL_OK) r->db->vt->rollback(r->db);
fail:
    return rc;
}

static const char *col(upl_db *db, upl_stmt *st, int i) {
    return db->vt->col_text(st, i, NULL);
}

int upl_audit_verify(upl_registry *r, upl_audit_report *rep, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    char *head = NULL;
    char prev[65], hash[65];
    int64_t expect = 1;
    bool row = false;
    upl_db *db = r->db;
    memset(rep, 0, sizeof *rep);
    memcpy(prev, zero_hash, 65);
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_REVIEWER, "verify the audit log", err));
    UPL_TRY(db->vt->prepare(db, "SELECT seq, at, actor, scope, action, object, before_json, after_json,"
                                " prev_hash, hash FROM audit_log ORDER BY seq", &st, err));
    UPL_TRY(db->vt->step(st, &row, err));
    while (row) {
        int64_t seq = db->vt->col_i64(st, 0);
        const char *stored_prev = col(db, st, 8), *stored = col(db, st, 9);
        if (seq != expect) {
            rep->first_bad_seq = expect;
            rc = upl_error_set(err, UPL_ECORRUPT, "audit log: row %lld is missing (next row is %lld): "
                               "rows were deleted", (long long)expect, (long long)seq);
            goto fail;
        }
        const char *obj = col(db, st, 5);
        row_hash(r, prev, seq, col(db, st, 1), col(db, st, 2), col(db, st, 3), col(db, st, 4),
                 obj ? obj : "", col(db, st, 6), col(db, st, 7), hash);
        if (!stored_prev || strcmp(stored_prev, prev) != 0 || !stored || strcmp(stored, hash) != 0) {
            rep->first_bad_seq = seq;
            rc = upl_error_set(err, UPL_ECORRUPT, "audit log: row %lld does not match its hash: "
                               "it or an earlier row was changed", (long long)seq);
            goto fail;
        }
        memcpy(prev, hash, 65);
        rep->n_rows++;
        expect++;
        UPL_TRY(db->vt->step(st, &row, err));
    }
    memcpy(rep->head_hash, prev, 65);
    UPL_TRY(upl_db_query_text(db, "SELECT value FROM upl_meta WHERE key = 'audit_head'", &head, err, ""));
    if (head || rep->n_rows) {
        char want[96];
        snprintf(want, sizeof want, "%lld:%s", (long long)rep->n_rows, prev);
        if (!head || strcmp(head, want) != 0) {
            rep->first_bad_seq = (int64_t)rep->n_rows + 1;
            rc = upl_error_set(err, UPL_ECORRUPT, "audit log: the recorded head (%s) is not the last "
                               "row (%lld): rows at the end were deleted",
                               head ? head : "none", (long long)rep->n_rows);
            goto fail;
        }
    }
    rc = UPL_OK;
fail:
    if (st) db->vt->finalize(st);
    upl_free(head);
    return rc;
}

int upl_audit_list(upl_registry *r, int64_t since_seq, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    *out = NULL;
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_REVIEWER, "read the audit log", err));
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT seq, at, actor, scope, action, object, before_json AS before,"
                                      " after_json AS after, hash FROM audit_log WHERE seq > ?"
                                      " AND scope LIKE ? ORDER BY seq", &st, err));
    char *like = upl_asprintf("%s%%", r->scope);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_i64(st, 1, since_seq);
    if (!rc) rc = r->db->vt->bind_text(st, 2, like, (size_t)-1);
    upl_free(like);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    UPL_TRY(upl_db_to_table(r->db, st, "seq", out, err));
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}
