/* test_io_stat.c — Stata/SPSS through ReadStat (RELIABILITY.md §5 item 18,
 * and item 10 for Stata extended / SPSS user missing). Fixtures are written
 * by tests/data/io/make_fixtures.R with haven and foreign; the expected
 * values below are the ones that script puts in. */
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"

static int rd(const char *name, const char *enc, upl_table **t, upl_read_summary *s, upl_error *e) {
    char *p = unit_data_path(name);
    upl_read_options o;
    upl_read_options_init(&o);
    o.encoding = enc;
    o.is_rejects_disabled = true;
    int rc = upl_read_table(p, &o, t, s, e);
    free(p);
    return rc;
}

static void ck_str(const upl_column *c, size_t row, const char *want) {
    ck_assert_ptr_nonnull(c);
    if (!want) { ck_assert_msg(!upl_col_is_valid(c, row), "row %zu of `%s` should be missing", row, c->name); return; }
    ck_assert(upl_col_is_valid(c, row));
    size_t len;
    const char *s;
    if (c->type == UPL_CAT) { s = upl_dict_label(c->dict, c->v.cat[row]); len = strlen(s); }
    else s = upl_col_str(c, row, &len);
    ck_assert_msg(len == strlen(want) && !memcmp(s, want, len), "row %zu of `%s`: `%.*s`, expected `%s`",
                  row, c->name, (int)len, s, want);
}

START_TEST(dta_labels_and_missing) {
    upl_table *t = NULL;
    upl_read_summary s;
    upl_error e = { 0 };
    ck_assert_int_eq(rd("io/labelled.dta", NULL, &t, &s, &e), UPL_OK);
    ck_assert_int_eq(s.format, UPL_FMT_DTA);
    ck_assert_uint_eq(s.rows_read, 5);
    ck_assert_uint_eq(upl_table_n_rows(t), 5);
    /* Text with leading zeros stays text; "" is missing for strings. */
    ck_str(upl_table_find(t, "household_id"), 0, "0101");
    ck_str(upl_table_find(t, "name"), 0, "王芳");
    ck_str(upl_table_find(t, "name"), 2, NULL);
    /* income: 1200.5, .a (extended missing), 0, . (system missing), 35000 */
    const upl_column *inc = upl_table_find(t, "income");
    ck_assert_int_eq(inc->type, UPL_F64);
    ck_assert(upl_col_is_valid(inc, 0) && inc->v.f64[0] == 1200.5);
    ck_assert(!upl_col_is_valid(inc, 1));
    ck_assert(upl_col_is_valid(inc, 2) && inc->v.f64[2] == 0.0);    /* zero stays zero */
    ck_assert(!upl_col_is_valid(inc, 3));
    const upl_column *age = upl_table_find(t, "age");
    ck_assert_int_eq(age->type, UPL_I64);
    ck_assert_int_eq(age->v.i64[1], 5);
    ck_assert(!upl_col_is_valid(age, 3));
    /* Value labels -> categories; codes kept beside them. */
    const upl_column *sex = upl_table_find(t, "sex"), *sexc = upl_table_find(t, "sex__code");
    ck_assert_int_eq(sex->type, UPL_CAT);
    ck_str(sex, 0, "男");
    ck_str(sex, 1, "女");
    ck_str(sex, 4, NULL);
    ck_assert_int_eq(sexc->type, UPL_I64);
    ck_assert_int_eq(sexc->v.i64[1], 2);
    ck_assert(!upl_col_is_valid(sexc, 4));
    const upl_column *rel = upl_table_find(t, "relation");
    ck_str(rel, 0, "户主");
    ck_str(rel, 1, "子女");
    ck_str(rel, 2, "9");       /* a code without a label keeps its number as label */
    ck_str(rel, 3, "配偶");
    ck_assert_int_eq(upl_table_find(t, "relation__code")->v.i64[2], 9);
    upl_table_free(t);
    upl_error_clear(&e);
}
END_TEST

START_TEST(sav_user_missing) {
    upl_table *t = NULL;
    upl_read_summary s;
    upl_error e = { 0 };
    ck_assert_int_eq(rd("io/labelled.sav", NULL, &t, &s, &e), UPL_OK);
    ck_assert_int_eq(s.format, UPL_FMT_SAV);
    const upl_column *inc = upl_table_find(t, "income"), *age = upl_table_find(t, "age");
    ck_assert(upl_col_is_valid(inc, 0) && inc->v.f64[0] == 1200.5);
    ck_assert(!upl_col_is_valid(inc, 1));   /* -99 declared user-missing */
    ck_assert(upl_col_is_valid(inc, 2) && inc->v.f64[2] == 0.0);
    ck_assert(!upl_col_is_valid(inc, 3));
    ck_assert(!upl_col_is_valid(age, 3));   /* -99 */
    ck_assert(upl_col_is_valid(age, 2) && age->v.f64[2] == 61.0);
    ck_str(upl_table_find(t, "sex"), 1, "女");
    ck_str(upl_table_find(t, "household_id"), 4, "0105");
    upl_table_free(t);
    upl_error_clear(&e);
}
END_TEST

START_TEST(legacy_gbk_dta) {
    upl_table *t = NULL;
    upl_read_summary s;
    upl_error e = { 0 };
    /* No encoding given: not UTF-8, so GB18030 (never the silent WINDOWS-1252 mojibake). */
    ck_assert_int_eq(rd("io/legacy_gbk.dta", NULL, &t, &s, &e), UPL_OK);
    ck_assert_str_eq(s.encoding, "GB18030");
    ck_str(upl_table_find(t, "name"), 0, "王芳");
    ck_str(upl_table_find(t, "village"), 1, "红旗村");
    ck_assert(!upl_col_is_valid(upl_table_find(t, "income"), 2));
    upl_table_free(t);
    t = NULL;
    /* Given explicitly. */
    ck_assert_int_eq(rd("io/legacy_gbk.dta", "gbk", &t, &s, &e), UPL_OK);
    ck_assert_str_eq(s.encoding, "GBK");
    ck_str(upl_table_find(t, "name"), 2, "张伟");
    upl_table_free(t);
    upl_error_clear(&e);
}
END_TEST

START_TEST(truncated_dta_is_corrupt) {
    upl_table *t = NULL;
    upl_read_summary s;
    upl_error e = { 0 };
    ck_assert_int_eq(rd("io/truncated.dta", NULL, &t, &s, &e), UPL_ECORRUPT);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&e), "truncated"));
    upl_error_clear(&e);
}
END_TEST

START_TEST(detect_formats) {
    static const struct { const char *name; upl_format f; } cases[] = {
        { "io/labelled.dta", UPL_FMT_DTA }, { "io/legacy_gbk.dta", UPL_FMT_DTA },
        { "io/labelled.sav", UPL_FMT_SAV }, { "io/gbk.csv", UPL_FMT_CSV }, { "io/tab.tsv", UPL_FMT_CSV },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *p = unit_data_path(cases[i].name);
        upl_format f;
        upl_error e = { 0 };
        ck_assert_int_eq(upl_format_detect(p, &f, &e), UPL_OK);
        ck_assert_msg(f == cases[i].f, "%s detected as %s", cases[i].name, upl_format_name(f));
        free(p);
    }
    /* An Excel workbook is named, not parsed as text. */
    char *x = unit_tmp_path("book.xlsx");
    ck_assert_int_eq(unit_write_file(x, "PK\x03\x04rest", 8), 0);
    upl_format f;
    upl_error e = { 0 };
    ck_assert_int_eq(upl_format_detect(x, &f, &e), UPL_EUNSUPPORTED);
    upl_error_clear(&e);
    free(x);
}
END_TEST

START_TEST(snapshot_through_read_table) {
    char *csv = unit_data_path("io/leading_zeros.csv");
    char *snap = unit_tmp_path("lz.upl");
    upl_table *t = NULL, *u = NULL;
    upl_read_summary s;
    upl_error e = { 0 };
    upl_read_options o;
    upl_read_options_init(&o);
    o.is_rejects_disabled = true;
    ck_assert_int_eq(upl_read_table(csv, &o, &t, NULL, &e), UPL_OK);
    ck_assert_int_eq(upl_snapshot_write(t, snap, &e), UPL_OK);
    ck_assert_int_eq(upl_read_table(snap, NULL, &u, &s, &e), UPL_OK);
    ck_assert_int_eq(s.format, UPL_FMT_SNAPSHOT);
    ck_assert_uint_eq(s.rows_loaded, 3);
    ck_str(upl_table_find(u, "area"), 2, "007");
    upl_table_free(t);
    upl_table_free(u);
    free(csv);
    free(snap);
}
END_TEST

Suite *suite_io_stat(void) {
    Suite *s = suite_create("io_stat");
    TCase *tc = tcase_create("readstat");
    tcase_add_test(tc, dta_labels_and_missing);
    tcase_add_test(tc, sav_user_missing);
    tcase_add_test(tc, legacy_gbk_dta);
    tcase_add_test(tc, truncated_dta_is_corrupt);
    tcase_add_test(tc, detect_formats);
    tcase_add_test(tc, snapshot_through_read_table);
    suite_add_tcase(s, tc);
    return s;
}
