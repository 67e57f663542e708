/* test_registry_review.c — review and correction in the registry: conflict
 * decisions, quarantine list/show/sweep/close, events, and migration 2 on a
 * schema-1 registry. Every database test runs on SQLite and, when
 * UPL_TEST_PG_URI is set, on PostgreSQL (skipped with a visible message
 * otherwise). Expected values are written out by hand from the fixtures:
 * tests/data/registry/county_2023.csv (H001 and H008 share 张伟,
 * 110105195003150019, in villages 110105001001 and 110105002001) and a small
 * export built here with a size mismatch, a bad check character and two heads. */
#include <check.h>
#include <sqlite3.h>
#include <pthread.h>
#include <time.h>
#include "test_registry_util.h"

#define PW "correct horse battery"

static char *copy_fixture(const char *name) {
    char *src = unit_data_path(name);
    size_t n;
    char *data = unit_read_file(src, &n);
    ck_assert_ptr_nonnull(data);
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    char dst_name[128];
    static int k = 0;
    snprintf(dst_name, sizeof dst_name, "review_%d_%s", ++k, base);
    char *dst = unit_tmp_path(dst_name);
    ck_assert_int_eq(unit_write_file(dst, data, n), 0);
    free(data);
    free(src);
    return dst;
}

static char *write_tmp(const char *name, const char *text) {
    char file[128];
    static int k = 0;
    snprintf(file, sizeof file, "review_%ld_%d_%s", (long)getpid(), ++k, name);
    char *p = unit_tmp_path(file);
    ck_assert_int_eq(unit_write_file(p, text, strlen(text)), 0);
    return p;
}

static void as_user(upl_registry *r, const char *user) {
    upl_error err = {0};
    int rc = user ? upl_registry_login(r, user, PW, &err) : upl_registry_act_local(r, "test", &err);
    ck_assert_msg(rc == UPL_OK, "login %s: %s", user ? user : "local", upl_error_message(&err));
    upl_error_clear(&err);
}

static void add_account(upl_registry *r, const char *user, int role, const char *scope) {
    upl_error err = {0};
    int rc = upl_account_add(r, user, PW, role, scope, &err);
    ck_assert_msg(rc == UPL_OK, "account %s: %s", user, upl_error_message(&err));
}

/* Cell as a NUL-terminated copy ("<null>" for a null cell). */
static char *cell(const upl_table *t, const char *name, size_t row) {
    upl_column *c = upl_table_find(t, name);
    ck_assert_msg(c != NULL, "no column %s", name);
    ck_assert_uint_lt(row, upl_table_n_rows(t));
    if (!upl_col_is_valid(c, row)) return strdup("<null>");
    char *buf = NULL;
    size_t cap = 0, len = 0;
    upl_col_format(c, row, &buf, &cap, &len);
    char *s = strndup(buf ? buf : "", len);
    upl_free(buf);
    return s;
}

#define ck_cell(t, name, row, want) do { \
        char *got_ = cell((t), (name), (row)); \
        ck_assert_msg(strcmp(got_, (want)) == 0, "%s[%zu] = `%s`, expected `%s`", (name), (size_t)(row), got_, (want)); \
        free(got_); \
    } while (0)

static int64_t cell_i64(const upl_table *t, const char *name, size_t row) {
    upl_column *c = upl_table_find(t, name);
    ck_assert_msg(c != NULL && c->type == UPL_I64, "no i64 column %s", name);
    ck_assert(upl_col_is_valid(c, row));
    return c->v.i64[row];
}

/* The row of t whose column `name` equals `want`, or -1. */
static long find_row(const upl_table *t, const char *name, const char *want) {
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        char *v = cell(t, name, i);
        bool eq = !strcmp(v, want);
        free(v);
        if (eq) return (long)i;
    }
    return -1;
}

static upl_table *conflicts(upl_registry *r, const char *status) {
    upl_conflict_filter f = { status, NULL, NULL, 0 };
    upl_table *t = NULL;
    upl_error err = {0};
    int rc = upl_conflict_list(r, &f, &t, &err);
    ck_assert_msg(rc == UPL_OK, "conflict list: %s", upl_error_message(&err));
    return t;
}

static upl_table *audit_rows(upl_registry *r) {
    upl_table *t = NULL;
    upl_error err = {0};
    int rc = upl_audit_list(r, 0, &t, &err);
    ck_assert_msg(rc == UPL_OK, "audit list: %s", upl_error_message(&err));
    return t;
}

/* The last audit row with this action (as the local operator), or -1. */
static long last_action(const upl_table *t, const char *action) {
    long hit = -1;
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        char *v = cell(t, "action", i);
        if (!strcmp(v, action)) hit = (long)i;
        free(v);
    }
    return hit;
}

static void audit_verifies(upl_registry *r) {
    upl_audit_report rep;
    upl_error err = {0};
    int rc = upl_audit_verify(r, &rep, &err);
    ck_assert_msg(rc == UPL_OK, "audit verify: %s", upl_error_message(&err));
}

static void now_iso(char out[32]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- conflicts ---------------------------------------------------------------------- */
START_TEST(test_conflict_resolve) {
    int be = _i;
    if (!reg_backend_available(be, "conflict_resolve")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "rvc", &uri, &key);
    upl_error err = {0};
    char *csv = copy_fixture("registry/county_2023.csv");
    upl_import_summary s = reg_import_ok(r, csv, 0);
    ck_assert_uint_eq(s.conflicts, 1);
    add_account(r, "clerk_v1", UPL_ROLE_CLERK, "110105001001");     /* village of H001 */
    add_account(r, "rev_other", UPL_ROLE_REVIEWER, "110105003001"); /* a third village */
    add_account(r, "rev_town", UPL_ROLE_REVIEWER, "110105001");     /* township of H001 only */
    add_account(r, "rev_county", UPL_ROLE_REVIEWER, "110105");      /* covers both */

    upl_table *t = conflicts(r, NULL);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    int64_t id = cell_i64(t, "id", 0);
    ck_cell(t, "status", 0, "open");
    ck_cell(t, "decision", 0, "<null>");
    ck_cell(t, "follow_up", 0, "");
    upl_table_free(t);
    /* Filters: kind and status. */
    upl_conflict_filter f = { NULL, "same_person_two_households", NULL, 0 };
    ck_assert_int_eq(upl_conflict_list(r, &f, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 0);
    upl_table_free(t);
    f.kind = "no_such_kind";
    ck_assert_int_eq(upl_conflict_list(r, &f, &t, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    t = conflicts(r, "resolved");
    ck_assert_uint_eq(upl_table_n_rows(t), 0);
    upl_table_free(t);
    upl_table *au = audit_rows(r);
    size_t n_audit0 = upl_table_n_rows(au);
    upl_table_free(au);

    /* A clerk may not decide (role), even in H001's own village: refused, audited, nothing else changes. */
    as_user(r, "clerk_v1");
    ck_assert_int_eq(upl_conflict_resolve(r, id, "moved", "H008", "moved to H008", &err), UPL_EAUTH);
    ck_assert_msg(strstr(upl_error_message(&err), "reviewer") != NULL, "%s", upl_error_message(&err));
    upl_error_clear(&err);
    /* A reviewer of another village does not see it at all. */
    as_user(r, "rev_other");
    t = conflicts(r, NULL);
    ck_assert_uint_eq(upl_table_n_rows(t), 0);
    upl_table_free(t);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "moved", "H008", "moved to H008", &err), UPL_ENOTFOUND);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_conflict_show(r, id, &t, NULL, NULL, &err), UPL_ENOTFOUND);
    upl_error_clear(&err);
    /* The township reviewer sees it but covers one side only: no final decision. */
    as_user(r, "rev_town");
    ck_assert_int_eq(upl_conflict_resolve(r, id, "moved", "H008", "moved to H008", &err), UPL_EAUTH);
    ck_assert_msg(strstr(upl_error_message(&err), "escalated") != NULL, "%s", upl_error_message(&err));
    upl_error_clear(&err);
    as_user(r, NULL);
    t = conflicts(r, NULL);
    ck_cell(t, "status", 0, "open");
    ck_cell(t, "resolved_by", 0, "<null>");
    upl_table_free(t);
    ck_assert_int_eq(upl_conflict_show(r, id, NULL, NULL, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 0);                    /* no decision recorded */
    upl_table_free(t);
    /* Audit since: 3 logins and 2 refusals (clerk by role, rev_town by scope); rev_other's
     * ENOTFOUND discloses nothing and changes nothing. */
    au = audit_rows(r);
    ck_assert_uint_eq(upl_table_n_rows(au), n_audit0 + 5);
    int denied = 0;
    for (size_t i = n_audit0; i < upl_table_n_rows(au); i++) {
        char *a = cell(au, "action", i);
        if (!strcmp(a, "auth.denied")) denied++;
        free(a);
    }
    ck_assert_int_eq(denied, 2);
    long d = last_action(au, "auth.denied");
    ck_cell(au, "actor", (size_t)d, "rev_town");
    ck_cell(au, "object", (size_t)d, "conflict:H001:H008");
    upl_table_free(au);

    /* rev_town escalates; a second escalation is refused. */
    as_user(r, "rev_town");
    ck_assert_int_eq(upl_conflict_resolve(r, id, "escalated", "H001", "two villages", &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "escalated", NULL, "   ", &err), UPL_EMISUSE);   /* blank note */
    upl_error_clear(&err);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "escalated", NULL, "张伟 also listed in 110105002001 / 跨村", &err),
                     UPL_OK);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "escalated", NULL, "again", &err), UPL_EEXISTS);
    upl_error_clear(&err);
    t = conflicts(r, "escalated");
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    upl_table_free(t);

    /* The county reviewer decides: bad inputs first, nothing recorded by them. */
    as_user(r, "rev_county");
    ck_assert_int_eq(upl_conflict_resolve(r, id, "merge", "H008", "x", &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "moved", NULL, "x", &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "moved", "H002", "x", &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "moved", "H008", NULL, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "moved", "H008", "ID 110105195003150019 moved", &err), UPL_EMISUSE);
    ck_assert_msg(strstr(upl_error_message(&err), "18 digits") != NULL, "%s", upl_error_message(&err));
    upl_error_clear(&err);
    char t0[32], t1[32];
    now_iso(t0);
    const char *note = "户口迁入H008 (head moved in with his son) \"checked\" by visit";
    ck_assert_int_eq(upl_conflict_resolve(r, id, "moved", "H008", note, &err), UPL_OK);
    now_iso(t1);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "data_entry_error", "H001", "second thoughts", &err), UPL_EEXISTS);
    upl_error_clear(&err);

    /* The decision's fields. */
    t = conflicts(r, NULL);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    ck_cell(t, "status", 0, "resolved");
    ck_cell(t, "decision", 0, "moved");
    ck_cell(t, "decision_household", 0, "H008");
    ck_cell(t, "resolved_by", 0, "rev_county");
    ck_cell(t, "follow_up", 0, "pending");       /* H001's 2023 wave still lists 张伟 */
    char *at = cell(t, "resolved_at", 0);
    ck_assert_int_eq((int)strlen(at), 20);
    ck_assert_msg(strcmp(at, t0) >= 0 && strcmp(at, t1) <= 0, "resolved_at %s not in [%s, %s]", at, t0, t1);
    free(at);
    upl_table_free(t);
    upl_table *hist = NULL, *mem = NULL, *one = NULL;
    ck_assert_int_eq(upl_conflict_show(r, id, &one, &mem, &hist, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(one), 1);
    ck_cell(one, "id_masked", 0, "110105********0019");
    ck_assert_uint_eq(upl_table_n_rows(hist), 2);
    ck_cell(hist, "decision", 0, "escalated");
    ck_cell(hist, "actor", 0, "rev_town");
    ck_cell(hist, "household", 0, "<null>");
    ck_cell(hist, "decision", 1, "moved");
    ck_cell(hist, "actor", 1, "rev_county");
    ck_cell(hist, "household", 1, "H008");
    ck_cell(hist, "note", 1, note);
    /* Members: H001's three (张伟 involved) and H008's one. */
    ck_assert_uint_eq(upl_table_n_rows(mem), 4);
    long p1 = find_row(mem, "person_code", "P00101"), p8 = find_row(mem, "person_code", "P00801");
    ck_assert(p1 >= 0 && p8 >= 0);
    ck_cell(mem, "side", (size_t)p1, "A");
    ck_cell(mem, "side", (size_t)p8, "B");
    ck_assert_int_eq(cell_i64(mem, "involved", (size_t)p1), 1);
    ck_assert_int_eq(cell_i64(mem, "in_latest_wave", (size_t)p1), 1);
    ck_assert_int_eq(cell_i64(mem, "involved", (size_t)find_row(mem, "person_code", "P00102")), 0);
    ck_cell(mem, "id_masked", (size_t)p8, "110105********0019");
    upl_table_free(one); upl_table_free(mem); upl_table_free(hist);

    /* Audit: the decision with before/after, IDs masked; the chain still verifies. */
    as_user(r, NULL);
    audit_verifies(r);
    au = audit_rows(r);
    long a = last_action(au, "conflict.resolve");
    ck_assert(a >= 0);
    ck_cell(au, "actor", (size_t)a, "rev_county");
    ck_cell(au, "scope", (size_t)a, "110105");
    ck_cell(au, "object", (size_t)a, "conflict:H001:H008");
    char want[512];
    snprintf(want, sizeof want, "{\"conflict\":%lld,\"kind\":\"same_person_two_areas\",\"id\":\"110105********0019\","
             "\"status\":\"escalated\"}", (long long)id);
    ck_cell(au, "before", (size_t)a, want);
    ck_cell(au, "after", (size_t)a, "{\"status\":\"resolved\",\"decision\":\"moved\",\"household\":\"H008\","
                                    "\"note\":\"户口迁入H008 (head moved in with his son) \\\"checked\\\" by visit\"}");
    long e = last_action(au, "conflict.escalate");
    ck_assert(e >= 0 && e < a);
    snprintf(want, sizeof want, "{\"conflict\":%lld,\"kind\":\"same_person_two_areas\",\"id\":\"110105********0019\","
             "\"status\":\"open\"}", (long long)id);
    ck_cell(au, "before", (size_t)e, want);
    ck_cell(au, "after", (size_t)e, "{\"status\":\"escalated\",\"decision\":\"escalated\",\"escalate_to\":\"110105\","
                                    "\"note\":\"张伟 also listed in 110105002001 / 跨村\"}");
    for (size_t i = 0; i < upl_table_n_rows(au); i++) {
        char *b = cell(au, "before", i), *af = cell(au, "after", i);
        ck_assert_ptr_null(strstr(b, "195003150019"));
        ck_assert_ptr_null(strstr(af, "195003150019"));
        free(b); free(af);
    }
    upl_table_free(au);

    /* Re-importing the same conflict (a corrected export with H008's income
     * changed still lists 张伟 in both): the pair is found again, the UNIQUE
     * key keeps the resolved row, nothing is reopened or added. */
    size_t n;
    char *data = unit_read_file(csv, &n);
    char *pp = strstr(data, "一般贫困户,因病,,4500,P00801");
    ck_assert_ptr_nonnull(pp);
    memcpy(strstr(pp, "4500"), "4600", 4);
    char *csv2 = write_tmp("county_h008.csv", data);
    free(data);
    upl_import_summary s2 = reg_import_ok(r, csv2, 0);
    ck_assert(!s2.already_imported);
    ck_assert_uint_eq(s2.conflicts, 0);
    t = conflicts(r, NULL);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    ck_cell(t, "status", 0, "resolved");
    ck_cell(t, "decision", 0, "moved");
    ck_cell(t, "follow_up", 0, "pending");
    upl_table_free(t);

    /* The correction import for H001 without 张伟 (王芳 head now): follow-up done. */
    char *csv3 = write_tmp("h001_fixed.csv",
        "household_code,area_code,village,head_name,household_phone,record_year,household_size,poverty_attribute,"
        "main_poverty_cause,other_poverty_causes,income_net,person_code,name,sex,id_number,birth_date,relation_to_head,"
        "health_status,labor_skill,receives_dibao\n"
        "H001,110105001001,朝阳村,王芳,13800138000,2023,2,一般贫困户,因病,缺技术、缺资金,8200.50,P00102,王芳,女,"
        "11010519491231002X,1949-12-31,户主,\"残疾,长期慢性病\",丧失劳动力,否\n"
        "H001,110105001001,朝阳村,王芳,13800138000,2023,2,一般贫困户,因病,缺技术、缺资金,8200.50,P00103,张强,男,"
        "110105198001010032,,之子,健康,普通劳动力,否\n");
    upl_import_summary s3 = reg_import_ok(r, csv3, 0);
    ck_assert_uint_eq(s3.households_accepted, 1);
    ck_assert_uint_eq(s3.conflicts, 0);
    t = conflicts(r, NULL);
    ck_cell(t, "follow_up", 0, "done");
    upl_table_free(t);
    ck_assert_int_eq(upl_conflict_show(r, id, NULL, &mem, NULL, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(mem), 4);
    p1 = find_row(mem, "person_code", "P00101");
    ck_assert_int_eq(cell_i64(mem, "involved", (size_t)p1), 1);
    ck_assert_int_eq(cell_i64(mem, "in_latest_wave", (size_t)p1), 0);
    ck_cell(mem, "relation_to_head", (size_t)find_row(mem, "person_code", "P00102"), "户主");
    upl_table_free(mem);
    /* The township reviewer sees only H001's side in detail. */
    as_user(r, "rev_town");
    ck_assert_int_eq(upl_conflict_show(r, id, NULL, &mem, NULL, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(mem), 3);
    ck_assert_int_eq(find_row(mem, "household_code", "H008"), -1);
    upl_table_free(mem);
    as_user(r, NULL);
    audit_verifies(r);
    upl_registry_close(r);
    free(csv); free(csv2); free(csv3); free(uri); free(key);
}
END_TEST

/* ---- quarantine ---------------------------------------------------------------------- */
/* Export: A001 fine; Q001 declares 2 members but has 1 (with phone and bank
 * account); Q002's ID has a wrong check character; Q003 (another village)
 * has two heads. Lines: A001 2, Q001 3, Q002 4, Q003 5-6. */
static char *quarantine_export(const char *name, bool fixed, char ids[5][19]) {
    static const char *d17[5] = { "11010519600101001", "11010519650505002", "11010519700707003",
                                  "11010519800808004", "11010519820909005" };
    for (int i = 0; i < 5; i++) reg_make_id(d17[i], ids[i]);
    char bad[19];
    memcpy(bad, ids[2], 19);
    bad[17] = bad[17] == '1' ? '2' : '1';
    char text[2048];
    snprintf(text, sizeof text,
             "household_code,area_code,record_year,household_size,name,id_number,relation_to_head,household_phone,bank_account\n"
             "A001,110105001001,2023,1,甲一,%s,户主,,\n"
             "Q001,110105001001,2023,%d,乙二,%s,户主,13912345678,6222020200112233445\n"
             "%s"
             "Q003,110105002001,2023,2,丙三,%s,户主,,\n"
             "Q003,110105002001,2023,2,丁四,%s,户主,,\n",
             ids[0], fixed ? 1 : 2, ids[1], "", ids[3], ids[4]);
    if (!fixed) {
        /* Q002 only in the first file: insert before Q003. */
        char *q3 = strstr(text, "Q003");
        char line[256];
        snprintf(line, sizeof line, "Q002,110105001001,2023,1,戊五,%s,户主,,\n", bad);
        memmove(q3 + strlen(line), q3, strlen(q3) + 1);
        memcpy(q3, line, strlen(line));
    }
    return write_tmp(name, text);
}

static upl_table *qlist(upl_registry *r, const upl_quarantine_filter *f) {
    upl_table *t = NULL;
    upl_error err = {0};
    int rc = upl_quarantine_list(r, f, &t, &err);
    ck_assert_msg(rc == UPL_OK, "quarantine list: %s", upl_error_message(&err));
    return t;
}

START_TEST(test_quarantine) {
    int be = _i;
    if (!reg_backend_available(be, "quarantine")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "rvq", &uri, &key);
    upl_error err = {0};
    char ids[5][19];
    char *f1 = quarantine_export("q1.csv", false, ids);
    upl_import_summary s1, s2;
    s1 = reg_import_ok(r, f1, 0);
    ck_assert_uint_eq(s1.households_accepted, 1);
    ck_assert_uint_eq(s1.households_quarantined, 3);
    add_account(r, "clerk_v1", UPL_ROLE_CLERK, "110105001001");
    add_account(r, "clerk_v2", UPL_ROLE_CLERK, "110105002001");
    add_account(r, "rev_county", UPL_ROLE_REVIEWER, "110105");

    /* List and filters. */
    upl_table *t = qlist(r, NULL);
    ck_assert_uint_eq(upl_table_n_rows(t), 4);
    long q1 = find_row(t, "household_code", "Q001");
    ck_assert(q1 >= 0);
    int64_t q1_id = cell_i64(t, "id", (size_t)q1);
    ck_assert_int_eq(cell_i64(t, "line", (size_t)q1), 3);
    ck_assert_int_eq(cell_i64(t, "wave", (size_t)q1), 2023);
    ck_assert_int_eq(cell_i64(t, "import_id", (size_t)q1), s1.import_id);
    ck_cell(t, "code", (size_t)q1, "SIZE_MISMATCH");
    ck_cell(t, "status", (size_t)q1, "open");
    int64_t q2_id = cell_i64(t, "id", (size_t)find_row(t, "household_code", "Q002"));
    upl_table_free(t);
    upl_quarantine_filter qf = { 0, "ID_INVALID", NULL, NULL, NULL };
    t = qlist(r, &qf);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    ck_cell(t, "household_code", 0, "Q002");
    ck_cell(t, "field", 0, "id_number");
    upl_table_free(t);
    upl_quarantine_filter qh = { 0, NULL, NULL, NULL, "Q003" };
    t = qlist(r, &qh);
    ck_assert_uint_eq(upl_table_n_rows(t), 2);
    upl_table_free(t);
    upl_quarantine_filter qa = { 0, NULL, "110105002", NULL, NULL };
    t = qlist(r, &qa);
    ck_assert_uint_eq(upl_table_n_rows(t), 2);
    upl_table_free(t);
    upl_quarantine_filter qi = { s1.import_id + 100, NULL, NULL, NULL, NULL };
    t = qlist(r, &qi);
    ck_assert_uint_eq(upl_table_n_rows(t), 0);
    upl_table_free(t);
    upl_quarantine_filter qs = { 0, NULL, NULL, "gone", NULL };
    ck_assert_int_eq(upl_quarantine_list(r, &qs, &t, &err), UPL_EMISUSE);
    upl_error_clear(&err);

    /* Show: reason and the raw row, decrypted, sensitive values masked. */
    upl_table *item = NULL, *raw = NULL;
    ck_assert_int_eq(upl_quarantine_show(r, q1_id, &item, &raw, &err), UPL_OK);
    ck_cell(item, "code", 0, "SIZE_MISMATCH");
    char *msg = cell(item, "message", 0);
    ck_assert_msg(strstr(msg, "household_size is 2 but the file has 1") != NULL, "%s", msg);
    free(msg);
    ck_cell(raw, "value", (size_t)find_row(raw, "field", "household_code"), "Q001");
    ck_cell(raw, "value", (size_t)find_row(raw, "field", "name"), "乙二");
    ck_cell(raw, "value", (size_t)find_row(raw, "field", "household_size"), "2");
    char want_id[24];
    snprintf(want_id, sizeof want_id, "110105********%.4s", ids[1] + 14);
    ck_cell(raw, "value", (size_t)find_row(raw, "field", "id_number"), want_id);
    ck_cell(raw, "value", (size_t)find_row(raw, "field", "household_phone"), "139****5678");
    ck_cell(raw, "value", (size_t)find_row(raw, "field", "bank_account"), "622************3445");
    for (size_t i = 0; i < upl_table_n_rows(raw); i++) {
        char *v = cell(raw, "value", i);
        ck_assert_ptr_null(strstr(v, ids[1] + 6));
        ck_assert_ptr_null(strstr(v, "12345678"));
        ck_assert_ptr_null(strstr(v, "0200112233"));
        free(v);
    }
    upl_table_free(item); upl_table_free(raw);
    /* A bad ID is masked too (it is still somebody's number). */
    ck_assert_int_eq(upl_quarantine_show(r, q2_id, NULL, &raw, &err), UPL_OK);
    char *v = cell(raw, "value", (size_t)find_row(raw, "field", "id_number"));
    ck_assert_int_eq((int)strlen(v), 18);
    ck_assert_int_eq(strncmp(v, "110105********", 14), 0);
    free(v);
    upl_table_free(raw);

    /* Scope: the other village's clerk sees Q003 only and cannot read Q001. */
    as_user(r, "clerk_v2");
    t = qlist(r, NULL);
    ck_assert_uint_eq(upl_table_n_rows(t), 2);
    ck_assert_int_eq(find_row(t, "household_code", "Q001"), -1);
    upl_table_free(t);
    ck_assert_int_eq(upl_quarantine_show(r, q1_id, &item, &raw, &err), UPL_ENOTFOUND);
    upl_error_clear(&err);

    /* Corrected file: Q001 fixed, Q002 left out, Q003 still two heads. */
    as_user(r, NULL);
    char *f2 = quarantine_export("q2.csv", true, ids);
    s2 = reg_import_ok(r, f2, 0);
    ck_assert_uint_eq(s2.households_accepted, 2);
    ck_assert_uint_eq(s2.households_quarantined, 1);
    t = qlist(r, NULL);
    ck_assert_uint_eq(upl_table_n_rows(t), 6);
    upl_table_free(t);

    /* Sweep by the other village's clerk: Q001 is not theirs, nothing closes. */
    as_user(r, "clerk_v2");
    uint64_t n_closed = 99;
    ck_assert_int_eq(upl_quarantine_sweep(r, NULL, NULL, &n_closed, &err), UPL_OK);
    ck_assert_uint_eq(n_closed, 0);
    /* By Q001's village clerk: exactly Q001's item, superseded by import 2. */
    as_user(r, "clerk_v1");
    upl_table *swept = NULL;
    ck_assert_int_eq(upl_quarantine_sweep(r, NULL, &swept, &n_closed, &err), UPL_OK);
    ck_assert_uint_eq(n_closed, 1);
    ck_assert_uint_eq(upl_table_n_rows(swept), 1);
    ck_assert_int_eq(cell_i64(swept, "id", 0), q1_id);
    ck_assert_int_eq(cell_i64(swept, "superseded_by", 0), s2.import_id);
    upl_table_free(swept);
    as_user(r, NULL);
    t = qlist(r, NULL);
    ck_assert_uint_eq(upl_table_n_rows(t), 6);
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        bool is_q1 = cell_i64(t, "id", i) == q1_id;
        ck_cell(t, "status", i, is_q1 ? "superseded" : "open");
    }
    upl_table_free(t);
    ck_assert_int_eq(upl_quarantine_show(r, q1_id, &item, NULL, &err), UPL_OK);
    ck_cell(item, "closed_by", 0, "clerk_v1");
    ck_assert_int_eq(cell_i64(item, "superseded_by", 0), s2.import_id);
    upl_table_free(item);
    /* A second sweep finds nothing more. */
    ck_assert_int_eq(upl_quarantine_sweep(r, NULL, NULL, &n_closed, &err), UPL_OK);
    ck_assert_uint_eq(n_closed, 0);

    /* Manual close: a clerk may not; a reviewer with a reason may, once. */
    as_user(r, "clerk_v1");
    ck_assert_int_eq(upl_quarantine_close(r, q2_id, "entered twice", &err), UPL_EAUTH);
    upl_error_clear(&err);
    as_user(r, "rev_county");
    ck_assert_int_eq(upl_quarantine_close(r, q2_id, "", &err), UPL_EMISUSE);
    upl_error_clear(&err);
    char with_id[128];
    snprintf(with_id, sizeof with_id, "the right number is %s", ids[2]);
    ck_assert_int_eq(upl_quarantine_close(r, q2_id, with_id, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_quarantine_close(r, q1_id, "done", &err), UPL_EEXISTS);    /* superseded already */
    upl_error_clear(&err);
    ck_assert_int_eq(upl_quarantine_close(r, q2_id, "household moved away before 2023 / 已迁出", &err), UPL_OK);
    ck_assert_int_eq(upl_quarantine_close(r, q2_id, "again", &err), UPL_EEXISTS);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_quarantine_show(r, q2_id, &item, NULL, &err), UPL_OK);
    ck_cell(item, "status", 0, "closed");
    ck_cell(item, "closed_by", 0, "rev_county");
    ck_cell(item, "close_note", 0, "household moved away before 2023 / 已迁出");
    ck_cell(item, "superseded_by", 0, "<null>");
    upl_table_free(item);

    /* Audit rows and the chain. */
    as_user(r, NULL);
    audit_verifies(r);
    upl_table *au = audit_rows(r);
    long a = last_action(au, "quarantine.superseded");
    ck_assert(a >= 0);
    char want[256];
    snprintf(want, sizeof want, "quarantine:%lld", (long long)q1_id);
    ck_cell(au, "object", (size_t)a, want);
    ck_cell(au, "actor", (size_t)a, "clerk_v1");
    snprintf(want, sizeof want, "{\"status\":\"open\",\"household\":\"Q001\",\"import\":%lld}", (long long)s1.import_id);
    ck_cell(au, "before", (size_t)a, want);
    snprintf(want, sizeof want, "{\"status\":\"superseded\",\"superseded_by\":%lld}", (long long)s2.import_id);
    ck_cell(au, "after", (size_t)a, want);
    a = last_action(au, "quarantine.close");
    ck_cell(au, "before", (size_t)a, "{\"status\":\"open\",\"household\":\"Q002\",\"code\":\"ID_INVALID\"}");
    ck_cell(au, "after", (size_t)a, "{\"status\":\"closed\",\"reason\":\"household moved away before 2023 / 已迁出\"}");
    upl_table_free(au);
    ck_assert_int_eq(reg_stat(r, "quarantined_rows"), 4);   /* stats count open items: Q003 ×2 ×2 imports */
    upl_registry_close(r);
    free(f1); free(f2); free(uri); free(key);
}
END_TEST

/* ---- events ----------------------------------------------------------------------------- */
START_TEST(test_money) {
    static const struct { const char *s; int rc; int64_t fen; } cases[] = {
        { "0", UPL_OK, 0 }, { "12", UPL_OK, 1200 }, { "12.3", UPL_OK, 1230 }, { "12.34", UPL_OK, 1234 },
        { "0.01", UPL_OK, 1 }, { "35000.07", UPL_OK, 3500007 }, { "10000000000000", UPL_OK, 1000000000000000LL },
        { "10000000000001", UPL_ERANGE, 0 }, { "12.345", UPL_EPARSE, 0 }, { "12.", UPL_EPARSE, 0 },
        { ".5", UPL_EPARSE, 0 }, { "-1", UPL_EPARSE, 0 }, { "1,200", UPL_EPARSE, 0 }, { "1e3", UPL_EPARSE, 0 },
        { "", UPL_EPARSE, 0 }, { " 12", UPL_EPARSE, 0 }, { "12元", UPL_EPARSE, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t fen = -7;
        int rc = upl_money_parse_fen(cases[i].s, &fen);
        ck_assert_msg(rc == cases[i].rc, "`%s`: rc %d, expected %d", cases[i].s, rc, cases[i].rc);
        if (rc == UPL_OK) ck_assert_msg(fen == cases[i].fen, "`%s`: %lld fen", cases[i].s, (long long)fen);
    }
    char buf[32];
    upl_money_format_fen(3500007, buf);
    ck_assert_str_eq(buf, "35000.07");
    upl_money_format_fen(-5, buf);
    ck_assert_str_eq(buf, "-0.05");
    upl_money_format_fen(0, buf);
    ck_assert_str_eq(buf, "0.00");
    ck_assert_str_eq(upl_event_kind_label("因自然灾害"), "因自然灾害 natural disaster");
    ck_assert_ptr_null(upl_event_kind_label("flood"));
}
END_TEST

START_TEST(test_events) {
    int be = _i;
    if (!reg_backend_available(be, "events")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "rve", &uri, &key);
    upl_error err = {0};
    char *csv = copy_fixture("registry/county_2023.csv");
    (void)reg_import_ok(r, csv, 0);
    add_account(r, "clerk_v1", UPL_ROLE_CLERK, "110105001001");
    add_account(r, "viewer_v1", UPL_ROLE_VIEWER, "110105001001");
    as_user(r, "clerk_v1");
    int64_t fen = 0, id1 = 0, id2 = 0, id = 0;
    ck_assert_int_eq(upl_money_parse_fen("35000.07", &fen), UPL_OK);
    ck_assert_int_eq(upl_event_add(r, "H002", "illness", "2023-07-01", fen, "住院 hospital", &id1, &err), UPL_OK);
    ck_assert_int_eq(upl_event_add(r, "H007", "因自然灾害", "2023-08-15", -1, NULL, &id2, &err), UPL_OK);
    ck_assert_int_gt(id2, id1);
    /* Refusals. */
    ck_assert_int_eq(upl_event_add(r, "H007", "flood", "2023-08-15", -1, NULL, &id, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_event_add(r, "H007", "disaster", "2023-02-29", -1, NULL, &id, &err), UPL_ERANGE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_event_add(r, "H007", "disaster", "2023/08/15", -1, NULL, &id, &err), UPL_EPARSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_event_add(r, "H007", "disaster", "2999-01-01", -1, NULL, &id, &err), UPL_ERANGE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_event_add(r, "H007", "disaster", "2023-08-15", -5, NULL, &id, &err), UPL_ERANGE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_event_add(r, "H007", "disaster", "2023-08-15", -1, "ID 110105195003150019", &id, &err),
                     UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_event_add(r, "H008", "illness", "2023-07-01", 100, NULL, &id, &err), UPL_ENOTFOUND); /* other village */
    upl_error_clear(&err);
    ck_assert_int_eq(upl_event_add(r, "H999", "illness", "2023-07-01", 100, NULL, &id, &err), UPL_ENOTFOUND);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_event_add(r, "H002", "illness", "2024-02-29", 0, NULL, &id, &err), UPL_OK);   /* leap day */
    as_user(r, "viewer_v1");
    ck_assert_int_eq(upl_event_add(r, "H002", "illness", "2023-07-02", 100, NULL, &id, &err), UPL_EAUTH);
    upl_error_clear(&err);
    /* List: amounts in fen and exact yuan, kinds stored canonical. */
    upl_table *t = NULL;
    upl_event_filter f = { NULL, NULL, NULL, NULL, NULL };
    ck_assert_int_eq(upl_event_query(r, &f, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 3);
    ck_assert_int_eq(cell_i64(t, "id", 0), id1);
    ck_assert_int_eq(cell_i64(t, "loss_fen", 0), 3500007);
    ck_cell(t, "loss_yuan", 0, "35000.07");
    ck_cell(t, "note", 0, "住院 hospital");
    ck_cell(t, "created_by", 0, "clerk_v1");
    ck_cell(t, "kind", 1, "disaster");
    ck_cell(t, "loss_fen", 1, "<null>");
    ck_cell(t, "loss_yuan", 1, "<null>");
    ck_cell(t, "loss_yuan", 2, "0.00");
    upl_table_free(t);
    upl_event_filter fk = { NULL, NULL, NULL, "因病", NULL };
    ck_assert_int_eq(upl_event_query(r, &fk, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 2);
    upl_table_free(t);
    upl_event_filter fd = { "2023-07-02", "2023-12-31", NULL, NULL, NULL };
    ck_assert_int_eq(upl_event_query(r, &fd, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    ck_cell(t, "household_code", 0, "H007");
    upl_table_free(t);
    upl_event_filter fh = { NULL, NULL, "H002", NULL, NULL };
    ck_assert_int_eq(upl_event_query(r, &fh, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 2);
    upl_table_free(t);
    upl_event_filter fb = { "2023-7-1", NULL, NULL, NULL, NULL };
    ck_assert_int_eq(upl_event_query(r, &fb, &t, &err), UPL_EPARSE);
    upl_error_clear(&err);
    upl_event_filter fo = { NULL, NULL, NULL, NULL, "110106" };
    ck_assert_int_eq(upl_event_query(r, &fo, &t, &err), UPL_EAUTH);
    upl_error_clear(&err);
    /* Audit: the event with its amount in fen. */
    as_user(r, NULL);
    upl_table *au = audit_rows(r);
    long a = -1;
    for (size_t i = 0; i < upl_table_n_rows(au); i++) {
        char *act = cell(au, "action", i), *obj = cell(au, "object", i);
        if (!strcmp(act, "event.add") && !strcmp(obj, "household:H002") && a < 0) a = (long)i;
        free(act); free(obj);
    }
    ck_assert(a >= 0);
    char want[256];
    snprintf(want, sizeof want, "{\"event\":%lld,\"kind\":\"illness\",\"date\":\"2023-07-01\",\"loss_fen\":3500007,"
             "\"note\":\"住院 hospital\"}", (long long)id1);
    ck_cell(au, "after", (size_t)a, want);
    upl_table_free(au);
    audit_verifies(r);
    upl_registry_close(r);
    free(csv); free(uri); free(key);
}
END_TEST

/* ---- migration 2 on a schema-1 registry -------------------------------------------------- */
/* Made by taking a fresh registry back to schema 1 (dropping what migration 2
 * adds, with the data in place), then reopening it with this build. */
static const char *const undo_m2[] = {
    "DROP TABLE conflict_review", "DROP INDEX conflict_status", "DROP INDEX quarantine_household",
    "DROP INDEX quarantine_import", "DROP INDEX event_household",
    "ALTER TABLE conflict DROP COLUMN resolution_household", "ALTER TABLE conflict DROP COLUMN resolution_note",
    "ALTER TABLE conflict DROP COLUMN resolved_at", "ALTER TABLE quarantine DROP COLUMN closed_by",
    "ALTER TABLE quarantine DROP COLUMN closed_at", "ALTER TABLE quarantine DROP COLUMN close_note",
    "ALTER TABLE quarantine DROP COLUMN superseded_by", "DELETE FROM schema_migrations WHERE version = 2", NULL
};

static void run_sql(int be, const char *uri, const char *sql) {
    if (be == BACKEND_SQLITE) {
        sqlite3 *db;
        ck_assert_int_eq(sqlite3_open(uri, &db), SQLITE_OK);
        char *msg = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
        ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
        sqlite3_close(db);
    } else {
        PGconn *c = PQconnectdb(uri);
        ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
        PGresult *res = PQexec(c, sql);
        ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
        PQclear(res);
        PQfinish(c);
    }
}

START_TEST(test_migration_2) {
    int be = _i;
    if (!reg_backend_available(be, "migration_2")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "rvm", &uri, &key);
    ck_assert_int_eq(upl_registry_schema_version(r), 2);
    char *csv = copy_fixture("registry/county_2023.csv");
    (void)reg_import_ok(r, csv, 0);
    upl_registry_close(r);
    for (int i = 0; undo_m2[i]; i++) run_sql(be, uri, undo_m2[i]);
    /* A build that may not migrate refuses the old schema... */
    upl_registry_options o;
    upl_registry_options_init(&o);
    o.key_file = key;
    o.no_migrate = true;
    upl_error err = {0};
    ck_assert_int_eq(upl_registry_open(uri, &o, &r, &err), UPL_ESCHEMA);
    upl_error_clear(&err);
    /* ... this one brings it to 2 with the data intact, and the new columns work. */
    r = reg_reopen(uri, key);
    ck_assert_int_eq(upl_registry_schema_version(r), 2);
    ck_assert_int_eq(reg_stat(r, "households"), 6);
    ck_assert_int_eq(reg_stat(r, "quarantined_rows"), 6);
    upl_table *t = conflicts(r, "open");
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    int64_t id = cell_i64(t, "id", 0);
    upl_table_free(t);
    ck_assert_int_eq(upl_conflict_resolve(r, id, "data_entry_error", "H008", "H008 head's ID typed from H001's form",
                                          &err), UPL_OK);
    t = conflicts(r, "resolved");
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    ck_cell(t, "decision_household", 0, "H008");
    ck_cell(t, "follow_up", 0, "pending");
    upl_table_free(t);
    ck_assert_int_eq(upl_registry_check(r, &err), UPL_OK);
    audit_verifies(r);
    upl_registry_close(r);
    free(csv); free(uri); free(key);
}
END_TEST

/* ---- two reviewers at once ---------------------------------------------------------------- */
/* Two handles (one per thread, as the header requires) decide the same
 * conflict at the same moment with different decisions. Whatever the
 * interleaving, exactly one decision is recorded and the other is told
 * (UPL_EEXISTS): the update is conditional on the status it read. */
typedef struct racer {
    const char *uri, *key, *decision, *household;
    pthread_barrier_t *go;
    int rc;
} racer;

static void *race(void *arg) {
    racer *x = arg;
    upl_registry *r = reg_reopen(x->uri, x->key);
    upl_error err = {0};
    as_user(r, NULL);
    pthread_barrier_wait(x->go);
    x->rc = upl_conflict_resolve(r, 1, x->decision, x->household, "decided at the same moment", &err);
    upl_error_clear(&err);
    upl_registry_close(r);
    return NULL;
}

START_TEST(test_conflict_race) {
    int be = _i;
    if (!reg_backend_available(be, "conflict_race")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "rvr", &uri, &key);
    char *csv = copy_fixture("registry/county_2023.csv");
    (void)reg_import_ok(r, csv, 0);
    for (int round = 0; round < 5; round++) {
        if (round) {
            /* Back to open for the next round, outside the library (tests only). */
            char sql[128];
            snprintf(sql, sizeof sql, "UPDATE conflict SET status = 'open', resolution = NULL WHERE id = 1");
            upl_registry_close(r);
            if (be == BACKEND_SQLITE) {
                sqlite3 *db;
                ck_assert_int_eq(sqlite3_open(uri, &db), SQLITE_OK);
                ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
                sqlite3_close(db);
            } else {
                PGconn *c = PQconnectdb(uri);
                PGresult *res = PQexec(c, sql);
                ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
                PQclear(res);
                PQfinish(c);
            }
            r = reg_reopen(uri, key);
        }
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        racer a = { uri, key, "moved", "H008", &go, -1 }, b = { uri, key, "data_entry_error", "H001", &go, -1 };
        pthread_t ta, tb;
        ck_assert_int_eq(pthread_create(&ta, NULL, race, &a), 0);
        ck_assert_int_eq(pthread_create(&tb, NULL, race, &b), 0);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&go);
        ck_assert_msg((a.rc == UPL_OK && b.rc == UPL_EEXISTS) || (a.rc == UPL_EEXISTS && b.rc == UPL_OK),
                      "round %d: rc %d and %d", round, a.rc, b.rc);
        upl_table *t = conflicts(r, "resolved");
        ck_assert_uint_eq(upl_table_n_rows(t), 1);
        ck_cell(t, "decision", 0, a.rc == UPL_OK ? "moved" : "data_entry_error");
        upl_table_free(t);
        upl_table *hist = NULL;
        upl_error err = {0};
        ck_assert_int_eq(upl_conflict_show(r, 1, NULL, NULL, &hist, &err), UPL_OK);
        ck_assert_uint_eq(upl_table_n_rows(hist), (size_t)round + 1);   /* one decision per round */
        upl_table_free(hist);
    }
    audit_verifies(r);
    upl_registry_close(r);
    free(csv); free(uri); free(key);
}
END_TEST

/* ---- allocation failures ---------------------------------------------------------------- */
/* Each change is one transaction with its audit row: whatever allocation
 * fails (once, or from then on), the registry afterwards holds either the
 * whole change or none of it, and the audit chain verifies. SQLite only (the
 * injection covers uplift's allocations, the driver's included). */
static int64_t count_sql(upl_registry *r, const char *what) {
    upl_table *t = NULL;
    upl_error err = {0};
    int64_t n = 0;
    if (!strcmp(what, "audit")) {
        ck_assert_int_eq(upl_audit_list(r, 0, &t, &err), UPL_OK);
        n = (int64_t)upl_table_n_rows(t);
    } else if (!strcmp(what, "resolved")) {
        t = conflicts(r, "resolved");
        n = (int64_t)upl_table_n_rows(t);
    } else if (!strcmp(what, "events")) {
        ck_assert_int_eq(upl_event_list(r, NULL, NULL, &t, &err), UPL_OK);
        n = (int64_t)upl_table_n_rows(t);
    } else {
        upl_quarantine_filter f = { 0, NULL, NULL, what, NULL };
        ck_assert_int_eq(upl_quarantine_list(r, &f, &t, &err), UPL_OK);
        n = (int64_t)upl_table_n_rows(t);
    }
    upl_table_free(t);
    return n;
}

typedef int (*change_fn)(upl_registry *r, upl_error *err);
static int do_resolve(upl_registry *r, upl_error *err) {
    return upl_conflict_resolve(r, 1, "moved", "H008", "moved in with his son", err);
}
static int do_sweep(upl_registry *r, upl_error *err) {
    uint64_t n = 0;
    upl_table *t = NULL;
    int rc = upl_quarantine_sweep(r, NULL, &t, &n, err);
    upl_table_free(t);
    return rc;
}
static int do_event(upl_registry *r, upl_error *err) {
    int64_t id = 0;
    return upl_event_add(r, "H002", "illness", "2023-07-01", 123456, "住院", &id, err);
}

/* Run `fn` failing the n-th allocation for n = 1, 2, ... until it runs
 * without an injected failure; `what` counts the rows the change adds
 * (expected +delta), the audit must grow by audit_delta. */
static void oom_loop(upl_registry *r, change_fn fn, const char *what, int64_t delta, int64_t audit_delta,
                     bool continuous, const char *name) {
    int64_t rows0 = count_sql(r, what), audit0 = count_sql(r, "audit");
    long injected_n = 0;
    for (long n = 1;; n++) {
        upl_error err = {0};
        upl_alloc_fail_after(n, continuous);
        int rc = fn(r, &err);
        bool injected = upl_alloc_failed();
        upl_alloc_fail_after(0, false);
        upl_error_clear(&err);
        int64_t rows = count_sql(r, what), audit = count_sql(r, "audit");
        if (rc == UPL_OK) {
            ck_assert_msg(rows == rows0 + delta && audit == audit0 + audit_delta,
                          "%s: n=%ld OK but rows %lld->%lld, audit %lld->%lld", name, n, (long long)rows0,
                          (long long)rows, (long long)audit0, (long long)audit);
            break;
        }
        ck_assert_msg(injected, "%s: n=%ld failed (%d) without an injected failure", name, n, rc);
        ck_assert_msg(rows == rows0 && audit == audit0, "%s: n=%ld failed (%d) but changed rows %lld->%lld, "
                      "audit %lld->%lld", name, n, rc, (long long)rows0, (long long)rows, (long long)audit0,
                      (long long)audit);
        injected_n++;
        ck_assert_msg(n < 100000, "%s: allocation loop does not terminate", name);
    }
    ck_assert_msg(injected_n >= 5, "%s: only %ld injection points", name, injected_n);
    fprintf(stderr, "registry review: allocation failures (%s) in %s: %ld points, 0 partial changes\n",
            continuous ? "continuous" : "once", name, injected_n);
    audit_verifies(r);
}

START_TEST(test_review_alloc_failures) {
    bool continuous = _i == 1;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(BACKEND_SQLITE, continuous ? "rvoc" : "rvo1", &uri, &key);
    char *csv = copy_fixture("registry/county_2023.csv");
    (void)reg_import_ok(r, csv, 0);
    oom_loop(r, do_resolve, "resolved", 1, 1, continuous, "conflict resolve");
    oom_loop(r, do_event, "events", 1, 1, continuous, "event add");
    /* Sweep: the corrected file brings H003 in; its two rows close together or not at all. */
    size_t n;
    char *data = unit_read_file(csv, &n);
    for (char *p = strstr(data, "H003,110105001001,朝阳村,赵一,,2023,3"); p;
         p = strstr(p + 1, "H003,110105001001,朝阳村,赵一,,2023,3"))
        p[strlen("H003,110105001001,朝阳村,赵一,,2023,")] = '2';
    char *csv2 = write_tmp("county_h003.csv", data);
    free(data);
    (void)reg_import_ok(r, csv2, 0);
    oom_loop(r, do_sweep, "superseded", 2, 2, continuous, "quarantine sweep");
    upl_registry_close(r);
    free(csv); free(csv2); free(uri); free(key);
}
END_TEST

Suite *suite_registry_review(void) {
    Suite *s = suite_create("registry_review");
    TCase *tc = tcase_create("review");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_money);
    tcase_add_loop_test(tc, test_conflict_resolve, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_quarantine, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_events, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_migration_2, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_conflict_race, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_review_alloc_failures, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
