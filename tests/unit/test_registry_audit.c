/* test_registry_audit.c — batched audit appends (registry_audit.c) against
 * the one-at-a-time append they replace in the import: the same entries
 * appended both ways, inside one transaction each, must store the same rows
 * byte for byte (seq, at, actor, scope, action, object, before, after,
 * prev_hash, hash) and the same chain head; a single append in the middle
 * of a batch keeps its place; an allocation failure anywhere in a batch
 * leaves the log as it was once the caller rolls back; an empty flush sends
 * nothing. Entries carry the texts COPY must escape (backslash, tab,
 * newline, carriage return), Chinese, NULL and empty before/after, and
 * there are more than 64 of them (full and partial INSERT chunks on
 * SQLite) or more than UPL_AUDIT_BATCH_MAX (a flush inside _add). Every
 * test runs on SQLite and on PostgreSQL (UPL_TEST_PG_URI). */
#include <limits.h>
#include "test_registry_util.h"
#include "../../lib/registry/registry_int.h"

/* Entry i of a deterministic sequence exercising every kind of text. */
static void entry(int i, char *action, char *object, char *before, char *after, const char **bp, const char **ap) {
    static const char *const odd[] = { "back\\slash", "tab\there", "new\nline", "cr\rhere", "户主 因病致贫",
                                       "\\N", "" };
    snprintf(action, 32, "%s", i % 3 == 0 ? "household.update" : i % 3 == 1 ? "household.move" : "conflict.open");
    snprintf(object, 64, "household:H%06d:%d", i, 2019 + i % 3);
    snprintf(before, 128, "{\"income_net\":\"%d.%02d\",\"note\":\"%s\"}", 1000 + i, i % 100, odd[i % 7]);
    snprintf(after, 128, "{\"income_net\":\"%d\",\"x\":\"%s\"}", 2000 + i, odd[(i + 3) % 7]);
    /* before NULL, before "" (stored NULL like the unbatched 'z' binding), after "" */
    *bp = i % 5 == 0 ? NULL : i % 5 == 1 ? "" : before;
    *ap = i % 11 == 4 ? "" : after;
}

static int append_single(upl_registry *r, int i, upl_error *err) {
    char action[32], object[64], before[128], after[128];
    const char *bp, *ap;
    entry(i, action, object, before, after, &bp, &ap);
    return upl_reg_audit(r, action, object, bp, ap, err);
}

static int append_batched(upl_reg_audit_batch *b, int i, upl_error *err) {
    char action[32], object[64], before[128], after[128];
    const char *bp, *ap;
    entry(i, action, object, before, after, &bp, &ap);
    return upl_reg_audit_batch_add(b, action, object, bp, ap, err);
}

static void append_text(char **s, size_t *len, const char *v) {
    size_t n = v ? strlen(v) : 2;
    char *p = realloc(*s, *len + n + 2);
    ck_assert_ptr_nonnull(p);
    memcpy(p + *len, v ? v : "\\0", n);   /* NULL shown apart from "" */
    p[*len + n] = '|';
    *len += n + 1;
    p[*len] = 0;
    *s = p;
}

/* Every column of the rows with seq > since, then the chain head; with
 * `timeless`, without the time and the three hash columns (the head's seq
 * only). *n_at: how many distinct `at` values; first_at: the first. */
static char *dump_rows(upl_registry *r, int64_t since, bool timeless, int *n_at, char first_at[32]) {
    upl_db *db = r->db;
    upl_stmt *st = NULL;
    upl_error err = {0};
    char *s = NULL, last_at[32] = "";
    size_t len = 0;
    bool row = false;
    *n_at = 0;
    first_at[0] = 0;
    ck_assert_int_eq(db->vt->prepare(db, "SELECT seq, at, actor, scope, action, object, before_json, after_json,"
                                         " prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq", &st, &err), 0);
    ck_assert_int_eq(db->vt->bind_i64(st, 1, since), 0);
    ck_assert_int_eq(db->vt->step(st, &row, &err), 0);
    while (row) {
        for (int k = 0; k < 10; k++)
            if (!timeless || (k != 1 && k != 8 && k != 9)) append_text(&s, &len, db->vt->col_text(st, k, NULL));
        append_text(&s, &len, "\n");
        const char *at = db->vt->col_text(st, 1, NULL);
        if (strcmp(at, last_at)) { (*n_at)++; snprintf(last_at, sizeof last_at, "%s", at); }
        if (*n_at == 1) snprintf(first_at, 32, "%s", at);
        ck_assert_int_eq(db->vt->step(st, &row, &err), 0);
    }
    db->vt->finalize(st);
    char *head = NULL;
    ck_assert_int_eq(upl_db_query_text(db, "SELECT value FROM upl_meta WHERE key = 'audit_head'", &head, &err, ""), 0);
    if (head && timeless) *strchr(head, ':') = 0;
    append_text(&s, &len, head);
    upl_free(head);
    return s;
}

static int64_t n_rows(upl_registry *r) {
    int64_t n = 0;
    bool found = false;
    upl_error err = {0};
    ck_assert_int_eq(upl_db_query_i64(r->db, "SELECT COUNT(*) FROM audit_log", &n, &found, &err, ""), 0);
    return n;
}

static void verify(upl_registry *r, int64_t want_rows) {
    upl_audit_report rep;
    upl_error err = {0};
    int rc = upl_audit_verify(r, &rep, &err);
    ck_assert_msg(rc == UPL_OK, "verify: %s", upl_error_message(&err));
    ck_assert_int_eq((int64_t)rep.n_rows, want_rows);
}

/* The n entries batched (with a single append after entry `single_at` when
 * >= 0) in a transaction rolled back, then appended one by one and
 * committed. The rows must be the same but for `at` and the hashes, and
 * both chains verify; when every row of both runs carries the same second
 * the rows must be identical byte for byte (retried up to 5 times until the
 * clock allows that comparison, required when `exact`). */
static void same_both_ways(upl_registry *r, int n, int single_at, bool exact) {
    upl_error err = {0};
    int64_t since = n_rows(r), total = since + n + (single_at >= 0 ? 1 : 0);
    for (int attempt = 0; attempt < 5; attempt++) {
        int d1 = 0, d2 = 0, dd = 0;
        char at1[32], at2[32], atx[32];
        ck_assert_int_eq(r->db->vt->begin(r->db, &err), 0);
        upl_reg_audit_batch b;
        upl_reg_audit_batch_begin(r, &b);
        ck_assert_ptr_eq(r->audit_batch, &b);
        for (int i = 0; i < n; i++) {
            int rc = append_batched(&b, i, &err);
            ck_assert_msg(rc == UPL_OK, "batch add %d: %s", i, upl_error_message(&err));
            if (i == single_at) {
                rc = upl_reg_audit(r, "case.note", "case:7", NULL, "{\"note\":\"between\"}", &err);
                ck_assert_msg(rc == UPL_OK, "single: %s", upl_error_message(&err));
            }
        }
        int rc = upl_reg_audit_batch_flush(&b, &err);
        ck_assert_msg(rc == UPL_OK, "flush: %s", upl_error_message(&err));
        upl_reg_audit_batch_end(&b);
        ck_assert_ptr_null(r->audit_batch);
        char *batched = dump_rows(r, since, false, &d1, at1);
        char *batched_tl = dump_rows(r, since, true, &dd, atx);
        verify(r, total);
        r->db->vt->rollback(r->db);
        ck_assert_int_eq(n_rows(r), since);
        ck_assert_int_eq(r->db->vt->begin(r->db, &err), 0);
        for (int i = 0; i < n; i++) {
            ck_assert_int_eq(append_single(r, i, &err), 0);
            if (i == single_at)
                ck_assert_int_eq(upl_reg_audit(r, "case.note", "case:7", NULL, "{\"note\":\"between\"}", &err), 0);
        }
        char *single = dump_rows(r, since, false, &d2, at2);
        char *single_tl = dump_rows(r, since, true, &dd, atx);
        ck_assert_str_eq(batched_tl, single_tl);
        bool same_second = d1 == 1 && d2 == 1 && !strcmp(at1, at2);
        if (same_second) ck_assert_str_eq(batched, single);
        free(batched); free(single); free(batched_tl); free(single_tl);
        if (!same_second && exact && attempt < 4) { r->db->vt->rollback(r->db); continue; }
        ck_assert_msg(same_second || !exact, "the clock ticked in every attempt");
        ck_assert_int_eq(r->db->vt->commit(r->db, &err), 0);
        ck_assert_int_eq(n_rows(r), total);
        verify(r, total);
        return;
    }
}

START_TEST(test_batch_equals_singles) {
    int backend = _i;
    if (!reg_backend_available(backend, "batch_equals_singles")) return;
    upl_registry *r = reg_open_fresh(backend, "aud_same", NULL, NULL);
    ck_assert_int_eq(n_rows(r), 0);
    same_both_ways(r, 1, -1, true);      /* empty log: no head yet (head INSERTed) */
    same_both_ways(r, 150, -1, true);    /* 2 full 64-row INSERTs and a 22-row tail; head UPDATEd */
    same_both_ways(r, 70, 40, true);     /* a single append in the middle keeps its place */
    /* a flush inside _add; too slow one by one for a single second */
    same_both_ways(r, UPL_AUDIT_BATCH_MAX + 3, -1, false);
    upl_registry_close(r);
}
END_TEST

/* Injected allocation failures at every point of a 100-entry batch (its
 * adds and its flush): the call fails with UPL_ENOMEM, the caller rolls
 * back, and the log is as before — same rows, same head, chain intact —
 * and accepts a following batch. */
START_TEST(test_alloc_failure_leaves_nothing) {
    int backend = _i;
    if (!reg_backend_available(backend, "alloc_failure_leaves_nothing")) return;
    upl_registry *r = reg_open_fresh(backend, "aud_oom", NULL, NULL);
    upl_error err = {0};
    ck_assert_int_eq(upl_audit_append(r, "test.start", "x", NULL, "{}", &err), 0);
    int d = 0;
    char at[32];
    char *before = dump_rows(r, 0, false, &d, at);
    long injected = 0;
    for (long k = 1; k < 100000; k++) {
        ck_assert_int_eq(r->db->vt->begin(r->db, &err), 0);
        upl_reg_audit_batch b;
        upl_reg_audit_batch_begin(r, &b);
        upl_alloc_fail_after(k, false);
        int rc = UPL_OK;
        for (int i = 0; i < 100 && rc == UPL_OK; i++) rc = append_batched(&b, i, &err);
        if (rc == UPL_OK) rc = upl_reg_audit_batch_flush(&b, &err);
        bool failed = upl_alloc_failed();
        upl_alloc_fail_after(0, false);
        upl_reg_audit_batch_end(&b);
        r->db->vt->rollback(r->db);
        if (!failed) { ck_assert_int_eq(rc, UPL_OK); break; }
        injected++;
        ck_assert_msg(rc != UPL_OK, "allocation %ld failed but the batch reported success", k);
        upl_error_clear(&err);
        char *now = dump_rows(r, 0, false, &d, at);
        ck_assert_str_eq(now, before);
        free(now);
    }
    ck_assert_int_gt(injected, 100);   /* at least one per entry */
    free(before);
    verify(r, 1);
    same_both_ways(r, 30, -1, true);
    upl_registry_close(r);
}
END_TEST

/* An empty flush: no statement (outside a transaction, where PostgreSQL
 * would refuse the LOCK), no allocation, log and head unchanged; also after
 * a flush that wrote rows. */
START_TEST(test_empty_flush_is_noop) {
    int backend = _i;
    if (!reg_backend_available(backend, "empty_flush_is_noop")) return;
    upl_registry *r = reg_open_fresh(backend, "aud_empty", NULL, NULL);
    upl_error err = {0};
    ck_assert_int_eq(upl_audit_append(r, "test.start", "x", NULL, "{}", &err), 0);
    int d = 0;
    char at[32];
    char *before = dump_rows(r, 0, false, &d, at);
    upl_reg_audit_batch b;
    upl_reg_audit_batch_begin(r, &b);
    upl_alloc_fail_after(LONG_MAX, false);   /* counts without failing */
    ck_assert_int_eq(upl_reg_audit_batch_flush(&b, &err), UPL_OK);
    ck_assert_int_eq(upl_alloc_count(), 0);
    upl_alloc_fail_after(0, false);
    upl_reg_audit_batch_end(&b);
    char *after = dump_rows(r, 0, false, &d, at);
    ck_assert_str_eq(after, before);
    free(after);
    /* a flush with rows, then an empty one */
    ck_assert_int_eq(r->db->vt->begin(r->db, &err), 0);
    upl_reg_audit_batch_begin(r, &b);
    ck_assert_int_eq(append_batched(&b, 3, &err), 0);
    ck_assert_int_eq(upl_reg_audit_batch_flush(&b, &err), 0);
    char *once = dump_rows(r, 0, false, &d, at);
    ck_assert_int_eq(upl_reg_audit_batch_flush(&b, &err), 0);
    char *twice = dump_rows(r, 0, false, &d, at);
    ck_assert_str_eq(twice, once);
    upl_reg_audit_batch_end(&b);
    ck_assert_int_eq(r->db->vt->commit(r->db, &err), 0);
    verify(r, 2);
    free(before); free(once); free(twice);
    upl_registry_close(r);
}
END_TEST

Suite *suite_registry_audit(void) {
    Suite *s = suite_create("registry_audit");
    TCase *tc = tcase_create("batch");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_batch_equals_singles, 0, 2);
    tcase_add_loop_test(tc, test_alloc_failure_leaves_nothing, 0, 2);
    tcase_add_loop_test(tc, test_empty_flush_is_noop, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
