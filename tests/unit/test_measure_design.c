/* test_measure_design.c — survey-design standard errors against R's survey
 * package (4.1-1, Debian r-cran-survey). The reference values were
 * computed by tests/data/measure/svy_reference.R (its output is committed
 * next to it as svy_reference.out) and are pasted here as literals. */
#include <math.h>
#include <string.h>
#include "unit_util.h"

static const double Y[] = {12.5, 3.2, 8.1, 0.5, 22.0, 15.3, 7.7, 9.9, 4.4, 18.2, 6.1, 11.0, 2.3, 14.8, 5.5, 9.1, 13.3, 1.9, 16.6, 7.2};
static const double X[] = {2, 1, 3, 1, 4, 2, 2, 3, 1, 2, 1, 3, 1, 2, 2, 3, 1, 1, 2, 2};
static const double W[] = {1.5, 2.0, 1.0, 3.0, 2.5, 1.0, 2.0, 1.5, 3.5, 1.0, 2.0, 2.5, 1.0, 1.5, 3.0, 2.0, 1.0, 2.5, 1.5, 2.0};
static const int64_t ST[] = {1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3};
static const int64_t PSU[] = {1, 1, 2, 2, 3, 3, 3, 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4};
static const int32_t GRP[] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0};
static const int64_t ST2[] = {1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4};
static const int64_t PSU2[] = {1, 1, 2, 2, 3, 3, 3, 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 1, 1};
#define N 20
#define RTOL 1e-12

static void ratio(const upl_design *d, const double *y, const double *x, const int32_t *g, int32_t ng, double *est,
                  double *se) {
    upl_error err = {0};
    int rc = upl_design_ratio(d, N, W, y, x, g, ng, est, se, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
}

START_TEST(test_svymean_strata_psu) {
    upl_design d = {.strata = ST, .psu = PSU, .is_nested = true};
    double est[2], se[2];
    ratio(&d, Y, NULL, NULL, 0, est, se);
    ck_assert_near(est[0], 8.556578947368422, RTOL);   /* svymean(~y, des) */
    ck_assert_near(se[0], 1.5482493653460776, RTOL);
    ratio(&d, Y, NULL, GRP, 2, est, se);               /* svyby(~y, ~grp, des, svymean) */
    ck_assert_near(est[0], 8.6837209302325586, RTOL);
    ck_assert_near(est[1], 8.3909090909090907, RTOL);
    ck_assert_near(se[0], 1.7515976543221183, RTOL);
    ck_assert_near(se[1], 1.9718805442710936, RTOL);
    ratio(&d, Y, X, NULL, 0, est, se);                 /* svyratio(~y, ~x, des) */
    ck_assert_near(est[0], 4.4541095890410967, RTOL);
    ck_assert_near(se[0], 0.47382006360368578, RTOL);
    ratio(&d, Y, X, GRP, 2, est, se);
    ck_assert_near(est[0], 4.4452380952380945, RTOL);
    ck_assert_near(est[1], 4.4661290322580651, RTOL);
    ck_assert_near(se[0], 0.48428095794415588, RTOL);
    ck_assert_near(se[1], 0.94633089749708643, RTOL);
}
END_TEST

/* FGT(0,1,2) with z = 8 through the engine: svymean of the FGT indicators */
START_TEST(test_fgt_se_engine) {
    upl_design d = {.strata = ST, .psu = PSU, .is_nested = true};
    upl_measure_req req[3];
    upl_error err = {0};
    ck_assert_int_eq(upl_measure_parse("fgt0", &req[0], &err), UPL_OK);
    ck_assert_int_eq(upl_measure_parse("fgt1", &req[1], &err), UPL_OK);
    ck_assert_int_eq(upl_measure_parse("fgt2", &req[2], &err), UPL_OK);
    upl_measure_options o;
    upl_measure_options_init(&o);
    o.line = UPL_LINE_ABSOLUTE;
    o.z = 8;
    o.design = &d;
    upl_measure_input in = {.n = N, .y = Y, .w = W};
    upl_measure_result *r = NULL;
    ck_assert_int_eq(upl_measure_compute(&in, req, 3, &o, &r, &err), UPL_OK);
    ck_assert_near(r->stats[0].value, 0.55263157894736836, RTOL);
    ck_assert_near(r->stats[0].se, 0.083335651295381535, RTOL);
    ck_assert_near(r->stats[1].value, 0.26036184210526314, RTOL);
    ck_assert_near(r->stats[1].se, 0.08143860096403828, RTOL);
    ck_assert_near(r->stats[2].value, 0.16987458881578946, RTOL);
    ck_assert_near(r->stats[2].se, 0.074321341986508763, RTOL);
    /* normal CI as confint(svymean): qnorm(0.975) = 1.9599639845400536 */
    ck_assert_near(r->stats[0].ci_low, 0.55263157894736836 - 1.9599639845400536 * 0.083335651295381535, 1e-12);
    ck_assert_near(r->stats[0].ci_high, 0.55263157894736836 + 1.9599639845400536 * 0.083335651295381535, 1e-12);
    ck_assert_str_eq(r->stats[0].se_method, "linearization");
    upl_measure_result_free(r);
    /* domain FGT1 by grp: svyby(~gap, ~grp, des, svymean) */
    in.group = GRP;
    in.n_groups = 2;
    ck_assert_int_eq(upl_measure_compute(&in, &req[1], 1, &o, &r, &err), UPL_OK);
    ck_assert_near(r->stats[0].value, 0.22994186046511628, RTOL);
    ck_assert_near(r->stats[1].value, 0.29999999999999999, RTOL);
    ck_assert_near(r->stats[0].se, 0.090285896118495856, RTOL);
    ck_assert_near(r->stats[1].se, 0.122629029140243886, RTOL);
    upl_measure_result_free(r);
}
END_TEST

START_TEST(test_fpc_and_no_psu) {
    /* fpc as population PSU counts 10, 8, 12 by stratum */
    double fpc[N];
    for (int i = 0; i < N; i++) fpc[i] = ST[i] == 1 ? 10 : ST[i] == 2 ? 8 : 12;
    upl_design d = {.strata = ST, .psu = PSU, .fpc = fpc, .is_nested = true};
    double est[2], se[2];
    ratio(&d, Y, NULL, NULL, 0, est, se);
    ck_assert_near(se[0], 1.2898473923688447, RTOL);
    ratio(&d, Y, NULL, GRP, 2, est, se);
    ck_assert_near(se[0], 1.4489328400774861, RTOL);
    ck_assert_near(se[1], 1.6346278910658698, RTOL);
    /* the same fpc given as sampling fractions n_h/N_h = 3/10, 3/8, 4/12 */
    for (int i = 0; i < N; i++) fpc[i] = ST[i] == 1 ? 0.3 : ST[i] == 2 ? 0.375 : 4.0 / 12;
    ratio(&d, Y, NULL, NULL, 0, est, se);
    ck_assert_near(se[0], 1.2898473923688447, RTOL);
    /* rows as PSUs with strata: svydesign(ids = ~1, strata = ~st) */
    upl_design d0 = {.strata = ST};
    ratio(&d0, Y, NULL, NULL, 0, est, se);
    ck_assert_near(se[0], 1.5399639711791744, RTOL);
    ratio(&d0, Y, NULL, GRP, 2, est, se);
    ck_assert_near(se[0], 1.9472394750870177, RTOL);
    ck_assert_near(se[1], 2.0068852006674622, RTOL);
    /* no strata, no PSU */
    upl_design d00 = {0};
    ratio(&d00, Y, NULL, NULL, 0, est, se);
    ck_assert_near(se[0], 1.4656303875595165, RTOL);
}
END_TEST

START_TEST(test_lonely_psu) {
    double est[2], se[2];
    upl_error err = {0};
    upl_design d = {.strata = ST2, .psu = PSU2, .is_nested = true, .lonely = UPL_LONELY_FAIL};
    ck_assert_int_eq(upl_design_ratio(&d, N, W, Y, NULL, NULL, 0, est, se, &err), UPL_EUNDEFINED);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&err), "stratum 4"));
    upl_error_clear(&err);
    d.lonely = UPL_LONELY_REMOVE;
    ratio(&d, Y, NULL, NULL, 0, est, se);
    ck_assert_near(se[0], 1.6198437533556955, RTOL);
    ratio(&d, Y, NULL, GRP, 2, est, se);
    ck_assert_near(se[0], 1.7876440382630372, RTOL);
    ck_assert_near(se[1], 1.8083199654725743, RTOL);
    d.lonely = UPL_LONELY_CERTAINTY;
    ratio(&d, Y, NULL, NULL, 0, est, se);
    ck_assert_near(se[0], 1.6198437533556955, RTOL);
    d.lonely = UPL_LONELY_ADJUST;
    ratio(&d, Y, NULL, NULL, 0, est, se);
    ck_assert_near(se[0], 1.6384325573467917, RTOL);
    ratio(&d, Y, NULL, GRP, 2, est, se);
    ck_assert_near(se[0], 1.7929642718735426, RTOL);
    ck_assert_near(se[1], 1.9562608251847475, RTOL);
}
END_TEST

START_TEST(test_design_errors) {
    double est[1], se[1];
    upl_error err = {0};
    /* PSU ids repeat across strata but are declared not nested: R says "clusters not nested" */
    upl_design d = {.strata = ST, .psu = PSU, .is_nested = false};
    ck_assert_int_eq(upl_design_ratio(&d, N, W, Y, NULL, NULL, 0, est, se, &err), UPL_ERANGE);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&err), "nested"));
    upl_error_clear(&err);
    /* fpc smaller than the number of sampled PSUs */
    double fpc[N];
    for (int i = 0; i < N; i++) fpc[i] = 2;
    upl_design d2 = {.strata = ST, .psu = PSU, .fpc = fpc, .is_nested = true};
    ck_assert_int_eq(upl_design_ratio(&d2, N, W, Y, NULL, NULL, 0, est, se, &err), UPL_ERANGE);
    upl_error_clear(&err);
    /* fpc not constant within a stratum */
    for (int i = 0; i < N; i++) fpc[i] = 10 + i;
    ck_assert_int_eq(upl_design_ratio(&d2, N, W, Y, NULL, NULL, 0, est, se, &err), UPL_ERANGE);
    upl_error_clear(&err);
    /* a NaN weight puts the row outside every domain; a negative weight is an error */
    double w2[N];
    memcpy(w2, W, sizeof w2);
    w2[5] = NAN;
    upl_design d3 = {.strata = ST, .psu = PSU, .is_nested = true};
    ck_assert_int_eq(upl_design_ratio(&d3, N, w2, Y, NULL, NULL, 0, est, se, &err), UPL_OK);
    ck_assert(!isnan(est[0]) && !isnan(se[0]));
    w2[5] = -1;
    ck_assert_int_eq(upl_design_ratio(&d3, N, w2, Y, NULL, NULL, 0, est, se, &err), UPL_ERANGE);
    upl_error_clear(&err);
    ck_assert_near(upl_design_zcrit(0.95), 1.9599639845400536, 1e-15);
    ck_assert_near(upl_design_zcrit(0.90), 1.6448536269514729, 1e-15);
}
END_TEST

/* Rao–Wu bootstrap: reproducible for a seed, factors n_h/(n_h-1) r_hi with
 * sum over a stratum of the factors = n_h (each replicate keeps the
 * stratum's PSU count), and a Gini SE that is positive and stable. */
START_TEST(test_bootstrap) {
    upl_design d = {.strata = ST, .psu = PSU, .is_nested = true};
    enum { B = 50 };
    static double a[B * N], b[B * N];
    upl_error err = {0};
    ck_assert_int_eq(upl_design_bootstrap_weights(&d, N, NULL, B, 42, a, &err), UPL_OK);
    ck_assert_int_eq(upl_design_bootstrap_weights(&d, N, NULL, B, 42, b, &err), UPL_OK);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    for (int r = 0; r < B; r++) {
        /* stratum 1 has 3 PSUs: rows 0-1 (PSU 1), 2-3 (PSU 2), 4-6 (PSU 3); 2 draws, factor 3/2 each */
        double f = a[r * N + 0] + a[r * N + 2] + a[r * N + 4];
        ck_assert_near(f, 3.0, 1e-15);
        ck_assert_near(a[r * N + 0], a[r * N + 1], 0); /* same PSU, same factor */
        /* stratum 3 has 4 PSUs: 3 draws of 4/3 */
        ck_assert_near(a[r * N + 13] + a[r * N + 15] + a[r * N + 17] + a[r * N + 19], 4.0, 1e-15);
    }
    upl_measure_req req;
    ck_assert_int_eq(upl_measure_parse("gini", &req, &err), UPL_OK);
    upl_measure_options o;
    upl_measure_options_init(&o);
    o.design = &d;
    o.n_boot = 200;
    o.boot_seed = 7;
    upl_measure_input in = {.n = N, .y = Y, .w = W};
    upl_measure_result *r1 = NULL, *r2 = NULL;
    ck_assert_int_eq(upl_measure_compute(&in, &req, 1, &o, &r1, &err), UPL_OK);
    ck_assert_int_eq(upl_measure_compute(&in, &req, 1, &o, &r2, &err), UPL_OK);
    ck_assert(r1->stats[0].se > 0.01 && r1->stats[0].se < 0.2);
    ck_assert(r1->stats[0].se == r2->stats[0].se);
    ck_assert_str_eq(r1->stats[0].se_method, "bootstrap");
    upl_measure_result_free(r1);
    upl_measure_result_free(r2);
}
END_TEST

/* Second method for the bootstrap variance: R's survey (withReplicates on a
 * svrepdesign with the subbootstrap scale 1/(B-1), mse = FALSE) fed with
 * uplift's own replicate weights (seed 7, 200 replicates) and independent R
 * code for the weighted Gini and median: tests/data/measure/boot_reference.R,
 * output in boot_reference.out. */
START_TEST(test_bootstrap_vs_r) {
    upl_design d = {.strata = ST, .psu = PSU, .is_nested = true};
    upl_measure_req req[2];
    upl_error err = {0};
    ck_assert_int_eq(upl_measure_parse("gini", &req[0], &err), UPL_OK);
    ck_assert_int_eq(upl_measure_parse("median", &req[1], &err), UPL_OK);
    upl_measure_options o;
    upl_measure_options_init(&o);
    o.design = &d;
    o.n_boot = 200;
    o.boot_seed = 7;
    upl_measure_input in = {.n = N, .y = Y, .w = W};
    upl_measure_result *r = NULL;
    ck_assert_int_eq(upl_measure_compute(&in, req, 2, &o, &r, &err), UPL_OK);
    ck_assert_near(r->stats[0].value, 0.38411219113445616, 1e-14);
    ck_assert_near(r->stats[0].se, 0.049922472553189129, 1e-12);
    ck_assert_near(r->stats[1].value, 7.45, 1e-15);
    ck_assert_near(r->stats[1].se, 1.5677957993124323, 1e-12);
    upl_measure_result_free(r);
    /* relative line 0.6 x median re-estimated in each replicate (R: arpr) */
    ck_assert_int_eq(upl_measure_parse("fgt0", &req[0], &err), UPL_OK);
    o.line = UPL_LINE_RELATIVE;
    o.rel_share = 0.6;
    ck_assert_int_eq(upl_measure_compute(&in, req, 1, &o, &r, &err), UPL_OK);
    ck_assert_near(r->stats[0].value, 0.31578947368421051, 1e-14);
    ck_assert_near(r->stats[0].se, 0.087661747421953568, 1e-12);
    ck_assert_str_eq(r->stats[0].se_method, "bootstrap");
    upl_measure_result_free(r);
}
END_TEST

/* AF with a design: H and M0 are means, A a ratio — the same linearisation */
START_TEST(test_af_design) {
    static const double inc[] = {13.1, 15.2, 12.5, 20, 11, 14, 9, 30};
    static const double sch[] = {14, 7, 10, 11, 6, 13, 5, 16};
    static const double w[] = {1, 2, 1, 3, 2, 1, 2, 1};
    static const int64_t st[] = {1, 1, 1, 1, 2, 2, 2, 2};
    static const int64_t psu[] = {1, 1, 2, 2, 1, 2, 3, 3};
    upl_af_indicator ind[2] = {{.name = "income", .weight = {1, 2}, .cutoff = 13},
                               {.name = "school", .weight = {1, 2}, .cutoff = 12}};
    upl_af_spec spec = {.d = 2, .ind = ind, .k = {1, 2}};
    const double *x[2] = {inc, sch};
    upl_af_input in = {.n = 8, .x = x, .w = w};
    upl_design d = {.strata = st, .psu = psu, .is_nested = true};
    upl_af_result *r = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_af_compute(&spec, &in, UPL_POLICY_ERROR, &d, &r, &err), UPL_OK);
    /* second method: the poverty indicator through upl_design_ratio */
    double poor[8], est[1], se[1];
    for (int i = 0; i < 8; i++) poor[i] = (inc[i] < 13) + (sch[i] < 12) >= 1;
    ck_assert_int_eq(upl_design_ratio(&d, 8, w, poor, NULL, NULL, 0, est, se, &err), UPL_OK);
    ck_assert_near(r->all.H, est[0], 1e-15);
    ck_assert_near(r->se_H[0], se[0], 1e-15);
    ck_assert(r->se_A[0] >= 0 && r->se_M0[0] > 0);
    upl_af_result_free(r);
}
END_TEST

Suite *suite_measure_design(void) {
    Suite *s = suite_create("measure_design");
    TCase *tc = tcase_create("survey_design");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_svymean_strata_psu);
    tcase_add_test(tc, test_fgt_se_engine);
    tcase_add_test(tc, test_fpc_and_no_psu);
    tcase_add_test(tc, test_lonely_psu);
    tcase_add_test(tc, test_design_errors);
    tcase_add_test(tc, test_bootstrap);
    tcase_add_test(tc, test_bootstrap_vs_r);
    tcase_add_test(tc, test_af_design);
    suite_add_tcase(s, tc);
    return s;
}
