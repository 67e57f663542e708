/* test_measure.c — monetary poverty and inequality: the published
 * Inequality.jl vectors (DOMAIN.md §4.2), hand-computed cases (derivations
 * in the comments), identities (frequency weights = replicated rows, equal
 * weights = unweighted, permutation invariance, thread-count invariance)
 * and edge cases (empty group, zero weights, one observation, ties at the
 * line, y = z, negative incomes, all incomes equal, missing values). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"

#define TOL 1e-13

/* Compute the named measures (no groups) and return the values in out. */
static void run(const double *y, const double *w, size_t n, const char *const *names, size_t n_names,
                const upl_measure_options *opt, double *out) {
    upl_measure_req req[32];
    upl_error err = {0};
    memset(req, 0, sizeof req);
    for (size_t k = 0; k < n_names; k++) ck_assert_int_eq(upl_measure_parse(names[k], &req[k], &err), UPL_OK);
    upl_measure_input in = {.n = n, .y = y, .w = w};
    upl_measure_result *r = NULL;
    int rc = upl_measure_compute(&in, req, n_names, opt, &r, &err);
    ck_assert_msg(rc == UPL_OK, "compute failed: %s", upl_error_message(&err));
    for (size_t k = 0; k < n_names; k++) out[k] = upl_measure_result_get(r, k, 0)->value;
    upl_measure_result_free(r);
    upl_error_clear(&err);
}

static upl_measure_options abs_line(double z) {
    upl_measure_options o;
    upl_measure_options_init(&o);
    o.line = UPL_LINE_ABSOLUTE;
    o.z = z;
    o.n_threads = 1;
    return o;
}

/* ---- DOMAIN.md §4.2: JosepER/Inequality.jl test/runtests.jl ----------------------- */
static const double IJ_V[] = {8, 5, 1, 3, 5, 6, 7, 6, 3};
static const double IJ_W[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
static const char *const IJ_NAMES[] = {"gini", "mld", "theil", "ge2", "fgt0", "fgt1", "fgt2", "watts"};

START_TEST(test_inequality_jl_unweighted) {
    static const double want[] = {0.237373737373737, 0.1397460530936332, 0.10494562214323544, 0.09039256198347094,
                                  0.3333333333333333, 0.1388888888888889, 0.0763888888888889, 0.217962056224828};
    double got[8];
    upl_measure_options o = abs_line(4);
    run(IJ_V, NULL, 9, IJ_NAMES, 8, &o, got);
    for (int k = 0; k < 8; k++) ck_assert_msg(fabs(got[k] - want[k]) <= 1e-14, "%s = %.17g, want %.17g", IJ_NAMES[k], got[k], want[k]);
}
END_TEST

START_TEST(test_inequality_jl_weighted) {
    static const double want[] = {0.2065239551478077, 0.10375545537468207, 0.08120013911680612, 0.0709746654322026,
                                  0.35555555555555557, 0.1222222222222222, 0.05555555555555555, 0.17552777833850716};
    double got[8];
    upl_measure_options o = abs_line(4);
    run(IJ_V, IJ_W, 9, IJ_NAMES, 8, &o, got);
    for (int k = 0; k < 8; k++) ck_assert_msg(fabs(got[k] - want[k]) <= 1e-14, "%s = %.17g, want %.17g", IJ_NAMES[k], got[k], want[k]);
}
END_TEST

/* Unweighted Lorenz ordinates of §4.2: cumulative sums of the sorted
 * values 1,3,3,5,5,6,6,7,8 over 44. (The weighted vector printed there
 * accumulates w*v sorted by w*v — income totals — which is not the Lorenz
 * curve of the weighted distribution; see docs/measures.md. Ours sorts by
 * v and is checked by hand below.) */
START_TEST(test_lorenz) {
    upl_dist *d = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_dist_build(IJ_V, NULL, 9, &d, &err), UPL_OK);
    double p[10], L[10];
    upl_dist_lorenz(d, p, L);
    static const double cum[] = {0, 1, 4, 7, 12, 17, 23, 29, 36, 44};
    for (int k = 0; k < 10; k++) {
        ck_assert_near(L[k], cum[k] / 44.0, 1e-15);
        ck_assert_near(p[k], k / 9.0, 1e-15);
    }
    ck_assert_near(L[1], 0.022727272727272728, 1e-15); /* published 0.022727… */
    ck_assert_near(L[3], 0.159091, 1e-6);               /* published 0.159091… */
    upl_dist_free(d);
    /* weighted, by hand: sorted (v, w) = (1,.3) (3,.4) (3,.9) (5,.2) (5,.5) (6,.6) (6,.8) (7,.7) (8,.1);
     * total income sum w v = 21.8, total weight 4.5; after the first three units
     * p = 1.6/4.5 and L = (0.3 + 1.2 + 2.7)/21.8 = 4.2/21.8 */
    ck_assert_int_eq(upl_dist_build(IJ_V, IJ_W, 9, &d, &err), UPL_OK);
    upl_dist_lorenz(d, p, L);
    ck_assert_near(p[3], 1.6 / 4.5, 1e-15);
    ck_assert_near(L[3], 4.2 / 21.8, 1e-15);
    ck_assert_near(L[9], 1.0, 1e-15);
    /* generalised Lorenz at the end = mean = 21.8/4.5 */
    ck_assert_near(L[9] * d->total_y / d->total_w, 21.8 / 4.5, 1e-14);
    upl_dist_free(d);
}
END_TEST

/* ---- hand-computed small case: y = 1,2,3,4 unweighted, z = 3 ------------------------ */
START_TEST(test_hand_1234) {
    static const double y[] = {4, 1, 3, 2};
    static const char *const names[] = {"fgt0", "fgt1", "fgt2", "watts", "gini", "sen", "sen_largeq", "sst",
                                        "mld", "theil", "ge2", "atkinson2", "atkinson1", "atkinson0.5", "palma",
                                        "s80s20", "share0.9-1", "mean", "line", "fgt0.5", "ge-1", "rmpg"};
    double got[22];
    upl_measure_options o = abs_line(3);
    run(y, NULL, 4, names, 22, &o, got);
    /* poor: 1 and 2 (3 == z is not poor) */
    ck_assert_near(got[0], 0.5, TOL);
    ck_assert_near(got[1], (2.0 / 3 + 1.0 / 3) / 4, TOL);              /* 0.25 */
    ck_assert_near(got[2], (4.0 / 9 + 1.0 / 9) / 4, TOL);              /* 5/36 */
    ck_assert_near(got[3], log(4.5) / 4, TOL);                         /* (ln 3 + ln 1.5)/4 */
    ck_assert_near(got[4], 0.25, TOL);                                 /* sum|yi-yj| = 20, 2 n^2 mu = 80 */
    /* Sen: H = 1/2, mu_p = 1.5, I = 1/2, G_p = 1/6, q = 2: 0.5 (0.5 + 0.5 (1/6)(2/3)) */
    ck_assert_near(got[5], 0.25 + 1.0 / 36, TOL);
    ck_assert_near(got[6], 0.5 * (0.5 + 0.5 / 6), TOL);
    /* SST: PG = 1/4, Gini of gaps (2/3, 1/3, 0, 0) = (14/3)/8 = 7/12 -> 19/48 */
    ck_assert_near(got[7], 19.0 / 48, TOL);
    ck_assert_near(got[8], log(pow(2.5, 4) / 24) / 4, TOL);            /* MLD = mean ln(mu/y) */
    double th = 0;
    for (int i = 1; i <= 4; i++) th += (i / 2.5) * log(i / 2.5) / 4;
    ck_assert_near(got[9], th, TOL);
    ck_assert_near(got[10], 0.1, TOL);                                 /* CV^2/2 = (1.25/6.25)/2 */
    ck_assert_near(got[11], 1 - (4 / (1 + 0.5 + 1.0 / 3 + 0.25)) / 2.5, TOL); /* 1 - harmonic/arith */
    ck_assert_near(got[12], 1 - pow(24, 0.25) / 2.5, TOL);                  /* 1 - geometric/arith */
    double sq = 1 + sqrt(2) + sqrt(3) + 2;
    ck_assert_near(got[13], 1 - sq * sq / 40, TOL);
    /* shares with fractional split: L(0.4) = (1 + 0.6*2)/10 = 0.22; L(0.9) = (6 + 0.6*4)/10 = 0.84 */
    ck_assert_near(got[14], 0.16 / 0.22, TOL);
    ck_assert_near(got[15], 0.32 / 0.08, TOL);                         /* L(0.2)=0.08, L(0.8)=0.68 */
    ck_assert_near(got[16], 0.16, TOL);
    ck_assert_near(got[17], 2.5, TOL);
    ck_assert_near(got[18], 3, TOL);
    ck_assert_near(got[19], (sqrt(2.0 / 3) + sqrt(1.0 / 3)) / 4, TOL);
    /* GE(-1) = [mean (y/mu)^-1 - 1] / 2 = [2.5 (1 + 1/2 + 1/3 + 1/4)/4 - 1]/2 */
    ck_assert_near(got[20], (2.5 * (25.0 / 12) / 4 - 1) / 2, TOL);
    /* rmpg: median of the poor {1,2} (Eurostat rule: exact tie at 0.5 -> 1.5) */
    ck_assert_near(got[21], (3 - 1.5) / 3, TOL);
}
END_TEST

START_TEST(test_quantile_rules) {
    /* 1,2,3,4 unweighted: cumulative shares .25 .5 .75 1. p = 0.5 hits 0.5 exactly:
     * Eurostat/laeken::weightedQuantile averages (2+3)/2; the step rule takes 3. */
    static const double y[] = {3, 1, 4, 2};
    upl_dist *d = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_dist_build(y, NULL, 4, &d, &err), UPL_OK);
    ck_assert_near(upl_dist_quantile(d, 0.5, UPL_QUANTILE_EUROSTAT), 2.5, 0);
    ck_assert_near(upl_dist_quantile(d, 0.5, UPL_QUANTILE_LAEKEN), 3, 0);
    ck_assert_near(upl_dist_quantile(d, 0.3, UPL_QUANTILE_EUROSTAT), 2, 0);
    ck_assert_near(upl_dist_quantile(d, 0.3, UPL_QUANTILE_LAEKEN), 2, 0);
    ck_assert_near(upl_dist_quantile(d, 0, UPL_QUANTILE_LAEKEN), 1, 0);
    ck_assert_near(upl_dist_quantile(d, 1, UPL_QUANTILE_LAEKEN), 4, 0);
    upl_dist_free(d);
    /* weighted: y 10, 20, 30 with w 1, 1, 2: shares .25 .5 1; median: Eurostat (20+30)/2, laeken 30 */
    static const double y2[] = {30, 10, 20}, w2[] = {2, 1, 1};
    ck_assert_int_eq(upl_dist_build(y2, w2, 3, &d, &err), UPL_OK);
    ck_assert_near(upl_dist_quantile(d, 0.5, UPL_QUANTILE_EUROSTAT), 25, 0);
    ck_assert_near(upl_dist_quantile(d, 0.5, UPL_QUANTILE_LAEKEN), 30, 0);
    ck_assert_near(upl_dist_quantile(d, 0.2, UPL_QUANTILE_EUROSTAT), 10, 0);
    upl_dist_free(d);
}
END_TEST

/* Relative lines: 60% of the weighted median with either rule. */
START_TEST(test_relative_line) {
    static const double y[] = {1, 2, 3, 4, 10, 12};
    static const char *const names[] = {"line", "fgt0", "fgt1"};
    double got[3];
    upl_measure_options o;
    upl_measure_options_init(&o);
    o.n_threads = 1;
    o.line = UPL_LINE_RELATIVE;
    o.rel_share = 0.6;
    o.quantile_rule = UPL_QUANTILE_EUROSTAT;
    run(y, NULL, 6, names, 3, &o, got);
    /* shares 1/6..1: p = .5 exactly at the third value -> median (3+4)/2 = 3.5, line 2.1 */
    ck_assert_near(got[0], 2.1, TOL);
    ck_assert_near(got[1], 2.0 / 6, TOL);                              /* 1 and 2 are below 2.1 */
    ck_assert_near(got[2], ((2.1 - 1) / 2.1 + (2.1 - 2) / 2.1) / 6, TOL);
    o.quantile_rule = UPL_QUANTILE_LAEKEN;                             /* median 4, line 2.4 */
    run(y, NULL, 6, names, 3, &o, got);
    ck_assert_near(got[0], 2.4, TOL);
    ck_assert_near(got[1], 2.0 / 6, TOL);
    ck_assert_near(got[2], ((2.4 - 1) / 2.4 + (2.4 - 2) / 2.4) / 6, TOL);
    /* no line measure asked: still fine (the line is computed and unused) */
    static const char *const mean_only[] = {"mean"};
    run(y, NULL, 6, mean_only, 1, &o, got);
    ck_assert_near(got[0], 32.0 / 6, TOL);
    /* with groups the line comes from the whole population (incl. a row with no group);
     * --rel-by-group uses each group's median */
    static const int32_t g[] = {0, 0, 0, 1, 1, -1};
    upl_measure_req req[2];
    upl_error err = {0};
    ck_assert_int_eq(upl_measure_parse("line", &req[0], &err), UPL_OK);
    ck_assert_int_eq(upl_measure_parse("fgt0", &req[1], &err), UPL_OK);
    upl_measure_input in = {.n = 6, .y = y, .group = g, .n_groups = 2};
    upl_measure_result *r = NULL;
    o.quantile_rule = UPL_QUANTILE_EUROSTAT;
    ck_assert_int_eq(upl_measure_compute(&in, req, 2, &o, &r, &err), UPL_OK);
    ck_assert_near(upl_measure_result_get(r, 0, 0)->value, 2.1, TOL);
    ck_assert_near(upl_measure_result_get(r, 0, 1)->value, 2.1, TOL);
    ck_assert_near(upl_measure_result_get(r, 1, 0)->value, 2.0 / 3, TOL);
    ck_assert_int_eq(r->n_outside, 1);
    upl_measure_result_free(r);
    o.is_rel_by_group = true; /* group 0 {1,2,3}: median 2 -> 1.2; group 1 {4,10}: (4+10)/2 -> 4.2 */
    ck_assert_int_eq(upl_measure_compute(&in, req, 2, &o, &r, &err), UPL_OK);
    ck_assert_near(upl_measure_result_get(r, 0, 0)->value, 1.2, TOL);
    ck_assert_near(upl_measure_result_get(r, 0, 1)->value, 0.6 * 7, TOL);
    ck_assert_near(upl_measure_result_get(r, 1, 0)->value, 1.0 / 3, TOL);
    ck_assert_near(upl_measure_result_get(r, 1, 1)->value, 0.5, TOL);
    upl_measure_result_free(r);
}
END_TEST

/* ---- identities -------------------------------------------------------------------- */
static const char *const ALL_NAMES[] = {"mean", "median", "q0.1", "q0.9", "fgt0", "fgt1", "fgt2", "watts",
                                        "sen", "sen_largeq", "sst", "gini", "theil", "mld", "ge2", "ge0.5",
                                        "atkinson0.5", "atkinson1", "atkinson2", "palma", "s80s20", "rmpg"};
#define N_ALL (sizeof ALL_NAMES / sizeof ALL_NAMES[0])

START_TEST(test_frequency_weights_replicate) {
    /* DOMAIN.md §4.2: v=[8,5,1,3,5], w=[1,2,1,3,1] == [8,5,5,1,3,3,3,5] */
    static const double v[] = {8, 5, 1, 3, 5}, w[] = {1, 2, 1, 3, 1};
    static const double r[] = {8, 5, 5, 1, 3, 3, 3, 5};
    double a[N_ALL], b[N_ALL];
    upl_measure_options o = abs_line(4);
    run(v, w, 5, ALL_NAMES, N_ALL, &o, a);
    run(r, NULL, 8, ALL_NAMES, N_ALL, &o, b);
    for (size_t k = 0; k < N_ALL; k++)
        ck_assert_msg(fabs(a[k] - b[k]) <= 1e-14 * fmax(1, fabs(b[k])), "%s: weighted %.17g, replicated %.17g", ALL_NAMES[k], a[k], b[k]);
}
END_TEST

START_TEST(test_equal_weights_and_permutation) {
    double y[200], w[200], yp[200], wp[200];
    uint64_t s = 12345;
    for (int i = 0; i < 200; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        y[i] = 1 + (double)(s >> 40) / (double)(1ull << 20) * 30;
        w[i] = 2.5;
    }
    double a[N_ALL], b[N_ALL], c[N_ALL];
    upl_measure_options o = abs_line(8);
    run(y, w, 200, ALL_NAMES, N_ALL, &o, a);
    run(y, NULL, 200, ALL_NAMES, N_ALL, &o, b);
    for (int i = 0; i < 200; i++) { yp[i] = y[199 - i]; wp[i] = 1 + (i % 3); }
    for (size_t k = 0; k < N_ALL; k++)
        /* exact Sen's q/(q+1) counts the people represented: weights 2.5 are
         * 2.5 times the people, so it is not scale-invariant by definition */
        if (strcmp(ALL_NAMES[k], "sen") != 0) ck_assert_msg(fabs(a[k] - b[k]) <= 1e-13 * fmax(1, fabs(b[k])), "%s: %.17g vs %.17g", ALL_NAMES[k], a[k], b[k]);
    /* permutation: reversed order with weights permuted along */
    double wq[200];
    for (int i = 0; i < 200; i++) wq[199 - i] = wp[i];
    run(y, wq, 200, ALL_NAMES, N_ALL, &o, a);
    run(yp, wp, 200, ALL_NAMES, N_ALL, &o, c);
    for (size_t k = 0; k < N_ALL; k++)
        ck_assert_msg(fabs(a[k] - c[k]) <= 1e-13 * fmax(1, fabs(c[k])), "%s: %.17g vs %.17g", ALL_NAMES[k], a[k], c[k]);
}
END_TEST

/* Gini by the O(n^2) definition as a second method. */
START_TEST(test_gini_second_method) {
    double y[300], w[300];
    uint64_t s = 99;
    for (int i = 0; i < 300; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        y[i] = (double)((s >> 33) % 50); /* many ties, zeros */
        w[i] = 0.5 + (double)((s >> 20) % 7);
    }
    double num = 0, V = 0, Y = 0;
    for (int i = 0; i < 300; i++) {
        V += w[i];
        Y += w[i] * y[i];
        for (int j = 0; j < 300; j++) num += w[i] * w[j] * fabs(y[i] - y[j]);
    }
    double want = num / (2 * V * Y);
    upl_dist *d = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_dist_build(y, w, 300, &d, &err), UPL_OK);
    ck_assert_near(upl_dist_gini(d, false), want, 1e-13);
    ck_assert_near(upl_dist_gini(d, true), want * 300 / 299, 1e-13);
    upl_dist_free(d);
}
END_TEST

/* 1, 2 and 8 threads over 700k rows in 3 groups: bit-identical results. */
START_TEST(test_thread_invariance) {
    size_t n = 700000;
    double *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    int32_t *g = malloc(n * sizeof *g);
    ck_assert(y && w && g);
    uint64_t s = 7;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        y[i] = exp(8 + 0.8 * ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 3);
        w[i] = 100 + (double)((s >> 3) % 400) * 0.37;
        g[i] = (int32_t)((s >> 50) % 3);
    }
    upl_measure_req req[N_ALL];
    upl_error err = {0};
    for (size_t k = 0; k < N_ALL; k++) ck_assert_int_eq(upl_measure_parse(ALL_NAMES[k], &req[k], &err), UPL_OK);
    upl_measure_input in = {.n = n, .y = y, .w = w, .group = g, .n_groups = 3};
    upl_measure_result *r[3] = {NULL, NULL, NULL};
    int threads[3] = {1, 2, 8};
    for (int t = 0; t < 3; t++) {
        upl_measure_options o = abs_line(2500);
        o.n_threads = threads[t];
        ck_assert_int_eq(upl_measure_compute(&in, req, N_ALL, &o, &r[t], &err), UPL_OK);
    }
    for (size_t k = 0; k < N_ALL * 3; k++) {
        double a = r[0]->stats[k].value;
        ck_assert_msg(!isnan(a), "%s undefined", ALL_NAMES[k / 3]);
        ck_assert_msg(a == r[1]->stats[k].value && a == r[2]->stats[k].value, "%s differs across threads", ALL_NAMES[k / 3]);
    }
    /* the groups' FGT0 recombine to the whole-population value (additivity) */
    upl_measure_input in1 = {.n = n, .y = y, .w = w};
    upl_measure_result *all = NULL;
    upl_measure_options o = abs_line(2500);
    ck_assert_int_eq(upl_measure_compute(&in1, req, N_ALL, &o, &all, &err), UPL_OK);
    double vals[3], ws[3];
    for (int k = 0; k < 3; k++) {
        vals[k] = upl_measure_result_get(r[0], 4, k)->value;
        ws[k] = upl_measure_result_get(r[0], 4, k)->weight_sum;
    }
    double pop[3], con[3], pct[3];
    upl_decomp_additive dec = {.pop_share = pop, .contribution = con, .pct_contribution = pct};
    ck_assert_int_eq(upl_decomp_additive_compute(vals, ws, 3, &dec, &err), UPL_OK);
    ck_assert_near(dec.total, upl_measure_result_get(all, 4, 0)->value, 1e-14);
    ck_assert_near(pct[0] + pct[1] + pct[2], 1, 1e-14);
    ck_assert_near(pop[0] + pop[1] + pop[2], 1, 1e-14);
    for (int t = 0; t < 3; t++) upl_measure_result_free(r[t]);
    upl_measure_result_free(all);
    free(y);
    free(w);
    free(g);
}
END_TEST

/* ---- edge cases ---------------------------------------------------------------------- */
START_TEST(test_edge_empty_group_zero_weights_one_obs) {
    static const double y[] = {5, 7, 9, 11};
    static const double w[] = {1, 0, 2, 1};
    static const int32_t g[] = {0, 0, 0, 2}; /* group 1 empty, group 2 one observation */
    upl_measure_req req[4];
    upl_error err = {0};
    static const char *const names[] = {"mean", "gini", "fgt0", "median"};
    for (int k = 0; k < 4; k++) ck_assert_int_eq(upl_measure_parse(names[k], &req[k], &err), UPL_OK);
    upl_measure_input in = {.n = 4, .y = y, .w = w, .group = g, .n_groups = 3};
    upl_measure_options o = abs_line(8);
    upl_measure_result *r = NULL;
    ck_assert_int_eq(upl_measure_compute(&in, req, 4, &o, &r, &err), UPL_OK);
    /* group 0: the zero-weight row counts in n but not in the statistics: mean (5 + 18)/3 */
    upl_stat *s = upl_measure_result_get(r, 0, 0);
    ck_assert_near(s->value, 23.0 / 3, TOL);
    ck_assert_int_eq(s->n, 3);
    ck_assert_near(s->weight_sum, 3, 0);
    /* gini of {5 (w1), 9 (w2)}: 2*1*2*4 / (2 * 9 * 23) */
    ck_assert_near(upl_measure_result_get(r, 1, 0)->value, 16.0 / (2 * 9 * (23.0 / 3)), TOL);
    /* group 1 empty: undefined with a reason */
    for (int m = 0; m < 4; m++) {
        s = upl_measure_result_get(r, m, 1);
        ck_assert(isnan(s->value));
        ck_assert_ptr_nonnull(s->undefined);
    }
    /* group 2: one observation: Gini 0, FGT0 0, median 11 */
    ck_assert_near(upl_measure_result_get(r, 1, 2)->value, 0, 0);
    ck_assert_near(upl_measure_result_get(r, 2, 2)->value, 0, 0);
    ck_assert_near(upl_measure_result_get(r, 3, 2)->value, 11, 0);
    ck_assert_int_eq(r->n_zero_weight, 1);
    upl_measure_result_free(r);
    /* Gini with the n/(n-1) correction is undefined for one observation */
    o.is_gini_corrected = true;
    in.group = NULL;
    in.n = 1;
    ck_assert_int_eq(upl_measure_compute(&in, &req[1], 1, &o, &r, &err), UPL_OK);
    ck_assert(isnan(r->stats[0].value));
    ck_assert_ptr_nonnull(r->stats[0].undefined);
    upl_measure_result_free(r);
    upl_error_clear(&err);
}
END_TEST

START_TEST(test_edge_all_equal_and_ties) {
    static const double y[] = {6, 6, 6, 6, 6};
    static const char *const names[] = {"gini", "theil", "mld", "ge2", "atkinson1", "atkinson2", "fgt0", "palma", "sst"};
    double got[9];
    upl_measure_options o = abs_line(6); /* y == z for everybody: nobody is poor */
    run(y, NULL, 5, names, 9, &o, got);
    for (int k = 0; k < 7; k++) ck_assert_msg(fabs(got[k]) <= 1e-15, "%s = %g", names[k], got[k]);
    ck_assert_near(got[7], 0.1 / 0.4, 1e-14);  /* equal shares */
    ck_assert_near(got[8], 0, 0);
    o.z = 6.000000001;                          /* just above: everybody poor */
    run(y, NULL, 5, names, 9, &o, got);
    ck_assert_near(got[6], 1, 0);
}
END_TEST

START_TEST(test_edge_negative_and_zero_incomes) {
    static const double y[] = {-2, 0, 3, 5};
    static const char *const names[] = {"fgt0", "fgt1", "watts", "mld", "theil", "gini", "mean"};
    upl_measure_req req[7];
    upl_error err = {0};
    for (int k = 0; k < 7; k++) ck_assert_int_eq(upl_measure_parse(names[k], &req[k], &err), UPL_OK);
    upl_measure_input in = {.n = 4, .y = y};
    upl_measure_options o = abs_line(4);
    upl_measure_result *r = NULL;
    ck_assert_int_eq(upl_measure_compute(&in, req, 7, &o, &r, &err), UPL_OK);
    ck_assert_near(r->stats[0].value, 0.75, TOL);
    /* negative income kept: gap 1.5 (> 1, not capped by default): (1.5 + 1 + 0.25)/4 */
    ck_assert_near(r->stats[1].value, 2.75 / 4, TOL);
    ck_assert(isnan(r->stats[2].value) && r->stats[2].undefined);   /* Watts: ln 0 */
    ck_assert(isnan(r->stats[3].value) && r->stats[3].undefined);   /* MLD: y <= 0 */
    ck_assert(isnan(r->stats[4].value) && r->stats[4].undefined);   /* Theil: y < 0 */
    /* Gini with a negative income: sum|yi-yj| = 2+5+7+3+5+2 = 24 (x2), mean 1.5 -> 48/(2*16*1.5) = 1 */
    ck_assert_near(r->stats[5].value, 1.0, TOL);
    upl_measure_result_free(r);
    /* capped gaps: (1 + 1 + 0.25)/4 */
    o.is_gap_capped = true;
    ck_assert_int_eq(upl_measure_compute(&in, req, 2, &o, &r, &err), UPL_OK);
    ck_assert_near(r->stats[1].value, 2.25 / 4, TOL);
    upl_measure_result_free(r);
    o.is_gap_capped = false;
    /* DROP for the log measures: Watts over y > 0 only (3, 5): ln(4/3)/2 */
    o.nonpositive = UPL_POLICY_DROP;
    ck_assert_int_eq(upl_measure_compute(&in, req, 7, &o, &r, &err), UPL_OK);
    ck_assert_near(r->stats[2].value, log(4.0 / 3) / 2, TOL);
    ck_assert_int_eq(r->stats[2].n_dropped, 2);
    ck_assert_near(r->stats[3].value, log(4.0 / 3) / 2 + log(4.0 / 5) / 2, TOL); /* mean 4 over {3,5} */
    /* Theil drops only y < 0: {0, 3, 5}, mean 8/3 */
    double m = 8.0 / 3;
    ck_assert_near(r->stats[4].value, ((3 / m) * log(3 / m) + (5 / m) * log(5 / m)) / 3, TOL);
    ck_assert_int_eq(r->stats[4].n_dropped, 1);
    upl_measure_result_free(r);
    /* negative policy DROP removes y < 0 everywhere */
    o.negative = UPL_POLICY_DROP;
    ck_assert_int_eq(upl_measure_compute(&in, req, 7, &o, &r, &err), UPL_OK);
    ck_assert_near(r->stats[6].value, 8.0 / 3, TOL);
    ck_assert_int_eq(r->n_negative_dropped, 1);
    upl_measure_result_free(r);
    /* ERROR names the row */
    o.negative = UPL_POLICY_ERROR;
    ck_assert_int_eq(upl_measure_compute(&in, req, 7, &o, &r, &err), UPL_ERANGE);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&err), "row 1"));
    upl_error_clear(&err);
    o.negative = UPL_POLICY_KEEP;
    o.nonpositive = UPL_POLICY_ERROR;
    ck_assert_int_eq(upl_measure_compute(&in, req, 7, &o, &r, &err), UPL_ERANGE);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&err), "row 1"));
    upl_error_clear(&err);
}
END_TEST

START_TEST(test_edge_missing) {
    double y[] = {1, NAN, 3, 4};
    double w[] = {1, 1, NAN, 1};
    upl_measure_req req;
    upl_error err = {0};
    ck_assert_int_eq(upl_measure_parse("mean", &req, &err), UPL_OK);
    upl_measure_input in = {.n = 4, .y = y, .w = w};
    upl_measure_options o = abs_line(2);
    upl_measure_result *r = NULL;
    ck_assert_int_eq(upl_measure_compute(&in, &req, 1, &o, &r, &err), UPL_OK);
    ck_assert_near(r->stats[0].value, 2.5, TOL);
    ck_assert_int_eq(r->n_missing, 2);
    ck_assert_int_eq(r->stats[0].n, 2);
    upl_measure_result_free(r);
    o.missing = UPL_POLICY_ERROR;
    ck_assert_int_eq(upl_measure_compute(&in, &req, 1, &o, &r, &err), UPL_ERANGE);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&err), "row 2"));
    upl_error_clear(&err);
    /* negative weight is always an error */
    w[2] = -1;
    o.missing = UPL_POLICY_DROP;
    y[1] = 2;
    ck_assert_int_eq(upl_measure_compute(&in, &req, 1, &o, &r, &err), UPL_ERANGE);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&err), "row 3"));
    upl_error_clear(&err);
    /* empty input: undefined, not an error */
    upl_measure_input e0 = {.n = 0, .y = y};
    ck_assert_int_eq(upl_measure_compute(&e0, &req, 1, &o, &r, &err), UPL_OK);
    ck_assert(isnan(r->stats[0].value) && r->stats[0].undefined);
    upl_measure_result_free(r);
    /* unknown measure names are misuse with the list */
    ck_assert_int_eq(upl_measure_parse("ginni", &req, &err), UPL_EMISUSE);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&err), "gini"));
    upl_error_clear(&err);
}
END_TEST

START_TEST(test_accumulator_merge) {
    /* chunked accumulation + merge equals one pass */
    upl_acc_params p;
    upl_acc_params_init(&p);
    p.z = 4;
    upl_acc a, b, c;
    upl_acc_init(&a, &p);
    upl_acc_init(&b, &p);
    upl_acc_init(&c, &p);
    upl_acc_add(&a, IJ_V, IJ_W, 9);
    upl_acc_add(&b, IJ_V, IJ_W, 4);
    upl_acc_add(&c, IJ_V + 4, IJ_W + 4, 5);
    upl_acc_merge(&b, &c);
    ck_assert_near(upl_acc_fgt(&b, 1), upl_acc_fgt(&a, 1), 1e-15);
    ck_assert_near(upl_acc_fgt(&b, 1), 0.1222222222222222, 1e-15);
    ck_assert_near(upl_acc_watts(&b), 0.17552777833850716, 1e-15);
    ck_assert_near(upl_acc_mean(&b), 21.8 / 4.5, 1e-15);
}
END_TEST

/* Every allocation failure is reported as UPL_ENOMEM and leaks nothing
 * (run under ASan); once allocations succeed the result is the same. */
START_TEST(test_alloc_failures) {
    static const char *const names[] = {"mean", "median", "fgt1", "gini", "theil", "atkinson2", "sst", "watts"};
    upl_measure_req req[8];
    upl_error err = {0};
    for (int k = 0; k < 8; k++) ck_assert_int_eq(upl_measure_parse(names[k], &req[k], &err), UPL_OK);
    static const int32_t g[] = {0, 1, 0, 1, 0, 1, 0, 1, 0};
    upl_measure_input in = {.n = 9, .y = IJ_V, .w = IJ_W, .group = g, .n_groups = 2};
    upl_measure_options o = abs_line(4);
    o.line = UPL_LINE_RELATIVE;
    o.rel_share = 0.6;
    upl_measure_result *ref = NULL, *r = NULL;
    ck_assert_int_eq(upl_measure_compute(&in, req, 8, &o, &ref, &err), UPL_OK);
    int n_fail = 0;
    for (long k = 1; k < 200; k++) {
        upl_alloc_fail_after(k, false);
        int rc = upl_measure_compute(&in, req, 8, &o, &r, &err);
        bool failed = upl_alloc_failed();
        upl_alloc_fail_after(0, false);
        if (rc == UPL_OK) {
            ck_assert(!failed);
            for (size_t m = 0; m < 16; m++) ck_assert(r->stats[m].value == ref->stats[m].value);
            upl_measure_result_free(r);
            break;
        }
        ck_assert_int_eq(rc, UPL_ENOMEM);
        ck_assert_ptr_null(r);
        upl_error_clear(&err);
        n_fail++;
    }
    ck_assert(n_fail > 5);
    upl_measure_result_free(ref);
    /* the same for Alkire-Foster with a design and for the design SEs */
    static const double x1[] = {1, 0, 1, 1, 0, 0}, x2[] = {0, 0, 1, 1, 1, 0};
    static const int64_t st[] = {1, 1, 1, 2, 2, 2};
    const double *x[2] = {x1, x2};
    upl_af_indicator ind[2] = {{.name = "a", .weight = {1, 2}, .is_deprivation = true},
                               {.name = "b", .weight = {1, 2}, .is_deprivation = true}};
    upl_af_spec spec = {.d = 2, .ind = ind, .k = {1, 2}};
    static const int32_t ag[] = {0, 0, 1, 1, 0, 1};
    upl_af_input ai = {.n = 6, .x = x, .group = ag, .n_groups = 2};
    upl_design d = {.strata = st};
    upl_af_result *ar = NULL;
    for (long k = 1; k < 300; k++) {
        upl_alloc_fail_after(k, false);
        int rc = upl_af_compute(&spec, &ai, UPL_POLICY_ERROR, &d, &ar, &err);
        upl_alloc_fail_after(0, false);
        if (rc == UPL_OK) {
            ck_assert_near(ar->all.H, 4.0 / 6, 1e-15);
            upl_af_result_free(ar);
            break;
        }
        ck_assert_int_eq(rc, UPL_ENOMEM);
        upl_error_clear(&err);
    }
}
END_TEST

/* Table-level wrapper: columns -> arrays, missing cells -> NaN, --by groups. */
START_TEST(test_table_wrapper) {
    upl_table *t = upl_table_new();
    upl_column *inc = NULL, *wt = NULL, *reg = NULL;
    upl_error err = {0};
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(upl_table_add_column(t, "income", UPL_F64, &inc, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "wt", UPL_I64, &wt, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "region", UPL_CAT, &reg, &err), UPL_OK);
    static const double y[] = {1, 2, 3, 4, 5};
    static const char *const r[] = {"east", "west", "east", "west", "east"};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(i == 3 ? upl_col_push_null(inc) : upl_col_push_f64(inc, y[i]), UPL_OK);
        ck_assert_int_eq(upl_col_push_i64(wt, i + 1), UPL_OK);
        ck_assert_int_eq(upl_col_push_cat(reg, r[i], strlen(r[i])), UPL_OK);
    }
    const char *by[] = {"region"};
    upl_measure_input in;
    double *yb = NULL, *wb = NULL;
    upl_groupby *gb = NULL;
    ck_assert_int_eq(upl_measure_table_input(t, "income", "wt", by, 1, &in, &yb, &wb, &gb, &err), UPL_OK);
    ck_assert(isnan(in.y[3]));
    ck_assert_int_eq(in.n_groups, 2);
    upl_measure_req req;
    ck_assert_int_eq(upl_measure_parse("mean", &req, &err), UPL_OK);
    upl_measure_result *res = NULL;
    upl_measure_options o = abs_line(3);
    ck_assert_int_eq(upl_measure_compute(&in, &req, 1, &o, &res, &err), UPL_OK);
    /* east: (1*1 + 3*3 + 5*5)/(1+3+5) = 35/9; west: 2 (row 4 missing) */
    ck_assert_str_eq(gb->labels[0][0], "east");
    ck_assert_near(res->stats[0].value, 35.0 / 9, TOL);
    ck_assert_near(res->stats[1].value, 2, TOL);
    ck_assert_int_eq(res->n_missing, 1);
    upl_measure_result_free(res);
    upl_free(yb);
    upl_free(wb);
    upl_groupby_free(gb);
    ck_assert_int_eq(upl_measure_table_input(t, "nosuch", NULL, NULL, 0, &in, &yb, &wb, &gb, &err), UPL_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&err), "nosuch"));
    upl_error_clear(&err);
    int64_t *sb = NULL, *pb = NULL;
    double *fb = NULL;
    ck_assert_int_eq(upl_measure_table_design(t, "region", "wt", NULL, &sb, &pb, &fb, &err), UPL_OK);
    ck_assert(sb[0] == sb[2] && sb[0] != sb[1]);
    ck_assert_int_eq(pb[4], 5);
    upl_free(sb);
    upl_free(pb);
    upl_table_free(t);
}
END_TEST

/* The table wrapper hands back upl_groupby_build's ids and labels (CAT, I64, BOOL and missing keys). */
START_TEST(test_table_input_groups_match_core) {
    upl_table *t = upl_table_new();
    upl_column *a = NULL, *b = NULL, *c = NULL, *y = NULL, *s = NULL;
    upl_error err = {0};
    ck_assert_int_eq(upl_table_add_column(t, "prov", UPL_CAT, &a, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "year", UPL_I64, &b, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "urban", UPL_BOOL, &c, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "inc", UPL_F64, &y, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "name", UPL_STR, &s, &err), UPL_OK);
    static const char *const pv[] = {"贵州", "Hunan", "广东", "Anhui", "贵州"};
    uint64_t st = 5;
    for (int i = 0; i < 3000; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        const char *p = pv[(st >> 40) % 5];
        ck_assert_int_eq((st >> 20) % 97 == 0 ? upl_col_push_null(a) : upl_col_push_cat(a, p, strlen(p)), UPL_OK);
        ck_assert_int_eq(upl_col_push_i64(b, 2010 - (int64_t)((st >> 30) % 7) * 3), UPL_OK);
        ck_assert_int_eq((st >> 10) % 101 == 0 ? upl_col_push_null(c) : upl_col_push_bool(c, (st >> 50) & 1), UPL_OK);
        ck_assert_int_eq(upl_col_push_f64(y, 1 + (double)(st % 1000)), UPL_OK);
        ck_assert_int_eq(upl_col_push_str(s, p, strlen(p)), UPL_OK);
    }
    const char *by[] = {"prov", "year", "urban"};
    for (size_t nk = 1; nk <= 3; nk++) {
        upl_groupby *ref = NULL, *got = NULL;
        upl_measure_input in;
        double *yb = NULL, *wb = NULL;
        ck_assert_int_eq(upl_groupby_build(t, by, nk, &ref, &err), UPL_OK);
        ck_assert_int_eq(upl_measure_table_input(t, "inc", NULL, by, nk, &in, &yb, &wb, &got, &err), UPL_OK);
        ck_assert_int_eq(got->n_groups, ref->n_groups);
        ck_assert_int_eq(got->n_missing_key, ref->n_missing_key);
        for (size_t r = 0; r < 3000; r++) ck_assert_int_eq(got->group_of_row[r], ref->group_of_row[r]);
        for (int32_t g = 0; g < ref->n_groups; g++) {
            ck_assert_int_eq(got->group_rows[g], ref->group_rows[g]);
            for (size_t k = 0; k < nk; k++) ck_assert_str_eq(got->labels[g][k], ref->labels[g][k]);
        }
        upl_groupby_free(ref);
        upl_groupby_free(got);
        upl_free(yb);
        upl_free(wb);
    }
    /* text keys take the core path */
    const char *bs[] = {"name"};
    upl_groupby *got = NULL;
    upl_measure_input in;
    double *yb = NULL, *wb = NULL;
    ck_assert_int_eq(upl_measure_table_input(t, "inc", NULL, bs, 1, &in, &yb, &wb, &got, &err), UPL_OK);
    ck_assert_int_eq(got->n_groups, 4);
    upl_groupby_free(got);
    upl_free(yb);
    upl_free(wb);
    upl_table_free(t);
}
END_TEST

Suite *suite_measure(void) {
    Suite *s = suite_create("measure");
    TCase *tc = tcase_create("monetary_inequality");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_inequality_jl_unweighted);
    tcase_add_test(tc, test_inequality_jl_weighted);
    tcase_add_test(tc, test_lorenz);
    tcase_add_test(tc, test_hand_1234);
    tcase_add_test(tc, test_quantile_rules);
    tcase_add_test(tc, test_relative_line);
    tcase_add_test(tc, test_frequency_weights_replicate);
    tcase_add_test(tc, test_equal_weights_and_permutation);
    tcase_add_test(tc, test_gini_second_method);
    tcase_add_test(tc, test_thread_invariance);
    tcase_add_test(tc, test_edge_empty_group_zero_weights_one_obs);
    tcase_add_test(tc, test_edge_all_equal_and_ties);
    tcase_add_test(tc, test_edge_negative_and_zero_incomes);
    tcase_add_test(tc, test_edge_missing);
    tcase_add_test(tc, test_accumulator_merge);
    tcase_add_test(tc, test_alloc_failures);
    tcase_add_test(tc, test_table_wrapper);
    tcase_add_test(tc, test_table_input_groups_match_core);
    suite_add_tcase(s, tc);
    return s;
}
