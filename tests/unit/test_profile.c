/* test_profile.c — profile loading, header normalisation, the column
 * mapping applied to tables, rationals, lines by year and load errors with
 * their file:line:column. */
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"
#include "uplift/profile.h"

static upl_profile *load_fixture(const char *name) {
    char *path = unit_data_path(name);
    upl_profile *p = NULL;
    upl_error err = {0};
    int rc = upl_profile_load(path, &p, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    upl_error_clear(&err);
    free(path);
    return p;
}

static char *norm(const char *h, char **unit) {
    char *n = NULL;
    ck_assert_int_eq(upl_profile_header_norm(h, strlen(h), &n, unit), UPL_OK);
    return n;
}

START_TEST(header_norm_folds_width_spaces_units) {
    char *u = NULL, *n;
    n = norm("人均纯收入（元）", &u);
    ck_assert_str_eq(n, "人均纯收入");
    ck_assert_str_eq(u, "元");
    upl_free(n); upl_free(u);
    n = norm(" 务工时间 (月) ", &u);
    ck_assert_str_eq(n, "务工时间");
    ck_assert_str_eq(u, "月");
    upl_free(n); upl_free(u);
    /* full-width letters and digits, ideographic space, upper case */
    n = norm("ＨＢＨ\xe3\x80\x80１", &u);
    ck_assert_str_eq(n, "hbh1");
    ck_assert_str_eq(u, "");
    upl_free(n); upl_free(u);
    /* a bracket that is not a unit stays: 公益性岗位(月数) must not become 公益性岗位 */
    n = norm("公益性岗位（月数）", NULL);
    ck_assert_str_eq(n, "公益性岗位(月数)");
    upl_free(n);
    n = norm("是否参加新型农村合作医疗（城乡居民基本医疗保险）", NULL);
    ck_assert_str_eq(n, "是否参加新型农村合作医疗(城乡居民基本医疗保险)");
    upl_free(n);
    n = norm("\xEF\xBB\xBF户编号", NULL);   /* BOM */
    ck_assert_str_eq(n, "户编号");
    upl_free(n);
}
END_TEST

START_TEST(match_header_aliases) {
    upl_profile *p = load_fixture("profile/mini.yaml");
    const upl_profile_field *f;
    f = upl_profile_match_header(p, "户编号");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->name, "household_code");
    f = upl_profile_match_header(p, "人均纯收入（元）");
    ck_assert_str_eq(f->name, "income_net_per_capita");
    f = upl_profile_match_header(p, "家庭年人均纯收入(元)");
    ck_assert_str_eq(f->name, "income_net_per_capita");
    f = upl_profile_match_header(p, "务工时间(月)");
    ck_assert_str_eq(f->name, "work_months");
    f = upl_profile_match_header(p, "公益性岗位(月数)");
    ck_assert_str_eq(f->name, "public_welfare_job_months");
    f = upl_profile_match_header(p, "公益性岗位");
    ck_assert_str_eq(f->name, "public_welfare_job_type");
    f = upl_profile_match_header(p, "是否参加新型农村合作医疗(城乡居民基本医疗保险)");
    ck_assert_str_eq(f->name, "has_resident_medical_insurance");
    f = upl_profile_match_header(p, "HBH");
    ck_assert_str_eq(f->name, "household_code");
    ck_assert_ptr_null(upl_profile_match_header(p, "姓名"));
    ck_assert_str_eq(upl_profile_name(p), "test-mini");
    ck_assert_str_eq(upl_profile_version(p), "0.1");
    ck_assert_int_eq((int)strlen(upl_profile_sha256(p)), 64);
    upl_profile_free(p);
}
END_TEST

START_TEST(map_table_renames_sentinels_scales) {
    upl_profile *p = load_fixture("profile/mini.yaml");
    upl_error err = {0};
    upl_table *t = upl_table_new();
    upl_column *c1, *c2, *c3, *c4;
    ck_assert_int_eq(upl_table_add_column(t, "户编号", UPL_STR, &c1, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "人均纯收入（万元）", UPL_F64, &c2, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "姓名", UPL_STR, &c3, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "hbh", UPL_STR, &c4, &err), UPL_OK);
    const char *ids[] = {"001", "002", "003"};
    double inc[] = {0.25, -99, 0.31};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(upl_col_push_str(c1, ids[i], 3), UPL_OK);
        ck_assert_int_eq(upl_col_push_f64(c2, inc[i]), UPL_OK);
        ck_assert_int_eq(upl_col_push_str(c3, "x", 1), UPL_OK);
        ck_assert_int_eq(upl_col_push_str(c4, ids[i], 3), UPL_OK);
    }
    upl_profile_map_report rep;
    ck_assert_int_eq(upl_profile_map_table(p, t, &rep, &err), UPL_OK);
    ck_assert_ptr_nonnull(upl_table_find(t, "household_code"));
    upl_column *inc_c = upl_table_find(t, "income_net_per_capita");
    ck_assert_ptr_nonnull(inc_c);
    /* 0.25 万元 = 2500 元; -99 sentinel -> missing (checked before scaling? no: scaled
     * first would be -990000; sentinels are compared on the raw value) */
    ck_assert_near(inc_c->v.f64[0], 2500.0, 1e-12);
    ck_assert(!upl_col_is_valid(inc_c, 1));
    ck_assert_near(inc_c->v.f64[2], 3100.0, 1e-12);
    ck_assert_int_eq((int)rep.n_mapped, 2);
    ck_assert_int_eq((int)rep.n_unmapped, 1);
    ck_assert_str_eq(rep.unmapped[0], "姓名");
    ck_assert_int_eq((int)rep.n_duplicates, 1);
    ck_assert_str_eq(rep.duplicates[0], "hbh");
    ck_assert_int_eq((int)rep.n_sentinels, 1);
    ck_assert_int_eq((int)rep.n_scaled, 1);
    ck_assert_int_eq((int)rep.n_missing_required, 0);
    upl_profile_map_report_free(&rep);
    upl_table_free(t);
    upl_profile_free(p);
}
END_TEST

START_TEST(map_table_missing_required) {
    upl_profile *p = load_fixture("profile/mini.yaml");
    upl_error err = {0};
    upl_table *t = upl_table_new();
    upl_column *c;
    ck_assert_int_eq(upl_table_add_column(t, "人编号", UPL_STR, &c, &err), UPL_OK);
    ck_assert_int_eq(upl_col_push_str(c, "1", 1), UPL_OK);
    upl_profile_map_report rep;
    ck_assert_int_eq(upl_profile_map_table(p, t, &rep, &err), UPL_ESCHEMA);
    ck_assert_int_eq((int)rep.n_missing_required, 1);
    ck_assert_str_eq(rep.missing_required[0], "household_code");
    ck_assert_msg(strstr(upl_error_message(&err), "户编号") != NULL, "%s", upl_error_message(&err));
    upl_profile_map_report_free(&rep);
    upl_error_clear(&err);
    upl_table_free(t);
    upl_profile_free(p);
}
END_TEST

START_TEST(text_sentinels_in_string_column) {
    upl_profile *p = load_fixture("profile/mini.yaml");
    upl_error err = {0};
    upl_table *t = upl_table_new();
    upl_column *a, *b;
    ck_assert_int_eq(upl_table_add_column(t, "household_code", UPL_STR, &a, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "人均纯收入", UPL_CAT, &b, &err), UPL_OK);
    ck_assert_int_eq(upl_col_push_str(a, "1", 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_str(a, "2", 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_cat(b, " 不详 ", strlen(" 不详 ")), UPL_OK);
    ck_assert_int_eq(upl_col_push_cat(b, "3000", 4), UPL_OK);
    upl_profile_map_report rep;
    ck_assert_int_eq(upl_profile_map_table(p, t, &rep, &err), UPL_OK);
    ck_assert(!upl_col_is_valid(b, 0));
    ck_assert(upl_col_is_valid(b, 1));
    ck_assert_int_eq((int)rep.n_sentinels, 1);
    upl_profile_map_report_free(&rep);
    upl_table_free(t);
    upl_profile_free(p);
}
END_TEST

START_TEST(rationals_exact) {
    upl_rational r;
    ck_assert_int_eq(upl_rational_parse("1/18", &r, NULL), UPL_OK);
    ck_assert(r.num == 1 && r.den == 18);
    ck_assert_int_eq(upl_rational_parse("2/6", &r, NULL), UPL_OK);
    ck_assert(r.num == 1 && r.den == 3);
    ck_assert_int_eq(upl_rational_parse("0.5", &r, NULL), UPL_OK);
    ck_assert(r.num == 1 && r.den == 2);
    ck_assert_int_eq(upl_rational_parse("33.3%", &r, NULL), UPL_OK);
    ck_assert(r.num == 333 && r.den == 1000);
    ck_assert_int_eq(upl_rational_parse("1", &r, NULL), UPL_OK);
    ck_assert(r.num == 1 && r.den == 1);
    ck_assert_int_ne(upl_rational_parse("1/0", &r, NULL), UPL_OK);
    ck_assert_int_ne(upl_rational_parse("abc", &r, NULL), UPL_OK);
    ck_assert_int_ne(upl_rational_parse("1/3x", &r, NULL), UPL_OK);
}
END_TEST

START_TEST(lines_by_year_province_deflator) {
    upl_profile *p = load_fixture("profile/mini.yaml");
    upl_error err = {0};
    upl_line_info li;
    ck_assert_int_eq(upl_profile_line(p, 2014, NULL, &li, &err), UPL_OK);
    ck_assert_near(li.value, 2800, 0);
    ck_assert(li.is_verified);
    ck_assert_int_eq(upl_profile_line(p, 2018, "15", &li, &err), UPL_OK);
    ck_assert_near(li.value, 2995, 0);
    ck_assert(!li.is_verified);
    ck_assert_int_eq(upl_profile_line(p, 2016, "15", &li, &err), UPL_OK);   /* provincial override */
    ck_assert_near(li.value, 3070, 0);
    ck_assert_int_eq(upl_profile_line(p, 2021, NULL, &li, &err), UPL_OK);   /* 2300 x 1.5 */
    ck_assert_near(li.value, 3450, 1e-12);
    ck_assert(li.is_derived);
    ck_assert_int_eq(upl_profile_line(p, 2016, NULL, &li, &err), UPL_ENOTFOUND);
    ck_assert_msg(strstr(upl_error_message(&err), "2016") != NULL, "%s", upl_error_message(&err));
    upl_error_clear(&err);
    upl_profile_free(p);
}
END_TEST

static void expect_load_error(const char *yaml, int code, const char *where) {
    upl_profile *p = NULL;
    upl_error err = {0};
    int rc = upl_profile_load_mem(yaml, strlen(yaml), "t.yaml", &p, &err);
    ck_assert_int_eq(rc, code);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(upl_error_message(&err), where) != NULL, "message `%s` lacks `%s`",
                  upl_error_message(&err), where);
    upl_error_clear(&err);
}

START_TEST(load_errors_have_positions) {
    expect_load_error("profile: {name: a, version: 1}\ncolumns: {household_code: {kind: text}}\n"
                      "indicators:\n  - id: x\n    dimension: d\n    weight: 1/3\n    rule: \"a <\"\n",
                      UPL_EPROFILE, "t.yaml:7:");
    expect_load_error("profile: {name: a, version: 1}\ncolumns: {household_code: {kind: txt}}\n",
                      UPL_EPROFILE, "t.yaml:2:");
    expect_load_error("profile: {name: a, version: 1}\ncolumns: {household_code: {kind: text}}\n"
                      "indicators:\n  - id: x\n    dimension: d\n    wieght: 1/3\n    rule: \"1 < 2\"\n",
                      UPL_EPROFILE, "unknown key `wieght`");
    expect_load_error("profile: {name: a, version: 1}\ncolumns: {household_code: {kind: text}}\n"
                      "identification: {k: 0.3x}\n", UPL_EPROFILE, "t.yaml:3:");
    expect_load_error("profile: {name: a\n", UPL_EPARSE, "t.yaml:");
    expect_load_error("profile: {name: a, version: 1}\ncolumns:\n  a: {aliases: [户编号]}\n  b: {aliases: [\"户编号 \"]}\n"
                      "household: {key: a}\n", UPL_EPROFILE, "t.yaml:4:");
    expect_load_error("columns: {a: {}}\n", UPL_EPROFILE, "profile:");
}
END_TEST

Suite *suite_profile(void) {
    Suite *s = suite_create("profile");
    TCase *tc = tcase_create("load_map");
    tcase_add_test(tc, header_norm_folds_width_spaces_units);
    tcase_add_test(tc, match_header_aliases);
    tcase_add_test(tc, map_table_renames_sentinels_scales);
    tcase_add_test(tc, map_table_missing_required);
    tcase_add_test(tc, text_sentinels_in_string_column);
    tcase_add_test(tc, rationals_exact);
    tcase_add_test(tc, lines_by_year_province_deflator);
    tcase_add_test(tc, load_errors_have_positions);
    suite_add_tcase(s, tc);
    return s;
}
