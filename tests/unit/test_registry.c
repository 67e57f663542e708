/* test_registry.c — the registry: ID numbers (GB 11643 vectors from
 * RELIABILITY.md §4.2), import of a county export with the bad-input
 * catalogue items 3–9, 13, 14 and 19, idempotency, corrections with audit
 * diffs, the audit chain against edits and deletions, accounts and scope,
 * the key file. Every database test runs on SQLite and on PostgreSQL
 * (UPL_TEST_PG_URI; skipped with a visible message when unset). */
#include <sys/stat.h>
#include <sqlite3.h>
#include "test_registry_util.h"

/* Exact match of a (not NUL-terminated) table string against a literal. */
static bool is(const char *s, size_t n, const char *lit) { return n == strlen(lit) && !memcmp(s, lit, n); }

/* ---- ID numbers ------------------------------------------------------------ */
static int idc(const char *s, unsigned opt, upl_id_result *r) { return upl_id_check(s, strlen(s), opt, 20240101, r); }

START_TEST(test_id_vectors) {
    upl_id_result r;
    /* RELIABILITY.md §4.2 table. */
    ck_assert_int_eq(idc("11010519491231002X", 0, &r), UPL_ID_OK);
    ck_assert_int_eq(r.sex, 2);                       /* sequence 002: even = female */
    ck_assert_int_eq(r.birth_year, 1949);
    ck_assert_int_eq(r.birth_month, 12);
    ck_assert_int_eq(r.birth_day, 31);
    ck_assert_int_eq(r.province, 11);
    ck_assert_str_eq(r.masked, "110105********002X");
    ck_assert_int_eq(idc("440524188001010014", 0, &r), UPL_ID_OK);
    ck_assert_int_eq(r.sex, 1);
    ck_assert_int_eq(idc("320106199001011238", 0, &r), UPL_ID_OK);
    ck_assert_int_eq(r.sex, 1);                       /* sequence 123: odd = male */
    ck_assert_int_eq(idc("110105194912310021", 0, &r), UPL_ID_BAD_CHECK);
    ck_assert_int_eq(idc("440524188001010015", 0, &r), UPL_ID_BAD_CHECK);
    ck_assert_int_eq(idc("11010519490229002X", 0, &r), UPL_ID_BAD_DATE);   /* 1949-02-29 */
    ck_assert_int_eq(idc("990105194912310021", 0, &r), UPL_ID_BAD_PROVINCE);
    ck_assert_int_eq(idc("11010519491231002", 0, &r), UPL_ID_BAD_LENGTH);  /* 17 digits */
    ck_assert_int_eq(idc("1.10105E+17", 0, &r), UPL_ID_EXCEL_MANGLED);
    /* Check characters by hand: S mod 11 = 2 -> X for the standard's example. */
    ck_assert_int_eq(upl_id_check_char("11010519491231002"), 'X');
    ck_assert_int_eq(upl_id_check_char("44052418800101001"), '4');
    /* A leap day that exists (2000-02-29); a future birth date. */
    char id[19];
    reg_make_id("11010520000229001", id);
    ck_assert_int_eq(idc(id, 0, &r), UPL_ID_OK);
    reg_make_id("11010520300101001", id);
    ck_assert_int_eq(idc(id, 0, &r), UPL_ID_BAD_DATE);
}
END_TEST

START_TEST(test_id_normalise) {
    upl_id_result r;
    /* lower-case x, full-width digits, spaces, NBSP, U+3000, zero-width, apostrophe */
    const char *forms[] = {
        "11010519491231002x",
        "\xEF\xBC\x91\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x95"
        "19491231002X",                                  /* １１０１０５ full-width */
        " 110105 19491231 002X ",
        "110105\xC2\xA0" "19491231002X",                 /* NBSP */
        "\xE3\x80\x80" "11010519491231002X",             /* U+3000 */
        "1101051949\xE2\x80\x8B" "1231002X",             /* zero-width space */
        "'11010519491231002X",                           /* Excel text marker */
        "11010519491231002\xEF\xBC\xB8",                 /* full-width X */
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        ck_assert_msg(idc(forms[i], 0, &r) == UPL_ID_OK, "form %zu: %s", i, upl_id_status_name(r.status));
        ck_assert_str_eq(r.normalised, "11010519491231002X");
        ck_assert_msg(r.flags & UPL_IDF_NORMALISED, "form %zu not flagged", i);
    }
    ck_assert_int_eq(idc("11010519491231002X", 0, &r), UPL_ID_OK);
    ck_assert_uint_eq(r.flags, 0);
    /* Anything else is an error, never a guess. */
    ck_assert_int_eq(idc("11010519491231002Y", 0, &r), UPL_ID_BAD_CHAR);
    ck_assert_int_eq(idc("110105-19491231-002X", 0, &r), UPL_ID_BAD_CHAR);
    ck_assert_int_eq(idc("", 0, &r), UPL_ID_EMPTY);
    ck_assert_int_eq(idc("   ", 0, &r), UPL_ID_EMPTY);
}
END_TEST

START_TEST(test_id_excel_and_legacy) {
    upl_id_result r;
    /* Catalogue item 3: Excel forms. */
    ck_assert_int_eq(idc("1.10105E+17", 0, &r), UPL_ID_EXCEL_MANGLED);
    ck_assert_int_eq(idc("1.10105e+17", 0, &r), UPL_ID_EXCEL_MANGLED);
    ck_assert_int_eq(idc("110105194912310000", 0, &r), UPL_ID_EXCEL_MANGLED); /* 15 significant digits kept */
    ck_assert_int_eq(idc("110105194912310021.0", 0, &r), UPL_ID_EXCEL_MANGLED);
    /* Catalogue item 6: 15-digit legacy, the standard's own conversion example. */
    ck_assert_int_eq(idc("110105491231002", UPL_ID_ALLOW_15, &r), UPL_ID_OK);
    ck_assert_str_eq(r.normalised, "11010519491231002X");
    ck_assert(r.flags & UPL_IDF_CONVERTED_15);
    ck_assert_int_eq(idc("110105491231002", 0, &r), UPL_ID_LEGACY_REFUSED);
    /* Disability certificates: the ID plus category 1-7 and grade 1-4 (and B<n>). */
    ck_assert_int_eq(idc("11010519491231002X42", 0, &r), UPL_ID_OK);
    ck_assert(r.flags & UPL_IDF_DISABILITY);
    ck_assert_str_eq(r.person, "11010519491231002X");
    ck_assert_str_eq(r.masked, "110105**********2X42");
    ck_assert_int_eq(idc("11010519491231002X42B1", 0, &r), UPL_ID_OK);
    ck_assert_int_eq(idc("11010519491231002X82", 0, &r), UPL_ID_BAD_SUFFIX);
    ck_assert_int_eq(idc("11010519491231002142", 0, &r), UPL_ID_BAD_CHECK);
}
END_TEST

/* ---- import of the county fixture ------------------------------------------- */
static char *copy_fixture(const char *name) {
    char *src = unit_data_path(name);
    size_t n;
    char *data = unit_read_file(src, &n);
    ck_assert_ptr_nonnull(data);
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    char *dst = unit_tmp_path(base);
    ck_assert_int_eq(unit_write_file(dst, data, n), 0);
    free(data);
    free(src);
    return dst;
}

static char *grep_file(const char *path, const char *needle) {
    size_t n;
    char *data = unit_read_file(path, &n);
    ck_assert_ptr_nonnull(data);
    char *hit = strstr(data, needle);
    char *line = NULL;
    if (hit) {
        char *b = hit, *e = hit;
        while (b > data && b[-1] != '\n') b--;
        while (*e && *e != '\n') e++;
        line = strndup(b, (size_t)(e - b));
    }
    free(data);
    return line;
}

START_TEST(test_import_fixture) {
    int be = _i;
    if (!reg_backend_available(be, "import_fixture")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "fix", &uri, &key);
    char *csv = copy_fixture("registry/county_2023.csv");
    upl_import_summary s = reg_import_ok(r, csv, 0);
    /* 18 data rows: H005 (Excel-mangled ID) is refused by the reader; H003
     * (size 3, 2 rows), H004 (two heads), H006 (check character) and H011
     * (birth date vs ID) are quarantined whole; H009's repeated identical
     * row is folded; H001/H008 share a person (conflict). */
    ck_assert_int_eq(s.wave, 2023);
    ck_assert_uint_eq(s.rows_read, 18);
    ck_assert_uint_eq(s.rows_accepted, 11);
    ck_assert_uint_eq(s.rows_quarantined, 7);
    ck_assert_uint_eq(s.households_accepted, 6);
    ck_assert_uint_eq(s.households_quarantined, 4);
    ck_assert_uint_eq(s.households_new, 6);
    ck_assert_uint_eq(s.conflicts, 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_READ_REJECT], 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_SIZE_MISMATCH], 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_HEAD_COUNT], 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_ID_INVALID], 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_DATE_MISMATCH], 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_ID_NORMALISED], 2);
    ck_assert_uint_eq(s.by_code[UPL_IMP_ID_LEGACY_15], 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_DUP_IN_HOUSEHOLD], 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_SEX_MISMATCH], 1);
    ck_assert_int_eq(reg_stat(r, "households"), 6);
    ck_assert_int_eq(reg_stat(r, "members"), 10);     /* 11 accepted rows, one folded duplicate */
    ck_assert_int_eq(reg_stat(r, "conflicts"), 1);
    ck_assert_int_eq(reg_stat(r, "quarantined_rows"), 6); /* the reader's reject is in the rejects file only */
    /* Rejects file: physical lines, fields, codes (item 3 from the reader, 5, 9). */
    char *rej = NULL;
    if (asprintf(&rej, "%s.rejects.csv", csv) < 0) ck_abort();
    char *l = grep_file(rej, ",ID_EXCEL_MANGLED,");
    ck_assert_ptr_nonnull(l);
    ck_assert_msg(strstr(l, ",11,") != NULL, "mangled ID line: %s", l);
    free(l);
    l = grep_file(rej, ",SIZE_MISMATCH,");
    ck_assert_ptr_nonnull(l);
    ck_assert_msg(strstr(l, ",7,") && strstr(l, "household_size is 3 but the file has 2"), "%s", l);
    free(l);
    l = grep_file(rej, ",ID_INVALID,");
    ck_assert_msg(l && strstr(l, ",12,") && strstr(l, "ID_BAD_CHECK"), "%s", l ? l : "(none)");
    free(l);
    l = grep_file(rej, ",DATE_MISMATCH,");
    ck_assert_msg(l && strstr(l, ",19,") && strstr(l, "1992-02-02"), "%s", l ? l : "(none)");
    free(l);
    l = grep_file(rej, "H003 quarantined whole");
    ck_assert_msg(l && strstr(l, ",8,"), "%s", l ? l : "(none)");
    free(l);
    l = grep_file(rej, ",HEAD_COUNT,");
    ck_assert_ptr_nonnull(l);
    free(l);
    /* Conflict: the same person in H001 (110105001001) and H008 (110105002001),
     * escalated to their common county 110105. */
    upl_table *t = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_registry_conflicts(r, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    size_t n;
    const char *v = upl_col_str(upl_table_find(t, "household_a"), 0, &n);
    ck_assert(is(v, n, "H001"));
    v = upl_col_str(upl_table_find(t, "escalate_to"), 0, &n);
    ck_assert_int_eq((int)n, 6);
    ck_assert_int_eq(strncmp(v, "110105", 6), 0);
    v = upl_col_str(upl_table_find(t, "kind"), 0, &n);
    ck_assert(is(v, n, "same_person_two_areas"));
    v = upl_col_str(upl_table_find(t, "id_masked"), 0, &n);
    ck_assert(is(v, n, "110105********0019"));
    upl_table_free(t);
    /* Members read back masked; normalised and converted IDs stored normalised. */
    ck_assert_int_eq(upl_registry_members(r, 2023, NULL, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 10);
    upl_column *ids = upl_table_find(t, "id_masked");
    bool saw_full_width = false, saw_legacy = false;
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        v = upl_col_str(ids, i, &n);
        ck_assert_int_eq((int)n, 18);
        ck_assert_int_eq(strncmp(v + 6, "********", 8), 0);
        if (is(v, n, "110105********004X")) saw_full_width = true;
        if (is(v, n, "110105********0662")) saw_legacy = true;
    }
    ck_assert(saw_full_width && saw_legacy);
    upl_table_free(t);
    /* Find by ID in any cosmetic form (blind index). */
    ck_assert_int_eq(upl_registry_find_id(r, "110105 19500315 0019", &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 2);
    upl_table_free(t);
    ck_assert_int_eq(upl_registry_check(r, &err), UPL_OK);
    /* Idempotent: the same bytes again do nothing. */
    upl_import_summary s2 = reg_import_ok(r, csv, 0);
    ck_assert(s2.already_imported);
    ck_assert_int_eq(s2.import_id, s.import_id);
    ck_assert_int_eq(reg_stat(r, "imports"), 1);
    upl_registry_close(r);
    /* No ID number or phone in clear in the SQLite file. */
    if (be == BACKEND_SQLITE) {
        size_t len;
        char *db = unit_read_file(uri, &len);
        ck_assert_ptr_nonnull(db);
        ck_assert_ptr_null(memmem(db, len, "110105195003150019", 18));
        ck_assert_ptr_null(memmem(db, len, "11010519491231002X", 18));
        ck_assert_ptr_null(memmem(db, len, "13800138000", 11));
        free(db);
    }
    free(rej); free(csv); free(uri); free(key);
}
END_TEST

/* A corrected file: H003 fixed, H001's income changed -> updated in place, audited with before/after. */
START_TEST(test_import_correction) {
    int be = _i;
    if (!reg_backend_available(be, "import_correction")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "corr", &uri, &key);
    char *csv = copy_fixture("registry/county_2023.csv");
    (void)reg_import_ok(r, csv, 0);
    size_t n;
    char *data = unit_read_file(csv, &n);
    /* H003 declares 2 members; H001's income 8200.50 -> 9100 */
    char *p = strstr(data, "H003,110105001001,朝阳村,赵一,,2023,3");
    ck_assert_ptr_nonnull(p);
    p[strlen("H003,110105001001,朝阳村,赵一,,2023,")] = '2';
    p = strstr(p + 1, "H003,110105001001,朝阳村,赵一,,2023,3");
    ck_assert_ptr_nonnull(p);
    p[strlen("H003,110105001001,朝阳村,赵一,,2023,")] = '2';
    for (p = strstr(data, "8200.50"); p; p = strstr(p, "8200.50")) memcpy(p, "9100.00", 7);
    char *csv2 = unit_tmp_path("county_2023_fixed.csv");
    ck_assert_int_eq(unit_write_file(csv2, data, n), 0);
    free(data);
    upl_import_summary s2 = reg_import_ok(r, csv2, 0);
    ck_assert(!s2.already_imported);
    ck_assert_uint_eq(s2.households_accepted, 7);
    ck_assert_uint_eq(s2.households_new, 1);          /* H003 */
    ck_assert_uint_eq(s2.households_updated, 6);
    ck_assert_int_eq(reg_stat(r, "households"), 7);
    ck_assert_int_eq(reg_stat(r, "members"), 12);
    ck_assert_int_eq(reg_stat(r, "conflicts"), 1);     /* same pair, recorded once */
    /* The audit has H001's change with the exact before/after in fen. */
    upl_table *t = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_audit_list(r, 0, &t, &err), UPL_OK);
    upl_column *act = upl_table_find(t, "action"), *obj = upl_table_find(t, "object"),
               *bef = upl_table_find(t, "before"), *aft = upl_table_find(t, "after");
    bool found = false;
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        const char *a = upl_col_str(act, i, &n);
        if (!is(a, n, "household.update")) continue;
        const char *o = upl_col_str(obj, i, &n);
        if (!is(o, n, "household:H001:2023")) continue;
        const char *b = upl_col_str(bef, i, &n);
        ck_assert_msg(memmem(b, n, "\"income_net\":\"820050\"", 21) != NULL, "%.*s", (int)n, b);
        const char *af = upl_col_str(aft, i, &n);
        ck_assert_msg(memmem(af, n, "\"income_net\":\"910000\"", 21) != NULL, "%.*s", (int)n, af);
        found = true;
    }
    ck_assert(found);
    upl_table_free(t);
    upl_audit_report rep;
    ck_assert_int_eq(upl_audit_verify(r, &rep, &err), UPL_OK);
    ck_assert_int_eq(upl_registry_check(r, &err), UPL_OK);
    upl_registry_close(r);
    free(csv); free(csv2); free(uri); free(key);
}
END_TEST

/* Catalogue item 19: rows outside the clerk's township are refused and audited. */
START_TEST(test_import_scope) {
    int be = _i;
    if (!reg_backend_available(be, "import_scope")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "scope", &uri, &key);
    upl_error err = {0};
    ck_assert_int_eq(upl_account_add(r, "clerk1", "correct horse battery", UPL_ROLE_CLERK, "110105001", &err), UPL_OK);
    ck_assert_int_eq(upl_account_add(r, "viewer1", "correct horse battery", UPL_ROLE_VIEWER, "110105001001", &err),
                     UPL_OK);
    /* Wrong password: generic failure, audited. */
    ck_assert_int_eq(upl_registry_login(r, "clerk1", "wrong password", &err), UPL_EAUTH);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_registry_login(r, "nobody", "whatever123", &err), UPL_EAUTH);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_registry_login(r, "clerk1", "correct horse battery", &err), UPL_OK);
    ck_assert_str_eq(upl_registry_actor_scope(r), "110105001");
    /* A clerk cannot add accounts. */
    ck_assert_int_eq(upl_account_add(r, "x", "password123", UPL_ROLE_VIEWER, "110105001", &err), UPL_EAUTH);
    upl_error_clear(&err);
    char *csv = copy_fixture("registry/county_2023.csv");
    upl_import_summary s = reg_import_ok(r, csv, 0);
    /* H008 (110105002001) and H010 (110106001001) are outside 110105001. */
    ck_assert_uint_eq(s.by_code[UPL_IMP_OUT_OF_SCOPE], 2);
    ck_assert_uint_eq(s.households_accepted, 4);
    ck_assert_uint_eq(s.conflicts, 0);
    char *rej = NULL;
    if (asprintf(&rej, "%s.rejects.csv", csv) < 0) ck_abort();
    char *l = grep_file(rej, ",OUT_OF_SCOPE,");
    ck_assert_msg(l && strstr(l, "110105002001"), "%s", l ? l : "(none)");
    free(l);
    /* The viewer of one village sees only it, and cannot import. */
    ck_assert_int_eq(upl_registry_login(r, "viewer1", "correct horse battery", &err), UPL_OK);
    upl_table *t = NULL;
    ck_assert_int_eq(upl_registry_members(r, 2023, NULL, &t, &err), UPL_OK);
    upl_column *areas = upl_table_find(t, "area_code");
    ck_assert_uint_eq(upl_table_n_rows(t), 8);  /* H001 3, H002 2, H007 1, H009 2 */
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        size_t n;
        const char *a = upl_col_str(areas, i, &n);
        ck_assert_int_eq(strncmp(a, "110105001001", 12), 0);
    }
    upl_table_free(t);
    ck_assert_int_eq(upl_registry_members(r, 2023, "110106", &t, &err), UPL_EAUTH);
    upl_error_clear(&err);
    ck_assert_int_eq(reg_stat(r, "households"), 4);
    upl_import_options o;
    upl_import_options_init(&o);
    ck_assert_int_eq(upl_registry_import(r, csv, &o, &s, &err), UPL_EAUTH);
    upl_error_clear(&err);
    /* The local operator sees the attempt in the audit log. */
    ck_assert_int_eq(upl_registry_act_local(r, "test", &err), UPL_OK);
    ck_assert_int_eq(upl_audit_list(r, 0, &t, &err), UPL_OK);
    upl_column *act = upl_table_find(t, "action");
    int n_scope = 0, n_failed = 0;
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        size_t n;
        const char *a = upl_col_str(act, i, &n);
        if (is(a, n, "import.out_of_scope")) n_scope++;
        if (is(a, n, "auth.login_failed")) n_failed++;
    }
    ck_assert_int_eq(n_scope, 1);
    ck_assert_int_eq(n_failed, 2);
    upl_table_free(t);
    upl_registry_close(r);
    free(rej); free(csv); free(uri); free(key);
}
END_TEST

/* Audit chain: any edit, deletion of a middle row or of the tail is detected. */
static void sqlite_exec(const char *path, const char *sql) {
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_close(db);
}

static void pg_exec_in(const char *uri, const char *sql) {
    PGconn *c = PQconnectdb(uri);
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    PGresult *res = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
}

static void tamper(int be, const char *uri, const char *sql_sqlite, const char *sql_pg) {
    if (be == BACKEND_SQLITE) sqlite_exec(uri, sql_sqlite);
    else pg_exec_in(uri, sql_pg);
}

START_TEST(test_audit_chain) {
    int be = _i;
    if (!reg_backend_available(be, "audit_chain")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "audit", &uri, &key);
    upl_error err = {0};
    for (int i = 0; i < 6; i++) {
        char obj[32];
        snprintf(obj, sizeof obj, "test:%d", i);
        ck_assert_int_eq(upl_audit_append(r, "test.event", obj, NULL, "{\"x\":1}", &err), UPL_OK);
    }
    upl_audit_report rep;
    ck_assert_int_eq(upl_audit_verify(r, &rep, &err), UPL_OK);
    ck_assert_uint_eq(rep.n_rows, 6);
    ck_assert_int_eq((int)strlen(rep.head_hash), 64);
    /* The database itself refuses UPDATE/DELETE on the log. */
    if (be == BACKEND_SQLITE) {
        sqlite3 *db;
        ck_assert_int_eq(sqlite3_open(uri, &db), SQLITE_OK);
        ck_assert_int_ne(sqlite3_exec(db, "UPDATE audit_log SET actor = 'x' WHERE seq = 2", NULL, NULL, NULL), SQLITE_OK);
        ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM audit_log WHERE seq = 2", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
    upl_registry_close(r);
    /* Someone going around the triggers: edit row 3. */
    tamper(be, uri, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
                    " UPDATE audit_log SET after_json = '{\"x\":2}' WHERE seq = 3",
           "DROP TRIGGER audit_log_append_only ON audit_log;"
           " UPDATE audit_log SET after_json = '{\"x\":2}' WHERE seq = 3");
    r = reg_reopen(uri, key);
    ck_assert_int_eq(upl_audit_verify(r, &rep, &err), UPL_ECORRUPT);
    ck_assert_int_eq(rep.first_bad_seq, 3);
    upl_error_clear(&err);
    upl_registry_close(r);
    /* Undo the edit: the chain is whole again. */
    tamper(be, uri, "UPDATE audit_log SET after_json = '{\"x\":1}' WHERE seq = 3",
           "UPDATE audit_log SET after_json = '{\"x\":1}' WHERE seq = 3");
    r = reg_reopen(uri, key);
    ck_assert_int_eq(upl_audit_verify(r, &rep, &err), UPL_OK);
    upl_registry_close(r);
    /* Delete a middle row. */
    tamper(be, uri, "CREATE TABLE saved AS SELECT * FROM audit_log WHERE seq = 4; DELETE FROM audit_log WHERE seq = 4",
           "CREATE TABLE saved AS SELECT * FROM audit_log WHERE seq = 4; DELETE FROM audit_log WHERE seq = 4");
    r = reg_reopen(uri, key);
    ck_assert_int_eq(upl_audit_verify(r, &rep, &err), UPL_ECORRUPT);
    ck_assert_int_eq(rep.first_bad_seq, 4);
    ck_assert_msg(strstr(upl_error_message(&err), "deleted") != NULL, "%s", upl_error_message(&err));
    upl_error_clear(&err);
    upl_registry_close(r);
    tamper(be, uri, "INSERT INTO audit_log SELECT * FROM saved", "INSERT INTO audit_log SELECT * FROM saved");
    /* Delete the tail. */
    tamper(be, uri, "DELETE FROM audit_log WHERE seq = 6", "DELETE FROM audit_log WHERE seq = 6");
    r = reg_reopen(uri, key);
    ck_assert_int_eq(upl_audit_verify(r, &rep, &err), UPL_ECORRUPT);
    ck_assert_int_eq(rep.first_bad_seq, 6);
    upl_error_clear(&err);
    upl_registry_close(r);
    free(uri); free(key);
}
END_TEST

/* The key file: wrong key refused; loose permissions refused. */
START_TEST(test_key_file) {
    char *uri, *key;
    upl_registry *r = reg_open_fresh(BACKEND_SQLITE, "key", &uri, &key);
    upl_registry_close(r);
    struct stat sb;
    ck_assert_int_eq(stat(key, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    char *other = unit_tmp_path("other.key");
    upl_registry_options o;
    upl_registry_options_init(&o);
    o.key_file = other;
    o.create_key = true;
    upl_error err = {0};
    /* No new key is made for a registry that already has one. */
    ck_assert_int_eq(upl_registry_open(uri, &o, &r, &err), UPL_ENOTFOUND);
    ck_assert_ptr_null(r);
    upl_error_clear(&err);
    ck_assert_int_ne(access(other, F_OK), 0);
    /* Another key: refused, nothing written with it. */
    const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
    ck_assert_int_eq(unit_write_file(other, hex, strlen(hex)), 0);
    ck_assert_int_eq(chmod(other, 0600), 0);
    ck_assert_int_eq(upl_registry_open(uri, &o, &r, &err), UPL_EAUTH);
    ck_assert_ptr_null(r);
    upl_error_clear(&err);
    ck_assert_int_eq(chmod(key, 0644), 0);
    o.key_file = key;
    ck_assert_int_eq(upl_registry_open(uri, &o, &r, &err), UPL_EAUTH);
    ck_assert_msg(strstr(upl_error_message(&err), "chmod 600") != NULL, "%s", upl_error_message(&err));
    upl_error_clear(&err);
    free(uri); free(key); free(other);
}
END_TEST

/* Required columns missing: a file-level error before any row. */
START_TEST(test_import_missing_columns) {
    int be = _i;
    if (!reg_backend_available(be, "import_missing_columns")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "miss", &uri, &key);
    char *csv = unit_tmp_path("missing.csv");
    const char *text = "household_code,area_code,name,id_number\nH1,110105001001,张三,11010519491231002X\n";
    ck_assert_int_eq(unit_write_file(csv, text, strlen(text)), 0);
    upl_import_options o;
    upl_import_options_init(&o);
    o.wave = 2023;
    upl_import_summary s;
    upl_error err = {0};
    ck_assert_int_eq(upl_registry_import(r, csv, &o, &s, &err), UPL_ESCHEMA);
    const char *m = upl_error_message(&err);
    ck_assert_msg(strstr(m, "household_size") && strstr(m, "relation_to_head") && strstr(m, ":1:"), "%s", m);
    upl_error_clear(&err);
    ck_assert_int_eq(reg_stat(r, "households"), 0);
    ck_assert_int_eq(reg_stat(r, "imports"), 0);
    upl_registry_close(r);
    free(csv); free(uri); free(key);
}
END_TEST

/* ---- cases ---------------------------------------------------------------------- */
static upl_registry *fixture_registry(int be, const char *tag, char **uri, char **key) {
    upl_registry *r = reg_open_fresh(be, tag, uri, key);
    char *csv = copy_fixture("registry/county_2023.csv");
    (void)reg_import_ok(r, csv, 0);
    free(csv);
    return r;
}

static const char *table_str(upl_table *t, const char *col, size_t row, char *buf, size_t cap) {
    upl_column *c = upl_table_find(t, col);
    ck_assert_ptr_nonnull(c);
    size_t n = 0;
    const char *v = upl_col_is_valid(c, row) ? upl_col_str(c, row, &n) : "";
    snprintf(buf, cap, "%.*s", (int)n, v);
    return buf;
}

START_TEST(test_case_exit_workflow) {
    int be = _i;
    if (!reg_backend_available(be, "case_exit_workflow")) return;
    char *uri, *key;
    upl_registry *r = fixture_registry(be, "case", &uri, &key);
    upl_error err = {0};
    int64_t id = 0;
    char buf[256];
    ck_assert_int_eq(upl_case_open(r, UPL_CASE_EXIT, "H001", 2023, NULL, &id, &err), UPL_OK);
    ck_assert_int_eq(upl_case_open(r, UPL_CASE_EXIT, "H001", 2023, NULL, &id, &err), UPL_EEXISTS);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_case_open(r, UPL_CASE_EXIT, "H404", 2023, NULL, &id, &err), UPL_ENOTFOUND);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_case_step(r, id, "verification", "pass", "2023-10-01", NULL, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_case_step(r, id, "proposal", "pass", "2023-10-01", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "verification", "pass", "2023-10-02", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "household_consent", "objection", "2023-10-03", NULL, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_case_step(r, id, "household_consent", "pass", "2023-10-03", NULL, &err), UPL_OK);
    /* Objection during the notice: held until an objection review. */
    ck_assert_int_eq(upl_case_step(r, id, "notice", "pass", "2023-10-04", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "notice", "objection", "2023-10-06", "村民异议", &err), UPL_EMISUSE);
    upl_error_clear(&err);
    /* Public notice while the notice runs: only public fields. */
    char *np = unit_tmp_path("notice.csv");
    FILE *f = fopen(np, "w");
    ck_assert_int_eq(upl_case_notice(r, NULL, "csv", f, &err), UPL_OK);
    fclose(f);
    size_t n;
    char *text = unit_read_file(np, &n);
    ck_assert_msg(strstr(text, "H001,张伟,朝阳村,110105001001,3,贫困户退出 exit,因病,2023-10-04,2023-10-11\n") != NULL, "%s", text);
    for (size_t i = 0; i + 17 < n; i++) {      /* no 18-character ID, no phone */
        size_t k = 0;
        while (k < 18 && ((text[i + k] >= '0' && text[i + k] <= '9') || (k == 17 && text[i + k] == 'X'))) k++;
        ck_assert_msg(k < 18, "ID-like run in the notice at %zu", i);
    }
    ck_assert_ptr_null(strstr(text, "13800138000"));
    ck_assert_ptr_null(strstr(text, "长期慢性病"));
    free(text);
    /* Seven days (2023-10-04 + 7 = 2023-10-11). */
    ck_assert_int_eq(upl_case_step(r, id, "township_review", "pass", "2023-10-10", NULL, &err), UPL_ERANGE);
    ck_assert_msg(strstr(upl_error_message(&err), "2023-10-11") != NULL, "%s", upl_error_message(&err));
    upl_error_clear(&err);
    /* A clerk may not review. */
    ck_assert_int_eq(upl_account_add(r, "clerk2", "correct horse battery", UPL_ROLE_CLERK, "110105001", &err), UPL_OK);
    ck_assert_int_eq(upl_account_add(r, "town", "correct horse battery", UPL_ROLE_REVIEWER, "110105001", &err), UPL_OK);
    ck_assert_int_eq(upl_registry_login(r, "clerk2", "correct horse battery", &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "township_review", "pass", "2023-10-11", NULL, &err), UPL_EAUTH);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_registry_login(r, "town", "correct horse battery", &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "township_review", "pass", "2023-10-11", NULL, &err), UPL_OK);
    /* A township reviewer may not give county approval. */
    ck_assert_int_eq(upl_case_step(r, id, "county_approval", "pass", "2023-10-12", NULL, &err), UPL_EAUTH);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_registry_act_local(r, "county", &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "county_approval", "pass", "2023-10-12", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "removed", "pass", "2023-10-13", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "removed", "pass", "2023-10-13", NULL, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    /* Effect on the wave, and the history with actors. */
    upl_table *t = NULL;
    ck_assert_int_eq(upl_registry_members(r, 2023, "110105001001", &t, &err), UPL_OK);
    for (size_t i = 0; i < upl_table_n_rows(t); i++)
        if (!strcmp(table_str(t, "household_code", i, buf, sizeof buf), "H001"))
            ck_assert_str_eq(table_str(t, "exit_status", i, buf, sizeof buf), "脱贫");
    upl_table_free(t);
    ck_assert_int_eq(upl_case_history(r, id, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 7);
    ck_assert_str_eq(table_str(t, "actor", 4, buf, sizeof buf), "town");
    ck_assert_str_eq(table_str(t, "step", 4, buf, sizeof buf), "township_review");
    upl_table_free(t);
    ck_assert_int_eq(upl_case_list(r, &t, &err), UPL_OK);
    ck_assert_str_eq(table_str(t, "state", 0, buf, sizeof buf), "completed");
    upl_table_free(t);
    upl_audit_report rep;
    ck_assert_int_eq(upl_audit_verify(r, &rep, &err), UPL_OK);
    upl_registry_close(r);
    free(np); free(uri); free(key);
}
END_TEST

START_TEST(test_case_objection_compare_monitor) {
    int be = _i;
    if (!reg_backend_available(be, "case_objection_compare_monitor")) return;
    char *uri, *key;
    upl_registry *r = fixture_registry(be, "case2", &uri, &key);
    upl_error err = {0};
    int64_t id = 0, mid = 0;
    char buf[256];
    /* Identification of H002 with a data comparison hit on the head. */
    ck_assert_int_eq(upl_case_open(r, UPL_CASE_IDENTIFY, "H002", 2023, NULL, &id, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "application", "pass", "2023-03-01", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "village_appraisal", "pass", "2023-03-02", NULL, &err), UPL_OK);
    char *list = unit_tmp_path("payroll.csv");
    const char *text = "id_number,unit\n110105198211110040,x\n11010519821111004X,县某局\n";
    ck_assert_int_eq(unit_write_file(list, text, strlen(text)), 0);
    const char *lists[] = { list };
    uint64_t hits = 0;
    ck_assert_int_eq(upl_case_compare(r, id, lists, 1, &hits, &err), UPL_OK);
    ck_assert_uint_eq(hits, 1);
    upl_table *t = NULL;
    ck_assert_int_eq(upl_case_history(r, id, &t, &err), UPL_OK);
    ck_assert_str_eq(table_str(t, "outcome", 2, buf, sizeof buf), "flagged");
    ck_assert_str_eq(table_str(t, "note", 2, buf, sizeof buf), "payroll.csv: 110105********004X");
    upl_table_free(t);
    ck_assert_int_eq(upl_account_add(r, "clerk3", "correct horse battery", UPL_ROLE_CLERK, "", &err), UPL_OK);
    ck_assert_int_eq(upl_registry_login(r, "clerk3", "correct horse battery", &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "data_comparison", "pass", "2023-03-05", NULL, &err), UPL_EAUTH);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_registry_act_local(r, "reviewer", &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "data_comparison", "pass", "2023-03-05", "工资在标准以下", &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "first_notice", "pass", "2023-03-06", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id, "first_notice", "objection", "2023-03-08", "异议", &err), UPL_EMISUSE);
    upl_error_clear(&err);
    /* The objection is raised on the notice step itself, in its period. */
    int64_t id2 = 0;
    ck_assert_int_eq(upl_case_open(r, UPL_CASE_ELIMINATE, "H009", 2023, NULL, &id2, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id2, "proposal", "pass", "2023-06-01", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id2, "verification", "pass", "2023-06-02", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id2, "notice", "objection", "2023-06-03", "有人反映收入不实", &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, id2, "township_review", "pass", "2023-06-20", NULL, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_case_step(r, id2, "objection_review", "fail", "2023-06-20", "异议属实", &err), UPL_OK);
    ck_assert_int_eq(upl_case_list(r, &t, &err), UPL_OK);
    ck_assert_str_eq(table_str(t, "state", 1, buf, sizeof buf), "rejected");
    upl_table_free(t);
    ck_assert_int_eq(upl_case_step(r, id2, "township_review", "pass", "2023-06-21", NULL, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    /* Monitoring: category required, 15-day deadline, 5-day notice, effect on the wave. */
    ck_assert_int_eq(upl_case_open(r, UPL_CASE_MONITOR, "H007", 2023, NULL, &mid, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_case_open(r, UPL_CASE_MONITOR, "H007", 2023, "突发严重困难户", &mid, &err), UPL_OK);
    const char *steps[] = { "application", "village_appraisal", "data_comparison", "notice" };
    const char *dates[] = { "2023-08-01", "2023-08-02", "2023-08-03", "2023-08-04" };
    for (int i = 0; i < 4; i++) ck_assert_int_eq(upl_case_step(r, mid, steps[i], "pass", dates[i], NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, mid, "township_review", "pass", "2023-08-08", NULL, &err), UPL_ERANGE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_case_step(r, mid, "township_review", "pass", "2023-08-09", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, mid, "county_approval", "pass", "2023-08-10", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_step(r, mid, "registered", "pass", "2023-08-11", NULL, &err), UPL_OK);
    ck_assert_int_eq(upl_case_list(r, &t, &err), UPL_OK);
    ck_assert_int_eq((int)strlen(table_str(t, "deadline", 2, buf, sizeof buf)), 10);
    upl_table_free(t);
    ck_assert_int_eq(upl_registry_members(r, 2023, NULL, &t, &err), UPL_OK);
    for (size_t i = 0; i < upl_table_n_rows(t); i++)
        if (!strcmp(table_str(t, "household_code", i, buf, sizeof buf), "H007"))
            ck_assert_str_eq(table_str(t, "monitoring_category", i, buf, sizeof buf), "突发严重困难户");
    upl_table_free(t);
    upl_registry_close(r);
    free(list); free(uri); free(key);
}
END_TEST

/* ---- assistance ------------------------------------------------------------------ */
START_TEST(test_assist_coverage) {
    int be = _i;
    if (!reg_backend_available(be, "assist_coverage")) return;
    char *uri, *key;
    upl_registry *r = fixture_registry(be, "assist", &uri, &key);
    upl_error err = {0};
    upl_table *t = NULL;
    char buf[256];
    /* Accepted households and their causes: H001 因病 + 缺技术,缺资金; H002 因残; H007 缺资金;
     * H008 因病; H009 缺技术; H010 因病. No measures yet: 8 uncovered causes. */
    ck_assert_int_eq(upl_assist_coverage(r, 2023, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 8);
    upl_table_free(t);
    int64_t id;
    upl_measure m = { "H001", 2023, "medical", 120050, "2023-05-01", "王书记", NULL, false };
    ck_assert_int_eq(upl_assist_add(r, &m, &id, &err), UPL_OK);
    upl_measure m2 = { "H001", 2023, "microcredit", 5000000, "2023-05-02", "李主任", NULL, true };   /* planned only */
    ck_assert_int_eq(upl_assist_add(r, &m2, &id, &err), UPL_OK);
    upl_measure m3 = { "H009", 2023, "skills_training", -1, "2023-06-01", "赵老师", "电工培训", false };
    ck_assert_int_eq(upl_assist_add(r, &m3, &id, &err), UPL_OK);
    upl_measure bad = { "H001", 2023, "magic", 1, "2023-05-01", NULL, NULL, false };
    ck_assert_int_eq(upl_assist_add(r, &bad, &id, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_assist_coverage(r, 2023, &t, &err), UPL_OK);
    /* H001 因病 and H009 缺技术 are now covered; H001 缺资金 only has a plan. */
    ck_assert_uint_eq(upl_table_n_rows(t), 6);
    bool h001_funds = false;
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        char code[32];
        table_str(t, "household_code", i, code, sizeof code);
        table_str(t, "cause", i, buf, sizeof buf);
        ck_assert_msg(!(strcmp(code, "H001") == 0 && strcmp(buf, "因病") == 0), "H001 因病 still uncovered");
        ck_assert_msg(strcmp(code, "H009") != 0, "H009 still uncovered");
        if (!strcmp(code, "H001") && !strcmp(buf, "缺资金")) h001_funds = true;
    }
    ck_assert(h001_funds);
    upl_table_free(t);
    /* Events (shocks) within scope and dates. */
    ck_assert_int_eq(upl_event_add(r, "H002", "illness", "2023-07-01", 3500000, "住院", &id, &err), UPL_OK);
    ck_assert_int_eq(upl_event_add(r, "H007", "disaster", "2023-08-15", -1, NULL, &id, &err), UPL_OK);
    ck_assert_int_eq(upl_event_add(r, "H007", "flood", "2023-08-15", -1, NULL, &id, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_event_list(r, "2023-07-15", NULL, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    ck_assert_str_eq(table_str(t, "household_code", 0, buf, sizeof buf), "H007");
    ck_assert(!upl_col_is_valid(upl_table_find(t, "loss_fen"), 0));
    upl_table_free(t);
    ck_assert_int_eq(upl_assist_list(r, 2023, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 3);
    ck_assert_int_eq(upl_table_find(t, "amount_fen")->v.i64[0], 120050);
    ck_assert_str_eq(table_str(t, "batch", 0, buf, sizeof buf), "社会保障兜底一批");
    upl_table_free(t);
    upl_registry_close(r);
    free(uri); free(key);
}
END_TEST

/* Chinese headers through a profile's column mapping (REGISTRY_FIELDS.md aliases, unit in a header). */
START_TEST(test_import_profile) {
    int be = _i;
    if (!reg_backend_available(be, "import_profile")) return;
    if (access("profiles/china-2014-targeted.yaml", R_OK) != 0) {
        fprintf(stderr, "SKIP import_profile: run from the repository root (profiles/)\n");
        return;
    }
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "prof", &uri, &key);
    char *csv = copy_fixture("registry/county_2023_zh.csv");
    upl_import_options o;
    upl_import_options_init(&o);
    o.today = 20240101;
    o.profile_path = "profiles/china-2014-targeted.yaml";
    upl_import_summary s;
    upl_error err = {0};
    ck_assert_msg(upl_registry_import(r, csv, &o, &s, &err) == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_int_eq(s.wave, 2023);                  /* from 年度 */
    ck_assert_uint_eq(s.rows_accepted, 6);
    ck_assert_uint_eq(s.households_accepted, 3);
    ck_assert_uint_eq(s.by_code[UPL_IMP_ID_NORMALISED], 2);
    ck_assert_uint_eq(s.by_code[UPL_IMP_ID_LEGACY_15], 1);
    upl_table *t = NULL;
    ck_assert_int_eq(upl_registry_members(r, 2023, NULL, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 6);
    /* 家庭纯收入（元） 8200.50 -> 820050 fen */
    ck_assert_int_eq(upl_table_find(t, "income_net")->v.i64[0], 820050);
    char buf[64];
    ck_assert_str_eq(table_str(t, "other_poverty_causes", 0, buf, sizeof buf), "缺技术,缺资金");
    upl_table_free(t);
    upl_registry_close(r);
    free(csv); free(uri); free(key);
}
END_TEST

/* Versioned code lists: aliases mapped to the current label, unknown labels kept and warned. */
START_TEST(test_code_lists) {
    const char *out;
    bool alias;
    ck_assert_int_eq(upl_code_normalise("main_poverty_cause", "缺劳动力", strlen("缺劳动力"), &out, &alias), UPL_OK);
    ck_assert_str_eq(out, "缺劳力");
    ck_assert(alias);
    ck_assert_int_eq(upl_code_normalise("other_poverty_causes", "8", 1, &out, &alias), UPL_OK);   /* C2 numbering */
    ck_assert_str_eq(out, "缺劳力");
    ck_assert_int_eq(upl_code_normalise("relation_to_head", "户主", strlen("户主"), &out, &alias), UPL_OK);
    ck_assert(!alias);
    ck_assert_int_eq(upl_code_normalise("monitoring_category",
                                        "因病因灾因意外事故等刚性支出较大或收入大幅缩减导致基本生活出现严重困难户",
                                        strlen("因病因灾因意外事故等刚性支出较大或收入大幅缩减导致基本生活出现严重困难户"),
                                        &out, &alias), UPL_OK);
    ck_assert_str_eq(out, "突发严重困难户");
    ck_assert_int_eq(upl_code_normalise("labor_skill", "超人", strlen("超人"), &out, &alias), UPL_ENOTFOUND);
    ck_assert_int_eq(upl_code_normalise("name", "张三", strlen("张三"), &out, &alias), UPL_EUNSUPPORTED);

    char *uri, *key;
    upl_registry *r = reg_open_fresh(BACKEND_SQLITE, "codes", &uri, &key);
    char *csv = unit_tmp_path("codes.csv");
    char id1[19], id2[19];
    reg_make_id("11010519600101001", id1);
    reg_make_id("11010519620202002", id2);
    char text[1024];
    snprintf(text, sizeof text,
             "household_code,area_code,household_size,main_poverty_cause,other_poverty_causes,poverty_attribute,"
             "name,sex,id_number,relation_to_head,health_status,labor_skill\n"
             "K1,110105001001,2,缺劳动力,\"7、交通落后\",XX户,甲,男性,%s,本人,大病,半劳动力\n"
             "K1,110105001001,2,缺劳动力,\"7、交通落后\",XX户,乙,女,%s,配偶,\"健康\",普通劳动力\n", id1, id2);
    ck_assert_int_eq(unit_write_file(csv, text, strlen(text)), 0);
    upl_import_options o;
    upl_import_options_init(&o);
    o.wave = 2020;
    upl_import_summary sum;
    upl_error err = {0};
    ck_assert_msg(upl_registry_import(r, csv, &o, &sum, &err) == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_uint_eq(sum.households_accepted, 1);
    /* 缺劳动力, 7, 交通落后, 男性, 本人, 大病, 半劳动力 are aliases; XX户 unknown */
    ck_assert_uint_eq(sum.by_code[UPL_IMP_CODE_ALIAS], 7);
    ck_assert_uint_eq(sum.by_code[UPL_IMP_CODE_UNKNOWN], 1);
    upl_table *t = NULL;
    ck_assert_int_eq(upl_registry_members(r, 2020, NULL, &t, &err), UPL_OK);
    char buf[128];
    ck_assert_str_eq(table_str(t, "main_poverty_cause", 0, buf, sizeof buf), "缺劳力");
    ck_assert_str_eq(table_str(t, "other_poverty_causes", 0, buf, sizeof buf), "缺技术,交通条件落后");
    ck_assert_str_eq(table_str(t, "poverty_attribute", 0, buf, sizeof buf), "XX户");
    ck_assert_str_eq(table_str(t, "relation_to_head", 0, buf, sizeof buf), "户主");
    ck_assert_str_eq(table_str(t, "health_status", 0, buf, sizeof buf), "患有大病");
    ck_assert_str_eq(table_str(t, "labor_skill", 0, buf, sizeof buf), "弱劳动力或半劳动力");
    ck_assert_str_eq(table_str(t, "sex", 0, buf, sizeof buf), "男");
    upl_table_free(t);
    char *warn = NULL;
    if (asprintf(&warn, "%s.warnings.csv", csv) < 0) ck_abort();
    char *l = grep_file(warn, ",CODE_UNKNOWN,");
    ck_assert_msg(l && strstr(l, "poverty_attribute") && strstr(l, "XX户"), "%s", l ? l : "(none)");
    free(l);
    upl_registry_close(r);
    free(warn); free(csv); free(uri); free(key);
}
END_TEST

/* A bulk import into a (nearly) empty registry drops the blind and area
 * indexes (and on PostgreSQL the foreign keys of the four tables it writes)
 * inside its transaction and rebuilds them before the conflict query
 * (registry_import.c, defer_indexes). Checked: the indexes are back
 * with their migration's definitions after a successful import, still there
 * (with nothing imported) after an import that fails after the drop, and a
 * small import into a larger registry (the ordinary path) still finds
 * conflicts through the index. */
static char *sqlite_text_col(const char *path, const char *sql, int col) {
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    char *out = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, col))
        out = strdup((const char *)sqlite3_column_text(st, col));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}
static char *sqlite_text(const char *path, const char *sql) { return sqlite_text_col(path, sql, 0); }

/* PostgreSQL: the first column of the first row of a query in the test schema. */
static char *pg_text(const char *uri, const char *sql) {
    PGconn *c = PQconnectdb(uri);
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    PGresult *res = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    char *out = PQntuples(res) && !PQgetisnull(res, 0, 0) ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    PQfinish(c);
    return out;
}

static void check_indexes_present_pg(const char *uri) {
    char *a = pg_text(uri, "SELECT pg_get_indexdef(to_regclass('member_blind'))");
    char *b = pg_text(uri, "SELECT pg_get_indexdef(to_regclass('household_area'))");
    ck_assert_msg(a && strstr(a, "INDEX member_blind ON ") && strstr(a, "(id_blind)"), "%s", a ? a : "(missing)");
    ck_assert_msg(b && strstr(b, "INDEX household_area ON ") && strstr(b, "(area_code)"), "%s", b ? b : "(missing)");
    free(a); free(b);
    /* The seven foreign keys of the four tables an import writes (schema
     * migration 1), by name and definition. */
    char *fks = pg_text(uri, "SELECT string_agg(c.conrelid::regclass::text || ' ' || c.conname || ' ' ||"
                             " pg_get_constraintdef(c.oid), '; ' ORDER BY c.conname) FROM pg_constraint c"
                             " WHERE c.contype = 'f' AND c.conrelid IN (to_regclass('household'),"
                             " to_regclass('household_wave'), to_regclass('member'), to_regclass('member_wave'))");
    ck_assert_msg(fks && !strcmp(fks,
        "household household_import_id_fkey FOREIGN KEY (import_id) REFERENCES import_file(id); "
        "household_wave household_wave_household_id_fkey FOREIGN KEY (household_id) REFERENCES household(id); "
        "household_wave household_wave_import_id_fkey FOREIGN KEY (import_id) REFERENCES import_file(id); "
        "member member_household_id_fkey FOREIGN KEY (household_id) REFERENCES household(id); "
        "member_wave member_wave_household_id_fkey FOREIGN KEY (household_id) REFERENCES household(id); "
        "member_wave member_wave_import_id_fkey FOREIGN KEY (import_id) REFERENCES import_file(id); "
        "member_wave member_wave_member_id_fkey FOREIGN KEY (member_id) REFERENCES member(id)"), "%s", fks ? fks : "(none)");
    free(fks);
}

static void check_indexes_present(int be, const char *path) {
    if (be == BACKEND_PG) { check_indexes_present_pg(path); return; }
    char *a = sqlite_text(path, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'member_blind'");
    char *b = sqlite_text(path, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'household_area'");
    ck_assert_msg(a && !strcmp(a, "CREATE INDEX member_blind ON member(id_blind)"), "%s", a ? a : "(missing)");
    ck_assert_msg(b && !strcmp(b, "CREATE INDEX household_area ON household(area_code)"), "%s", b ? b : "(missing)");
    free(a); free(b);
    /* The planner uses the blind index for an exact lookup. */
    char *plan = sqlite_text_col(path, "EXPLAIN QUERY PLAN SELECT id FROM member WHERE id_blind = 'x'", 3);
    ck_assert_msg(plan && strstr(plan, "member_blind"), "%s", plan ? plan : "(no plan)");
    free(plan);
    char *ic = sqlite_text(path, "PRAGMA integrity_check");
    ck_assert_str_eq(ic, "ok");
    free(ic);
}

START_TEST(test_import_bulk_indexes) {
    int be = _i;
    if (!reg_backend_available(be, "import_bulk_indexes")) return;
    char *uri, *key;
    upl_registry *r = reg_open_fresh(be, "bulkidx", &uri, &key);
    upl_error err = {0};
    upl_import_summary s;
    /* 1. An import that fails after the indexes were dropped: a household
     *    is quarantined (size 3, two rows) and its rejects file cannot be
     *    written, so nothing is imported and the schema is as before. The
     *    table is given directly (the reader would fail on the rejects file
     *    before the import starts). */
    static const char *const cols[] = { "household_code", "area_code", "household_size", "person_code", "name",
                                        "sex", "id_number", "relation_to_head" };
    static const char *const rows[3][8] = {
        { "H901", "110105001001", "3", "P90101", "张伟", "男", "110105195003150019", "户主" },
        { "H901", "110105001001", "3", "P90102", "王芳", "女", "11010519491231002X", "配偶" },
        { "H902", "110105001001", "1", "P90201", "李娜", "女", "110105198211110058", "户主" },
    };
    upl_table *t = upl_table_new();
    ck_assert_ptr_nonnull(t);
    for (int c = 0; c < 8; c++) {
        upl_column *col = NULL;
        ck_assert_int_eq(upl_table_add_column(t, cols[c], UPL_STR, &col, &err), UPL_OK);
        for (int i = 0; i < 3; i++) ck_assert_int_eq(upl_col_push_str(col, rows[i][c], strlen(rows[i][c])), UPL_OK);
    }
    upl_import_options o;
    upl_import_options_init(&o);
    o.today = 20240101;
    o.wave = 2023;
    o.rejects_path = "/nonexistent-dir-uplift/rejects.csv";
    static const char sha[] = "00000000000000000000000000000000000000000000000000000000000000b1";
    ck_assert_int_eq(upl_registry_import_table(r, t, "bulk.csv", sha, &o, &s, &err), UPL_EIO);
    ck_assert_msg(strstr(upl_error_message(&err), "rejects"), "%s", upl_error_message(&err));
    upl_error_clear(&err);
    ck_assert_int_eq(reg_stat(r, "households"), 0);
    ck_assert_int_eq(reg_stat(r, "imports"), 0);
    check_indexes_present(be, uri);
    /* The same table with a writable rejects file: H902 imported, H901 quarantined. */
    o.rejects_path = NULL;
    char *src = unit_tmp_path("bulkidx_table.csv");
    ck_assert_int_eq(upl_registry_import_table(r, t, src, sha, &o, &s, &err), UPL_OK);
    ck_assert_uint_eq(s.households_accepted, 1);
    ck_assert_uint_eq(s.households_quarantined, 1);
    check_indexes_present(be, uri);
    upl_table_free(t);
    free(src);
    char *csv = copy_fixture("registry/county_2023.csv");
    /* 2. The fixture: the bulk path again (18 rows against 1 stored
     *    member); the conflict H001/H008 found through the rebuilt index. */
    s = reg_import_ok(r, csv, 0);
    ck_assert_uint_eq(s.households_accepted, 6);
    ck_assert_uint_eq(s.conflicts, 1);
    check_indexes_present(be, uri);
    /* 3. A one-household file whose two members are H001's head and spouse:
     *    2 rows against 11 stored members, so the ordinary path (indexes in
     *    place). The head is also H008's head: three pairs (H001 head,
     *    H008 head, H001 spouse), each a conflict record. */
    char *small = unit_tmp_path("bulkidx_small.csv");
    FILE *f = fopen(small, "w");
    ck_assert_ptr_nonnull(f);
    fputs("household_code,area_code,record_year,household_size,person_code,name,sex,id_number,relation_to_head\n"
          "H900,110105001001,2023,2,P90001,张伟,男,110105195003150019,户主\n"
          "H900,110105001001,2023,2,P90002,王芳,女,11010519491231002X,配偶\n", f);
    ck_assert_int_eq(fclose(f), 0);
    s = reg_import_ok(r, small, 0);
    ck_assert_uint_eq(s.households_accepted, 1);
    ck_assert_uint_eq(s.conflicts, 3);
    ck_assert_int_eq(reg_stat(r, "conflicts"), 4);
    check_indexes_present(be, uri);
    upl_audit_report rep;
    ck_assert_int_eq(upl_audit_verify(r, &rep, &err), UPL_OK);
    ck_assert_int_eq(upl_registry_check(r, &err), UPL_OK);
    upl_registry_close(r);
    free(small); free(csv); free(uri); free(key);
}
END_TEST

Suite *suite_registry(void) {
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("idnum");
    tcase_add_test(tc, test_id_vectors);
    tcase_add_test(tc, test_id_normalise);
    tcase_add_test(tc, test_id_excel_and_legacy);
    suite_add_tcase(s, tc);
    tc = tcase_create("store");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_import_fixture, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_import_correction, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_import_scope, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_audit_chain, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_import_missing_columns, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_test(tc, test_key_file);
    tcase_add_test(tc, test_code_lists);
    tcase_add_loop_test(tc, test_import_bulk_indexes, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_case_exit_workflow, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_case_objection_compare_monitor, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_assist_coverage, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_import_profile, BACKEND_SQLITE, BACKEND_PG + 1);
    suite_add_tcase(s, tc);
    return s;
}
