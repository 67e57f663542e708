/* test_registry_conflict.c — the import's conflict rule: the same person
 * (ID blind index) listed in two households *in the same wave* is one
 * conflict record; a person no longer listed in household A for that wave
 * (a correction import removed them) or listed in A only in another wave
 * (moved, married into B the next year) is none. Each test runs on SQLite
 * and PostgreSQL (UPL_TEST_PG_URI), once into an empty registry (the bulk
 * path: its conflict query starts from repeated blind indexes) and once
 * into a registry of 40 other households (the ordinary path: the search
 * starts from the member waves this import wrote). Expected values are
 * written out by hand from the files below. */
#include "test_registry_util.h"

/* Hand-made GB 11643 IDs on address 110105 (the check digit computed). */
#define ZHANG_D17 "11010519800512001"   /* 张伟, male (odd sequence) */
#define LI_D17    "11010519820304002"   /* 李娜, female */
#define WANG_D17  "11010519751120003"   /* 王强, male */

static const char *const HEADER =
    "household_code,area_code,household_size,person_code,name,sex,id_number,relation_to_head\n";

/* The header's first name is quoted in odd waves, so that the same rows for
 * two waves are two files (an import is identified by the file's SHA-256). */
static void write_rows(const char *path, const char *rows, int wave) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    if (wave % 2) fputs("\"household_code\"", f);
    fputs(wave % 2 ? HEADER + strlen("household_code") : HEADER, f);
    fputs(rows, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* One member row; id_d17 gets its check digit. */
static void row(char *buf, size_t cap, const char *hh, const char *area, int size, const char *pc, const char *name,
                const char *sex, const char *d17, const char *rel) {
    char id[19];
    reg_make_id(d17, id);
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s,%s,%d,%s,%s,%s,%s,%s\n", hh, area, size, pc, name, sex, id, rel);
}

static upl_import_summary import_rows(upl_registry *r, const char *tag, const char *rows, int wave) {
    static int counter = 0;
    char name[96];
    snprintf(name, sizeof name, "conflict_%s_%d.csv", tag, ++counter);
    char *path = unit_tmp_path(name);
    write_rows(path, rows, wave);
    upl_import_summary s = reg_import_ok(r, path, wave);
    ck_assert_uint_eq(s.households_quarantined, 0);
    free(path);
    return s;
}

/* _i = backend * 2 + (1 when 40 other households are registered first). */
static upl_registry *open_case(int i, const char *tag) {
    upl_registry *r = reg_open_fresh(i / 2, tag, NULL, NULL);
    if (i % 2) {
        char name[96];
        snprintf(name, sizeof name, "conflict_bg_%s_%ld.csv", tag, (long)getpid());
        char *bg = unit_tmp_path(name);
        ck_assert_uint_eq(reg_write_synthetic(bg, "110105009001", "B", 40, 3), 100);
        /* the 2020 file: the same rows behind a quoted first header name */
        snprintf(name, sizeof name, "conflict_bg20_%s_%ld.csv", tag, (long)getpid());
        char *bg20 = unit_tmp_path(name);
        FILE *in = fopen(bg, "r"), *out = fopen(bg20, "w");
        ck_assert(in && out);
        fputc('"', out);
        for (int ch, k = 0; (ch = fgetc(in)) != EOF; k++) {
            if (k == (int)strlen("household_code")) fputc('"', out);
            fputc(ch, out);
        }
        fclose(in);
        ck_assert_int_eq(fclose(out), 0);
        upl_import_options o;
        upl_import_options_init(&o);
        o.today = 20240101;
        o.wave = 2019;
        upl_import_summary s;
        upl_error err = {0};
        ck_assert_int_eq(upl_registry_import(r, bg, &o, &s, &err), UPL_OK);
        /* the same households in 2020 too, so both waves hold many more
         * members than the small files below (the ordinary path) */
        o.wave = 2020;
        ck_assert_int_eq(upl_registry_import(r, bg20, &o, &s, &err), UPL_OK);
        ck_assert_uint_eq(s.conflicts, 0);
        free(bg);
        free(bg20);
    }
    return r;
}

static upl_table *conflicts(upl_registry *r) {
    upl_table *t = NULL;
    upl_error err = {0};
    int rc = upl_registry_conflicts(r, &t, &err);
    ck_assert_msg(rc == UPL_OK, "conflicts: %s", upl_error_message(&err));
    return t;
}

static void expect_cell(const upl_table *t, size_t row_i, const char *col, const char *want) {
    upl_column *c = upl_table_find(t, col);
    ck_assert_msg(c != NULL, "no column %s", col);
    size_t n = 0;
    const char *s = upl_col_is_valid(c, row_i) ? upl_col_str(c, row_i, &n) : "";
    ck_assert_msg(n == strlen(want) && !memcmp(s, want, n), "%s: expected `%s`, got `%.*s`", col, want, (int)n, s);
}

/* (a) 张伟 listed in H001 (village 110105001001) and in H020 (village
 * 110105002003) in the same wave: one conflict, the pair ordered by code,
 * two areas whose lowest common area is the county 110105, the ID masked
 * to its first 6 and last 4 characters. H020 comes in a second import (the
 * registry side of the search) and, in a second pair, both in one file. */
START_TEST(test_same_wave_two_households) {
    if (!reg_backend_available(_i / 2, "conflict_same_wave")) return;
    char zhang[19];
    reg_make_id(ZHANG_D17, zhang);
    char masked[19];
    snprintf(masked, sizeof masked, "110105********%s", zhang + 14);
    for (int one_file = 0; one_file < 2; one_file++) {
        upl_registry *r = open_case(_i, "cfsame");
        char a[1024] = "", b[1024] = "";
        row(a, sizeof a, "H001", "110105001001", 2, "P1", "张伟", "男", ZHANG_D17, "户主");
        row(a, sizeof a, "H001", "110105001001", 2, "P2", "李娜", "女", LI_D17, "配偶");
        row(b, sizeof b, "H020", "110105002003", 2, "P3", "王强", "男", WANG_D17, "户主");
        row(b, sizeof b, "H020", "110105002003", 2, "P4", "张伟", "男", ZHANG_D17, "之子");
        uint64_t n_conf;
        if (one_file) {
            char ab[2048];
            snprintf(ab, sizeof ab, "%s%s", a, b);
            n_conf = import_rows(r, "same1", ab, 2020).conflicts;
        } else {
            ck_assert_uint_eq(import_rows(r, "sameA", a, 2020).conflicts, 0);
            n_conf = import_rows(r, "sameB", b, 2020).conflicts;
        }
        ck_assert_uint_eq(n_conf, 1);
        upl_table *t = conflicts(r);
        ck_assert_uint_eq(upl_table_n_rows(t), 1);
        expect_cell(t, 0, "kind", "same_person_two_areas");
        expect_cell(t, 0, "household_a", "H001");
        expect_cell(t, 0, "household_b", "H020");
        expect_cell(t, 0, "area_a", "110105001001");
        expect_cell(t, 0, "area_b", "110105002003");
        expect_cell(t, 0, "escalate_to", "110105");
        expect_cell(t, 0, "id_masked", masked);
        expect_cell(t, 0, "status", "open");
        upl_table_free(t);
        /* the same household in the same village: two households, one area */
        char c3[1024] = "";
        row(c3, sizeof c3, "H030", "110105001001", 1, "P5", "李娜", "女", LI_D17, "户主");
        ck_assert_uint_eq(import_rows(r, "sameC", c3, 2020).conflicts, 1);
        t = conflicts(r);
        ck_assert_uint_eq(upl_table_n_rows(t), 2);
        size_t k = 0;
        upl_column *hb = upl_table_find(t, "household_b");
        size_t n;
        if (!(upl_col_str(hb, 0, &n) && n == 4 && !memcmp(upl_col_str(hb, 0, &n), "H030", 4))) k = 1;
        expect_cell(t, k, "kind", "same_person_two_households");
        expect_cell(t, k, "household_a", "H001");
        expect_cell(t, k, "household_b", "H030");
        expect_cell(t, k, "escalate_to", "110105001001");
        upl_table_free(t);
        upl_registry_close(r);
    }
}
END_TEST

/* (b) A correction import of wave 2020 removes 张伟 from H001 (H001 now has
 * 李娜 alone); H020 then lists him in 2020: no conflict — he is listed in
 * one household of that wave. Without the correction, the same H020 file
 * gives the conflict (the control). */
START_TEST(test_correction_removed_person) {
    if (!reg_backend_available(_i / 2, "conflict_correction")) return;
    for (int corrected = 0; corrected < 2; corrected++) {
        upl_registry *r = open_case(_i, "cfcorr");
        char a[1024] = "", a2[1024] = "", b[1024] = "";
        row(a, sizeof a, "H001", "110105001001", 2, "P1", "张伟", "男", ZHANG_D17, "户主");
        row(a, sizeof a, "H001", "110105001001", 2, "P2", "李娜", "女", LI_D17, "配偶");
        row(a2, sizeof a2, "H001", "110105001001", 1, "P2", "李娜", "女", LI_D17, "户主");
        row(b, sizeof b, "H020", "110105002003", 1, "P9", "张伟", "男", ZHANG_D17, "户主");
        ck_assert_uint_eq(import_rows(r, "corrA", a, 2020).conflicts, 0);
        if (corrected) {
            upl_import_summary s = import_rows(r, "corrA2", a2, 2020);
            ck_assert_uint_eq(s.households_updated, 1);
            ck_assert_uint_eq(s.conflicts, 0);
        }
        uint64_t got = import_rows(r, "corrB", b, 2020).conflicts;
        upl_table *t = conflicts(r);
        ck_assert_uint_eq(got, (corrected ? 0 : 1));
        ck_assert_uint_eq(upl_table_n_rows(t), (corrected ? 0 : 1));
        upl_table_free(t);
        ck_assert_int_eq(reg_stat(r, "conflicts"), (corrected ? 0 : 1));
        upl_registry_close(r);
    }
}
END_TEST

/* (c) 张伟 in H001 in wave 2019, in H020 in wave 2020 (moved or married):
 * no conflict. When H001's 2020 wave still lists him, the conflict is found
 * from H001's side: one record H001–H020; importing H020's file again
 * (idempotent: already imported) and H001's 2020 wave with a change adds
 * nothing. */
START_TEST(test_other_wave) {
    if (!reg_backend_available(_i / 2, "conflict_other_wave")) return;
    upl_registry *r = open_case(_i, "cfwave");
    char a[1024] = "", a2[1024] = "", b[1024] = "";
    row(a, sizeof a, "H001", "110105001001", 2, "P1", "张伟", "男", ZHANG_D17, "户主");
    row(a, sizeof a, "H001", "110105001001", 2, "P2", "李娜", "女", LI_D17, "配偶");
    row(b, sizeof b, "H020", "110105002003", 1, "P9", "张伟", "男", ZHANG_D17, "户主");
    ck_assert_uint_eq(import_rows(r, "waveA19", a, 2019).conflicts, 0);
    ck_assert_uint_eq(import_rows(r, "waveB20", b, 2020).conflicts, 0);
    upl_table *t = conflicts(r);
    ck_assert_uint_eq(upl_table_n_rows(t), 0);
    upl_table_free(t);
    ck_assert_uint_eq(import_rows(r, "waveA20", a, 2020).conflicts, 1);
    t = conflicts(r);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    expect_cell(t, 0, "household_a", "H001");
    expect_cell(t, 0, "household_b", "H020");
    expect_cell(t, 0, "kind", "same_person_two_areas");
    upl_table_free(t);
    /* a corrected H001 2020 file (李娜 renamed as head) still lists 张伟: the pair exists already */
    row(a2, sizeof a2, "H001", "110105001001", 2, "P1", "张伟", "男", ZHANG_D17, "之子");
    row(a2, sizeof a2, "H001", "110105001001", 2, "P2", "李娜", "女", LI_D17, "户主");
    ck_assert_uint_eq(import_rows(r, "waveA20b", a2, 2020).conflicts, 0);
    ck_assert_int_eq(reg_stat(r, "conflicts"), 1);
    upl_registry_close(r);
}
END_TEST

Suite *suite_registry_conflict(void) {
    Suite *s = suite_create("registry_conflict");
    TCase *tc = tcase_create("same_wave");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_same_wave_two_households, 0, 2 * (BACKEND_PG + 1));
    tcase_add_loop_test(tc, test_correction_removed_person, 0, 2 * (BACKEND_PG + 1));
    tcase_add_loop_test(tc, test_other_wave, 0, 2 * (BACKEND_PG + 1));
    suite_add_tcase(s, tc);
    return s;
}
