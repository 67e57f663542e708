/* test_profile_expr.c — the expression language: parsing and precedence,
 * syntax errors at file:line:column, three-valued (Kleene) semantics with
 * missing values, text labels, member aggregations, age at boundaries, and
 * binding errors. Every expected value below is worked out by hand from the
 * small table built in make_table(). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"
#include "uplift/profile.h"

static const char *PROFILE =
    "profile: {name: expr-test, version: '1', effective_years: [2014, 2020]}\n"
    "columns:\n"
    "  household_code: {kind: text, level: household}\n"
    "  income: {kind: number, level: household}\n"
    "  grade: {kind: code, level: household}\n"
    "  birth_date: {kind: date}\n"
    "  id_number: {kind: text}\n"
    "  school: {kind: code}\n"
    "  health: {kind: codes}\n"
    "  insured: {kind: bool}\n"
    "  work: {kind: number}\n"
    "  absent_col: {kind: number, level: household}\n"
    "household: {key: household_code}\n"
    "lines:\n"
    "  national: [{year: 2014, value: 2800}]\n"
    "  income: income\n";

/* Households (groups sorted by key): h1 = rows 0,1,2; h2 = rows 3,4; h3 = row 5.
 * income: h1 2800 (exactly the 2014 line), h2 missing, h3 1000.
 * grade:  h1 "B", h2 "C", h3 missing.
 * persons: birth, school, health, insured, work
 *  r0 h1 19800101 非在校生  健康            是    10
 *  r1 h1 20081231 小学      残疾,长期慢性病  否    missing
 *  r2 h1 20090101 非在校生  (missing)       是    2
 *  r3 h2 19991231 非在校生  患有大病         (missing) missing
 *  r4 h2 20000101 初中      健康            是    missing
 *  r5 h3 (missing) (missing) 健康           是    5 */
static upl_table *make_table(void) {
    upl_table *t = upl_table_new();
    upl_error err = {0};
    upl_column *hc, *inc, *gr, *bd, *id, *sc, *he, *ins, *wk;
    ck_assert_int_eq(upl_table_add_column(t, "household_code", UPL_STR, &hc, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "income", UPL_F64, &inc, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "grade", UPL_CAT, &gr, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "birth_date", UPL_STR, &bd, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "id_number", UPL_STR, &id, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "school", UPL_CAT, &sc, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "health", UPL_STR, &he, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "insured", UPL_STR, &ins, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "work", UPL_F64, &wk, &err), UPL_OK);
    const char *hh[] = {"h1", "h1", "h1", "h2", "h2", "h3"};
    double incv[] = {2800, 2800, 2800, NAN, NAN, 1000};
    const char *grv[] = {"B", "B", "B", "C", "C", NULL};
    const char *bdv[] = {"19800101", "2008-12-31", "20090101", "19991231", "2000/01/01", NULL};
    const char *idv[] = {"110101198001010011", "110101200812310022", "11010120090101003X", "110101991231001",
                         "11010120000101004522", "bad"};
    const char *scv[] = {"非在校生", "小学", "非在校生", "非在校生", "初中", NULL};
    const char *hev[] = {"健康", "残疾,长期慢性病", NULL, "患有大病", "健康", "健康"};
    const char *insv[] = {"是", "否", "是", NULL, " 是 ", "是"};
    double wkv[] = {10, NAN, 2, NAN, NAN, 5};
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(upl_col_push_str(hc, hh[i], strlen(hh[i])), UPL_OK);
        ck_assert_int_eq(isnan(incv[i]) ? upl_col_push_null(inc) : upl_col_push_f64(inc, incv[i]), UPL_OK);
        ck_assert_int_eq(grv[i] ? upl_col_push_cat(gr, grv[i], strlen(grv[i])) : upl_col_push_null(gr), UPL_OK);
        ck_assert_int_eq(bdv[i] ? upl_col_push_str(bd, bdv[i], strlen(bdv[i])) : upl_col_push_null(bd), UPL_OK);
        ck_assert_int_eq(upl_col_push_str(id, idv[i], strlen(idv[i])), UPL_OK);
        ck_assert_int_eq(scv[i] ? upl_col_push_cat(sc, scv[i], strlen(scv[i])) : upl_col_push_null(sc), UPL_OK);
        ck_assert_int_eq(hev[i] ? upl_col_push_str(he, hev[i], strlen(hev[i])) : upl_col_push_null(he), UPL_OK);
        ck_assert_int_eq(insv[i] ? upl_col_push_str(ins, insv[i], strlen(insv[i])) : upl_col_push_null(ins), UPL_OK);
        ck_assert_int_eq(isnan(wkv[i]) ? upl_col_push_null(wk) : upl_col_push_f64(wk, wkv[i]), UPL_OK);
    }
    return t;
}

typedef struct fx { upl_profile *p; upl_table *t; upl_eval *ev; } fx;

static fx setup(void) {
    fx f = {0};
    upl_error err = {0};
    ck_assert_int_eq(upl_profile_load_mem(PROFILE, strlen(PROFILE), "expr.yaml", &f.p, &err), UPL_OK);
    f.t = make_table();
    upl_eval_options o = {.year = 2014};
    int rc = upl_eval_new(f.p, f.t, &o, &f.ev, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_int_eq(upl_eval_run(f.ev, &err), UPL_OK);
    ck_assert_int_eq((int)upl_eval_n_households(f.ev), 3);
    return f;
}

static void teardown(fx *f) {
    upl_eval_free(f->ev);
    upl_table_free(f->t);
    upl_profile_free(f->p);
}

/* expected per household as a 3-char string of 0/1/? */
static void b3_is(fx *f, const char *expr, const char *want) {
    uint8_t *b = NULL;
    double *d = NULL;
    bool is_bool = false;
    upl_error err = {0};
    int rc = upl_eval_expr(f->ev, expr, &b, &d, &is_bool, &err);
    ck_assert_msg(rc == UPL_OK, "%s: %s", expr, upl_error_message(&err));
    ck_assert_msg(is_bool, "%s: not a logical expression", expr);
    char got[4] = {0};
    for (int i = 0; i < 3; i++) got[i] = b[i] == 2 ? '?' : (char)('0' + b[i]);
    ck_assert_msg(!strcmp(got, want), "%s: got %s, expected %s", expr, got, want);
    upl_free(b);
}

static void num_is(fx *f, const char *expr, double a, double b, double c) {
    uint8_t *bb = NULL;
    double *d = NULL;
    bool is_bool = true;
    upl_error err = {0};
    int rc = upl_eval_expr(f->ev, expr, &bb, &d, &is_bool, &err);
    ck_assert_msg(rc == UPL_OK, "%s: %s", expr, upl_error_message(&err));
    ck_assert_msg(!is_bool, "%s: not a number", expr);
    double want[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        if (isnan(want[i])) ck_assert_msg(isnan(d[i]), "%s: household %d = %g, expected missing", expr, i, d[i]);
        else ck_assert_msg(d[i] == want[i], "%s: household %d = %.17g, expected %.17g", expr, i, d[i], want[i]);
    }
    upl_free(d);
}

static void expr_error(fx *f, const char *expr, const char *needle) {
    uint8_t *b = NULL;
    double *d = NULL;
    bool is_bool;
    upl_error err = {0};
    int rc = upl_eval_expr(f->ev, expr, &b, &d, &is_bool, &err);
    ck_assert_msg(rc == UPL_EPROFILE, "%s: expected an error, got %d", expr, rc);
    ck_assert_msg(strstr(upl_error_message(&err), needle) != NULL, "%s: message `%s` lacks `%s`", expr,
                  upl_error_message(&err), needle);
    upl_error_clear(&err);
}

START_TEST(parse_precedence) {
    struct { const char *in, *out; } C[] = {
        {"1 + 2 * 3", "(1 + (2 * 3))"},
        {"a or b and not c", "(a or (b and (not c)))"},
        {"x between 6 and 15 and y", "((x between 6 and 15) and y)"},
        {"not a in [\"C\", \"D\"]", "(not (a in [\"C\", \"D\"]))"},
        {"a not in [1, 2]", "(a not in [1, 2])"},
        {"-x - -2", "((-x) - -2)"},
        {"any(age(b) < 6) or count(c) >= 2", "(any((age(b) < 6)) or (count(c) >= 2))"},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        upl_expr *e = NULL;
        upl_error err = {0};
        ck_assert_int_eq(upl_expr_parse(C[i].in, "t", 1, 1, &e, &err), UPL_OK);
        char *s = upl_expr_to_string(e);
        ck_assert_str_eq(s, C[i].out);
        upl_free(s);
        upl_expr_free(e);
    }
}
END_TEST

START_TEST(parse_errors_positions) {
    struct { const char *in, *where; } C[] = {
        {"a <", "p.yaml:10:8:"},            /* end of expression: column after `<` */
        {"a = 1", "p.yaml:10:7:"},
        {"(a < 1", "p.yaml:10:11:"},
        {"a < 1 < 2", "p.yaml:10:11:"},
        {"x in 1", "p.yaml:10:10:"},
        {"\"abc", "p.yaml:10:5:"},
        {"a\n  and ?", "p.yaml:11:7:"},
        {"f(1,)", "p.yaml:10:9:"},
        {"1 2", "p.yaml:10:7:"},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        upl_expr *e = NULL;
        upl_error err = {0};
        ck_assert_int_eq(upl_expr_parse(C[i].in, "p.yaml", 10, 5, &e, &err), UPL_EPROFILE);
        const char *m = upl_error_message(&err);
        ck_assert_msg(!strncmp(m, C[i].where, strlen(C[i].where)), "`%s`: message `%s` does not start with `%s`",
                      C[i].in, m, C[i].where);
        upl_error_clear(&err);
        ck_assert_ptr_null(e);
    }
}
END_TEST

START_TEST(kleene_logic) {
    fx f = setup();
    /* income < line: h1 2800 < 2800 false (poor means strictly below), h2 unknown, h3 true */
    b3_is(&f, "income < line", "0?1");
    b3_is(&f, "income_poor", "0?1");
    b3_is(&f, "income <= line", "1?1");
    /* false and unknown = false; true or unknown = true; not unknown = unknown */
    b3_is(&f, "income < line and false", "000");
    b3_is(&f, "income < line and true", "0?1");
    b3_is(&f, "income < line or true", "111");
    b3_is(&f, "income < line or false", "0?1");
    b3_is(&f, "not (income < line)", "1?0");
    b3_is(&f, "is_missing(income)", "010");
    b3_is(&f, "is_missing(income < line)", "010");
    b3_is(&f, "coalesce(income < line, true)", "011");
    b3_is(&f, "coalesce(income < line, missing)", "0?1");
    b3_is(&f, "absent_col > 0", "???");
    b3_is(&f, "is_missing(absent_col)", "111");
    b3_is(&f, "true == (income < line)", "0?1");
    b3_is(&f, "if(income < line, true, false)", "0?1");
    teardown(&f);
}
END_TEST

START_TEST(arithmetic_missing) {
    fx f = setup();
    num_is(&f, "income + 1", 2801, NAN, 1001);
    num_is(&f, "income / 0", NAN, NAN, NAN);
    num_is(&f, "coalesce(income, 0) * 2 - 1", 5599, -1, 1999);
    num_is(&f, "line", 2800, 2800, 2800);
    num_is(&f, "n_members", 3, 2, 1);
    num_is(&f, "year", 2014, 2014, 2014);
    num_is(&f, "least(income, 2000)", 2000, NAN, 1000);
    num_is(&f, "abs(-income)", 2800, NAN, 1000);
    num_is(&f, "floor(income / 1000)", 2, NAN, 1);
    num_is(&f, "num(income < line)", 0, NAN, 1);
    num_is(&f, "if(is_missing(income), -1, income)", 2800, -1, 1000);
    b3_is(&f, "income between 1000 and 2800", "1?1");
    b3_is(&f, "income between 1000.5 and 2799.99", "0?0");
    b3_is(&f, "income in [1000, 5]", "0?1");
    b3_is(&f, "income not in [1000, 5]", "1?0");
    teardown(&f);
}
END_TEST

START_TEST(text_labels) {
    fx f = setup();
    /* household-level code field: B, C, missing */
    b3_is(&f, "grade in [\"C\", \"D\"]", "01?");
    b3_is(&f, "grade not in [\"C\", \"D\"]", "10?");
    b3_is(&f, "grade == \"B\"", "10?");
    b3_is(&f, "\"B\" != grade", "01?");
    b3_is(&f, "coalesce(grade in [\"C\", \"D\"], false)", "010");
    b3_is(&f, "is_missing(grade)", "001");
    teardown(&f);
}
END_TEST

START_TEST(aggregations) {
    fx f = setup();
    /* insured: h1 是,否,是 ; h2 missing, " 是 " ; h3 是 */
    b3_is(&f, "any(not insured)", "1?0");
    b3_is(&f, "all(insured)", "0?1");
    num_is(&f, "count(insured)", 2, 1, 1);
    num_is(&f, "count(is_missing(insured))", 0, 1, 0);
    /* work: h1 10, missing, 2 ; h2 missing, missing ; h3 5 */
    num_is(&f, "sum(work)", 12, NAN, 5);
    num_is(&f, "sum(work, insured)", 12, NAN, 5);
    num_is(&f, "sum(work, not insured)", NAN, 0, 0);
    num_is(&f, "min(work)", 2, NAN, 5);
    num_is(&f, "max(work)", 10, NAN, 5);
    num_is(&f, "mean(work)", 6, NAN, 5);
    num_is(&f, "count(true)", 3, 2, 1);
    /* multi-select health: 残疾 only in r1 (h1); 患有大病 in r3 (h2) */
    b3_is(&f, "any(has(health, \"残疾\"))", "100");
    b3_is(&f, "any(has(health, [\"患有大病\", \"长期慢性病\"]))", "110");
    /* h1 r2 health missing -> any(health == 健康) is true via r0 */
    b3_is(&f, "all(health == \"健康\")", "001");
    b3_is(&f, "any(school == \"非在校生\" and work > 5)", "1?0");
    teardown(&f);
}
END_TEST

START_TEST(age_boundaries) {
    fx f = setup();
    /* reference 2014-12-31. r1 born 2008-12-31 is 6 (birthday on the day);
     * r2 born 2009-01-01 is 5; r3 1999-12-31 is 15; r4 2000-01-01 is 14. */
    num_is(&f, "min(age(birth_date))", 5, 14, NAN);
    num_is(&f, "max(age(birth_date))", 34, 15, NAN);
    num_is(&f, "count(age(birth_date) between 6 and 15)", 1, 2, 0);
    num_is(&f, "count(age(birth_date, \"2015-01-01\") between 6 and 15)", 2, 2, 0);
    /* from ID numbers: r0 1980-01-01, r3 is a 15-digit ID (1999-12-31), r4 a 20-char certificate number */
    num_is(&f, "max(age_from_id(id_number))", 34, 15, NAN);
    num_is(&f, "min(age_from_id(id_number))", 5, 14, NAN);
    b3_is(&f, "any(age(birth_date) between 6 and 15 and school == \"非在校生\")", "01?");
    teardown(&f);
}
END_TEST

START_TEST(binding_errors) {
    fx f = setup();
    expr_error(&f, "work > 1", "<expr>:1:1: `work` is a person-level field");
    expr_error(&f, "income > foo", "<expr>:1:10: unknown name `foo`");
    expr_error(&f, "any(any(insured))", "<expr>:1:5: any() inside another member aggregation");
    expr_error(&f, "grade > 1", "`grade` is a text/code field");
    expr_error(&f, "income == \"B\"", "only a text column can be compared");
    expr_error(&f, "grade == \"B\" + 1", "");
    expr_error(&f, "sum()", "sum() takes");
    expr_error(&f, "nosuch(1)", "unknown function `nosuch`");
    expr_error(&f, "income + (income < line)", "`+` needs a number here, found a true/false value");
    expr_error(&f, "age(income, \"2014-13-01\")", "reference date");
    expr_error(&f, "income == missing", "is_missing");
    teardown(&f);
}
END_TEST

/* Rows not in key order (h2 first, h1 split around it) take the general
 * group-by; results are the same per household, households in key order.
 * The household field `income` differs between h1's rows: counted. */
START_TEST(unsorted_rows_and_inconsistent_household_fields) {
    upl_profile *p = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_profile_load_mem(PROFILE, strlen(PROFILE), "expr.yaml", &p, &err), UPL_OK);
    upl_table *t = upl_table_new();
    upl_column *hc, *inc, *wk;
    ck_assert_int_eq(upl_table_add_column(t, "household_code", UPL_STR, &hc, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "income", UPL_F64, &inc, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "work", UPL_F64, &wk, &err), UPL_OK);
    const char *hh[] = {"h1", "h2", "h1", "h3"};
    double incv[] = {100, 200, 150, 300}, wkv[] = {1, 2, 3, 4};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(upl_col_push_str(hc, hh[i], 2), UPL_OK);
        ck_assert_int_eq(upl_col_push_f64(inc, incv[i]), UPL_OK);
        ck_assert_int_eq(upl_col_push_f64(wk, wkv[i]), UPL_OK);
    }
    upl_eval_options o = {.year = 2014};
    upl_eval *ev = NULL;
    ck_assert_int_eq(upl_eval_new(p, t, &o, &ev, &err), UPL_OK);
    ck_assert_int_eq(upl_eval_run(ev, &err), UPL_OK);
    ck_assert_int_eq((int)upl_eval_n_households(ev), 3);
    ck_assert_int_eq((int)upl_eval_household_size(ev, 0), 2);
    ck_assert_int_eq((int)upl_eval_household_first_row(ev, 1), 1);
    ck_assert_int_eq((int)upl_eval_n_inconsistent(ev), 1);
    size_t rows[4];
    ck_assert_int_eq((int)upl_eval_member_rows(ev, 0, rows, 4), 2);
    ck_assert(rows[0] == 0 && rows[1] == 2);   /* h1's rows around h2's */
    uint8_t *b = NULL;
    double *d = NULL;
    bool is_bool;
    ck_assert_int_eq(upl_eval_expr(ev, "sum(work)", &b, &d, &is_bool, &err), UPL_OK);
    ck_assert(d[0] == 4 && d[1] == 2 && d[2] == 4);
    upl_free(d);
    /* the household value is the first row's */
    ck_assert_int_eq(upl_eval_expr(ev, "income", &b, &d, &is_bool, &err), UPL_OK);
    ck_assert(d[0] == 100 && d[1] == 200 && d[2] == 300);
    upl_free(d);
    upl_eval_free(ev);
    upl_table_free(t);
    upl_profile_free(p);
}
END_TEST

/* Every allocation of loading the profile, compiling and running its rules
 * and evaluating an ad-hoc expression fails in turn (SQLite's test_malloc
 * method): each must end in UPL_ENOMEM (or succeed when the failed
 * allocation was not needed), never a crash or a leak (checked under
 * SANITIZE=address). */
START_TEST(allocation_failures) {
    upl_table *t = make_table();
    long total = 0;
    {
        upl_alloc_fail_after(0, false);
        upl_profile *p = NULL;
        upl_error err = {0};
        upl_alloc_fail_after(1000000000L, false);
        ck_assert_int_eq(upl_profile_load_mem(PROFILE, strlen(PROFILE), "expr.yaml", &p, &err), UPL_OK);
        upl_eval_options o = {.year = 2014};
        upl_eval *ev = NULL;
        ck_assert_int_eq(upl_eval_new(p, t, &o, &ev, &err), UPL_OK);
        ck_assert_int_eq(upl_eval_run(ev, &err), UPL_OK);
        total = upl_alloc_count();
        upl_alloc_fail_after(0, false);
        upl_eval_free(ev);
        upl_profile_free(p);
    }
    ck_assert(total > 10);
    for (long i = 1; i <= total; i++) {
        upl_profile *p = NULL;
        upl_eval *ev = NULL;
        upl_error err = {0};
        upl_alloc_fail_after(i, false);
        int rc = upl_profile_load_mem(PROFILE, strlen(PROFILE), "expr.yaml", &p, &err);
        if (rc == UPL_OK) {
            upl_eval_options o = {.year = 2014};
            rc = upl_eval_new(p, t, &o, &ev, &err);
            if (rc == UPL_OK) rc = upl_eval_run(ev, &err);
        }
        bool failed = upl_alloc_failed();
        upl_alloc_fail_after(0, false);
        if (rc != UPL_OK) ck_assert_msg(rc == UPL_ENOMEM, "allocation %ld: rc %d (%s)", i, rc, upl_error_message(&err));
        else ck_assert_msg(!failed || rc == UPL_OK, "allocation %ld", i);
        upl_error_clear(&err);
        upl_eval_free(ev);
        upl_profile_free(p);
    }
    upl_table_free(t);
}
END_TEST

Suite *suite_profile_expr(void) {
    Suite *s = suite_create("profile_expr");
    TCase *tc = tcase_create("expr");
    tcase_add_test(tc, parse_precedence);
    tcase_add_test(tc, parse_errors_positions);
    tcase_add_test(tc, kleene_logic);
    tcase_add_test(tc, arithmetic_missing);
    tcase_add_test(tc, text_labels);
    tcase_add_test(tc, aggregations);
    tcase_add_test(tc, age_boundaries);
    tcase_add_test(tc, binding_errors);
    tcase_add_test(tc, unsorted_rows_and_inconsistent_household_fields);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}
