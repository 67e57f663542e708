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

int upl_reg_audit(upl_registry *r, const char *action, const char *object, const char *before,
                  const char *after, upl_error *err) {
    int rc;
    char *head = NULL;
    char prev[65], hash[65], now[32];
    int64_t seq = 0;
    upl_reg_now(now);
    /* Writers queue on this lock in PostgreSQL so seq numbers cannot race;
     * SQLite's BEGIN IMMEDIATE already serialises writers. */
    if (!strcmp(r->db->vt->name, "postgresql"))
        UPL_TRY(r->db->vt->exec(r->db, "LOCK TABLE audit_log IN EXCLUSIVE MODE", err));
    UPL_TRY(upl_db_query_text(r->db, "SELECT value FROM upl_meta WHERE key = 'audit_head'", &head, err, ""));
    if (head) {
        char *colon = strchr(head, ':');
        UPL_FAIL_IF(!colon || strlen(colon + 1) != 64, err, UPL_ECORRUPT, "audit head is damaged");
        seq = strtoll(head, NULL, 10);
        memcpy(prev, colon + 1, 65);
    } else {
        memcpy(prev, zero_hash, 65);
    }
    seq++;
    row_hash(r, prev, seq, now, r->actor, r->scope, action, object, before, after, hash);
    UPL_TRY(upl_db_run(r->db,
        "INSERT INTO audit_log (seq, at, actor, scope, action, object, before_json, after_json,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err, "isssszzzss",
        seq, now, r->actor, r->scope, action, object ? object : "", before, after, prev, hash));
    char val[96];
    snprintf(val, sizeof val, "%lld:%s", (long long)seq, hash);
    if (head) UPL_TRY(upl_db_run(r->db, "UPDATE upl_meta SET value = ? WHERE key = 'audit_head'", err, "s", val));
    else UPL_TRY(upl_db_run(r->db, "INSERT INTO upl_meta (key, value) VALUES ('audit_head', ?)", err, "s", val));
    rc = UPL_OK;
fail:
    upl_free(head);
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
