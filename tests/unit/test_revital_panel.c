/* test_revital_panel.c — the revitalization panel driver, indicator systems
 * and town-and-country summary. Numbers are checked against a second
 * computation (building blocks on the stacked matrix, closed-form simple
 * regression, direct pairwise Gini) or against hand calculations written
 * in the test; edge cases: constant columns, one unit, zeros, missing
 * values (error naming unit, year and indicator; listwise drop with a
 * count), duplicate unit-years, every d_j = 0. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"
#include "uplift/revital.h"

static double cellv(const upl_table *t, const char *col, size_t row) {
    upl_column *c = upl_table_find(t, col);
    ck_assert_msg(c != NULL, "no column %s", col);
    double v = NAN;
    (void)upl_col_get_f64(c, row, &v);
    return v;
}

static const char *cells(const upl_table *t, const char *col, size_t row) {
    static char buf[256];
    upl_column *c = upl_table_find(t, col);
    ck_assert_msg(c != NULL, "no column %s", col);
    char *b = NULL;
    size_t cap = 0, len = 0;
    (void)upl_col_format(c, row, &b, &cap, &len);
    snprintf(buf, sizeof buf, "%s", b ? b : "");
    upl_free(b);
    return buf;
}

/* settings value by key */
static const char *setting(const upl_revital_result *r, const char *key) {
    upl_table *s = upl_revital_result_find(r, "settings");
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < upl_table_n_rows(s); i++)
        if (!strcmp(cells(s, "setting", i), key)) return cells(s, "value", i);
    return NULL;
}

static upl_revital_system *sys_text(const char *yaml) {
    upl_revital_system *s = NULL;
    upl_error err = {0};
    int rc = upl_revital_system_parse(yaml, strlen(yaml), "test.yaml", &s, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    return s;
}

static int sys_error(const char *yaml, const char *want) {
    upl_revital_system *s = NULL;
    upl_error err = {0};
    int rc = upl_revital_system_parse(yaml, strlen(yaml), "test.yaml", &s, &err);
    ck_assert_int_ne(rc, UPL_OK);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(upl_error_message(&err), want) != NULL, "message `%s` lacks `%s`", upl_error_message(&err), want);
    upl_error_clear(&err);
    return rc;
}

/* A small table: columns unit (str), year (i64), a, b, c (f64; NaN = missing). */
static upl_table *small_table(size_t n, const char *const *units, const int64_t *years, const double *a, const double *b,
                              const double *c) {
    upl_error err = {0};
    upl_table *t = upl_table_new();
    upl_column *cu, *cy, *ca, *cb, *cc;
    ck_assert_int_eq(upl_table_add_column(t, "unit", UPL_STR, &cu, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "year", UPL_I64, &cy, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "a", UPL_F64, &ca, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "b", UPL_F64, &cb, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "c", UPL_F64, &cc, &err), UPL_OK);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(upl_col_push_str(cu, units[i], strlen(units[i])), UPL_OK);
        ck_assert_int_eq(upl_col_push_i64(cy, years[i]), UPL_OK);
        ck_assert_int_eq(isnan(a[i]) ? upl_col_push_null(ca) : upl_col_push_f64(ca, a[i]), UPL_OK);
        ck_assert_int_eq(isnan(b[i]) ? upl_col_push_null(cb) : upl_col_push_f64(cb, b[i]), UPL_OK);
        ck_assert_int_eq(isnan(c[i]) ? upl_col_push_null(cc) : upl_col_push_f64(cc, c[i]), UPL_OK);
    }
    return t;
}

static const char *SYS_ABC =
    "name: abc\n"
    "dimensions:\n"
    "  - name: d1\n"
    "    label_zh: 维度一\n"
    "    weight: 0.6\n"
    "    ahp: [[1, 3], [1/3, 1]]\n"
    "    indicators:\n"
    "      - {name: a, direction: benefit, weight: 2}\n"
    "      - {name: b, direction: cost, weight: 1}\n"
    "  - name: d2\n"
    "    weight: 0.4\n"
    "    indicators:\n"
    "      - {name: c, direction: benefit, weight: 5}\n"
    "ahp: [[1, 2], [0.5, 1]]\n";

/* ---- indicator systems ---------------------------------------------------------- */

START_TEST(test_system_parse) {
    upl_revital_system *s = sys_text(SYS_ABC);
    ck_assert_uint_eq(s->n_dims, 2);
    ck_assert_uint_eq(s->n_inds, 3);
    ck_assert_str_eq(s->inds[1].name, "b");
    ck_assert_int_eq(s->inds[1].dir.direction, UPL_REVITAL_COST);
    ck_assert_uint_eq(s->inds[2].dimension, 1);
    ck_assert_near(s->dims[0].ahp[2], 1.0 / 3.0, 1e-15); /* "1/3" is read as a fraction */
    ck_assert_uint_eq(s->inds[0].line, 8);
    upl_revital_system_free(s);
    /* the shipped systems load; the plan has 22 indicators in 5 groups */
    char *p = unit_data_path("../../profiles/plan-2018-2022.yaml");
    upl_error err = {0};
    int rc = upl_revital_system_load(p, &s, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_uint_eq(s->n_inds, 22);
    ck_assert_uint_eq(s->n_dims, 5);
    ck_assert_str_eq(s->inds[19].name, "urban_rural_income_ratio");
    ck_assert_int_eq(s->inds[19].dir.direction, UPL_REVITAL_COST);
    ck_assert_near(s->inds[19].target, 2.67, 0);
    ck_assert(s->inds[19].is_target_verified);
    ck_assert(!s->inds[19].is_baseline_verified);
    ck_assert_str_eq(s->inds[0].target_text, ">6");
    ck_assert(!s->inds[21].is_verified);
    upl_revital_system_free(s);
    free(p);
    p = unit_data_path("../../profiles/five-revitalizations.yaml");
    rc = upl_revital_system_load(p, &s, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_uint_eq(s->n_dims, 5);
    ck_assert_uint_eq(s->n_inds, 20);
    for (size_t j = 0; j < s->n_inds; j++) ck_assert(!s->inds[j].is_verified);
    upl_revital_system_free(s);
    free(p);
}
END_TEST

START_TEST(test_system_errors) {
    sys_error("dimensions:\n  - name: d\n    indicators:\n      - {name: a, dirction: benefit}\n",
              "test.yaml:4:19: column `dirction`: unknown indicator key");
    sys_error("dimensions:\n  - name: d\n    indicators:\n      - {name: a}\n", "has no direction");
    sys_error("dimensions:\n  - name: d\n    indicators:\n      - {name: a, direction: centre}\n", "needs `best:`");
    sys_error("dimensions:\n  - name: d\n    indicators:\n      - {name: a, direction: interval, lo: 5, hi: 1}\n", "lo:` <= `hi:");
    sys_error("dimensions:\n  - name: d\n    indicators:\n      - {name: a, direction: up}\n", "unknown direction `up`");
    sys_error("dimensions:\n  - name: d\n    indicators:\n      - {name: a, direction: benefit, weight: 1e}\n", "expected a number, found `1e`");
    sys_error("dimensions:\n  - name: d\n    indicators:\n      - {name: a, direction: benefit}\n      - {name: a, direction: cost}\n",
              "defined twice");
    sys_error("dimensions:\n  - name: d\n    ahp: [[1, 2]]\n    indicators:\n      - {name: a, direction: benefit}\n      - {name: b, direction: cost}\n",
              "pairwise matrix has 1 rows; expected 2");
    sys_error("dimensions: [\n", "test.yaml:2:1: YAML:");
    sys_error("name: x\n", "non-empty list `dimensions:`");
    sys_error("dimensions:\n  - name: d\n    indicators: []\n", "needs a non-empty list `indicators:`");
}
END_TEST

/* ---- weights through the driver ---------------------------------------------------- */

static const char *const U4[4] = {"u1", "u2", "u3", "u4"};
static const int64_t Y1[4] = {2020, 2020, 2020, 2020};

START_TEST(test_given_two_level) {
    /* d1 weight 0.6 split 2:1 over a and b -> 0.4, 0.2; d2 weight 0.4 on c */
    double a[4] = {1, 2, 3, 4}, b[4] = {4, 3, 2, 1}, c[4] = {0, 0, 1, 1};
    upl_table *t = small_table(4, U4, Y1, a, b, c);
    upl_revital_system *s = sys_text(SYS_ABC);
    upl_revital_options o;
    upl_revital_result *r = NULL;
    upl_error err = {0};
    upl_revital_options_init(&o);
    o.unit_col = "unit";
    o.year_col = "year";
    o.method = UPL_REVITAL_GIVEN;
    int rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    upl_table *w = upl_revital_result_find(r, "weights"), *sc = upl_revital_result_find(r, "scores");
    ck_assert_near(cellv(w, "weight", 0), 0.4, 1e-15);
    ck_assert_near(cellv(w, "weight", 1), 0.2, 1e-15);
    ck_assert_near(cellv(w, "weight", 2), 0.4, 1e-15);
    /* zero rule defaults to limit without entropy: z as normalised.
     * u2: a (2-1)/3 = 1/3, b (4-3)/3 = 1/3, c 0 -> 100 (0.4/3 + 0.2/3) = 20;
     * dimension index d1 = (0.4/3 + 0.2/3)/0.6 = 1/3 */
    ck_assert_near(cellv(sc, "score", 1), 20.0, 1e-13);
    ck_assert_near(cellv(sc, "index_d1", 1), 1.0 / 3.0, 1e-15);
    ck_assert_near(cellv(sc, "rank", 3), 1, 0);
    ck_assert_str_eq(setting(r, "given_weights"), "two-level: dimension weight x indicator weight within dimension");
    upl_revital_result_free(r);
    /* AHP: dimensions (2/3, 1/3) from [[1,2],[1/2,1]]; d1 local (3/4, 1/4): a 0.5, b 1/6, c 1/3 */
    o.method = UPL_REVITAL_AHP;
    rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    w = upl_revital_result_find(r, "weights");
    ck_assert_near(cellv(w, "weight", 0), 0.5, 1e-13);
    ck_assert_near(cellv(w, "weight", 1), 1.0 / 6.0, 1e-13);
    ck_assert_near(cellv(w, "weight", 2), 1.0 / 3.0, 1e-13);
    upl_table *dw = upl_revital_result_find(r, "dimension_weights");
    ck_assert_near(cellv(dw, "ahp_cr", 0), 0.0, 1e-12); /* 2x2: CR = 0 */
    upl_revital_result_free(r);
    /* combined product AHP x entropy: w = ws wo / sum (limit rule would see a
     * zero column; use epsilon); check against the two parts in the table */
    o.method = UPL_REVITAL_COMBINED;
    o.subjective = UPL_REVITAL_AHP;
    o.objective = UPL_REVITAL_ENTROPY;
    rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    w = upl_revital_result_find(r, "weights");
    double den = 0;
    for (size_t j = 0; j < 3; j++) den += cellv(w, "weight_subjective", j) * cellv(w, "weight_objective", j);
    for (size_t j = 0; j < 3; j++)
        ck_assert_near(cellv(w, "weight", j), cellv(w, "weight_subjective", j) * cellv(w, "weight_objective", j) / den, 1e-15);
    upl_revital_result_free(r);
    o.combine = UPL_REVITAL_COMBINE_LINEAR;
    o.combine_alpha = 0.3;
    rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    w = upl_revital_result_find(r, "weights");
    for (size_t j = 0; j < 3; j++)
        ck_assert_near(cellv(w, "weight", j), 0.3 * cellv(w, "weight_subjective", j) + 0.7 * cellv(w, "weight_objective", j), 1e-15);
    upl_revital_result_free(r);
    upl_revital_system_free(s);
    upl_table_free(t);
}
END_TEST

START_TEST(test_edges_driver) {
    upl_revital_system *s = sys_text(SYS_ABC);
    upl_revital_options o;
    upl_revital_result *r = NULL;
    upl_error err = {0};
    upl_revital_options_init(&o);
    o.unit_col = "unit";
    o.year_col = "year";
    /* missing value: error names unit, year and indicator */
    double a[4] = {1, 2, NAN, 4}, b[4] = {4, 3, 2, 1}, c[4] = {0, 5, 1, 1};
    upl_table *t = small_table(4, U4, Y1, a, b, c);
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_ERANGE);
    ck_assert_msg(strstr(upl_error_message(&err), "column `a`: missing value for unit `u3`, year 2020") != NULL, "%s",
                  upl_error_message(&err));
    upl_error_clear(&err);
    /* listwise drop, counted */
    o.missing = UPL_REVITAL_MISSING_DROP;
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_OK);
    ck_assert_str_eq(setting(r, "rows_dropped"), "1");
    ck_assert_uint_eq(upl_table_n_rows(upl_revital_result_find(r, "scores")), 3);
    upl_revital_result_free(r);
    upl_table_free(t);
    o.missing = UPL_REVITAL_MISSING_ERROR;
    /* constant column: weight 0 and flagged; the others share the weight */
    double a2[4] = {1, 2, 3, 4}, b2[4] = {7, 7, 7, 7}, c2[4] = {0, 5, 1, 1};
    t = small_table(4, U4, Y1, a2, b2, c2);
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_OK);
    upl_table *w = upl_revital_result_find(r, "weights");
    ck_assert_near(cellv(w, "weight", 1), 0.0, 0);
    ck_assert_str_eq(cells(w, "constant", 1), "true");
    ck_assert_near(cellv(w, "weight", 0) + cellv(w, "weight", 2), 1.0, 1e-15);
    upl_revital_result_free(r);
    upl_table_free(t);
    /* every column constant: all d_j = 0 -> equal weights, reported */
    double k1[4] = {1, 1, 1, 1}, k2[4] = {2, 2, 2, 2}, k3[4] = {0, 0, 0, 0};
    t = small_table(4, U4, Y1, k1, k2, k3);
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_OK);
    w = upl_revital_result_find(r, "weights");
    for (size_t j = 0; j < 3; j++) ck_assert_near(cellv(w, "weight", j), 1.0 / 3.0, 1e-15);
    ck_assert(strncmp(setting(r, "equal_weight_fallback"), "yes", 3) == 0);
    upl_revital_result_free(r);
    upl_table_free(t);
    /* one unit: entropy undefined (error), given weights fine (every z = 1) */
    t = small_table(1, U4, Y1, a2, b2, c2);
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_EUNDEFINED);
    ck_assert(strstr(upl_error_message(&err), "at least 2 units") != NULL);
    upl_error_clear(&err);
    o.method = UPL_REVITAL_GIVEN;
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_OK);
    ck_assert_near(cellv(upl_revital_result_find(r, "scores"), "score", 0), 100.0, 1e-13);
    upl_revital_result_free(r);
    upl_table_free(t);
    o.method = UPL_REVITAL_ENTROPY;
    /* duplicate unit-year */
    static const char *const dup[2] = {"u1", "u1"};
    t = small_table(2, dup, Y1, a2, b2, c2);
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_ECONFLICT);
    ck_assert(strstr(upl_error_message(&err), "appears twice") != NULL);
    upl_error_clear(&err);
    upl_table_free(t);
    /* zeros: the limit rule and the shift rule give different weights, both recorded */
    double z1[4] = {0, 0, 0, 10}, z2[4] = {0, 1, 2, 3}, z3[4] = {1, 0, 0, 0};
    t = small_table(4, U4, Y1, z1, z2, z3);
    double wl[3], ws[3];
    o.zero_rule = UPL_REVITAL_ZERO_LIMIT;
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_OK);
    for (size_t j = 0; j < 3; j++) wl[j] = cellv(upl_revital_result_find(r, "weights"), "weight", j);
    ck_assert_str_eq(setting(r, "zero_rule"), "limit (0 ln 0 = 0)");
    /* by hand, column a = (0,0,0,1) after normalisation: p = (0,0,0,1), e = 0, d = 1;
     * b (cost) = (1, 2/3, 1/3, 0): p = (1/2, 1/3, 1/6, 0), e = -(sum p ln p)/ln 4;
     * c = (1,0,0,0): e = 0, d = 1 */
    double eb = -(0.5 * log(0.5) + log(1.0 / 3) / 3 + log(1.0 / 6) / 6) / log(4.0);
    ck_assert_near(wl[0], 1 / (2 + 1 - eb), 1e-14);
    ck_assert_near(wl[1], (1 - eb) / (2 + 1 - eb), 1e-14);
    upl_revital_result_free(r);
    o.zero_rule = UPL_REVITAL_ZERO_SHIFT;
    o.zero_param = 0.01;
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_OK);
    for (size_t j = 0; j < 3; j++) ws[j] = cellv(upl_revital_result_find(r, "weights"), "weight", j);
    ck_assert(fabs(ws[0] - wl[0]) > 1e-3);
    ck_assert(strncmp(setting(r, "zero_rule"), "shift 0.01", 10) == 0);
    upl_revital_result_free(r);
    upl_table_free(t);
    upl_revital_system_free(s);
}
END_TEST

/* ---- the county panel: second-method checks ------------------------------------------ */

static upl_table *counties(void) {
    upl_table *t = NULL;
    upl_read_options ro;
    upl_error err = {0};
    char *p = unit_data_path("revital/counties.csv");
    upl_read_options_init(&ro);
    ro.rejects_path = "/dev/null";
    int rc = upl_read_table(p, &ro, &t, NULL, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    free(p);
    return t;
}

static upl_revital_system *five(void) {
    upl_revital_system *s = NULL;
    upl_error err = {0};
    char *p = unit_data_path("../../profiles/five-revitalizations.yaml");
    int rc = upl_revital_system_load(p, &s, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    free(p);
    return s;
}

START_TEST(test_panel_pooled_vs_blocks) {
    upl_table *t = counties();
    upl_revital_system *s = five();
    upl_revital_options o;
    upl_revital_result *r = NULL;
    upl_error err = {0};
    upl_revital_options_init(&o);
    o.unit_col = "area_code";
    o.year_col = "year";
    o.region_col = "region";
    o.do_ccd = o.do_obstacle = o.do_convergence = o.do_kde = true;
    o.topsis = UPL_REVITAL_TOPSIS_VECTOR;
    int rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    size_t n = upl_table_n_rows(t), m = s->n_inds;
    ck_assert_uint_eq(n, 36);
    /* pooled weights = entropy of the stacked 36 x 20 matrix, built here from the building blocks */
    double *x = calloc(n * m, sizeof *x), *z = calloc(n * m, sizeof *z), *w = calloc(m, sizeof *w);
    for (size_t j = 0; j < m; j++) {
        upl_column *c = upl_table_find(t, s->inds[j].column);
        for (size_t i = 0; i < n; i++) ck_assert(upl_col_get_f64(c, i, &x[i * m + j]));
        ck_assert_int_eq(upl_revital_normalise(&x[j], n, m, &s->inds[j].dir, &z[j], m, NULL, &err), UPL_OK);
        upl_revital_epsilon_rescale(&z[j], n, m, s->inds[j].dir.direction, 0.002);
    }
    ck_assert_int_eq(upl_revital_entropy(z, n, m, UPL_REVITAL_ZERO_EPSILON, 0.002, w, NULL, NULL, NULL, &err), UPL_OK);
    upl_table *wt = upl_revital_result_find(r, "weights"), *sc = upl_revital_result_find(r, "scores");
    for (size_t j = 0; j < m; j++) ck_assert_near(cellv(wt, "weight", j), w[j], 1e-15);
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (size_t j = 0; j < m; j++) sum += 100 * w[j] * z[i * m + j];
        ck_assert_near(cellv(sc, "score", i), sum, 1e-12);
    }
    /* ccd: D = sqrt(C T) from the dimension indices in the scores table */
    upl_table *cc = upl_revital_result_find(r, "ccd");
    static const char *dims[5] = {"index_industry", "index_talent", "index_culture", "index_ecology", "index_organization"};
    for (size_t i = 0; i < n; i++) {
        double prod = 1, sum = 0;
        for (int d = 0; d < 5; d++) { double u = cellv(sc, dims[d], i); prod *= u; sum += u; }
        double C = pow(prod, 0.2) / (sum / 5), T = sum / 5;
        ck_assert_near(cellv(cc, "C", i), C, 1e-13);
        ck_assert_near(cellv(cc, "D", i), sqrt(C * T), 1e-13);
    }
    /* obstacles: per unit-year the normalised degrees add to 100, dimensions = sums of indicators */
    upl_table *oi = upl_revital_result_find(r, "obstacle_indicator"), *od = upl_revital_result_find(r, "obstacle_dimension");
    ck_assert_uint_eq(upl_table_n_rows(oi), n * m);
    ck_assert_uint_eq(upl_table_n_rows(od), n * 5);
    for (size_t i = 0; i < n; i++) {
        /* rows come in rank order within each unit-year */
        double tot = 0, d0 = 0, dd = NAN;
        for (size_t j = 0; j < m; j++) {
            size_t q = i * m + j;
            tot += cellv(oi, "obstacle_pct", q);
            ck_assert_near(cellv(oi, "rank", q), (double)(j + 1), 0); /* no ties in this panel */
            if (!strcmp(cells(oi, "dimension", q), "industry")) d0 += cellv(oi, "obstacle_pct", q);
            if (j) ck_assert(cellv(oi, "obstacle_pct", q) <= cellv(oi, "obstacle_pct", q - 1));
        }
        for (size_t q = i * 5; q < i * 5 + 5; q++)
            if (!strcmp(cells(od, "dimension", q), "industry")) dd = cellv(od, "obstacle_pct", q);
        ck_assert_near(tot, 100.0, 1e-12);
        ck_assert_near(dd, d0, 1e-12);
    }
    /* regional: Dagum parts add up to the direct Gini of each year's scores */
    upl_table *rg = upl_revital_result_find(r, "regional");
    for (int yr = 0; yr < 3; yr++) {
        double y[12];
        for (int i = 0; i < 12; i++) y[i] = cellv(sc, "score", (size_t)(yr * 12 + i));
        double s2 = 0, mu = 0;
        for (int i = 0; i < 12; i++) { mu += y[i] / 12; for (int k = 0; k < 12; k++) s2 += fabs(y[i] - y[k]); }
        double g = s2 / (2 * 144 * mu), parts = 0, total = NAN;
        char yl[16];
        snprintf(yl, sizeof yl, "%d", 2019 + yr);
        for (size_t q = 0; q < upl_table_n_rows(rg); q++) {
            if (strcmp(cells(rg, "year", q), yl) || strcmp(cells(rg, "measure", q), "dagum_gini")) continue;
            const char *comp = cells(rg, "component", q);
            if (!strcmp(comp, "total")) total = cellv(rg, "value", q);
            if (!strcmp(comp, "within") || !strcmp(comp, "between_net") || !strcmp(comp, "transvariation")) parts += cellv(rg, "value", q);
        }
        ck_assert_near(total, g, 1e-14);
        ck_assert_near(parts, g, 1e-14);
    }
    /* absolute long-run beta: the closed-form simple-regression slope
     * b = Sxy / Sxx of ln(S_2021/S_2019)/2 on ln S_2019 */
    double xs[12], ys[12], mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < 12; i++) {
        xs[i] = log(cellv(sc, "score", (size_t)i));
        ys[i] = (log(cellv(sc, "score", (size_t)(24 + i))) - xs[i]) / 2.0;
        mx += xs[i] / 12;
        my += ys[i] / 12;
    }
    for (int i = 0; i < 12; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) * (xs[i] - mx); }
    double bhat = sxy / sxx, rss = 0;
    for (int i = 0; i < 12; i++) { double e = ys[i] - (my - bhat * mx) - bhat * xs[i]; rss += e * e; }
    upl_table *bt = upl_revital_result_find(r, "beta");
    bool seen = false;
    for (size_t q = 0; q < upl_table_n_rows(bt); q++)
        if (!strcmp(cells(bt, "group", q), "all") && !strcmp(cells(bt, "model", q), "absolute_long") &&
            !strcmp(cells(bt, "term", q), "beta (ln score)")) {
            ck_assert_near(cellv(bt, "estimate", q), bhat, 1e-12);
            ck_assert_near(cellv(bt, "std_error", q), sqrt(rss / 10 / sxx), 1e-12);
            seen = true;
        }
    ck_assert(seen);
    ck_assert(bhat < 0); /* the fixture was built with laggards catching up */
    /* densities integrate to ~1 per year (trapezoid over the common grid) */
    upl_table *dn = upl_revital_result_find(r, "density");
    ck_assert_uint_eq(upl_table_n_rows(dn), 3 * 101);
    for (int yr = 0; yr < 3; yr++) {
        double area = 0;
        for (size_t g = 1; g < 101; g++) {
            size_t q = (size_t)yr * 101 + g;
            area += (cellv(dn, "score", q) - cellv(dn, "score", q - 1)) * (cellv(dn, "density", q) + cellv(dn, "density", q - 1)) / 2;
        }
        ck_assert_near(area, 1.0, 2e-3);
    }
    /* JSON: valid, and numbers read back to the same doubles */
    char *jp = unit_tmp_path("revital.json");
    FILE *f = fopen(jp, "w");
    ck_assert_int_eq(upl_revital_result_write_json(r, f, &err), UPL_OK);
    fclose(f);
    json_error_t je;
    json_t *root = json_load_file(jp, 0, &je);
    ck_assert_msg(root != NULL, "JSON: %s at %d", je.text, je.line);
    json_t *w0 = json_object_get(json_array_get(json_object_get(root, "weights"), 0), "weight");
    ck_assert(json_number_value(w0) == w[0]);
    json_decref(root);
    free(jp);
    /* XLSX: writes every table */
    char *xp = unit_tmp_path("revital.xlsx");
    ck_assert_int_eq(upl_write_xlsx_sheets((const upl_table *const *)r->tables, (const char *const *)r->names, r->n_tables, xp, &err), UPL_OK);
    free(xp);
    upl_revital_result_free(r);
    /* per-year: weights for each year = entropy of that year's 12 rows */
    o.scope = UPL_REVITAL_PER_YEAR;
    o.do_ccd = o.do_obstacle = o.do_convergence = o.do_kde = false;
    o.region_col = NULL;
    rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    wt = upl_revital_result_find(r, "weights");
    ck_assert_uint_eq(upl_table_n_rows(wt), 3 * m);
    for (size_t j = 0; j < m; j++) {
        ck_assert_int_eq(upl_revital_normalise(&x[24 * m + j], 12, m, &s->inds[j].dir, &z[j], m, NULL, &err), UPL_OK);
        upl_revital_epsilon_rescale(&z[j], 12, m, s->inds[j].dir.direction, 0.002);
    }
    ck_assert_int_eq(upl_revital_entropy(z, 12, m, UPL_REVITAL_ZERO_EPSILON, 0.002, w, NULL, NULL, NULL, &err), UPL_OK);
    for (size_t j = 0; j < m; j++) {
        ck_assert_str_eq(cells(wt, "scope", 2 * m + j), "2021");
        ck_assert_near(cellv(wt, "weight", 2 * m + j), w[j], 1e-15);
    }
    ck_assert_str_eq(setting(r, "normalisation"), "per-year");
    upl_revital_result_free(r);
    free(x); free(z); free(w);
    upl_revital_system_free(s);
    upl_table_free(t);
}
END_TEST

START_TEST(test_beta_fixed_effects_vs_lsdv) {
    /* unit fixed effects by the within transformation = OLS with one dummy
     * per unit (LSDV): same slope and, with the df correction, same SE */
    upl_table *t = counties();
    upl_revital_system *s = five();
    upl_revital_options o;
    upl_revital_result *r = NULL;
    upl_error err = {0};
    upl_revital_options_init(&o);
    o.unit_col = "area_code";
    o.year_col = "year";
    o.do_convergence = true;
    int rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    upl_table *sc = upl_revital_result_find(r, "scores"), *bt = upl_revital_result_find(r, "beta");
    /* rows: 12 units in the same order each year (2019, 2020, 2021) */
    double X[24 * 13], Y[24], b[13], se[13];
    memset(X, 0, sizeof X);
    size_t q = 0;
    for (int u = 0; u < 12; u++)
        for (int yr = 0; yr < 2; yr++) {
            double s0 = cellv(sc, "score", (size_t)(yr * 12 + u)), s1 = cellv(sc, "score", (size_t)((yr + 1) * 12 + u));
            Y[q] = log(s1 / s0);
            X[q * 13] = log(s0);
            X[q * 13 + 1 + u] = 1.0;
            q++;
        }
    ck_assert_int_eq(upl_revital_ols(X, Y, 24, 13, b, se, NULL, NULL, &err), UPL_OK);
    bool seen = false;
    for (size_t i = 0; i < upl_table_n_rows(bt); i++)
        if (!strcmp(cells(bt, "group", i), "all") && !strcmp(cells(bt, "model", i), "fe_annual") &&
            !strcmp(cells(bt, "term", i), "beta (ln score)")) {
            ck_assert_near(cellv(bt, "estimate", i), b[0], 1e-11);
            ck_assert_near(cellv(bt, "std_error", i), se[0], 1e-11);
            ck_assert_near(cellv(bt, "n_obs", i), 24, 0);
            seen = true;
        }
    ck_assert(seen);
    /* two-way: add a dummy for the second start year (2020) */
    double X2[24 * 14], b2[14], se2[14];
    memset(X2, 0, sizeof X2);
    for (size_t i = 0; i < 24; i++) {
        for (size_t c = 0; c < 13; c++) X2[i * 14 + c] = X[i * 13 + c];
        X2[i * 14 + 13] = (i % 2 == 1) ? 1.0 : 0.0; /* rows alternate 2019, 2020 starts per unit */
    }
    ck_assert_int_eq(upl_revital_ols(X2, Y, 24, 14, b2, se2, NULL, NULL, &err), UPL_OK);
    seen = false;
    for (size_t i = 0; i < upl_table_n_rows(bt); i++)
        if (!strcmp(cells(bt, "group", i), "all") && !strcmp(cells(bt, "model", i), "twfe_annual") &&
            !strcmp(cells(bt, "term", i), "beta (ln score)")) {
            ck_assert_near(cellv(bt, "estimate", i), b2[0], 1e-11);
            ck_assert_near(cellv(bt, "std_error", i), se2[0], 1e-11);
            seen = true;
        }
    ck_assert(seen);
    upl_revital_result_free(r);
    upl_revital_system_free(s);
    upl_table_free(t);
}
END_TEST

START_TEST(test_plan_targets_by_hand) {
    /* tests/data/revital/plan_provinces.csv, 2022 rows: province 11 has grain
     * capacity exactly 6 against ">6" (strict: not achieved), Engel 29.2
     * against the cost target 29.2 (at most: achieved, 100 %), waste
     * treatment exactly 90 against ">90" (not achieved); province 33 has
     * grain 6.5 (achieved, 6.5/6 = 108.33 %) and Engel 30 (not achieved,
     * 29.2/30 = 97.33 %). */
    upl_table *t = NULL;
    upl_read_options ro;
    upl_error err = {0};
    char *p = unit_data_path("revital/plan_provinces.csv");
    upl_read_options_init(&ro);
    ro.rejects_path = "/dev/null";
    ck_assert_int_eq(upl_read_table(p, &ro, &t, NULL, &err), UPL_OK);
    free(p);
    p = unit_data_path("../../profiles/plan-2018-2022.yaml");
    upl_revital_system *s = NULL;
    ck_assert_int_eq(upl_revital_system_load(p, &s, &err), UPL_OK);
    free(p);
    upl_revital_options o;
    upl_revital_result *r = NULL;
    upl_revital_options_init(&o);
    o.unit_col = "province";
    o.year_col = "year";
    o.do_targets = true;
    int rc = upl_revital_run(t, s, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    upl_table *tg = upl_revital_result_find(r, "targets");
    int seen = 0;
    for (size_t i = 0; i < upl_table_n_rows(tg); i++) {
        char pv[32], key[128]; /* cells() returns a shared buffer: copy */
        if (strcmp(cells(tg, "year", i), "2022")) continue;
        snprintf(pv, sizeof pv, "%s", cells(tg, "province", i));
        snprintf(key, sizeof key, "%s/%s", pv, cells(tg, "indicator", i));
        if (!strcmp(key, "11/grain_capacity")) { ck_assert_str_eq(cells(tg, "achieved", i), "false"); seen++; }
        if (!strcmp(key, "11/rural_engel")) {
            ck_assert_str_eq(cells(tg, "achieved", i), "true");
            ck_assert_near(cellv(tg, "achievement_pct", i), 100, 1e-13);
            seen++;
        }
        if (!strcmp(key, "11/waste_treatment_villages")) { ck_assert_str_eq(cells(tg, "achieved", i), "false"); seen++; }
        if (!strcmp(key, "33/grain_capacity")) {
            ck_assert_str_eq(cells(tg, "achieved", i), "true");
            ck_assert_near(cellv(tg, "achievement_pct", i), 650.0 / 6.0, 1e-13);
            seen++;
        }
        if (!strcmp(key, "33/rural_engel")) {
            ck_assert_str_eq(cells(tg, "achieved", i), "false");
            ck_assert_near(cellv(tg, "achievement_pct", i), 100 * 29.2 / 30, 1e-13);
            seen++;
        }
    }
    ck_assert_int_eq(seen, 5);
    /* 22 indicators x 8 province-years, every indicator has a 2022 target */
    ck_assert_uint_eq(upl_table_n_rows(tg), 22 * 8);
    ck_assert_ptr_nonnull(setting(r, "unverified"));
    upl_revital_result_free(r);
    upl_revital_system_free(s);
    upl_table_free(t);
}
END_TEST

START_TEST(test_random_panels) {
    /* seeded random panels (zeros, negatives, constant columns, missing values,
     * one unit, one year) with random options: every run ends in UPL_OK or a
     * clean error, and an OK result keeps its invariants: weights sum to 1
     * per scope, scores in [0, 100], D in [0, 1], obstacle degrees sum to 100
     * (or are all 0), Dagum parts add up. */
    upl_revital_system *s = sys_text(SYS_ABC);
    unsigned seed = 99;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 8) & 0xffff)
    static const char *const UN[6] = {"a", "b", "c", "d", "e", "f"};
    int n_ok = 0;
    for (int it = 0; it < 300; it++) {
        size_t nu = 1 + RND() % 6, ny = 1 + RND() % 3, n = nu * ny;
        const char *units[18];
        int64_t years[18];
        double a[18], b[18], c[18];
        int kind = (int)(RND() % 4);
        for (size_t i = 0; i < n; i++) {
            units[i] = UN[i % nu];
            years[i] = 2018 + (int64_t)(i / nu);
            a[i] = kind == 0 ? 5.0 : (double)(RND() % 7) - (kind == 1 ? 3.0 : 0.0);
            b[i] = (double)(RND() % 3);
            c[i] = RND() % 40 == 0 ? NAN : (double)(RND() % 100) / 10.0;
        }
        upl_table *t = small_table(n, units, years, a, b, c);
        upl_revital_options o;
        upl_revital_options_init(&o);
        o.unit_col = "unit";
        o.year_col = "year";
        static const int methods[3] = {UPL_REVITAL_ENTROPY, UPL_REVITAL_CRITIC, UPL_REVITAL_GIVEN};
        o.method = methods[RND() % 3];
        o.scope = (int)(RND() % 2);
        o.zero_rule = (int)(RND() % 4);
        o.topsis = (int)(RND() % 3);
        o.do_ccd = o.do_obstacle = true;
        o.do_convergence = RND() % 2;
        o.region_col = RND() % 2 ? "unit" : NULL;
        o.missing = (int)(RND() % 2);
        upl_revital_result *r = NULL;
        upl_error err = {0};
        int rc = upl_revital_run(t, s, &o, &r, &err);
        ck_assert_msg(rc == UPL_OK || rc == UPL_EUNDEFINED || rc == UPL_ERANGE, "it %d: rc %d: %s", it, rc, upl_error_message(&err));
        if (rc == UPL_OK) {
            n_ok++;
            upl_table *w = upl_revital_result_find(r, "weights"), *sc = upl_revital_result_find(r, "scores");
            size_t nw = upl_table_n_rows(w);
            for (size_t q = 0; q < nw; q += 3) {
                double tot = cellv(w, "weight", q) + cellv(w, "weight", q + 1) + cellv(w, "weight", q + 2);
                ck_assert_near(tot, 1.0, 1e-12);
            }
            for (size_t i = 0; i < upl_table_n_rows(sc); i++) {
                double v = cellv(sc, "score", i);
                ck_assert_msg(v >= -1e-9 && v <= 100 + 1e-9, "score %g", v);
            }
            upl_table *cc = upl_revital_result_find(r, "ccd");
            for (size_t i = 0; i < upl_table_n_rows(cc); i++) {
                double d = cellv(cc, "D", i);
                ck_assert(d >= 0 && d <= 1);
            }
            upl_table *oi = upl_revital_result_find(r, "obstacle_indicator");
            for (size_t i = 0; i + 2 < upl_table_n_rows(oi); i += 3) {
                double tot = cellv(oi, "obstacle_pct", i) + cellv(oi, "obstacle_pct", i + 1) + cellv(oi, "obstacle_pct", i + 2);
                ck_assert(fabs(tot - 100) < 1e-9 || tot == 0);
            }
            upl_table *rg = upl_revital_result_find(r, "regional");
            for (size_t i = 0; rg && i + 3 < upl_table_n_rows(rg); i++)
                if (!strcmp(cells(rg, "measure", i), "dagum_gini") && !strcmp(cells(rg, "component", i), "total")) {
                    double g = cellv(rg, "value", i);
                    double parts = cellv(rg, "value", i + 1) + cellv(rg, "value", i + 2) + cellv(rg, "value", i + 3);
                    ck_assert_near(parts, g, 1e-12);
                }
        }
        upl_error_clear(&err);
        upl_revital_result_free(r);
        upl_table_free(t);
    }
#undef RND
    ck_assert(n_ok > 50);
    upl_revital_system_free(s);
}
END_TEST

START_TEST(test_json_escapes) {
    /* unit labels with a quote, a backslash, a line break and a control byte
     * come back from the JSON text unchanged (parsed with jansson) */
    static const char *const odd[4] = {"a\"b", "c\\d", "e\nf", "g\001h"};
    double a[4] = {1, 2, 3, 4}, b[4] = {4, 3, 2, 1}, c[4] = {0, 5, 1, 1};
    upl_table *t = small_table(4, odd, Y1, a, b, c);
    upl_revital_system *s = sys_text(SYS_ABC);
    upl_revital_options o;
    upl_revital_result *r = NULL;
    upl_error err = {0};
    upl_revital_options_init(&o);
    o.unit_col = "unit";
    o.year_col = "year";
    o.method = UPL_REVITAL_GIVEN;
    ck_assert_int_eq(upl_revital_run(t, s, &o, &r, &err), UPL_OK);
    char *jp = unit_tmp_path("odd.json");
    FILE *f = fopen(jp, "w");
    ck_assert_int_eq(upl_revital_result_write_json(r, f, &err), UPL_OK);
    fclose(f);
    json_error_t je;
    json_t *root = json_load_file(jp, 0, &je);
    ck_assert_msg(root != NULL, "JSON: %s", je.text);
    json_t *sc = json_object_get(root, "scores");
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(sc, i), "unit")), odd[i]);
    /* the given score of unit 2 (20, hand-computed in test_given_two_level) exactly */
    ck_assert(json_number_value(json_object_get(json_array_get(sc, 1), "score")) == cellv(upl_revital_result_find(r, "scores"), "score", 1));
    json_decref(root);
    free(jp);
    upl_revital_result_free(r);
    upl_revital_system_free(s);
    upl_table_free(t);
}
END_TEST

/* ---- XLSX writer ---------------------------------------------------------------- */

START_TEST(test_xlsx_writer) {
    upl_error err = {0};
    upl_table *t = upl_table_new();
    upl_column *c;
    ck_assert_int_eq(upl_table_add_column(t, "area_code", UPL_STR, &c, &err), UPL_OK);
    ck_assert_int_eq(upl_col_push_str(c, "110101001001", 12), UPL_OK);
    ck_assert_int_eq(upl_col_push_null(c), UPL_OK);
    char *p = unit_tmp_path("w.xlsx");
    ck_assert_int_eq(upl_write_xlsx(t, p, "codes", &err), UPL_OK);
    size_t len = 0;
    char *bytes = unit_read_file(p, &len);
    ck_assert_ptr_nonnull(bytes);
    ck_assert(len > 100 && bytes[0] == 'P' && bytes[1] == 'K'); /* a zip container */
    free(bytes);
    ck_assert_int_eq(upl_write_xlsx(t, p, "bad/name", &err), UPL_EMISUSE);
    ck_assert(strstr(upl_error_message(&err), "sheet name `bad/name`") != NULL);
    upl_error_clear(&err);
    const upl_table *two[2] = {t, t};
    const char *names[2] = {"a", "a"};
    ck_assert_int_eq(upl_write_xlsx_sheets(two, names, 2, p, &err), UPL_EMISUSE);
    ck_assert(strstr(upl_error_message(&err), "used twice") != NULL);
    upl_error_clear(&err);
    ck_assert_int_ne(upl_write_xlsx(t, "/nonexistent-dir/x.xlsx", "s", &err), UPL_OK);
    upl_error_clear(&err);
    free(p);
    upl_table_free(t);
}
END_TEST

/* ---- town and country ------------------------------------------------------------ */

START_TEST(test_town_country_by_hand) {
    /* Province P, 2020: urban incomes 30, 50 (weights 1, 1); rural 10, 20
     * (weights 2, 1). Urban mean 40, rural mean (20 + 20)/3 = 40/3,
     * ratio 3. Overall mu = (80 + 40)/5 = 24. Theil between:
     * s_u = 80/120, s_r = 40/120: (2/3) ln(40/24) + (1/3) ln((40/3)/24).
     * Province Q, 2020: urban 20, rural 10 (weights 1): ratio 2.
     * Indices (eps 0.01): urban means 40 (P) and 20 (Q): P 0.99, Q 0.01;
     * rural 40/3 (P) and 10 (Q): P 0.99, Q 0.01. P: C = 1, T = 0.99,
     * D = sqrt(0.99). A row with missing income is dropped and counted. */
    upl_error err = {0};
    upl_table *t = upl_table_new();
    upl_column *pv, *yr, *inc, *wt, *ur;
    ck_assert_int_eq(upl_table_add_column(t, "province", UPL_STR, &pv, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "year", UPL_I64, &yr, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "income", UPL_F64, &inc, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "w", UPL_F64, &wt, &err), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "urban", UPL_STR, &ur, &err), UPL_OK);
    struct { const char *p; double y, w; const char *u; } rows[] = {
        {"P", 30, 1, "urban"}, {"P", 50, 1, "城镇"}, {"P", 10, 2, "rural"}, {"P", 20, 1, "农村"},
        {"Q", 20, 1, "1"}, {"Q", 10, 1, "0"}, {"Q", NAN, 1, "0"},
    };
    for (size_t i = 0; i < 7; i++) {
        ck_assert_int_eq(upl_col_push_str(pv, rows[i].p, 1), UPL_OK);
        ck_assert_int_eq(upl_col_push_i64(yr, 2020), UPL_OK);
        ck_assert_int_eq(isnan(rows[i].y) ? upl_col_push_null(inc) : upl_col_push_f64(inc, rows[i].y), UPL_OK);
        ck_assert_int_eq(upl_col_push_f64(wt, rows[i].w), UPL_OK);
        ck_assert_int_eq(upl_col_push_str(ur, rows[i].u, strlen(rows[i].u)), UPL_OK);
    }
    upl_revital_town_options o;
    upl_revital_town_options_init(&o);
    o.income_col = "income";
    o.weight_col = "w";
    o.urban_col = "urban";
    o.province_col = "province";
    o.year_col = "year";
    upl_table *out = NULL;
    int rc = upl_revital_town_country(t, &o, &out, &err);
    ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
    ck_assert_uint_eq(upl_table_n_rows(out), 2);
    ck_assert_str_eq(upl_table_meta(out, "dropped_rows"), "1");
    ck_assert_near(cellv(out, "mean_income_urban", 0), 40, 1e-15);
    ck_assert_near(cellv(out, "mean_income_rural", 0), 40.0 / 3, 1e-14);
    ck_assert_near(cellv(out, "income_ratio", 0), 3, 1e-14);
    ck_assert_near(cellv(out, "theil_between", 0), (2.0 / 3) * log(40.0 / 24) + (1.0 / 3) * log((40.0 / 3) / 24), 1e-14);
    /* total Theil directly over the 4 households (weights 1, 1, 2, 1) */
    double ys[4] = {30, 50, 10, 20}, vs[4] = {1, 1, 2, 1}, tt = 0;
    for (int i = 0; i < 4; i++) tt += vs[i] * (ys[i] / 24) * log(ys[i] / 24);
    ck_assert_near(cellv(out, "theil_total", 0), tt / 5, 1e-14);
    ck_assert_near(cellv(out, "theil_within", 0) + cellv(out, "theil_between", 0), tt / 5, 1e-14);
    ck_assert_near(cellv(out, "income_ratio", 1), 2, 1e-15);
    ck_assert_near(cellv(out, "index_urban", 0), 0.99, 1e-15);
    ck_assert_near(cellv(out, "index_rural", 1), 0.01, 1e-15);
    ck_assert_near(cellv(out, "C", 0), 1, 1e-15);
    ck_assert_near(cellv(out, "D", 0), sqrt(0.99), 1e-15);
    upl_table_free(out);
    /* an urban flag that is neither */
    ck_assert_int_eq(upl_col_push_str(pv, "Q", 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_i64(yr, 2020), UPL_OK);
    ck_assert_int_eq(upl_col_push_f64(inc, 5), UPL_OK);
    ck_assert_int_eq(upl_col_push_f64(wt, 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_str(ur, "town", 4), UPL_OK);
    ck_assert_int_eq(upl_revital_town_country(t, &o, &out, &err), UPL_ERANGE);
    ck_assert(strstr(upl_error_message(&err), "row 8: column `urban`") != NULL);
    upl_error_clear(&err);
    upl_table_free(t);
}
END_TEST

START_TEST(test_alloc_failures) {
    /* every allocation failure inside a full run is reported as UPL_ENOMEM
     * (or surfaces as another clean error), never a crash or a leak (ASan) */
    double a[4] = {1, 2, 3, 4}, b[4] = {4, 3, 2, 1}, c[4] = {0, 5, 1, 1};
    upl_table *t = small_table(4, U4, Y1, a, b, c);
    upl_revital_system *s = sys_text(SYS_ABC);
    upl_revital_options o;
    upl_revital_options_init(&o);
    o.unit_col = "unit";
    o.year_col = "year";
    o.region_col = "unit";
    o.do_ccd = o.do_obstacle = o.do_kde = true;
    o.topsis = UPL_REVITAL_TOPSIS_VECTOR;
    int ok = 0;
    {
        upl_revital_result *r = NULL;
        upl_error err = {0};
        int rc = upl_revital_run(t, s, &o, &r, &err);
        ck_assert_msg(rc == UPL_OK, "%s", upl_error_message(&err));
        upl_revital_result_free(r);
    }
    for (long k = 1; k < 4000; k++) {
        upl_revital_result *r = NULL;
        upl_error err = {0};
        upl_alloc_fail_after(k, false);
        int rc = upl_revital_run(t, s, &o, &r, &err);
        bool failed = upl_alloc_failed();
        upl_alloc_fail_after(0, false);
        upl_error_clear(&err);
        if (rc == UPL_OK) {
            upl_revital_result_free(r);
            if (!failed) { ok = 1; break; }
        } else {
            ck_assert_ptr_null(r);
        }
    }
    ck_assert(ok);
    upl_table_free(t);
    /* two years: convergence tables too */
    static const char *const U8[8] = {"u1", "u2", "u3", "u4", "u1", "u2", "u3", "u4"};
    static const int64_t Y8[8] = {2020, 2020, 2020, 2020, 2021, 2021, 2021, 2021};
    double a8[8] = {1, 2, 3, 4, 2, 3, 3.5, 4}, b8[8] = {4, 3, 2, 1, 3, 3, 2, 1}, c8[8] = {1, 5, 2, 3, 2, 5, 3, 3};
    t = small_table(8, U8, Y8, a8, b8, c8);
    o.region_col = NULL;
    o.do_convergence = true;
    ok = 0;
    for (long k = 1; k < 8000; k++) {
        upl_revital_result *r = NULL;
        upl_error err = {0};
        upl_alloc_fail_after(k, false);
        int rc = upl_revital_run(t, s, &o, &r, &err);
        bool failed = upl_alloc_failed();
        upl_alloc_fail_after(0, false);
        upl_error_clear(&err);
        if (rc == UPL_OK) {
            upl_revital_result_free(r);
            if (!failed) { ok = 1; break; }
        }
    }
    ck_assert(ok);
    upl_table_free(t);
    upl_revital_system_free(s);
    /* the YAML loader */
    ok = 0;
    for (long k = 1; k < 2000; k++) {
        upl_revital_system *q = NULL;
        upl_error err = {0};
        upl_alloc_fail_after(k, false);
        int rc = upl_revital_system_parse(SYS_ABC, strlen(SYS_ABC), "t.yaml", &q, &err);
        bool failed = upl_alloc_failed();
        upl_alloc_fail_after(0, false);
        upl_error_clear(&err);
        upl_revital_system_free(q);
        if (rc == UPL_OK && !failed) { ok = 1; break; }
        if (rc != UPL_OK) ck_assert_ptr_null(q);
    }
    ck_assert(ok);
}
END_TEST

Suite *suite_revital_panel(void);
Suite *suite_revital_panel(void) {
    Suite *s = suite_create("revital_panel");
    TCase *tc = tcase_create("panel");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_system_parse);
    tcase_add_test(tc, test_system_errors);
    tcase_add_test(tc, test_given_two_level);
    tcase_add_test(tc, test_edges_driver);
    tcase_add_test(tc, test_panel_pooled_vs_blocks);
    tcase_add_test(tc, test_beta_fixed_effects_vs_lsdv);
    tcase_add_test(tc, test_xlsx_writer);
    tcase_add_test(tc, test_json_escapes);
    tcase_add_test(tc, test_random_panels);
    tcase_add_test(tc, test_plan_targets_by_hand);
    tcase_add_test(tc, test_town_country_by_hand);
    tcase_add_test(tc, test_alloc_failures);
    suite_add_tcase(s, tc);
    return s;
}
