/* test_measure_decomp.c — decompositions: GE within + between = total
 * (alpha 0, 1, 2 and a hand-computed Theil case), nested two-stage Theil,
 * FGT subgroup contributions, Datt–Ravallion and Shapley growth–
 * redistribution (hand-computed), Ravallion–Huppi (hand-computed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"

#define TOL 1e-14

/* Per-group and total values of one measure through the engine. */
static void by_group(const double *y, const double *w, const int32_t *g, size_t n, int32_t G, const char *name,
                     double *val, double *ws, double *mean, double *total) {
    upl_measure_req req[2];
    upl_error err = {0};
    ck_assert_int_eq(upl_measure_parse(name, &req[0], &err), UPL_OK);
    ck_assert_int_eq(upl_measure_parse("mean", &req[1], &err), UPL_OK);
    upl_measure_options o;
    upl_measure_options_init(&o);
    o.line = UPL_LINE_ABSOLUTE;
    o.z = 5;
    upl_measure_input in = {.n = n, .y = y, .w = w, .group = g, .n_groups = G};
    upl_measure_result *r = NULL;
    ck_assert_int_eq(upl_measure_compute(&in, req, 2, &o, &r, &err), UPL_OK);
    for (int32_t k = 0; k < G; k++) {
        val[k] = upl_measure_result_get(r, 0, k)->value;
        ws[k] = upl_measure_result_get(r, 0, k)->weight_sum;
        mean[k] = upl_measure_result_get(r, 1, k)->value;
    }
    upl_measure_result_free(r);
    in.group = NULL;
    ck_assert_int_eq(upl_measure_compute(&in, req, 1, &o, &r, &err), UPL_OK);
    *total = r->stats[0].value;
    upl_measure_result_free(r);
}

START_TEST(test_theil_hand) {
    /* A = {1, 3}, B = {4, 8}: mu = 4, mu_A = 2, mu_B = 6, p = (1/2, 1/2), s = (1/4, 3/4) */
    static const double y[] = {1, 3, 4, 8};
    static const int32_t g[] = {0, 0, 1, 1};
    double val[2], ws[2], mu[2], total, contrib[2];
    by_group(y, NULL, g, 4, 2, "theil", val, ws, mu, &total);
    double TA = 0.5 * (0.5 * log(0.5) + 1.5 * log(1.5));
    double TB = 0.5 * ((2.0 / 3) * log(2.0 / 3) + (4.0 / 3) * log(4.0 / 3));
    ck_assert_near(val[0], TA, TOL);
    ck_assert_near(val[1], TB, TOL);
    upl_decomp_ge dec = {.group_contribution = contrib};
    upl_error err = {0};
    ck_assert_int_eq(upl_decomp_ge_compute(1, ws, mu, val, 2, &dec, &err), UPL_OK);
    ck_assert_near(dec.within, 0.25 * TA + 0.75 * TB, TOL);
    ck_assert_near(dec.between, 0.25 * log(0.5) + 0.75 * log(1.5), TOL);
    double T = (0.25 * log(0.25) + 0.75 * log(0.75) + 1 * log(1) + 2 * log(2)) / 4;
    ck_assert_near(total, T, TOL);
    ck_assert_near(dec.total, T, TOL);
    ck_assert_near(contrib[0] + contrib[1], dec.within, TOL);
}
END_TEST

START_TEST(test_ge_within_between_identity) {
    size_t n = 5000;
    double *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    int32_t *g = malloc(n * sizeof *g);
    uint64_t s = 3;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        g[i] = (int32_t)((s >> 60) % 5);
        y[i] = (1 + g[i]) * exp(((double)(s >> 11) / 9007199254740992.0) * 2);
        w[i] = 1 + (double)((s >> 30) % 9);
    }
    static const char *const names[] = {"mld", "theil", "ge2", "ge0.5", "ge-1"};
    static const double alphas[] = {0, 1, 2, 0.5, -1};
    for (int k = 0; k < 5; k++) {
        double val[5], ws[5], mu[5], total;
        by_group(y, w, g, n, 5, names[k], val, ws, mu, &total);
        upl_decomp_ge dec = {0};
        upl_error err = {0};
        ck_assert_int_eq(upl_decomp_ge_compute(alphas[k], ws, mu, val, 5, &dec, &err), UPL_OK);
        ck_assert_msg(fabs(dec.total - total) <= 1e-13 * fmax(1, total), "%s: within+between %.17g, total %.17g",
                      names[k], dec.total, total);
        ck_assert(dec.between > 0 && dec.within > 0);
    }
    free(y);
    free(w);
    free(g);
}
END_TEST

START_TEST(test_theil_nested) {
    /* 3 regions x 2 cells (urban/rural): T = T_BR + sum s_r T_B,r + sum s_rk T_rk */
    size_t n = 3000;
    double *y = malloc(n * sizeof *y);
    int32_t *cell = malloc(n * sizeof *cell), *reg = malloc(n * sizeof *reg);
    uint64_t s = 11;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        cell[i] = (int32_t)((s >> 59) % 6);
        reg[i] = cell[i] / 2;
        y[i] = (1 + reg[i]) * (1 + 0.5 * (cell[i] % 2)) * (0.5 + (double)(s >> 11) / 9007199254740992.0);
    }
    double val[6], ws[6], mu[6], total, rv[3], rw[3], rmu[3], rtot;
    by_group(y, NULL, cell, n, 6, "theil", val, ws, mu, &total);
    static const int32_t region_of_cell[] = {0, 0, 1, 1, 2, 2};
    upl_decomp_theil2 t2;
    upl_error err = {0};
    ck_assert_int_eq(upl_decomp_theil_nested(ws, mu, val, region_of_cell, 6, 3, &t2, &err), UPL_OK);
    ck_assert_near(t2.total, total, 1e-13);
    /* stage 1 alone: between regions = the one-stage between-region term */
    by_group(y, NULL, reg, n, 3, "theil", rv, rw, rmu, &rtot);
    upl_decomp_ge dec = {0};
    ck_assert_int_eq(upl_decomp_ge_compute(1, rw, rmu, rv, 3, &dec, &err), UPL_OK);
    ck_assert_near(t2.between_regions, dec.between, 1e-13);
    ck_assert_near(t2.between_within + t2.within_cells, dec.within, 1e-13);
    free(y);
    free(cell);
    free(reg);
}
END_TEST

START_TEST(test_fgt_subgroup) {
    /* groups {1, 3, 6} and {2, 7}, z = 5: FGT0 2/3 and 1/2, total 3/5;
     * contributions (3/5)(2/3)/(3/5) = 2/3 and (2/5)(1/2)/(3/5) = 1/3 */
    static const double y[] = {1, 2, 3, 6, 7};
    static const int32_t g[] = {0, 1, 0, 0, 1};
    double val[2], ws[2], mu[2], total, pop[2], con[2], pct[2];
    by_group(y, NULL, g, 5, 2, "fgt0", val, ws, mu, &total);
    upl_decomp_additive dec = {.pop_share = pop, .contribution = con, .pct_contribution = pct};
    upl_error err = {0};
    ck_assert_int_eq(upl_decomp_additive_compute(val, ws, 2, &dec, &err), UPL_OK);
    ck_assert_near(total, 0.6, TOL);
    ck_assert_near(dec.total, 0.6, TOL);
    ck_assert_near(pct[0], 2.0 / 3, TOL);
    ck_assert_near(pct[1], 1.0 / 3, TOL);
    ck_assert_near(pop[0], 0.6, TOL);
    /* Watts is additive too */
    by_group(y, NULL, g, 5, 2, "watts", val, ws, mu, &total);
    ck_assert_int_eq(upl_decomp_additive_compute(val, ws, 2, &dec, &err), UPL_OK);
    ck_assert_near(dec.total, total, TOL);
    ck_assert_near(total, (log(5.0) + log(2.5) + log(5.0 / 3)) / 5, TOL);
}
END_TEST

START_TEST(test_growth_redistribution) {
    /* wave 1 {1, 3} (mu 2), wave 2 {1, 5} (mu 3), z = 2.5, FGT1:
     * P1 = (1.5/2.5)/2 = 0.3; P2 = 0.3; P(mu2, L1) = {1.5, 4.5} -> (1/2.5)/2 = 0.2;
     * P(mu1, L2) = {2/3, 10/3} -> ((2.5 - 2/3)/2.5)/2 = 11/30 */
    static const double y1[] = {1, 3}, y2[] = {1, 5};
    upl_growth_redist gr;
    upl_error err = {0};
    ck_assert_int_eq(upl_growth_redist_compute(y1, NULL, 2, y2, NULL, 2, 2.5, 1, false, &gr, &err), UPL_OK);
    ck_assert_near(gr.p1, 0.3, TOL);
    ck_assert_near(gr.p2, 0.3, TOL);
    ck_assert_near(gr.p_m2_l1, 0.2, TOL);
    ck_assert_near(gr.p_m1_l2, 11.0 / 30, TOL);
    ck_assert_near(gr.dr1_growth, -0.1, TOL);
    ck_assert_near(gr.dr1_redist, 11.0 / 30 - 0.3, TOL);
    ck_assert_near(gr.dr1_residual, 0.1 - (11.0 / 30 - 0.3), TOL);
    ck_assert_near(gr.dr1_growth + gr.dr1_redist + gr.dr1_residual, gr.change, TOL);
    /* reference period 2: G = P(mu2,L2) - P(mu1,L2), D = P(mu2,L2) - P(mu2,L1) */
    ck_assert_near(gr.dr2_growth, 0.3 - 11.0 / 30, TOL);
    ck_assert_near(gr.dr2_redist, 0.1, TOL);
    ck_assert_near(gr.dr2_growth + gr.dr2_redist + gr.dr2_residual, gr.change, TOL);
    /* Shapley: G = ((0.2 - 0.3) + (0.3 - 11/30))/2, D = ((11/30 - 0.3) + (0.3 - 0.2))/2; G + D = dP */
    ck_assert_near(gr.shapley_growth, (-0.1 + (0.3 - 11.0 / 30)) / 2, TOL);
    ck_assert_near(gr.shapley_redist, ((11.0 / 30 - 0.3) + 0.1) / 2, TOL);
    ck_assert_near(gr.shapley_growth + gr.shapley_redist, gr.change, TOL);
    /* weighted waves: identity on random data, FGT2 and Watts */
    double a[400], b[400], wa[400], wb[400];
    uint64_t s = 5;
    for (int i = 0; i < 400; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        a[i] = 0.5 + (double)((s >> 20) % 1000) / 100;
        b[i] = 0.8 + (double)((s >> 40) % 1200) / 100;
        wa[i] = 1 + (double)(s % 5);
        wb[i] = 1 + (double)((s >> 8) % 7);
    }
    ck_assert_int_eq(upl_growth_redist_compute(a, wa, 400, b, wb, 400, 3, 2, false, &gr, &err), UPL_OK);
    ck_assert_near(gr.shapley_growth + gr.shapley_redist, gr.change, TOL);
    ck_assert(gr.shapley_growth < 0); /* mean rose */
    ck_assert_int_eq(upl_growth_redist_compute(a, wa, 400, b, wb, 400, 3, 0, true, &gr, &err), UPL_OK);
    ck_assert_near(gr.dr1_growth + gr.dr1_redist + gr.dr1_residual, gr.change, TOL);
}
END_TEST

START_TEST(test_ravallion_huppi) {
    /* urban/rural: shares (0.3, 0.7) -> (0.4, 0.6), poverty (0.1, 0.4) -> (0.05, 0.3):
     * P1 = 0.31, P2 = 0.20; intra = 0.3(-0.05) + 0.7(-0.1) = -0.085;
     * shift = 0.1(0.1) + 0.4(-0.1) = -0.03; interaction = 0.1(-0.05) + (-0.1)(-0.1) = 0.005 */
    static const double s1[] = {0.3, 0.7}, p1[] = {0.1, 0.4}, s2[] = {0.4, 0.6}, p2[] = {0.05, 0.3};
    double by[2];
    upl_sectoral out = {.intra_by_sector = by};
    upl_error err = {0};
    ck_assert_int_eq(upl_sectoral_compute(s1, p1, s2, p2, 2, &out, &err), UPL_OK);
    ck_assert_near(out.p1, 0.31, TOL);
    ck_assert_near(out.p2, 0.20, TOL);
    ck_assert_near(out.intra, -0.085, TOL);
    ck_assert_near(out.shift, -0.03, TOL);
    ck_assert_near(out.interaction, 0.005, TOL);
    ck_assert_near(out.intra + out.shift + out.interaction, out.change, TOL);
    ck_assert_near(by[0], -0.015, TOL);
    static const double bad[] = {0.3, 0.6};
    ck_assert_int_eq(upl_sectoral_compute(bad, p1, s2, p2, 2, &out, &err), UPL_ERANGE);
    upl_error_clear(&err);
}
END_TEST

Suite *suite_measure_decomp(void) {
    Suite *s = suite_create("measure_decomp");
    TCase *tc = tcase_create("decompositions");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_theil_hand);
    tcase_add_test(tc, test_ge_within_between_identity);
    tcase_add_test(tc, test_theil_nested);
    tcase_add_test(tc, test_fgt_subgroup);
    tcase_add_test(tc, test_growth_redistribution);
    tcase_add_test(tc, test_ravallion_huppi);
    suite_add_tcase(s, tc);
    return s;
}
