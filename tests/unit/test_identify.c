/* test_identify.c — identification with the shipped china-2014-targeted
 * profile on hand-built households (tests/golden/identify/china-2014/
 * persons.csv), every criterion both ways and at its boundaries; summaries;
 * village/county exit checks; the assessment sample; rates with Wilson and
 * Clopper-Pearson intervals.
 *
 * Hand calculation (year 2014, line 2,800 yuan, reference date 2014-12-31):
 *   H01 income 2799.99 < 2800                      -> income-poor, poor
 *   H02 income 2800 = line                         -> not poor (poor means income < line)
 *   H03 child born 2008-12-31 is 6, not in school  -> education deprived
 *   H04 child born 2009-01-01 is 5; 1998-12-30 is 16 -> education not deprived
 *   H05 child born 1999-12-31 is 15, not in school -> education deprived
 *   H06 child 10 not in school but disabled (exempt); head uninsured (resident 否,
 *       employee blank = not enrolled) -> medical deprived; income 2000 -> poor;
 *       declared main cause 因病 wins, rules add 因残 and 缺劳力 as secondary
 *   H07 housing grade C -> housing deprived; water 否 -> water deprived; income 3000
 *   H08 income -99 (sentinel) -> income unknown -> poor unknown; grade blank,
 *       是否危房户 否 -> housing safe (coalesce)
 *   H09 grade D -> housing deprived; income 2500 -> poor; both members without
 *       labour -> 缺劳力; head disabled -> 因残 is the first rule that holds
 *   H10 water blank -> water unknown: score 0..1/6, category undetermined */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"
#include "uplift/identify.h"

typedef struct fx { upl_profile *p; upl_table *t; upl_identify *r; upl_table *dec; } fx;

static fx run_china(void) {
    fx f = {0};
    upl_error err = {0};
    char *prof = unit_data_path("../../profiles/china-2014-targeted.yaml");
    char *csv = unit_data_path("../golden/identify/china-2014/persons.csv");
    ck_assert_msg(upl_profile_load(prof, &f.p, &err) == UPL_OK, "%s", upl_error_message(&err));
    upl_read_options ro;
    upl_read_options_init(&ro);
    ro.n_threads = 1;
    ck_assert_msg(upl_read_table(csv, &ro, &f.t, NULL, &err) == UPL_OK, "%s", upl_error_message(&err));
    upl_profile_map_report rep;
    ck_assert_msg(upl_profile_map_table(f.p, f.t, &rep, &err) == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_int_eq((int)rep.n_mapped, 21);
    ck_assert_int_eq((int)rep.n_sentinels, 1);   /* H08's -99 */
    upl_profile_map_report_free(&rep);
    upl_identify_options o;
    upl_identify_options_init(&o);
    o.year = 2014;
    ck_assert_msg(upl_identify_run(f.p, f.t, &o, &f.r, &err) == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_msg(upl_identify_households(f.r, &f.dec, &err) == UPL_OK, "%s", upl_error_message(&err));
    free(prof);
    free(csv);
    return f;
}

static void done(fx *f) {
    upl_table_free(f->dec);
    upl_identify_free(f->r);
    upl_table_free(f->t);
    upl_profile_free(f->p);
}

/* cell of the decision table as text ("" = missing) */
static const char *cell(fx *f, size_t row, const char *col) {
    static char *buf = NULL;
    static size_t cap = 0;
    size_t len;
    upl_column *c = upl_table_find(f->dec, col);
    ck_assert_msg(c != NULL, "no column %s", col);
    if (!upl_col_format(c, row, &buf, &cap, &len)) return "";
    return buf;
}

#define CELL(row, col, want) ck_assert_msg(!strcmp(cell(&f, row, col), want), "H%02d %s = `%s`, expected `%s`", \
                                           (int)(row) + 1, col, cell(&f, row, col), want)

START_TEST(china_each_household) {
    fx f = run_china();
    ck_assert_int_eq((int)upl_table_n_rows(f.dec), 10);
    /* income at the line */
    CELL(0, "income_poor", "true");  CELL(0, "poor", "true");  CELL(0, "category", "income_only");
    CELL(1, "income_poor", "false"); CELL(1, "poor", "false"); CELL(1, "category", "not_poor");
    CELL(0, "income_evidence", "income_pc=2799.99; line=2800");
    /* education: ages 6 and 15 deprived, 5 and 16 not */
    CELL(2, "education", "true");  CELL(2, "education_member", "H03-2");
    CELL(2, "education_evidence", "birth_date=20081231; school_status=非在校生; health_status=健康");
    CELL(3, "education", "false");
    CELL(4, "education", "true");  CELL(4, "education_member", "H05-2");
    CELL(2, "category", "guarantees_only");
    CELL(2, "exit_eligible", "false"); CELL(2, "exit_failed", "education_ok");
    CELL(3, "exit_eligible", "true");  CELL(3, "exit_failed", "");
    /* medical, disability exemption, causes */
    CELL(5, "education", "false");
    CELL(5, "medical", "true"); CELL(5, "medical_member", "H06-1");
    CELL(5, "main_cause", "因病"); CELL(5, "main_cause_code", "1");
    CELL(5, "secondary_causes", "因残;缺劳力");
    CELL(5, "score_exact", "1/3"); CELL(5, "category", "income_and_guarantees");
    /* housing C/D vs A/B, water */
    CELL(6, "housing", "true"); CELL(6, "water", "true"); CELL(6, "poor", "false");
    CELL(6, "housing_evidence", "dilapidated_grade=C; is_dilapidated_house=是");
    CELL(0, "housing", "false");   /* grade B is safe */
    CELL(8, "housing", "true");    /* grade D */
    CELL(8, "main_cause", "因残"); CELL(8, "secondary_causes", "缺劳力");
    /* missing values */
    CELL(7, "income_poor", ""); CELL(7, "poor", ""); CELL(7, "income", "");
    CELL(7, "housing", "false");
    CELL(7, "exit_failed", "income_above_line?");
    CELL(9, "water", ""); CELL(9, "score", ""); CELL(9, "score_exact", "0..1/6"); CELL(9, "category", "");
    /* provenance on every row */
    for (size_t r = 0; r < 10; r++) {
        CELL(r, "profile", "china-2014-targeted");
        CELL(r, "profile_version", "1.0.0");
        ck_assert_int_eq((int)strlen(cell(&f, r, "profile_sha256")), 64);
        CELL(r, "year", "2014");
    }
    done(&f);
}
END_TEST

START_TEST(china_summary_by_county) {
    fx f = run_china();
    upl_error err = {0};
    upl_table *s = NULL;
    ck_assert_int_eq(upl_identify_summary(f.r, "county", &s, &err), UPL_OK);
    ck_assert_int_eq((int)upl_table_n_rows(s), 2);
    /* rows sorted by key: 河南/乙县 then 贵州/甲县 (UTF-8 byte order) */
    double v;
    upl_column *c;
    c = upl_table_find(s, "households"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 5, 0);
    c = upl_table_find(s, "persons"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 8, 0);
    c = upl_table_find(s, "poor_households"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 2, 0);   /* H06, H09 */
    c = upl_table_find(s, "poor_persons"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 4, 0);
    c = upl_table_find(s, "unknown_households"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 1, 0); /* H08 */
    c = upl_table_find(s, "incidence"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 0.5, 1e-15);
    c = upl_table_find(s, "incidence"); upl_col_get_f64(c, 1, &v); ck_assert_near(v, 0.2, 1e-15);    /* 2 of 10 */
    c = upl_table_find(s, "failed_housing"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 2, 0);     /* H07, H09 */
    c = upl_table_find(s, "failed_education"); upl_col_get_f64(c, 1, &v); ck_assert_near(v, 2, 0);   /* H03, H05 */
    c = upl_table_find(s, "cause_1_因病"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 1, 0);
    c = upl_table_find(s, "cause_2_因残"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 1, 0);
    upl_table_free(s);
    ck_assert_int_eq(upl_identify_summary(f.r, "all", &s, &err), UPL_OK);
    ck_assert_int_eq((int)upl_table_n_rows(s), 1);
    c = upl_table_find(s, "incidence"); upl_col_get_f64(c, 0, &v); ck_assert_near(v, 6.0 / 18.0, 1e-15);
    upl_table_free(s);
    ck_assert_int_eq(upl_identify_summary(f.r, "hamlet", &s, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    done(&f);
}
END_TEST

START_TEST(china_village_exit) {
    fx f = run_china();
    upl_error err = {0};
    upl_table *x = NULL;
    ck_assert_msg(upl_identify_area_exit(f.r, "village", NULL, &x, &err) == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_int_eq((int)upl_table_n_rows(x), 4);
    /* order: 河南…北村, 河南…南村, 贵州…东村, 贵州…西村 */
    const char *want_pass[] = {"false", "false", "false", "true"};
    const char *want_th[] = {"0.02", "0.02", "0.03", "0.03"};   /* Guizhou is west */
    char *buf = NULL;
    size_t cap = 0, len;
    for (size_t r = 0; r < 4; r++) {
        upl_column *c = upl_table_find(x, "exit_pass");
        const char *got = upl_col_format(c, r, &buf, &cap, &len) ? buf : "";
        ck_assert_msg(!strcmp(got, want_pass[r]), "row %zu exit_pass %s", r, got);
        c = upl_table_find(x, "incidence_threshold");
        ck_assert(upl_col_format(c, r, &buf, &cap, &len));
        ck_assert_str_eq(buf, want_th[r]);
    }
    /* 北村: H09 poor (2 persons) of 4 = 0.5 fails; H08 unknown does not matter ->
     * but exit_pass is false, not unknown, because 0.5 already fails */
    upl_column *c = upl_table_find(x, "incidence");
    double v;
    upl_col_get_f64(c, 0, &v);
    ck_assert_near(v, 0.5, 1e-15);
    free(buf);
    upl_table_free(x);
    done(&f);
}
END_TEST

START_TEST(assess_sample_seeded) {
    fx f = run_china();
    upl_error err = {0};
    upl_table *a = NULL, *b = NULL;
    upl_assess_sample_options o = {.seed = 7, .n_villages = 1, .n_households = 2};
    ck_assert_int_eq(upl_assess_sample(f.r, &o, &a, &err), UPL_OK);
    ck_assert_int_eq(upl_assess_sample(f.r, &o, &b, &err), UPL_OK);
    /* one village per county, two households per village: 2 x 2 = 4 households */
    ck_assert_int_eq((int)upl_table_n_rows(a), 4);
    char *b1 = NULL, *b2 = NULL;
    size_t c1 = 0, c2 = 0, l1, l2;
    for (size_t r = 0; r < 4; r++) {
        ck_assert(upl_col_format(upl_table_column(a, 0), r, &b1, &c1, &l1));
        ck_assert(upl_col_format(upl_table_column(b, 0), r, &b2, &c2, &l2));
        ck_assert_str_eq(b1, b2);   /* same seed, same sample */
        double p;
        upl_col_get_f64(upl_table_find(a, "inclusion_prob"), r, &p);
        /* each county has 2 villages (prob 1/2); villages hold 2 or 3 households */
        ck_assert_msg(fabs(p - 0.5) < 1e-15 || fabs(p - 0.5 * 2.0 / 3.0) < 1e-15, "p = %g", p);
    }
    free(b1); free(b2);
    upl_table_free(a); upl_table_free(b);
    o.n_villages = 0;
    ck_assert_int_eq(upl_assess_sample(f.r, &o, &a, &err), UPL_EMISUSE);
    upl_error_clear(&err);
    done(&f);
}
END_TEST

START_TEST(rate_intervals) {
    upl_rate_ci ci;
    /* Clopper-Pearson 95 % for 5/20: R binom.test(5, 20) gives 0.08657147, 0.49104587 */
    upl_rate_ci_compute(5, 20, 0.95, &ci);
    ck_assert_near(ci.rate, 0.25, 1e-15);
    ck_assert_near(ci.exact_lo, 0.086571469101434540, 1e-9);
    ck_assert_near(ci.exact_hi, 0.491045871707957499, 1e-9);
    /* Wilson 95 % for 5/20 (closed form, computed with mpmath at 30 digits) */
    ck_assert_near(ci.wilson_lo, 0.111861701407665673, 1e-9);
    ck_assert_near(ci.wilson_hi, 0.468700877618743994, 1e-9);
    /* x = 0: exact upper = 1 - 0.025^(1/10) */
    upl_rate_ci_compute(0, 10, 0.95, &ci);
    ck_assert_near(ci.exact_hi, 1 - pow(0.025, 0.1), 1e-9);
    ck_assert_near(ci.exact_lo, 0, 0);
    ck_assert_near(ci.wilson_lo, 0, 0);
    /* x = n: exact lower = 0.025^(1/10) */
    upl_rate_ci_compute(10, 10, 0.95, &ci);
    ck_assert_near(ci.exact_lo, pow(0.025, 0.1), 1e-9);
    ck_assert_near(ci.exact_hi, 1, 0);
    upl_rate_ci_compute(1, 50, 0.95, &ci);
    ck_assert_near(ci.wilson_lo, 0.00353925927164623331, 1e-9);
    ck_assert_near(ci.wilson_hi, 0.104954435896378123, 1e-9);
    ck_assert_near(ci.exact_lo, 0.000506227983040829091, 1e-9);
    ck_assert_near(ci.exact_hi, 0.106469545711499903, 1e-9);
    upl_rate_ci_compute(0, 0, 0.95, &ci);
    ck_assert(isnan(ci.rate));
}
END_TEST

START_TEST(assessment_rates_verdict) {
    upl_profile *p = NULL;
    upl_error err = {0};
    char *prof = unit_data_path("../../profiles/china-2014-targeted.yaml");
    ck_assert_int_eq(upl_profile_load(prof, &p, &err), UPL_OK);
    free(prof);
    upl_table *t = upl_table_new();
    upl_column *ex, *wr, *reg, *mi, *ap;
    ck_assert_int_eq(upl_table_add_column(t, "exited", UPL_BOOL, &ex, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "wrongly_exited", UPL_STR, &wr, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "registered", UPL_BOOL, &reg, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "missed", UPL_BOOL, &mi, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "approves", UPL_STR, &ap, &err), UPL_OK);
    /* 100 rows: rows 0-49 exited (1 wrongly: row 0); rows 50-99 not registered (1 missed: row 50);
     * approval: 92 是, 8 否 */
    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq(upl_col_push_bool(ex, i < 50), UPL_OK);
        ck_assert_int_eq(upl_col_push_str(wr, i == 0 ? "是" : "否", 3), UPL_OK);
        ck_assert_int_eq(upl_col_push_bool(reg, i < 50), UPL_OK);
        ck_assert_int_eq(upl_col_push_bool(mi, i == 50), UPL_OK);
        ck_assert_int_eq(upl_col_push_str(ap, i < 92 ? "是" : "否", 3), UPL_OK);
    }
    upl_assess_rates r;
    ck_assert_int_eq(upl_assess_compute_rates(p, t, 0.95, &r, &err), UPL_OK);
    ck_assert_near(r.wrong_exit.rate, 0.02, 1e-15);     /* 1/50 = 2 %: not below 2 % -> fails */
    ck_assert_int_eq(r.wrong_exit.pass, 0);
    ck_assert_near(r.missed.rate, 0.02, 1e-15);
    ck_assert_int_eq(r.missed.pass, 0);
    ck_assert_near(r.recognition.rate, 0.92, 1e-15);
    ck_assert_int_eq(r.recognition.pass, 1);
    ck_assert_int_eq(r.verdict, 0);
    upl_table_free(t);
    upl_profile_free(p);
}
END_TEST

/* Households kept apart from members (the synth's shape): a left join by
 * household code; the person table's own column wins; unmatched rows get
 * missing values and are counted; a repeated household is a conflict. */
START_TEST(join_households) {
    upl_error err = {0};
    upl_table *m = upl_table_new(), *h = upl_table_new();
    upl_column *mk, *mx, *hk, *hx, *hv;
    ck_assert_int_eq(upl_table_add_column(m, "household_code", UPL_STR, &mk, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(m, "x", UPL_I64, &mx, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(h, "household_code", UPL_STR, &hk, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(h, "x", UPL_I64, &hx, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(h, "grade", UPL_CAT, &hv, &err), UPL_OK);
    const char *mks[] = {"b", "a", "zz", "b"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(upl_col_push_str(mk, mks[i], strlen(mks[i])), UPL_OK);
        ck_assert_int_eq(upl_col_push_i64(mx, i), UPL_OK);
    }
    ck_assert_int_eq(upl_col_push_str(hk, "a", 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_str(hk, "b", 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_i64(hx, 99), UPL_OK);
    ck_assert_int_eq(upl_col_push_i64(hx, 98), UPL_OK);
    ck_assert_int_eq(upl_col_push_cat(hv, "C", 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_null(hv), UPL_OK);
    size_t unmatched = 0;
    ck_assert_int_eq(upl_identify_join(m, h, "household_code", &unmatched, &err), UPL_OK);
    ck_assert_int_eq((int)unmatched, 1);
    upl_column *g = upl_table_find(m, "grade");
    ck_assert_ptr_nonnull(g);
    ck_assert(!upl_col_is_valid(g, 0));            /* b: grade missing */
    ck_assert_str_eq(upl_dict_label(g->dict, g->v.cat[1]), "C");   /* a */
    ck_assert(!upl_col_is_valid(g, 2));            /* zz: no household */
    ck_assert_int_eq((int)upl_table_find(m, "x")->v.i64[1], 1);   /* own column kept */
    ck_assert_int_eq(upl_col_push_str(hk, "a", 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_i64(hx, 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_null(hv), UPL_OK);
    upl_table *m2 = upl_table_new();
    upl_column *k2;
    ck_assert_int_eq(upl_table_add_column(m2, "household_code", UPL_STR, &k2, &err), UPL_OK);
    ck_assert_int_eq(upl_identify_join(m2, h, "household_code", NULL, &err), UPL_ECONFLICT);
    upl_error_clear(&err);
    upl_table_free(m); upl_table_free(m2); upl_table_free(h);
}
END_TEST

/* china-2021-monitoring, year 2021, threshold 6,000 yuan [unverified value]:
 *   M1 脱贫户 income 5,000            -> income trigger, unstable exited household
 *   M2 普通农户 income 5,999.99       -> marginal household prone to poverty
 *   M3 普通农户 income 8,000, compliant out-of-pocket 9,000 over 3 members:
 *      8,000 - 3,000 = 5,000 < 6,000  -> rigid-spending trigger, sudden difficulty
 *   M4 income exactly 6,000           -> not monitored; risk-elimination income rule holds
 *   M5 脱贫户 income 9,000, housing safety problem -> sudden difficulty
 *   M6 whole household without labour -> not monitored, but cannot be marked eliminated */
START_TEST(monitoring_2021_categories) {
    upl_profile *p = NULL;
    upl_table *t = NULL, *dec = NULL;
    upl_identify *r = NULL;
    upl_error err = {0};
    char *prof = unit_data_path("../../profiles/china-2021-monitoring.yaml");
    char *csv = unit_data_path("profile/monitoring-2021.csv");
    ck_assert_msg(upl_profile_load(prof, &p, &err) == UPL_OK, "%s", upl_error_message(&err));
    upl_read_options ro;
    upl_read_options_init(&ro);
    ro.n_threads = 1;
    ck_assert_int_eq(upl_read_table(csv, &ro, &t, NULL, &err), UPL_OK);
    ck_assert_msg(upl_profile_map_table(p, t, NULL, &err) == UPL_OK, "%s", upl_error_message(&err));
    upl_identify_options o;
    upl_identify_options_init(&o);
    o.year = 2021;
    ck_assert_msg(upl_identify_run(p, t, &o, &r, &err) == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_int_eq(upl_identify_households(r, &dec, &err), UPL_OK);
    fx f = {.p = p, .t = t, .r = r, .dec = dec};
    CELL(0, "category", "unstable_exited");
    CELL(1, "category", "marginal_prone");
    CELL(2, "category", "sudden_difficulty"); CELL(2, "rigid_expense", "true"); CELL(2, "income", "false");
    CELL(3, "category", "not_monitored"); CELL(3, "poor", "false");
    CELL(4, "category", "sudden_difficulty"); CELL(4, "housing", "true");
    CELL(5, "category", "not_monitored"); CELL(5, "exit_failed", "has_labour");
    CELL(3, "exit_eligible", "true");
    double v;
    ck_assert_int_eq(upl_profile_threshold(p, "monitoring", "medical_oop_other", 0, NULL, &v), UPL_OK);
    ck_assert_near(v, 20000, 0);
    ck_assert_int_eq(upl_profile_threshold(p, "monitoring", "income_per_capita", 2023, "云南省", &v), UPL_OK);
    ck_assert_near(v, 8050, 0);
    ck_assert_int_eq(upl_profile_threshold(p, "monitoring", "income_per_capita", 2021, "52", &v), UPL_OK);
    ck_assert_near(v, 6000, 0);
    ck_assert_int_eq((int)upl_profile_n_triggers(p), 2);
    free(prof);
    free(csv);
    done(&f);
}
END_TEST

Suite *suite_identify(void) {
    Suite *s = suite_create("identify");
    TCase *tc = tcase_create("china");
    tcase_add_test(tc, china_each_household);
    tcase_add_test(tc, china_summary_by_county);
    tcase_add_test(tc, china_village_exit);
    tcase_add_test(tc, assess_sample_seeded);
    tcase_add_test(tc, rate_intervals);
    tcase_add_test(tc, assessment_rates_verdict);
    tcase_add_test(tc, join_households);
    tcase_add_test(tc, monitoring_2021_categories);
    suite_add_tcase(s, tc);
    return s;
}
