/* test_revital.c — lib/revital against independent values: the published
 * 20-river example of DOMAIN.md §4.3 (entropy weights and scores, TOPSIS
 * closeness, CRITIC weights and scores, to the printed 7 digits), and
 * hand calculations written out in each test (AHP consistency, coupling
 * coordination on a class boundary, obstacle degree, Dagum Gini against the
 * direct pairwise Gini, Theil within+between against the direct Theil,
 * sigma, OLS with standard errors, kernel density). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"
#include "uplift/revital.h"

/* ---- the 20 rivers (tests/data/revital/rivers.csv) ------------------------------ */
static const double RIV[20][4] = {
    {4.69, 6.59, 51, 11.94}, {2.03, 7.86, 19, 6.46}, {9.11, 6.31, 46, 8.91}, {8.61, 7.05, 46, 26.43},
    {7.13, 6.50, 50, 23.57}, {2.39, 6.77, 38, 24.62}, {7.69, 6.79, 38, 6.01}, {9.30, 6.81, 27, 31.57},
    {5.45, 7.62, 5, 18.46}, {6.19, 7.27, 17, 7.51}, {7.93, 7.53, 9, 6.52}, {4.40, 7.28, 17, 25.30},
    {7.46, 8.24, 23, 14.42}, {2.01, 5.55, 47, 26.31}, {2.04, 6.40, 23, 17.91}, {7.73, 6.14, 52, 15.72},
    {6.35, 7.58, 25, 29.46}, {8.29, 8.41, 39, 12.02}, {3.54, 7.27, 54, 3.16}, {7.44, 6.26, 8, 28.41},
};
static const upl_revital_dirspec RIV_DIR[4] = {
    {UPL_REVITAL_BENEFIT, NAN, NAN, NAN}, {UPL_REVITAL_CENTRE, 7, NAN, NAN},
    {UPL_REVITAL_COST, NAN, NAN, NAN}, {UPL_REVITAL_INTERVAL, NAN, 10, 20},
};
/* Published (DOMAIN.md §4.3), printed to 7 significant digits. */
static const double ENT_W[4] = {0.3153202, 0.1813149, 0.3506929, 0.1526721};
static const double ENT_E[4] = {0.912936, 0.949937, 0.903169, 0.957845};
static const double ENT_S[20] = {42.05869, 43.14229, 59.75555, 58.55797, 47.47757, 37.60200, 61.51622, 66.57186, 75.49739,
                                 71.25274, 79.89397, 59.70830, 63.57278, 12.10016, 48.22587, 48.81539, 53.16568, 53.61734,
                                 27.72132, 69.36453};
static const double TOP_C[20] = {0.3841556, 0.4852199, 0.5021310, 0.5084128, 0.4226200, 0.3945085, 0.5502261,
                                 0.6258551, 0.7260529, 0.7138447, 0.8091923, 0.6159619, 0.6007565, 0.1593096,
                                 0.4974685, 0.4250799, 0.5565555, 0.4815844, 0.3070290, 0.7098355};
static const double CRI_W[4] = {0.2561818, 0.2257389, 0.2539392, 0.2641401};
static const double CRI_S[20] = {53.57760, 45.72631, 64.85384, 60.86933, 53.11902, 44.48714, 64.86180, 59.22668, 76.81822,
                                 72.96404, 76.91674, 60.10287, 64.90101, 15.63614, 55.81794, 56.73669, 48.64189, 56.87927,
                                 34.54560, 61.18867};
/* The book prints 7 significant digits: half a unit in the last place. */
#define PUB_W 5e-8
#define PUB_S 5e-6   /* scores printed with 5 decimals (0.000005 absolute) */

static void normalise_rivers(double z[20][4], bool eps) {
    upl_error err = {0};
    for (size_t j = 0; j < 4; j++) {
        bool is_c;
        ck_assert_int_eq(upl_revital_normalise(&RIV[0][j], 20, 4, &RIV_DIR[j], &z[0][j], 4, &is_c, &err), UPL_OK);
        ck_assert(!is_c);
        if (eps) upl_revital_epsilon_rescale(&z[0][j], 20, 4, RIV_DIR[j].direction, 0.002);
    }
}

START_TEST(test_normalise_by_hand) {
    double z[20][4];
    normalise_rivers(z, false);
    /* river 1: O2 (4.69-2.01)/(9.30-2.01); PH 1-|6.59-7|/1.45; germ (54-51)/(54-5);
     * nutrient 11.94 inside [10,20] -> 1; river 19 nutrient 3.16: 1-(10-3.16)/11.57 */
    ck_assert_near(z[0][0], 2.68 / 7.29, 1e-15);
    ck_assert_near(z[0][1], 1 - 0.41 / 1.45, 1e-15);
    ck_assert_near(z[0][2], 3.0 / 49.0, 1e-15);
    ck_assert_near(z[0][3], 1.0, 0);
    ck_assert_near(z[18][3], 1 - 6.84 / 11.57, 1e-15);
    ck_assert_near(z[13][1], 0.0, 0); /* PH 5.55 is the farthest from 7 */
    ck_assert_near(z[7][3], 0.0, 1e-15); /* 31.57 is M beyond 20 */
}
END_TEST

START_TEST(test_rivers_entropy) {
    double z[20][4], w[4], e[4], d[4];
    bool fb;
    upl_error err = {0};
    normalise_rivers(z, true);
    ck_assert_int_eq(upl_revital_entropy(&z[0][0], 20, 4, UPL_REVITAL_ZERO_EPSILON, 0.002, w, e, d, &fb, &err), UPL_OK);
    ck_assert(!fb);
    for (int j = 0; j < 4; j++) {
        ck_assert_near(w[j], ENT_W[j], PUB_W);
        ck_assert_near(e[j], ENT_E[j], 5e-7);
        ck_assert_near(d[j], 1 - e[j], 1e-15);
    }
    for (int i = 0; i < 20; i++) {
        double s = 0;
        for (int j = 0; j < 4; j++) s += 100 * w[j] * z[i][j];
        ck_assert(fabs(s - ENT_S[i]) <= PUB_S);
    }
}
END_TEST

START_TEST(test_rivers_topsis) {
    double z[20][4], w[4], a[20][4], c[20], dp[20], dm[20];
    bool cost[4] = {false, false, true, false};
    upl_error err = {0};
    normalise_rivers(z, true);
    ck_assert_int_eq(upl_revital_entropy(&z[0][0], 20, 4, UPL_REVITAL_ZERO_EPSILON, 0.002, w, NULL, NULL, NULL, &err), UPL_OK);
    normalise_rivers(z, false);
    for (int i = 0; i < 20; i++) {
        a[i][0] = RIV[i][0]; a[i][1] = z[i][1]; a[i][2] = RIV[i][2]; a[i][3] = z[i][3];
    }
    ck_assert_int_eq(upl_revital_topsis(&a[0][0], 20, 4, w, cost, UPL_REVITAL_TOPSIS_VECTOR, dp, dm, c, &err), UPL_OK);
    for (int i = 0; i < 20; i++) {
        ck_assert(fabs(c[i] - TOP_C[i]) <= PUB_W);
        ck_assert_near(c[i], dm[i] / (dp[i] + dm[i]), 1e-15);
    }
}
END_TEST

START_TEST(test_rivers_critic) {
    double z[20][4], w[4], s[4], r[4], info[4];
    upl_error err = {0};
    normalise_rivers(z, false);
    ck_assert_int_eq(upl_revital_critic(&z[0][0], 20, 4, UPL_REVITAL_CRITIC_STANDARD, w, s, r, info, NULL, &err), UPL_OK);
    for (int j = 0; j < 4; j++) {
        ck_assert_near(w[j], CRI_W[j], PUB_W);
        ck_assert_near(info[j], s[j] * r[j], 1e-15);
    }
    for (int i = 0; i < 20; i++) {
        double sc = 0;
        for (int j = 0; j < 4; j++) sc += 100 * w[j] * z[i][j];
        ck_assert(fabs(sc - CRI_S[i]) <= PUB_S);
    }
}
END_TEST

START_TEST(test_topsis_by_hand) {
    /* min-max data, all benefit: u1 = (1, 0), u2 = (0, 1), w = (0.75, 0.25):
     * ideal (0.75, 0.25), anti-ideal (0, 0); u1: D+ = 0.25, D- = 0.75, C = 0.75;
     * u2: D+ = 0.75, D- = 0.25, C = 0.25. Identical units: C = 0.5. */
    double a[4] = {1, 0, 0, 1}, w[2] = {0.75, 0.25}, c[2], dp[2], dm[2];
    upl_error err = {0};
    ck_assert_int_eq(upl_revital_topsis(a, 2, 2, w, NULL, UPL_REVITAL_TOPSIS_NONE, dp, dm, c, &err), UPL_OK);
    ck_assert_near(dp[0], 0.25, 1e-15);
    ck_assert_near(dm[0], 0.75, 1e-15);
    ck_assert_near(c[0], 0.75, 1e-15);
    ck_assert_near(c[1], 0.25, 1e-15);
    double same[4] = {3, 3, 3, 3};
    ck_assert_int_eq(upl_revital_topsis(same, 2, 2, w, NULL, UPL_REVITAL_TOPSIS_VECTOR, NULL, NULL, c, &err), UPL_OK);
    ck_assert_near(c[0], 0.5, 0);
    /* a cost column: smaller is the ideal. x = (2, 4) cost, w = 1, vector norm sqrt(20):
     * b = (2, 4)/sqrt(20); ideal = min, so u1 has D+ = 0, C = 1 */
    double k[2] = {2, 4}, w1[1] = {1};
    bool cost[1] = {true};
    ck_assert_int_eq(upl_revital_topsis(k, 2, 1, w1, cost, UPL_REVITAL_TOPSIS_VECTOR, dp, dm, c, &err), UPL_OK);
    ck_assert_near(c[0], 1.0, 0);
    ck_assert_near(dm[0], 2 / sqrt(20.0), 1e-15);
    ck_assert_near(c[1], 0.0, 0);
}
END_TEST

START_TEST(test_critic_spearman_by_hand) {
    /* z1 = (0, 1/3, 2/3, 1), z2 = (0, 2/39, 1/39, 1): ranks (1,2,3,4) and
     * (1,3,2,4): Spearman r = 1 - 6 * 2 / (4 * 15) = 0.8, so R1 = R2 = 0.2
     * and the weights follow the sample SDs. Pearson r differs (the outlier
     * 1 in z2), so the standard variant gives other conflicts. */
    double z[8] = {0, 0, 1.0 / 3, 2.0 / 39, 2.0 / 3, 1.0 / 39, 1, 1}, w[2], sd[2], r[2];
    upl_error err = {0};
    ck_assert_int_eq(upl_revital_critic(z, 4, 2, UPL_REVITAL_CRITIC_SPEARMAN, w, sd, r, NULL, NULL, &err), UPL_OK);
    ck_assert_near(r[0], 0.2, 1e-15);
    ck_assert_near(r[1], 0.2, 1e-15);
    ck_assert_near(w[0], sd[0] / (sd[0] + sd[1]), 1e-15);
    double rs[2];
    ck_assert_int_eq(upl_revital_critic(z, 4, 2, UPL_REVITAL_CRITIC_STANDARD, w, NULL, rs, NULL, NULL, &err), UPL_OK);
    ck_assert(fabs(rs[0] - 0.2) > 1e-3);
    /* abs variant: with r = 0.8 > 0 identical to standard */
    double ra[2];
    ck_assert_int_eq(upl_revital_critic(z, 4, 2, UPL_REVITAL_CRITIC_ABS, w, NULL, ra, NULL, NULL, &err), UPL_OK);
    ck_assert_near(ra[0], rs[0], 1e-15);
    /* ties: average ranks; (1, 1, 2) vs (1, 2, 3): ranks (1.5, 1.5, 3), r = 0.8660254 */
    double t3[6] = {1, 1, 1, 2, 2, 3};
    ck_assert_int_eq(upl_revital_critic(t3, 3, 2, UPL_REVITAL_CRITIC_SPEARMAN, w, NULL, r, NULL, NULL, &err), UPL_OK);
    ck_assert_near(r[0], 1 - sqrt(0.75), 1e-15);
}
END_TEST

/* The same through the panel driver, from an in-memory table. */
static upl_table *river_table(void) {
    upl_error err = {0};
    upl_table *t = upl_table_new();
    upl_column *id, *c[4];
    static const char *names[4] = {"O2", "PH", "germ", "nutrient"};
    ck_assert_int_eq(upl_table_add_column(t, "id", UPL_STR, &id, &err), UPL_OK);
    for (int j = 0; j < 4; j++) ck_assert_int_eq(upl_table_add_column(t, names[j], UPL_F64, &c[j], &err), UPL_OK);
    for (int i = 0; i < 20; i++) {
        char b[16];
        snprintf(b, sizeof b, "%02d", i + 1);
        ck_assert_int_eq(upl_col_push_str(id, b, strlen(b)), UPL_OK);
        for (int j = 0; j < 4; j++) ck_assert_int_eq(upl_col_push_f64(c[j], RIV[i][j]), UPL_OK);
    }
    return t;
}

static upl_revital_system *river_system(void) {
    upl_revital_system *s = NULL;
    upl_error err = {0};
    char *p = unit_data_path("revital/rivers.yaml");
    int rc = upl_revital_system_load(p, &s, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    free(p);
    return s;
}

static double cell(upl_table *t, const char *col, size_t row) {
    upl_column *c = upl_table_find(t, col);
    ck_assert_msg(c != NULL, "no column %s", col);
    double v = NAN;
    (void)upl_col_get_f64(c, row, &v);
    return v;
}

START_TEST(test_rivers_driver) {
    upl_table *t = river_table();
    upl_revital_system *s = river_system();
    upl_revital_options o;
    upl_revital_result *r = NULL;
    upl_error err = {0};
    upl_revital_options_init(&o);
    o.unit_col = "id";
    o.topsis = UPL_REVITAL_TOPSIS_VECTOR;
    int rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    upl_table *w = upl_revital_result_find(r, "weights"), *sc = upl_revital_result_find(r, "scores");
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(sc);
    for (int j = 0; j < 4; j++) ck_assert_near(cell(w, "weight", (size_t)j), ENT_W[j], PUB_W);
    for (int i = 0; i < 20; i++) {
        ck_assert(fabs(cell(sc, "score", (size_t)i) - ENT_S[i]) <= PUB_S);
        ck_assert(fabs(cell(sc, "topsis_closeness", (size_t)i) - TOP_C[i]) <= PUB_W);
    }
    /* published best five: 11, 9, 10, 20, 8 */
    ck_assert_near(cell(sc, "rank", 10), 1, 0);
    ck_assert_near(cell(sc, "rank", 8), 2, 0);
    ck_assert_near(cell(sc, "rank", 9), 3, 0);
    ck_assert_near(cell(sc, "rank", 19), 4, 0);
    ck_assert_near(cell(sc, "rank", 7), 5, 0);
    upl_revital_result_free(r);
    r = NULL;
    o.method = UPL_REVITAL_CRITIC;
    o.topsis = 0;
    rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    w = upl_revital_result_find(r, "weights");
    sc = upl_revital_result_find(r, "scores");
    for (int j = 0; j < 4; j++) ck_assert_near(cell(w, "weight", (size_t)j), CRI_W[j], PUB_W);
    for (int i = 0; i < 20; i++) ck_assert(fabs(cell(sc, "score", (size_t)i) - CRI_S[i]) <= PUB_S);
    upl_revital_result_free(r);
    upl_revital_system_free(s);
    upl_table_free(t);
}
END_TEST

START_TEST(test_rivers_csv) {
    /* the committed CSV through the io reader gives the same weights */
    upl_table *t = NULL;
    upl_read_options ro;
    upl_error err = {0};
    char *p = unit_data_path("revital/rivers.csv");
    upl_read_options_init(&ro);
    ro.rejects_path = "/dev/null";
    int rc = upl_read_table(p, &ro, &t, NULL, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    free(p);
    upl_revital_system *s = river_system();
    upl_revital_options o;
    upl_revital_result *r = NULL;
    upl_revital_options_init(&o);
    o.unit_col = "id";
    rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    upl_table *w = upl_revital_result_find(r, "weights");
    for (int j = 0; j < 4; j++) ck_assert_near(cell(w, "weight", (size_t)j), ENT_W[j], PUB_W);
    upl_revital_result_free(r);
    upl_revital_system_free(s);
    upl_table_free(t);
}
END_TEST

/* ---- entropy zero rules and edge cases --------------------------------------------- */

START_TEST(test_entropy_rules_by_hand) {
    /* one column z = (0, 1) over n = 2 units:
     *  limit:  p = (0, 1)  -> e = 0, d = 1
     *  shift delta: p = (d/(1+2d), (1+d)/(1+2d)), e = -(1/ln 2) sum p ln p
     * with a second, constant column (e = 1, d = 0) the first takes all weight */
    double z[4] = {0, 1, 1, 1}, w[2], e[2], d[2];
    upl_error err = {0};
    ck_assert_int_eq(upl_revital_entropy(z, 2, 2, UPL_REVITAL_ZERO_LIMIT, NAN, w, e, d, NULL, &err), UPL_OK);
    ck_assert_near(e[0], 0.0, 1e-15);
    ck_assert_near(e[1], 1.0, 1e-15);
    ck_assert_near(w[0], 1.0, 1e-15);
    ck_assert_near(w[1], 0.0, 1e-15);
    double dl = 0.01, p1 = dl / (1 + 2 * dl), p2 = (1 + dl) / (1 + 2 * dl);
    ck_assert_int_eq(upl_revital_entropy(z, 2, 2, UPL_REVITAL_ZERO_SHIFT, dl, w, e, d, NULL, &err), UPL_OK);
    ck_assert_near(e[0], -(p1 * log(p1) + p2 * log(p2)) / log(2.0), 1e-14);
}
END_TEST

START_TEST(test_entropy_edges) {
    upl_error err = {0};
    double w[2];
    bool fb = false;
    double one[2] = {0.3, 0.7};
    /* one unit: k = 1/ln 1 undefined */
    ck_assert_int_eq(upl_revital_entropy(one, 1, 2, UPL_REVITAL_ZERO_LIMIT, NAN, w, NULL, NULL, NULL, &err), UPL_EUNDEFINED);
    ck_assert(strstr(upl_error_message(&err), "at least 2 units") != NULL);
    upl_error_clear(&err);
    /* every column constant: all d_j = 0 -> equal weights, flagged */
    double c[6] = {0.5, 1, 0.5, 1, 0.5, 1};
    ck_assert_int_eq(upl_revital_entropy(c, 3, 2, UPL_REVITAL_ZERO_LIMIT, NAN, w, NULL, NULL, &fb, &err), UPL_OK);
    ck_assert(fb);
    ck_assert_near(w[0], 0.5, 0);
    ck_assert_near(w[1], 0.5, 0);
    /* all-zero column with the limit rule: no information, e = 1 */
    double zc[4] = {0, 0.2, 0, 0.9}, e[2];
    ck_assert_int_eq(upl_revital_entropy(zc, 2, 2, UPL_REVITAL_ZERO_LIMIT, NAN, w, e, NULL, &fb, &err), UPL_OK);
    ck_assert_near(e[0], 1.0, 0);
    ck_assert_near(w[0], 0.0, 0);
    /* negative input */
    double neg[4] = {0, -0.1, 1, 1};
    ck_assert_int_eq(upl_revital_entropy(neg, 2, 2, UPL_REVITAL_ZERO_LIMIT, NAN, w, NULL, NULL, NULL, &err), UPL_ERANGE);
    ck_assert(strstr(upl_error_message(&err), "unit 1, indicator 2") != NULL);
    upl_error_clear(&err);
}
END_TEST

START_TEST(test_constant_column) {
    double x[3] = {5, 5, 5}, z[3];
    bool is_c = false;
    upl_error err = {0};
    upl_revital_dirspec d = {UPL_REVITAL_BENEFIT, NAN, NAN, NAN};
    ck_assert_int_eq(upl_revital_normalise(x, 3, 1, &d, z, 1, &is_c, &err), UPL_OK);
    ck_assert(is_c);
    ck_assert_near(z[0], 1.0, 0);
    /* interval with every value inside: constant as well */
    double y[3] = {11, 12, 19};
    upl_revital_dirspec iv = {UPL_REVITAL_INTERVAL, NAN, 10, 20};
    ck_assert_int_eq(upl_revital_normalise(y, 3, 1, &iv, z, 1, &is_c, &err), UPL_OK);
    ck_assert(is_c);
    /* CRITIC: constant column gets weight 0, the others split by S R */
    double m[9] = {0.0, 1, 0.0, 0.5, 1, 1.0, 1.0, 1, 0.5};
    double w[3], s[3], r[3];
    ck_assert_int_eq(upl_revital_critic(m, 3, 3, UPL_REVITAL_CRITIC_STANDARD, w, s, r, NULL, NULL, &err), UPL_OK);
    ck_assert_near(w[1], 0.0, 0);
    /* by hand: col0 = (0, .5, 1), col2 = (0, 1, .5); S0 = 0.5, S2 = 0.5;
     * r02 = cov/(s0 s2): deviations (-.5,0,.5) and (-.5,.5,0): sum = .25, /(2 * .25) = 0.5;
     * R0 = R2 = 1 - 0.5 = 0.5; equal weights 0.5 */
    ck_assert_near(s[0], 0.5, 1e-15);
    ck_assert_near(r[0], 0.5, 1e-15);
    ck_assert_near(w[0], 0.5, 1e-15);
    ck_assert_near(w[2], 0.5, 1e-15);
}
END_TEST

/* ---- AHP ------------------------------------------------------------------------ */

START_TEST(test_ahp_consistent) {
    /* a_ij = w_i / w_j: lambda = k exactly, CI = CR = 0, w recovered */
    double w0[4] = {0.4, 0.3, 0.2, 0.1}, a[16], w[4], lam, ci, cr;
    upl_error err = {0};
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) a[i * 4 + j] = w0[i] / w0[j];
    ck_assert_int_eq(upl_revital_ahp(a, 4, w, &lam, &ci, &cr, &err), UPL_OK);
    for (int i = 0; i < 4; i++) ck_assert_near(w[i], w0[i], 1e-13);
    ck_assert_near(lam, 4.0, 1e-12);
    ck_assert_near(cr, 0.0, 1e-12);
}
END_TEST

START_TEST(test_ahp_inconsistent_by_hand) {
    /* 3x3 reciprocal a12 = 2, a13 = 6, a23 = 2. For k = 3 the principal
     * eigenvalue has the closed form lambda = 1 + c + 1/c with
     * c = (a12 a23 / a13)^(1/3) = (2/3)^(1/3) = 0.8735804647, so
     * lambda = 3.0182947073, CI = 0.0091473537, CR = CI / RI(3) = CI / 0.58
     * = 0.0157713. For k = 3 the eigenvector equals the row geometric means
     * (Crawford & Williams 1985): (12^(1/3), 1, 12^(-1/3)) / sum
     * = (0.6144107, 0.2683686, 0.1172208). */
    double a[9] = {1, 2, 6, 0.5, 1, 2, 1.0 / 6, 0.5, 1}, w[3], lam, ci, cr;
    upl_error err = {0};
    ck_assert_int_eq(upl_revital_ahp(a, 3, w, &lam, &ci, &cr, &err), UPL_OK);
    double c = cbrt(2.0 / 3.0);
    ck_assert_near(lam, 1 + c + 1 / c, 1e-12);
    ck_assert_near(lam, 3.0182947073, 1e-10);
    ck_assert_near(ci, 0.0091473537, 1e-10);
    ck_assert_near(cr, 0.0091473537 / 0.58, 1e-10);
    double g1 = cbrt(12.0), s = g1 + 1 + 1 / g1;
    ck_assert_near(w[0], g1 / s, 1e-12);
    ck_assert_near(w[1], 1 / s, 1e-12);
    ck_assert_near(w[2], 1 / g1 / s, 1e-12);
    ck_assert_near(w[0], 0.6144107, 1e-7);
    /* RI table (Saaty 1980) */
    ck_assert_near(upl_revital_ahp_ri(3), 0.58, 0);
    ck_assert_near(upl_revital_ahp_ri(9), 1.45, 0);
    ck_assert(isnan(upl_revital_ahp_ri(16)));
    /* not reciprocal: names the cell */
    a[1] = 3;
    ck_assert_int_eq(upl_revital_ahp(a, 3, w, &lam, &ci, &cr, &err), UPL_ERANGE);
    ck_assert(strstr(upl_error_message(&err), "row 1, column 2") != NULL);
    upl_error_clear(&err);
}
END_TEST

/* ---- coupling coordination ---------------------------------------------------------- */

START_TEST(test_ccd_two) {
    upl_revital_ccd o;
    upl_error err = {0};
    /* U = (0.4, 0.6): C = 2 sqrt(0.24) / 1.0 = 0.9797958971, T = 0.5,
     * D = sqrt(C T) = 0.6999271; class 6 (0.6-0.7 初级协调); gap 0.2 > 0.1:
     * subsystem 0 lags; relative development 0.4/0.6 */
    double u[2] = {0.4, 0.6};
    ck_assert_int_eq(upl_revital_ccd_compute(u, 2, NULL, false, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_near(o.c, 2 * sqrt(0.24), 1e-15);
    ck_assert_near(o.c, 0.9797958971, 1e-10);
    ck_assert_near(o.t, 0.5, 1e-15);
    ck_assert_near(o.d, 0.6999271, 1e-7);
    ck_assert_int_eq(o.level, 6);
    ck_assert_str_eq(upl_revital_ccd_level_name(o.level, true), "初级协调");
    ck_assert_int_eq(o.lagging, 0);
    ck_assert_near(o.relative, 0.4 / 0.6, 1e-15);
    /* modified C (Wang et al. 2021): [1 - 0.2/1] * [0.24/0.6]^(1/1) = 0.32 -> C = sqrt(0.32) */
    ck_assert_int_eq(upl_revital_ccd_compute(u, 2, NULL, true, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_near(o.c, sqrt(0.32), 1e-15);
}
END_TEST

START_TEST(test_ccd_boundary) {
    upl_revital_ccd o;
    upl_error err = {0};
    /* U = (0.25, 0.25): C = 1, T = 0.25, D = 0.5 exactly. Left-closed [a, b)
     * puts D = 0.5 in 0.5-0.6 勉强协调 (class 5); right-closed (a, b] in
     * 0.4-0.5 濒临失调 (class 4). */
    double u[2] = {0.25, 0.25};
    ck_assert_int_eq(upl_revital_ccd_compute(u, 2, NULL, false, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert(o.d == 0.5);
    ck_assert_int_eq(o.level, 5);
    ck_assert_str_eq(upl_revital_ccd_level_name(o.level, false), "barely coordinated");
    ck_assert_int_eq(o.lagging, -1);
    ck_assert_int_eq(upl_revital_ccd_compute(u, 2, NULL, false, UPL_REVITAL_RIGHT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_int_eq(o.level, 4);
    ck_assert_str_eq(upl_revital_ccd_level_name(o.level, true), "濒临失调");
    /* ends of the scale */
    ck_assert_int_eq(upl_revital_ccd_level(1.0, UPL_REVITAL_LEFT_CLOSED), 9);
    ck_assert_int_eq(upl_revital_ccd_level(0.0, UPL_REVITAL_RIGHT_CLOSED), 0);
    ck_assert_int_eq(upl_revital_ccd_level(1.01, UPL_REVITAL_LEFT_CLOSED), -1);
}
END_TEST

START_TEST(test_ccd_three) {
    upl_revital_ccd o;
    upl_error err = {0};
    /* U = (0.2, 0.4, 0.8): prod = 0.064, cube root 0.4, mean 1.4/3:
     * C = 0.4 / (1.4/3) = 6/7, T = 1.4/3, D = sqrt(C T) = sqrt(0.4) = 0.6324555 (class 6) */
    double u[3] = {0.2, 0.4, 0.8};
    ck_assert_int_eq(upl_revital_ccd_compute(u, 3, NULL, false, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_near(o.c, 6.0 / 7.0, 1e-15);
    ck_assert_near(o.t, 1.4 / 3.0, 1e-15);
    ck_assert_near(o.d, sqrt(0.4), 1e-15);
    ck_assert_int_eq(o.level, 6);
    ck_assert_int_eq(o.lagging, 0);
    /* U = 0.09 each: D = sqrt(0.09) = 0.3 on the 0.3 boundary (computed in
     * floating point, possibly 0.29999999999999999): class 3 left-closed, 2 right-closed */
    double v[3] = {0.09, 0.09, 0.09};
    ck_assert_int_eq(upl_revital_ccd_compute(v, 3, NULL, false, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_near(o.d, 0.3, 1e-15);
    ck_assert_int_eq(o.level, 3);
    ck_assert_int_eq(upl_revital_ccd_compute(v, 3, NULL, false, UPL_REVITAL_RIGHT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_int_eq(o.level, 2);
    /* a zero subsystem: C = 0, D = 0; all zero: 0/0 defined as 0 */
    double zz[3] = {0, 0.5, 0.5}, z0[3] = {0, 0, 0};
    ck_assert_int_eq(upl_revital_ccd_compute(zz, 3, NULL, false, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_near(o.c, 0, 0);
    ck_assert_near(o.d, 0, 0);
    ck_assert_int_eq(upl_revital_ccd_compute(z0, 3, NULL, false, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_near(o.d, 0, 0);
    /* weights for T: alpha = (0.5, 0.25, 0.25) on (0.2, 0.4, 0.8): T = 0.1 + 0.1 + 0.2 = 0.4 */
    double al[3] = {0.5, 0.25, 0.25};
    ck_assert_int_eq(upl_revital_ccd_compute(u, 3, al, false, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_near(o.t, 0.4, 1e-15);
    /* modified C, n = 3, U = (0.2, 0.4, 0.8): pair gaps 0.2 + 0.6 + 0.4 = 1.2 over
     * 1 + 2 = 3 pairs -> 1 - 0.4 = 0.6; [0.064 / 0.8]^(1/2) = sqrt(0.08);
     * C = sqrt(0.6 sqrt(0.08)) = 0.4119534 */
    ck_assert_int_eq(upl_revital_ccd_compute(u, 3, NULL, true, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_OK);
    ck_assert_near(o.c, sqrt(0.6 * sqrt(0.08)), 1e-15);
    ck_assert_near(o.c, 0.4119534, 1e-7);
    /* out of range */
    double bad[2] = {0.5, 1.2};
    ck_assert_int_eq(upl_revital_ccd_compute(bad, 2, NULL, false, UPL_REVITAL_LEFT_CLOSED, 0.1, &o, &err), UPL_ERANGE);
    upl_error_clear(&err);
}
END_TEST

/* ---- obstacle degree --------------------------------------------------------------- */

START_TEST(test_obstacle_by_hand) {
    /* z = (0.2, 1.0, 0.5), w = (0.5, 0.3, 0.2): F I = (0.4, 0, 0.1), sum 0.5
     * -> normalised 80 %, 0 %, 20 %; plain 0.4, 0, 0.1. A unit best on
     * everything (z = 1): all zero. */
    double z[6] = {0.2, 1.0, 0.5, 1, 1, 1}, w[3] = {0.5, 0.3, 0.2}, on[6], op[6];
    upl_error err = {0};
    ck_assert_int_eq(upl_revital_obstacle(z, 2, 3, w, on, op, &err), UPL_OK);
    ck_assert_near(on[0], 80, 1e-13);
    ck_assert_near(on[1], 0, 0);
    ck_assert_near(on[2], 20, 1e-13);
    ck_assert_near(op[0], 0.4, 1e-15);
    ck_assert_near(op[2], 0.1, 1e-15);
    for (int j = 3; j < 6; j++) { ck_assert_near(on[j], 0, 0); ck_assert_near(op[j], 0, 0); }
}
END_TEST

/* ---- regional differences ------------------------------------------------------------ */

static double direct_gini(const double *y, size_t n) {
    double s = 0, m = 0;
    for (size_t i = 0; i < n; i++) { m += y[i]; for (size_t j = 0; j < n; j++) s += fabs(y[i] - y[j]); }
    m /= (double)n;
    return s / (2.0 * (double)n * (double)n * m);
}

START_TEST(test_dagum_by_hand) {
    /* A = {1, 4}, B = {2, 5}: n = 4, mu = 3; sum |yi - yj| over ordered pairs = 28,
     * G = 28 / (2 * 16 * 3) = 0.2916667. G_AA = 6/(2*4*2.5) = 0.3,
     * G_BB = 6/(2*4*3.5) = 3/14; p = (.5, .5), s = (5/12, 7/12):
     * G_w = 0.3*.5*5/12 + 3/14*.5*7/12 = 0.0625 + 0.0625 = 0.125.
     * G_AB = 8 / (2*2*(2.5+3.5)) = 1/3; p_A s_B + p_B s_A = 0.5.
     * B richer: d = (2-1)+(5-1)+(5-4) = 6, p = (4-2) = 2 (over 4 pairs),
     * D = (6-2)/(6+2) = 0.5; G_nb = 1/3*.5*.5 = 1/12, G_t = 1/12. */
    double y[4] = {1, 4, 2, 5};
    int32_t g[4] = {0, 0, 1, 1};
    upl_revital_dagum d = {0};
    upl_error err = {0};
    ck_assert_int_eq(upl_revital_dagum_compute(y, g, 4, 2, &d, &err), UPL_OK);
    ck_assert_near(d.gini, 28.0 / 96.0, 1e-15);
    ck_assert_near(d.g_within[0], 0.3, 1e-15);
    ck_assert_near(d.g_within[1], 3.0 / 14.0, 1e-15);
    ck_assert_near(d.within, 0.125, 1e-15);
    ck_assert_near(d.g_between[1 * 2 + 0], 1.0 / 3.0, 1e-15);
    ck_assert_near(d.d_between[1 * 2 + 0], 0.5, 1e-15);
    ck_assert_near(d.between, 1.0 / 12.0, 1e-15);
    ck_assert_near(d.transvariation, 1.0 / 12.0, 1e-15);
    upl_revital_dagum_free(&d);
    /* three regions, pseudo-random scores: parts add up to the direct Gini */
    double yy[30];
    int32_t gg[30];
    unsigned s = 12345;
    for (int i = 0; i < 30; i++) {
        s = s * 1103515245u + 12345u;
        yy[i] = 10 + (double)((s >> 8) % 1000) / 10.0 + (i % 3) * 5;
        gg[i] = i % 3;
    }
    ck_assert_int_eq(upl_revital_dagum_compute(yy, gg, 30, 3, &d, &err), UPL_OK);
    ck_assert_near(d.gini, direct_gini(yy, 30), 1e-14);
    ck_assert_near(d.within + d.between + d.transvariation, d.gini, 1e-14);
    ck_assert(d.transvariation > 0);
    upl_revital_dagum_free(&d);
    /* integer values with many ties, 4 groups (one empty): every G_jj, G_jh,
     * D_jh against the definitions computed pair by pair here */
    double yt[40];
    int32_t gt[40];
    for (int i = 0; i < 40; i++) {
        s = s * 1103515245u + 12345u;
        yt[i] = 1 + (double)((s >> 8) % 6);
        gt[i] = (int32_t)((s >> 20) % 3) == 2 ? 3 : (int32_t)((s >> 20) % 3); /* groups 0, 1, 3 */
    }
    ck_assert_int_eq(upl_revital_dagum_compute(yt, gt, 40, 4, &d, &err), UPL_OK);
    ck_assert_uint_eq(d.n_group[2], 0);
    for (int j = 0; j < 4; j++) {
        if (!d.n_group[j]) continue;
        for (int h = 0; h < 4; h++) {
            if (!d.n_group[h]) continue;
            double sab = 0, pjh = 0, phj = 0;
            for (int a = 0; a < 40; a++)
                for (int b = 0; b < 40; b++)
                    if (gt[a] == j && gt[b] == h) {
                        sab += fabs(yt[a] - yt[b]);
                        if (yt[a] > yt[b]) pjh += yt[a] - yt[b];
                        if (yt[b] > yt[a]) phj += yt[b] - yt[a];
                    }
            double nj = (double)d.n_group[j], nh = (double)d.n_group[h];
            if (j == h) {
                ck_assert_near(d.g_within[j], sab / (2 * nj * nj * d.mean[j]), 1e-14);
            } else {
                ck_assert_near(d.g_between[j * 4 + h], sab / (nj * nh * (d.mean[j] + d.mean[h])), 1e-14);
                double dd = d.mean[j] >= d.mean[h] ? pjh : phj, pp = d.mean[j] >= d.mean[h] ? phj : pjh;
                ck_assert_near(d.d_between[j * 4 + h], (dd - pp) / (dd + pp), 1e-13);
            }
        }
    }
    ck_assert_near(d.gini, direct_gini(yt, 40), 1e-14);
    ck_assert_near(d.within + d.between + d.transvariation, d.gini, 1e-14);
    upl_revital_dagum_free(&d);
}
END_TEST

START_TEST(test_theil_decomposition) {
    double y[6] = {1, 2, 3, 5, 8, 13};
    int32_t g[6] = {0, 0, 1, 1, 2, 2};
    double tot, w, b, gt[3], gs[3];
    upl_error err = {0};
    ck_assert_int_eq(upl_revital_theil(y, NULL, g, 6, 3, &tot, &w, &b, gt, gs, &err), UPL_OK);
    /* direct Theil T = (1/n) sum (y/mu) ln(y/mu) */
    double mu = 32.0 / 6.0, t = 0;
    for (int i = 0; i < 6; i++) t += (y[i] / mu) * log(y[i] / mu);
    t /= 6;
    ck_assert_near(tot, t, 1e-14);
    /* group A = {1, 2}: mean 1.5, T_A = ((1/1.5) ln(1/1.5) + (2/1.5) ln(2/1.5)) / 2; s_A = 3/32 */
    double ta = ((1 / 1.5) * log(1 / 1.5) + (2 / 1.5) * log(2 / 1.5)) / 2;
    ck_assert_near(gt[0], ta, 1e-15);
    ck_assert_near(gs[0], 3.0 / 32.0, 1e-15);
    /* between = sum s_g ln(mu_g / mu) */
    double bb = (3.0 / 32) * log(1.5 / mu) + (8.0 / 32) * log(4 / mu) + (21.0 / 32) * log(10.5 / mu);
    ck_assert_near(b, bb, 1e-14);
}
END_TEST

START_TEST(test_sigma_ols_by_hand) {
    double y[4] = {1, 2, 3, 4}, sd, cv, sl;
    upl_error err = {0};
    ck_assert_int_eq(upl_revital_sigma(y, 4, &sd, &cv, &sl, &err), UPL_OK);
    ck_assert_near(sd, sqrt(1.25), 1e-15);   /* deviations 1.5, .5, .5, 1.5: var 5/4 */
    ck_assert_near(cv, sqrt(1.25) / 2.5, 1e-15);
    /* y = (2, 3, 5, 6) on x = (1, 2, 3, 4): Sxx = 5, Sxy = 7, b = 1.4,
     * a = 4 - 1.4 * 2.5 = 0.5; residuals (.1, -.3, .3, -.1), RSS = 0.2,
     * s^2 = 0.1, se(b) = sqrt(0.1/5), se(a) = sqrt(0.1 (1/4 + 6.25/5)) = sqrt(0.15),
     * R^2 = 1 - 0.2/10 = 0.98 */
    double X[8] = {1, 1, 1, 2, 1, 3, 1, 4}, Y[4] = {2, 3, 5, 6}, b[2], se[2], r2, s2;
    ck_assert_int_eq(upl_revital_ols(X, Y, 4, 2, b, se, &r2, &s2, &err), UPL_OK);
    ck_assert_near(b[0], 0.5, 1e-13);
    ck_assert_near(b[1], 1.4, 1e-13);
    ck_assert_near(se[1], sqrt(0.02), 1e-13);
    ck_assert_near(se[0], sqrt(0.15), 1e-13);
    ck_assert_near(r2, 0.98, 1e-13);
    ck_assert_near(s2, 0.1, 1e-13);
    /* collinear and too few observations */
    double Xc[8] = {1, 2, 1, 2, 1, 2, 1, 2};
    ck_assert_int_eq(upl_revital_ols(Xc, Y, 4, 2, b, se, NULL, NULL, &err), UPL_EUNDEFINED);
    upl_error_clear(&err);
    ck_assert_int_eq(upl_revital_ols(X, Y, 2, 2, b, se, NULL, NULL, &err), UPL_EUNDEFINED);
    upl_error_clear(&err);
}
END_TEST

START_TEST(test_kde) {
    upl_error err = {0};
    /* Silverman for (1..5): s = sqrt(2.5), quartiles (type 7) 2 and 4, IQR/1.34 = 1.4925 < s:
     * h = 0.9 * (2/1.34) * 5^(-1/5) */
    double y[5] = {1, 2, 3, 4, 5}, h;
    ck_assert_int_eq(upl_revital_silverman(y, 5, &h, &err), UPL_OK);
    ck_assert_near(h, 0.9 * (2 / 1.34) * pow(5, -0.2), 1e-15);
    /* one point at 0 with h = 1: f(0) = 1/sqrt(2 pi) */
    double zero = 0, g0 = 0, f;
    ck_assert_int_eq(upl_revital_kde(&zero, 1, 1.0, &g0, 1, &f, NULL, &err), UPL_OK);
    ck_assert_near(f, 0.3989422804014327, 1e-15);
    /* integrates to 1 on a wide grid (trapezoid) */
    double grid[801], dens[801];
    for (int i = 0; i < 801; i++) grid[i] = -7 + 20.0 * i / 800;
    ck_assert_int_eq(upl_revital_kde(y, 5, 0, grid, 801, dens, &h, &err), UPL_OK);
    double area = 0;
    for (int i = 1; i < 801; i++) area += (grid[i] - grid[i - 1]) * (dens[i] + dens[i - 1]) / 2;
    ck_assert_near(area, 1.0, 1e-6);
    /* no spread */
    double same[3] = {2, 2, 2};
    ck_assert_int_eq(upl_revital_silverman(same, 3, &h, &err), UPL_EUNDEFINED);
    upl_error_clear(&err);
}
END_TEST

Suite *suite_revital(void);
Suite *suite_revital(void) {
    Suite *s = suite_create("revital");
    TCase *tc = tcase_create("methods");
    tcase_add_test(tc, test_normalise_by_hand);
    tcase_add_test(tc, test_rivers_entropy);
    tcase_add_test(tc, test_rivers_topsis);
    tcase_add_test(tc, test_rivers_critic);
    tcase_add_test(tc, test_topsis_by_hand);
    tcase_add_test(tc, test_critic_spearman_by_hand);
    tcase_add_test(tc, test_rivers_driver);
    tcase_add_test(tc, test_rivers_csv);
    tcase_add_test(tc, test_entropy_rules_by_hand);
    tcase_add_test(tc, test_entropy_edges);
    tcase_add_test(tc, test_constant_column);
    tcase_add_test(tc, test_ahp_consistent);
    tcase_add_test(tc, test_ahp_inconsistent_by_hand);
    tcase_add_test(tc, test_ccd_two);
    tcase_add_test(tc, test_ccd_boundary);
    tcase_add_test(tc, test_ccd_three);
    tcase_add_test(tc, test_obstacle_by_hand);
    tcase_add_test(tc, test_dagum_by_hand);
    tcase_add_test(tc, test_theil_decomposition);
    tcase_add_test(tc, test_sigma_ols_by_hand);
    tcase_add_test(tc, test_kde);
    suite_add_tcase(s, tc);
    return s;
}
