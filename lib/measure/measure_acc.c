/* measure_acc.c — the mergeable accumulator of additive statistics (mean,
 * FGT, Watts, generalised-entropy and Atkinson moments) and the sorted
 * distribution behind Gini, quantiles, income shares, Lorenz curves, Sen
 * and Sen–Shorrocks–Thon.
 *
 * Formulas: DOMAIN.md §3.3–3.4; FGT: Foster, Greer & Thorbecke (1984);
 * Watts (1968); Sen (1976); Shorrocks (1995) / Thon (1979); Gini in the
 * population form sum v_i v_j |y_i - y_j| / (2 V^2 mu) (Inequality.jl
 * src/Gini.jl, PIP, laeken without the x100). Every sum is compensated. */
#include <math.h>
#include <string.h>
#include "measure_int.h"

const char *upl_policy_name(upl_policy p) {
    switch (p) {
    case UPL_POLICY_ERROR: return "error";
    case UPL_POLICY_DROP: return "drop";
    case UPL_POLICY_KEEP: return "keep";
    case UPL_POLICY_UNDEFINED: return "undefined";
    }
    return "?";
}

void upl_acc_params_init(upl_acc_params *par) {
    memset(par, 0, sizeof *par);
    par->z = NAN;
    par->alpha = NAN;
    par->mu = NAN;
    par->mu_pos = NAN;
    par->need = UPL_ACC_NEED_ALL;
}

void upl_acc_init(upl_acc *a, const upl_acc_params *par) {
    memset(a, 0, sizeof *a);
    if (par) a->par = *par;
    else upl_acc_params_init(&a->par);
}

void upl_acc_add1(upl_acc *a, double y, double w) { acc_add1(a, y, w); }

void upl_acc_add(upl_acc *a, const double *y, const double *w, size_t n) {
    if (w) {
        for (size_t i = 0; i < n; i++) acc_add1(a, y[i], w[i]);
    } else {
        for (size_t i = 0; i < n; i++) acc_add1(a, y[i], 1.0);
    }
}

void upl_acc_merge(upl_acc *a, const upl_acc *b) {
    a->n += b->n;
    a->n_nonpos += b->n_nonpos;
    a->n_neg += b->n_neg;
    a->n_poor += b->n_poor;
    a->n_poor_nonpos += b->n_poor_nonpos;
    upl_ksum_merge(&a->v, &b->v);
    upl_ksum_merge(&a->vy, &b->vy);
    upl_ksum_merge(&a->v_pos, &b->v_pos);
    upl_ksum_merge(&a->vy_pos, &b->vy_pos);
    upl_ksum_merge(&a->v_neg, &b->v_neg);
    upl_ksum_merge(&a->vy_neg, &b->vy_neg);
    upl_ksum_merge(&a->fgt0, &b->fgt0);
    upl_ksum_merge(&a->fgt1, &b->fgt1);
    upl_ksum_merge(&a->fgt2, &b->fgt2);
    upl_ksum_merge(&a->fgta, &b->fgta);
    upl_ksum_merge(&a->watts, &b->watts);
    upl_ksum_merge(&a->vy_poor, &b->vy_poor);
    upl_ksum_merge(&a->ln_rel, &b->ln_rel);
    upl_ksum_merge(&a->ylny_rel, &b->ylny_rel);
    for (int k = 0; k < UPL_ACC_MAX_POW; k++) {
        upl_ksum_merge(&a->powsum[k], &b->powsum[k]);
        upl_ksum_merge(&a->powsum_pos_v[k], &b->powsum_pos_v[k]);
    }
}

double upl_acc_mean(const upl_acc *a) {
    double v = upl_ksum_value(&a->v);
    return v > 0 ? upl_ksum_value(&a->vy) / v : NAN;
}

double upl_acc_fgt(const upl_acc *a, double alpha) {
    double v = upl_ksum_value(&a->v);
    if (!(v > 0) || isnan(a->par.z)) return NAN;
    if (alpha == 0) return upl_ksum_value(&a->fgt0) / v;
    if (alpha == 1) return upl_ksum_value(&a->fgt1) / v;
    if (alpha == 2) return upl_ksum_value(&a->fgt2) / v;
    if (alpha == a->par.alpha) return upl_ksum_value(&a->fgta) / v;
    return NAN;
}

double upl_acc_watts(const upl_acc *a) {
    double v = upl_ksum_value(&a->v);
    if (!(v > 0) || isnan(a->par.z) || a->n_poor_nonpos > 0) return NAN;
    return upl_ksum_value(&a->watts) / v;
}

/* ---- sorted distributions ------------------------------------------------------ */

void dist_cumulate(upl_dist *d) {
    upl_ksum cw = {0, 0}, cy = {0, 0};
    for (size_t k = 0; k < d->n; k++) {
        upl_ksum_add(&cw, d->w[k]);
        upl_ksum_add(&cy, d->w[k] * d->y[k]);
        d->cw[k] = upl_ksum_value(&cw);
        d->cy[k] = upl_ksum_value(&cy);
    }
    d->total_w = upl_ksum_value(&cw);
    d->total_y = upl_ksum_value(&cy);
}

int upl_dist_adopt(double *y, double *w, size_t n, upl_dist **out, upl_error *err) {
    int rc = UPL_OK;
    upl_dist *d = NULL;
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        UPL_FAIL_IF(isnan(y[i]), err, UPL_EMISUSE, "upl_dist: y[%zu] is NaN (drop missing values first)", i);
    d = upl_calloc(1, sizeof *d);
    UPL_FAIL_IF(!d, err, UPL_ENOMEM, "out of memory");
    d->n = n;
    d->y = y;
    d->w = w;
    d->is_owned = true;
    y = w = NULL;
    d->cw = upl_malloc((n ? n : 1) * sizeof(double));
    d->cy = upl_malloc((n ? n : 1) * sizeof(double));
    UPL_FAIL_IF(!d->cw || !d->cy, err, UPL_ENOMEM, "out of memory for a distribution of %zu values", n);
    rc = upl_sort_f64_f64(d->y, d->w, n);
    if (rc != UPL_OK) { upl_error_set(err, rc, "sorting %zu values failed", n); goto fail; }
    dist_cumulate(d);
    *out = d;
    return UPL_OK;
fail:
    upl_free(y);
    upl_free(w);
    upl_dist_free(d);
    return rc;
}

int upl_dist_build(const double *y, const double *w, size_t n, upl_dist **out, upl_error *err) {
    double *yc = upl_malloc((n ? n : 1) * sizeof(double));
    double *wc = upl_malloc((n ? n : 1) * sizeof(double));
    *out = NULL;
    if (!yc || !wc) {
        upl_free(yc);
        upl_free(wc);
        return upl_error_set(err, UPL_ENOMEM, "out of memory for a distribution of %zu values", n);
    }
    if (n) memcpy(yc, y, n * sizeof(double));
    for (size_t i = 0; i < n; i++) wc[i] = w ? w[i] : 1.0;
    return upl_dist_adopt(yc, wc, n, out, err);
}

void upl_dist_free(upl_dist *d) {
    if (!d) return;
    if (d->is_owned) {
        upl_free(d->y);
        upl_free(d->w);
        upl_free(d->cw);
        upl_free(d->cy);
    }
    upl_free(d);
}

size_t dist_count_below(const upl_dist *d, double z) {
    size_t lo = 0, hi = d->n; /* first index with y >= z */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->y[mid] < z) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* laeken::weightedQuantile works with rw = cumsum(w)/sum(w); the shares
 * are compared with p exactly as it does, so exact ties (rw == p) are
 * detected the same way. */
double dist_quantile_prefix(const upl_dist *d, size_t m, double p, upl_quantile_rule rule) {
    if (m == 0) return NAN;
    double V = d->cw[m - 1];
    if (!(V > 0) || isnan(p)) return NAN;
    if (p <= 0) return d->y[0];
    if (p >= 1) return d->y[m - 1];
    size_t lo = 0, hi = m - 1; /* first k with rw_k >= p (EUROSTAT) or > p (LAEKEN) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double r = d->cw[mid] / V;
        bool ok = rule == UPL_QUANTILE_EUROSTAT ? r >= p : r > p;
        if (ok) hi = mid;
        else lo = mid + 1;
    }
    if (rule == UPL_QUANTILE_EUROSTAT && d->cw[lo] / V == p && lo + 1 < m)
        return 0.5 * (d->y[lo] + d->y[lo + 1]);
    return d->y[lo];
}

double upl_dist_quantile(const upl_dist *d, double p, upl_quantile_rule rule) {
    return dist_quantile_prefix(d, d->n, p, rule);
}

/* sum_i sum_j v_i v_j |y_i - y_j| = 2 sum_k v_k y_k (W_{k-1} + W_k - V) for
 * ascending y (W cumulative weight); a block of ties gives the same sum in
 * any order, so the result is invariant to how ties were sorted. */
double dist_gini_prefix(const upl_dist *d, size_t m) {
    if (m == 0) return NAN;
    double V = d->cw[m - 1], T = d->cy[m - 1];
    if (!(V > 0) || T == 0) return NAN;
    upl_ksum s = {0, 0};
    double prev = 0;
    for (size_t k = 0; k < m; k++) {
        upl_ksum_add(&s, d->w[k] * d->y[k] * ((prev - V) + d->cw[k]));
        prev = d->cw[k];
    }
    return upl_ksum_value(&s) / (V * T);
}

double upl_dist_gini(const upl_dist *d, bool is_corrected) {
    double g = dist_gini_prefix(d, d->n);
    if (is_corrected) g = d->n > 1 ? g * (double)d->n / (double)(d->n - 1) : NAN;
    return g;
}

double upl_dist_lorenz_at(const upl_dist *d, double p) {
    if (d->n == 0 || !(d->total_w > 0) || d->total_y == 0 || isnan(p)) return NAN;
    if (p <= 0) return 0;
    if (p >= 1) return 1;
    double t = p * d->total_w;
    size_t lo = 0, hi = d->n - 1; /* first k with cw_k >= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->cw[mid] >= t) hi = mid;
        else lo = mid + 1;
    }
    double cw0 = lo ? d->cw[lo - 1] : 0, cy0 = lo ? d->cy[lo - 1] : 0;
    /* the unit at the cut is split: its income enters in proportion */
    return (cy0 + (t - cw0) * d->y[lo]) / d->total_y;
}

double upl_dist_share(const upl_dist *d, double p1, double p2) {
    return upl_dist_lorenz_at(d, p2) - upl_dist_lorenz_at(d, p1);
}

static double ratio_or_nan(double a, double b) { return b != 0 ? a / b : NAN; }

double upl_dist_palma(const upl_dist *d) {
    return ratio_or_nan(upl_dist_share(d, 0.9, 1.0), upl_dist_share(d, 0.0, 0.4));
}

double upl_dist_s80s20(const upl_dist *d) {
    return ratio_or_nan(upl_dist_share(d, 0.8, 1.0), upl_dist_share(d, 0.0, 0.2));
}

void upl_dist_lorenz(const upl_dist *d, double *p, double *L) {
    p[0] = 0;
    L[0] = 0;
    for (size_t k = 0; k < d->n; k++) {
        p[k + 1] = d->total_w > 0 ? d->cw[k] / d->total_w : NAN;
        L[k + 1] = d->total_y != 0 ? d->cy[k] / d->total_y : NAN;
    }
}

double upl_dist_sen(const upl_dist *d, double z, bool is_large_q) {
    if (d->n == 0 || !(d->total_w > 0) || !(z > 0)) return NAN;
    size_t q = dist_count_below(d, z);
    if (q == 0) return 0;
    double Vp = d->cw[q - 1];
    if (!(Vp > 0)) return 0;
    double H = Vp / d->total_w;
    double mu_p = d->cy[q - 1] / Vp;
    double I = (z - mu_p) / z;
    double Gp = d->cy[q - 1] != 0 ? dist_gini_prefix(d, q) : 0; /* all poor at 0: I = 1 */
    /* q is the weighted number of poor (weights = people represented), so
     * frequency weights equal replicated rows; unweighted it is the count */
    double corr = is_large_q ? 1.0 : Vp / (Vp + 1);
    return H * (I + (1 - I) * Gp * corr);
}

/* SST = PG (1 + G_gap). Sorting the gaps ascending puts the non-poor (gap 0)
 * first and the poor in descending y; the Gini sum then collapses to
 * SST = (1/V^2) sum_{poor k} v_k g_k (2V - W_{k-1} - W_k). */
double upl_dist_sst(const upl_dist *d, double z) {
    if (d->n == 0 || !(d->total_w > 0) || !(z > 0)) return NAN;
    size_t q = dist_count_below(d, z);
    double V = d->total_w;
    upl_ksum s = {0, 0};
    double prev = 0;
    for (size_t k = 0; k < q; k++) {
        double g = (z - d->y[k]) / z;
        upl_ksum_add(&s, d->w[k] * g * ((V - prev) + (V - d->cw[k])));
        prev = d->cw[k];
    }
    return upl_ksum_value(&s) / (V * V);
}

double upl_dist_rmpg(const upl_dist *d, double z, upl_quantile_rule rule) {
    if (!(z > 0)) return NAN;
    size_t q = dist_count_below(d, z);
    if (q == 0) return NAN;
    return (z - dist_quantile_prefix(d, q, 0.5, rule)) / z;
}

/* ---- random numbers for the bootstrap ------------------------------------------- */
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rng_seed(rng256 *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(rng256 *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rng_below(rng256 *r, uint64_t n) {
    /* rejection on the low bits keeps the draw exactly uniform */
    uint64_t lim = (uint64_t)(-n) % n;
    for (;;) {
        uint64_t x = rng_next(r);
        if (x >= lim) return x % n;
    }
}
