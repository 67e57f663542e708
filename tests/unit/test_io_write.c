/* test_io_write.c — CSV and JSON writers: RFC 4180 quoting, formula
 * neutralisation (RELIABILITY.md §5 item 20), missing as empty/null, and a
 * CSV -> table -> CSV -> table round trip. Expected texts are written out
 * by hand. */
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"

static char *put(const char *s) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(upl_csv_put_field(f, s, strlen(s)), UPL_OK);
    fclose(f);
    return buf;
}

START_TEST(csv_field_quoting_and_formulas) {
    static const struct { const char *in, *out; } cases[] = {
        { "plain", "plain" },
        { "a,b", "\"a,b\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "two\nlines", "\"two\nlines\"" },
        { "=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
        { "=1+2", "'=1+2" },
        { "+86 138", "'+86 138" },
        { "@SUM(A1)", "'@SUM(A1)" },
        { "\tcmd", "'\tcmd" },
        { "-12.5", "-12.5" },          /* numbers are left alone */
        { "+3", "+3" },
        { "-", "'-" },
        { "0101", "0101" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = put(cases[i].in);
        ck_assert_msg(!strcmp(got, cases[i].out), "`%s` -> `%s`, expected `%s`", cases[i].in, got, cases[i].out);
        free(got);
    }
}
END_TEST

static upl_table *sample(void) {
    upl_table *t = upl_table_new();
    upl_column *a, *b, *c, *d, *e;
    upl_error err = { 0 };
    ck_assert_int_eq(upl_table_add_column(t, "code", UPL_STR, &a, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "income", UPL_F64, &b, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "n", UPL_I64, &c, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "poor", UPL_BOOL, &d, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "sex", UPL_CAT, &e, &err), UPL_OK);
    ck_assert_int_eq(upl_col_push_str(a, "0101", 4), UPL_OK);
    ck_assert_int_eq(upl_col_push_f64(b, 1200.5), UPL_OK);
    ck_assert_int_eq(upl_col_push_i64(c, 9007199254740993LL), UPL_OK);
    ck_assert_int_eq(upl_col_push_bool(d, true), UPL_OK);
    ck_assert_int_eq(upl_col_push_cat(e, "女", strlen("女")), UPL_OK);
    ck_assert_int_eq(upl_col_push_str(a, "=cmd", 4), UPL_OK);
    ck_assert_int_eq(upl_col_push_null(b), UPL_OK);
    ck_assert_int_eq(upl_col_push_null(c), UPL_OK);
    ck_assert_int_eq(upl_col_push_bool(d, false), UPL_OK);
    ck_assert_int_eq(upl_col_push_null(e), UPL_OK);
    return t;
}

START_TEST(csv_and_json_tables) {
    upl_table *t = sample();
    upl_error err = { 0 };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(upl_write_csv(t, f, &err), UPL_OK);
    fclose(f);
    ck_assert_str_eq(buf, "code,income,n,poor,sex\n0101,1200.5,9007199254740993,true,女\n'=cmd,,,false,\n");
    free(buf);
    f = open_memstream(&buf, &len);
    ck_assert_int_eq(upl_write_json(t, f, &err), UPL_OK);
    fclose(f);
    ck_assert_str_eq(buf, "[\n{\"code\":\"0101\",\"income\":1200.5,\"n\":9007199254740993,\"poor\":true,\"sex\":\"女\"},\n"
                          "{\"code\":\"=cmd\",\"income\":null,\"n\":null,\"poor\":false,\"sex\":null}\n]\n");
    free(buf);
    upl_table_free(t);
}
END_TEST

START_TEST(csv_round_trip_through_reader) {
    /* Quotes, commas, newlines and Chinese text survive write -> read. */
    upl_table *t = upl_table_new();
    upl_column *a, *b;
    upl_error err = { 0 };
    ck_assert_int_eq(upl_table_add_column(t, "addr", UPL_STR, &a, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "v", UPL_F64, &b, &err), UPL_OK);
    const char *vals[] = { "前进村, 3组", "say \"hi\"", "line1\nline2", "0.1" };
    double nums[] = { 0.1, 2.2250738585072014e-308, -1e300, 123456.789 };
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(upl_col_push_str(a, vals[i], strlen(vals[i])), UPL_OK);
        ck_assert_int_eq(upl_col_push_f64(b, nums[i]), UPL_OK);
    }
    char *p = unit_tmp_path("rt.csv");
    ck_assert_int_eq(upl_write_csv_path(t, p, &err), UPL_OK);
    upl_table *u = NULL;
    upl_read_options o;
    upl_read_options_init(&o);
    o.is_rejects_disabled = true;
    ck_assert_int_eq(upl_read_table(p, &o, &u, NULL, &err), UPL_OK);
    const upl_column *ua = upl_table_find(u, "addr"), *ub = upl_table_find(u, "v");
    for (size_t i = 0; i < 4; i++) {
        size_t len;
        const char *s = upl_col_str(ua, i, &len);
        ck_assert(len == strlen(vals[i]) && !memcmp(s, vals[i], len));
        ck_assert(ub->v.f64[i] == nums[i]);   /* shortest text reads back exactly */
    }
    upl_table_free(t);
    upl_table_free(u);
    free(p);
}
END_TEST

START_TEST(schema_text) {
    upl_schema_field *f = NULL;
    size_t n = 0;
    upl_error e = { 0 };
    ck_assert_int_eq(upl_schema_parse("id_number:id:required, income:f64,\n# comment\nage:i64:notnull", &f, &n, &e), UPL_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(f[0].name, "id_number");
    ck_assert(f[0].type == UPL_STR && f[0].is_id && f[0].is_required);
    ck_assert(f[1].type == UPL_F64 && !f[1].is_required);
    ck_assert(f[2].type == UPL_I64 && f[2].is_not_null);
    upl_schema_free(f, n);
    ck_assert_int_eq(upl_schema_parse("income", &f, &n, &e), UPL_EPARSE);
    ck_assert_int_eq(upl_schema_parse("income:money", &f, &n, &e), UPL_EPARSE);
    ck_assert_int_eq(upl_schema_parse("a:f64:sometimes", &f, &n, &e), UPL_EPARSE);
    ck_assert_int_eq(upl_schema_parse("a:f64,a:i64", &f, &n, &e), UPL_EPARSE);
    upl_error_clear(&e);
}
END_TEST

Suite *suite_io_write(void) {
    Suite *s = suite_create("io_write");
    TCase *tc = tcase_create("writers");
    tcase_add_test(tc, csv_field_quoting_and_formulas);
    tcase_add_test(tc, csv_and_json_tables);
    tcase_add_test(tc, csv_round_trip_through_reader);
    tcase_add_test(tc, schema_text);
    suite_add_tcase(s, tc);
    return s;
}
