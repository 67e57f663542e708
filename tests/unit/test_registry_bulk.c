/* test_registry_bulk.c — the import's write paths against each other: the
 * bulk path (an empty or small registry: rows written in large batches,
 * indexes rebuilt once) and the ordinary path (a small file into a larger
 * registry: households looked up one by one), with values checked field by
 * field against the file. Also two inputs that once broke the import: a
 * malformed birth_date next to a valid ID number (a crash), and several new
 * households in one ordinary-path import (each new household after the
 * first was written with the next household's strings). Every test runs on
 * SQLite and on PostgreSQL (UPL_TEST_PG_URI). */
#include "test_registry_util.h"
#include "../../lib/registry/registry_int.h"

static bool is(const char *s, size_t n, const char *lit) { return n == strlen(lit) && !memcmp(s, lit, n); }

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}


/* The value of column `col` in the row of `t` whose person_code is pc. */
static const char *cell(const upl_table *t, const char *pc, const char *col, size_t *len) {
    upl_column *k = upl_table_find(t, "person_code"), *c = upl_table_find(t, col);
    ck_assert_ptr_nonnull(k);
    ck_assert_msg(c != NULL, "no column %s", col);
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        size_t n;
        const char *s = upl_col_str(k, i, &n);
        if (upl_col_is_valid(k, i) && is(s, n, pc)) {
            if (!upl_col_is_valid(c, i)) { *len = 0; return NULL; }
            return upl_col_str(c, i, len);
        }
    }
    ck_abort_msg("person %s not read back", pc);
    return NULL;
}

static void expect(const upl_table *t, const char *pc, const char *col, const char *want) {
    size_t n = 0;
    const char *s = cell(t, pc, col, &n);
    ck_assert_msg(s && is(s, n, want), "%s.%s: expected `%s`, got `%.*s`", pc, col, want, (int)n, s ? s : "(null)");
}

/* Three new households and one already registered, imported into a registry
 * four times larger than the file (the ordinary path: no preload, one
 * lookup per household, indexes kept). Every stored value is the file's. */
START_TEST(test_small_import_new_households) {
    int be = _i;
    if (!reg_backend_available(be, "small_import_new_households")) return;
    upl_registry *r = reg_open_fresh(be, "bulksmall", NULL, NULL);
    char *big = unit_tmp_path("bulksmall_big.csv");
    size_t rows = reg_write_synthetic(big, "110105001001", "A", 40, 1);
    ck_assert_uint_eq(rows, 100);   /* 10 × (1 + 2 + 3 + 4) */
    upl_import_summary s = reg_import_ok(r, big, 2023);
    ck_assert_uint_eq(s.households_new, 40);
    /* 8 rows against 100 stored members and 4 households against 40: the
     * ordinary path. A000001 exists (2 members in the big file). IDs:
     * valid GB 11643 numbers not used by the big file (its birth years are
     * 1940-1991 on 110105 with sequences from h*4+m+7919). */
    char *small = unit_tmp_path("bulksmall_small.csv");
    write_text(small,
        "household_code,area_code,village,head_name,household_size,main_poverty_cause,person_code,name,sex,"
        "id_number,relation_to_head\n"
        "N1,110105001002,东村,赵一,2,因病,N1_0,赵一,男,110105200001010016,户主\n"
        "N1,110105001002,东村,赵一,2,因病,N1_1,钱二,女,110105200001010024,配偶\n"
        "A000001,110105001001,老村,改名,2,因学,A000001_0,成员0,男,110105194101019239,户主\n"
        "A000001,110105001001,老村,改名,2,因学,A000001_1,成员1,女,110105195601019248,配偶\n"
        "N2,110105001003,西村,孙三,1,因残,N2_0,孙三,男,110105200001010032,户主\n"
        "N3,110105001004,南村,李四,3,缺资金,N3_0,李四,女,110105200001010040,户主\n"
        "N3,110105001004,南村,李四,3,缺资金,N3_1,周五,男,110105200001010059,配偶\n"
        "N3,110105001004,南村,李四,3,缺资金,N3_2,吴六,女,110105200001010067,之女\n");
    s = reg_import_ok(r, small, 2023);
    ck_assert_uint_eq(s.households_new, 3);
    ck_assert_uint_eq(s.households_updated, 1);
    ck_assert_uint_eq(s.households_quarantined, 0);
    upl_table *t = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_registry_wave_table(r, 2023, NULL, &t, &err), UPL_OK);
    static const char *const want[][5] = {
        /* person_code, household_code, head_name, name, main_poverty_cause */
        { "N1_0", "N1", "赵一", "赵一", "因病" }, { "N1_1", "N1", "赵一", "钱二", "因病" },
        { "A000001_0", "A000001", "改名", "成员0", "因学" }, { "A000001_1", "A000001", "改名", "成员1", "因学" },
        { "N2_0", "N2", "孙三", "孙三", "因残" },
        { "N3_0", "N3", "李四", "李四", "缺资金" }, { "N3_1", "N3", "李四", "周五", "缺资金" },
        { "N3_2", "N3", "李四", "吴六", "缺资金" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        expect(t, want[i][0], "household_code", want[i][1]);
        expect(t, want[i][0], "head_name", want[i][2]);
        expect(t, want[i][0], "name", want[i][3]);
        expect(t, want[i][0], "main_poverty_cause", want[i][4]);
    }
    /* 100 - 2 (A000001's old members replaced by the same two) + 6 new */
    ck_assert_uint_eq(upl_table_n_rows(t), 106);
    upl_table_free(t);
    /* The ID numbers are found again through the blind index, in the right household. */
    ck_assert_int_eq(upl_registry_find_id(r, "110105200001010059", &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    size_t n;
    const char *hc = upl_col_str(upl_table_find(t, "household_code"), 0, &n);
    ck_assert(is(hc, n, "N3"));
    upl_table_free(t);
    ck_assert_int_eq(upl_registry_check(r, &err), UPL_OK);
    upl_registry_close(r);
    free(big);
    free(small);
}
END_TEST

/* A birth_date the parser refuses, next to a valid ID number: the household
 * is quarantined with BAD_VALUE (it used to crash comparing the refused
 * date with the ID's), the other household is imported. */
START_TEST(test_bad_birth_date) {
    int be = _i;
    if (!reg_backend_available(be, "bad_birth_date")) return;
    upl_registry *r = reg_open_fresh(be, "bulkbirth", NULL, NULL);
    char *csv = unit_tmp_path("bulkbirth.csv");
    write_text(csv,
        "household_code,area_code,household_size,person_code,name,sex,id_number,birth_date,relation_to_head\n"
        "B1,110105001001,1,B1_0,甲,男,110105200001010016,2000-13-45,户主\n"
        "B2,110105001001,1,B2_0,乙,男,110105200001010032,2000-01-01,户主\n");
    upl_import_summary s = reg_import_ok(r, csv, 2023);
    ck_assert_uint_eq(s.households_accepted, 1);
    ck_assert_uint_eq(s.households_quarantined, 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_BAD_VALUE], 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_DATE_MISMATCH], 0);
    ck_assert_int_eq(reg_stat(r, "households"), 1);
    upl_registry_close(r);
    free(csv);
}
END_TEST

/* A file large enough for the second thread (20,000 rows: ID numbers
 * checked, blind-indexed and encrypted ahead of the main thread) with an
 * invalid ID and an ID repeated across households in it: the same
 * households, quarantines and conflicts as the hand count below, and the
 * IDs found again in the right households. */
START_TEST(test_large_file_ahead) {
    int be = _i;
    if (!reg_backend_available(be, "large_file_ahead")) return;
    upl_registry *r = reg_open_fresh(be, "bulklarge", NULL, NULL);
    char *csv = unit_tmp_path("bulklarge.csv");
    size_t rows = reg_write_synthetic(csv, "110105001001", "L", 8000, 3);
    ck_assert_uint_eq(rows, 20000);
    /* Append two households: one with a bad check character, one whose
     * head is L000000's head (same ID: a conflict). */
    char id0[19], d17[18];
    /* L000000 member 0: year 1940, seq (0 + 3 * 7919) % 1000 = 757, Jan 1 */
    snprintf(d17, sizeof d17, "110105194001017%02d", 57);
    reg_make_id(d17, id0);
    FILE *f = fopen(csv, "a");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "X1,110105001001,1,因病,100.00,X1_0,坏,男,11010519991231001%c,户主,健康\n",
            upl_id_check_char("11010519991231001") == '0' ? '1' : '0');
    fprintf(f, "X2,110105001001,1,因病,100.00,X2_0,重,%s,%s,户主,健康\n", ((id0[16] - '0') % 2) ? "男" : "女", id0);
    ck_assert_int_eq(fclose(f), 0);
    upl_import_summary s = reg_import_ok(r, csv, 2023);
    ck_assert_uint_eq(s.rows_read, 20002);
    ck_assert_uint_eq(s.households_accepted, 8001);
    ck_assert_uint_eq(s.households_quarantined, 1);
    ck_assert_uint_eq(s.by_code[UPL_IMP_ID_INVALID], 1);
    ck_assert_uint_eq(s.conflicts, 1);
    ck_assert_int_eq(reg_stat(r, "members"), 20001);
    upl_table *t = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_registry_find_id(r, id0, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 2);   /* L000000 and X2 */
    upl_table_free(t);
    /* The last household of the synthetic part: L007999, 4 members; its
     * third member (m = 2): year 1940 + 30 + 7999 % 7 = 1975, month
     * 1 + (7999 / 250) % 12 = 1 + 31 % 12 = 8, day 1 + 7999 / 3000 = 3,
     * sequence (7999 * 4 + 2 + 3 * 7919) % 1000 = 755. */
    char id_last[19];
    snprintf(d17, sizeof d17, "11010519750803755");
    reg_make_id(d17, id_last);
    ck_assert_int_eq(upl_registry_find_id(r, id_last, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), 1);
    size_t n;
    const char *hc = upl_col_str(upl_table_find(t, "household_code"), 0, &n);
    ck_assert_msg(is(hc, n, "L007999"), "%.*s", (int)n, hc);
    const char *pc = upl_col_str(upl_table_find(t, "person_code"), 0, &n);
    ck_assert_msg(is(pc, n, "L007999_2"), "%.*s", (int)n, pc);
    upl_table_free(t);
    ck_assert_int_eq(upl_registry_check(r, &err), UPL_OK);
    upl_registry_close(r);
    free(csv);
}
END_TEST

/* Text that COPY's text format must escape (backslash, tab, newline,
 * carriage return) and text it must not touch (\N, quotes, CJK) survives a
 * first load — PostgreSQL's COPY path, SQLite's statements — byte for byte. */
START_TEST(test_copy_escaping) {
    int be = _i;
    if (!reg_backend_available(be, "copy_escaping")) return;
    upl_registry *r = reg_open_fresh(be, "bulkesc", NULL, NULL);
    char *csv = unit_tmp_path("bulkesc.csv");
    write_text(csv,
        "household_code,area_code,household_size,head_name,person_code,name,sex,id_number,relation_to_head,"
        "work_location,dropout_reason\n"
        "E1,110105001001,2,\"王\\大\",E1_0,\"张\t三\",男,110105200001010016,户主,\"北京\n海淀\",\\N\n"
        "E1,110105001001,2,\"王\\大\",E1_1,\"李\r四\",女,110105200001010024,配偶,\"\"\"引号\"\"\",a\\tb\n");
    upl_import_summary s = reg_import_ok(r, csv, 2023);
    ck_assert_uint_eq(s.households_accepted, 1);
    upl_table *t = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_registry_wave_table(r, 2023, NULL, &t, &err), UPL_OK);
    expect(t, "E1_0", "head_name", "王\\大");
    expect(t, "E1_0", "name", "张\t三");
    expect(t, "E1_0", "work_location", "北京\n海淀");
    expect(t, "E1_0", "dropout_reason", "\\N");
    expect(t, "E1_1", "name", "李\r四");
    expect(t, "E1_1", "work_location", "\"引号\"");
    expect(t, "E1_1", "dropout_reason", "a\\tb");
    upl_table_free(t);
    upl_registry_close(r);
    free(csv);
}
END_TEST

/* The PostgreSQL driver's background COPY: an error in the second text
 * comes back from the connection's next use (and fails it), the texts are
 * sent in order, and a clean run is complete after copy_wait. SQLite has no
 * COPY (NULL entries). */
START_TEST(test_copy_background) {
    int be = _i;
    if (!reg_backend_available(be, "copy_background")) return;
    upl_registry *r = reg_open_fresh(be, "bulkcopy", NULL, NULL);
    upl_db *db = r->db;
    upl_error err = {0};
    if (be == BACKEND_SQLITE) {
        ck_assert_ptr_null(db->vt->copy_in);
        ck_assert_ptr_null(db->vt->copy_start);
        ck_assert_ptr_null(db->vt->copy_wait);
        upl_registry_close(r);
        return;
    }
    ck_assert_int_eq(db->vt->exec(db, "CREATE TABLE copy_t (a INTEGER PRIMARY KEY, b TEXT)", &err), UPL_OK);
    const char *sql[2] = { "COPY copy_t (a, b) FROM STDIN", "COPY copy_t (a, b) FROM STDIN" };
    const char *bad[2] = { "1\tx\n2\ty\n", "3\tz\n1\tdup\n" };
    size_t len[2] = { strlen(bad[0]), strlen(bad[1]) };
    ck_assert_int_eq(db->vt->begin(db, &err), UPL_OK);
    ck_assert_int_eq(db->vt->copy_start(db, 2, sql, bad, len, &err), UPL_OK);
    int rc = db->vt->exec(db, "SELECT 1", &err);
    ck_assert_int_eq(rc, UPL_EDB);
    ck_assert_msg(strstr(upl_error_message(&err), "copy") && strstr(upl_error_message(&err), "duplicate key"), "%s",
                  upl_error_message(&err));
    upl_error_clear(&err);
    db->vt->rollback(db);
    const char *good[2] = { "1\tx\n2\ty\n", "3\tz\\tq\n4\t\\N\n" };
    len[0] = strlen(good[0]); len[1] = strlen(good[1]);
    ck_assert_int_eq(db->vt->begin(db, &err), UPL_OK);
    ck_assert_int_eq(db->vt->copy_start(db, 2, sql, good, len, &err), UPL_OK);
    ck_assert_int_eq(db->vt->copy_wait(db, &err), UPL_OK);
    ck_assert_int_eq(db->vt->commit(db, &err), UPL_OK);
    int64_t n = 0;
    bool found = false;
    ck_assert_int_eq(upl_db_query_i64(db, "SELECT COUNT(*) FROM copy_t WHERE b IS NULL", &n, &found, &err, ""), UPL_OK);
    ck_assert_int_eq(n, 1);
    char *b3 = NULL;
    ck_assert_int_eq(upl_db_query_text(db, "SELECT b FROM copy_t WHERE a = 3", &b3, &err, ""), UPL_OK);
    ck_assert_str_eq(b3, "z\tq");
    upl_free(b3);
    ck_assert_int_eq(upl_db_query_i64(db, "SELECT COUNT(*) FROM copy_t", &n, &found, &err, ""), UPL_OK);
    ck_assert_int_eq(n, 4);
    upl_registry_close(r);
}
END_TEST

/* The synthetic export's ID for household h, member m (reg_write_synthetic, seed 1). */
static void synth_id(int h, int m, char id[19]) {
    char d17[32];
    int year = 1940 + m * 15 + (h % 7), seq = (h * 4 + m + 7919) % 1000;
    int month = 1 + (h / 250) % 12, day = 1 + (h / 3000) % 28;
    snprintf(d17, sizeof d17, "110105%04u%02u%02u%03u", (unsigned)year % 10000u, (unsigned)month % 100u,
             (unsigned)day % 100u, (unsigned)seq % 1000u);
    reg_make_id(d17, id);
}

/* The 2020 file of test_next_wave_changes; `correction`: the same wave
 * again with A000005's income 9,999.25 and A000013's added member gone. */
static size_t write_next_wave(const char *path, bool correction, int sizes20[70]) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("household_code,area_code,household_size,main_poverty_cause,income_net,person_code,name,sex,"
          "id_number,relation_to_head,health_status\n", f);
    size_t rows20 = 0;
    for (int h = 0; h < 70; h++) {
        bool add = h % 5 == 3 && !(correction && h == 13);
        int size = 1 + h % 4, keep = size - (h % 5 == 4 && size > 1), n20 = keep + add;
        int inc = correction && h == 5 ? 9999 : 7000 + h;
        sizes20[h] = n20;
        const char *area = h == 10 ? "110105001002" : "110105001001";
        for (int m = 0; m < n20; m++) {
            char id[19];
            if (m < keep) synth_id(h, m, id);
            else {
                char d17[32];
                snprintf(d17, sizeof d17, "11010520100101%03d", h);
                reg_make_id(d17, id);
            }
            const char *sex = ((id[16] - '0') % 2) ? "男" : "女";
            if (m < keep)
                fprintf(f, "A%06d,%s,%d,因学,%d.25,A%06d_%d,成员%d,%s,%s,%s,健康\n", h, area, n20, inc, h, m, m, sex, id,
                        m == 0 ? "户主" : (m == 1 ? "配偶" : "之子"));
            else
                fprintf(f, "A%06d,%s,%d,因学,%d.25,A%06d_new,新成员,%s,%s,之子,健康\n", h, area, n20, inc, h, sex, id);
            rows20++;
        }
        if (h == 20 || h == 50) {
            char d17[32], id[19];
            snprintf(d17, sizeof d17, "11010520200101%03d", h);
            reg_make_id(d17, id);
            fprintf(f, "N%d,110105001003,1,因病,100.00,N%d_0,新户%d,%s,%s,户主,健康\n", h, h, h,
                    ((id[16] - '0') % 2) ? "男" : "女", id);
            rows20++;
        }
    }
    ck_assert_int_eq(fclose(f), 0);
    return rows20;
}

/* The next wave of 70 registered households (more than one batch of 64)
 * with changes: income_net of every household, a member added where
 * h % 5 == 3 (a new ID), the last member gone where h % 5 == 4 (size > 1),
 * A000010 moved to another village, and two new households between them.
 * _i = backend * 2 + 1 when 100 six-person households are registered
 * first (then the file is under a quarter of the members: the ordinary
 * path; else the bulk path). Every value is checked against the file, the
 * earlier wave is untouched, the move is audited and the chain verifies. */
START_TEST(test_next_wave_changes) {
    int be = _i / 2;
    if (!reg_backend_available(be, "next_wave_changes")) return;
    upl_registry *r = reg_open_fresh(be, "bulknext", NULL, NULL);
    if (_i % 2) {
        char *bg = unit_tmp_path("bulknext_bg.csv");
        FILE *f = fopen(bg, "w");
        ck_assert_ptr_nonnull(f);
        fputs("household_code,area_code,household_size,person_code,name,id_number,relation_to_head\n", f);
        for (int h = 0; h < 100; h++)
            for (int m = 0; m < 6; m++) {
                char d17[32], id[19];
                snprintf(d17, sizeof d17, "11010619700101%03d", h * 6 + m);
                reg_make_id(d17, id);
                fprintf(f, "B%03d,110105009001,6,B%03d_%d,乙%d,%s,%s\n", h, h, m, m, id, m ? "之子" : "户主");
            }
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_uint_eq(reg_import_ok(r, bg, 2019).households_new, 100);
        free(bg);
    }
    char *w19 = unit_tmp_path("bulknext_2019.csv");
    size_t rows19 = reg_write_synthetic(w19, "110105001001", "A", 70, 1);
    ck_assert_uint_eq(reg_import_ok(r, w19, 2019).households_new, 70);
    char *w20 = unit_tmp_path("bulknext_2020.csv");
    int sizes20[70];
    size_t rows20 = write_next_wave(w20, false, sizes20);
    upl_import_summary s = reg_import_ok(r, w20, 2020);
    ck_assert_uint_eq(s.households_new, 2);
    ck_assert_uint_eq(s.households_accepted, 72);
    ck_assert_uint_eq(s.households_quarantined, 0);
    ck_assert_uint_eq(s.rows_accepted, rows20);
    upl_table *t = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_registry_wave_table(r, 2020, NULL, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), rows20);
    char pc[48], hc[32], want[32];
    for (int h = 0; h < 70; h++) {
        snprintf(hc, sizeof hc, "A%06d", h);
        snprintf(want, sizeof want, "%d.25", 7000 + h);
        int keep = sizes20[h] - (h % 5 == 3);
        for (int m = 0; m < keep; m++) {
            snprintf(pc, sizeof pc, "A%06d_%d", h, m);
            expect(t, pc, "household_code", hc);
            expect(t, pc, "main_poverty_cause", "因学");
            expect(t, pc, "area_code", h == 10 ? "110105001002" : "110105001001");
            char nm[32];
            snprintf(nm, sizeof nm, "成员%d", m);
            expect(t, pc, "name", nm);
            /* money comes back in yuan as a number: x.25 is exact in binary */
            upl_column *ic = upl_table_find(t, "income_net"), *kc = upl_table_find(t, "person_code");
            ck_assert(ic && kc && ic->type == UPL_F64);
            bool seen = false;
            for (size_t i = 0; i < upl_table_n_rows(t); i++) {
                size_t n;
                const char *k = upl_col_str(kc, i, &n);
                if (!is(k, n, pc)) continue;
                seen = true;
                ck_assert_msg(upl_col_is_valid(ic, i) && ic->v.f64[i] == 7000.25 + h, "%s income_net %.17g, expected %s",
                              pc, ic->v.f64[i], want);
            }
            ck_assert(seen);
        }
        if (h % 5 == 3) {
            snprintf(pc, sizeof pc, "A%06d_new", h);
            expect(t, pc, "household_code", hc);
            expect(t, pc, "name", "新成员");
        }
    }
    expect(t, "N20_0", "household_code", "N20");
    expect(t, "N50_0", "name", "新户50");
    upl_table_free(t);
    /* the earlier wave as it was */
    ck_assert_int_eq(upl_registry_wave_table(r, 2019, "110105001", &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), rows19);
    expect(t, "A000009_1", "name", "成员1");   /* gone in 2020, still listed in 2019 */
    expect(t, "A000010_0", "main_poverty_cause", "因病");
    upl_table_free(t);
    /* an added person is found in their household */
    {
        char d17[32], id[19];
        snprintf(d17, sizeof d17, "11010520100101%03d", 13);
        reg_make_id(d17, id);
        ck_assert_int_eq(upl_registry_find_id(r, id, &t, &err), UPL_OK);
        ck_assert_uint_eq(upl_table_n_rows(t), 1);
        size_t n;
        const char *c0 = upl_col_str(upl_table_find(t, "household_code"), 0, &n);
        ck_assert(is(c0, n, "A000013"));
        upl_table_free(t);
    }
    /* the move is audited, once, with both areas; the chain verifies */
    ck_assert_int_eq(upl_audit_list(r, 0, &t, &err), UPL_OK);
    int moves = 0;
    upl_column *act = upl_table_find(t, "action"), *obj = upl_table_find(t, "object"),
               *bef = upl_table_find(t, "before"), *aft = upl_table_find(t, "after");
    ck_assert(act && obj && bef && aft);
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        size_t n;
        const char *a = upl_col_str(act, i, &n);
        if (!is(a, n, "household.move")) continue;
        moves++;
        const char *o = upl_col_str(obj, i, &n);
        ck_assert(is(o, n, "household:A000010"));
        o = upl_col_str(bef, i, &n);
        ck_assert(is(o, n, "{\"area_code\":\"110105001001\"}"));
        o = upl_col_str(aft, i, &n);
        ck_assert(is(o, n, "{\"area_code\":\"110105001002\"}"));
    }
    ck_assert_int_eq(moves, 1);
    upl_table_free(t);
    /* A correction of wave 2020 (every household preloaded, the stored
     * waves read a batch at a time): two households changed, each audited
     * with exactly its changes (money in fen; members counted); every
     * household of the file had the wave, so all 72 are "updated". */
    char *w20b = unit_tmp_path("bulknext_2020b.csv");
    size_t rows20b = write_next_wave(w20b, true, sizes20);
    ck_assert_uint_eq(rows20b, rows20 - 1);
    int64_t seq0 = reg_stat(r, "audit_rows");
    s = reg_import_ok(r, w20b, 2020);
    ck_assert_uint_eq(s.households_updated, 72);
    ck_assert_uint_eq(s.households_new, 0);
    ck_assert_int_eq(upl_audit_list(r, seq0, &t, &err), UPL_OK);
    act = upl_table_find(t, "action"); obj = upl_table_find(t, "object");
    bef = upl_table_find(t, "before"); aft = upl_table_find(t, "after");
    static const char *const upd[][3] = {
        { "household:A000005:2020", "{\"income_net\":\"700525\"}", "{\"income_net\":\"999925\"}" },
        { "household:A000013:2020", "{\"members\":3,\"household_size\":\"3\"}",
          "{\"members\":2,\"household_size\":\"2\"}" },
    };
    int n_upd = 0;
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        size_t n;
        const char *a = upl_col_str(act, i, &n);
        if (!is(a, n, "household.update")) continue;
        ck_assert_int_lt(n_upd, 2);
        const char *o = upl_col_str(obj, i, &n);
        ck_assert_msg(is(o, n, upd[n_upd][0]), "update %d of `%.*s`", n_upd, (int)n, o);
        o = upl_col_str(bef, i, &n);
        ck_assert_msg(is(o, n, upd[n_upd][1]), "before `%.*s`", (int)n, o);
        o = upl_col_str(aft, i, &n);
        ck_assert_msg(is(o, n, upd[n_upd][2]), "after `%.*s`", (int)n, o);
        n_upd++;
    }
    ck_assert_int_eq(n_upd, 2);
    upl_table_free(t);
    ck_assert_int_eq(upl_registry_wave_table(r, 2020, NULL, &t, &err), UPL_OK);
    ck_assert_uint_eq(upl_table_n_rows(t), rows20b);
    expect(t, "A000013_1", "name", "成员1");
    upl_column *ic = upl_table_find(t, "income_net"), *kc = upl_table_find(t, "person_code");
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        size_t n;
        const char *k = upl_col_str(kc, i, &n);
        ck_assert(!is(k, n, "A000013_new"));
        if (is(k, n, "A000005_0")) ck_assert(ic->v.f64[i] == 9999.25);
    }
    upl_table_free(t);
    upl_audit_report rep;
    ck_assert_int_eq(upl_audit_verify(r, &rep, &err), UPL_OK);
    ck_assert_int_eq(upl_registry_check(r, &err), UPL_OK);
    upl_registry_close(r);
    free(w19);
    free(w20);
    free(w20b);
}
END_TEST

Suite *suite_registry_bulk(void) {
    Suite *s = suite_create("registry_bulk");
    TCase *tc = tcase_create("paths");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_small_import_new_households, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_bad_birth_date, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_large_file_ahead, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_copy_escaping, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_copy_background, BACKEND_SQLITE, BACKEND_PG + 1);
    tcase_add_loop_test(tc, test_next_wave_changes, 0, 2 * (BACKEND_PG + 1));
    suite_add_tcase(s, tc);
    return s;
}
