/* revital.h — rural revitalization (乡村振兴) and regional coordination:
 * area-level composite indices and what the field's papers compute on them.
 *
 * Two layers:
 *   1. Numeric building blocks on plain arrays (row-major n units x m
 *      indicators): normalisation, weights (entropy 熵权法, CRITIC, AHP),
 *      TOPSIS, coupling coordination (耦合协调度), obstacle degree (障碍度),
 *      Dagum Gini decomposition, Theil decomposition, sigma- and
 *      beta-convergence (OLS), Gaussian kernel density.
 *   2. A driver over an area x year panel table and an indicator system
 *      (YAML), returning named result tables (settings, weights, scores,
 *      ccd, obstacles, regional differences, convergence, densities), and
 *      the town-and-country (城乡) summary over household data.
 *
 * Formulas and their sources: docs/revital.md and DOMAIN.md §3.6. Every
 * convention that changes numbers is a parameter and is written into the
 * "settings" result table.
 *
 * Missing values: the building blocks take complete arrays (a NaN is
 * UPL_ERANGE naming the unit and indicator). The panel driver either stops
 * at the first missing value, naming unit, year and indicator
 * (UPL_REVITAL_MISSING_ERROR, the default), or drops the unit-year row
 * (listwise) and records how many rows were dropped.
 *
 * Thread-safety: every function is reentrant; no global state. */
#ifndef UPLIFT_REVITAL_H
#define UPLIFT_REVITAL_H

#include <stdio.h>
#include "defs.h"
#include "error.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Indicator direction and normalisation ------------------------------- */
typedef enum upl_revital_direction {
    UPL_REVITAL_BENEFIT = 1,   /* more is better: (x - min)/(max - min) */
    UPL_REVITAL_COST = 2,      /* less is better: (max - x)/(max - min) */
    UPL_REVITAL_CENTRE = 3,    /* best at `best`: 1 - |x - best| / max|x - best| */
    UPL_REVITAL_INTERVAL = 4   /* best inside [lo, hi]; see docs/revital.md */
} upl_revital_direction;

typedef struct upl_revital_dirspec {
    int direction;             /* upl_revital_direction */
    double best;               /* CENTRE only */
    double lo, hi;             /* INTERVAL only, lo <= hi */
} upl_revital_dirspec;

/* "benefit", "cost", "centre", "interval" (and NULL for anything else). */
UPL_EXPORT const char *upl_revital_direction_name(int direction);

/* Normalise one indicator: n values read at x[i*stride], written to
 * out[i*out_stride], into [0, 1] with 1 = best. A constant column (every
 * value equal, or max|x - best| = 0, or every value inside the interval)
 * normalises to 1 for every unit and sets *is_constant (may be NULL).
 * NaN/inf in x is UPL_ERANGE naming row i. n == 0 is UPL_EMISUSE. */
UPL_EXPORT int upl_revital_normalise(const double *x, size_t n, size_t stride,
                                     const upl_revital_dirspec *d, double *out,
                                     size_t out_stride, bool *is_constant,
                                     upl_error *err) UPL_MUST_CHECK;

/* The epsilon rule of the mathmodels R package (DOMAIN.md §3.6 (a)) applied
 * in place to a normalised column: min-max columns (BENEFIT, COST) are
 * mapped linearly onto [eps, 1 - eps]; columns normalised otherwise
 * (CENTRE, INTERVAL) have exact 0 -> eps and exact 1 -> 1 - eps only. */
UPL_EXPORT void upl_revital_epsilon_rescale(double *z, size_t n, size_t stride,
                                            int direction, double eps);

/* ---- Weights ----------------------------------------------------------------- */
typedef enum upl_revital_zero_rule {
    UPL_REVITAL_ZERO_EPSILON = 1, /* rescale into [eps, 1-eps] (default eps 0.002) */
    UPL_REVITAL_ZERO_SHIFT = 2,   /* p_ij from x'_ij + delta (default delta 0.0001) */
    UPL_REVITAL_ZERO_LIMIT = 3    /* 0 * ln 0 = 0 (Shannon limit) */
} upl_revital_zero_rule;
UPL_EXPORT const char *upl_revital_zero_rule_name(int rule);

/* Entropy weights over an n x m row-major matrix z of normalised values
 * (>= 0). The zero rule here only matters for SHIFT (p_ij from z + param);
 * EPSILON expects z already rescaled (upl_revital_epsilon_rescale) and
 * treats zeros like LIMIT. e_j = -(1/ln n) sum p ln p, d_j = 1 - e_j,
 * w_j = d_j / sum d. A column summing to 0 carries no information: e_j = 1.
 * When every d_j is 0 the weights fall back to 1/m and *is_equal_fallback
 * is set. w (m) required; e, d (m each) and is_equal_fallback may be NULL.
 * n < 2 is UPL_EUNDEFINED (k = 1/ln n undefined); a negative or non-finite
 * value is UPL_ERANGE naming its row and column. */
UPL_EXPORT int upl_revital_entropy(const double *z, size_t n, size_t m, int zero_rule,
                                   double param, double *w, double *e, double *d,
                                   bool *is_equal_fallback, upl_error *err) UPL_MUST_CHECK;

typedef enum upl_revital_critic_variant {
    UPL_REVITAL_CRITIC_STANDARD = 0, /* S_j sample SD, R_j = sum_k (1 - r_jk) */
    UPL_REVITAL_CRITIC_ABS = 1,      /* R_j = sum_k (1 - |r_jk|) */
    UPL_REVITAL_CRITIC_ENTROPY = 2,  /* S_j := d_j = 1 - e_j (entropy-CRITIC, limit rule) */
    UPL_REVITAL_CRITIC_SPEARMAN = 3  /* R_j with Spearman rank correlation (average ranks for ties) */
} upl_revital_critic_variant;
UPL_EXPORT const char *upl_revital_critic_variant_name(int variant);

/* CRITIC weights (Diakoulaki et al. 1995) over normalised z. Pearson r;
 * a constant column has S_j = 0, weight 0, and is left out of the other
 * columns' conflict sums (its r is undefined). All C_j = 0 falls back to
 * 1/m with *is_equal_fallback. sd, conflict, info (m each) may be NULL.
 * n < 2 is UPL_EUNDEFINED. */
UPL_EXPORT int upl_revital_critic(const double *z, size_t n, size_t m, int variant,
                                  double *w, double *sd, double *conflict, double *info,
                                  bool *is_equal_fallback, upl_error *err) UPL_MUST_CHECK;

/* Saaty's random consistency index RI(k) for k = 1..15 (Saaty 1980 table as
 * reprinted in most AHP textbooks [from memory]; docs/revital.md); NaN for
 * other k. */
UPL_EXPORT double upl_revital_ahp_ri(size_t k);

/* AHP priority weights from a k x k reciprocal pairwise matrix a
 * (row-major; a_ij > 0, a_ii = 1, a_ji = 1/a_ij within 1e-6 relative):
 * principal right eigenvector by power iteration, normalised to sum 1;
 * lambda_max, CI = (lambda - k)/(k - 1), CR = CI / RI(k) (0 for k <= 2,
 * NaN when k > 15). Any of lambda_max, ci, cr may be NULL. A matrix that is
 * not reciprocal is UPL_ERANGE naming the cell. */
UPL_EXPORT int upl_revital_ahp(const double *a, size_t k, double *w, double *lambda_max,
                               double *ci, double *cr, upl_error *err) UPL_MUST_CHECK;

/* ---- TOPSIS ------------------------------------------------------------------ */
typedef enum upl_revital_topsis_norm {
    UPL_REVITAL_TOPSIS_NONE = 0,    /* use a as given (e.g. min-max normalised, all benefit) */
    UPL_REVITAL_TOPSIS_VECTOR = 1,  /* b_ij = a_ij / sqrt(sum_i a_ij^2) */
    UPL_REVITAL_TOPSIS_MINMAX = 2   /* label only: the caller passes min-max normalised data with NONE */
} upl_revital_topsis_norm;

/* TOPSIS closeness C_i = D-_i / (D+_i + D-_i) with weighted Euclidean
 * distances to the ideal (max for benefit, min for cost columns) and the
 * anti-ideal. is_cost (m) may be NULL (all benefit). When D+ + D- = 0 (all
 * units identical) C = 0.5. dplus, dminus may be NULL. */
UPL_EXPORT int upl_revital_topsis(const double *a, size_t n, size_t m, const double *w,
                                  const bool *is_cost, int norm, double *dplus,
                                  double *dminus, double *closeness,
                                  upl_error *err) UPL_MUST_CHECK;

/* ---- Coupling coordination ----------------------------------------------------- */
typedef enum upl_revital_boundary {
    UPL_REVITAL_LEFT_CLOSED = 0,  /* [a, b): D = 0.5 is 勉强协调; D = 1 is the top class (mathmodels) */
    UPL_REVITAL_RIGHT_CLOSED = 1  /* (a, b]: D = 0.5 is 濒临失调; D = 0 is the bottom class (Tian et al. 2021) */
} upl_revital_boundary;
UPL_EXPORT const char *upl_revital_boundary_name(int boundary);

/* 10-level class 0..9 of D in [0, 1] (0 = 极度失调 extreme imbalance ...
 * 9 = 优质协调 high-quality coordination); -1 when D is outside [0, 1] or NaN. */
UPL_EXPORT int upl_revital_ccd_level(double d, int boundary);
UPL_EXPORT const char *upl_revital_ccd_level_name(int level, bool is_zh);

typedef struct upl_revital_ccd {
    double c;            /* coupling degree */
    double t;            /* comprehensive development index T = sum alpha_i U_i */
    double d;            /* coordination degree D = sqrt(C T) */
    int level;           /* upl_revital_ccd_level(d) */
    int lagging;         /* index of the lagging subsystem, -1 = synchronous */
    double gap;          /* max U - min U (compared with the lag threshold) */
    double relative;     /* min U / max U (relative development degree); NaN when max U = 0 */
} upl_revital_ccd;

/* Coupling coordination of k >= 2 subsystems with scores u in [0, 1]:
 * traditional C = (prod U)^(1/k) / (sum U / k), or with is_modified the
 * Wang et al. (2021) form (docs/revital.md; [formula from memory]).
 * alpha (k, summing to 1) or NULL for 1/k each. All U = 0 gives C = 0.
 * lag_threshold: |max - min| <= threshold is synchronous (Xu et al. 2020
 * use 0.1). A U outside [0, 1] is UPL_ERANGE. */
UPL_EXPORT int upl_revital_ccd_compute(const double *u, size_t k, const double *alpha,
                                       bool is_modified, int boundary, double lag_threshold,
                                       upl_revital_ccd *out, upl_error *err) UPL_MUST_CHECK;

/* ---- Obstacle degree ----------------------------------------------------------- */
/* For each unit i and indicator j with factor contribution f_j (usually the
 * final weight) and deviation I_ij = 1 - z_ij:
 *   normalised  O_ij = 100 f_j I_ij / sum_j f_j I_ij   (percent; all 0 when the sum is 0)
 *   plain       P_ij = f_j I_ij
 * Either output (n x m) may be NULL. */
UPL_EXPORT int upl_revital_obstacle(const double *z, size_t n, size_t m, const double *f,
                                    double *o_norm, double *o_plain,
                                    upl_error *err) UPL_MUST_CHECK;

/* ---- Regional differences ------------------------------------------------------- */
/* Dagum (1997) Gini decomposition of y over k groups (group[i] in 0..k-1;
 * groups with no members are allowed and contribute nothing). Unweighted
 * units. Free with upl_revital_dagum_free. */
typedef struct upl_revital_dagum {
    size_t k;
    double gini;          /* overall G */
    double within;        /* G_w = sum_j G_jj p_j s_j */
    double between;       /* net between-group G_nb */
    double transvariation;/* G_t; gini = within + between + transvariation */
    size_t *n_group;      /* k */
    double *mean;         /* k; NaN for empty groups */
    double *g_within;     /* k: G_jj; NaN for empty groups */
    double *g_between;    /* k*k: G_jh (symmetric), NaN on the diagonal and for empty groups */
    double *d_between;    /* k*k: D_jh relative economic affluence (symmetric) */
} upl_revital_dagum;
UPL_EXPORT int upl_revital_dagum_compute(const double *y, const int32_t *group, size_t n,
                                         size_t k, upl_revital_dagum *out,
                                         upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_revital_dagum_free(upl_revital_dagum *d); /* NULL ok; clears fields */

/* Theil T decomposition T = within + between over k groups with optional
 * weights v (NULL = 1): within = sum_g s_g T_g, between = sum_g s_g
 * ln(mu_g/mu); group_t and group_share (k each, income shares s_g) may be
 * NULL. Values must be >= 0 with a positive mean (0 ln 0 = 0). */
UPL_EXPORT int upl_revital_theil(const double *y, const double *v, const int32_t *group,
                                 size_t n, size_t k, double *total, double *within,
                                 double *between, double *group_t, double *group_share,
                                 upl_error *err) UPL_MUST_CHECK;

/* sigma-convergence statistics of one cross-section: population SD
 * (divisor n), coefficient of variation SD/mean, and SD of ln y (NaN when a
 * value is <= 0). n == 0 is UPL_EMISUSE. Any output may be NULL. */
UPL_EXPORT int upl_revital_sigma(const double *y, size_t n, double *sd, double *cv,
                                 double *sd_log, upl_error *err) UPL_MUST_CHECK;

/* Ordinary least squares y = X b + e with X n x k row-major (include the
 * intercept column yourself). Classical standard errors
 * se_j = sqrt(s^2 [(X'X)^-1]_jj), s^2 = RSS/(n - k). b, se (k) required;
 * r2 and s2 may be NULL. n <= k is UPL_EUNDEFINED; collinear X is
 * UPL_EUNDEFINED. Solved by a Cholesky factor of X'X (k is small). */
UPL_EXPORT int upl_revital_ols(const double *x, const double *y, size_t n, size_t k,
                               double *b, double *se, double *r2, double *s2,
                               upl_error *err) UPL_MUST_CHECK;

/* Silverman's rule-of-thumb bandwidth h = 0.9 min(s, IQR/1.34) n^(-1/5)
 * (Silverman 1986, eq. 3.31; s = sample SD with n-1, quartiles by linear
 * interpolation, R type 7); falls back to s when IQR = 0. *h = NaN and
 * UPL_EUNDEFINED when n < 2 or s = 0. */
UPL_EXPORT int upl_revital_silverman(const double *y, size_t n, double *h,
                                     upl_error *err) UPL_MUST_CHECK;
/* Gaussian kernel density at n_grid points: f(x) = (1/nh) sum phi((x - y_i)/h).
 * h <= 0 selects Silverman's bandwidth; *h_used (may be NULL) gets it. */
UPL_EXPORT int upl_revital_kde(const double *y, size_t n, double h, const double *grid,
                               size_t n_grid, double *density, double *h_used,
                               upl_error *err) UPL_MUST_CHECK;

/* ---- Indicator systems (YAML) ---------------------------------------------------- */
typedef struct upl_revital_indicator {
    char *name;           /* identifier, unique in the system */
    char *column;         /* panel column (defaults to name) */
    char *label_en, *label_zh, *unit;  /* may be NULL */
    size_t dimension;     /* index into dims */
    upl_revital_dirspec dir;
    double weight;        /* given weight; NaN = none */
    double baseline, target;    /* NaN = none */
    char *baseline_text, *target_text; /* as written (">6"), may be NULL */
    int baseline_year, target_year;    /* 0 = unknown */
    char *attribute;      /* e.g. binding/约束性, may be NULL */
    char *source;         /* may be NULL */
    bool is_verified;     /* false where DOMAIN.md marks [from memory] (`verified:`) */
    bool is_baseline_verified, is_target_verified; /* `baseline_verified:`, `target_verified:`;
                                                    * default to is_verified */
    uint64_t line, column_no; /* position in the YAML file */
} upl_revital_indicator;

typedef struct upl_revital_dimension {
    char *name, *label_en, *label_zh;
    double weight;        /* given dimension weight; NaN = none */
    double *ahp;          /* k x k pairwise matrix over this dimension's indicators, or NULL */
    size_t ahp_k;
} upl_revital_dimension;

typedef struct upl_revital_system {
    char *name, *label_en, *label_zh, *source, *path;
    upl_revital_dimension *dims; size_t n_dims;
    upl_revital_indicator *inds; size_t n_inds;
    double *ahp;          /* n_dims x n_dims pairwise matrix over the dimensions, or NULL */
    size_t ahp_k;
} upl_revital_system;

/* Load and check an indicator system. Errors name file:line:column and the
 * key. Free with upl_revital_system_free. */
UPL_EXPORT int upl_revital_system_load(const char *path, upl_revital_system **out,
                                       upl_error *err) UPL_MUST_CHECK;
/* The same from memory; `name` is used in messages. */
UPL_EXPORT int upl_revital_system_parse(const char *text, size_t len, const char *name,
                                        upl_revital_system **out,
                                        upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_revital_system_free(upl_revital_system *s); /* NULL is a no-op */

/* ---- Panel driver ------------------------------------------------------------------ */
typedef enum upl_revital_method {
    UPL_REVITAL_ENTROPY = 1, UPL_REVITAL_CRITIC = 2, UPL_REVITAL_GIVEN = 3,
    UPL_REVITAL_AHP = 4, UPL_REVITAL_COMBINED = 5
} upl_revital_method;
UPL_EXPORT const char *upl_revital_method_name(int method);

typedef enum upl_revital_scope { UPL_REVITAL_POOLED = 0, UPL_REVITAL_PER_YEAR = 1 } upl_revital_scope;
typedef enum upl_revital_missing { UPL_REVITAL_MISSING_ERROR = 0, UPL_REVITAL_MISSING_DROP = 1 } upl_revital_missing;
typedef enum upl_revital_combine { UPL_REVITAL_COMBINE_PRODUCT = 0, UPL_REVITAL_COMBINE_LINEAR = 1 } upl_revital_combine;

typedef struct upl_revital_options {
    const char *unit_col;      /* area identifier column (required) */
    const char *year_col;      /* NULL = one cross-section */
    const char *region_col;    /* NULL = no regional tables */
    int method;                /* upl_revital_method */
    int zero_rule;             /* 0 = EPSILON when entropy is involved, else LIMIT */
    double zero_param;         /* eps or delta; NaN = the rule's default */
    int scope;                 /* upl_revital_scope: normalise and weigh pooled or per year */
    int topsis;                /* 0 none, UPL_REVITAL_TOPSIS_VECTOR or _MINMAX */
    int critic_variant;
    int subjective, objective; /* COMBINED: GIVEN/AHP and ENTROPY/CRITIC */
    int combine;               /* upl_revital_combine */
    double combine_alpha;      /* LINEAR: w = alpha w_subj + (1-alpha) w_obj */
    bool do_ccd, is_ccd_modified;
    int ccd_boundary;          /* upl_revital_boundary */
    double lag_threshold;      /* default 0.1 */
    const double *ccd_alpha;   /* n_dims weights for T (sum 1), or NULL for equal */
    size_t n_ccd_alpha;
    bool do_obstacle;
    size_t obstacle_top;       /* keep the K biggest obstacles per unit-year (0 = all) */
    bool do_convergence;       /* sigma and beta (needs year_col) */
    const char *const *controls; size_t n_controls; /* conditional beta controls (panel columns) */
    bool do_kde;
    size_t kde_points;         /* default 101 */
    bool do_targets;           /* compare each unit-year with the indicators' targets */
    int missing;               /* upl_revital_missing */
} upl_revital_options;
UPL_EXPORT void upl_revital_options_init(upl_revital_options *o);

/* Named result tables. Columns carry a Chinese label in table metadata
 * under "zh:<column>" for bilingual display. Free with
 * upl_revital_result_free. */
typedef struct upl_revital_result {
    size_t n_tables;
    char **names;              /* "settings", "weights", "scores", ... */
    upl_table **tables;
} upl_revital_result;
UPL_EXPORT void upl_revital_result_free(upl_revital_result *r); /* NULL is a no-op */
/* Table by name, or NULL. */
UPL_EXPORT upl_table *upl_revital_result_find(const upl_revital_result *r, const char *name);
/* Write {"settings": [...], "weights": [...], ...} (jansson). */
UPL_EXPORT int upl_revital_result_write_json(const upl_revital_result *r, FILE *f,
                                             upl_error *err) UPL_MUST_CHECK;

/* Run the whole analysis. Tables produced:
 *   settings            every choice that changes numbers, and counts
 *   weights             per indicator (and year when per-year): direction, normalisation
 *                       constants, e/d (entropy) or S/R/C (CRITIC), weight
 *   dimension_weights   per dimension: weight sum (and AHP CR when used)
 *   scores              unit, year, score (0..100), rank within year, one index per
 *                       dimension (0..1, within-dimension weights), TOPSIS closeness/rank
 *   ccd                 with do_ccd: C, T, D, level (en, zh), lagging dimension
 *   obstacle_indicator, obstacle_dimension   with do_obstacle, in rank order per unit-year
 *   regional            with region_col: Dagum Gini parts and Theil parts by year
 *   sigma, beta                              with do_convergence: sigma per year and region;
 *                       beta models absolute_annual, conditional_annual (controls),
 *                       absolute_long, fe_annual (unit fixed effects), twfe_annual (unit
 *                       and year fixed effects), for all units and
 *                       per region, with speed and half-life
 *   density                                  with do_kde, per year
 *   targets             with do_targets: value against each indicator's target (achieved,
 *                       achievement % = value/target for benefit, target/value for cost) */
UPL_EXPORT int upl_revital_run(const upl_table *panel, const upl_revital_system *sys,
                               const upl_revital_options *opt, upl_revital_result **out,
                               upl_error *err) UPL_MUST_CHECK;

/* ---- Town and country (城乡) ----------------------------------------------------- */
typedef struct upl_revital_town_options {
    const char *income_col;    /* per-capita income (required) */
    const char *weight_col;    /* survey weight; NULL = 1 */
    const char *urban_col;     /* urban flag: BOOL, or numeric 1/0 (required) */
    const char *province_col;  /* NULL = whole sample */
    const char *year_col;      /* NULL = one wave */
    double eps;                /* rescale of subsystem indices into [eps, 1-eps]; default 0.01 */
    int ccd_boundary;
} upl_revital_town_options;
UPL_EXPORT void upl_revital_town_options_init(upl_revital_town_options *o);

/* One row per province and year: weighted mean urban and rural income,
 * urban/rural income ratio, Theil T overall, between urban and rural, and
 * within; urban and rural development indices (mean income min-max
 * normalised over all province-years into [eps, 1-eps]) and their coupling
 * coordination (C, T, D, level). Rows with a missing income, weight or
 * flag are counted in table metadata "dropped_rows" and left out. */
UPL_EXPORT int upl_revital_town_country(const upl_table *households,
                                        const upl_revital_town_options *opt,
                                        upl_table **out, upl_error *err) UPL_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
