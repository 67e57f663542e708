/* test_identify_mpi.c — the global-mpi-2018 profile on hand-built survey
 * households (tests/golden/identify/global-mpi/persons.csv), checked three
 * ways: against a hand calculation, and against the measurement engine's
 * direct Alkire-Foster computation (lib/measure upl_af_compute) fed the
 * same households' deprivation matrix.
 *
 * Hand calculation (weights 1/6 health and education indicators, 1/18 living
 * standards; k = 1/3):
 *   HA (3 persons) nutrition + schooling            = 1/6 + 1/6  = 1/3  poor (k exactly)
 *   HB (2) child mortality + fuel, sanitation, water = 1/6 + 3/18 = 1/3  poor (k exactly, 18ths)
 *   HC (4) attendance (child aged 14) + electricity  = 4/18             vulnerable
 *   HD (1) nothing (owns a car)                       = 0                 not poor
 *   HE (2) 3 x 1/6 + 6 x 1/18                         = 15/18            severe
 *   HF (2) child aged 15 out of school is not counted; 5 LS indicators = 5/18 vulnerable
 *   HG (1) nutrition unknown; 1/6 + 1/18 known: score in [4/18, 7/18] -> poor unknown
 * Over the 14 persons of determined households: q = 3 + 2 + 2 = 7, H = 1/2,
 * A = (3*6 + 2*6 + 2*15)/18 / 7 = 10/21, M0 = 5/21. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"
#include "uplift/identify.h"
#include "uplift/measure.h"

typedef struct fx { upl_profile *p; upl_table *t; upl_identify *r; } fx;

static fx run_mpi(void) {
    fx f = {0};
    upl_error err = {0};
    char *prof = unit_data_path("../../profiles/global-mpi-2018.yaml");
    char *csv = unit_data_path("../golden/identify/global-mpi/persons.csv");
    ck_assert_msg(upl_profile_load(prof, &f.p, &err) == UPL_OK, "%s", upl_error_message(&err));
    upl_read_options ro;
    upl_read_options_init(&ro);
    ro.n_threads = 1;
    ck_assert_msg(upl_read_table(csv, &ro, &f.t, NULL, &err) == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_msg(upl_profile_map_table(f.p, f.t, NULL, &err) == UPL_OK, "%s", upl_error_message(&err));
    upl_identify_options o;
    upl_identify_options_init(&o);
    o.year = 2019;
    ck_assert_msg(upl_identify_run(f.p, f.t, &o, &f.r, &err) == UPL_OK, "%s", upl_error_message(&err));
    free(prof);
    free(csv);
    return f;
}

static void done(fx *f) {
    upl_identify_free(f->r);
    upl_table_free(f->t);
    upl_profile_free(f->p);
}

START_TEST(mpi_hand_values) {
    fx f = run_mpi();
    const upl_eval *ev = upl_identify_eval(f.r);
    ck_assert_int_eq((int)upl_eval_n_households(ev), 7);
    ck_assert_int_eq((int)upl_eval_score_den(ev), 18);
    const int64_t lo[] = {6, 6, 4, 0, 15, 5, 4}, hi[] = {6, 6, 4, 0, 15, 5, 7};
    const uint8_t poor[] = {1, 1, 0, 0, 1, 0, 2};
    const int32_t cat[] = {1, 1, 2, 3, 0, 2, -1};   /* severe, poor, vulnerable, not_poor */
    for (size_t g = 0; g < 7; g++) {
        ck_assert_msg(upl_eval_score_lo(ev)[g] == lo[g], "household %zu lo %lld", g, (long long)upl_eval_score_lo(ev)[g]);
        ck_assert_msg(upl_eval_score_hi(ev)[g] == hi[g], "household %zu hi %lld", g, (long long)upl_eval_score_hi(ev)[g]);
        ck_assert_int_eq(upl_eval_poor(ev)[g], poor[g]);
        ck_assert_int_eq(upl_eval_category(ev)[g], cat[g]);
    }
    upl_error err = {0};
    /* evidence of "no member aged 10+ has 6 years": every member's values */
    upl_table *dec = NULL;
    ck_assert_int_eq(upl_identify_households(f.r, &dec, &err), UPL_OK);
    char *buf = NULL;
    size_t cap = 0, len;
    ck_assert(upl_col_format(upl_table_find(dec, "schooling_evidence"), 0, &buf, &cap, &len));
    ck_assert_str_eq(buf, "age=40/38/8; years_schooling=3/5/2");
    ck_assert(upl_col_format(upl_table_find(dec, "nutrition_member"), 0, &buf, &cap, &len));
    ck_assert_str_eq(buf, "HA1");
    free(buf);
    upl_table_free(dec);
    upl_table *s = NULL;
    ck_assert_int_eq(upl_identify_summary(f.r, "all", &s, &err), UPL_OK);
    double v;
    ck_assert(upl_col_get_f64(upl_table_find(s, "intensity"), 0, &v));
    ck_assert_near(v, 10.0 / 21.0, 1e-15);
    ck_assert(upl_col_get_f64(upl_table_find(s, "m0"), 0, &v));
    ck_assert_near(v, 5.0 / 21.0, 1e-15);
    ck_assert(upl_col_get_f64(upl_table_find(s, "unknown_households"), 0, &v));
    ck_assert_near(v, 1, 0);
    upl_table_free(s);
    done(&f);
}
END_TEST

/* The profile path and the direct AF path agree on the same data: build
 * the household x indicator deprivation matrix from the profile's indicator
 * results (unknown -> NaN, which AF drops), household sizes as person
 * multipliers, the profile's weights and k, and compare H, A, M0 and the
 * censored headcounts. */
START_TEST(mpi_profile_equals_direct_af) {
    fx f = run_mpi();
    const upl_eval *ev = upl_identify_eval(f.r);
    size_t G = upl_eval_n_households(ev), d = upl_profile_n_indicators(f.p);
    upl_af_indicator *ind = calloc(d, sizeof *ind);
    double **cols = calloc(d, sizeof *cols);
    double *size = calloc(G, sizeof *size);
    const double **xs = calloc(d, sizeof *xs);
    for (size_t j = 0; j < d; j++) {
        const upl_profile_indicator *pi = upl_profile_indicator_at(f.p, j);
        ind[j].name = pi->id;
        ind[j].dimension = pi->dimension;
        ind[j].weight.num = pi->weight.num;
        ind[j].weight.den = pi->weight.den;
        ind[j].is_deprivation = true;
        cols[j] = calloc(G, sizeof **cols);
        const uint8_t *dep = upl_eval_indicator(ev, j);
        for (size_t g = 0; g < G; g++) cols[j][g] = dep[g] == 2 ? NAN : dep[g];
        xs[j] = cols[j];
    }
    for (size_t g = 0; g < G; g++) size[g] = (double)upl_eval_household_size(ev, g);
    upl_rational k = upl_profile_k(f.p);
    upl_af_spec spec = {.d = d, .ind = ind, .k = {k.num, k.den}};
    upl_af_input in = {.n = G, .x = xs, .w = NULL, .size = size, .group = NULL, .n_groups = 0};
    upl_af_result *res = NULL;
    upl_error err = {0};
    int rc = upl_af_compute(&spec, &in, UPL_POLICY_DROP, NULL, &res, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_int_eq((int)res->n_dropped_missing, 1);   /* HG */
    ck_assert_near(res->all.H, 0.5, 1e-12);
    ck_assert_near(res->all.A, 10.0 / 21.0, 1e-12);
    ck_assert_near(res->all.M0, 5.0 / 21.0, 1e-12);
    /* the profile path's own H and M0 over the same persons */
    double persons = 0, poor_p = 0, m0 = 0;
    for (size_t g = 0; g < G; g++) {
        uint8_t pg = upl_eval_poor(ev)[g];
        if (pg == 2) continue;
        persons += size[g];
        if (pg == 1) { poor_p += size[g]; m0 += size[g] * (double)upl_eval_score_lo(ev)[g] / 18.0; }
    }
    ck_assert_near(poor_p / persons, res->all.H, 1e-12);
    ck_assert_near(m0 / persons, res->all.M0, 1e-12);
    /* censored headcount of nutrition: HA (3) and HE (2) of 14 persons */
    ck_assert_near(res->h_censored[0], 5.0 / 14.0, 1e-12);
    upl_af_result_free(res);
    for (size_t j = 0; j < d; j++) free(cols[j]);
    free(cols); free(xs); free(size); free(ind);
    done(&f);
}
END_TEST

Suite *suite_identify_mpi(void) {
    Suite *s = suite_create("identify_mpi");
    TCase *tc = tcase_create("mpi");
    tcase_add_test(tc, mpi_hand_values);
    tcase_add_test(tc, mpi_profile_equals_direct_af);
    suite_add_tcase(s, tc);
    return s;
}
