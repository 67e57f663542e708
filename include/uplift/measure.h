/* measure.h — poverty, inequality, Alkire–Foster and survey-design errors.
 *
 * The measurement engine works on plain arrays (welfare y, weights v, group
 * ids, design arrays) so that any front end can feed it; thin table-level
 * wrappers at the end take columns of an upl_table instead. Formulas and
 * every convention are in docs/measures.md; the short version:
 *
 *   - weights are sampling / frequency weights v_i >= 0 (NULL = all 1); a
 *     row with weight 0 is kept (counted in n) but contributes nothing;
 *     a negative or non-finite weight is an error;
 *   - missing welfare is NaN: such rows are dropped and counted (policy
 *     `missing` = UPL_POLICY_DROP) or are an error (UPL_POLICY_ERROR);
 *   - poor means y < z (strict); y == z is not poor;
 *   - sums are compensated (upl_ksum); rows are processed in fixed chunks
 *     of UPL_CHUNK_ROWS whose accumulators are merged in chunk order, so a
 *     result does not depend on the number of threads;
 *   - a statistic that is undefined for the data (A with no poor, Watts
 *     with y <= 0, a ratio with a zero denominator) is reported with
 *     value NaN and a reason string, never as a silent 0.
 *
 * Thread-safety: functions are re-entrant; the caller owns every array. */
#ifndef UPLIFT_MEASURE_H
#define UPLIFT_MEASURE_H

#include "defs.h"
#include "error.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Conventions -------------------------------------------------------------- */

/* Weighted quantile rules (docs/measures.md §quantiles). With cumulative
 * weight shares r_k of the ascending sorted values x_k:
 *   LAEKEN   : the first x_k with r_k > p (step rule, no averaging);
 *   EUROSTAT : the first x_k with r_k >= p, but when r_k == p exactly the
 *              average (x_k + x_{k+1}) / 2 (EU-SILC 131-rev/04; this is what
 *              laeken::weightedQuantile 0.5 computes, see decision 0004). */
typedef enum upl_quantile_rule {
    UPL_QUANTILE_LAEKEN = 0,
    UPL_QUANTILE_EUROSTAT = 1
} upl_quantile_rule;

/* What to do with a value outside a measure's domain. */
typedef enum upl_policy {
    UPL_POLICY_ERROR = 0,     /* fail with UPL_ERANGE / UPL_EUNDEFINED naming the row */
    UPL_POLICY_DROP = 1,      /* leave the row out (of that measure), count it */
    UPL_POLICY_KEEP = 2,      /* keep the row as it is */
    UPL_POLICY_UNDEFINED = 3  /* keep the row; a measure it breaks is reported undefined */
} upl_policy;
UPL_EXPORT const char *upl_policy_name(upl_policy p); /* "error", "drop", "keep", "undefined" */

/* ---- Mergeable accumulators ------------------------------------------------------
 * Additive statistics are sums; an accumulator holds them for one group.
 * init sets the parameters, add consumes a chunk of rows, merge adds another
 * accumulator (call in chunk order for reproducible results), and the
 * upl_acc_* getters finish. Rows with NaN y are skipped (the caller applies
 * the missing policy before). */
#define UPL_ACC_MAX_POW 8
typedef struct upl_acc_params {
    double z;            /* poverty line for the FGT/Watts sums; NaN = none */
    double alpha;        /* extra FGT exponent accumulated besides 0, 1, 2 (NaN = none) */
    bool is_gap_capped;  /* cap normalised gaps at 1 (negative incomes); default keep */
    double mu;           /* reference mean for the GE/Atkinson sums; NaN = pass 1 (none) */
    double mu_pos;       /* mean over y > 0 (for the log sums when y <= 0 rows are dropped) */
    int n_pow;           /* powers p for which sum v (y/mu)^p is kept */
    double pow[UPL_ACC_MAX_POW];
    unsigned need;       /* UPL_ACC_NEED_* sums to keep (upl_acc_params_init: all) */
} upl_acc_params;
#define UPL_ACC_NEED_SIGN  1u  /* v_pos, vy_pos, v_neg, vy_neg */
#define UPL_ACC_NEED_FGT   2u  /* fgt0, fgt1, fgt2, fgta, vy_poor (when z is set) */
#define UPL_ACC_NEED_WATTS 4u  /* watts (when z is set) */
#define UPL_ACC_NEED_ALL   7u

typedef struct upl_acc {
    upl_acc_params par;
    uint64_t n;          /* rows added (finite y) */
    uint64_t n_nonpos;   /* rows with y <= 0 */
    uint64_t n_neg;      /* rows with y < 0 */
    uint64_t n_poor;     /* rows with y < z */
    uint64_t n_poor_nonpos;  /* poor rows with y <= 0 (Watts undefined) */
    upl_ksum v, vy;      /* sum v, sum v y */
    upl_ksum v_pos, vy_pos;  /* the same over y > 0 */
    upl_ksum v_neg, vy_neg;  /* the same over y < 0 */
    upl_ksum fgt0, fgt1, fgt2, fgta;  /* sum v 1[y<z] g^a, g = (z - y)/z */
    upl_ksum watts;      /* sum v ln(z/y) over poor y > 0 */
    upl_ksum vy_poor;    /* sum v y over the poor */
    upl_ksum ln_rel;     /* sum v ln(y/mu_pos) over y > 0 */
    upl_ksum ylny_rel;   /* sum v (y/mu) ln(y/mu) over y > 0 (0 ln 0 = 0) */
    upl_ksum powsum[UPL_ACC_MAX_POW]; /* sum v (y/mu)^p over y > 0 */
    upl_ksum powsum_pos_v[UPL_ACC_MAX_POW]; /* sum v over the rows in powsum */
} upl_acc;

UPL_EXPORT void upl_acc_init(upl_acc *a, const upl_acc_params *par);
/* par defaults: no line, no mean, no powers. */
UPL_EXPORT void upl_acc_params_init(upl_acc_params *par);
/* Add n rows; w NULL = weight 1. */
UPL_EXPORT void upl_acc_add(upl_acc *a, const double *y, const double *w, size_t n);
UPL_EXPORT void upl_acc_add1(upl_acc *a, double y, double w);
/* a += b; both must have the same parameters. */
UPL_EXPORT void upl_acc_merge(upl_acc *a, const upl_acc *b);
/* Finished values (NaN when undefined: zero total weight etc.). */
UPL_EXPORT double upl_acc_mean(const upl_acc *a);
UPL_EXPORT double upl_acc_fgt(const upl_acc *a, double alpha); /* alpha 0, 1, 2 or par.alpha */
UPL_EXPORT double upl_acc_watts(const upl_acc *a);             /* NaN if a poor y <= 0 */

/* ---- Sorted distributions: Gini, quantiles, shares, Lorenz, Sen, SST -------
 * A distribution is the (y, v) pairs of one group sorted ascending by y
 * (radix sort, stable; ties are harmless: every statistic below is
 * invariant to the order among equal y). Exact: no binning. */
typedef struct upl_dist {
    size_t n;
    double *y;           /* ascending */
    double *w;           /* weights in the same order */
    double *cw;          /* cumulative weight, cw[k] = sum_{i<=k} w_i (compensated) */
    double *cy;          /* cumulative income, cy[k] = sum_{i<=k} w_i y_i (compensated) */
    double total_w, total_y;
    bool is_owned;       /* arrays are freed by upl_dist_free (false: a view) */
} upl_dist;
/* Copy and sort n pairs (w NULL = 1; NaN y not allowed: UPL_EMISUSE).
 * Free with upl_dist_free. */
UPL_EXPORT int upl_dist_build(const double *y, const double *w, size_t n, upl_dist **out,
                              upl_error *err) UPL_MUST_CHECK;
/* Take ownership of already-allocated arrays y, w (upl_malloc'd, length n)
 * and sort them in place; on failure they are freed. */
UPL_EXPORT int upl_dist_adopt(double *y, double *w, size_t n, upl_dist **out, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_dist_free(upl_dist *d); /* NULL is a no-op */

UPL_EXPORT double upl_dist_quantile(const upl_dist *d, double p, upl_quantile_rule rule);
/* Population Gini sum_i sum_j v_i v_j |y_i - y_j| / (2 V^2 mu); NaN if mu == 0
 * or V == 0. is_corrected multiplies by n/(n-1) (ineq corr=TRUE). */
UPL_EXPORT double upl_dist_gini(const upl_dist *d, bool is_corrected);
/* Lorenz ordinate L(p) of the piecewise-linear Lorenz curve (a unit at the
 * cut is split fractionally): income share of the poorest fraction p. */
UPL_EXPORT double upl_dist_lorenz_at(const upl_dist *d, double p);
/* Income share of the population between fractions p1 < p2. */
UPL_EXPORT double upl_dist_share(const upl_dist *d, double p1, double p2);
UPL_EXPORT double upl_dist_palma(const upl_dist *d);   /* share(0.9,1) / share(0,0.4) */
UPL_EXPORT double upl_dist_s80s20(const upl_dist *d);  /* share(0.8,1) / share(0,0.2) */
/* Lorenz ordinates at every observation: p[0..n], L[0..n] (caller allocates
 * n+1 each; p[0] = L[0] = 0). Generalised Lorenz = L * mean. */
UPL_EXPORT void upl_dist_lorenz(const upl_dist *d, double *p, double *L);
/* Sen index: exact form S = H[I + (1-I) G_p q/(q+1)] (is_large_q false) or
 * the large-q form S = H[I + (1-I) G_p]; q = weighted number of poor (the
 * count when unweighted, so frequency weights equal replicated rows),
 * I = (z - mu_p)/z, G_p = Gini among the poor. 0 when nobody is poor. */
UPL_EXPORT double upl_dist_sen(const upl_dist *d, double z, bool is_large_q);
/* Sen–Shorrocks–Thon = PG (1 + G(gaps)), gaps over the whole population. */
UPL_EXPORT double upl_dist_sst(const upl_dist *d, double z);
/* Relative median poverty gap (laeken rmpg): (z - median of poor)/z. */
UPL_EXPORT double upl_dist_rmpg(const upl_dist *d, double z, upl_quantile_rule rule);

/* ---- Survey design: Taylor linearisation (R survey conventions) -------------
 * One-stage ("ultimate cluster") with-replacement variance of totals of
 * linearised values by stratum:
 *   var = sum_h (1 - f_h) n_h/(n_h - 1) sum_{i in h} (z_hi - zbar_h)^2,
 * z_hi = PSU totals of w u, u the influence value (mean: (y - theta)/V;
 * ratio: (y - R x)/X). fpc: a value <= 1 is the sampling fraction f_h, a
 * larger value the number of PSUs in the stratum population (as R's
 * svydesign(fpc=)). Without PSUs every row is its own PSU; without strata
 * there is one stratum. Domains are estimated by zeroing rows outside the
 * domain (svyby / subset), never by dropping them. */
typedef enum upl_lonely_psu {
    UPL_LONELY_FAIL = 0,      /* a stratum with one PSU is an error (R default) */
    UPL_LONELY_REMOVE = 1,    /* it contributes 0 */
    UPL_LONELY_ADJUST = 2,    /* centred at 0 (the grand mean of the influence values) */
    UPL_LONELY_CERTAINTY = 3  /* sampled with certainty: contributes 0 */
} upl_lonely_psu;
UPL_EXPORT int upl_lonely_psu_parse(const char *s, upl_lonely_psu *out);

typedef struct upl_design {
    const int64_t *strata;   /* NULL = one stratum */
    const int64_t *psu;      /* NULL = each row is a PSU */
    const double *fpc;       /* NULL = no correction; constant within a stratum */
    bool is_nested;          /* PSU ids are relative to their stratum (R nest=TRUE);
                                false: a PSU id found in two strata is an error */
    upl_lonely_psu lonely;
    double conf_level;       /* 0 = 0.95; normal-quantile CIs like confint.svystat */
} upl_design;

/* Ratio estimates theta_g = sum_{i in g} w y / sum_{i in g} w x and their
 * linearised standard errors for each domain g of `group` (ids 0..n_groups-1,
 * -1 = in no domain; NULL = one domain). x NULL = 1 (a mean). Rows with NaN
 * y, x or weight are outside every domain (as svymean(na.rm=TRUE)); a negative
 * weight is UPL_ERANGE. est/se have n_groups entries (NaN when undefined,
 * e.g. an empty domain or a zero denominator). */
UPL_EXPORT int upl_design_ratio(const upl_design *d, size_t n, const double *w, const double *y,
                                const double *x, const int32_t *group, int32_t n_groups,
                                double *est, double *se, upl_error *err) UPL_MUST_CHECK;
/* Two-sided normal critical value for conf_level (0 -> 0.95). */
UPL_EXPORT double upl_design_zcrit(double conf_level);

/* Rao–Wu (1988) rescaling bootstrap weights, m_h = n_h - 1 PSUs drawn with
 * replacement in each stratum: w_b = w n_h/(n_h - 1) r_hi (R survey
 * "subbootstrap"). Seeded (xoshiro256**), reproducible. out: n * n_rep
 * doubles, replicate b of row i at out[b * n + i]. Var = sum (t_b - tbar)^2/(B-1). */
UPL_EXPORT int upl_design_bootstrap_weights(const upl_design *d, size_t n, const double *w,
                                            int n_rep, uint64_t seed, double *out,
                                            upl_error *err) UPL_MUST_CHECK;

/* ---- The engine: many measures, many groups, one call ---------------------- */
typedef enum upl_measure_kind {
    UPL_MEAS_MEAN = 0, UPL_MEAS_MEDIAN, UPL_MEAS_QUANTILE, /* param p */
    UPL_MEAS_FGT,        /* param alpha >= 0 */
    UPL_MEAS_WATTS, UPL_MEAS_SEN, UPL_MEAS_SEN_LARGEQ, UPL_MEAS_SST,
    UPL_MEAS_GINI, UPL_MEAS_GE,   /* param alpha: 0 = MLD, 1 = Theil */
    UPL_MEAS_ATKINSON,   /* param epsilon >= 0 */
    UPL_MEAS_PALMA, UPL_MEAS_S80S20,
    UPL_MEAS_SHARE,      /* income share between param and param2 */
    UPL_MEAS_LINE,       /* the poverty line used */
    UPL_MEAS_RMPG,       /* relative median poverty gap */
    UPL_MEAS_LORENZ,     /* Lorenz ordinate L(param) */
    UPL_MEAS_GLORENZ,    /* generalised Lorenz ordinate mean x L(param) */
    UPL_MEAS_KIND_COUNT_
} upl_measure_kind;

typedef struct upl_measure_req {
    upl_measure_kind kind;
    double param, param2;
    char name[32];       /* canonical name, e.g. "fgt0", "theil", "atkinson0.5" */
} upl_measure_req;
/* Parse a name of the LIST in `uplift measure --measures` (mean median fgt0
 * fgt1 fgt2 fgtA watts sen sen_largeq sst gini theil mld geA atkinsonE palma
 * s80s20 qP shareP-Q lorenzP glorenzP line rmpg). UPL_EMISUSE with the list of
 * names if unknown. */
UPL_EXPORT int upl_measure_parse(const char *name, upl_measure_req *out, upl_error *err) UPL_MUST_CHECK;

typedef enum upl_line_kind {
    UPL_LINE_NONE = 0,
    UPL_LINE_ABSOLUTE,   /* z (one value) or z_by_group */
    UPL_LINE_RELATIVE    /* share p of the weighted median (whole population, or each group) */
} upl_line_kind;

typedef struct upl_measure_options {
    upl_line_kind line;
    double z;                  /* UPL_LINE_ABSOLUTE */
    const double *z_by_group;  /* optional, n_groups lines (by region, by year...) */
    double rel_share;          /* UPL_LINE_RELATIVE: e.g. 0.6 */
    bool is_rel_by_group;      /* median of each group instead of the whole population */
    upl_quantile_rule quantile_rule;
    upl_policy missing;        /* ERROR or DROP (default DROP) */
    upl_policy negative;       /* y < 0 for every measure: KEEP (default), DROP, ERROR */
    upl_policy nonpositive;    /* y <= 0 in log/negative-power measures (Watts, MLD,
                                  GE(a<=0), Atkinson(e>=1)) and y < 0 in GE(a>0), Atkinson(e<1):
                                  UNDEFINED (default), DROP (from that measure) or ERROR */
    bool is_gap_capped;        /* cap FGT gaps at 1 */
    bool is_gini_corrected;    /* n/(n-1) */
    bool is_percent;           /* Gini, shares, rates x 100 */
    int n_threads;             /* 0 = all cores, 1 = calling thread */
    const upl_design *design;  /* NULL = no standard errors */
    int n_boot;                /* bootstrap replicates for sort-based measures with a design (0 = none) */
    uint64_t boot_seed;
} upl_measure_options;
UPL_EXPORT void upl_measure_options_init(upl_measure_options *o);

typedef struct upl_measure_input {
    size_t n;
    const double *y;           /* NaN = missing */
    const double *w;           /* NULL = 1 */
    const int32_t *group;      /* NULL = one group; -1 = in no group */
    int32_t n_groups;
} upl_measure_input;

/* One statistic for one group. */
typedef struct upl_stat {
    double value;              /* NaN when undefined */
    double se, ci_low, ci_high;/* NaN without a design */
    uint64_t n;                /* observations used */
    double weight_sum;
    uint64_t n_dropped;        /* rows this measure left out under its policy */
    const char *undefined;     /* NULL, or why the value is undefined (static text) */
    const char *se_method;     /* NULL, "linearization", "bootstrap", or why a bootstrap SE is missing */
} upl_stat;

typedef struct upl_measure_result {
    size_t n_measures;
    int32_t n_groups;
    upl_measure_req *measures; /* copies of the requests */
    upl_stat *stats;           /* stats[m * n_groups + g] */
    double *line;              /* line used in each group (NaN = none) */
    uint64_t n_rows, n_missing, n_negative_dropped, n_zero_weight, n_outside;
    upl_policy missing, negative, nonpositive;
} upl_measure_result;

/* Compute every requested measure for every group. On success *out is a new
 * result (free with upl_measure_result_free). Errors: UPL_EMISUSE (bad
 * options), UPL_ERANGE (negative weight, or a value refused by policy ERROR,
 * naming the row), UPL_ENOMEM. */
UPL_EXPORT int upl_measure_compute(const upl_measure_input *in, const upl_measure_req *req,
                                   size_t n_req, const upl_measure_options *opt,
                                   upl_measure_result **out, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_measure_result_free(upl_measure_result *r);
UPL_EXPORT upl_stat *upl_measure_result_get(const upl_measure_result *r, size_t m, int32_t g);

/* ---- Decompositions ---------------------------------------------------------- */
/* Additively decomposable measures (FGT, Watts, H, M0): shares V_g/V,
 * contributions V_g P_g and percentage contributions V_g P_g / P. The total
 * is sum_g share_g P_g. Groups with V_g = 0 get share 0. Arrays of n_groups. */
typedef struct upl_decomp_additive {
    double total;
    double *pop_share, *contribution, *pct_contribution; /* caller-allocated, n_groups */
} upl_decomp_additive;
UPL_EXPORT int upl_decomp_additive_compute(const double *value, const double *weight_sum,
                                           int32_t n_groups, upl_decomp_additive *out,
                                           upl_error *err) UPL_MUST_CHECK;

/* GE(alpha) within/between from group summaries (V_g, mu_g, GE_g):
 * within = sum_g p_g^{1-a} s_g^a GE_g, between = GE of group means. */
typedef struct upl_decomp_ge {
    double within, between, total;
    double *group_contribution;   /* caller-allocated, n_groups: term of group g in `within` */
} upl_decomp_ge;
UPL_EXPORT int upl_decomp_ge_compute(double alpha, const double *weight_sum, const double *mean,
                                     const double *ge, int32_t n_groups, upl_decomp_ge *out,
                                     upl_error *err) UPL_MUST_CHECK;
/* Nested two-stage Theil (Akita 2003): cells (region r, sub-group k) with
 * weight V, mean mu and Theil T; T = T_BR + sum_r s_r T_{B,r} + sum_rk s_rk T_rk. */
typedef struct upl_decomp_theil2 {
    double between_regions;       /* T_BR */
    double between_within;        /* sum_r s_r T_{B,r} */
    double within_cells;          /* sum s_rk T_rk */
    double total;
} upl_decomp_theil2;
UPL_EXPORT int upl_decomp_theil_nested(const double *weight_sum, const double *mean, const double *theil,
                                       const int32_t *region_of_cell, int32_t n_cells, int32_t n_regions,
                                       upl_decomp_theil2 *out, upl_error *err) UPL_MUST_CHECK;

/* Growth–redistribution decomposition of a change in FGT(alpha) (or Watts
 * when is_watts) between wave 1 and wave 2 with line z. P(mu_a, L_b) is the
 * measure of wave b's incomes scaled by mu_a / mu_b (DOMAIN.md §3.5). */
typedef struct upl_growth_redist {
    double p1, p2, change;        /* P(mu1,L1), P(mu2,L2), p2 - p1 */
    double p_m2_l1, p_m1_l2;      /* the two counterfactuals */
    double dr1_growth, dr1_redist, dr1_residual; /* Datt–Ravallion, reference period 1 */
    double dr2_growth, dr2_redist, dr2_residual; /* Datt–Ravallion, reference period 2 */
    double shapley_growth, shapley_redist;       /* Shorrocks (1999/2013), no residual */
    double mu1, mu2;
} upl_growth_redist;
UPL_EXPORT int upl_growth_redist_compute(const double *y1, const double *w1, size_t n1,
                                         const double *y2, const double *w2, size_t n2,
                                         double z, double alpha, bool is_watts,
                                         upl_growth_redist *out, upl_error *err) UPL_MUST_CHECK;

/* Sectoral decomposition (Ravallion & Huppi 1991): sectors k with population
 * shares n_k and poverty P_k in waves 1 and 2:
 * dP = sum n_k1 dP_k (intra) + sum P_k1 dn_k (shift) + sum dn_k dP_k (interaction). */
typedef struct upl_sectoral {
    double p1, p2, change, intra, shift, interaction;
    double *intra_by_sector;      /* caller-allocated n_sectors, or NULL */
} upl_sectoral;
UPL_EXPORT int upl_sectoral_compute(const double *share1, const double *pov1, const double *share2,
                                    const double *pov2, int32_t n_sectors, upl_sectoral *out,
                                    upl_error *err) UPL_MUST_CHECK;

/* ---- Alkire–Foster multidimensional poverty ------------------------------------
 * Weights and k are exact rationals: every weight num/den is brought to a
 * common denominator D, a person's score is the integer C_i = sum_j W_j g_ij
 * over total weight T = sum_j W_j (weights need not sum to 1: c_i = C_i/T),
 * and "poor" is the exact integer test C_i * k_den >= k_num * T. */
/* Weights and k are exact fractions: upl_rational and upl_rational_parse (table.h). */

typedef struct upl_af_indicator {
    const char *name;         /* borrowed */
    const char *dimension;    /* borrowed; NULL = its own dimension */
    upl_rational weight;
    double cutoff;            /* deprived iff x < cutoff (strict, AF 2011) */
    bool is_deprivation;      /* x is already g0 (nonzero = deprived); gap 1 */
} upl_af_indicator;

typedef struct upl_af_spec {
    size_t d;
    const upl_af_indicator *ind;
    upl_rational k;           /* poverty cutoff as a share of total weight */
} upl_af_spec;
/* Nested weights: each of the distinct dimensions gets an equal share and
 * each indicator an equal share of its dimension. Fills ind[j].weight. */
UPL_EXPORT int upl_af_nested_weights(upl_af_indicator *ind, size_t d, upl_error *err) UPL_MUST_CHECK;

typedef struct upl_af_input {
    size_t n;
    const double *const *x;   /* d columns of n achievements (NaN = missing) */
    const double *w;          /* NULL = 1; person weight (household weight x size for person level) */
    const double *size;       /* optional household size multiplier (person level from households) */
    const int32_t *group;     /* optional subgroup ids, -1 = none */
    int32_t n_groups;
} upl_af_input;

typedef struct upl_af_stats {
    double H, A, M0, M1, M2;          /* A NaN when nobody is poor */
    double weight_sum, poor_weight;
    uint64_t n, n_poor;
    const char *undefined;            /* reason A / contributions are undefined */
} upl_af_stats;

typedef struct upl_af_result {
    size_t d;
    upl_af_stats all;
    double *h_uncensored, *h_censored;  /* d each */
    double *contrib_abs, *contrib_pct;  /* d each: w_j h_j(k) (w normalised to sum 1), and / M0 */
    size_t n_dims;
    char **dim_names;                   /* n_dims */
    double *dim_contrib_pct;            /* n_dims */
    int32_t n_groups;
    upl_af_stats *groups;               /* n_groups */
    double *group_pop_share, *group_contrib_pct; /* n_groups: M0 contribution of group g */
    double *se_H, *se_A, *se_M0;        /* [0] = all, [1+g] = group g; NULL without design */
    uint64_t n_dropped_missing;
} upl_af_result;

/* missing: DROP rows with a missing indicator (counted) or ERROR. design may
 * be NULL. Free with upl_af_result_free. */
UPL_EXPORT int upl_af_compute(const upl_af_spec *spec, const upl_af_input *in, upl_policy missing,
                              const upl_design *design, upl_af_result **out, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_af_result_free(upl_af_result *r);

/* Change of an index between years t1 < t2 (mpitbR): absolute, relative (%),
 * annualised absolute, annualised relative (%). */
typedef struct upl_af_change { double absolute, relative, annual_absolute, annual_relative; } upl_af_change;
UPL_EXPORT int upl_af_change_compute(double m1, double t1, double m2, double t2, upl_af_change *out,
                                     upl_error *err) UPL_MUST_CHECK;

/* ---- Table-level wrappers -------------------------------------------------------- */
/* Build input arrays from table columns: income (numeric), weight (numeric
 * or NULL), by (keys, may be 0) via upl_groupby. The returned input borrows
 * nothing from the table: *y_buf, *w_buf and *gb are owned by the caller
 * (upl_free / upl_groupby_free). Missing cells become NaN. */
UPL_EXPORT int upl_measure_table_input(const upl_table *t, const char *income, const char *weight,
                                       const char *const *by, size_t n_by, upl_measure_input *in,
                                       double **y_buf, double **w_buf, upl_groupby **gb,
                                       upl_error *err) UPL_MUST_CHECK;
/* Design ids from columns (CAT codes, I64, BOOL or integral F64); any column
 * name may be NULL. Arrays are owned by the caller. */
UPL_EXPORT int upl_measure_table_design(const upl_table *t, const char *strata, const char *psu,
                                        const char *fpc, int64_t **strata_buf, int64_t **psu_buf,
                                        double **fpc_buf, upl_error *err) UPL_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
